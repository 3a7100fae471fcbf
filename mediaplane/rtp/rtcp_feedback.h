// RTCP feedback for video (RFC 4585 AVPF, RFC 5104 codec control, and
// draft-alvestrand-rmcat-remb): picture loss, full intra requests, generic
// NACKs and bitrate limits, read from a compound packet with the same walk and
// validity rules as ParseRtcp, and written one packet at a time into
// caller-owned buffers. Nothing here allocates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace tutti::media {

// One generic NACK item (RFC 4585 §6.2.1): `packet_id` was lost, and so was
// packet_id + i + 1 for each set bit i of `lost_bitmask`.
struct NackItem {
  uint16_t packet_id = 0;
  uint16_t lost_bitmask = 0;
  bool operator==(const NackItem&) const = default;
};

// Bounds on what one compound can make the bridge do; entries beyond them are
// dropped and counted in RtcpFeedback::truncated.
constexpr int kMaxFeedbackEntries = 8;  // per kind per compound
constexpr int kMaxNackItems = 32;

// The feedback a compound carries. Entries keep their order in the compound.
struct RtcpFeedback {
  uint32_t sender_ssrc = 0;  // of the first packet in the compound
  // PSFB FMT 1: the media SSRC each picture loss indication names.
  int pli_count = 0;
  uint32_t pli_ssrc[kMaxFeedbackEntries] = {};
  // PSFB FMT 4: one per FCI entry (the SSRC asked for a keyframe, and the
  // command sequence number that tells a repeated request from a new one).
  int fir_count = 0;
  struct Fir {
    uint32_t ssrc = 0;
    uint8_t seq = 0;
  } fir[kMaxFeedbackEntries] = {};
  // RTPFB FMT 1: one per FCI item, with the media SSRC of its packet.
  int nack_count = 0;
  struct Nack {
    uint32_t media_ssrc = 0;
    NackItem item;
  } nack[kMaxNackItems] = {};
  // PSFB FMT 15 "REMB": the lowest bitrate any REMB of the compound allows,
  // and the SSRCs they name.
  bool has_remb = false;
  uint64_t remb_bps = 0;
  int remb_ssrc_count = 0;
  uint32_t remb_ssrc[kMaxFeedbackEntries] = {};
  // RTPFB FMT 3: one per FCI entry.
  int tmmbr_count = 0;
  struct Tmmbr {
    uint32_t ssrc = 0;
    uint64_t bps = 0;
    uint16_t overhead = 0;  // measured per-packet overhead, octets (9 bits)
  } tmmbr[kMaxFeedbackEntries] = {};
  bool truncated = false;  // entries beyond the bounds were dropped

  bool any() const {
    return pli_count > 0 || fir_count > 0 || nack_count > 0 || has_remb || tmmbr_count > 0;
  }
};

// nullopt when the compound is malformed by ParseRtcp's rules, or a feedback
// packet it reads is: an RTPFB or PSFB shorter than its two SSRCs, a FIR,
// NACK or TMMBR whose FCI is not whole entries, a REMB shorter than the SSRCs
// it counts. A compound without feedback parses to one whose any() is false.
// Other feedback (TMMBN, SLI, RPSI, other application-layer FB) is skipped.
// A bitrate whose exponent overflows 64 bits reads as UINT64_MAX.
std::optional<RtcpFeedback> ParseRtcpFeedback(std::span<const uint8_t> compound);

// Each writer puts one feedback packet at out.data() and returns its size, a
// multiple of 4 (0: `out` has no room for it, or there is nothing to write).
// Append it after an RR (WriteRtcp) for a compound (RFC 4585 §3.1), or send
// it alone as reduced-size RTCP (RFC 5506).
size_t WritePli(uint32_t sender_ssrc, uint32_t media_ssrc, std::span<uint8_t> out);
size_t WriteFir(uint32_t sender_ssrc, uint32_t media_ssrc, uint8_t seq, std::span<uint8_t> out);
// 0 when `items` is empty: a NACK names at least one packet.
size_t WriteNack(uint32_t sender_ssrc, uint32_t media_ssrc, std::span<const NackItem> items,
                 std::span<uint8_t> out);
// Bitrates are written as mantissa and exponent with the mantissa rounded
// down, so the peer never reads more than `bps`. REMB names at most 255 SSRCs;
// the TMMBR overhead at most 511 octets (both are cut to fit their fields).
size_t WriteRemb(uint32_t sender_ssrc, uint64_t bps, std::span<const uint32_t> ssrcs,
                 std::span<uint8_t> out);
size_t WriteTmmbr(uint32_t sender_ssrc, uint32_t media_ssrc, uint64_t bps, uint16_t overhead,
                  std::span<uint8_t> out);

// The sequence numbers one NACK item names: packet_id, then packet_id + i + 1
// for each set bit i of the bitmask, lowest bit first (mod 2^16).
template <typename Fn>
void ForEachNackedSequence(const NackItem& item, Fn&& fn) {
  fn(item.packet_id);
  for (int bit = 0; bit < 16; ++bit) {
    if (item.lost_bitmask & (1u << bit)) fn(static_cast<uint16_t>(item.packet_id + bit + 1));
  }
}

// Packs lost sequence numbers, ascending in RTP order (mod 2^16, so 65535
// comes before 0), into as few NACK items as they fit: each item covers its
// packet_id and the 16 after it. Repeats are skipped; a number that goes back
// starts a new item. Returns the items written; when `out` fills up, the
// numbers that did not fit are left out.
size_t PackNackItems(std::span<const uint16_t> lost, std::span<NackItem> out);

}  // namespace tutti::media
