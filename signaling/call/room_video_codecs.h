// One video codec per room. tutti forwards video and transcodes none, so
// every camera in a room must be decodable by everyone who may see it: the
// first video participant's negotiated codec (with, for H.264, its profile
// and packetization mode; for VP9 its profile) locks the room while any video
// participant is in it, and later offers are answered only with it. The lock
// goes with the last video participant. Control thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "signaling/sdp/offer_answer.h"

namespace tutti {

// A room's (or the server's) codec names, "VP8", "VP9", "H264", as choices
// in the same order; unknown names (refused by the config check) are skipped.
std::vector<sdp::VideoCodecChoice> VideoCodecChoices(const std::vector<std::string>& names);

// "VP8", or "H264 profile-level-id=42e01f;packetization-mode=1", for logs.
std::string VideoCodecText(const sdp::VideoCodecChoice& choice);

class RoomVideoCodecs {
 public:
  // What an offer for `room` may be answered with: the lock, else `preference`.
  std::vector<sdp::VideoCodecChoice> ChoicesFor(
      std::string_view room, const std::vector<sdp::VideoCodecChoice>& preference) const;

  // `participant` sends and receives `negotiated` in `room`: true when the
  // room has no lock (this locks it) or `negotiated` fits the lock (same
  // codec, profile and packetization mode); false leaves the room as it is.
  bool Join(std::string_view room, uint64_t participant, const sdp::VideoCodecChoice& negotiated);
  // No-op for a participant that holds no part of the lock.
  void Leave(std::string_view room, uint64_t participant);

  std::optional<sdp::VideoCodecChoice> LockOf(std::string_view room) const;
  size_t locked_rooms() const { return rooms_.size(); }

 private:
  struct Lock {
    sdp::VideoCodecChoice codec;
    absl::flat_hash_set<uint64_t> participants;
  };
  absl::flat_hash_map<std::string, Lock> rooms_;
};

}  // namespace tutti
