#include "mediaplane/rtp/rtcp_packet.h"

#include <cstring>

#include "mediaplane/rtp/byte_order.h"

namespace tutti::media {
namespace {

constexpr uint8_t kSenderReport = 200;
constexpr uint8_t kReceiverReport = 201;
constexpr uint8_t kSourceDescription = 202;
constexpr uint8_t kGoodbye = 203;
constexpr uint8_t kSdesCname = 1;
constexpr size_t kReportBlockSize = 24;

ReportBlock ReadReportBlock(const uint8_t* p) {
  ReportBlock block;
  block.ssrc = LoadBe32(p);
  block.fraction_lost = p[4];
  uint32_t lost = (uint32_t{p[5]} << 16) | (uint32_t{p[6]} << 8) | p[7];
  if (lost & 0x800000) lost |= 0xff000000;  // sign-extend the 24-bit field
  block.cumulative_lost = static_cast<int32_t>(lost);
  block.highest_sequence = LoadBe32(p + 8);
  block.jitter = LoadBe32(p + 12);
  block.last_sr = LoadBe32(p + 16);
  block.delay_since_last_sr = LoadBe32(p + 20);
  return block;
}

void WriteReportBlock(const ReportBlock& block, uint8_t* p) {
  StoreBe32(p, block.ssrc);
  p[4] = block.fraction_lost;
  int32_t lost = block.cumulative_lost;
  if (lost > 0x7fffff) lost = 0x7fffff;
  if (lost < -0x800000) lost = -0x800000;
  const auto bits = static_cast<uint32_t>(lost);
  p[5] = static_cast<uint8_t>(bits >> 16);
  p[6] = static_cast<uint8_t>(bits >> 8);
  p[7] = static_cast<uint8_t>(bits);
  StoreBe32(p + 8, block.highest_sequence);
  StoreBe32(p + 12, block.jitter);
  StoreBe32(p + 16, block.last_sr);
  StoreBe32(p + 20, block.delay_since_last_sr);
}

void AddReports(const uint8_t* p, int count, RtcpSummary* summary) {
  for (int i = 0; i < count && summary->report_count < kMaxReportBlocks; ++i) {
    summary->reports[summary->report_count++] = ReadReportBlock(p + i * kReportBlockSize);
  }
}

// First CNAME item of the first SDES chunk.
std::string_view FindCname(std::span<const uint8_t> body) {
  if (body.size() < 4) return {};
  size_t offset = 4;  // past the chunk's SSRC
  while (offset + 2 <= body.size() && body[offset] != 0) {
    const uint8_t type = body[offset];
    const size_t length = body[offset + 1];
    if (offset + 2 + length > body.size()) return {};
    if (type == kSdesCname) {
      return {reinterpret_cast<const char*>(body.data() + offset + 2), length};
    }
    offset += 2 + length;
  }
  return {};
}

}  // namespace

bool ForEachRtcpPacket(std::span<const uint8_t> compound,
                       absl::FunctionRef<bool(const RtcpPacketView&)> visit) {
  if (compound.empty()) return false;
  size_t offset = 0;
  while (offset < compound.size()) {
    if (compound.size() - offset < 4) return false;
    const uint8_t* header = compound.data() + offset;
    if ((header[0] >> 6) != 2) return false;
    const size_t length = 4 * (size_t{LoadBe16(header + 2)} + 1);
    if (length > compound.size() - offset) return false;
    // Only the last packet of a compound may carry padding (RFC 3550 §A.2);
    // its last octet counts the padding, itself included, which must fit in
    // the packet's body and is not part of it.
    size_t padding = 0;
    if (header[0] & 0x20) {
      if (offset + length != compound.size()) return false;
      padding = compound[compound.size() - 1];
      if (padding == 0 || padding > length - 4) return false;
    }
    // RFC 3550 wants SR or RR first, but reduced-size RTCP (RFC 5506) and
    // real peers (baresip sends APP and BYE alone) do not: accept any type.
    const RtcpPacketView view{.count = static_cast<uint8_t>(header[0] & 0x1f),
                              .type = header[1],
                              .body = compound.subspan(offset + 4, length - 4 - padding)};
    const size_t blocks = kReportBlockSize * view.count;
    if (view.type == kSenderReport && view.body.size() < 24 + blocks) return false;
    if (view.type == kReceiverReport && view.body.size() < 4 + blocks) return false;
    if (!visit(view)) return false;
    offset += length;
  }
  return true;
}

std::optional<RtcpSummary> ParseRtcp(std::span<const uint8_t> packet) {
  RtcpSummary summary;
  const bool valid = ForEachRtcpPacket(packet, [&summary](const RtcpPacketView& view) {
    const uint8_t* body = view.body.data();
    switch (view.type) {
      case kSenderReport:
        summary.sender_ssrc = LoadBe32(body);
        summary.has_sender_report = true;
        summary.ntp_time = (uint64_t{LoadBe32(body + 4)} << 32) | LoadBe32(body + 8);
        summary.rtp_timestamp = LoadBe32(body + 12);
        summary.packet_count = LoadBe32(body + 16);
        summary.octet_count = LoadBe32(body + 20);
        AddReports(body + 24, view.count, &summary);
        break;
      case kReceiverReport:
        summary.sender_ssrc = LoadBe32(body);
        AddReports(body + 4, view.count, &summary);
        break;
      case kSourceDescription:
        if (view.count > 0 && summary.cname.empty()) summary.cname = FindCname(view.body);
        break;
      case kGoodbye:
        summary.has_bye = true;
        break;
      default:
        break;  // APP, RTPFB, PSFB, XR: read by ParseRtcpFeedback or not at all
    }
    return true;
  });
  if (!valid) return std::nullopt;
  return summary;
}

size_t WriteRtcp(uint32_t ssrc, const SenderInfo* sender, std::span<const ReportBlock> reports,
                 std::string_view cname, bool bye, std::span<uint8_t> out) {
  if (reports.size() > kMaxReportBlocks) reports = reports.first(kMaxReportBlocks);
  if (cname.size() > 255) cname = cname.substr(0, 255);
  const size_t report_size = (sender ? 28 : 8) + kReportBlockSize * reports.size();
  // SDES: header, SSRC, CNAME item, terminating zero, padded to 32 bits.
  const size_t sdes_size = (4 + 4 + 2 + cname.size() + 1 + 3) / 4 * 4;
  const size_t bye_size = bye ? 8 : 0;
  if (out.size() < report_size + sdes_size + bye_size) return 0;
  uint8_t* p = out.data();

  p[0] = static_cast<uint8_t>(0x80 | reports.size());
  p[1] = sender ? kSenderReport : kReceiverReport;
  StoreBe16(p + 2, static_cast<uint16_t>(report_size / 4 - 1));
  StoreBe32(p + 4, ssrc);
  uint8_t* block = p + 8;
  if (sender) {
    StoreBe32(p + 8, static_cast<uint32_t>(sender->ntp_time >> 32));
    StoreBe32(p + 12, static_cast<uint32_t>(sender->ntp_time));
    StoreBe32(p + 16, sender->rtp_timestamp);
    StoreBe32(p + 20, sender->packet_count);
    StoreBe32(p + 24, sender->octet_count);
    block = p + 28;
  }
  for (const ReportBlock& report : reports) {
    WriteReportBlock(report, block);
    block += kReportBlockSize;
  }
  p += report_size;

  std::memset(p, 0, sdes_size);
  p[0] = 0x81;
  p[1] = kSourceDescription;
  StoreBe16(p + 2, static_cast<uint16_t>(sdes_size / 4 - 1));
  StoreBe32(p + 4, ssrc);
  p[8] = kSdesCname;
  p[9] = static_cast<uint8_t>(cname.size());
  // An empty view may hold a null pointer, which memcpy must never get.
  if (!cname.empty()) std::memcpy(p + 10, cname.data(), cname.size());
  p += sdes_size;

  if (bye) {
    p[0] = 0x81;
    p[1] = kGoodbye;
    StoreBe16(p + 2, 1);
    StoreBe32(p + 4, ssrc);
  }
  return report_size + sdes_size + bye_size;
}

}  // namespace tutti::media
