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

// The forwarder continues the picture ids across a switch, as tutti's
// rewriter does: the second camera starts at the id after the first's.
TEST(VideoMeterTest, ACleanSwitchIsCountedAndNothingElse) {
  VideoMeter meter(SourceTag{.width = 999, .height = 999});
  Stream stream(meter);
  Vp8Packetizer a(640, 360, 100, 0);
  Vp8Packetizer b(320, 180, 103, 0);
  meter.StartMeasuring();
  stream.Frame(a, true);
  stream.Frame(a, false);
  stream.Frame(a, false);
  stream.Frame(b, true);  // the floor moved: b's key frame first
  stream.Frame(b, false);
  const VideoTally& tally = meter.tally();
  EXPECT_EQ(tally.switches, 2);  // into a (the first picture), then to b
  EXPECT_EQ(tally.broken_switches, 0);
  EXPECT_EQ(tally.keyframes, 2);
  EXPECT_EQ(tally.frames, 5);
  EXPECT_EQ(tally.packets, 15);
  EXPECT_EQ(meter.missing(), 0);
  EXPECT_EQ(tally.ssrc_changes, 0);
  EXPECT_EQ(tally.picture_id_jumps, 0);
  EXPECT_EQ(tally.timestamp_backwards, 0);
  EXPECT_EQ(tally.own_camera, 0);
  EXPECT_EQ(tally.unreadable, 0);
  ASSERT_TRUE(meter.showing().has_value());
  EXPECT_EQ(meter.showing()->width, 320);
}

TEST(VideoMeterTest, ASwitchToAnInterFrameOrMidFrameIsBroken) {
  VideoMeter meter;
  Stream stream(meter);
  Vp8Packetizer a(640, 360, 0, 0);
  Vp8Packetizer b(320, 180, 0, 0);
  meter.StartMeasuring();
  stream.Frame(a, true);
  stream.Frame(b, false);  // b's inter frame: the receiver lacks its reference
  EXPECT_EQ(meter.tally().broken_switches, 1);
  b.BeginFrame(true, 3000);
  std::array<uint8_t, kVideoPacketBytes> lost{};
  bool last = false;
  b.NextPayload(lost, &last);  // the key frame's first packet never arrives
  stream.Frame(a, true);
  stream.Send(b);  // b's key frame from its second packet on
  EXPECT_EQ(meter.tally().switches, 4);
  EXPECT_EQ(meter.tally().broken_switches, 2);
}

TEST(VideoMeterTest, GapsSsrcChangesAndOwnCameraAreCounted) {
  VideoMeter meter(SourceTag{.width = 320, .height = 180});
  Stream stream(meter);
  Vp8Packetizer a(640, 360, 0, 0);
  Vp8Packetizer self(320, 180, 0, 0);
  meter.StartMeasuring();
  stream.Frame(a, true);
  stream.sequence += 2;  // two packets lost
  stream.Frame(a, false);
  stream.ssrc = 0x9999;  // a second stream
  stream.Frame(a, false);
  stream.Frame(self, true);
  const VideoTally& tally = meter.tally();
  EXPECT_EQ(meter.missing(), 2);
  EXPECT_EQ(tally.ssrc_changes, 1);
  EXPECT_EQ(tally.own_camera, 3);
  EXPECT_EQ(tally.broken_switches, 0);
}

TEST(VideoMeterTest, PictureIdJumpsAndTimestampsRunningBackAreCounted) {
  VideoMeter meter;
  Stream stream(meter);
  Vp8Packetizer a(640, 360, 0x7FFF, 0);  // wraps to 0 in the second frame: no jump
  meter.StartMeasuring();
  stream.Frame(a, true);
  stream.Frame(a, false);
  EXPECT_EQ(meter.tally().picture_id_jumps, 0);
  // A forwarder that kept the second camera's own ids: 500 after 0.
  Vp8Packetizer b(320, 180, 500, 0);
  stream.Frame(b, true);
  EXPECT_EQ(meter.tally().picture_id_jumps, 1);
  stream.timestamp -= 90000;
  stream.Frame(b, false);
  EXPECT_EQ(meter.tally().timestamp_backwards, 1);
  EXPECT_EQ(meter.tally().broken_switches, 0);
}

TEST(VideoMeterTest, TheCameraShowingIsFollowedBeforeTheWindowButNotCounted) {
  VideoMeter meter;
  Stream stream(meter);
  Vp8Packetizer a(640, 360, 0, 0);
  stream.Frame(a, true);
  stream.Frame(a, false);
  EXPECT_EQ(meter.tally().packets, 0);
  meter.StartMeasuring();
  stream.Frame(a, false);  // mid-picture: not a switch
  EXPECT_EQ(meter.tally().switches, 0);
  EXPECT_EQ(meter.tally().broken_switches, 0);
  EXPECT_EQ(meter.tally().packets, 3);
}

}  // namespace
}  // namespace tutti::load
