// The rooms being recorded: a recorder per conference, handed to the room's
// worker, and closed (the file finalised) only once the worker says it let
// go of it (RecorderReleased), since the worker appends to it until then.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/event_hub.h"
#include "mixer/media_workers.h"
#include "mixer/room_recorder.h"

namespace tutti {

class RoomRecordings {
 public:
  explicit RoomRecordings(mixer::MediaWorkers* workers) : workers_(workers) {}
  // Closes what is still open (CloseAll).
  ~RoomRecordings();
  RoomRecordings(const RoomRecordings&) = delete;
  RoomRecordings& operator=(const RoomRecordings&) = delete;

  // recording_started / recording_stopped go there; may be null.
  void set_event_hub(EventHub* events) { events_ = events; }

  // Records `room` (its conference `conference_id`) into a new file in
  // `directory`. `occupied`: someone's media is in the room (the caller
  // knows; nobody there is an error). Returns the file's path, or why not:
  // already recording (also while stopping), nobody there, the file cannot
  // be made, the worker is busy.
  absl::StatusOr<std::string> Start(std::string_view room, uint32_t conference_id, bool occupied,
                                    std::string_view directory, mixer::RecordingFormat format);
  // Asks the worker to let go; the file is closed on OnReleased.
  absl::Status Stop(std::string_view room, uint32_t conference_id);
  // A recording started and not yet closed (stopping included).
  bool Recording(uint32_t conference_id) const { return recordings_.contains(conference_id); }
  // The path being recorded to, empty when none.
  std::string Path(uint32_t conference_id) const;
  // Every path still being written (stopping included), whatever the room:
  // a room removed while recorded has no conference id left to ask by.
  std::vector<std::string> Paths() const;
  // The worker let go of the conference's recorder (RecorderReleased).
  void OnReleased(uint32_t conference_id);
  // The process stops: every worker is asked to let go, their events are
  // drained (briefly) for RecorderReleased (other events are dropped) and
  // the files are finalised.
  void CloseAll();
  size_t open() const { return recordings_.size(); }

 private:
  struct Entry {
    std::string room;
    std::unique_ptr<mixer::RoomRecorder> recorder;
    bool stopping = false;
  };

  mixer::MediaWorkers* workers_;
  EventHub* events_ = nullptr;
  absl::flat_hash_map<uint32_t, Entry> recordings_;  // by conference id
};

}  // namespace tutti
