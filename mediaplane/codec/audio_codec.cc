#include "mediaplane/codec/audio_codec.h"

#include <algorithm>
#include <vector>

#include "mediaplane/codec/g711.h"
#include "mediaplane/codec/opus_codec.h"

namespace tutti::media {
namespace {

// G.711 has no FEC; its PLC fades the last frame out over a few frames,
// repeating it at falling gain (a simple form of G.711 Appendix I), so a
// single loss is bridged without a click and a long gap goes quiet.
class G711Decoder final : public AudioDecoder {
 public:
  explicit G711Decoder(const CodecFormat& format) : ulaw_(format.kind == CodecKind::kPcmu) {
    last_.reserve(static_cast<size_t>(format.samples_per_frame()));
  }

  int Decode(std::span<const uint8_t> payload, std::span<int16_t> pcm) override {
    const size_t samples = std::min(payload.size(), pcm.size());
    if (ulaw_) {
      DecodeUlaw(payload.first(samples), pcm.data());
    } else {
      DecodeAlaw(payload.first(samples), pcm.data());
    }
    last_.assign(pcm.begin(), pcm.begin() + static_cast<std::ptrdiff_t>(samples));
    concealed_ = 0;
    return static_cast<int>(samples);
  }

  int DecodeFec(std::span<const uint8_t>, std::span<int16_t>) override { return 0; }

  int Conceal(std::span<int16_t> pcm) override {
    const size_t samples = std::min(pcm.size(), last_.size());
    // Gains 3/4, 2/4, 1/4, then silence.
    const int gain = std::max(0, 3 - concealed_);
    for (size_t i = 0; i < samples; ++i) pcm[i] = static_cast<int16_t>(last_[i] * gain / 4);
    ++concealed_;
    return static_cast<int>(samples);
  }

 private:
  bool ulaw_;
  // Reserved for one frame up front: assign() never allocates in the tick.
  std::vector<int16_t> last_;
  int concealed_ = 0;
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
  if (format.kind == CodecKind::kOpus) return std::make_unique<OpusAudioDecoder>(format);
  return std::make_unique<G711Decoder>(format);
}

std::unique_ptr<AudioEncoder> MakeEncoder(const CodecFormat& format) {
  if (format.kind == CodecKind::kOpus) return std::make_unique<OpusAudioEncoder>(format);
  return std::make_unique<G711Encoder>(format.kind);
}

}  // namespace tutti::media
