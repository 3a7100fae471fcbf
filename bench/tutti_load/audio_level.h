// tutti-load's RFC 6464 client-to-mixer audio level: the id the server's
// answer took (a=extmap, RFC 8285), and the RTP header that carries each
// frame's level when it did, as browsers and many softphones send it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mediaplane/rtp/rtp_packet.h"
#include "signaling/sdp/session_description.h"

namespace tutti::load {

// The audio level's id in the answer's audio line; 0 when not answered.
inline int AudioLevelIdOf(const sdp::MediaDescription& audio) {
  constexpr std::string_view kUri = " urn:ietf:params:rtp-hdrext:ssrc-audio-level";
  for (const auto& [name, value] : audio.other_attributes) {
    if (name != "extmap") continue;
    const std::string_view text = value;
    const size_t end = text.find(kUri);
    if (end == std::string_view::npos) continue;
    int id = 0;
    for (const char c : text.substr(0, text.find_first_of("/ "))) {
      if (c < '0' || c > '9') return 0;
      id = id * 10 + (c - '0');
    }
    // We write the one-byte form: ids 1-14.
    return id >= 1 && id <= 14 ? id : 0;
  }
  return 0;
}

// Writes the RTP header, with the level when `audio_level_id` is set;
// returns its size.
inline size_t WriteHeader(const media::RtpHeaderFields& fields, int audio_level_id, uint8_t level,
                          uint8_t* out) {
  if (audio_level_id == 0) {
    media::WriteRtpHeader(fields, out);
    return media::kRtpHeaderSize;
  }
  // V (voice activity) as a sender's VAD would say it: audible speech.
  media::WriteRtpHeaderWithAudioLevel(fields, audio_level_id, {.level = level, .voice = level < 50},
                                      out);
  return media::kRtpAudioLevelHeaderSize;
}

}  // namespace tutti::load
