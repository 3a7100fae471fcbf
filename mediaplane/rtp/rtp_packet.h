// RTP fixed header, CSRC list, header extension and padding (RFC 3550 §5.1),
// read and written in place: the view points into the packet buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace tutti::media {

struct RtpView {
  bool marker = false;
  uint8_t payload_type = 0;
  uint16_t sequence = 0;
  uint32_t timestamp = 0;
  uint32_t ssrc = 0;
  uint8_t csrc_count = 0;
  const uint8_t* csrcs = nullptr;  // csrc_count big-endian 32-bit words
  uint16_t extension_profile = 0;  // 0 when there is no extension
  std::span<const uint8_t> extension;
  std::span<const uint8_t> payload;  // padding removed
  uint8_t padding = 0;

  uint32_t Csrc(int index) const;
};

// nullopt for anything that is not a well-formed RTP packet: version other
// than 2, truncated header/CSRC/extension, padding longer than the payload.
std::optional<RtpView> ParseRtp(std::span<const uint8_t> packet);

// Quick demultiplex of RTP and RTCP on one port (RFC 5761 §4): RTCP packet
// types 192..223 occupy the second byte, which in RTP is marker+payload type.
bool LooksLikeRtcp(std::span<const uint8_t> packet);

struct RtpHeaderFields {
  bool marker = false;
  uint8_t payload_type = 0;
  uint16_t sequence = 0;
  uint32_t timestamp = 0;
  uint32_t ssrc = 0;
};

constexpr size_t kRtpHeaderSize = 12;

// Writes the 12-byte fixed header (no CSRC, no extension) into out, which
// must hold kRtpHeaderSize bytes.
void WriteRtpHeader(const RtpHeaderFields& fields, uint8_t* out);

// The data of header extension element `id` (RFC 8285: one-byte elements
// under profile 0xBEDE, ids 1-14; two-byte under 0x100X, ids 1-255). Empty
// when the packet has no such element or its extension block is malformed.
std::span<const uint8_t> FindHeaderExtension(const RtpView& rtp, int id);

// Client-to-mixer audio level (RFC 6464): the level of the audio in the
// packet in -dBov (0 loudest .. 127 silence) and the sender's voice
// activity flag.
struct AudioLevel {
  uint8_t level = 127;
  bool voice = false;
  float dbov() const { return -static_cast<float>(level); }
};
// The level the packet carries under extension id `id` (1-255).
std::optional<AudioLevel> FindAudioLevel(const RtpView& rtp, int id);

// The fixed header followed by a one-byte extension block holding one audio
// level element (id 1-14) padded to a word: 20 bytes.
constexpr size_t kRtpAudioLevelHeaderSize = kRtpHeaderSize + 8;
void WriteRtpHeaderWithAudioLevel(const RtpHeaderFields& fields, int id, AudioLevel level,
                                  uint8_t* out);
// The level of a frame in -dBov as RFC 6464 §3 carries it: RMS relative to
// full scale, clamped to 0..127 (127 also for digital silence).
uint8_t AudioLevelOf(std::span<const int16_t> pcm);

}  // namespace tutti::media
