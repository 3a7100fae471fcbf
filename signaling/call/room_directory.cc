#include "signaling/call/room_directory.h"

#include <algorithm>

namespace tutti {

RoomDirectory::RoomDirectory(const std::vector<RoomConfig>& rooms) {
  for (const RoomConfig& room : rooms) Add(room);
}

bool RoomDirectory::Add(const RoomConfig& room) {
  auto [it, added] = rooms_.emplace(room.name, room);
  if (!added) return false;
  // Ids are never reused, so a deleted room's late media can't reach a new one.
  const uint32_t conference_id = next_conference_id_++;
  conference_ids_[room.name] = conference_id;
  Tell(conference_id, &it->second);
  return true;
}

bool RoomDirectory::Update(const RoomConfig& room) {
  auto it = rooms_.find(room.name);
  if (it == rooms_.end()) return false;
  it->second = room;
  Tell(ConferenceId(room.name), &it->second);
  return true;
}

bool RoomDirectory::Remove(std::string_view name) {
  const std::string key(name);
  auto id = conference_ids_.find(key);
  if (id == conference_ids_.end()) return false;
  const uint32_t conference_id = id->second;
  conference_ids_.erase(id);
  rooms_.erase(key);
  Tell(conference_id, nullptr);
  return true;
}

std::vector<const RoomConfig*> RoomDirectory::All() const {
  std::vector<const RoomConfig*> all;
  for (const auto& [name, room] : rooms_) all.push_back(&room);
  std::sort(all.begin(), all.end(),
            [](const RoomConfig* a, const RoomConfig* b) { return a->name < b->name; });
  return all;
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
