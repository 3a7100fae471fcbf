#include "mediaplane/telephone_event.h"

#include "gtest/gtest.h"

namespace tutti::media {
namespace {

TEST(TelephoneEventTest, WriteAndParse) {
  uint8_t payload[4];
  WriteTelephoneEvent({.event = 11, .end = true, .volume = 10, .duration = 1280}, payload);
  auto event = ParseTelephoneEvent(payload);
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->event, 11);
  EXPECT_TRUE(event->end);
  EXPECT_EQ(event->volume, 10);
  EXPECT_EQ(event->duration, 1280);
  EXPECT_EQ(EventDigit(event->event), '#');
  EXPECT_FALSE(ParseTelephoneEvent(std::span<const uint8_t>(payload, 3)).has_value());
}

TEST(DtmfReceiverTest, OneDigitPerKeyPressDespiteRepeats) {
  DtmfReceiver receiver;
  uint8_t start[4], end[4];
  WriteTelephoneEvent({.event = 5, .end = false, .volume = 10, .duration = 160}, start);
  WriteTelephoneEvent({.event = 5, .end = true, .volume = 10, .duration = 800}, end);
  EXPECT_FALSE(receiver.OnPacket(1000, start).has_value());
  EXPECT_FALSE(receiver.OnPacket(1000, start).has_value());
  EXPECT_EQ(receiver.OnPacket(1000, end), '5');
  EXPECT_FALSE(receiver.OnPacket(1000, end).has_value());  // the end is sent three times
  EXPECT_FALSE(receiver.OnPacket(1000, end).has_value());
  EXPECT_EQ(receiver.OnPacket(3000, end), '5');  // the same key pressed again
}

}  // namespace
}  // namespace tutti::media
