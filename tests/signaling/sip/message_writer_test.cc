#include "signaling/sip/message_writer.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "signaling/sip/sip_parser.h"

namespace tutti::sip {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kRequest[] =
    "INVITE sip:1000@h SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-1;rport\r\n"
    "Via: SIP/2.0/UDP proxy.example;branch=z9hG4bK-0\r\n"
    "From: <sip:a@h>;tag=1\r\n"
    "To: <sip:1000@h>\r\n"
    "Call-ID: c1\r\n"
    "CSeq: 7 INVITE\r\n"
    "Timestamp: 54\r\n"
    "Content-Length: 0\r\n\r\n";

SipMessage Parse(std::string text) {
  ParseOutcome outcome = ParseSipMessage(std::move(text));
  EXPECT_TRUE(outcome.ok()) << outcome.reject_reason;
  return outcome.message;
}

TEST(MessageWriterTest, RequestRoundTripsThroughTheParser) {
  std::string text = MessageWriter::Request(Method::kBye, "sip:alice@192.0.2.1")
                         .Header(HeaderId::kVia, "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-x")
                         .Header("From", "<sip:1000@h>;tag=srv")
                         .Header(HeaderId::kTo, "<sip:a@h>;tag=1")
                         .Header(HeaderId::kCallId, "c1")
                         .Header(HeaderId::kCSeq, "1 BYE")
                         .Finish();
  EXPECT_THAT(text, ::testing::StartsWith("BYE sip:alice@192.0.2.1 SIP/2.0\r\n"));
  EXPECT_THAT(text, ::testing::EndsWith("Content-Length: 0\r\n\r\n"));
  SipMessage message = Parse(text);
  EXPECT_EQ(message.method(), Method::kBye);
  EXPECT_EQ(message.to().tag, "1");
}

TEST(MessageWriterTest, BodyGetsTypeAndLength) {
  std::string text = MessageWriter::Response(200).Finish("v=0\r\n", "application/sdp");
  EXPECT_THAT(text, HasSubstr("SIP/2.0 200 OK\r\n"));
  EXPECT_THAT(text, HasSubstr("Content-Type: application/sdp\r\nContent-Length: 5\r\n\r\nv=0\r\n"));
}

TEST(MessageWriterTest, ResponseToCopiesViasAndTagsTo) {
  SipMessage request = Parse(kRequest);
  std::string text = ResponseTo(request, 486, {}, "srvtag").Finish();
  SipMessage response = Parse(text);
  EXPECT_EQ(response.status_code(), 486);
  EXPECT_EQ(response.reason_phrase(), "Busy Here");
  EXPECT_EQ(response.CountHeaders(HeaderId::kVia), 2);
  EXPECT_EQ(response.top_via().branch, "z9hG4bK-1");
  EXPECT_EQ(response.to().tag, "srvtag");
  EXPECT_EQ(response.call_id(), "c1");
  EXPECT_EQ(response.cseq().number, 7u);
  EXPECT_EQ(response.FindHeader(HeaderId::kTimestamp), nullptr);
}

TEST(MessageWriterTest, TryingEchoesTimestampAndNeedsNoTag) {
  SipMessage request = Parse(kRequest);
  std::string text = ResponseTo(request, 100, {}, "srvtag").Finish();
  EXPECT_THAT(text, HasSubstr("Timestamp: 54\r\n"));
  EXPECT_THAT(text, Not(HasSubstr("srvtag")));
}

TEST(MessageWriterTest, StampedTopViaReplacesOnlyTheFirst) {
  SipMessage request = Parse(kRequest);
  std::string text =
      ResponseTo(request, 400, "Missing Thing", "t",
                 "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-1;rport=4000;received=198.51.100.7")
          .Finish();
  SipMessage response = Parse(text);
  EXPECT_EQ(response.reason_phrase(), "Missing Thing");
  EXPECT_EQ(response.top_via().rport, 4000);
  EXPECT_EQ(response.top_via().received, "198.51.100.7");
  EXPECT_THAT(text, HasSubstr("Via: SIP/2.0/UDP proxy.example;branch=z9hG4bK-0\r\n"));
}

TEST(MessageWriterTest, ExistingToTagIsKept) {
  std::string in_dialog(kRequest);
  in_dialog.replace(in_dialog.find("To: <sip:1000@h>"), 16, "To: <sip:1000@h>;tag=old");
  SipMessage response = Parse(ResponseTo(Parse(in_dialog), 200, {}, "new").Finish());
  EXPECT_EQ(response.to().tag, "old");
}

TEST(DefaultReasonPhraseTest, KnownAndUnknownCodes) {
  EXPECT_EQ(DefaultReasonPhrase(488), "Not Acceptable Here");
  EXPECT_EQ(DefaultReasonPhrase(503), "Service Unavailable");
  EXPECT_EQ(DefaultReasonPhrase(299), "Unknown");
}

}  // namespace
}  // namespace tutti::sip
