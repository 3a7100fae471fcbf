#include "server/api/recordings_handler.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "common/strings.h"
#include "signaling/call/recording_files.h"

namespace tutti::api {
namespace {

using nlohmann::json;

// A listing's bound: each file listed is stat'ed and its end read.
constexpr size_t kMaxListed = 1000;

json RecordingJson(const RecordingFile& file, bool recording) {
  return {
      {"name", file.name},
      {"room", file.made.room},
      {"format", file.made.format == mixer::RecordingFormat::kWav ? "wav" : "ogg"},
      {"started", absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", file.made.started, absl::UTCTimeZone())},
      {"bytes", file.bytes},
      {"seconds", file.seconds ? json(*file.seconds) : json(nullptr)},
      {"recording", recording}};
}

// Whether `name` may go into a quoted Content-Disposition filename as is.
bool PlainName(std::string_view name) {
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

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

Reply RecordingsHandler::Listed(std::string_view room) const {
  const std::vector<std::string> writing = calls_->RecordingPaths();
  json list = json::array();
  const std::vector<RecordingFile> files = ListRecordings(dir_, room, kMaxListed);
  for (const RecordingFile& file : files) {
    const bool recording =
        std::find(writing.begin(), writing.end(), StrCat(dir_, "/", file.name)) != writing.end();
    list.push_back(RecordingJson(file, recording));
  }
  return Reply{200, json{{"recordings", list}}};
}

Reply RecordingsHandler::List(const ApiRequest& request) {
  const std::string& room = request.params[0];
  Reply reply = Listed(room);
  // An unknown name with no files is a typo, not an empty room.
  if (rooms_->Find(room) == nullptr && reply.body["recordings"].empty()) return NoRoom(room);
  return reply;
}

Reply RecordingsHandler::ListAll(const ApiRequest&) { return Listed(""); }

std::optional<Reply> RecordingsHandler::Finished(const ApiRequest& request,
                                                 std::string* path) const {
  const std::string& room = request.params[0];
  const std::string& name = request.params[1];
  std::optional<RecordingName> made = ParseRecordingFileName(name);
  if (!made || made->room != room) {
    return Error(404, StrCat("no recording \"", name, "\" of room \"", room, "\""));
  }
  *path = StrCat(dir_, "/", name);
  const std::vector<std::string> writing = calls_->RecordingPaths();
  if (std::find(writing.begin(), writing.end(), *path) != writing.end()) {
    return Error(409, StrCat("\"", name, "\" is still being recorded (DELETE /v1/rooms/", room,
                             "/recording stops it)"));
  }
  return std::nullopt;
}

Reply RecordingsHandler::Download(const ApiRequest& request) {
  std::string path;
  if (auto fault = Finished(request, &path)) return *fault;
  const std::string& name = request.params[1];
  Reply reply;
  reply.file = BodyFile::Open(path);
  if (!reply.file) return Error(404, StrCat("no recording \"", name, "\""));
  reply.content_type = ParseRecordingFileName(name)->format == mixer::RecordingFormat::kWav
                           ? "audio/wav"
                           : "audio/ogg";
  if (PlainName(name)) {
    reply.headers.emplace_back("Content-Disposition",
                               StrCat("attachment; filename=\"", name, "\""));
  }
  return reply;
}

Reply RecordingsHandler::Delete(const ApiRequest& request) {
  std::string path;
  if (auto fault = Finished(request, &path)) return *fault;
  const std::string& name = request.params[1];
  struct stat info {};
  // Only a file the recorder made: a link named like one is not followed or removed.
  if (lstat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) {
    return Error(404, StrCat("no recording \"", name, "\""));
  }
  if (unlink(path.c_str()) != 0) {
    return Error(errno == ENOENT ? 404 : 500,
                 StrCat("cannot delete \"", name, "\": ", std::strerror(errno)));
  }
  return Reply{204, json()};
}

}  // namespace tutti::api
