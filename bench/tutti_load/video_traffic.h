// tutti-load's video: every call that the server took video from sends a
// synthetic VP8 camera (Vp8Packetizer) at the configured bitrate and frame
// rate, answers the server's PLI and FIR with a key frame and keeps under
// the lowest REMB or TMMBR it was sent; and checks the stream it gets back
// (VideoMeter). Like the audio, all of it goes through one UDP socket of
// its own, told apart by the server's port, sent with sendmmsg and read
// with recvmmsg on tutti-load's one thread.
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <string>
#include <vector>

#include "bench/tutti_load/udp_socket.h"
#include "bench/tutti_load/video_meter.h"
#include "bench/tutti_load/vp8_packetizer.h"

namespace tutti::load {

struct VideoOptions {
  bool enabled = false;
  int kbps = 1500;  // each camera's bitrate when nobody asks for less
  int fps = 30;
  // Seconds between unasked key frames; 0: only the first and those asked
  // for (PLI, FIR).
  double keyframe_interval_s = 0;
};

// Over the measured window.
struct VideoResult {
  int64_t offered = 0;   // calls that offered video
  int64_t accepted = 0;  // ...and got a video port in the answer
  // Sending, summed over the cameras.
  int64_t cameras = 0;
  int64_t packets_sent = 0;
  int64_t bytes_sent = 0;  // RTP payload bytes
  int64_t frames_sent = 0;
  int64_t frames_skipped = 0;  // the tool fell behind its schedule (its own overload)
  int64_t keyframes_sent = 0;
  int64_t keyframes_asked = 0;  // sent because of a PLI or FIR
  int64_t plis_received = 0;
  int64_t firs_received = 0;
  int64_t rembs_received = 0;
  int64_t tmmbrs_received = 0;
  int64_t cameras_held_down = 0;  // sending below --video_kbps at the end, as asked
  double sent_kbps_mean = 0;      // per camera
  // Receiving, summed over the receivers.
  int64_t receivers = 0;
  int64_t receivers_without_video = 0;
  int64_t receivers_with_gaps = 0;
  VideoTally received;
  double missing_percent = 0;
  double received_kbps_mean = 0;  // per receiver
  int64_t rtcp_received = 0;
  int64_t malformed_received = 0;
  int64_t strays_received = 0;
  // The server's side, from /metrics around the window (tutti_video_*).
  struct Server {
    int64_t packets_in = 0;
    int64_t packets_out = 0;
    int64_t keyframe_requests = 0;
    int64_t switches = 0;
    double switch_wait_ms_mean = 0;  // from a decision to the new source's key frame
    int64_t nacks_answered = 0;
  } server;
};

// The width and height call `index`'s camera sends: one of its own (up to
// 8,000,000 calls), so receivers tell every camera apart.
SourceTag CameraSize(int index);

class VideoTraffic {
 public:
  VideoTraffic(const VideoOptions& options, int calls);
  ~VideoTraffic();
  VideoTraffic(const VideoTraffic&) = delete;
  VideoTraffic& operator=(const VideoTraffic&) = delete;

  bool Open(const std::string& local_address);
  uint16_t port() const { return port_; }

  void Offered() { ++counts_.offered; }
  // The server took call `index`'s video at `server`: its camera starts.
  void Start(int index, const sockaddr_in& server, int64_t now_us);
  // The call ended: no more video either way.
  void Stop(int index);

  // Sends the frames that are due.
  void SendDue(int64_t now_us);
  // Reads what arrived: video to the receivers, RTCP feedback to the cameras.
  void Receive(int64_t now_us);

  void StartMeasuring(int64_t now_us);
  void EndMeasuring(int64_t now_us, VideoResult* result);

  // For the progress line: payload bytes since the start.
  int64_t total_bytes_sent() const { return total_bytes_sent_; }
  int64_t total_bytes_received() const { return total_bytes_received_; }
  int64_t total_rtcp_received() const { return total_rtcp_received_; }

 private:
  struct Leg;

  void SendFrame(Leg& leg, int64_t now_us);
  void OnRtcp(Leg& leg, std::span<const uint8_t> packet);
  void Flush();

  VideoOptions options_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::vector<Leg> legs_;
  std::vector<int> sending_;  // legs with a camera on
  std::vector<int32_t> leg_of_port_ = std::vector<int32_t>(65536, -1);
  bool measuring_ = false;
  int64_t measure_start_us_ = 0;
  // The figures counted as they happen (the rest are summed from the legs
  // at the end).
  VideoResult counts_;
  int64_t total_bytes_sent_ = 0;
  int64_t total_bytes_received_ = 0;
  int64_t total_rtcp_received_ = 0;

  DatagramBatch batch_;
};

}  // namespace tutti::load
