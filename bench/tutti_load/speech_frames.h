// Speech for tutti-load's talkers, encoded once before a run: the clip is
// read from a WAV, resampled to the codec's rate and cut into 20 ms
// payloads, so that sending costs the load tool a copy and not an encode.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace tutti::load {

enum class Codec { kPcmu, kPcma, kOpus };

struct CodecInfo {
  const char* sdp_name;  // as in a=rtpmap
  int payload_type;
  int clock_rate;
  int channels;  // in the SDP (Opus is always opus/48000/2 there)
};
CodecInfo InfoOf(Codec codec);

// 20 ms payloads back to back. An empty frame is one not to send: Opus in
// DTX (RFC 7587 §3.1.3: the encoder's 1-2 byte frames are not transmitted).
// Each with its audio's RFC 6464 level (-dBov, 127: silence), measured
// when it was encoded, for the header extension.
class EncodedFrames {
 public:
  void Add(std::span<const uint8_t> payload, uint8_t level = 127);
  size_t size() const { return offsets_.size() - 1; }
  std::span<const uint8_t> operator[](size_t i) const {
    return {bytes_.data() + offsets_[i], offsets_[i + 1] - offsets_[i]};
  }
  uint8_t level(size_t i) const { return levels_[i]; }

 private:
  std::vector<uint8_t> bytes_;
  std::vector<size_t> offsets_{0};
  std::vector<uint8_t> levels_;
};

struct SpeechFrames {
  Codec codec = Codec::kPcmu;
  EncodedFrames speech;   // the clip, looped by talkers
  EncodedFrames silence;  // what a quiet participant sends, looped
  double speech_seconds = 0;
};

// Reads a 16-bit PCM WAV (any rate from 8 to 48 kHz, mono or stereo).
absl::StatusOr<SpeechFrames> EncodeSpeech(const std::string& wav_path, Codec codec);

}  // namespace tutti::load
