// A room as call control sees it: its codecs, limits, PINs and moderation
// rules. The daemon's config ([[room]] in server/config) and the control API
// make these; signaling/ reads them without knowing where they came from.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mixer/video_spec.h"

namespace tutti {

// A room's name is the user part of its URI and the first part of its
// recordings' file names, from the config file and from the control API alike:
// 1-64 of A-Z a-z 0-9 - _ . and not "." or "..", so it can name no path.
inline constexpr std::string_view kRoomNameRule = "1-64 characters of A-Z a-z 0-9 - _ .";
inline bool IsValidRoomName(std::string_view name) {
  if (name.empty() || name.size() > 64 || name == "." || name == "..") return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

// A room's noise_suppression_db: how much the denoiser may take off the
// noise. Below 6 it does next to nothing; past 60 it eats the speech too.
inline constexpr int kMinNoiseSuppressionDb = 6;
inline constexpr int kMaxNoiseSuppressionDb = 60;

struct RoomConfig {
  std::string name;  // the user part of sip:<name>@host
  // Codecs callers may use, in the order we offer them: "opus", "G722",
  // "PCMU", "PCMA", "G729" (sdp::AudioCodecName's names).
  std::vector<std::string> codecs = {"opus", "G722", "PCMU", "PCMA", "G729"};
  int max_participants = 0;  // 0: no limit
  bool locked = false;       // a locked room takes no new callers (403)
  // Tones to the others when someone joins or leaves; a prompt to the first
  // caller that it is alone.
  bool announce_joins = false;
  // Record the room whenever someone is in it ([recording] dir and format).
  bool record = false;
  // Digits asked for by the IVR; empty: none. A caller who enters the
  // moderator PIN joins as moderator. With only a moderator PIN, a bare #
  // joins as participant.
  std::string pin;
  std::string moderator_pin;
  int max_talkers = 0;  // top-N for this room; 0: [media] max_talkers
  // SpeexDSP's noise suppression (at most noise_suppression_db off the
  // noise) and AGC on the voices mixed; either one stops forwarding in the
  // room (mixer/talker_preprocess.h).
  bool noise_suppression = false;
  bool agc = false;
  int noise_suppression_db = 30;
  // Participants wait (muted, hearing music) until a moderator is there.
  bool wait_for_moderator = false;
  // When the last moderator leaves, everyone else is told and hung up on.
  bool end_when_moderator_leaves = false;
  // Each caller hears how many are in the room as they join.
  bool announce_count = false;
  // Music while alone in the room or waiting for the moderator.
  bool music_when_alone = false;

  // "required", "optional", "off"; empty: [media] srtp.
  std::string srtp;
  // Digest authentication for callers of this room; unset: [sip] auth.
  std::optional<bool> auth;

  // Video: how the room shows it (kDefault: [video] mode) and the least time
  // a picture stays before the next talker takes it (0: [video] hold_ms).
  mixer::VideoMode video_mode = mixer::VideoMode::kDefault;
  int video_hold_ms = 0;
  // Per meeting, never stored or read from a file: whose camera everyone sees
  // in presenter mode, and the one participant whose content (a=content:slides)
  // is shown (participant ids; 0: nobody). Set through the API or a moderator's
  // keys, cleared when that participant leaves.
  uint64_t presenter_id = 0;
  uint64_t slides_presenter_id = 0;
  // Video codecs its callers may use, in our preference order: "VP8", "VP9",
  // "H264"; empty: [media] video_codecs. The room shares one (room_video_codecs.h).
  std::vector<std::string> video_codecs;

  bool operator==(const RoomConfig&) const = default;
};

}  // namespace tutti
