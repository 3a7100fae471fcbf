#include <string>

#include "gtest/gtest.h"
#include "signaling/msrp/msrp_message.h"
#include "tests/signaling/msrp/rfc4975_examples.h"

namespace tutti::msrp {
namespace {

using Kind = FrameResult::Kind;

using rfc4975::kOk;
using rfc4975::kReport;
using rfc4975::kSend;

std::string Send(std::string_view tid, std::string_view body, char flag,
                 std::string_view range = "1-*/*") {
  return std::string("MSRP ") + std::string(tid) +
         " SEND\r\n"
         "To-Path: msrp://127.0.0.1:2855/s1a2b3c4;tcp\r\n"
         "From-Path: msrp://127.0.0.1:40000/p9q8r7;tcp\r\n"
         "Message-ID: m1x2y3z4\r\n"
         "Byte-Range: " +
         std::string(range) +
         "\r\n"
         "Content-Type: text/plain\r\n\r\n" +
         std::string(body) + "\r\n-------" + std::string(tid) + flag + "\r\n";
}

TEST(MsrpParserTest, ReadsTheRfcSend) {
  const FrameResult result = ParseFrame(kSend);
  ASSERT_EQ(result.kind, Kind::kMessage) << result.error;
  EXPECT_EQ(result.consumed, std::string(kSend).size());
  const MsrpMessage& m = result.message;
  EXPECT_TRUE(m.is_request);
  EXPECT_EQ(m.transaction_id, "a786hjs2");
  EXPECT_EQ(m.method, "SEND");
  EXPECT_EQ(m.to_path,
            std::vector<std::string>{"msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp"});
  EXPECT_EQ(m.from_path,
            std::vector<std::string>{"msrp://atlanta.example.com:7654/jshA7weztas;tcp"});
  EXPECT_EQ(m.message_id, "87652491");
  ASSERT_TRUE(m.byte_range.has_value());
  EXPECT_EQ(*m.byte_range, (ByteRange{1, 25, 25}));
  EXPECT_EQ(m.content_type, "text/plain");
  EXPECT_EQ(m.body, "Hey Bob, are you there?");
  EXPECT_EQ(m.continuation, Continuation::kEnd);
  EXPECT_TRUE(m.other_headers.empty());
}

TEST(MsrpParserTest, ReadsTheRfcResponse) {
  const FrameResult result = ParseFrame(kOk);
  ASSERT_EQ(result.kind, Kind::kMessage) << result.error;
  EXPECT_FALSE(result.message.is_request);
  EXPECT_EQ(result.message.status_code, 200);
  EXPECT_EQ(result.message.comment, "OK");
  EXPECT_TRUE(result.message.body.empty());
  EXPECT_TRUE(result.message.content_type.empty());
}

TEST(MsrpParserTest, ReadsTheRfcReport) {
  const FrameResult result = ParseFrame(kReport);
  ASSERT_EQ(result.kind, Kind::kMessage) << result.error;
  EXPECT_EQ(result.message.method, "REPORT");
  EXPECT_EQ(result.message.report_status, 200);
  EXPECT_EQ(result.message.report_comment, "OK");
  EXPECT_EQ(*result.message.byte_range, (ByteRange{1, 106, 106}));
}

TEST(MsrpParserTest, ResponseWithoutComment) {
  const FrameResult result = ParseFrame(
      "MSRP a786hjs2 481\r\nTo-Path: msrp://a.example:1/x;tcp\r\n"
      "From-Path: msrp://b.example:2/y;tcp\r\n-------a786hjs2$\r\n");
  ASSERT_EQ(result.kind, Kind::kMessage) << result.error;
  EXPECT_EQ(result.message.status_code, 481);
  EXPECT_EQ(result.message.comment, "");
}

TEST(MsrpParserTest, EveryPrefixNeedsMoreAndTheWholeIsOneMessage) {
  for (const std::string& frame : {std::string(kSend), std::string(kOk), std::string(kReport)}) {
    for (size_t cut = 0; cut < frame.size(); ++cut) {
      const FrameResult partial = ParseFrame(std::string_view(frame).substr(0, cut));
      ASSERT_EQ(partial.kind, Kind::kNeedMore) << "cut at " << cut << ": " << partial.error;
      EXPECT_EQ(partial.consumed, 0u);
    }
    EXPECT_EQ(ParseFrame(frame).kind, Kind::kMessage);
  }
}

// A message in two chunks as §5.1 describes them, each its own
// transaction, byte ranges telling where each goes.
TEST(MsrpParserTest, ChunksOfOneMessageBackToBack) {
  const std::string first = Send("d93kswow", "Hi, Alice! ", '+', "1-*/*");
  const std::string second = Send("dfdf3e8a", "I'm Bob!", '$', "12-19/19");
  const std::string stream = first + second;
  FrameResult one = ParseFrame(stream);
  ASSERT_EQ(one.kind, Kind::kMessage) << one.error;
  EXPECT_EQ(one.consumed, first.size());
  EXPECT_EQ(one.message.continuation, Continuation::kMore);
  EXPECT_EQ(one.message.body, "Hi, Alice! ");
  EXPECT_EQ(*one.message.byte_range, (ByteRange{1, std::nullopt, std::nullopt}));
  FrameResult two = ParseFrame(std::string_view(stream).substr(one.consumed));
  ASSERT_EQ(two.kind, Kind::kMessage) << two.error;
  EXPECT_EQ(two.consumed, second.size());
  EXPECT_EQ(two.message.continuation, Continuation::kEnd);
  EXPECT_EQ(two.message.body, "I'm Bob!");
  EXPECT_EQ(*two.message.byte_range, (ByteRange{12, 19, 19}));
}

TEST(MsrpParserTest, AbortedChunk) {
  const FrameResult result = ParseFrame(Send("abcd1234", "half a mess", '#'));
  ASSERT_EQ(result.kind, Kind::kMessage) << result.error;
  EXPECT_EQ(result.message.continuation, Continuation::kAbort);
}

// A body may hold CRLFs, dashes, another transaction's end-line and this
// one's without a flag and CRLF: only the exact sequence ends it.
TEST(MsrpParserTest, BodyWithFakeEndLines) {
  const std::string body =
      "line one\r\n-------othertid$\r\n"
      "-------abcd1234$ not at a line start\r\n"
      "-------abcd1234x\r\n"
      "\r\n-------abcd1234$no crlf\r\n"
      "\r\n-------abcd1234";
  const std::string frame = Send("abcd1234", body, '$');
  for (size_t cut = 0; cut < frame.size(); ++cut) {
    ASSERT_EQ(ParseFrame(std::string_view(frame).substr(0, cut)).kind, Kind::kNeedMore)
        << "cut at " << cut;
  }
  const FrameResult result = ParseFrame(frame);
  ASSERT_EQ(result.kind, Kind::kMessage) << result.error;
  EXPECT_EQ(result.message.body, body);
  EXPECT_EQ(result.consumed, frame.size());
}

TEST(MsrpParserTest, EmptyBodyAndBinaryBody) {
  FrameResult empty = ParseFrame(Send("abcd1234", "", '$', "1-0/0"));
  ASSERT_EQ(empty.kind, Kind::kMessage) << empty.error;
  EXPECT_EQ(empty.message.body, "");
  const std::string binary("\0\r\n\xff-\r\n--\0", 10);
  FrameResult bytes = ParseFrame(Send("abcd1234", binary, '$'));
  ASSERT_EQ(bytes.kind, Kind::kMessage) << bytes.error;
  EXPECT_EQ(bytes.message.body, binary);
}

TEST(MsrpParserTest, OtherHeadersAndUnknownMethodsAreKept) {
  const FrameResult result = ParseFrame(
      "MSRP abcd1234 NICKNAME\r\nTo-Path: msrp://a.example:1/x;tcp\r\n"
      "From-Path: msrp://b.example:2/y;tcp msrp://c.example:3/z;tcp\r\n"
      "Use-Nickname: \"Bob\"\r\nsuccess-report: Yes\r\nFailure-Report: partial\r\n"
      "-------abcd1234$\r\n");
  ASSERT_EQ(result.kind, Kind::kMessage) << result.error;
  EXPECT_EQ(result.message.method, "NICKNAME");
  EXPECT_EQ(result.message.from_path.size(), 2u);
  ASSERT_EQ(result.message.other_headers.size(), 1u);
  EXPECT_EQ(result.message.other_headers[0].first, "Use-Nickname");
  EXPECT_EQ(result.message.other_headers[0].second, "\"Bob\"");
  EXPECT_EQ(result.message.success_report, "yes");
  EXPECT_EQ(result.message.failure_report, "partial");
}

// What a stranger gets for bytes that are no MSRP: an error, 400 unless
// the body was too large, the transaction id when it was read.
void ExpectError(std::string_view frame, int status, std::string_view tid,
                 const ParseLimits& limits = {}) {
  const FrameResult result = ParseFrame(frame, limits);
  ASSERT_EQ(result.kind, Kind::kError) << frame;
  EXPECT_EQ(result.error_status, status) << frame;
  EXPECT_EQ(result.transaction_id, tid) << frame;
  EXPECT_FALSE(result.error.empty());
}

TEST(MsrpParserTest, MalformedStartLines) {
  ExpectError("GET / HTTP/1.1\r\n", 400, "");
  ExpectError("G", 400, "");
  ExpectError("msrp abcd1234 SEND\r\n", 400, "");
  ExpectError("MSRP abc SEND\r\n", 400, "");                                // tid too short
  ExpectError("MSRP abcdefghijklmnopqrstuvwxyz0123456 SEND\r\n", 400, "");  // 33 chars
  ExpectError("MSRP -abc1234 SEND\r\n", 400, "");                           // not ALPHANUM first
  ExpectError("MSRP abc/1234 SEND\r\n", 400, "");
  ExpectError("MSRP abcd1234\r\n", 400, "");
  ExpectError("MSRP abcd1234 send\r\n", 400, "abcd1234");
  ExpectError("MSRP abcd1234 SE ND\r\n", 400, "abcd1234");
  ExpectError("MSRP abcd1234 20 OK\r\n", 400, "abcd1234");
  ExpectError("MSRP abcd1234 2000 OK\r\n", 400, "abcd1234");
  ExpectError("MSRP abcd1234 099 OK\r\n", 400, "abcd1234");
  ExpectError(std::string("MSRP abcd1234 200 O\0K\r\n", 23), 400, "abcd1234");
}

constexpr char kPaths[] =
    "To-Path: msrp://a.example:1/x;tcp\r\nFrom-Path: msrp://b.example:2/y;tcp\r\n";

TEST(MsrpParserTest, MalformedHeaders) {
  const std::string start = "MSRP abcd1234 SEND\r\n";
  const std::string end = "-------abcd1234$\r\n";
  ExpectError(start + end, 400, "abcd1234");  // no paths
  ExpectError(
      start + "From-Path: msrp://b.example:2/y;tcp\r\nTo-Path: msrp://a.example:1/x;tcp\r\n" + end,
      400, "abcd1234");
  ExpectError(start + "Message-ID: abcd\r\n" + kPaths + end, 400, "abcd1234");
  ExpectError(
      start + "To-Path: http://a.example/x\r\nFrom-Path: msrp://b.example:2/y;tcp\r\n" + end, 400,
      "abcd1234");
  ExpectError(start + "To-Path:\r\nFrom-Path: msrp://b.example:2/y;tcp\r\n" + end, 400, "abcd1234");
  ExpectError(start + kPaths + "To-Path: msrp://a.example:1/x;tcp\r\n" + end, 400, "abcd1234");
  ExpectError(start + kPaths + "Message-ID: ab\r\n" + end, 400, "abcd1234");
  ExpectError(start + kPaths + "Message-ID: abcd\r\nMessage-ID: efgh\r\n" + end, 400, "abcd1234");
  ExpectError(start + kPaths + "Byte-Range: 0-1/1\r\n" + end, 400, "abcd1234");
  ExpectError(start + kPaths + "Byte-Range: 1-5/4\r\n" + end, 400, "abcd1234");
  ExpectError(start + kPaths + "Byte-Range: 5-3/10\r\n" + end, 400, "abcd1234");
  ExpectError(start + kPaths + "Byte-Range: 1-99999999999999999999/*\r\n" + end, 400, "abcd1234");
  ExpectError(start + kPaths + "Byte-Range: 1-*\r\n" + end, 400, "abcd1234");
  ExpectError(start + kPaths + "Success-Report: partial\r\n" + end, 400, "abcd1234");
  ExpectError(start + kPaths + "Failure-Report: maybe\r\n" + end, 400, "abcd1234");
  ExpectError(start + kPaths + "Status: 200 OK\r\n" + end, 400, "abcd1234");
  ExpectError(start + kPaths + "Content-Type: text\r\n\r\nx\r\n" + end, 400, "abcd1234");
  ExpectError(start + kPaths + "No colon here\r\n" + end, 400, "abcd1234");
  ExpectError(start + kPaths + "1Bad: x\r\n" + end, 400, "abcd1234");
  ExpectError(start + kPaths + "X-Bell: \a\r\n" + end, 400, "abcd1234");
  ExpectError(start + kPaths + "-------abcd1234?\r\n", 400, "abcd1234");
  ExpectError(start + kPaths + "-------other123$\r\n", 400, "abcd1234");
}

TEST(MsrpParserTest, BodyRules) {
  const std::string start = "MSRP abcd1234 SEND\r\n";
  // A body with no Content-Type, a Content-Type with no body, a header
  // after Content-Type, a response with a body.
  ExpectError(start + kPaths + "\r\nhello\r\n-------abcd1234$\r\n", 400, "abcd1234");
  ExpectError(start + kPaths + "Content-Type: text/plain\r\n-------abcd1234$\r\n", 400, "abcd1234");
  ExpectError(start + kPaths + "Content-Type: text/plain\r\nMessage-ID: abcd\r\n\r\nx\r\n" +
                  "-------abcd1234$\r\n",
              400, "abcd1234");
  ExpectError(std::string("MSRP abcd1234 200 OK\r\n") + kPaths +
                  "Content-Type: text/plain\r\n\r\nx\r\n-------abcd1234$\r\n",
              400, "abcd1234");
}

TEST(MsrpParserTest, HeaderBlockLimit) {
  ParseLimits limits;
  limits.max_header_bytes = 200;
  std::string frame = "MSRP abcd1234 SEND\r\n" + std::string(kPaths) + "X-Pad: ";
  // Still under the limit: more may come.
  EXPECT_EQ(ParseFrame(frame, limits).kind, Kind::kNeedMore);
  // The limit reached without the line ending: refused before the rest.
  frame += std::string(200, 'p');
  ExpectError(frame, 400, "abcd1234", limits);
  // A start line alone longer than the limit: no transaction id read.
  ExpectError("MSRP " + std::string(300, 'a'), 400, "", limits);
  // Many short headers.
  limits = {};
  limits.max_headers = 4;
  std::string many = "MSRP abcd1234 SEND\r\n" + std::string(kPaths);
  for (int i = 0; i < 3; ++i) many += "X-H: v\r\n";
  ExpectError(many, 400, "abcd1234", limits);
  limits.max_path_uris = 2;
  limits.max_headers = 32;
  ExpectError(
      "MSRP abcd1234 SEND\r\nTo-Path: msrp://a:1/x;tcp msrp://a:1/y;tcp msrp://a:1/z;tcp\r\n", 400,
      "abcd1234", limits);
}

TEST(MsrpParserTest, BodyLimit) {
  ParseLimits limits;
  limits.max_body_bytes = 100;
  // Exactly at the limit is fine.
  const FrameResult fits = ParseFrame(Send("abcd1234", std::string(100, 'b'), '$'), limits);
  ASSERT_EQ(fits.kind, Kind::kMessage) << fits.error;
  // One byte more is 413, whether the end-line came or not.
  ExpectError(Send("abcd1234", std::string(101, 'b'), '$'), 413, "abcd1234", limits);
  std::string endless = Send("abcd1234", std::string(101, 'b'), '$');
  endless.resize(endless.size() - 20);
  ExpectError(endless + std::string(100, 'b'), 413, "abcd1234", limits);
  // A Byte-Range that says the chunk is too large is refused before its body.
  std::string announced = Send("abcd1234", "", '$', "1-500/500");
  announced.resize(announced.find("\r\n\r\n") + 4);
  ExpectError(announced, 413, "abcd1234", limits);
}

TEST(MsrpParserTest, IpAndHostnameUrisInPaths) {
  const FrameResult result = ParseFrame(
      "MSRP abcd1234 SEND\r\nTo-Path: msrp://[2001:db8::1]:2855/s1;tcp\r\n"
      "From-Path: msrps://alice@Host-1.example.com:443/abc+=/x;TCP;ext=1\r\n"
      "-------abcd1234$\r\n");
  ASSERT_EQ(result.kind, Kind::kMessage) << result.error;
  EXPECT_EQ(result.message.to_path[0], "msrp://[2001:db8::1]:2855/s1;tcp");
}

}  // namespace
}  // namespace tutti::msrp
