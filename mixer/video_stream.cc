#include "mixer/video_stream.h"

#include <algorithm>
#include <cstring>

#include "mediaplane/rtp/rtcp_packet.h"
#include "mixer/participant.h"

namespace tutti::mixer {
namespace {

// RFC 4585 §3.4: with feedback, regular reports may come more often than
// RFC 3550's 5 s; one a second keeps the peer's view of loss fresh.
constexpr int64_t kReportIntervalUs = 1'000'000;
// Room kept after an RTCP packet for the SRTCP tag and index.
constexpr size_t kRtcpRoom = media::kMaxDatagramBytes - media::kSrtpTailroom;

}  // namespace

VideoStream::VideoStream(const VideoStreamSpec& spec, media::PortPair ports, uint32_t ssrc)
    : spec_(spec),
      ssrc_(ssrc),
      transport_(TransportOf(spec), std::move(ports), ssrc),
      rewriter_(ssrc, static_cast<uint16_t>(ssrc >> 9), ssrc * 2246822519u) {}

void VideoStream::Update(const VideoStreamSpec& spec) {
  const media::VideoCodec codec = spec_.codec;
  spec_ = spec;
  spec_.codec = codec;
  transport_.Update(TransportOf(spec));
}

std::optional<VideoStream::Received> VideoStream::OnRtp(const media::Datagram& datagram,
                                                        int64_t now_us) {
  const std::optional<media::RtpView> rtp =
      media::ParseRtp(std::span<const uint8_t>(datagram.data, datagram.size));
  if (!rtp) {
    ++counters_.malformed;
    return std::nullopt;
  }
  const bool agreed = rtp->payload_type == spec_.payload_type;
  if (!transport_.AcceptRtp(datagram.remote, rtp->ssrc, agreed, now_us)) return std::nullopt;
  if (!agreed) {
    ++counters_.foreign;  // e.g. RTX or FEC we did not negotiate
    return std::nullopt;
  }
  const std::optional<media::VideoPacketInfo> info =
      media::InspectVideoPayload(spec_.codec, rtp->payload);
  if (!info) {
    ++counters_.malformed;
    return std::nullopt;
  }
  Received received{*rtp, *info};
  if (!have_source_ || rtp->ssrc != source_ssrc_) {
    // A new stream (or the first): its numbering starts afresh, and nobody
    // may be shown it before its next keyframe.
    have_source_ = true;
    source_ssrc_ = rtp->ssrc;
    receive_stats_ = media::ReceiveStatistics();
    cache_.Clear();
    received.new_stream = true;
    last_marker_ = true;
  }
  const auto arrival = static_cast<uint32_t>(now_us * media::kVideoClockRate / 1'000'000);
  if (receive_stats_.Update(rtp->sequence, rtp->timestamp, arrival) ==
      media::ReceiveStatistics::Verdict::kDuplicate) {
    return std::nullopt;
  }
  ++counters_.packets_in;
  counters_.bytes_in += rtp->payload.size();
  // A picture begins where the payload says so; H.264 has no such flag in
  // every packetization, so also where the previous picture ended (its
  // marker) or the timestamp moved on.
  received.picture_start = info->frame_start && (spec_.codec != media::VideoCodec::kH264 ||
                                                 last_marker_ || rtp->timestamp != last_timestamp_);
  last_marker_ = rtp->marker;
  last_timestamp_ = rtp->timestamp;
  if (info->width != 0 && info->height != 0) {
    width_ = info->width;
    height_ = info->height;
  }
  cache_.Store(rtp->sequence, std::span<const uint8_t>(datagram.data, datagram.size));
  return received;
}

std::optional<media::RtcpFeedback> VideoStream::OnRtcp(const media::Datagram& datagram,
                                                       int64_t now_us) {
  if (!transport_.AcceptRtcpFrom(datagram.remote)) return std::nullopt;
  const std::span<const uint8_t> bytes(datagram.data, datagram.size);
  const std::optional<media::RtcpSummary> rtcp = media::ParseRtcp(bytes);
  const std::optional<media::RtcpFeedback> feedback = media::ParseRtcpFeedback(bytes);
  if (!rtcp || !feedback) {
    ++counters_.malformed;
    return std::nullopt;
  }
  transport_.OnValidRtcp(now_us);
  if (rtcp->has_sender_report) {
    last_sr_ntp_middle_ = static_cast<uint32_t>(rtcp->ntp_time >> 16);
    last_sr_received_us_ = now_us;
  }
  // What it asks to receive at most: its own estimate (REMB) or request (TMMBR).
  if (feedback->has_remb) requested_bps_ = feedback->remb_bps;
  for (int i = 0; i < feedback->tmmbr_count; ++i) {
    if (feedback->tmmbr[i].ssrc == ssrc_) requested_bps_ = feedback->tmmbr[i].bps;
  }
  return feedback;
}

uint64_t VideoStream::receive_limit_bps() const {
  if (requested_bps_ != 0) return requested_bps_;
  return spec_.max_receive_bps;
}

size_t VideoStream::WriteReport(int64_t now_us, uint8_t* out, size_t room) {
  media::SenderInfo sender{NtpFromMicros(now_us), rewriter_.TimestampAt(now_us),
                           rewriter_.packets_sent(), rewriter_.octets_sent()};
  std::array<media::ReportBlock, 1> blocks{};
  size_t block_count = 0;
  if (have_source_) {
    blocks[0] = receive_stats_.MakeReportBlock(source_ssrc_);
    blocks[0].last_sr = last_sr_ntp_middle_;
    if (last_sr_received_us_ != 0) {
      blocks[0].delay_since_last_sr =
          static_cast<uint32_t>((now_us - last_sr_received_us_) * 65536 / 1'000'000);
    }
    block_count = 1;
  }
  return media::WriteRtcp(ssrc_, rewriter_.packets_sent() > 0 ? &sender : nullptr,
                          std::span<const media::ReportBlock>(blocks.data(), block_count), "tutti",
                          false, std::span<uint8_t>(out, room));
}

uint16_t VideoStream::Finish(uint8_t* out, size_t size) {
  if (size == 0 || !transport_.Protect(out, &size, true)) return 0;
  return static_cast<uint16_t>(size);
}

template <typename WriteFeedback>
uint16_t VideoStream::WriteWithReport(int64_t now_us, uint8_t* out, WriteFeedback&& write) {
  const size_t report = WriteReport(now_us, out, kRtcpRoom);
  const size_t feedback = write(std::span<uint8_t>(out + report, kRtcpRoom - report));
  if (feedback == 0) return 0;
  return Finish(out, report + feedback);
}

uint16_t VideoStream::WriteKeyframeRequest(int64_t now_us, uint8_t* out) {
  if (!have_source_ || !takes_keyframe_requests()) return 0;
  return WriteWithReport(now_us, out, [&](std::span<uint8_t> rest) {
    return spec_.feedback.pli ? media::WritePli(ssrc_, source_ssrc_, rest)
                              : media::WriteFir(ssrc_, source_ssrc_, fir_sequence_++, rest);
  });
}

uint16_t VideoStream::WriteBitrateRequest(uint64_t bps, int64_t now_us, uint8_t* out) {
  if (!have_source_ || !(spec_.feedback.remb || spec_.feedback.tmmbr)) return 0;
  return WriteWithReport(now_us, out, [&](std::span<uint8_t> rest) {
    const uint32_t ssrcs[1] = {source_ssrc_};
    // TMMBR's overhead: 40 bytes of IPv4/UDP/RTP headers per packet.
    return spec_.feedback.remb ? media::WriteRemb(ssrc_, bps, ssrcs, rest)
                               : media::WriteTmmbr(ssrc_, source_ssrc_, bps, 40, rest);
  });
}

uint16_t VideoStream::WriteNack(std::span<const media::NackItem> items, int64_t now_us,
                                uint8_t* out) {
  if (!have_source_ || !spec_.feedback.nack || items.empty()) return 0;
  return WriteWithReport(now_us, out, [&](std::span<uint8_t> rest) {
    return media::WriteNack(ssrc_, source_ssrc_, items, rest);
  });
}

uint16_t VideoStream::WriteForwarded(const media::RtpView& source,
                                     const VideoRewriter::Fields& fields, uint8_t* out) {
  // A fresh header: the source's CSRCs and header extensions were agreed
  // with the source (their ids mean nothing to this peer), and padding is
  // not needed once the packet is re-protected.
  const size_t room = media::kMaxDatagramBytes - media::kRtpHeaderSize - media::kSrtpTailroom;
  if (source.payload.size() > room) return 0;
  media::WriteRtpHeader({.marker = source.marker,
                         .payload_type = spec_.payload_type,
                         .sequence = fields.sequence,
                         .timestamp = fields.timestamp,
                         .ssrc = ssrc_},
                        out);
  uint8_t* payload = out + media::kRtpHeaderSize;
  std::memcpy(payload, source.payload.data(), source.payload.size());
  if (fields.picture_id >= 0) {
    media::RewriteVideoPictureIds(spec_.codec, std::span<uint8_t>(payload, source.payload.size()),
                                  static_cast<uint16_t>(fields.picture_id),
                                  static_cast<uint8_t>(std::max(fields.tl0picidx, 0)));
  }
  size_t size = media::kRtpHeaderSize + source.payload.size();
  if (!transport_.Protect(out, &size, false)) return 0;
  ++counters_.packets_out;
  counters_.bytes_out += source.payload.size();
  rewriter_.CountSent(source.payload.size());
  return static_cast<uint16_t>(size);
}

uint16_t VideoStream::MaybeWriteReport(int64_t now_us, uint8_t* out) {
  if (next_report_us_ == 0) {
    next_report_us_ = now_us + kReportIntervalUs / 2 + static_cast<int64_t>(ssrc_ % 500) * 1000;
    return 0;
  }
  if (now_us < next_report_us_) return 0;
  next_report_us_ = now_us + kReportIntervalUs;
  return Finish(out, WriteReport(now_us, out, kRtcpRoom));
}

}  // namespace tutti::mixer
