// libFuzzer target for the RTCP compound parser: anything it accepts can be
// written back (SR/RR with its report blocks and CNAME) and parses again the
// same; what the media worker takes for STUN (RFC 7983) never parses as RTCP.
#include <array>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "mediaplane/rtp/rtcp_packet.h"
#include "mediaplane/rtp/stun_message.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::optional<tutti::media::RtcpSummary> summary =
      tutti::media::ParseRtcp(std::span<const uint8_t>(data, size));
  if (tutti::media::IsStunMessage(std::span<const uint8_t>(data, size)) && summary) std::abort();
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
