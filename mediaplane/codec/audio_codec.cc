#include "mediaplane/codec/audio_codec.h"

#include <algorithm>

#include "mediaplane/codec/fade_concealer.h"
#include "mediaplane/codec/g711.h"
#include "mediaplane/codec/g722.h"
#include "mediaplane/codec/g729.h"
#include "mediaplane/codec/opus_codec.h"

namespace tutti::media {
namespace {

// G.711 has no FEC; its PLC fades the last frame out (FadeConcealer).
class G711Decoder final : public AudioDecoder {
 public:
  explicit G711Decoder(const CodecFormat& format)
      : ulaw_(format.kind == CodecKind::kPcmu), concealer_(format.samples_per_frame()) {}

  int Decode(std::span<const uint8_t> payload, std::span<int16_t> pcm) override {
    const size_t samples = std::min(payload.size(), pcm.size());
    if (ulaw_) {
      DecodeUlaw(payload.first(samples), pcm.data());
    } else {
      DecodeAlaw(payload.first(samples), pcm.data());
    }
    concealer_.Remember(pcm.first(samples));
    return static_cast<int>(samples);
  }

  int DecodeFec(std::span<const uint8_t>, std::span<int16_t>) override { return 0; }

  int Conceal(std::span<int16_t> pcm) override { return concealer_.Conceal(pcm); }

 private:
  bool ulaw_;
  FadeConcealer concealer_;
};

class G711Encoder final : public AudioEncoder {
 public:
  explicit G711Encoder(CodecKind kind) : ulaw_(kind == CodecKind::kPcmu) {}

  size_t Encode(std::span<const int16_t> pcm, std::span<uint8_t> payload) override {
    const size_t samples = std::min(pcm.size(), payload.size());
    if (ulaw_) {
      EncodeUlaw(pcm.first(samples), payload.data());
    } else {
      EncodeAlaw(pcm.first(samples), payload.data());
    }
    return samples;
  }

 private:
  bool ulaw_;
};

}  // namespace

std::unique_ptr<AudioDecoder> MakeDecoder(const CodecFormat& format) {
  switch (format.kind) {
    case CodecKind::kOpus:
      return std::make_unique<OpusAudioDecoder>(format);
    case CodecKind::kG722:
      return std::make_unique<G722Decoder>(format);
    case CodecKind::kG729:
      return std::make_unique<G729Decoder>(format);
    case CodecKind::kPcmu:
    case CodecKind::kPcma:
      break;
  }
  return std::make_unique<G711Decoder>(format);
}

std::unique_ptr<AudioEncoder> MakeEncoder(const CodecFormat& format) {
  switch (format.kind) {
    case CodecKind::kOpus:
      return std::make_unique<OpusAudioEncoder>(format);
    case CodecKind::kG722:
      return std::make_unique<G722Encoder>();
    case CodecKind::kG729:
      return std::make_unique<G729Encoder>();
    case CodecKind::kPcmu:
    case CodecKind::kPcma:
      break;
  }
  return std::make_unique<G711Encoder>(format.kind);
}

}  // namespace tutti::media
