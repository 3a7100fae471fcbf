// The rooms' chat as the control thread keeps it: each room's recent
// messages (numbered from 1 in the room, the oldest dropped past the
// history bound) and how many MESSAGE deliveries are in flight in it (a
// bound on what one room may have outstanding). Pure: no SIP, no clock.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "signaling/msrp/chat_message.h"

namespace tutti {

class RoomChat {
 public:
  // `history`: messages kept per room (0 keeps none, ids still count up).
  explicit RoomChat(size_t history) : history_(history) {}

  // Gives `message` its room's next id (message.room names the room) and
  // keeps it; returns it as kept (with its id).
  msrp::ChatMessage Add(msrp::ChatMessage message);
  // Kept messages of `room` with ids above `after_id`, oldest first, at most `limit`.
  std::vector<msrp::ChatMessage> After(std::string_view room, uint64_t after_id,
                                       size_t limit) const;
  // The last `count` kept messages of `room`, oldest first.
  std::vector<msrp::ChatMessage> Last(std::string_view room, size_t count) const;
  // The room is gone (deleted): its messages and counts go too.
  void Forget(std::string_view room);
  // A new bound (a reload): each room keeps its newest `history` messages;
  // ids go on where they were.
  void set_history(size_t history);

  // Deliveries in flight: `count` more may start when the room stays within
  // `max` (false: none started). Each one started is Finished once.
  bool StartDeliveries(std::string_view room, size_t count, size_t max);
  void FinishDelivery(std::string_view room);
  size_t in_flight(std::string_view room) const;

 private:
  struct Room {
    uint64_t last_id = 0;
    std::deque<msrp::ChatMessage> kept;
    size_t in_flight = 0;
  };
  const Room* Find(std::string_view room) const;

  size_t history_;
  // Only rooms of the RoomDirectory get here (call control checks first),
  // so the map is as bounded as the rooms are.
  absl::flat_hash_map<std::string, Room> rooms_;
};

}  // namespace tutti
