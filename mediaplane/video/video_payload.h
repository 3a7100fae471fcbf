// What a video forwarder needs to know about one RTP payload of VP8 (RFC
// 7741), VP9 (RFC 9628) or H.264 (RFC 6184) without decoding it: where a
// picture starts, whether it decodes on its own (a safe place to switch a
// receiver to another source), its size when the packet tells it, and the
// VP8/VP9 picture ids a forwarder rewrites to keep one continuous stream per
// receiver. The payload is what follows the RTP header (SRTP removed); the
// payload may come from a stranger, so every field is bounds-checked. Pure
// functions, no allocation: they run per packet on the media worker.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "mediaplane/video/video_codec.h"

namespace tutti::media {

struct VideoPacketInfo {
  // The packet carries the first byte of a picture (VP8: S=1 and PID=0; VP9:
  // B=1 (begin of frame) and, with spatial layers, of the lowest one (SID 0);
  // H.264: the packet begins a NAL unit that starts an access unit: AUD, SPS,
  // PPS, SEI, or a slice whose first_mb_in_slice is 0).
  bool frame_start = false;
  // ...and that picture decodes without earlier pictures (implies
  // frame_start): a VP8 key frame (P bit of the payload header 0, with its
  // start code); a VP9 picture whose descriptor says not inter-predicted
  // (P=0) and whose uncompressed header says KEY_FRAME (some senders, baresip
  // among them, leave P at 0 on every frame); H.264 an IDR slice, or an SPS
  // or PPS (which encoders send in front of an IDR), alone, in a STAP-A or
  // at the start of an FU-A. A forwarder that starts a receiver on a packet
  // with keyframe=true never hands it a frame whose reference it lacks.
  bool keyframe = false;
  // The picture size when this packet holds it: VP8 key frame header, VP9
  // scalability structure (its highest spatial layer) or key frame header,
  // H.264 SPS (after cropping). 0: unknown.
  uint16_t width = 0;
  uint16_t height = 0;
  // VP8 and VP9 descriptor fields a forwarder rewrites; -1 when absent.
  int32_t picture_id = -1;  // 7 or 15 bits, as sent
  bool picture_id_15bit = false;
  int32_t tl0picidx = -1;
};

// nullopt: not a valid payload of that codec (empty or truncated descriptor,
// no frame data after the descriptor, NAL types that cannot start anything
// (0, 30, 31, and the interleaved-mode 25..27, 29 tutti never negotiates),
// the forbidden bit set, an FU-A without room for its header or fragmenting
// an aggregate, STAP-A lengths that overrun or leave a stray byte).
std::optional<VideoPacketInfo> InspectVideoPayload(VideoCodec codec,
                                                   std::span<const uint8_t> payload);

// Writes picture id and TL0PICIDX in place, keeping the field widths the
// packet has (a 7-bit id takes picture_id mod 128, a 15-bit one mod 32768);
// fields the packet lacks are left alone. False when the payload has no
// picture id (H.264, or a VP8/VP9 descriptor without I bit; a TL0PICIDX it
// has is still written) or is not valid (nothing is written).
bool RewriteVideoPictureIds(VideoCodec codec, std::span<uint8_t> payload, uint16_t picture_id,
                            uint8_t tl0picidx);

}  // namespace tutti::media
