#include "mediaplane/rtp/rtcp_feedback.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "mediaplane/rtp/byte_order.h"
#include "mediaplane/rtp/rtcp_packet.h"

namespace tutti::media {
namespace {

constexpr uint8_t kTransportFeedback = 205;  // RTPFB
constexpr uint8_t kPayloadFeedback = 206;    // PSFB
constexpr uint8_t kFmtNack = 1;              // RTPFB
constexpr uint8_t kFmtTmmbr = 3;             // RTPFB
constexpr uint8_t kFmtPli = 1;               // PSFB
constexpr uint8_t kFmtFir = 4;               // PSFB
constexpr uint8_t kFmtApplication = 15;      // PSFB: AFB, where REMB lives
constexpr uint8_t kRembId[4] = {'R', 'E', 'M', 'B'};
constexpr size_t kFeedbackHeaderSize = 12;  // common header, sender SSRC, media SSRC
constexpr int kRembMantissaBits = 18;
constexpr int kTmmbrMantissaBits = 17;
constexpr uint16_t kMaxTmmbrOverhead = 0x1ff;
constexpr size_t kMaxRembSsrcs = 255;

// mantissa * 2^exponent, UINT64_MAX where that does not fit.
uint64_t DecodeBitrate(uint64_t mantissa, int exponent) {
  if (mantissa > (std::numeric_limits<uint64_t>::max() >> exponent)) {
    return std::numeric_limits<uint64_t>::max();
  }
  return mantissa << exponent;
}

// The smallest exponent whose mantissa fits `bits`; the mantissa is `bps`
// shifted down, so the bits shifted out round it down, never up.
void EncodeBitrate(uint64_t bps, int bits, uint32_t* mantissa, uint32_t* exponent) {
  int shift = 0;
  while ((bps >> shift) >= (uint64_t{1} << bits)) ++shift;
  *mantissa = static_cast<uint32_t>(bps >> shift);
  *exponent = static_cast<uint32_t>(shift);
}

// Adds one entry to a bounded list, or marks the feedback truncated.
template <typename T, size_t N>
void Append(T (&list)[N], int* count, const T& entry, bool* truncated) {
  if (*count >= static_cast<int>(N)) {
    *truncated = true;
    return;
  }
  list[(*count)++] = entry;
}

bool ReadNacks(uint32_t media_ssrc, std::span<const uint8_t> fci, RtcpFeedback* feedback) {
  if (fci.size() % 4 != 0) return false;
  for (size_t i = 0; i < fci.size(); i += 4) {
    const RtcpFeedback::Nack nack{
        .media_ssrc = media_ssrc,
        .item = {.packet_id = LoadBe16(&fci[i]), .lost_bitmask = LoadBe16(&fci[i + 2])}};
    Append(feedback->nack, &feedback->nack_count, nack, &feedback->truncated);
  }
  return true;
}

bool ReadTmmbrs(std::span<const uint8_t> fci, RtcpFeedback* feedback) {
  if (fci.size() % 8 != 0) return false;
  for (size_t i = 0; i < fci.size(); i += 8) {
    const uint32_t word = LoadBe32(&fci[i + 4]);
    const RtcpFeedback::Tmmbr tmmbr{
        .ssrc = LoadBe32(&fci[i]),
        .bps = DecodeBitrate((word >> 9) & 0x1ffff, static_cast<int>(word >> 26)),
        .overhead = static_cast<uint16_t>(word & kMaxTmmbrOverhead)};
    Append(feedback->tmmbr, &feedback->tmmbr_count, tmmbr, &feedback->truncated);
  }
  return true;
}

bool ReadFirs(std::span<const uint8_t> fci, RtcpFeedback* feedback) {
  if (fci.size() % 8 != 0) return false;
  for (size_t i = 0; i < fci.size(); i += 8) {
    const RtcpFeedback::Fir fir{.ssrc = LoadBe32(&fci[i]), .seq = fci[i + 4]};
    Append(feedback->fir, &feedback->fir_count, fir, &feedback->truncated);
  }
  return true;
}

// An application-layer FB that is not REMB is someone else's and skipped.
bool ReadRemb(std::span<const uint8_t> fci, RtcpFeedback* feedback) {
  if (fci.size() < 4 || std::memcmp(fci.data(), kRembId, 4) != 0) return true;
  if (fci.size() < 8) return false;
  const size_t ssrcs = fci[4];
  if (fci.size() < 8 + 4 * ssrcs) return false;
  const uint64_t mantissa = ((uint64_t{fci[5]} & 0x3) << 16) | LoadBe16(&fci[6]);
  const uint64_t bps = DecodeBitrate(mantissa, fci[5] >> 2);
  // Two REMBs in one compound: the lower one holds, as the combined limit of
  // several receivers does.
  if (!feedback->has_remb || bps < feedback->remb_bps) feedback->remb_bps = bps;
  feedback->has_remb = true;
  for (size_t i = 0; i < ssrcs; ++i) {
    Append(feedback->remb_ssrc, &feedback->remb_ssrc_count, LoadBe32(&fci[8 + 4 * i]),
           &feedback->truncated);
  }
  return true;
}

bool ReadFeedbackPacket(const RtcpPacketView& view, RtcpFeedback* feedback) {
  if (view.type != kTransportFeedback && view.type != kPayloadFeedback) return true;
  if (view.body.size() < 8) return false;
  const uint32_t media_ssrc = LoadBe32(view.body.data() + 4);
  const std::span<const uint8_t> fci = view.body.subspan(8);
  if (view.type == kTransportFeedback) {
    if (view.count == kFmtNack) return ReadNacks(media_ssrc, fci, feedback);
    if (view.count == kFmtTmmbr) return ReadTmmbrs(fci, feedback);
    return true;
  }
  switch (view.count) {
    case kFmtPli:
      Append(feedback->pli_ssrc, &feedback->pli_count, media_ssrc, &feedback->truncated);
      return true;
    case kFmtFir:
      return ReadFirs(fci, feedback);
    case kFmtApplication:
      return ReadRemb(fci, feedback);
    default:
      return true;
  }
}

// The common header and both SSRCs of a feedback packet `size` octets long.
void WriteFeedbackHeader(uint8_t fmt, uint8_t type, size_t size, uint32_t sender_ssrc,
                         uint32_t media_ssrc, uint8_t* p) {
  p[0] = static_cast<uint8_t>(0x80 | fmt);
  p[1] = type;
  StoreBe16(p + 2, static_cast<uint16_t>(size / 4 - 1));
  StoreBe32(p + 4, sender_ssrc);
  StoreBe32(p + 8, media_ssrc);
}

}  // namespace

std::optional<RtcpFeedback> ParseRtcpFeedback(std::span<const uint8_t> compound) {
  RtcpFeedback feedback;
  bool first = true;
  const bool valid = ForEachRtcpPacket(compound, [&](const RtcpPacketView& view) {
    if (first && view.body.size() >= 4) feedback.sender_ssrc = LoadBe32(view.body.data());
    first = false;
    return ReadFeedbackPacket(view, &feedback);
  });
  if (!valid) return std::nullopt;
  return feedback;
}

size_t WritePli(uint32_t sender_ssrc, uint32_t media_ssrc, std::span<uint8_t> out) {
  if (out.size() < kFeedbackHeaderSize) return 0;
  WriteFeedbackHeader(kFmtPli, kPayloadFeedback, kFeedbackHeaderSize, sender_ssrc, media_ssrc,
                      out.data());
  return kFeedbackHeaderSize;
}

size_t WriteFir(uint32_t sender_ssrc, uint32_t media_ssrc, uint8_t seq, std::span<uint8_t> out) {
  constexpr size_t kSize = kFeedbackHeaderSize + 8;
  if (out.size() < kSize) return 0;
  // RFC 5104 §4.3.1.2: the header's media SSRC is unused (0); the FCI names it.
  WriteFeedbackHeader(kFmtFir, kPayloadFeedback, kSize, sender_ssrc, 0, out.data());
  uint8_t* fci = out.data() + kFeedbackHeaderSize;
  StoreBe32(fci, media_ssrc);
  fci[4] = seq;
  fci[5] = fci[6] = fci[7] = 0;
  return kSize;
}

size_t WriteNack(uint32_t sender_ssrc, uint32_t media_ssrc, std::span<const NackItem> items,
                 std::span<uint8_t> out) {
  // The length field counts at most 65536 words.
  if (items.empty() || items.size() > out.size() / 4 || items.size() > 0xffff - 2) return 0;
  const size_t size = kFeedbackHeaderSize + 4 * items.size();
  if (out.size() < size) return 0;
  WriteFeedbackHeader(kFmtNack, kTransportFeedback, size, sender_ssrc, media_ssrc, out.data());
  uint8_t* fci = out.data() + kFeedbackHeaderSize;
  for (const NackItem& item : items) {
    StoreBe16(fci, item.packet_id);
    StoreBe16(fci + 2, item.lost_bitmask);
    fci += 4;
  }
  return size;
}

size_t WriteRemb(uint32_t sender_ssrc, uint64_t bps, std::span<const uint32_t> ssrcs,
                 std::span<uint8_t> out) {
  if (ssrcs.size() > kMaxRembSsrcs) ssrcs = ssrcs.first(kMaxRembSsrcs);
  const size_t size = kFeedbackHeaderSize + 8 + 4 * ssrcs.size();
  if (out.size() < size) return 0;
  WriteFeedbackHeader(kFmtApplication, kPayloadFeedback, size, sender_ssrc, 0, out.data());
  uint8_t* fci = out.data() + kFeedbackHeaderSize;
  std::memcpy(fci, kRembId, 4);
  uint32_t mantissa = 0;
  uint32_t exponent = 0;
  EncodeBitrate(bps, kRembMantissaBits, &mantissa, &exponent);
  fci[4] = static_cast<uint8_t>(ssrcs.size());
  fci[5] = static_cast<uint8_t>((exponent << 2) | (mantissa >> 16));
  StoreBe16(fci + 6, static_cast<uint16_t>(mantissa));
  for (size_t i = 0; i < ssrcs.size(); ++i) StoreBe32(fci + 8 + 4 * i, ssrcs[i]);
  return size;
}

size_t WriteTmmbr(uint32_t sender_ssrc, uint32_t media_ssrc, uint64_t bps, uint16_t overhead,
                  std::span<uint8_t> out) {
  constexpr size_t kSize = kFeedbackHeaderSize + 8;
  if (out.size() < kSize) return 0;
  // RFC 5104 §4.2.1.2: the header's media SSRC is unused (0); the FCI names it.
  WriteFeedbackHeader(kFmtTmmbr, kTransportFeedback, kSize, sender_ssrc, 0, out.data());
  uint8_t* fci = out.data() + kFeedbackHeaderSize;
  uint32_t mantissa = 0;
  uint32_t exponent = 0;
  EncodeBitrate(bps, kTmmbrMantissaBits, &mantissa, &exponent);
  StoreBe32(fci, media_ssrc);
  StoreBe32(fci + 4,
            (exponent << 26) | (mantissa << 9) | std::min<uint16_t>(overhead, kMaxTmmbrOverhead));
  return kSize;
}

size_t PackNackItems(std::span<const uint16_t> lost, std::span<NackItem> out) {
  size_t written = 0;
  for (const uint16_t sequence : lost) {
    if (written > 0) {
      NackItem& last = out[written - 1];
      const auto after = static_cast<uint16_t>(sequence - last.packet_id);
      if (after == 0) continue;
      if (after <= 16) {
        last.lost_bitmask = static_cast<uint16_t>(last.lost_bitmask | (1u << (after - 1)));
        continue;
      }
    }
    if (written == out.size()) break;
    out[written++] = NackItem{.packet_id = sequence, .lost_bitmask = 0};
  }
  return written;
}

}  // namespace tutti::media
