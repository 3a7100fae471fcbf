// Callers that send the RFC 6464 audio level: their quiet frames are not
// decoded unless the mix takes them, and a caller whose level rises is
// decoded and becomes a talker as before. Decodes are counted through
// Participant::decodes(), not timed.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <map>
#include <memory>
#include <vector>

#include "gtest/gtest.h"
#include "mediaplane/codec/audio_codec.h"
#include "mediaplane/codec/g711.h"
#include "mediaplane/port_allocator.h"
#include "mediaplane/rtp/rtp_packet.h"
#include "mixer/conference.h"
#include "tests/mixer/conference_join.h"

namespace tutti::mixer {
namespace {

constexpr int kOpusFrame = 960;
constexpr int kLevelId = 3;

class TalkSink : public TickSink {
 public:
  uint8_t* NextBuffer() override { return buffer_.data(); }
  void Commit(uint16_t, const media::Endpoint& remote, uint16_t size) override {
    ++sent[remote.port];
    last[remote.port].assign(buffer_.begin(), buffer_.begin() + size);
  }
  void TalkingChanged(uint64_t id, bool talking) override { events.emplace_back(id, talking); }
  std::map<uint16_t, int> sent;
  std::map<uint16_t, std::vector<uint8_t>> last;  // the last packet to each port
  std::vector<std::pair<uint64_t, bool>> events;

 private:
  std::array<uint8_t, media::kMaxDatagramBytes> buffer_{};
};

class AudioLevelDecodeTest : public ::testing::Test {
 protected:
  Participant* Join(uint64_t id, bool sends_levels, bool pcmu = false) {
    ParticipantSpec spec;
    spec.codec = pcmu ? media::CodecFormat{media::CodecKind::kPcmu, 8000, 20}
                      : media::CodecFormat{media::CodecKind::kOpus, 48000, 20};
    spec.payload_type = pcmu ? 0 : 111;
    spec.telephone_event_pt = pcmu ? 101 : -1;
    spec.audio_level_id = sends_levels ? kLevelId : 0;
    encoders_[id] = media::MakeEncoder(spec.codec);
    return JoinConference(conference_, allocator_, id, spec);
  }

  // One 20 ms µ-law frame of a tone (0: digital silence) from a PCMU leg's peer.
  void SendPcmu(Participant* participant, double amplitude) {
    const uint64_t id = participant->id();
    const int frame = frames_[id]++;
    std::array<int16_t, 160> pcm{};
    for (size_t i = 0; i < pcm.size(); ++i) {
      const double t = static_cast<double>(frame * 160 + static_cast<int>(i)) / 8000;
      pcm[i] = static_cast<int16_t>(amplitude * std::sin(2 * M_PI * 500 * t));
    }
    std::array<uint8_t, media::kRtpHeaderSize + 160> packet{};
    media::WriteRtpHeader({.payload_type = 0,
                           .sequence = static_cast<uint16_t>(frame),
                           .timestamp = static_cast<uint32_t>(frame * 160),
                           .ssrc = static_cast<uint32_t>(id)},
                          packet.data());
    media::EncodeUlaw(pcm, packet.data() + media::kRtpHeaderSize);
    const media::Datagram datagram{participant->rtp_port(), participant->spec().remote_rtp,
                                   packet.data(), static_cast<uint16_t>(packet.size())};
    participant->OnRtp(datagram, now_us_);
  }

  // One frame from the participant's peer: a tone of `amplitude` (0: digital
  // silence, still sent, as a caller without DTX does), with the level of
  // the frame in the header when the leg sends levels.
  void Send(Participant* participant, double amplitude) {
    const uint64_t id = participant->id();
    const int frame = frames_[id]++;
    std::vector<int16_t> pcm(kOpusFrame);
    for (int i = 0; i < kOpusFrame; ++i) {
      const double t = static_cast<double>(frame * kOpusFrame + i) / 48000;
      pcm[static_cast<size_t>(i)] =
          static_cast<int16_t>(amplitude * std::sin(2 * M_PI * (300 + 100 * id) * t));
    }
    std::array<uint8_t, media::kMaxDatagramBytes> packet{};
    const size_t header = participant->spec().audio_level_id > 0 ? media::kRtpAudioLevelHeaderSize
                                                                 : media::kRtpHeaderSize;
    const size_t size = encoders_[id]->Encode(
        pcm, std::span<uint8_t>(packet.data() + header, media::kMaxPayloadBytes));
    const media::RtpHeaderFields fields{.payload_type = 111,
                                        .sequence = static_cast<uint16_t>(frame),
                                        .timestamp = static_cast<uint32_t>(frame * kOpusFrame),
                                        .ssrc = static_cast<uint32_t>(id)};
    if (participant->spec().audio_level_id > 0) {
      const uint8_t level = media::AudioLevelOf(pcm);
      media::WriteRtpHeaderWithAudioLevel(fields, kLevelId, {.level = level, .voice = level < 60},
                                          packet.data());
    } else {
      media::WriteRtpHeader(fields, packet.data());
    }
    const media::Datagram datagram{participant->rtp_port(), participant->spec().remote_rtp,
                                   packet.data(), static_cast<uint16_t>(header + size)};
    participant->OnRtp(datagram, now_us_);
  }

  void Tick() {
    conference_.Tick(now_us_, sink_);
    now_us_ += 20000;
  }

  bool Started(uint64_t id) const {
    for (const auto& [who, talking] : sink_.events) {
      if (who == id && talking) return true;
    }
    return false;
  }

  media::PortAllocator allocator_{"127.0.0.1", 47000, 47999};
  Conference conference_{1, ConferenceOptions{}};
  std::map<uint64_t, std::unique_ptr<media::AudioEncoder>> encoders_;
  std::map<uint64_t, int> frames_;
  TalkSink sink_;
  int64_t now_us_ = 1'000'000;
};

TEST_F(AudioLevelDecodeTest, AQuietCallerIsNotDecodedUntilItsLevelRises) {
  Participant* talker = Join(1, true);
  Participant* quiet = Join(2, true);
  Join(3, true);  // a listener in DTX: sends nothing
  for (int tick = 0; tick < 30; ++tick) {
    Send(talker, 6000);
    Send(quiet, 0);
    Tick();
  }
  EXPECT_TRUE(Started(1));
  EXPECT_GT(talker->decodes(), 20u);  // a voice in the mix is decoded
  EXPECT_EQ(quiet->decodes(), 0u) << "a quiet frame was decoded";
  EXPECT_GT(quiet->quiet_frames(), 20u);
  EXPECT_LE(quiet->level_db(), -100.0f);  // the header's 127 (silence) stands for the frame

  // The quiet caller starts talking: decoded from its first loud frame,
  // detected as a talker and mixed (its listeners need an encode of two voices).
  for (int tick = 0; tick < 20; ++tick) {
    Send(talker, 6000);
    Send(quiet, 6000);
    Tick();
  }
  EXPECT_TRUE(Started(2));
  EXPECT_GT(quiet->decodes(), 10u);
  EXPECT_GT(quiet->level_db(), -30.0f);
  EXPECT_EQ(conference_.encodes_last_tick(), 1);   // the listener's mix of both
  EXPECT_EQ(conference_.forwards_last_tick(), 2);  // each talker hears the other

  // Quiet again: still mixed through its hangover, so its quiet frames are
  // decoded after all (the mix needs them); then no longer.
  const uint64_t deferred_before = quiet->deferred_decodes();
  for (int tick = 0; tick < 10; ++tick) {
    Send(talker, 6000);
    Send(quiet, 0);
    Tick();
  }
  EXPECT_GT(quiet->deferred_decodes(), deferred_before);
  for (int tick = 0; tick < 40; ++tick) {
    Send(talker, 6000);
    Send(quiet, 0);
    Tick();
  }
  const uint64_t decodes_after_hangover = quiet->decodes();
  for (int tick = 0; tick < 20; ++tick) {
    Send(talker, 6000);
    Send(quiet, 0);
    Tick();
  }
  EXPECT_EQ(quiet->decodes(), decodes_after_hangover);
  EXPECT_EQ(conference_.encodes_last_tick(), 0);  // one voice again: forwarded
}

TEST_F(AudioLevelDecodeTest, WithoutTheExtensionEveryFrameIsDecoded) {
  Participant* quiet = Join(1, false);
  Join(2, false);
  for (int tick = 0; tick < 30; ++tick) {
    Send(quiet, 0);
    Tick();
  }
  EXPECT_EQ(quiet->quiet_frames(), 0u);
  EXPECT_GT(quiet->decodes(), 20u);
}

// A muted caller is never mixed: its level (for the meters) comes from the
// header, loud or not, and nothing of it is decoded.
TEST_F(AudioLevelDecodeTest, AMutedCallerIsMeasuredByItsHeaderNotDecoded) {
  Participant* muted = Join(1, true);
  Join(2, true);
  muted->SetMuted(true);
  for (int tick = 0; tick < 30; ++tick) {
    Send(muted, 6000);
    Tick();
  }
  EXPECT_EQ(muted->decodes(), 0u);
  EXPECT_GT(muted->level_db(), -30.0f);
  EXPECT_FALSE(Started(1));
}

// A talker whose packets stop (DTX, a phone that went quiet) stays in the mix
// through its hangover: what it adds there is silence, not its last frame
// again (a frame with nothing to play is cleared once and then kept).
TEST_F(AudioLevelDecodeTest, ATalkerThatStopsSendingAddsSilenceNotItsLastFrame) {
  Participant* talker = Join(1, false, true);
  Participant* listener = Join(2, false, true);
  for (int tick = 0; tick < 30; ++tick) {
    SendPcmu(talker, 8000);
    SendPcmu(listener, 0);
    Tick();
  }
  ASSERT_TRUE(Started(1));
  for (int tick = 0; tick < 8; ++tick) {  // the buffered frames play out, then nothing
    SendPcmu(listener, 0);
    Tick();
  }
  ASSERT_EQ(sink_.events.size(), 1u) << "the talker left the mix already";
  const std::vector<uint8_t>& heard = sink_.last.at(40002);
  ASSERT_GT(heard.size(), media::kRtpHeaderSize);
  std::vector<int16_t> pcm(heard.size() - media::kRtpHeaderSize);
  media::DecodeUlaw(std::span<const uint8_t>(heard).subspan(media::kRtpHeaderSize), pcm.data());
  int peak = 0;
  for (int16_t sample : pcm) peak = std::max(peak, std::abs(int{sample}));
  EXPECT_LT(peak, 100) << "the listener still hears the talker's last frame";
}

}  // namespace
}  // namespace tutti::mixer
