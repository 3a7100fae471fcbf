#include <cctype>
#include <set>
#include <string>

#include "gtest/gtest.h"
#include "signaling/msrp/msrp_message.h"
#include "tests/signaling/msrp/rfc4975_examples.h"

namespace tutti::msrp {
namespace {

MsrpMessage RfcSend() {
  MsrpMessage m;
  m.transaction_id = "a786hjs2";
  m.method = "SEND";
  m.to_path = {"msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp"};
  m.from_path = {"msrp://atlanta.example.com:7654/jshA7weztas;tcp"};
  m.message_id = "87652491";
  m.byte_range = ByteRange{1, 25, 25};
  m.content_type = "text/plain";
  m.body = "Hey Bob, are you there?";
  return m;
}

// RFC 4975 §7.1, byte for byte.
TEST(MsrpWriterTest, WritesTheRfcSend) { EXPECT_EQ(WriteMessage(RfcSend()), rfc4975::kSend); }

// §7.2: back one hop to the first From-Path URI, from the URI the
// request was sent to; the same transaction id; no body.
TEST(MsrpWriterTest, ResponseGoesBackToTheFirstFromPathUri) {
  MsrpMessage request = RfcSend();
  request.from_path.push_back("msrp://alice.example.com:9/far;tcp");
  EXPECT_EQ(WriteResponse(request, 200, "OK"), rfc4975::kOk);
  EXPECT_EQ(WriteResponse(request, 481, ""),
            "MSRP a786hjs2 481\r\n"
            "To-Path: msrp://atlanta.example.com:7654/jshA7weztas;tcp\r\n"
            "From-Path: msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp\r\n"
            "-------a786hjs2$\r\n");
}

// §7.1.2: a REPORT of its own transaction, naming the message and the
// bytes it covers, Status in the 000 namespace.
TEST(MsrpWriterTest, ReportParsesBackAsWritten) {
  const std::string text = WriteReport({"msrp://alicepc.example.com:7777/iau39soe2843z;tcp"},
                                       {"msrp://bobpc.example.com:8888/9di4eae923wzd;tcp"},
                                       "12339sdqwer", ByteRange{1, 106, 106}, 200, "OK");
  const FrameResult result = ParseFrame(text);
  ASSERT_EQ(result.kind, FrameResult::Kind::kMessage) << result.error;
  const MsrpMessage& m = result.message;
  EXPECT_EQ(m.method, "REPORT");
  EXPECT_EQ(m.to_path[0], "msrp://alicepc.example.com:7777/iau39soe2843z;tcp");
  EXPECT_EQ(m.from_path[0], "msrp://bobpc.example.com:8888/9di4eae923wzd;tcp");
  EXPECT_EQ(m.message_id, "12339sdqwer");
  EXPECT_EQ(*m.byte_range, (ByteRange{1, 106, 106}));
  EXPECT_EQ(m.report_status, 200);
  EXPECT_EQ(m.report_comment, "OK");
  EXPECT_TRUE(m.body.empty());
  EXPECT_NE(text.find("\r\nStatus: 000 200 OK\r\n"), std::string::npos);
  EXPECT_NE(text.find("\r\nByte-Range: 1-106/106\r\n"), std::string::npos);
  EXPECT_NE(WriteReport({"msrp://a:1/x;tcp"}, {"msrp://b:2/y;tcp"}, "abcd1234",
                        ByteRange{1, std::nullopt, std::nullopt}, 413, "")
                .find("\r\nByte-Range: 1-*/*\r\nStatus: 000 413\r\n"),
            std::string::npos);
}

TEST(MsrpWriterTest, RoundTripsEveryField) {
  MsrpMessage m = RfcSend();
  m.transaction_id = "x.y-z+w%=1";
  m.byte_range = ByteRange{26, std::nullopt, 100};
  m.success_report = "yes";
  m.failure_report = "partial";
  m.other_headers = {{"Content-Disposition", "render"}, {"X-Empty", ""}};
  m.body = "two\r\nlines and -------x.y-z+w%=1+ almost an end-line";
  m.continuation = Continuation::kMore;
  const std::string text = WriteMessage(m);
  const FrameResult result = ParseFrame(text);
  ASSERT_EQ(result.kind, FrameResult::Kind::kMessage) << result.error;
  EXPECT_EQ(result.consumed, text.size());
  const MsrpMessage& r = result.message;
  EXPECT_EQ(r.transaction_id, m.transaction_id);
  EXPECT_EQ(r.to_path, m.to_path);
  EXPECT_EQ(r.from_path, m.from_path);
  EXPECT_EQ(r.message_id, m.message_id);
  EXPECT_EQ(r.byte_range, m.byte_range);
  EXPECT_EQ(r.success_report, m.success_report);
  EXPECT_EQ(r.failure_report, m.failure_report);
  EXPECT_EQ(r.other_headers, m.other_headers);
  EXPECT_EQ(r.content_type, m.content_type);
  EXPECT_EQ(r.body, m.body);
  EXPECT_EQ(r.continuation, Continuation::kMore);
}

TEST(MsrpWriterTest, IdsAreLongRandomIdents) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    for (const std::string& id : {NewTransactionId(), NewMessageId(), NewSessionId()}) {
      // ident (§9) fits a start line and an end-line; 16+ of 62 symbols
      // are 95+ bits.
      EXPECT_GE(id.size(), 16u);
      EXPECT_LE(id.size(), 32u);
      for (char c : id) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c))) << id;
      EXPECT_TRUE(seen.insert(id).second) << "repeated " << id;
    }
  }
  // A written message with fresh ids parses.
  MsrpMessage m = RfcSend();
  m.transaction_id = NewTransactionId();
  m.message_id = NewMessageId();
  EXPECT_EQ(ParseFrame(WriteMessage(m)).kind, FrameResult::Kind::kMessage);
}

TEST(MsrpUriTest, ParsesTheForms) {
  auto uri = ParseUri("msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp");
  ASSERT_TRUE(uri);
  EXPECT_FALSE(uri->secure);
  EXPECT_EQ(uri->host, "biloxi.example.com");
  EXPECT_EQ(uri->port, 12763);
  EXPECT_EQ(uri->session_id, "kjhd37s2s20w2a");
  EXPECT_EQ(uri->transport, "tcp");

  uri = ParseUri("MSRPS://bob@[2001:DB8::7]:2855/a+b=c/d;TCP;x=y");
  ASSERT_TRUE(uri);
  EXPECT_TRUE(uri->secure);
  EXPECT_EQ(uri->host, "2001:DB8::7");
  EXPECT_EQ(uri->port, 2855);
  EXPECT_EQ(uri->session_id, "a+b=c/d");
  EXPECT_EQ(uri->transport, "tcp");
  EXPECT_EQ(FormatUri(*uri), "msrps://[2001:DB8::7]:2855/a+b=c/d;tcp");

  uri = ParseUri("msrp://192.0.2.1:7/s;tcp");
  ASSERT_TRUE(uri);
  EXPECT_EQ(uri->host, "192.0.2.1");
  // A relay's URI has no session id (RFC 4976); the port may be left out.
  uri = ParseUri("msrps://relay.example.net;tcp");
  ASSERT_TRUE(uri);
  EXPECT_EQ(uri->port, 0);
  EXPECT_EQ(uri->session_id, "");
  EXPECT_EQ(FormatUri(*uri), "msrps://relay.example.net;tcp");
}

TEST(MsrpUriTest, RefusesMalformed) {
  for (const char* bad : {"",
                          "msrp://",
                          "sip:alice@example.com",
                          "msrp://host:12/sid",
                          "msrp://host:12/sid;",
                          "msrp://:12/sid;tcp",
                          "msrp://host:/sid;tcp",
                          "msrp://host:0/sid;tcp",
                          "msrp://host:65536/sid;tcp",
                          "msrp://host:12a/sid;tcp",
                          "msrp://[::1/sid;tcp",
                          "msrp://[zz::1]:1/sid;tcp",
                          "msrp://[::1]x/sid;tcp",
                          "msrp://ho st:1/sid;tcp",
                          "msrp://host:1/;tcp",
                          "msrp://host:1/s id;tcp",
                          "msrp://host:1/sid;tcp;",
                          "msrp://host:1/sid;t cp",
                          "msrp://host:1/sid;tcp\r\nX: y",
                          "msrp://a<b>@host:1/s;tcp"}) {
    EXPECT_FALSE(ParseUri(bad)) << bad;
  }
  EXPECT_FALSE(ParseUri("msrp://" + std::string(600, 'a') + ":1/s;tcp"));
}

TEST(MsrpUriTest, SameUriFollowsSection61) {
  const auto same = [](std::string_view a, std::string_view b) {
    return SameUri(*ParseUri(a), *ParseUri(b));
  };
  EXPECT_TRUE(same("msrp://Host.Example:1/sid;tcp", "MSRP://host.example:1/sid;TCP"));
  EXPECT_TRUE(same("msrp://alice@host:1/sid;tcp", "msrp://host:1/sid;tcp;x=1"));
  EXPECT_TRUE(same("msrp://[::1]:1/sid;tcp", "msrp://[0:0::1]:1/sid;tcp"));
  EXPECT_FALSE(same("msrp://host:1/sid;tcp", "msrp://host:1/SID;tcp"));
  EXPECT_FALSE(same("msrp://host:1/sid;tcp", "msrp://host:2/sid;tcp"));
  EXPECT_FALSE(same("msrp://host:1/sid;tcp", "msrps://host:1/sid;tcp"));
  EXPECT_FALSE(same("msrp://host:1/sid;tcp", "msrp://other:1/sid;tcp"));
  EXPECT_FALSE(same("msrp://host:1/sid;tcp", "msrp://host:1/sid;sctp"));
  EXPECT_FALSE(same("msrp://[::1]:1/sid;tcp", "msrp://[::2]:1/sid;tcp"));
}

}  // namespace
}  // namespace tutti::msrp
