#include "server/stored_rooms.h"

#include "absl/strings/str_join.h"
#include "common/log.h"
#include "common/strings.h"
#include "server/api/room_fields.h"

namespace tutti {
namespace {

using nlohmann::json;

// The names of a row's fields, for logs: never their values (PINs).
std::string FieldNames(const json& fields) {
  std::vector<std::string> names;
  for (const auto& [key, value] : fields.items()) names.push_back(key);
  return absl::StrJoin(names, ",");
}

}  // namespace

StoredRooms::StoredRooms(std::unique_ptr<RoomStore> store,
                         const std::vector<RoomConfig>& file_rooms)
    : store_(std::move(store)) {
  for (const RoomConfig& room : file_rooms) file_rooms_.insert(room.name);
}

absl::Status StoredRooms::Restore(RoomDirectory* rooms, std::string_view ivr_number) const {
  if (store_ == nullptr) return absl::OkStatus();
  absl::StatusOr<std::vector<StoredRoom>> rows = store_->All();
  if (!rows.ok()) return rows.status();
  int skipped = 0;
  for (const StoredRoom& row : *rows) {
    if (row.name == ivr_number) {
      LogError("store", "stored room not applied: the dial-in IVR has its name (row kept)")
          .With("room", row.name);
      ++skipped;
      continue;
    }
    if (!RestoreRoom(row, file_rooms_, rooms, /*quiet=*/false)) ++skipped;
  }
  LogInfo("store", "rooms restored")
      .With("path", store_->path())
      .With("stored", static_cast<int64_t>(rows->size()))
      .With("not_applied", skipped)
      .With("rooms", static_cast<int64_t>(rooms->size()));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<RoomConfig>> StoredRooms::Configured(
    const std::vector<RoomConfig>& file_rooms, std::string_view ivr_number) const {
  if (store_ == nullptr) return file_rooms;
  absl::StatusOr<std::vector<StoredRoom>> rows = store_->All();
  if (!rows.ok()) return rows.status();
  RoomDirectory rooms(file_rooms);
  absl::flat_hash_set<std::string> names;
  for (const RoomConfig& room : file_rooms) names.insert(room.name);
  for (const StoredRoom& row : *rows) {
    if (row.name != ivr_number) RestoreRoom(row, names, &rooms, /*quiet=*/true);
  }
  std::vector<RoomConfig> configured;
  for (const RoomConfig* room : rooms.All()) configured.push_back(*room);
  return configured;
}

void StoredRooms::set_file_rooms(const std::vector<RoomConfig>& file_rooms) {
  file_rooms_.clear();
  for (const RoomConfig& room : file_rooms) file_rooms_.insert(room.name);
}

bool StoredRooms::RestoreRoom(const StoredRoom& row,
                              const absl::flat_hash_set<std::string>& file_rooms,
                              RoomDirectory* rooms, bool quiet) const {
  const bool in_file = file_rooms.contains(row.name);
  if (row.deleted) {
    if (in_file) {
      rooms->Remove(row.name);
      if (!quiet) {
        LogInfo("store", "room of the config file stays deleted (deleted through the API)")
            .With("room", row.name);
      }
    } else if (!quiet) {
      LogInfo("store", "stored deletion of a room the config file no longer has: nothing to do")
          .With("room", row.name);
    }
    return true;
  }
  const json fields = json::parse(row.fields, nullptr, /*allow_exceptions=*/false);
  if (!fields.is_object() || !IsValidRoomName(row.name)) {
    if (!quiet) {
      LogError("store", "stored room unreadable: not applied (row kept)").With("room", row.name);
    }
    return false;
  }
  const RoomConfig* file_room = in_file ? rooms->Find(row.name) : nullptr;
  if (row.over_file_room && file_room == nullptr) {
    if (!quiet) {
      LogWarn("store",
              "stored changes to a room the config file no longer has: not applied (row kept, "
              "applied again if the room comes back)")
          .With("room", row.name)
          .With("fields", FieldNames(fields));
    }
    return false;
  }
  RoomConfig room = row.over_file_room ? *file_room : RoomConfig{.name = row.name};
  if (std::optional<std::string> fault = api::ApplyRoomFields(fields, &room)) {
    if (!quiet) {
      LogError("store", "stored room not applied (row kept)")
          .With("room", row.name)
          .With("why", *fault);
    }
    return false;
  }
  if (row.over_file_room) {
    if (!quiet) {
      LogInfo("store", "room of the config file with changes made through the API")
          .With("room", row.name)
          .With("fields", FieldNames(fields));
    }
    rooms->Update(room);
  } else if (in_file) {
    if (!quiet) {
      LogWarn("store",
              "room made through the API is now also in the config file: the API's room "
              "replaces the file's")
          .With("room", row.name);
    }
    rooms->Update(room);
  } else {
    rooms->Add(room);
  }
  return true;
}

absl::Status StoredRooms::Created(const RoomConfig& room) {
  if (store_ == nullptr) return absl::OkStatus();
  // Whole, even where it takes the name of a file room deleted before: it
  // is the API's room, not the file's with changes.
  return store_->Put({.name = room.name,
                      .over_file_room = false,
                      .deleted = false,
                      .fields = api::RoomFieldsJson(room).dump()});
}

absl::Status StoredRooms::Changed(const RoomConfig& room, const json& changed) {
  if (store_ == nullptr) return absl::OkStatus();
  absl::StatusOr<std::optional<StoredRoom>> row = store_->Find(room.name);
  if (!row.ok()) return row.status();
  const json whole = api::RoomFieldsJson(room);
  const bool over_file_room =
      file_rooms_.contains(room.name) && (!row->has_value() || (*row)->over_file_room);
  if (!over_file_room) {
    return store_->Put({.name = room.name, .over_file_room = false, .fields = whole.dump()});
  }
  // A file room: only the fields named, now or before, with their values now.
  json fields = row->has_value() ? json::parse((*row)->fields, nullptr, false) : json::object();
  if (!fields.is_object()) fields = json::object();
  for (const auto& [key, value] : changed.items()) {
    if (whole.contains(key)) fields[key] = whole[key];
  }
  return store_->Put({.name = room.name, .over_file_room = true, .fields = fields.dump()});
}

absl::Status StoredRooms::Deleted(const std::string& name) {
  if (store_ == nullptr) return absl::OkStatus();
  if (!file_rooms_.contains(name)) return store_->Erase(name);
  return store_->Put({.name = name, .over_file_room = true, .deleted = true, .fields = "{}"});
}

}  // namespace tutti
