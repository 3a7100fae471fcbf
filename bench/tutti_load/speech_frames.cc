#include "bench/tutti_load/speech_frames.h"

#include <opus/opus.h>

#include <array>
#include <memory>

#include "mediaplane/codec/g711.h"
#include "mediaplane/codec/resampler.h"
#include "mediaplane/prompt_library.h"
#include "mediaplane/rtp/rtp_packet.h"

namespace tutti::load {

CodecInfo InfoOf(Codec codec) {
  switch (codec) {
    case Codec::kPcmu:
      return {"PCMU", 0, 8000, 1};
    case Codec::kPcma:
      return {"PCMA", 8, 8000, 1};
    case Codec::kOpus:
      return {"opus", 111, 48000, 2};
  }
  return {"PCMU", 0, 8000, 1};
}

void EncodedFrames::Add(std::span<const uint8_t> payload, uint8_t level) {
  bytes_.insert(bytes_.end(), payload.begin(), payload.end());
  offsets_.push_back(bytes_.size());
  levels_.push_back(level);
}

namespace {

// Encodes `pcm` (at the codec's rate) in 20 ms frames into `out`.
class FrameEncoder {
 public:
  explicit FrameEncoder(Codec codec) : codec_(codec) {
    if (codec != Codec::kOpus) return;
    int error = OPUS_OK;
    opus_.reset(opus_encoder_create(48000, 1, OPUS_APPLICATION_VOIP, &error));
    // What a softphone sends: 24 kb/s wideband-or-better voice with DTX,
    // at full complexity (encoding happens once, before the run).
    opus_encoder_ctl(opus_.get(), OPUS_SET_BITRATE(24000));
    opus_encoder_ctl(opus_.get(), OPUS_SET_DTX(1));
    opus_encoder_ctl(opus_.get(), OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE));
    opus_encoder_ctl(opus_.get(), OPUS_SET_COMPLEXITY(10));
  }

  void Encode(std::span<const int16_t> pcm, EncodedFrames* out) {
    const size_t frame = codec_ == Codec::kOpus ? 960 : 160;
    std::array<uint8_t, 1500> payload{};
    for (size_t at = 0; at + frame <= pcm.size(); at += frame) {
      const std::span<const int16_t> samples = pcm.subspan(at, frame);
      const uint8_t level = media::AudioLevelOf(samples);
      switch (codec_) {
        case Codec::kPcmu:
          media::EncodeUlaw(samples, payload.data());
          out->Add({payload.data(), frame}, level);
          break;
        case Codec::kPcma:
          media::EncodeAlaw(samples, payload.data());
          out->Add({payload.data(), frame}, level);
          break;
        case Codec::kOpus: {
          const opus_int32 size =
              opus_encode(opus_.get(), samples.data(), static_cast<int>(frame), payload.data(),
                          static_cast<opus_int32>(payload.size()));
          out->Add(size > 2 ? std::span<const uint8_t>(payload.data(), static_cast<size_t>(size))
                            : std::span<const uint8_t>(),
                   level);
          break;
        }
      }
    }
  }

 private:
  struct OpusEncoderDeleter {
    void operator()(OpusEncoder* encoder) const { opus_encoder_destroy(encoder); }
  };
  Codec codec_;
  std::unique_ptr<OpusEncoder, OpusEncoderDeleter> opus_;
};

std::vector<int16_t> Resample(const std::vector<int16_t>& in, int from, int to) {
  if (from == to) return in;
  media::Resampler resampler(from, to, 5);
  const size_t in_frame = static_cast<size_t>(from / 50);
  std::vector<int16_t> out;
  std::vector<int16_t> frame(static_cast<size_t>(to / 50));
  for (size_t at = 0; at + in_frame <= in.size(); at += in_frame) {
    const int written =
        resampler.Process(std::span<const int16_t>(in).subspan(at, in_frame), frame);
    out.insert(out.end(), frame.begin(), frame.begin() + written);
  }
  return out;
}

}  // namespace

absl::StatusOr<SpeechFrames> EncodeSpeech(const std::string& wav_path, Codec codec) {
  absl::StatusOr<std::pair<std::vector<int16_t>, int>> wav = media::ReadWav(wav_path);
  if (!wav.ok()) return wav.status();
  const int rate = InfoOf(codec).clock_rate;
  const std::vector<int16_t> pcm = Resample(wav->first, wav->second, rate);
  if (pcm.size() < static_cast<size_t>(rate)) {
    return absl::InvalidArgumentError(wav_path + ": less than a second of speech");
  }
  SpeechFrames frames;
  frames.codec = codec;
  frames.speech_seconds = static_cast<double>(pcm.size()) / rate;
  FrameEncoder(codec).Encode(pcm, &frames.speech);
  // Digital silence: G.711 sends it all, Opus in DTX only its periodic
  // comfort-noise updates. The first second (before the encoder settles
  // into DTX) is left out so that the loop is two seconds of steady DTX.
  EncodedFrames silence;
  FrameEncoder(codec).Encode(std::vector<int16_t>(static_cast<size_t>(3 * rate), 0), &silence);
  for (size_t i = 50; i < silence.size(); ++i) frames.silence.Add(silence[i], silence.level(i));
  return frames;
}

}  // namespace tutti::load
