#include "mixer/room_recorder.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "mixer/recording_length.h"
#include "tests/support/temp_path.h"

namespace tutti::mixer {
namespace {

std::vector<uint8_t> ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

uint32_t Le32(const std::vector<uint8_t>& b, size_t at) {
  return uint32_t{b[at]} | (uint32_t{b[at + 1]} << 8) | (uint32_t{b[at + 2]} << 16) |
         (uint32_t{b[at + 3]} << 24);
}

std::array<int16_t, 960> ToneFrame(int index) {
  std::array<int16_t, 960> frame{};
  for (size_t i = 0; i < frame.size(); ++i) {
    const double t = static_cast<double>(index * 960 + static_cast<int>(i)) / 48000;
    frame[i] = static_cast<int16_t>(8000 * std::sin(2 * M_PI * 440 * t));
  }
  return frame;
}

void WaitForWritten(const RoomRecorder& recorder, uint64_t frames) {
  for (int i = 0; i < 500 && recorder.frames_written() < frames; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

TEST(RoomRecorderTest, WavHeaderIsRightAtEverySecondAndAtTheEnd) {
  const std::string path = tutti::testing_support::UniqueTempPath("room.wav");
  auto recorder = RoomRecorder::Start(path, RecordingFormat::kWav);
  ASSERT_TRUE(recorder.ok()) << recorder.status();
  for (int i = 0; i < 75; ++i) ASSERT_TRUE((*recorder)->Append(ToneFrame(i)));
  WaitForWritten(**recorder, 75);
  // Not closed (as if the process died now): the header counts the first
  // whole second, so the file plays up to there.
  std::vector<uint8_t> live = ReadAll(path);
  ASSERT_GE(live.size(), 44u);
  EXPECT_EQ(Le32(live, 40), 50u * 960 * 2);
  EXPECT_EQ(Le32(live, 24), 48000u);

  ASSERT_TRUE((*recorder)->Close().ok());
  std::vector<uint8_t> done = ReadAll(path);
  EXPECT_EQ(Le32(done, 40), 75u * 960 * 2);
  EXPECT_EQ(Le32(done, 4), 36u + 75 * 960 * 2);
  EXPECT_EQ(done.size(), 44u + 75 * 960 * 2);
  EXPECT_EQ((*recorder)->frames_dropped(), 0u);
}

TEST(RoomRecorderTest, OggOpusHasHeadersPagesAndEndOfStream) {
  const std::string path = tutti::testing_support::UniqueTempPath("room.ogg");
  auto recorder = RoomRecorder::Start(path, RecordingFormat::kOggOpus);
  ASSERT_TRUE(recorder.ok()) << recorder.status();
  for (int i = 0; i < 150; ++i) (*recorder)->Append(ToneFrame(i));
  WaitForWritten(**recorder, 150);
  // Pages reach the file while recording (muxing delay one second).
  std::vector<uint8_t> live = ReadAll(path);
  const std::string live_text(live.begin(), live.end());
  EXPECT_EQ(live_text.substr(0, 4), "OggS");
  EXPECT_NE(live_text.find("OpusHead"), std::string::npos);
  EXPECT_NE(live_text.find("OpusTags"), std::string::npos);
  EXPECT_GT(live.size(), 2000u);

  ASSERT_TRUE((*recorder)->Close().ok());
  std::vector<uint8_t> done = ReadAll(path);
  const std::string text(done.begin(), done.end());
  const size_t last_page = text.rfind("OggS");
  ASSERT_NE(last_page, std::string::npos);
  EXPECT_TRUE(done[last_page + 5] & 0x04);  // end of stream
  // The last granule position counts 48 kHz samples: ~3 s of audio.
  uint64_t granule = 0;
  for (int i = 7; i >= 0; --i)
    granule = (granule << 8) | done[last_page + 6 + static_cast<size_t>(i)];
  EXPECT_NEAR(static_cast<double>(granule), 150.0 * 960, 960 * 2);
}

// The control API's listing reads the length from the file: 150 frames are
// 3 s, for both formats, closed or not; other files have none.
TEST(RecordedSecondsTest, CountsTheAudioInEitherFormat) {
  for (RecordingFormat format : {RecordingFormat::kWav, RecordingFormat::kOggOpus}) {
    const bool wav = format == RecordingFormat::kWav;
    SCOPED_TRACE(wav ? "wav" : "ogg");
    const std::string path = tutti::testing_support::UniqueTempPath(wav ? "len.wav" : "len.ogg");
    auto recorder = RoomRecorder::Start(path, format);
    ASSERT_TRUE(recorder.ok()) << recorder.status();
    for (int i = 0; i < 150; ++i) ASSERT_TRUE((*recorder)->Append(ToneFrame(i)));
    WaitForWritten(**recorder, 150);
    ASSERT_TRUE((*recorder)->Close().ok());
    const std::optional<double> seconds = RecordedSeconds(path, format);
    ASSERT_TRUE(seconds.has_value());
    // Opus's last frame may be padded; the pre-skip is taken off.
    EXPECT_NEAR(*seconds, 3.0, wav ? 1e-9 : 0.021);
    // The other format's reader does not take it for one of its own.
    EXPECT_FALSE(RecordedSeconds(path, wav ? RecordingFormat::kOggOpus : RecordingFormat::kWav));
    std::remove(path.c_str());
  }
  EXPECT_FALSE(RecordedSeconds("/nonexistent-dir/x.ogg", RecordingFormat::kOggOpus));
}

TEST(RecordedSecondsTest, FollowsNoSymbolicLink) {
  const std::string path = tutti::testing_support::UniqueTempPath("target.wav");
  auto recorder = RoomRecorder::Start(path, RecordingFormat::kWav);
  ASSERT_TRUE(recorder.ok());
  ASSERT_TRUE((*recorder)->Close().ok());
  ASSERT_TRUE(RecordedSeconds(path, RecordingFormat::kWav));
  const std::string link = tutti::testing_support::UniqueTempPath("link.wav");
  std::remove(link.c_str());
  ASSERT_EQ(symlink(path.c_str(), link.c_str()), 0);
  EXPECT_FALSE(RecordedSeconds(link, RecordingFormat::kWav));
  std::remove(link.c_str());
  std::remove(path.c_str());
}

// A recording stopped before its first frame (started and stopped at once,
// or its room emptied) still ends as a valid Ogg Opus file. libopusenc
// 0.2.1 aborts the process draining a stream that got no audio, on some
// runs (here from the fifth recorder of a process on): fifty in a row.
TEST(RoomRecorderTest, OggOpusStoppedBeforeAnyAudioClosesCleanly) {
  for (int run = 0; run < 50; ++run) {
    const std::string path = tutti::testing_support::UniqueTempPath("empty.ogg");
    auto recorder = RoomRecorder::Start(path, RecordingFormat::kOggOpus);
    ASSERT_TRUE(recorder.ok()) << recorder.status();
    ASSERT_TRUE((*recorder)->Close().ok()) << run;
    std::vector<uint8_t> done = ReadAll(path);
    const std::string text(done.begin(), done.end());
    const size_t last_page = text.rfind("OggS");
    ASSERT_NE(last_page, std::string::npos);
    EXPECT_TRUE(done[last_page + 5] & 0x04) << run;  // end of stream
    std::remove(path.c_str());
  }
}

// A recording never overwrites a file (one of the same room and second) or
// writes through a link planted under its name.
TEST(RoomRecorderTest, AnExistingFileOrLinkIsNeitherTruncatedNorFollowed) {
  const std::string path = tutti::testing_support::UniqueTempPath("taken.ogg");
  const std::string link = tutti::testing_support::UniqueTempPath("link.wav");
  std::remove(link.c_str());
  { std::ofstream(path) << "an earlier recording"; }
  ASSERT_EQ(symlink(path.c_str(), link.c_str()), 0);
  for (RecordingFormat format : {RecordingFormat::kOggOpus, RecordingFormat::kWav}) {
    for (const std::string& taken : {path, link}) {
      auto recorder = RoomRecorder::Start(taken, format);
      ASSERT_FALSE(recorder.ok()) << taken;
      EXPECT_EQ(recorder.status().code(), absl::StatusCode::kAlreadyExists) << taken;
    }
  }
  const std::vector<uint8_t> kept = ReadAll(path);
  EXPECT_EQ(std::string(kept.begin(), kept.end()), "an earlier recording");
  std::remove(link.c_str());
  std::remove(path.c_str());
}

TEST(RoomRecorderTest, UnwritablePathIsAnError) {
  EXPECT_FALSE(RoomRecorder::Start("/nonexistent-dir/x.wav", RecordingFormat::kWav).ok());
  EXPECT_FALSE(RoomRecorder::Start("/nonexistent-dir/x.ogg", RecordingFormat::kOggOpus).ok());
}

}  // namespace
}  // namespace tutti::mixer
