#include "signaling/sip/sip_parser.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tutti::sip {
namespace {

using ::testing::HasSubstr;

// Builds a message from lines joined by CRLF, ending the header section.
std::string Message(std::initializer_list<std::string_view> lines, std::string_view body = "") {
  std::string text;
  for (std::string_view line : lines) {
    text.append(line);
    text.append("\r\n");
  }
  text.append("\r\n");
  text.append(body);
  return text;
}

constexpr std::string_view kSdp =
    "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\n"
    "t=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";

std::string Invite(std::string_view extra_header = "", std::string_view cseq = "1 INVITE") {
  std::string text =
      "INVITE sip:1000@tutti.example SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-1;rport\r\n"
      "Max-Forwards: 70\r\n"
      "From: \"Alice\" <sip:alice@example.com>;tag=1928301774\r\n"
      "To: <sip:1000@tutti.example>\r\n"
      "Call-ID: a84b4c76e66710@pc33.example.com\r\n";
  text += "CSeq: ";
  text += cseq;
  text += "\r\nContact: <sip:alice@192.0.2.1:5060>\r\nContent-Type: application/sdp\r\n";
  text += extra_header;
  text += "Content-Length: " + std::to_string(kSdp.size()) + "\r\n\r\n";
  text += kSdp;
  return text;
}

TEST(SipParserTest, ParsesTypicalInvite) {
  ParseOutcome outcome = ParseSipMessage(Invite());
  ASSERT_TRUE(outcome.ok()) << outcome.reject_reason;
  const SipMessage& message = outcome.message;
  EXPECT_TRUE(message.is_request());
  EXPECT_EQ(message.method(), Method::kInvite);
  EXPECT_EQ(message.method_name(), "INVITE");
  EXPECT_EQ(message.request_uri_text(), "sip:1000@tutti.example");
  EXPECT_EQ(message.request_uri().user, "1000");
  EXPECT_EQ(message.top_via().branch, "z9hG4bK-1");
  EXPECT_TRUE(message.top_via().has_rport);
  EXPECT_EQ(message.from().display_name, "Alice");
  EXPECT_EQ(message.from().tag, "1928301774");
  EXPECT_TRUE(message.to().tag.empty());
  EXPECT_EQ(message.call_id(), "a84b4c76e66710@pc33.example.com");
  EXPECT_EQ(message.cseq().number, 1u);
  EXPECT_EQ(message.cseq().method, Method::kInvite);
  EXPECT_EQ(message.max_forwards(), 70);
  EXPECT_EQ(message.content_type(), "application/sdp");
  EXPECT_EQ(message.body(), kSdp);
  EXPECT_EQ(message.HeaderValue(HeaderId::kContact), "<sip:alice@192.0.2.1:5060>");
}

TEST(SipParserTest, ViewsSurviveCopiesOfTheMessage) {
  SipMessage copy;
  {
    ParseOutcome outcome = ParseSipMessage(Invite());
    ASSERT_TRUE(outcome.ok());
    copy = outcome.message;
  }
  EXPECT_EQ(copy.call_id(), "a84b4c76e66710@pc33.example.com");
  EXPECT_EQ(copy.body(), kSdp);
}

TEST(SipParserTest, ShortMessagesKeepViewsValid) {
  // Small enough for the string's inline buffer: the parser must not keep
  // views into a moved-from string.
  ParseOutcome outcome = ParseSipMessage("SIP/2.0 100\r\n\r\n");
  EXPECT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.message.status_code(), 100);
}

TEST(SipParserTest, ParsesResponse) {
  ParseOutcome outcome = ParseSipMessage(Message({
      "SIP/2.0 180 Ringing",
      "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-1;received=192.0.2.1",
      "From: <sip:a@example.com>;tag=1",
      "To: <sip:b@example.com>;tag=2",
      "Call-ID: x",
      "CSeq: 4 INVITE",
      "Content-Length: 0",
  }));
  ASSERT_TRUE(outcome.ok()) << outcome.reject_reason;
  EXPECT_TRUE(outcome.message.is_response());
  EXPECT_EQ(outcome.message.status_code(), 180);
  EXPECT_EQ(outcome.message.reason_phrase(), "Ringing");
  EXPECT_EQ(outcome.message.to().tag, "2");
  EXPECT_FALSE(outcome.answerable);
}

TEST(SipParserTest, CompactFormsAndFoldedLines) {
  ParseOutcome outcome = ParseSipMessage(Message({
      "OPTIONS sip:1000@tutti.example SIP/2.0",
      "v: SIP/2.0/TCP 192.0.2.1;branch=z9hG4bK-a,",
      "  SIP/2.0/UDP 192.0.2.2;branch=z9hG4bK-b",
      "f: <sip:a@example.com>",
      "\t;tag=77",
      "t: sip:1000@tutti.example",
      "i: compact@host",
      "CSeq: 2",
      "  OPTIONS",
      "s: hello",
      "k: timer, replaces",
      "l: 0",
  }));
  ASSERT_TRUE(outcome.ok()) << outcome.reject_reason;
  const SipMessage& message = outcome.message;
  EXPECT_EQ(message.CountHeaders(HeaderId::kVia), 2);
  EXPECT_EQ(message.top_via().transport, "TCP");
  EXPECT_EQ(message.from().tag, "77");
  EXPECT_EQ(message.call_id(), "compact@host");
  EXPECT_EQ(message.cseq().method, Method::kOptions);
  EXPECT_EQ(message.CountHeaders(HeaderId::kSupported), 2);
  ASSERT_NE(message.FindHeader("Subject"), nullptr);
  EXPECT_EQ(message.FindHeader("subject")->value, "hello");
  EXPECT_EQ(message.FindHeader("Content-Length"), message.FindHeader(HeaderId::kContentLength));
}

TEST(SipParserTest, CommasInsideQuotesAndBracketsDoNotSplitLists) {
  ParseOutcome outcome = ParseSipMessage(Message({
      "INVITE sip:1000@h SIP/2.0",
      "Via: SIP/2.0/UDP h;branch=z9hG4bK-1",
      "From: <sip:a@h>;tag=1",
      "To: <sip:1000@h>",
      "Call-ID: c",
      "CSeq: 1 INVITE",
      R"(Contact: "Smith, John" <sip:john@h>, <sip:j@h;x=a,b>)",
      "Route: <sip:p1@h;lr>,<sip:p2@h;lr>",
      "Content-Length: 0",
  }));
  // The second Contact's URI param value holds a comma, which is not a valid
  // paramchar: the request is rejected, but the split kept it in one element.
  ASSERT_FALSE(outcome.ok());
  std::vector<std::string_view> contacts;
  for (const HeaderField& field : outcome.message.headers()) {
    if (field.id == HeaderId::kContact) contacts.push_back(field.value);
  }
  EXPECT_THAT(contacts, ::testing::ElementsAre(R"("Smith, John" <sip:john@h>)", "<sip:j@h;x=a,b>"));
  EXPECT_EQ(outcome.message.CountHeaders(HeaderId::kRoute), 2);
  EXPECT_THAT(outcome.reject_reason, HasSubstr("Contact"));
}

TEST(SipParserTest, DatagramWithoutContentLengthTakesTheRest) {
  std::string text =
      Message({"MESSAGE sip:1000@h SIP/2.0", "Via: SIP/2.0/UDP h;branch=z9hG4bK-1",
               "From: <sip:a@h>;tag=1", "To: <sip:1000@h>", "Call-ID: c", "CSeq: 1 MESSAGE"},
              "hello");
  ParseOutcome datagram = ParseSipMessage(text, Framing::kDatagram);
  ASSERT_TRUE(datagram.ok());
  EXPECT_EQ(datagram.message.body(), "hello");
  ParseOutcome stream = ParseSipMessage(text, Framing::kStream);
  ASSERT_TRUE(stream.ok());
  EXPECT_EQ(stream.message.body(), "");
}

TEST(SipParserTest, BytesBeyondContentLengthAreDiscarded) {
  std::string text = Invite() + "garbage after the body";
  ParseOutcome outcome = ParseSipMessage(text);
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome.message.body(), kSdp);
}

TEST(SipParserTest, BareLineFeedsAndLeadingKeepalives) {
  ParseOutcome outcome = ParseSipMessage(
      "\r\n\r\nOPTIONS sip:h SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK-1\nFrom: <sip:a@h>;tag=1\n"
      "To: <sip:h>\nCall-ID: c\nCSeq: 1 OPTIONS\nContent-Length: 0\n\n");
  ASSERT_TRUE(outcome.ok()) << outcome.reject_reason;
  EXPECT_EQ(outcome.message.method(), Method::kOptions);
}

struct RejectCase {
  std::string name;
  std::string text;
  int status;
  std::string reason_part;
  bool answerable;
};

std::string Replace(std::string text, std::string_view from, std::string_view to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

class SipParserRejectTest : public ::testing::TestWithParam<RejectCase> {};

TEST_P(SipParserRejectTest, RejectsWithReason) {
  const RejectCase& c = GetParam();
  ParseOutcome outcome = ParseSipMessage(c.text);
  EXPECT_EQ(outcome.reject_status, c.status) << outcome.reject_reason;
  EXPECT_THAT(outcome.reject_reason, HasSubstr(c.reason_part));
  EXPECT_EQ(outcome.answerable, c.answerable);
}

INSTANTIATE_TEST_SUITE_P(
    Faults, SipParserRejectTest,
    ::testing::Values(
        RejectCase{"CSeqMismatch", Invite("", "1 BYE"), 400,
                   "CSeq method does not match request method", true},
        RejectCase{"ContentLengthTooLarge",
                   Replace(Invite(), "Content-Length: " + std::to_string(kSdp.size()),
                           "Content-Length: 9999"),
                   400, "Content-Length exceeds body", true},
        RejectCase{"NegativeContentLength",
                   Replace(Invite(), "Content-Length: " + std::to_string(kSdp.size()),
                           "Content-Length: -1"),
                   400, "Content-Length", true},
        RejectCase{"MissingCallId",
                   Replace(Invite(), "Call-ID: a84b4c76e66710@pc33.example.com\r\n", ""), 400,
                   "Missing Call-ID", false},
        RejectCase{
            "MissingVia",
            Replace(Invite(), "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-1;rport\r\n", ""),
            400, "Missing Via", false},
        RejectCase{"BadVia", Replace(Invite(), "SIP/2.0/UDP 192.0.2.1:5060", "SIP/2.0/UDP"), 400,
                   "Malformed Via", false},
        RejectCase{"TwoCallIds", Invite("Call-ID: other@x\r\n"), 400, "Multiple Call-ID", true},
        RejectCase{"BadMaxForwards", Replace(Invite(), "Max-Forwards: 70", "Max-Forwards: 300"),
                   400, "Max-Forwards", true},
        RejectCase{"UnterminatedFromQuote", Replace(Invite(), "\"Alice\" <sip:", "\"Alice <sip:"),
                   400, "From", true},
        RejectCase{"VersionNotSupported",
                   Replace(Invite(), "tutti.example SIP/2.0", "tutti.example SIP/7.0"), 505,
                   "Version", true},
        RejectCase{"TwoSpacesInRequestLine", Replace(Invite(), "INVITE sip:", "INVITE  sip:"), 400,
                   "Request-Line", true},
        RejectCase{"AngleBracketsAroundRequestUri",
                   Replace(Invite(), "sip:1000@tutti.example SIP", "<sip:1000@tutti.example> SIP"),
                   400, "Request-URI", true},
        RejectCase{"UnknownScheme",
                   Replace(Invite(), "INVITE sip:1000@", "INVITE soap.beep://1000@"), 416,
                   "Unsupported URI Scheme", true},
        RejectCase{"HeaderWithoutColon", Invite("Garbage line\r\n"), 400, "header line", true},
        RejectCase{"BadStatusCode", Message({"SIP/2.0 4294967301 No", "Via: SIP/2.0/UDP h"}), 400,
                   "Status-Line", false},
        RejectCase{"Empty", "\r\n\r\n", 400, "Empty", false}),
    [](const auto& param_info) { return param_info.param.name; });

// Carriers call numbers as tel: URIs (RFC 3966): taken, not 416.
TEST(SipParserTest, ATelRequestUriIsTaken) {
  ParseOutcome outcome = ParseSipMessage(
      Replace(Invite(), "INVITE sip:1000@tutti.example", "INVITE tel:+442079460001"));
  ASSERT_TRUE(outcome.ok()) << outcome.reject_reason;
  EXPECT_EQ(outcome.message.request_uri().scheme, "tel");
  EXPECT_EQ(outcome.message.request_uri().opaque, "+442079460001");
}

TEST(SipParserTest, TooManyHeaderFieldsIsRejected) {
  std::string extra;
  for (int i = 0; i < 300; ++i) extra += "X-Filler: " + std::to_string(i) + "\r\n";
  ParseOutcome outcome = ParseSipMessage(Invite(extra));
  EXPECT_EQ(outcome.reject_status, 400);
  EXPECT_THAT(outcome.reject_reason, HasSubstr("Too many"));
}

}  // namespace
}  // namespace tutti::sip
