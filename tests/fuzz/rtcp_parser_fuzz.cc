// libFuzzer target for the RTCP compound parsers: anything ParseRtcp accepts
// can be written back (SR/RR with its report blocks and CNAME) and parses
// again the same; ParseRtcpFeedback accepts nothing ParseRtcp refuses, keeps
// its bounds, and what it reads written back with the feedback writers reads
// the same; what the media worker takes for STUN (RFC 7983) never parses as
// RTCP.
#include <array>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <span>

#include "mediaplane/rtp/rtcp_feedback.h"
#include "mediaplane/rtp/rtcp_packet.h"
#include "mediaplane/rtp/stun_message.h"

namespace {

using tutti::media::NackItem;
using tutti::media::RtcpFeedback;

void Check(bool condition) {
  if (!condition) std::abort();
}

// A bitrate read back after writing: the same, or, when the first read
// saturated (an exponent past 64 bits), no more than it.
bool SameBitrate(uint64_t first, uint64_t again) {
  return first == std::numeric_limits<uint64_t>::max() ? again <= first : again == first;
}

// One NACK item unpacked and packed again is the same item.
void CheckNackRepacks(const NackItem& item) {
  std::array<uint16_t, 17> lost{};
  size_t count = 0;
  tutti::media::ForEachNackedSequence(item, [&](uint16_t seq) { lost[count++] = seq; });
  std::array<NackItem, 17> packed{};
  Check(tutti::media::PackNackItems(std::span<const uint16_t>(lost.data(), count), packed) == 1);
  Check(packed[0] == item);
}

// Writes every entry of `feedback` back, one packet each, after an RR.
size_t WriteFeedback(const RtcpFeedback& feedback, std::span<uint8_t> out) {
  size_t length = tutti::media::WriteRtcp(feedback.sender_ssrc, nullptr, {}, "", false, out);
  auto rest = [&] { return out.subspan(length); };
  for (int i = 0; i < feedback.pli_count; ++i) {
    length += tutti::media::WritePli(1, feedback.pli_ssrc[i], rest());
  }
  for (int i = 0; i < feedback.fir_count; ++i) {
    length += tutti::media::WriteFir(1, feedback.fir[i].ssrc, feedback.fir[i].seq, rest());
  }
  for (int i = 0; i < feedback.nack_count; ++i) {
    const NackItem item = feedback.nack[i].item;
    length += tutti::media::WriteNack(1, feedback.nack[i].media_ssrc, {&item, 1}, rest());
  }
  if (feedback.has_remb) {
    length += tutti::media::WriteRemb(
        1, feedback.remb_bps,
        std::span<const uint32_t>(feedback.remb_ssrc, feedback.remb_ssrc_count), rest());
  }
  for (int i = 0; i < feedback.tmmbr_count; ++i) {
    const RtcpFeedback::Tmmbr& tmmbr = feedback.tmmbr[i];
    length += tutti::media::WriteTmmbr(1, tmmbr.ssrc, tmmbr.bps, tmmbr.overhead, rest());
  }
  return length;
}

void CheckFeedbackRoundTrip(const RtcpFeedback& feedback) {
  Check(feedback.pli_count <= tutti::media::kMaxFeedbackEntries &&
        feedback.fir_count <= tutti::media::kMaxFeedbackEntries &&
        feedback.nack_count <= tutti::media::kMaxNackItems &&
        feedback.remb_ssrc_count <= tutti::media::kMaxFeedbackEntries &&
        feedback.tmmbr_count <= tutti::media::kMaxFeedbackEntries);
  for (int i = 0; i < feedback.nack_count; ++i) CheckNackRepacks(feedback.nack[i].item);
  std::array<uint8_t, 1500> out{};
  const size_t length = WriteFeedback(feedback, out);
  std::optional<RtcpFeedback> again =
      tutti::media::ParseRtcpFeedback(std::span<const uint8_t>(out.data(), length));
  Check(again.has_value() && again->sender_ssrc == feedback.sender_ssrc && !again->truncated);
  Check(again->pli_count == feedback.pli_count && again->fir_count == feedback.fir_count &&
        again->nack_count == feedback.nack_count && again->has_remb == feedback.has_remb &&
        again->remb_ssrc_count == feedback.remb_ssrc_count &&
        again->tmmbr_count == feedback.tmmbr_count);
  for (int i = 0; i < feedback.pli_count; ++i) Check(again->pli_ssrc[i] == feedback.pli_ssrc[i]);
  for (int i = 0; i < feedback.fir_count; ++i) {
    Check(again->fir[i].ssrc == feedback.fir[i].ssrc && again->fir[i].seq == feedback.fir[i].seq);
  }
  for (int i = 0; i < feedback.nack_count; ++i) {
    Check(again->nack[i].media_ssrc == feedback.nack[i].media_ssrc &&
          again->nack[i].item == feedback.nack[i].item);
  }
  if (feedback.has_remb) Check(SameBitrate(feedback.remb_bps, again->remb_bps));
  for (int i = 0; i < feedback.remb_ssrc_count; ++i) {
    Check(again->remb_ssrc[i] == feedback.remb_ssrc[i]);
  }
  for (int i = 0; i < feedback.tmmbr_count; ++i) {
    Check(again->tmmbr[i].ssrc == feedback.tmmbr[i].ssrc &&
          SameBitrate(feedback.tmmbr[i].bps, again->tmmbr[i].bps) &&
          again->tmmbr[i].overhead == feedback.tmmbr[i].overhead);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::optional<tutti::media::RtcpSummary> summary =
      tutti::media::ParseRtcp(std::span<const uint8_t>(data, size));
  std::optional<RtcpFeedback> feedback =
      tutti::media::ParseRtcpFeedback(std::span<const uint8_t>(data, size));
  if (tutti::media::IsStunMessage(std::span<const uint8_t>(data, size)) && summary) std::abort();
  if (feedback && !summary) std::abort();
  if (feedback) CheckFeedbackRoundTrip(*feedback);
  if (!summary) return 0;
  const auto* cname = reinterpret_cast<const uint8_t*>(summary->cname.data());
  if (!summary->cname.empty() && (cname < data || cname + summary->cname.size() > data + size)) {
    std::abort();
  }
  tutti::media::SenderInfo sender{summary->ntp_time, summary->rtp_timestamp, summary->packet_count,
                                  summary->octet_count};
  std::array<uint8_t, 1500> out{};
  const size_t length = tutti::media::WriteRtcp(
      summary->sender_ssrc, summary->has_sender_report ? &sender : nullptr,
      std::span<const tutti::media::ReportBlock>(summary->reports, summary->report_count),
      summary->cname, summary->has_bye, out);
  if (length == 0) std::abort();
  std::optional<tutti::media::RtcpSummary> again =
      tutti::media::ParseRtcp(std::span<const uint8_t>(out.data(), length));
  if (!again || again->report_count != summary->report_count ||
      again->sender_ssrc != summary->sender_ssrc || again->has_bye != summary->has_bye ||
      again->cname != summary->cname) {
    std::abort();
  }
  return 0;
}
