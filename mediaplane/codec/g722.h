// G.722 (ITU-T G.722, RTP payload RFC 3551 §4.5.2) through spandsp: 64
// kbit/s sub-band ADPCM, 16 kHz audio, one byte per two samples (160 bytes
// per 20 ms), on an 8 kHz RTP clock. Every byte sequence is a valid stream,
// so a payload is never "corrupt"; loss is concealed by repeating the last
// frame at falling gain (spandsp's PLC is built for 8 kHz).
#pragma once

#include <cstdint>
#include <span>

#include "mediaplane/codec/audio_codec.h"
#include "mediaplane/codec/fade_concealer.h"

struct g722_encode_state_s;
struct g722_decode_state_s;

namespace tutti::media {

class G722Decoder final : public AudioDecoder {
 public:
  explicit G722Decoder(const CodecFormat& format);
  ~G722Decoder() override;
  G722Decoder(const G722Decoder&) = delete;
  G722Decoder& operator=(const G722Decoder&) = delete;

  int Decode(std::span<const uint8_t> payload, std::span<int16_t> pcm) override;
  int DecodeFec(std::span<const uint8_t>, std::span<int16_t>) override { return 0; }
  int Conceal(std::span<int16_t> pcm) override { return concealer_.Conceal(pcm); }

 private:
  g722_decode_state_s* state_ = nullptr;
  FadeConcealer concealer_;
};

class G722Encoder final : public AudioEncoder {
 public:
  G722Encoder();
  ~G722Encoder() override;
  G722Encoder(const G722Encoder&) = delete;
  G722Encoder& operator=(const G722Encoder&) = delete;

  size_t Encode(std::span<const int16_t> pcm, std::span<uint8_t> payload) override;

 private:
  g722_encode_state_s* state_ = nullptr;
};

}  // namespace tutti::media
