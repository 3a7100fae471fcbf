#include "mediaplane/codec/opus_codec.h"

#include <opus/opus.h>

#include <algorithm>
#include <cstdlib>

namespace tutti::media {

namespace {
constexpr int kChannels = 1;  // the bridge mixes mono; opus/48000/2 in SDP is the RTP format
}

OpusAudioDecoder::OpusAudioDecoder(const CodecFormat& format)
    : frame_samples_(format.samples_per_frame()) {
  int error = OPUS_OK;
  decoder_ = opus_decoder_create(format.clock_rate, kChannels, &error);
  if (error != OPUS_OK) std::abort();  // only on bad arguments, which are ours
}

OpusAudioDecoder::~OpusAudioDecoder() { opus_decoder_destroy(decoder_); }

int OpusAudioDecoder::Decode(std::span<const uint8_t> payload, std::span<int16_t> pcm) {
  const int samples = opus_decode(decoder_, payload.data(), static_cast<opus_int32>(payload.size()),
                                  pcm.data(), static_cast<int>(pcm.size()), 0);
  return samples < 0 ? -1 : samples;
}

int OpusAudioDecoder::DecodeFec(std::span<const uint8_t> next_payload, std::span<int16_t> pcm) {
  // With decode_fec=1 the frame size must be exactly the missing duration.
  const int samples = std::min(frame_samples_, static_cast<int>(pcm.size()));
  const int decoded =
      opus_decode(decoder_, next_payload.data(), static_cast<opus_int32>(next_payload.size()),
                  pcm.data(), samples, 1);
  return decoded < 0 ? 0 : decoded;
}

int OpusAudioDecoder::Conceal(std::span<int16_t> pcm) {
  const int samples = std::min(frame_samples_, static_cast<int>(pcm.size()));
  const int decoded = opus_decode(decoder_, nullptr, 0, pcm.data(), samples, 0);
  return decoded < 0 ? 0 : decoded;
}

OpusAudioEncoder::OpusAudioEncoder(const CodecFormat& format, bool dtx) {
  int error = OPUS_OK;
  encoder_ = opus_encoder_create(format.clock_rate, kChannels, OPUS_APPLICATION_VOIP, &error);
  if (error != OPUS_OK) std::abort();
  opus_encoder_ctl(encoder_, OPUS_SET_BITRATE(32000));
  // FEC stays armed; libopus encodes the redundant (LBRR) copy only while the
  // expected loss is above zero, which starts at zero until a report says more.
  opus_encoder_ctl(encoder_, OPUS_SET_INBAND_FEC(1));
  opus_encoder_ctl(encoder_, OPUS_SET_PACKET_LOSS_PERC(0));
  opus_encoder_ctl(encoder_, OPUS_SET_DTX(dtx ? 1 : 0));
  opus_encoder_ctl(encoder_, OPUS_SET_COMPLEXITY(5));
  opus_encoder_ctl(encoder_, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE));
}

void OpusAudioEncoder::SetExpectedLossPercent(int percent) {
  loss_percent_ = std::clamp(percent, 0, 100);
  ApplyLoss();
}

// The loss libopus plans for, and so whether it spends bits and a second
// SILK quantizer run on the redundant (LBRR) copy: at the top cost level
// a path losing under kFecMinLossPercent gets none (PLC covers it).
void OpusAudioEncoder::ApplyLoss() {
  const bool fec = cost_level_ < 3 || loss_percent_ >= kFecMinLossPercent;
  opus_encoder_ctl(encoder_, OPUS_SET_INBAND_FEC(fec ? 1 : 0));
  opus_encoder_ctl(encoder_, OPUS_SET_PACKET_LOSS_PERC(fec ? loss_percent_ : 0));
}

void OpusAudioEncoder::SetCostLevel(int level) {
  level = std::clamp(level, 0, 3);
  if (level == cost_level_) return;
  cost_level_ = level;
  // Complexity is the encoder's main cost knob, each step a small loss in
  // quality (the instruction counts are in bench/README.md, "Shedding").
  constexpr int kComplexity[] = {5, 3, 1, 1};
  opus_encoder_ctl(encoder_, OPUS_SET_COMPLEXITY(kComplexity[level]));
  ApplyLoss();
}

int OpusAudioEncoder::complexity() const {
  opus_int32 value = 0;
  opus_encoder_ctl(encoder_, OPUS_GET_COMPLEXITY(&value));
  return value;
}

int OpusAudioEncoder::packet_loss_percent() const {
  opus_int32 value = 0;
  opus_encoder_ctl(encoder_, OPUS_GET_PACKET_LOSS_PERC(&value));
  return value;
}

bool OpusAudioEncoder::fec() const {
  opus_int32 value = 0;
  opus_encoder_ctl(encoder_, OPUS_GET_INBAND_FEC(&value));
  return value != 0;
}

OpusAudioEncoder::~OpusAudioEncoder() { opus_encoder_destroy(encoder_); }

size_t OpusAudioEncoder::Encode(std::span<const int16_t> pcm, std::span<uint8_t> payload) {
  if (independent_next_) opus_encoder_ctl(encoder_, OPUS_SET_PREDICTION_DISABLED(1));
  const opus_int32 bytes = opus_encode(encoder_, pcm.data(), static_cast<int>(pcm.size()),
                                       payload.data(), static_cast<opus_int32>(payload.size()));
  if (independent_next_) {
    opus_encoder_ctl(encoder_, OPUS_SET_PREDICTION_DISABLED(0));
    independent_next_ = false;
  }
  // libopus: a packet of 2 bytes or less in DTX mode need not be sent.
  return bytes <= 2 ? 0 : static_cast<size_t>(bytes);
}

}  // namespace tutti::media
