// RTCP compound packets (RFC 3550 §6): sender and receiver reports, SDES
// CNAME and BYE, parsed from and written into caller-owned buffers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "absl/functional/function_ref.h"

namespace tutti::media {

// One report block (RFC 3550 §6.4.1): what the sender of the report has
// received from `ssrc`.
struct ReportBlock {
  uint32_t ssrc = 0;
  uint8_t fraction_lost = 0;         // of 256, since the last report
  int32_t cumulative_lost = 0;       // 24-bit signed
  uint32_t highest_sequence = 0;     // extended
  uint32_t jitter = 0;               // timestamp units
  uint32_t last_sr = 0;              // middle 32 bits of the last SR's NTP time
  uint32_t delay_since_last_sr = 0;  // 1/65536 s
};

constexpr int kMaxReportBlocks = 31;

// What a compound packet says, in the fields the bridge uses.
struct RtcpSummary {
  uint32_t sender_ssrc = 0;
  bool has_sender_report = false;
  uint64_t ntp_time = 0;       // SR: 32.32 fixed point
  uint32_t rtp_timestamp = 0;  // SR
  uint32_t packet_count = 0;   // SR
  uint32_t octet_count = 0;    // SR
  int report_count = 0;
  ReportBlock reports[kMaxReportBlocks];
  bool has_bye = false;
  std::string_view cname;  // points into the packet
};

// nullopt when the compound packet is malformed (RFC 3550 §A.2 validity
// checks: version 2, lengths add up to the datagram, padding only at the end
// and no longer than its packet's body). Non-compound packets (RFC 5506),
// e.g. an APP or BYE alone, are accepted; packet types the bridge does not
// read (APP, RTPFB, PSFB, XR of RFC 3611, and any other) are skipped whole.
std::optional<RtcpSummary> ParseRtcp(std::span<const uint8_t> packet);

// One packet of a compound as ForEachRtcpPacket hands it over.
struct RtcpPacketView {
  uint8_t count = 0;              // the header's low 5 bits: RC, SC or FMT
  uint8_t type = 0;               // PT
  std::span<const uint8_t> body;  // after the 4-octet header, padding stripped
};

// The one walk over a compound that ParseRtcp and ParseRtcpFeedback share,
// with the validity rules above; SR and RR must hold the report blocks their
// count names. Calls `visit` for each packet in order and returns false when
// the compound is malformed (or empty) or `visit` returned false; `visit` may
// have seen the packets before a malformed one.
bool ForEachRtcpPacket(std::span<const uint8_t> compound,
                       absl::FunctionRef<bool(const RtcpPacketView&)> visit);

struct SenderInfo {
  uint64_t ntp_time = 0;
  uint32_t rtp_timestamp = 0;
  uint32_t packet_count = 0;
  uint32_t octet_count = 0;
};

// Writes SR (when `sender` is set) or RR, with up to one report block per
// entry of `reports`, then SDES with CNAME, and BYE when `bye`. Returns the
// length written, 0 when `out` is too small.
size_t WriteRtcp(uint32_t ssrc, const SenderInfo* sender, std::span<const ReportBlock> reports,
                 std::string_view cname, bool bye, std::span<uint8_t> out);

}  // namespace tutti::media
