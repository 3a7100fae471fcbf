#include "signaling/sip/stream_framer.h"

#include <string>

#include "gtest/gtest.h"

namespace tutti::sip {
namespace {

constexpr char kOptions[] =
    "OPTIONS sip:h SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK-1\r\nCall-ID: c\r\n"
    "Content-Length: 5\r\n\r\nhello";

TEST(StreamFramerTest, FramesMessagesSplitAcrossReads) {
  StreamFramer framer(65536);
  std::string message, error;
  const std::string text = kOptions;
  framer.Append(text.substr(0, 10));
  EXPECT_EQ(framer.Next(&message, &error), StreamFramer::Result::kNeedMore);
  framer.Append(text.substr(10, text.size() - 12));
  EXPECT_EQ(framer.Next(&message, &error), StreamFramer::Result::kNeedMore);
  framer.Append(text.substr(text.size() - 2));
  ASSERT_EQ(framer.Next(&message, &error), StreamFramer::Result::kMessage);
  EXPECT_EQ(message, text);
  EXPECT_EQ(framer.buffered(), 0u);
}

TEST(StreamFramerTest, PipelinedMessagesAndKeepalives) {
  StreamFramer framer(65536);
  framer.Append(std::string("\r\n\r\n") + kOptions + "\r\n" + kOptions);
  std::string message, error;
  ASSERT_EQ(framer.Next(&message, &error), StreamFramer::Result::kMessage);
  EXPECT_EQ(message, kOptions);
  ASSERT_EQ(framer.Next(&message, &error), StreamFramer::Result::kMessage);
  EXPECT_EQ(message, kOptions);
  EXPECT_EQ(framer.Next(&message, &error), StreamFramer::Result::kNeedMore);
}

TEST(StreamFramerTest, CompactContentLength) {
  StreamFramer framer(65536);
  framer.Append("MESSAGE sip:h SIP/2.0\r\nl: 2\r\n\r\nhi");
  std::string message, error;
  ASSERT_EQ(framer.Next(&message, &error), StreamFramer::Result::kMessage);
  EXPECT_TRUE(message.ends_with("\r\n\r\nhi"));
}

TEST(StreamFramerTest, MissingContentLengthIsAnError) {
  StreamFramer framer(65536);
  framer.Append("OPTIONS sip:h SIP/2.0\r\nVia: x\r\n\r\n");
  std::string message, error;
  EXPECT_EQ(framer.Next(&message, &error), StreamFramer::Result::kError);
  EXPECT_NE(error.find("Content-Length"), std::string::npos);
}

TEST(StreamFramerTest, ConflictingContentLengthsAreAnError) {
  StreamFramer framer(65536);
  framer.Append("OPTIONS sip:h SIP/2.0\r\nContent-Length: 0\r\nl: 3\r\n\r\nabc");
  std::string message, error;
  EXPECT_EQ(framer.Next(&message, &error), StreamFramer::Result::kError);
}

TEST(StreamFramerTest, SizeLimitsAreEnforced) {
  StreamFramer framer(128);
  framer.Append("OPTIONS sip:h SIP/2.0\r\nContent-Length: 1000\r\n\r\n");
  std::string message, error;
  EXPECT_EQ(framer.Next(&message, &error), StreamFramer::Result::kError);

  StreamFramer endless(128);
  endless.Append("OPTIONS sip:h SIP/2.0\r\n" + std::string(200, 'x'));
  EXPECT_EQ(endless.Next(&message, &error), StreamFramer::Result::kError);
}

}  // namespace
}  // namespace tutti::sip
