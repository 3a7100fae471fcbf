#include "mediaplane/codec/g722.h"

#include <spandsp/telephony.h>
// telephony.h first: g722.h uses its SPAN_DECLARE.
#include <spandsp/g722.h>

#include <algorithm>
#include <cstdlib>

namespace tutti::media {
namespace {
constexpr int kBitRate = 64000;  // RFC 3551: G722 in RTP is the 64 kbit/s mode
}

G722Decoder::G722Decoder(const CodecFormat& format) : concealer_(format.samples_per_frame()) {
  // Options 0: unpacked octets, 16 kHz output.
  state_ = g722_decode_init(nullptr, kBitRate, 0);
  if (state_ == nullptr) std::abort();  // out of memory at call setup
}

G722Decoder::~G722Decoder() { g722_decode_free(state_); }

int G722Decoder::Decode(std::span<const uint8_t> payload, std::span<int16_t> pcm) {
  // Two samples per octet; what does not fit the frame is dropped (a peer
  // sending longer packets than agreed gets its first 20 ms heard).
  const size_t octets = std::min(payload.size(), pcm.size() / 2);
  const int samples = g722_decode(state_, pcm.data(), payload.data(), static_cast<int>(octets));
  concealer_.Remember(pcm.first(static_cast<size_t>(samples)));
  return samples;
}

G722Encoder::G722Encoder() {
  state_ = g722_encode_init(nullptr, kBitRate, 0);
  if (state_ == nullptr) std::abort();
}

G722Encoder::~G722Encoder() { g722_encode_free(state_); }

size_t G722Encoder::Encode(std::span<const int16_t> pcm, std::span<uint8_t> payload) {
  const size_t samples = std::min(pcm.size(), payload.size() * 2);
  return static_cast<size_t>(
      g722_encode(state_, payload.data(), pcm.data(), static_cast<int>(samples)));
}

}  // namespace tutti::media
