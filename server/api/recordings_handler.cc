#include "server/api/recordings_handler.h"

namespace tutti::api {
namespace {

using nlohmann::json;

// No such room: 404; already recording or nothing to record: 409; else 503.
int StatusOfRefusal(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kFailedPrecondition:
      return 409;
    default:
      return 503;
  }
}

}  // namespace

RecordingsHandler::RecordingsHandler(RoomDirectory* rooms, CallController* calls, std::string dir,
                                     std::string default_format)
    : rooms_(rooms),
      calls_(calls),
      dir_(std::move(dir)),
      default_format_(std::move(default_format)) {}

Reply RecordingsHandler::Start(const ApiRequest& request) {
  const std::string& room = request.params[0];
  // An empty body asks for the default format.
  const json empty = json::object();
  const json* body = request.body_empty ? &empty : request.object();
  if (body == nullptr) return Error(400, "the body must be a JSON object (or empty)");
  std::string format = default_format_;
  if (body->contains("format")) {
    const json& named = (*body)["format"];
    if (!named.is_string() || (named != "ogg" && named != "wav")) {
      return Error(400, "format must be \"ogg\" or \"wav\"");
    }
    format = named.get<std::string>();
  }
  absl::StatusOr<std::string> path = calls_->StartRecording(
      room, dir_,
      format == "wav" ? mixer::RecordingFormat::kWav : mixer::RecordingFormat::kOggOpus);
  if (!path.ok())
    return Error(StatusOfRefusal(path.status()), std::string(path.status().message()));
  return Reply{201, json{{"recording", *path}}};
}

Reply RecordingsHandler::Stop(const ApiRequest& request) {
  const std::string& room = request.params[0];
  if (rooms_->Find(room) == nullptr) return NoRoom(room);
  const std::string path = calls_->RecordingPath(room);
  if (absl::Status stopped = calls_->StopRecording(room); !stopped.ok()) {
    return Error(409, std::string(stopped.message()));
  }
  return Reply{202, json{{"stopping", path}}};
}

}  // namespace tutti::api
