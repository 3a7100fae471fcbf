// RoomChat: ids per room, the history bound, listing after an id, the last
// N, and the in-flight bound.
#include "signaling/call/room_chat.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tutti {
namespace {

using ::testing::SizeIs;

msrp::ChatMessage In(std::string room, std::string body) {
  msrp::ChatMessage message;
  message.room = std::move(room);
  message.body = std::move(body);
  return message;
}

TEST(RoomChatTest, EachRoomNumbersItsMessagesFromOne) {
  RoomChat chat(10);
  EXPECT_EQ(chat.Add(In("a", "1")).id, 1u);
  EXPECT_EQ(chat.Add(In("a", "2")).id, 2u);
  EXPECT_EQ(chat.Add(In("b", "1")).id, 1u);
  EXPECT_THAT(chat.After("a", 0, 10), SizeIs(2));
  EXPECT_THAT(chat.After("b", 0, 10), SizeIs(1));
  EXPECT_THAT(chat.After("c", 0, 10), SizeIs(0));
}

TEST(RoomChatTest, TheOldestGoPastTheBoundAndIdsGoOn) {
  RoomChat chat(2);
  for (int i = 1; i <= 4; ++i) chat.Add(In("a", std::to_string(i)));
  const auto kept = chat.After("a", 0, 10);
  ASSERT_THAT(kept, SizeIs(2));
  EXPECT_EQ(kept[0].id, 3u);
  EXPECT_EQ(kept[1].body, "4");
  EXPECT_EQ(chat.Add(In("a", "5")).id, 5u);
  RoomChat none(0);
  EXPECT_EQ(none.Add(In("a", "x")).id, 1u);
  EXPECT_EQ(none.Add(In("a", "y")).id, 2u);
  EXPECT_THAT(none.After("a", 0, 10), SizeIs(0));
}

// A reload's shorter history (issue 19): the newest stay, ids and the
// deliveries in flight go on; a longer one keeps more from then on.
TEST(RoomChatTest, ANewHistoryBoundKeepsTheNewestOfEachRoom) {
  RoomChat chat(5);
  for (int i = 1; i <= 5; ++i) chat.Add(In("a", std::to_string(i)));
  chat.Add(In("b", "1"));
  ASSERT_TRUE(chat.StartDeliveries("a", 3, 10));
  chat.set_history(2);
  const auto kept = chat.After("a", 0, 10);
  ASSERT_THAT(kept, SizeIs(2));
  EXPECT_EQ(kept[0].id, 4u);
  EXPECT_EQ(kept[1].id, 5u);
  EXPECT_THAT(chat.After("b", 0, 10), SizeIs(1));
  EXPECT_EQ(chat.in_flight("a"), 3u);
  EXPECT_EQ(chat.Add(In("a", "6")).id, 6u);
  EXPECT_THAT(chat.Last("a", 10), SizeIs(2));
  chat.set_history(3);
  chat.Add(In("a", "7"));
  EXPECT_THAT(chat.Last("a", 10), SizeIs(3));
  chat.set_history(0);
  EXPECT_THAT(chat.After("a", 0, 10), SizeIs(0));
  EXPECT_EQ(chat.Add(In("a", "8")).id, 8u);
}

TEST(RoomChatTest, ListsAfterAnIdUpToALimitAndTheLastN) {
  RoomChat chat(10);
  for (int i = 1; i <= 5; ++i) chat.Add(In("a", std::to_string(i)));
  auto after = chat.After("a", 2, 2);
  ASSERT_THAT(after, SizeIs(2));
  EXPECT_EQ(after[0].id, 3u);
  EXPECT_EQ(after[1].id, 4u);
  EXPECT_THAT(chat.After("a", 5, 10), SizeIs(0));
  auto last = chat.Last("a", 2);
  ASSERT_THAT(last, SizeIs(2));
  EXPECT_EQ(last[0].id, 4u);
  EXPECT_EQ(last[1].id, 5u);
  EXPECT_THAT(chat.Last("a", 99), SizeIs(5));
  chat.Forget("a");
  EXPECT_THAT(chat.Last("a", 99), SizeIs(0));
}

TEST(RoomChatTest, DeliveriesInFlightStayWithinTheBound) {
  RoomChat chat(10);
  EXPECT_TRUE(chat.StartDeliveries("a", 2, 3));
  EXPECT_FALSE(chat.StartDeliveries("a", 2, 3));  // 4 > 3: none started
  EXPECT_EQ(chat.in_flight("a"), 2u);
  EXPECT_TRUE(chat.StartDeliveries("b", 3, 3));  // per room
  chat.FinishDelivery("a");
  EXPECT_TRUE(chat.StartDeliveries("a", 2, 3));
  EXPECT_EQ(chat.in_flight("a"), 3u);
  chat.FinishDelivery("nowhere");  // harmless
}

}  // namespace
}  // namespace tutti
