#include "bench/tutti_load/camera_requests.h"

#include <algorithm>

#include "mediaplane/rtp/rtcp_feedback.h"

namespace tutti::load {

std::optional<CameraRequests> ReadCameraRequests(std::span<const uint8_t> rtcp, uint32_t ssrc) {
  const std::optional<media::RtcpFeedback> feedback = media::ParseRtcpFeedback(rtcp);
  if (!feedback) return std::nullopt;
  CameraRequests requests;
  for (int i = 0; i < feedback->pli_count; ++i) {
    requests.plis += feedback->pli_ssrc[i] == ssrc ? 1 : 0;
  }
  for (int i = 0; i < feedback->fir_count; ++i) {
    requests.firs += feedback->fir[i].ssrc == ssrc ? 1 : 0;
  }
  const std::span<const uint32_t> remb_ssrcs(feedback->remb_ssrc,
                                             static_cast<size_t>(feedback->remb_ssrc_count));
  if (feedback->has_remb && std::ranges::find(remb_ssrcs, ssrc) != remb_ssrcs.end()) {
    requests.remb_bps = feedback->remb_bps;
  }
  for (int i = 0; i < feedback->tmmbr_count; ++i) {
    if (feedback->tmmbr[i].ssrc != ssrc) continue;
    requests.tmmbr_bps = std::min(requests.tmmbr_bps.value_or(UINT64_MAX), feedback->tmmbr[i].bps);
  }
  return requests;
}

}  // namespace tutti::load
