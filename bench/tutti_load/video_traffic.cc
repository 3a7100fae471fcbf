#include "bench/tutti_load/video_traffic.h"

#include <unistd.h>

#include <algorithm>

#include "bench/tutti_load/camera_requests.h"
#include "bench/tutti_load/udp_socket.h"
#include "mediaplane/rtp/rtp_packet.h"
#include "mediaplane/video/video_codec.h"

namespace tutti::load {
namespace {

constexpr uint8_t kVp8PayloadType = 96;  // as tutti-load's offer numbers it

}  // namespace

struct VideoTraffic::Leg {
  bool on = false;
  bool measured = false;  // in the measured window
  sockaddr_in to{};
  uint32_t ssrc = 0;
  uint16_t sequence = 0;
  uint32_t timestamp = 0;
  Vp8Packetizer camera{0, 0, 0, 0};
  int64_t next_frame_us = 0;
  int64_t next_keyframe_us = 0;
  bool first_frame = true;      // is a key frame
  bool keyframe_asked = false;  // by a PLI or FIR since the last frame
  // The ceilings the server set (0: none); the camera sends the lowest.
  uint64_t remb_bps = 0;
  uint64_t tmmbr_bps = 0;
  VideoMeter meter;
  // Sending, in the measured window.
  int64_t packets = 0;
  int64_t bytes = 0;
  int64_t frames = 0;
  int64_t keyframes = 0;
  int64_t keyframes_asked = 0;
  int64_t plis = 0;
  int64_t firs = 0;
  int64_t rembs = 0;
  int64_t tmmbrs = 0;
};

SourceTag CameraSize(int index) {
  // VP8 sizes are 14 bits: widths 320..8319, heights from 180 up.
  return {.width = static_cast<uint16_t>(320 + index % 8000),
          .height = static_cast<uint16_t>(180 + index / 8000 % 1000)};
}

VideoTraffic::VideoTraffic(const VideoOptions& options, int calls)
    : options_(options), legs_(static_cast<size_t>(calls)) {
  for (int i = 0; i < calls; ++i) {
    Leg& leg = legs_[static_cast<size_t>(i)];
    const SourceTag size = CameraSize(i);
    leg.ssrc = 0x20000000u + static_cast<uint32_t>(i) * 7919u;
    leg.sequence = static_cast<uint16_t>(i * 131);
    leg.timestamp = static_cast<uint32_t>(i) * 900000u;
    leg.camera = Vp8Packetizer(size.width, size.height, static_cast<uint16_t>(i * 37),
                               static_cast<uint8_t>(i));
    leg.meter = VideoMeter(size);
  }
}

VideoTraffic::~VideoTraffic() {
  if (fd_ >= 0) close(fd_);
}

bool VideoTraffic::Open(const std::string& local_address) {
  std::optional<int> fd = BindUdp(local_address, 0, 64 << 20);
  if (!fd) return false;
  fd_ = *fd;
  port_ = LocalPort(fd_);
  return true;
}

void VideoTraffic::Start(int index, const sockaddr_in& server, int64_t now_us) {
  Leg& leg = legs_[static_cast<size_t>(index)];
  if (leg.on) return;
  ++counts_.accepted;
  leg.on = true;
  leg.to = server;
  leg.first_frame = true;
  // Cameras start spread over a frame interval, as independent phones do.
  const int64_t interval_us = 1'000'000 / options_.fps;
  leg.next_frame_us = now_us + (index * 7919) % interval_us;
  leg_of_port_[ntohs(server.sin_port)] = index;
  sending_.push_back(index);
  if (measuring_) {
    leg.measured = true;
    leg.meter.StartMeasuring();
  }
}

void VideoTraffic::Stop(int index) {
  Leg& leg = legs_[static_cast<size_t>(index)];
  if (!leg.on) return;
  leg.on = false;
  const uint16_t port = ntohs(leg.to.sin_port);
  if (leg_of_port_[port] == index) leg_of_port_[port] = -1;
  std::erase(sending_, index);
}

void VideoTraffic::SendDue(int64_t now_us) {
  const int64_t interval_us = 1'000'000 / options_.fps;
  for (int index : sending_) {
    Leg& leg = legs_[static_cast<size_t>(index)];
    if (leg.next_frame_us > now_us) continue;
    SendFrame(leg, now_us);
    leg.next_frame_us += interval_us;
    // A frame late by a loop's hiccup is sent late (the next one keeps its
    // time); a tool that fell a tenth of a second behind skips frames rather
    // than sending a burst, and says so.
    if (now_us - leg.next_frame_us > 100'000) {
      const int64_t behind = (now_us - leg.next_frame_us) / interval_us + 1;
      counts_.frames_skipped += measuring_ ? behind : 0;
      leg.next_frame_us += behind * interval_us;
    }
  }
  Flush();
}

void VideoTraffic::SendFrame(Leg& leg, int64_t now_us) {
  uint64_t bps = static_cast<uint64_t>(options_.kbps) * 1000;
  if (leg.remb_bps > 0) bps = std::min(bps, leg.remb_bps);
  if (leg.tmmbr_bps > 0) bps = std::min(bps, leg.tmmbr_bps);
  const bool periodic = options_.keyframe_interval_s > 0 && now_us >= leg.next_keyframe_us;
  const bool key = leg.first_frame || leg.keyframe_asked || periodic;
  if (measuring_) {
    ++leg.frames;
    leg.keyframes += key ? 1 : 0;
    leg.keyframes_asked += leg.keyframe_asked ? 1 : 0;
  }
  if (key) {
    // Like an encoder, any key frame restarts the interval.
    leg.next_keyframe_us = now_us + static_cast<int64_t>(options_.keyframe_interval_s * 1e6);
  }
  leg.first_frame = leg.keyframe_asked = false;
  leg.camera.BeginFrame(key, static_cast<size_t>(bps / 8 / static_cast<uint64_t>(options_.fps)));
  while (leg.camera.pending()) {
    uint8_t* packet = batch_.next_out();
    bool last = false;
    const size_t payload = leg.camera.NextPayload(
        std::span<uint8_t>(packet + media::kRtpHeaderSize,
                           DatagramBatch::kDatagramBytes - media::kRtpHeaderSize),
        &last);
    media::WriteRtpHeader({.marker = last,
                           .payload_type = kVp8PayloadType,
                           .sequence = leg.sequence++,
                           .timestamp = leg.timestamp,
                           .ssrc = leg.ssrc},
                          packet);
    total_bytes_sent_ += static_cast<int64_t>(payload);
    if (measuring_) {
      ++leg.packets;
      leg.bytes += static_cast<int64_t>(payload);
    }
    if (batch_.Queue(media::kRtpHeaderSize + payload, leg.to)) Flush();
  }
  leg.timestamp += static_cast<uint32_t>(media::kVideoClockRate / options_.fps);
}

void VideoTraffic::Flush() { batch_.Flush(fd_); }

void VideoTraffic::Receive(int64_t now_us) {
  batch_.Drain(fd_, false,
               [&](std::span<const uint8_t> packet, const sockaddr_in& from, const msghdr&) {
                 const int32_t index = leg_of_port_[ntohs(from.sin_port)];
                 if (index < 0) {
                   counts_.strays_received += measuring_ ? 1 : 0;
                   return;
                 }
                 Leg& leg = legs_[static_cast<size_t>(index)];
                 if (media::LooksLikeRtcp(packet)) {
                   OnRtcp(leg, packet);
                   return;
                 }
                 const std::optional<media::RtpView> rtp = media::ParseRtp(packet);
                 if (!rtp || rtp->payload_type != kVp8PayloadType) {
                   counts_.malformed_received += measuring_ ? 1 : 0;
                   return;
                 }
                 total_bytes_received_ += static_cast<int64_t>(rtp->payload.size());
                 leg.meter.OnPacket(rtp->ssrc, rtp->sequence, rtp->timestamp, rtp->marker,
                                    rtp->payload, now_us);
               });
}

void VideoTraffic::OnRtcp(Leg& leg, std::span<const uint8_t> packet) {
  counts_.rtcp_received += measuring_ ? 1 : 0;
  ++total_rtcp_received_;
  const std::optional<CameraRequests> requests = ReadCameraRequests(packet, leg.ssrc);
  if (!requests) {
    counts_.malformed_received += measuring_ ? 1 : 0;
    return;
  }
  // A key frame as the next frame, however many asked (an encoder does the same).
  leg.keyframe_asked = leg.keyframe_asked || requests->wants_keyframe();
  if (requests->remb_bps) leg.remb_bps = std::max<uint64_t>(*requests->remb_bps, 1);
  if (requests->tmmbr_bps) leg.tmmbr_bps = std::max<uint64_t>(*requests->tmmbr_bps, 1);
  if (!measuring_) return;
  leg.plis += requests->plis;
  leg.firs += requests->firs;
  leg.rembs += requests->remb_bps ? 1 : 0;
  leg.tmmbrs += requests->tmmbr_bps ? 1 : 0;
}

void VideoTraffic::StartMeasuring(int64_t now_us) {
  measuring_ = true;
  measure_start_us_ = now_us;
  // Whole-run counts stay; the window's start from here.
  counts_ = VideoResult{.offered = counts_.offered, .accepted = counts_.accepted};
  for (Leg& leg : legs_) {
    if (!leg.on) continue;
    leg.measured = true;
    leg.meter.StartMeasuring();
    leg.packets = leg.bytes = leg.frames = leg.keyframes = leg.keyframes_asked = 0;
    leg.plis = leg.firs = leg.rembs = leg.tmmbrs = 0;
  }
}

void VideoTraffic::EndMeasuring(int64_t now_us, VideoResult* r) {
  measuring_ = false;
  const double seconds = static_cast<double>(now_us - measure_start_us_) / 1e6;
  *r = counts_;
  for (Leg& leg : legs_) {
    if (!leg.measured) continue;
    ++r->cameras;
    r->packets_sent += leg.packets;
    r->bytes_sent += leg.bytes;
    r->frames_sent += leg.frames;
    r->keyframes_sent += leg.keyframes;
    r->keyframes_asked += leg.keyframes_asked;
    r->plis_received += leg.plis;
    r->firs_received += leg.firs;
    r->rembs_received += leg.rembs;
    r->tmmbrs_received += leg.tmmbrs;
    const uint64_t ceiling = std::min(leg.remb_bps > 0 ? leg.remb_bps : UINT64_MAX,
                                      leg.tmmbr_bps > 0 ? leg.tmmbr_bps : UINT64_MAX);
    r->cameras_held_down += ceiling < static_cast<uint64_t>(options_.kbps) * 1000 ? 1 : 0;
    ++r->receivers;
    const VideoTally& got = leg.meter.tally();
    r->receivers_without_video += got.packets == 0 ? 1 : 0;
    r->receivers_with_gaps += leg.meter.missing() > 0 ? 1 : 0;
    r->received.packets += got.packets;
    r->received.bytes += got.bytes;
    r->received.frames += got.frames;
    r->received.keyframes += got.keyframes;
    r->received.missing += leg.meter.missing();
    r->received.ssrc_changes += got.ssrc_changes;
    r->received.switches += got.switches;
    r->received.broken_switches += got.broken_switches;
    r->received.picture_id_jumps += got.picture_id_jumps;
    r->received.timestamp_backwards += got.timestamp_backwards;
    r->received.own_camera += got.own_camera;
    r->received.unreadable += got.unreadable;
    leg.measured = false;
  }
  const double expected = static_cast<double>(r->received.packets + r->received.missing);
  r->missing_percent =
      expected > 0 ? 100.0 * static_cast<double>(r->received.missing) / expected : 0;
  if (seconds > 0 && r->cameras > 0) {
    r->sent_kbps_mean =
        static_cast<double>(r->bytes_sent) * 8 / 1000 / seconds / static_cast<double>(r->cameras);
    r->received_kbps_mean = static_cast<double>(r->received.bytes) * 8 / 1000 / seconds /
                            static_cast<double>(r->receivers);
  }
}

}  // namespace tutti::load
