#include "signaling/call/room_recordings.h"

#include <chrono>
#include <thread>
#include <utility>

#include "common/log.h"
#include "common/strings.h"
#include "signaling/call/event_json.h"
#include "signaling/call/recording_files.h"

namespace tutti {

RoomRecordings::~RoomRecordings() { CloseAll(); }

absl::StatusOr<std::string> RoomRecordings::Start(std::string_view room, uint32_t conference_id,
                                                  bool occupied, std::string_view directory,
                                                  mixer::RecordingFormat format) {
  if (recordings_.contains(conference_id)) {
    return absl::AlreadyExistsError(StrCat("room \"", room, "\" is already being recorded"));
  }
  if (!occupied) return absl::FailedPreconditionError(StrCat("nobody is in room \"", room, "\""));
  // The recorder never overwrites a file: a second recording of the room
  // within the same second (or a name already taken) takes the next second.
  absl::StatusOr<std::unique_ptr<mixer::RoomRecorder>> recorder;
  const absl::Time now = absl::Now();
  for (int later = 0; later < 10; ++later) {
    recorder = mixer::RoomRecorder::Start(
        StrCat(directory, "/", RecordingFileName(room, now + absl::Seconds(later), format)),
        format);
    if (recorder.status().code() != absl::StatusCode::kAlreadyExists) break;
  }
  if (!recorder.ok()) return recorder.status();
  const std::string& path = (*recorder)->path();
  if (!workers_->Send(conference_id, mixer::SetRecorder{conference_id, recorder->get()})) {
    return absl::UnavailableError("the media worker is busy; try again");
  }
  recordings_[conference_id] = {std::string(room), std::move(*recorder), false};
  LogInfo("call", "recording started").With("room", room).With("path", path);
  if (events_ != nullptr) {
    events_->Publish("recording_started",
                     StrCat("{\"room\":", JsonString(room), ",\"path\":", JsonString(path), "}"));
  }
  return path;
}

absl::Status RoomRecordings::Stop(std::string_view room, uint32_t conference_id) {
  auto it = recordings_.find(conference_id);
  if (it == recordings_.end() || it->second.stopping) {
    return absl::NotFoundError(StrCat("room \"", room, "\" is not being recorded"));
  }
  if (!workers_->Send(conference_id, mixer::SetRecorder{conference_id, nullptr})) {
    return absl::UnavailableError("the media worker is busy; try again");
  }
  it->second.stopping = true;  // closed when the worker says it let go
  return absl::OkStatus();
}

std::string RoomRecordings::Path(uint32_t conference_id) const {
  auto it = recordings_.find(conference_id);
  return it == recordings_.end() ? std::string() : it->second.recorder->path();
}

std::vector<std::string> RoomRecordings::Paths() const {
  std::vector<std::string> paths;
  for (const auto& [conference_id, recording] : recordings_) {
    paths.push_back(recording.recorder->path());
  }
  return paths;
}

void RoomRecordings::OnReleased(uint32_t conference_id) {
  auto it = recordings_.find(conference_id);
  if (it == recordings_.end()) return;
  Entry recording = std::move(it->second);
  recordings_.erase(it);
  const absl::Status closed = recording.recorder->Close();
  LogInfo("call", "recording stopped")
      .With("room", recording.room)
      .With("path", recording.recorder->path())
      .With("seconds", static_cast<double>(recording.recorder->frames_written()) / 50.0)
      .With("dropped_frames", static_cast<int64_t>(recording.recorder->frames_dropped()))
      .With("error", closed.ok() ? std::string() : closed.ToString());
  if (events_ != nullptr) {
    events_->Publish("recording_stopped",
                     StrCat("{\"room\":", JsonString(recording.room),
                            ",\"path\":", JsonString(recording.recorder->path()), "}"));
  }
}

void RoomRecordings::CloseAll() {
  if (recordings_.empty()) return;
  for (auto& [conference_id, recording] : recordings_) {
    if (!recording.stopping)
      workers_->Send(conference_id, mixer::SetRecorder{conference_id, nullptr});
    recording.stopping = true;
  }
  // The workers answer within a tick or two; a second at most.
  for (int wait = 0; wait < 200 && !recordings_.empty(); ++wait) {
    workers_->DrainEvents([this](mixer::WorkerEvent& event) {
      if (auto* released = std::get_if<mixer::RecorderReleased>(&event)) {
        OnReleased(released->conference_id);
      }
    });
    if (!recordings_.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace tutti
