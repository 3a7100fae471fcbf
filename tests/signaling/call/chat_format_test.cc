// chat_format: the checks on what a sender sends, the From display name,
// the CPIM wrapping per member and the event's JSON.
#include "signaling/call/chat_format.h"

#include <string>

#include "common/strings.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "signaling/msrp/cpim.h"
#include "tests/signaling/call/call_fakes.h"

namespace tutti {
namespace {

using ::testing::HasSubstr;

TEST(ChatFormatTest, MediaTypesCompareWithoutCaseOrParameters) {
  EXPECT_EQ(MediaTypeOf(" Text/Plain ; charset=UTF-8"), "text/plain");
  EXPECT_TRUE(TypeListed("TEXT/plain;charset=utf-8", {"text/plain"}));
  EXPECT_FALSE(TypeListed("text/html", {"text/plain", "message/cpim"}));
}

TEST(ChatFormatTest, CpimIsAcceptedOnlyWhenAnAcceptHeaderNamesIt) {
  const std::string base =
      "INVITE sip:1000@h SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"
      "From: <sip:a@b>;tag=1\r\nTo: <sip:1000@h>\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\n";
  EXPECT_FALSE(AcceptsCpim(fakes::Parse(base + "Content-Length: 0\r\n\r\n")));
  EXPECT_FALSE(AcceptsCpim(fakes::Parse(base + "Accept: */*\r\nContent-Length: 0\r\n\r\n")));
  EXPECT_TRUE(AcceptsCpim(
      fakes::Parse(base + "Accept: application/sdp, Message/CPIM\r\nContent-Length: 0\r\n\r\n")));
}

TEST(ChatFormatTest, Utf8) {
  EXPECT_TRUE(IsUtf8("plain ascii"));
  EXPECT_TRUE(IsUtf8("gr\xC3\xBC\xC3\x9F \xE2\x82\xAC \xF0\x9F\x98\x80"));
  EXPECT_FALSE(IsUtf8("\xC3"));          // cut short
  EXPECT_FALSE(IsUtf8("\xC0\xAF"));      // overlong '/'
  EXPECT_FALSE(IsUtf8("\xED\xA0\x80"));  // a surrogate
  EXPECT_FALSE(IsUtf8("\xFF"));
}

TEST(ChatFormatTest, DisplayNamesAreQuotedBoundedAndHaveNoControls) {
  EXPECT_EQ(QuotedDisplayName(""), "");
  EXPECT_EQ(QuotedDisplayName("Al \"the\" \\ one"), "\"Al \\\"the\\\" \\\\ one\"");
  EXPECT_EQ(QuotedDisplayName("a\r\nb\x7F"), "\"ab\"");
  EXPECT_EQ(QuotedDisplayName(std::string(100, 'x')).size(), 64u + 2);
}

TEST(ChatFormatTest, TheFromHeaderGetsTheSendersName) {
  const std::string request =
      "MESSAGE sip:b@h SIP/2.0\r\nFrom: <sip:1000@h>;tag=abc\r\nTo: <sip:b@h>;tag=t\r\n\r\n";
  EXPECT_EQ(WithFromDisplayName(request, "Ann"),
            "MESSAGE sip:b@h SIP/2.0\r\nFrom: \"Ann\" <sip:1000@h>;tag=abc\r\nTo: <sip:b@h>;tag=t"
            "\r\n\r\n");
  const std::string named = "X\r\nFrom: \"Room\" <sip:1000@h>;tag=abc\r\n\r\n";
  EXPECT_EQ(WithFromDisplayName(named, "Bo"), "X\r\nFrom: \"Bo\" <sip:1000@h>;tag=abc\r\n\r\n");
  EXPECT_EQ(WithFromDisplayName(request, ""), request);
}

TEST(ChatFormatTest, CpimWrapsForMembersThatAcceptIt) {
  msrp::ChatMessage message;
  message.sender_uri = "sip:ann@example.com";
  message.sender_name = "Ann";
  message.body = "hi";
  message.time = absl::FromUnixSeconds(0);
  const RelayBody plain = RelayBodyFor(message, "sip:1000@h", false);
  EXPECT_EQ(plain.content_type, "text/plain");
  EXPECT_EQ(plain.body, "hi");
  const RelayBody cpim = RelayBodyFor(message, "sip:1000@h", true);
  EXPECT_EQ(cpim.content_type, "message/cpim");
  EXPECT_TRUE(cpim.body.starts_with(
      StrCat("From: ", msrp::CpimAddress("Ann", "sip:ann@example.com"), "\r\n")));
  EXPECT_THAT(cpim.body, HasSubstr("To: <sip:1000@h>\r\n"));
  EXPECT_THAT(cpim.body, HasSubstr("DateTime: 1970-01-01T00:00:00.000Z\r\n"));
  EXPECT_THAT(cpim.body, HasSubstr("Content-Type: text/plain\r\n\r\nhi"));
}

TEST(ChatFormatTest, TheEventIsJsonAndLeavesOutABodyThatIsNotUtf8) {
  msrp::ChatMessage message;
  message.id = 7;
  message.room = "1000";
  message.sender_uri = "sip:ann@example.com";
  message.sender_name = "Ann \"A\"";
  message.body = "line1\nline2";
  message.via = msrp::ChatVia::kMsrp;
  message.time = absl::FromUnixSeconds(0);
  nlohmann::json event = nlohmann::json::parse(ChatEventJson(message));
  EXPECT_EQ(event["room"], "1000");
  EXPECT_EQ(event["id"], 7);
  EXPECT_EQ(event["from"], "sip:ann@example.com");
  EXPECT_EQ(event["name"], "Ann \"A\"");
  EXPECT_EQ(event["content_type"], "text/plain");
  EXPECT_EQ(event["body"], "line1\nline2");
  EXPECT_EQ(event["via"], "msrp");
  EXPECT_EQ(event["time"], "1970-01-01T00:00:00.000Z");
  message.body = "\xFF\xFE";
  message.sender_name = "Mall\xF6ry";  // Latin-1 in a peer's From
  event = nlohmann::json::parse(ChatEventJson(message));
  EXPECT_FALSE(event.contains("body"));
  EXPECT_EQ(event["size"], 2);
  EXPECT_EQ(event["name"], "");
}

}  // namespace
}  // namespace tutti
