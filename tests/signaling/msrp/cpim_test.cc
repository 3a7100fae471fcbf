#include "signaling/msrp/cpim.h"

#include <string>

#include "gtest/gtest.h"

namespace tutti::msrp {
namespace {

// RFC 3862 §6's example, its MIME part trimmed to what a chat line has.
constexpr char kRfcExample[] =
    "From: MR SANDERS <im:piglet@100akerwood.com>\r\n"
    "To: Depressed Donkey <im:eeyore@100akerwood.com>\r\n"
    "DateTime: 2000-12-13T13:40:00-08:00\r\n"
    "Subject: the weather will be fine today\r\n"
    "Subject:;lang=fr beau temps prevu pour aujourd'hui\r\n"
    "NS: MyFeatures <mid:MessageFeatures@id.foo.com>\r\n"
    "Require: MyFeatures.VitalMessageOption\r\n"
    "MyFeatures.VitalMessageOption: Confirmation-requested\r\n"
    "MyFeatures.WackyMessageOption: Use-silly-font\r\n"
    "\r\n"
    "Content-type: text/xml; charset=utf-8\r\n"
    "Content-ID: <1234567890@foo.com>\r\n"
    "\r\n"
    "<body>\r\nHere is the text of my message.\r\n</body>\r\n";

TEST(CpimTest, ReadsTheRfcExample) {
  const auto message = ParseCpim(kRfcExample);
  ASSERT_TRUE(message);
  EXPECT_EQ(message->from, "MR SANDERS <im:piglet@100akerwood.com>");
  EXPECT_EQ(message->to, "Depressed Donkey <im:eeyore@100akerwood.com>");
  EXPECT_EQ(message->date_time, "2000-12-13T13:40:00-08:00");
  ASSERT_EQ(message->other_headers.size(), 6u);
  EXPECT_EQ(message->other_headers[0],
            (std::pair<std::string, std::string>{"Subject", "the weather will be fine today"}));
  EXPECT_EQ(message->other_headers[5].first, "MyFeatures.WackyMessageOption");
  EXPECT_EQ(message->content_type, "text/xml; charset=utf-8");
  EXPECT_EQ(message->body, "<body>\r\nHere is the text of my message.\r\n</body>\r\n");
}

TEST(CpimTest, WritesWhatItReads) {
  CpimMessage message;
  message.from = CpimAddress("Alice", "sip:alice@example.com");
  message.to = CpimAddress("", "sip:room@tutti.example");
  message.date_time = "2026-12-05T14:00:00Z";
  message.other_headers = {{"To", "<sip:bob@example.com>"}};
  message.content_type = "text/plain;charset=UTF-8";
  message.body = "hello\r\n\r\nwith a blank line";
  const std::string text = WriteCpim(message);
  EXPECT_EQ(text,
            "From: Alice <sip:alice@example.com>\r\n"
            "To: <sip:room@tutti.example>\r\n"
            "DateTime: 2026-12-05T14:00:00Z\r\n"
            "To: <sip:bob@example.com>\r\n"
            "\r\n"
            "Content-Type: text/plain;charset=UTF-8\r\n"
            "\r\n"
            "hello\r\n\r\nwith a blank line");
  const auto back = ParseCpim(text);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->from, message.from);
  EXPECT_EQ(back->to, message.to);
  EXPECT_EQ(back->date_time, message.date_time);
  EXPECT_EQ(back->other_headers, message.other_headers);
  EXPECT_EQ(back->content_type, message.content_type);
  EXPECT_EQ(back->body, message.body);
}

TEST(CpimTest, BareLineFeedsAndEmptyBody) {
  const auto message = ParseCpim("From: <sip:a@b>\n\nContent-Type: text/plain\n\n");
  ASSERT_TRUE(message);
  EXPECT_EQ(message->from, "<sip:a@b>");
  EXPECT_EQ(message->body, "");
}

TEST(CpimTest, RefusesWhatIsNoCpim) {
  for (const char* bad : {
           "",
           "hello there",
           "From: <sip:a@b>\r\n",                                         // no blank line
           "From: <sip:a@b>\r\n\r\nContent-Type: text/plain\r\n",         // no second one
           "From: <sip:a@b>\r\n\r\nContent-ID: <x>\r\n\r\nbody",          // no Content-Type
           "From <sip:a@b>\r\n\r\nContent-Type: text/plain\r\n\r\nbody",  // no colon
           ": x\r\n\r\nContent-Type: text/plain\r\n\r\nbody",             // no name
           "Fr om: x\r\n\r\nContent-Type: text/plain\r\n\r\nbody",        // space in the name
           "From:\r\n\r\nContent-Type: text/plain\r\n\r\nbody",           // empty From
           "From: a\x01\r\n\r\nContent-Type: text/plain\r\n\r\nbody",     // control character
           "\r\nContent-Type: text/plain\r\nContent-Type: text/html\r\n\r\nbody",
       }) {
    EXPECT_FALSE(ParseCpim(bad)) << bad;
  }
  std::string many;
  for (int i = 0; i < 100; ++i) many += "X-H: v\r\n";
  EXPECT_FALSE(ParseCpim(many + "\r\nContent-Type: text/plain\r\n\r\nbody"));
}

TEST(CpimTest, AddressQuotesWhatIsNoPlainWords) {
  EXPECT_EQ(CpimAddress("", "sip:a@b"), "<sip:a@b>");
  EXPECT_EQ(CpimAddress("Alice Smith", "sip:a@b"), "Alice Smith <sip:a@b>");
  EXPECT_EQ(CpimAddress("Smith, Alice", "sip:a@b"), "\"Smith, Alice\" <sip:a@b>");
  EXPECT_EQ(CpimAddress("Al \"the\" \\ one", "sip:a@b"), "\"Al \\\"the\\\" \\\\ one\" <sip:a@b>");
  EXPECT_EQ(CpimAddress("Two  spaces", "sip:a@b"), "\"Two  spaces\" <sip:a@b>");
  EXPECT_EQ(CpimAddress("Jos\xc3\xa9", "sip:a@b"), "\"Jos\xc3\xa9\" <sip:a@b>");
  EXPECT_EQ(CpimAddress("Tab\tName", "sip:a\t@b"), "Tab Name <sip:a@b>");
  // A name or URI from a stranger cannot end the header and start another.
  const std::string injected = CpimAddress("Eve\r\nFrom: Boss", "sip:e@x>\r\nTo: <sip:all");
  EXPECT_EQ(injected.find('\r'), std::string::npos);
  EXPECT_EQ(injected.find('\n'), std::string::npos);
  EXPECT_EQ(injected.find('>'), injected.size() - 1);
  CpimMessage message;
  message.from = injected;
  message.content_type = "text/plain";
  const auto back = ParseCpim(WriteCpim(message));
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->other_headers.empty());
}

}  // namespace
}  // namespace tutti::msrp
