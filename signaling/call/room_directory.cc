#include "signaling/call/room_directory.h"

namespace tutti {

RoomDirectory::RoomDirectory(const std::vector<RoomConfig>& rooms) {
  for (const RoomConfig& room : rooms) {
    rooms_.emplace(room.name, room);
    conference_ids_.emplace(room.name, static_cast<uint32_t>(conference_ids_.size() + 1));
  }
}

uint32_t RoomDirectory::ConferenceId(std::string_view name) const {
  auto it = conference_ids_.find(std::string(name));
  return it == conference_ids_.end() ? 0 : it->second;
}

const RoomConfig* RoomDirectory::Find(std::string_view name) const {
  auto it = rooms_.find(std::string(name));
  return it == rooms_.end() ? nullptr : &it->second;
}

}  // namespace tutti
