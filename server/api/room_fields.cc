#include "server/api/room_fields.h"

#include <algorithm>
#include <vector>

#include "common/strings.h"
#include "server/config/config.h"
#include "signaling/call/room_video.h"
#include "signaling/sdp/offer_answer.h"

namespace tutti::api {
namespace {

using nlohmann::json;

}  // namespace

std::optional<std::string> ApplyRoomFields(const json& body, RoomConfig* room) {
  for (const auto& [key, value] : body.items()) {
    if (key == "name") continue;
    if (key == "codecs") {
      if (!value.is_array() || value.empty()) return "codecs must be a non-empty array";
      std::vector<std::string> codecs;
      for (const json& codec : value) {
        const std::optional<sdp::AudioCodec> known =
            codec.is_string() ? sdp::AudioCodecNamed(codec.get<std::string>()) : std::nullopt;
        if (!known) return StrCat("codecs may hold ", sdp::kAudioCodecNames);
        codecs.emplace_back(sdp::AudioCodecName(*known));
      }
      room->codecs = std::move(codecs);
    } else if (key == "max_participants") {
      if (!value.is_number_integer() || value.get<int64_t>() < 0 ||
          value.get<int64_t>() > 1000000) {
        return "max_participants must be an integer from 0 to 1000000";
      }
      room->max_participants = value.get<int>();
    } else if (key == "locked") {
      if (!value.is_boolean()) return "locked must be true or false";
      room->locked = value.get<bool>();
    } else if (key == "record") {
      if (!value.is_boolean()) return "record must be true or false";
      room->record = value.get<bool>();
    } else if (key == "announce_joins" || key == "announce_count" || key == "music_when_alone" ||
               key == "wait_for_moderator" || key == "end_when_moderator_leaves") {
      if (!value.is_boolean()) return StrCat(key, " must be true or false");
      bool& flag = key == "announce_joins"       ? room->announce_joins
                   : key == "announce_count"     ? room->announce_count
                   : key == "music_when_alone"   ? room->music_when_alone
                   : key == "wait_for_moderator" ? room->wait_for_moderator
                                                 : room->end_when_moderator_leaves;
      flag = value.get<bool>();
    } else if (key == "noise_suppression" || key == "agc") {
      if (!value.is_boolean()) return StrCat(key, " must be true or false");
      (key == "agc" ? room->agc : room->noise_suppression) = value.get<bool>();
    } else if (key == "noise_suppression_db") {
      if (!value.is_number_integer() || value.get<int64_t>() < kMinNoiseSuppressionDb ||
          value.get<int64_t>() > kMaxNoiseSuppressionDb) {
        return StrCat("noise_suppression_db must be an integer from ", kMinNoiseSuppressionDb,
                      " to ", kMaxNoiseSuppressionDb);
      }
      room->noise_suppression_db = value.get<int>();
    } else if (key == "max_talkers") {
      if (!value.is_number_integer() || value.get<int64_t>() < 0 || value.get<int64_t>() > 16) {
        return "max_talkers must be an integer from 0 (the server's default) to 16";
      }
      room->max_talkers = value.get<int>();
    } else if (key == "video_mode") {
      const std::optional<mixer::VideoMode> mode =
          value.is_string() ? ParseVideoMode(value.get<std::string>(), /*default_ok=*/true)
                            : std::nullopt;
      if (!mode) {
        return StrCat("video_mode must be one of ", kVideoModeNames,
                      " or \"default\" (the server's [video] mode)");
      }
      room->video_mode = *mode;
    } else if (key == "video_hold_ms") {
      if (!value.is_number_integer() || value.get<int64_t>() < 0 ||
          value.get<int64_t>() > kMaxVideoHoldMs) {
        return StrCat("video_hold_ms must be an integer from 0 (the server's default) to ",
                      kMaxVideoHoldMs);
      }
      room->video_hold_ms = value.get<int>();
    } else if (key == "pin" || key == "moderator_pin") {
      if (!value.is_string() || !ValidPin(value.get<std::string>())) {
        return StrCat(key, " must be a string of up to 16 digits (empty: none)");
      }
      (key == "pin" ? room->pin : room->moderator_pin) = value.get<std::string>();
    } else {
      return StrCat("unknown field \"", key, "\"");
    }
  }
  if (!room->pin.empty() && room->pin == room->moderator_pin) {
    return "moderator_pin must differ from pin";
  }
  return std::nullopt;
}

json RoomFieldsJson(const RoomConfig& room) {
  return {{"codecs", room.codecs},
          {"max_participants", room.max_participants},
          {"locked", room.locked},
          {"announce_joins", room.announce_joins},
          {"announce_count", room.announce_count},
          {"music_when_alone", room.music_when_alone},
          {"wait_for_moderator", room.wait_for_moderator},
          {"end_when_moderator_leaves", room.end_when_moderator_leaves},
          {"max_talkers", room.max_talkers},
          {"noise_suppression", room.noise_suppression},
          {"agc", room.agc},
          {"noise_suppression_db", room.noise_suppression_db},
          {"record", room.record},
          {"video_mode", std::string(VideoModeName(room.video_mode))},
          {"video_hold_ms", room.video_hold_ms},
          {"pin", room.pin},
          {"moderator_pin", room.moderator_pin}};
}

}  // namespace tutti::api
