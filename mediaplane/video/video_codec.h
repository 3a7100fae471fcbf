// The video codecs tutti forwards (it decodes and encodes none) and the RTCP
// feedback a video peer can take. Shared by the SDP side, which negotiates
// them, and the media workers, which parse payloads and feedback by them.
#pragma once

#include <cstdint>
#include <string_view>

namespace tutti::media {

enum class VideoCodec : uint8_t { kVp8, kVp9, kH264 };

// The encoding name of a=rtpmap (RFC 7741, RFC 9628, RFC 6184).
constexpr std::string_view VideoCodecName(VideoCodec codec) {
  switch (codec) {
    case VideoCodec::kVp8:
      return "VP8";
    case VideoCodec::kVp9:
      return "VP9";
    case VideoCodec::kH264:
      return "H264";
  }
  return "?";
}

// Every video payload format here runs on a 90 kHz RTP clock.
constexpr int kVideoClockRate = 90000;

// What a peer said it understands (a=rtcp-fb, RFC 4585 / RFC 5104 and
// goog-remb): only these are ever sent to it.
struct VideoFeedback {
  bool nack = false;   // generic NACK: retransmissions instead of keyframes
  bool pli = false;    // nack pli: picture loss indication
  bool fir = false;    // ccm fir: full intra request
  bool remb = false;   // goog-remb: receiver estimated maximum bitrate
  bool tmmbr = false;  // ccm tmmbr: temporary maximum media bitrate request
  bool operator==(const VideoFeedback&) const = default;
};

}  // namespace tutti::media
