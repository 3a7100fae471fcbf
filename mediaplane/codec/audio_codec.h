// The audio codec interface the mixer works with: 16-bit PCM frames in and
// out at the codec's own rate, payloads in caller-owned buffers, no
// allocation after construction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

namespace tutti::media {

enum class CodecKind : uint8_t { kPcmu, kPcma, kOpus, kG722, kG729 };

struct CodecFormat {
  CodecKind kind = CodecKind::kPcmu;
  // The RTP clock: 8000 for G.711, G.722 and G.729, 48000 for Opus.
  int clock_rate = 8000;
  int ptime_ms = 20;
  // The rate of the PCM the codec takes and gives. The RTP clock's, except
  // for G.722: 16 kHz audio on an 8 kHz RTP clock (an error RFC 1890 made
  // and RFC 3551 §4.5.2 kept for compatibility).
  int pcm_rate() const { return kind == CodecKind::kG722 ? 16000 : clock_rate; }
  // PCM samples in one frame (what Decode gives and Encode takes).
  int samples_per_frame() const { return pcm_rate() * ptime_ms / 1000; }
  // RTP timestamp units one frame spans.
  int timestamps_per_frame() const { return clock_rate * ptime_ms / 1000; }
  bool operator==(const CodecFormat&) const = default;
};

class AudioDecoder {
 public:
  virtual ~AudioDecoder() = default;
  // Decodes one packet into `pcm` (samples_per_frame samples for 20 ms).
  // Returns the number of samples, or -1 when the payload is corrupt.
  virtual int Decode(std::span<const uint8_t> payload, std::span<int16_t> pcm) = 0;
  // Recovers a lost frame from the in-band FEC of the packet after it, when
  // the codec carries one. Returns samples, or 0 when there is nothing to recover.
  virtual int DecodeFec(std::span<const uint8_t> next_payload, std::span<int16_t> pcm) = 0;
  // Conceals one lost frame (PLC). Returns samples written.
  virtual int Conceal(std::span<int16_t> pcm) = 0;
};

class AudioEncoder {
 public:
  virtual ~AudioEncoder() = default;
  // Encodes one frame. Returns the payload size in bytes; 0 means "nothing
  // to send" (Opus DTX in silence sends a 1-2 byte frame, G.711 always sends).
  virtual size_t Encode(std::span<const int16_t> pcm, std::span<uint8_t> payload) = 0;
  // The loss (percent) its receivers report. Codecs with in-band FEC spend
  // bits and CPU on it only while this is above zero; others ignore it.
  virtual void SetExpectedLossPercent(int /*percent*/) {}
  // The receiver's decoder last ran on another encoder's packets (the bridge
  // forwarded a talker's own): code the next frame without reference to
  // earlier ones so that decoder does not predict from a history it lacks.
  virtual void NextFrameIndependent() {}
  // How much CPU the encoder may spend, set by a worker under pressure
  // (issue 20, shedding): 0 is full quality; each level above trades some
  // quality for cost (Opus: lower complexity, then in-band FEC only where
  // receivers report real loss). Codecs with no such knob ignore it.
  virtual void SetCostLevel(int /*level*/) {}
};

std::unique_ptr<AudioDecoder> MakeDecoder(const CodecFormat& format);
std::unique_ptr<AudioEncoder> MakeEncoder(const CodecFormat& format);

// Large enough for any encoded 20 ms frame we produce.
constexpr size_t kMaxPayloadBytes = 1276;

}  // namespace tutti::media
