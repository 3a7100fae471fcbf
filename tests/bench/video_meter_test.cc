#include "bench/tutti_load/video_meter.h"

#include <gtest/gtest.h>

#include <array>
#include <vector>

namespace tutti::load {
namespace {

// A forwarder's output as the meter gets it: one SSRC, sequence and
// timestamps run on, whichever camera the packets come from.
class Stream {
 public:
  explicit Stream(VideoMeter& meter) : meter_(meter) {}

  void Frame(Vp8Packetizer& camera, bool keyframe, size_t bytes = 3000) {
    camera.BeginFrame(keyframe, bytes);
    Send(camera);
  }
  // Sends what is left of the camera's frame (for a switch in mid-frame).
  void Send(Vp8Packetizer& camera, size_t at_most = 1000) {
    for (size_t i = 0; i < at_most && camera.pending(); ++i) {
      bool last = false;
      const size_t size = camera.NextPayload(buffer_, &last);
      meter_.OnPacket(ssrc, sequence++, timestamp, last,
                      std::span<const uint8_t>(buffer_.data(), size), 0);
    }
    timestamp += 3000;
  }

  uint32_t ssrc = 0x1234;
  uint16_t sequence = 65530;  // wraps in the tests
  uint32_t timestamp = 0xFFFFF000u;

 private:
  VideoMeter& meter_;
  std::array<uint8_t, kVideoPacketBytes> buffer_{};
};

// Three cameras of different sizes; `self` is the receiver's own. b's
// picture ids go on where a's third frame leaves them, as tutti's rewriter
// continues them across a switch.
class VideoMeterTest : public ::testing::Test {
 protected:
  VideoMeter meter_{SourceTag{.width = 320, .height = 180}};
  Stream stream_{meter_};
  Vp8Packetizer a_{640, 360, 100, 0};
  Vp8Packetizer b_{480, 270, 103, 3};
  Vp8Packetizer self_{320, 180, 0, 0};
};

TEST_F(VideoMeterTest, ACleanSwitchIsCountedAndNothingElse) {
  meter_.StartMeasuring();
  stream_.Frame(a_, true);
  stream_.Frame(a_, false);
  stream_.Frame(a_, false);
  stream_.Frame(b_, true);  // the floor moved: b's key frame first
  stream_.Frame(b_, false);
  const VideoTally& tally = meter_.tally();
  EXPECT_EQ(tally.switches, 2);  // into a (the first picture), then to b
  EXPECT_EQ(tally.broken_switches, 0);
  EXPECT_EQ(tally.keyframes, 2);
  EXPECT_EQ(tally.frames, 5);
  EXPECT_EQ(tally.packets, 15);
  EXPECT_EQ(meter_.missing(), 0);
  EXPECT_EQ(tally.ssrc_changes, 0);
  EXPECT_EQ(tally.picture_id_jumps, 0);
  EXPECT_EQ(tally.timestamp_backwards, 0);
  EXPECT_EQ(tally.own_camera, 0);
  EXPECT_EQ(tally.unreadable, 0);
  ASSERT_TRUE(meter_.showing().has_value());
  EXPECT_EQ(meter_.showing()->width, 480);
}

TEST_F(VideoMeterTest, ASwitchToAnInterFrameOrMidFrameIsBroken) {
  meter_.StartMeasuring();
  stream_.Frame(a_, true);
  stream_.Frame(b_, false);  // b's inter frame: the receiver lacks its reference
  EXPECT_EQ(meter_.tally().broken_switches, 1);
  b_.BeginFrame(true, 3000);
  std::array<uint8_t, kVideoPacketBytes> lost{};
  bool last = false;
  b_.NextPayload(lost, &last);  // the key frame's first packet never arrives
  stream_.Frame(a_, true);
  stream_.Send(b_);  // b's key frame from its second packet on
  EXPECT_EQ(meter_.tally().switches, 4);
  EXPECT_EQ(meter_.tally().broken_switches, 2);
}

TEST_F(VideoMeterTest, GapsSsrcChangesAndOwnCameraAreCounted) {
  meter_.StartMeasuring();
  stream_.Frame(a_, true);
  stream_.sequence += 2;  // two packets lost
  stream_.Frame(a_, false);
  stream_.ssrc = 0x9999;  // a second stream
  stream_.Frame(a_, false);
  stream_.Frame(self_, true);
  const VideoTally& tally = meter_.tally();
  EXPECT_EQ(meter_.missing(), 2);
  EXPECT_EQ(tally.ssrc_changes, 1);
  EXPECT_EQ(tally.own_camera, 3);
  EXPECT_EQ(tally.broken_switches, 0);
}

TEST_F(VideoMeterTest, PictureIdJumpsAndTimestampsRunningBackAreCounted) {
  Vp8Packetizer wrapping(640, 360, 0x7FFF, 0);  // wraps to 0 in its second frame: no jump
  meter_.StartMeasuring();
  stream_.Frame(wrapping, true);
  stream_.Frame(wrapping, false);
  EXPECT_EQ(meter_.tally().picture_id_jumps, 0);
  // A forwarder that kept b's own ids: 103 after 0.
  stream_.Frame(b_, true);
  EXPECT_EQ(meter_.tally().picture_id_jumps, 1);
  stream_.timestamp -= 90000;
  stream_.Frame(b_, false);
  EXPECT_EQ(meter_.tally().timestamp_backwards, 1);
  EXPECT_EQ(meter_.tally().broken_switches, 0);
}

TEST_F(VideoMeterTest, TheCameraShowingIsFollowedBeforeTheWindowButNotCounted) {
  stream_.Frame(a_, true);
  stream_.Frame(a_, false);
  EXPECT_EQ(meter_.tally().packets, 0);
  meter_.StartMeasuring();
  stream_.Frame(a_, false);  // mid-picture: not a switch
  EXPECT_EQ(meter_.tally().switches, 0);
  EXPECT_EQ(meter_.tally().broken_switches, 0);
  EXPECT_EQ(meter_.tally().packets, 3);
}

}  // namespace
}  // namespace tutti::load
