// Opus (RFC 6716, RTP payload RFC 7587) through libopus: 48 kHz mono inside
// the bridge, in-band FEC and DTX on, PLC and FEC recovery on the decode side.
#pragma once

#include <cstdint>
#include <span>

#include "mediaplane/codec/audio_codec.h"

struct OpusEncoder;
struct OpusDecoder;

namespace tutti::media {

class OpusAudioDecoder final : public AudioDecoder {
 public:
  explicit OpusAudioDecoder(const CodecFormat& format);
  ~OpusAudioDecoder() override;
  OpusAudioDecoder(const OpusAudioDecoder&) = delete;
  OpusAudioDecoder& operator=(const OpusAudioDecoder&) = delete;

  int Decode(std::span<const uint8_t> payload, std::span<int16_t> pcm) override;
  int DecodeFec(std::span<const uint8_t> next_payload, std::span<int16_t> pcm) override;
  int Conceal(std::span<int16_t> pcm) override;

 private:
  ::OpusDecoder* decoder_ = nullptr;
  int frame_samples_;
};

class OpusAudioEncoder final : public AudioEncoder {
 public:
  // Voice application, 32 kbit/s. In-band FEC only once a receiver reports
  // loss (SetExpectedLossPercent): on a clean path it would take bits from
  // the primary frame and re-run SILK's quantizer for nothing. DTX is
  // off by default: the bridge knows exactly when its mix is silent and skips
  // those frames itself, while Opus's own VAD would also drop steady tones
  // and music (hold music, prompts).
  explicit OpusAudioEncoder(const CodecFormat& format, bool dtx = false);
  ~OpusAudioEncoder() override;
  OpusAudioEncoder(const OpusAudioEncoder&) = delete;
  OpusAudioEncoder& operator=(const OpusAudioEncoder&) = delete;

  size_t Encode(std::span<const int16_t> pcm, std::span<uint8_t> payload) override;
  void SetExpectedLossPercent(int percent) override;
  void NextFrameIndependent() override { independent_next_ = true; }
  // 0: complexity 5 (the default); 1: complexity 3; 2: complexity 1;
  // 3 and above: complexity 1 and in-band FEC only while receivers report
  // at least kFecMinLossPercent loss (off for clean and nearly clean paths).
  void SetCostLevel(int level) override;

  static constexpr int kFecMinLossPercent = 10;
  // What libopus was told (for tests).
  int complexity() const;
  int packet_loss_percent() const;
  bool fec() const;

 private:
  void ApplyLoss();

  ::OpusEncoder* encoder_ = nullptr;
  bool independent_next_ = false;
  int cost_level_ = 0;
  int loss_percent_ = 0;  // as the receivers report it
};

}  // namespace tutti::media
