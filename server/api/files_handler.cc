#include "server/api/files_handler.h"

#include "common/strings.h"
#include "server/api/api_json.h"
#include "server/api/attachment.h"

namespace tutti::api {

using nlohmann::json;

FilesHandler::FilesHandler(RoomDirectory* rooms, const msrp::FileStore* files)
    : rooms_(rooms), files_(files) {}

Reply FilesHandler::List(const ApiRequest& request) {
  const std::string& room = request.params[0];
  if (rooms_->Find(room) == nullptr) return NoRoom(room);
  json list = json::array();
  if (files_ != nullptr) {
    for (const msrp::StoredFile& file : files_->List(room)) list.push_back(FileJson(file));
  }
  return Reply{200, json{{"files", list}}};
}

Reply FilesHandler::Download(const ApiRequest& request) {
  const std::string& room = request.params[0];
  const std::string& id = request.params[1];
  const std::optional<msrp::StoredFile> file =
      files_ != nullptr && rooms_->Find(room) != nullptr ? files_->Find(room, id) : std::nullopt;
  Reply reply;
  if (file) reply.file = BodyFile::Open(file->path);
  if (!reply.file) return Error(404, StrCat("no file \"", id, "\" in room \"", room, "\""));
  // Streamed from the file (a 100 MB file takes no memory). Named and typed
  // by a stranger: always downloaded, never rendered in place or sniffed.
  reply.content_type = DownloadType(file->type);
  reply.headers.emplace_back("Content-Disposition", AttachmentDisposition(file->name));
  reply.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return reply;
}

}  // namespace tutti::api
