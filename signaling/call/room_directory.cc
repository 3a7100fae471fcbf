#include "signaling/call/room_directory.h"

namespace tutti {

RoomDirectory::RoomDirectory(const std::vector<RoomConfig>& rooms) {
  for (const RoomConfig& room : rooms) rooms_.emplace(room.name, room);
}

const RoomConfig* RoomDirectory::Find(std::string_view name) const {
  auto it = rooms_.find(std::string(name));
  return it == rooms_.end() ? nullptr : &it->second;
}

}  // namespace tutti
