// G.729 Annex A (RTP payload RFC 3551 §4.5.6) through bcg729: 8 kHz, 10 ms
// frames of 10 octets, several to a packet (two for 20 ms). Annex B (VAD,
// comfort noise) is off on our side (a=fmtp:18 annexb=no); a peer that
// sends a 2-octet SID frame anyway gets comfort noise from it rather than a
// refusal. Loss is concealed by the decoder's own frame erasure handling.
#pragma once

#include <cstdint>
#include <span>

#include "mediaplane/codec/audio_codec.h"

struct bcg729DecoderChannelContextStruct_struct;
struct bcg729EncoderChannelContextStruct_struct;

namespace tutti::media {

// One G.729 frame: 10 ms, 80 samples, 10 octets; a SID frame is 2 octets.
constexpr size_t kG729FrameSamples = 80;
constexpr size_t kG729FrameBytes = 10;
constexpr size_t kG729SidBytes = 2;

class G729Decoder final : public AudioDecoder {
 public:
  explicit G729Decoder(const CodecFormat& format);
  ~G729Decoder() override;
  G729Decoder(const G729Decoder&) = delete;
  G729Decoder& operator=(const G729Decoder&) = delete;

  // -1 for a payload that is not whole frames (plus at most one SID).
  int Decode(std::span<const uint8_t> payload, std::span<int16_t> pcm) override;
  int DecodeFec(std::span<const uint8_t>, std::span<int16_t>) override { return 0; }
  int Conceal(std::span<int16_t> pcm) override;

 private:
  bcg729DecoderChannelContextStruct_struct* decoder_ = nullptr;
  size_t frame_samples_;
};

class G729Encoder final : public AudioEncoder {
 public:
  G729Encoder();
  ~G729Encoder() override;
  G729Encoder(const G729Encoder&) = delete;
  G729Encoder& operator=(const G729Encoder&) = delete;

  // Whole 10 ms frames of `pcm`: 10 octets each.
  size_t Encode(std::span<const int16_t> pcm, std::span<uint8_t> payload) override;

 private:
  bcg729EncoderChannelContextStruct_struct* encoder_ = nullptr;
};

}  // namespace tutti::media
