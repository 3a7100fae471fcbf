// The rooms callers can reach, by name (the user part of sip:<room>@host).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "signaling/call/room_config.h"

namespace tutti {

class RoomDirectory {
 public:
  explicit RoomDirectory(const std::vector<RoomConfig>& rooms);

  // Null when no such room.
  const RoomConfig* Find(std::string_view name) const;
  // A small number naming the room's conference on the media workers
  // (stable for the process's life); 0 when no such room.
  uint32_t ConferenceId(std::string_view name) const;
  size_t size() const { return rooms_.size(); }
  // Every room, sorted by name.
  std::vector<const RoomConfig*> All() const;

  // Run time changes from the control API. Add fails when the name exists;
  // Update replaces the settings; Remove forgets the room (its calls are the
  // caller's to end). A room's conference id never changes while it exists.
  bool Add(const RoomConfig& room);
  bool Update(const RoomConfig& room);
  bool Remove(std::string_view name);

 private:
  absl::flat_hash_map<std::string, RoomConfig> rooms_;
  absl::flat_hash_map<std::string, uint32_t> conference_ids_;
  uint32_t next_conference_id_ = 1;
};

}  // namespace tutti
