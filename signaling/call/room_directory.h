// The rooms callers can reach, by name (the user part of sip:<room>@host).
#pragma once

#include <cstdint>
#include <functional>
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

  // Told of every room added, updated or removed from now on (a removed
  // room's config is null): how a room's settings reach its conference on
  // the media workers. One watcher; null stops it.
  using Watcher = std::function<void(uint32_t conference_id, const RoomConfig* room)>;
  void Watch(Watcher watcher) { watcher_ = std::move(watcher); }

 private:
  void Tell(uint32_t conference_id, const RoomConfig* room) const {
    if (watcher_) watcher_(conference_id, room);
  }

  absl::flat_hash_map<std::string, RoomConfig> rooms_;
  absl::flat_hash_map<std::string, uint32_t> conference_ids_;
  uint32_t next_conference_id_ = 1;
  Watcher watcher_;
};

}  // namespace tutti
