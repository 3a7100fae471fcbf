#include "signaling/call/room_chat.h"

#include <algorithm>
#include <utility>

namespace tutti {

msrp::ChatMessage RoomChat::Add(msrp::ChatMessage message) {
  Room& room = rooms_[message.room];
  message.id = ++room.last_id;
  if (history_ == 0) return message;
  if (room.kept.size() >= history_) room.kept.pop_front();
  room.kept.push_back(message);
  return message;
}

std::vector<msrp::ChatMessage> RoomChat::After(std::string_view room_name, uint64_t after_id,
                                               size_t limit) const {
  std::vector<msrp::ChatMessage> out;
  const Room* room = Find(room_name);
  if (room == nullptr) return out;
  // Ids ascend in `kept`: the first one wanted by binary search.
  auto it = std::upper_bound(
      room->kept.begin(), room->kept.end(), after_id,
      [](uint64_t id, const msrp::ChatMessage& message) { return id < message.id; });
  for (; it != room->kept.end() && out.size() < limit; ++it) out.push_back(*it);
  return out;
}

std::vector<msrp::ChatMessage> RoomChat::Last(std::string_view room_name, size_t count) const {
  const Room* room = Find(room_name);
  if (room == nullptr) return {};
  const size_t skip = room->kept.size() > count ? room->kept.size() - count : 0;
  return {room->kept.begin() + static_cast<std::ptrdiff_t>(skip), room->kept.end()};
}

void RoomChat::Forget(std::string_view room) { rooms_.erase(std::string(room)); }

void RoomChat::set_history(size_t history) {
  history_ = history;
  for (auto& [name, room] : rooms_) {
    while (room.kept.size() > history_) room.kept.pop_front();
  }
}

bool RoomChat::StartDeliveries(std::string_view room_name, size_t count, size_t max) {
  Room& room = rooms_[std::string(room_name)];
  if (room.in_flight + count > max) return false;
  room.in_flight += count;
  return true;
}

void RoomChat::FinishDelivery(std::string_view room_name) {
  auto it = rooms_.find(std::string(room_name));
  if (it != rooms_.end() && it->second.in_flight > 0) --it->second.in_flight;
}

size_t RoomChat::in_flight(std::string_view room_name) const {
  const Room* room = Find(room_name);
  return room == nullptr ? 0 : room->in_flight;
}

const RoomChat::Room* RoomChat::Find(std::string_view room) const {
  auto it = rooms_.find(std::string(room));
  return it == rooms_.end() ? nullptr : &it->second;
}

}  // namespace tutti
