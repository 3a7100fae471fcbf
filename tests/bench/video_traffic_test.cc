// tutti-load's video over real loopback sockets, with the test as the
// server: it reads what the cameras send, asks for key frames and lower
// bitrates, and forwards one camera to another participant.
#include "bench/tutti_load/video_traffic.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <vector>

#include "bench/tutti_load/udp_socket.h"
#include "mediaplane/rtp/byte_order.h"
#include "mediaplane/rtp/rtp_packet.h"

namespace tutti::load {
namespace {

using Bytes = std::vector<uint8_t>;

constexpr int64_t kStartUs = 1'000'000;
constexpr int64_t kFrameUs = 1'000'000 / 30;

// One of the server's video ports.
class ServerPort {
 public:
  ServerPort() {
    fd_ = *BindUdp("127.0.0.1", 0, 1 << 20);
    address_.sin_family = AF_INET;
    address_.sin_port = htons(LocalPort(fd_));
    inet_pton(AF_INET, "127.0.0.1", &address_.sin_addr);
  }
  ~ServerPort() { close(fd_); }
  const sockaddr_in& address() const { return address_; }

  // Every datagram queued now (loopback delivers within the sender's call;
  // a deadline guards a slow machine).
  std::vector<Bytes> Read(size_t at_least) {
    std::vector<Bytes> packets;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (true) {
      Bytes buffer(2048);
      const ssize_t size = recv(fd_, buffer.data(), buffer.size(), MSG_DONTWAIT);
      if (size > 0) {
        buffer.resize(static_cast<size_t>(size));
        packets.push_back(std::move(buffer));
        continue;
      }
      if (packets.size() >= at_least || std::chrono::steady_clock::now() > deadline) break;
    }
    return packets;
  }
  void SendTo(uint16_t port, const Bytes& packet) {
    sockaddr_in to = address_;
    to.sin_port = htons(port);
    sendto(fd_, packet.data(), packet.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
  }

 private:
  int fd_ = -1;
  sockaddr_in address_{};
};

std::optional<Vp8PacketView> Vp8Of(const Bytes& packet) {
  const std::optional<media::RtpView> rtp = media::ParseRtp(packet);
  if (!rtp) return std::nullopt;
  return ReadVp8Payload(rtp->payload);
}

uint32_t SsrcOf(const Bytes& packet) { return media::ParseRtp(packet)->ssrc; }

// Feedback bytes up to the media SSRC (RFC 4585 §6.1), then it.
Bytes WithSsrc(Bytes head, uint32_t ssrc) {
  head.resize(head.size() + 4);
  media::StoreBe32(&head[head.size() - 4], ssrc);
  return head;
}

Bytes Pli(uint32_t media_ssrc) { return WithSsrc({0x81, 206, 0, 2, 0, 0, 0, 1}, media_ssrc); }

// REMB of 300,000 b/s (exponent 2, mantissa 75,000) for one SSRC.
Bytes Remb300k(uint32_t media_ssrc) {
  return WithSsrc(
      {0x8F, 206, 0, 5, 0, 0, 0, 1, 0, 0, 0, 0, 'R', 'E', 'M', 'B', 1, 0x09, 0x24, 0xF8},
      media_ssrc);
}

class VideoTrafficTest : public ::testing::Test {
 protected:
  VideoTrafficTest() : traffic_(Options(), 2) {
    EXPECT_TRUE(traffic_.Open("127.0.0.1"));
    traffic_.Start(0, server_[0].address(), kStartUs);
    traffic_.Start(1, server_[1].address(), kStartUs);
  }
  static VideoOptions Options() {
    VideoOptions options;
    options.enabled = true;
    options.kbps = 1500;
    options.fps = 30;
    return options;
  }
  // One frame from each camera (they start within a frame interval).
  void NextFrames() {
    now_us_ += kFrameUs;
    traffic_.SendDue(now_us_);
  }
  // Lets the tool read what the test sent it, until `done` or 5 s.
  void ReceiveUntil(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    do {
      traffic_.Receive(now_us_);
    } while (!done() && std::chrono::steady_clock::now() < deadline);
  }

  ServerPort server_[2];
  VideoTraffic traffic_;
  int64_t now_us_ = kStartUs;
};

TEST_F(VideoTrafficTest, EachCameraStartsWithAKeyFrameOfItsOwnSizeAtItsBitrate) {
  NextFrames();
  for (int i = 0; i < 2; ++i) {
    // 1.5 Mb/s at 30 fps: 6,250 bytes a frame, 6 packets.
    const std::vector<Bytes> packets = server_[i].Read(6);
    ASSERT_EQ(packets.size(), 6u) << i;
    const std::optional<Vp8PacketView> first = Vp8Of(packets[0]);
    ASSERT_TRUE(first.has_value());
    EXPECT_TRUE(first->keyframe);
    EXPECT_EQ(first->width, CameraSize(i).width);
    EXPECT_EQ(first->height, CameraSize(i).height);
    EXPECT_TRUE(media::ParseRtp(packets.back())->marker);
    EXPECT_FALSE(media::ParseRtp(packets[4])->marker);
  }
  NextFrames();
  const std::vector<Bytes> inter = server_[0].Read(6);
  ASSERT_EQ(inter.size(), 6u);
  EXPECT_FALSE(Vp8Of(inter[0])->keyframe);
  EXPECT_TRUE(Vp8Of(inter[0])->frame_start);
}

TEST_F(VideoTrafficTest, APliGetsAKeyFrameFromThatCameraOnly) {
  NextFrames();
  const uint32_t camera0 = SsrcOf(server_[0].Read(6)[0]);
  server_[1].Read(6);
  NextFrames();  // inter frames
  server_[0].Read(6);
  server_[1].Read(6);
  traffic_.StartMeasuring(now_us_);
  server_[0].SendTo(traffic_.port(), Pli(camera0));
  // The server's port tells the tool whose feedback it is; this SSRC is nobody's.
  server_[0].SendTo(traffic_.port(), Pli(0xDEAD));
  ReceiveUntil([this] { return traffic_.total_rtcp_received() >= 2; });
  NextFrames();
  EXPECT_TRUE(Vp8Of(server_[0].Read(6)[0])->keyframe);
  EXPECT_FALSE(Vp8Of(server_[1].Read(6)[0])->keyframe);
  NextFrames();  // one key frame answers it
  EXPECT_FALSE(Vp8Of(server_[0].Read(6)[0])->keyframe);
  VideoResult result;
  traffic_.EndMeasuring(now_us_ + kFrameUs, &result);
  EXPECT_EQ(result.plis_received, 1);
  EXPECT_EQ(result.keyframes_asked, 1);
  EXPECT_EQ(result.keyframes_sent, 1);
}

TEST_F(VideoTrafficTest, ARembHoldsTheCameraDownToIt) {
  NextFrames();
  const uint32_t camera0 = SsrcOf(server_[0].Read(6)[0]);
  server_[1].Read(6);
  server_[0].SendTo(traffic_.port(), Remb300k(camera0));
  ReceiveUntil([this] { return traffic_.total_rtcp_received() >= 1; });
  NextFrames();
  // 300 kb/s at 30 fps: 1,250 bytes, 2 packets; the other camera keeps 6.
  const std::vector<Bytes> held = server_[0].Read(2);
  EXPECT_EQ(held.size(), 2u);
  size_t bytes = 0;
  for (const Bytes& p : held) bytes += media::ParseRtp(p)->payload.size() - kVp8DescriptorBytes;
  EXPECT_EQ(bytes, 1250u);
  EXPECT_EQ(server_[1].Read(6).size(), 6u);
}

TEST_F(VideoTrafficTest, AForwardedCameraIsMeasuredByItsReceiver) {
  traffic_.StartMeasuring(now_us_);
  uint16_t sequence = 100;
  for (int frame = 0; frame < 3; ++frame) {
    NextFrames();
    server_[0].Read(6);
    // The server shows participant 0 camera 1: same packets, its own SSRC
    // and sequence numbers.
    for (Bytes& packet : server_[1].Read(6)) {
      packet[2] = static_cast<uint8_t>(sequence >> 8);
      packet[3] = static_cast<uint8_t>(sequence++);
      packet[8] = 0x77;
      server_[0].SendTo(traffic_.port(), packet);
    }
  }
  VideoResult result;
  ReceiveUntil([this] { return traffic_.total_bytes_received() >= 3 * 6250 + 18 * 6; });
  traffic_.EndMeasuring(now_us_ + kFrameUs, &result);
  EXPECT_EQ(result.accepted, 2);
  EXPECT_EQ(result.cameras, 2);
  EXPECT_EQ(result.packets_sent, 36);
  EXPECT_EQ(result.receivers, 2);
  EXPECT_EQ(result.receivers_without_video, 1);  // nobody forwarded camera 0
  EXPECT_EQ(result.received.packets, 18);
  EXPECT_EQ(result.received.frames, 3);
  EXPECT_EQ(result.received.keyframes, 1);
  EXPECT_EQ(result.received.switches, 1);
  EXPECT_EQ(result.received.broken_switches, 0);
  EXPECT_EQ(result.received.missing, 0);
  EXPECT_EQ(result.received.own_camera, 0);
}

}  // namespace
}  // namespace tutti::load
