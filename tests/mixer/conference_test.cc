#include "mixer/conference.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <vector>

#include "gtest/gtest.h"
#include "mediaplane/codec/g711.h"
#include "mediaplane/port_allocator.h"
#include "mediaplane/prompt_library.h"
#include "mediaplane/rtp/rtcp_packet.h"
#include "mediaplane/rtp/rtp_packet.h"
#include "tests/mixer/conference_join.h"

namespace tutti::mixer {
namespace {

constexpr int kFrame = 160;

// Collects what a tick sends, by destination port.
class RecordingSink : public TickSink {
 public:
  uint8_t* NextBuffer() override { return buffer_.data(); }
  void Commit(uint16_t, const media::Endpoint& remote, uint16_t size) override {
    packets[remote.port].emplace_back(buffer_.begin(), buffer_.begin() + size);
  }
  void TalkingChanged(uint64_t id, bool talking) override {
    talking_events.emplace_back(id, talking);
  }
  void InbandDigit(uint64_t id, char digit) override { digits.emplace_back(id, digit); }
  void PlaybackDone(uint64_t id) override { playbacks_done.push_back(id); }
  void JitterReported(uint64_t lost, uint64_t late) override {
    jitter_lost += lost;
    jitter_late += late;
  }
  void MalformedReported(uint64_t count) override { malformed += count; }
  uint64_t jitter_lost = 0;
  uint64_t jitter_late = 0;
  uint64_t malformed = 0;

  std::map<uint16_t, std::vector<std::vector<uint8_t>>> packets;
  std::vector<std::pair<uint64_t, bool>> talking_events;
  std::vector<std::pair<uint64_t, char>> digits;
  std::vector<uint64_t> playbacks_done;

 private:
  std::array<uint8_t, media::kMaxDatagramBytes> buffer_{};
};

// Power share of one frequency in a frame (Goertzel), 0..1.
double ToneShare(const std::vector<int16_t>& pcm, double hz, int rate) {
  const double w = 2 * M_PI * hz / rate;
  double s1 = 0, s2 = 0, energy = 0;
  for (int16_t x : pcm) {
    const double s0 = x + 2 * std::cos(w) * s1 - s2;
    s2 = s1;
    s1 = s0;
    energy += static_cast<double>(x) * x;
  }
  const double power = s1 * s1 + s2 * s2 - 2 * std::cos(w) * s1 * s2;
  return energy == 0 ? 0 : 2 * power / (energy * static_cast<double>(pcm.size()));
}

// A 1000 Hz tone at 48 kHz, a prompt's rate.
std::vector<int16_t> Tone1kHz(size_t samples) {
  std::vector<int16_t> tone(samples);
  for (size_t i = 0; i < tone.size(); ++i) {
    tone[i] =
        static_cast<int16_t>(8000 * std::sin(2 * M_PI * 1000 * static_cast<double>(i) / 48000));
  }
  return tone;
}

class ConferenceTest : public ::testing::Test {
 protected:
  // A receiver report from `to`'s peer, holding one block about our stream.
  static void ReceiveReport(Participant* to, media::ReportBlock block, int64_t arrival_us) {
    block.ssrc = to->ssrc();
    std::array<uint8_t, 256> buffer{};
    const size_t size =
        media::WriteRtcp(4242, nullptr, std::span(&block, 1), "peer", false, buffer);
    media::Datagram datagram;
    datagram.data = buffer.data();
    datagram.size = static_cast<uint16_t>(size);
    datagram.remote = to->spec().remote_rtcp;  // from the peer, not a stranger
    to->OnRtcp(datagram, arrival_us);
  }

  // Adds participant `id` with `spec`'s codec and options; its ports, its
  // peer (which "listens" on port 40000 + id) and its SSRC are set here.
  Participant* JoinWith(uint64_t id, ParticipantSpec spec) {
    return JoinConference(conference_, allocator_, id, spec);
  }

  // A PCMU participant.
  Participant* Join(uint64_t id, int telephone_event_pt = -1) {
    ParticipantSpec spec;
    spec.codec = {media::CodecKind::kPcmu, 8000, 20};
    spec.payload_type = 0;
    spec.telephone_event_pt = telephone_event_pt;
    return JoinWith(id, spec);
  }

  // Feeds one 20 ms µ-law frame of a tone (or silence) from a participant's peer.
  // With `hz2`, a dual tone (a key press).
  void Speak(Participant* participant, double hz, int frame_index, double hz2 = 0,
             double amplitude = 6000) {
    std::array<int16_t, kFrame> pcm{};
    for (int i = 0; i < kFrame; ++i) {
      const double t = static_cast<double>(frame_index * kFrame + i) / 8000;
      double x = hz == 0 ? 0 : amplitude * std::sin(2 * M_PI * hz * t);
      if (hz2 != 0) x = 5000 * (std::sin(2 * M_PI * hz * t) + std::sin(2 * M_PI * hz2 * t));
      pcm[static_cast<size_t>(i)] = static_cast<int16_t>(x);
    }
    std::array<uint8_t, media::kRtpHeaderSize + kFrame> packet{};
    media::WriteRtpHeader({.payload_type = 0,
                           .sequence = static_cast<uint16_t>(frame_index),
                           .timestamp = static_cast<uint32_t>(frame_index * kFrame),
                           .ssrc = static_cast<uint32_t>(participant->id())},
                          packet.data());
    media::EncodeUlaw(pcm, packet.data() + media::kRtpHeaderSize);
    media::Datagram datagram{participant->rtp_port(), participant->spec().remote_rtp, packet.data(),
                             static_cast<uint16_t>(packet.size())};
    participant->OnRtp(datagram, now_us_);
  }

  void Tick(RecordingSink& sink) {
    conference_.Tick(now_us_, sink);
    now_us_ += 20000;
  }

  // Decodes the last packet sent to a participant's peer.
  std::vector<int16_t> LastHeard(const RecordingSink& sink, uint64_t id) {
    const auto& sent = sink.packets.at(static_cast<uint16_t>(40000 + id));
    auto rtp = media::ParseRtp(sent.back());
    EXPECT_TRUE(rtp.has_value());
    std::vector<int16_t> pcm(rtp->payload.size());
    media::DecodeUlaw(rtp->payload, pcm.data());
    return pcm;
  }

  // Five talkers of one level (tones 300..1700 Hz) and listener 6, 40
  // frames: how many of the five the listener hears at the end.
  int TalkersHeardOfFive() {
    std::vector<Participant*> people;
    for (uint64_t id = 1; id <= 5; ++id) people.push_back(Join(id));
    Participant* listener = Join(6);
    RecordingSink sink;
    const double tones[] = {300, 500, 900, 1300, 1700};
    for (int frame = 0; frame < 40; ++frame) {
      for (size_t i = 0; i < people.size(); ++i) Speak(people[i], tones[i], frame);
      Speak(listener, 0, frame);
      Tick(sink);
    }
    const std::vector<int16_t> heard = LastHeard(sink, 6);
    int audible = 0;
    for (double hz : tones) audible += ToneShare(heard, hz, 8000) > 0.1 ? 1 : 0;
    return audible;
  }

  media::PortAllocator allocator_{"127.0.0.1", 46000, 46999};
  Conference conference_{1, ConferenceOptions{}};
  int64_t now_us_ = 1'000'000;
};

TEST_F(ConferenceTest, TalkersHearEachOtherButNotThemselves) {
  Participant* a = Join(1);
  Participant* b = Join(2);
  Participant* c = Join(3);
  RecordingSink sink;
  for (int frame = 0; frame < 30; ++frame) {
    Speak(a, 440, frame);
    Speak(b, 1000, frame);
    Speak(c, 0, frame);
    sink.packets.clear();
    Tick(sink);
  }
  const std::vector<int16_t> heard_by_a = LastHeard(sink, 1);
  const std::vector<int16_t> heard_by_b = LastHeard(sink, 2);
  const std::vector<int16_t> heard_by_c = LastHeard(sink, 3);
  EXPECT_GT(ToneShare(heard_by_a, 1000, 8000), 0.8);
  EXPECT_LT(ToneShare(heard_by_a, 440, 8000), 0.05);
  EXPECT_GT(ToneShare(heard_by_b, 440, 8000), 0.8);
  EXPECT_LT(ToneShare(heard_by_b, 1000, 8000), 0.05);
  EXPECT_GT(ToneShare(heard_by_c, 440, 8000), 0.3);
  EXPECT_GT(ToneShare(heard_by_c, 1000, 8000), 0.3);
  // Talking events for a and b, none for silent c.
  std::vector<std::pair<uint64_t, bool>> started = {{1, true}, {2, true}};
  EXPECT_EQ(sink.talking_events, started);
}

TEST_F(ConferenceTest, ListenersShareOneEncodePerCodec) {
  Participant* talker = Join(1);
  std::vector<Participant*> listeners;
  for (uint64_t id = 2; id <= 10; ++id) listeners.push_back(Join(id));
  RecordingSink sink;
  for (int frame = 0; frame < 20; ++frame) {
    Speak(talker, 700, frame);
    for (Participant* listener : listeners) Speak(listener, 0, frame);
    Tick(sink);
  }
  // One encode for the talker's mix-minus, one shared by all nine listeners.
  EXPECT_EQ(conference_.encodes_last_tick(), 2);
  // Every listener got the same payload in its own stream.
  const std::vector<uint8_t>& first = sink.packets.at(40002).back();
  for (uint64_t id = 3; id <= 10; ++id) {
    const std::vector<uint8_t>& other = sink.packets.at(static_cast<uint16_t>(40000 + id)).back();
    auto a = media::ParseRtp(first);
    auto b = media::ParseRtp(other);
    ASSERT_TRUE(a && b);
    EXPECT_NE(a->ssrc, b->ssrc);
    EXPECT_TRUE(
        std::equal(a->payload.begin(), a->payload.end(), b->payload.begin(), b->payload.end()));
  }
}

// A carrier's re-INVITE moves a listener from PCMU to PCMA: it hears the
// room in A-law from then on, in an encoding group of its own, and a move to
// Opus takes the room to 48 kHz.
TEST_F(ConferenceTest, ACodecChangeMovesTheListenerToItsNewCodec) {
  Participant* talker = Join(1);
  Participant* listener = Join(2);
  ParticipantSpec alaw = listener->spec();
  alaw.codec = {media::CodecKind::kPcma, 8000, 20};
  alaw.payload_type = 8;
  ASSERT_TRUE(listener->Update(alaw));
  conference_.CodecChanged(*listener);
  EXPECT_FALSE(listener->Update(alaw));  // the same again changes nothing
  RecordingSink sink;
  for (int frame = 0; frame < 20; ++frame) {
    Speak(talker, 700, frame);
    Tick(sink);
  }
  auto rtp = media::ParseRtp(sink.packets.at(40002).back());
  ASSERT_TRUE(rtp.has_value());
  EXPECT_EQ(rtp->payload_type, 8);
  std::vector<int16_t> heard(rtp->payload.size());
  media::DecodeAlaw(rtp->payload, heard.data());
  EXPECT_GT(ToneShare(heard, 700, 8000), 0.5);
  EXPECT_EQ(conference_.rate(), 8000);

  ParticipantSpec opus = listener->spec();
  opus.codec = {media::CodecKind::kOpus, 48000, 20};
  opus.payload_type = 111;
  ASSERT_TRUE(listener->Update(opus));
  conference_.CodecChanged(*listener);
  EXPECT_EQ(conference_.rate(), 48000);
}

TEST_F(ConferenceTest, ACostLevelReachesEveryLegAndTheLegsThatJoinLater) {
  Participant* talker = Join(1);
  EXPECT_EQ(talker->cost_level(), 0);
  conference_.SetCostLevel(2);
  EXPECT_EQ(conference_.cost_level(), 2);
  EXPECT_EQ(talker->cost_level(), 2);
  Participant* listener = Join(2);  // joins a shed worker
  EXPECT_EQ(listener->cost_level(), 2);
  ParticipantSpec opus = listener->spec();
  opus.codec = {media::CodecKind::kOpus, 48000, 20};
  opus.payload_type = 111;
  ASSERT_TRUE(listener->Update(opus));  // a new encoder, at the same level
  conference_.CodecChanged(*listener);
  EXPECT_EQ(listener->cost_level(), 2);
  RecordingSink sink;
  for (int frame = 0; frame < 20; ++frame) {
    Speak(talker, 700, frame);
    Tick(sink);
  }
  EXPECT_FALSE(sink.packets[40002].empty());  // a shed encoder still sends
  conference_.SetCostLevel(0);
  EXPECT_EQ(talker->cost_level(), 0);
  EXPECT_EQ(listener->cost_level(), 0);
}

TEST_F(ConferenceTest, WithoutSharingEveryListenerIsEncodedAlone) {
  conference_ = Conference(1, ConferenceOptions{.share_encoders = false});
  Participant* talker = Join(1);
  for (uint64_t id = 2; id <= 10; ++id) Join(id);
  RecordingSink sink;
  for (int frame = 0; frame < 20; ++frame) {
    Speak(talker, 700, frame);
    Tick(sink);
  }
  EXPECT_EQ(conference_.encodes_last_tick(), 10);
}

TEST_F(ConferenceTest, MutedTalkerIsMeasuredButNotMixed) {
  Participant* a = Join(1);
  Join(2);
  RecordingSink sink;
  for (int frame = 0; frame < 20; ++frame) {
    Speak(a, 440, frame);
    Tick(sink);
  }
  ASSERT_TRUE(a->talker().talking());
  a->SetMuted(true);
  for (int frame = 20; frame < 40; ++frame) {
    Speak(a, 440, frame);
    Tick(sink);
  }
  EXPECT_GT(a->level_db(), -20.0f);  // still measured
  EXPECT_FALSE(a->talker().talking());
  EXPECT_LT(ToneShare(LastHeard(sink, 2), 440, 8000), 0.05);
  // Muting closed the spurt: started, then stopped, and nothing since.
  std::vector<std::pair<uint64_t, bool>> expected = {{1, true}, {1, false}};
  EXPECT_EQ(sink.talking_events, expected);
}

TEST_F(ConferenceTest, OnlyTheLoudestTalkersAreMixed) {
  EXPECT_EQ(TalkersHeardOfFive(), 3);  // max_talkers defaults to 3
}

// The baseline switch changes how the mix is encoded, not who is in it.
TEST_F(ConferenceTest, WithoutSharingOnlyTheLoudestTalkersAreMixedToo) {
  conference_ = Conference(1, ConferenceOptions{.share_encoders = false});
  EXPECT_EQ(TalkersHeardOfFive(), 3);
  EXPECT_EQ(conference_.encodes_last_tick(), 6);  // still one per listener
}

double Rms(const std::vector<int16_t>& pcm) {
  double sum = 0;
  for (int16_t x : pcm) sum += static_cast<double>(x) * x;
  return std::sqrt(sum / static_cast<double>(pcm.size()));
}

TEST_F(ConferenceTest, ListeningVolumeMakesItsOwnGroup) {
  Participant* talker = Join(1);
  Participant* normal = Join(2);
  Participant* quiet = Join(3);
  quiet->SetGains(/*listen_gain_db=*/-6, /*talk_gain_db=*/0);
  conference_.Regroup(*quiet);
  RecordingSink sink;
  for (int frame = 0; frame < 20; ++frame) {
    Speak(talker, 700, frame);
    Speak(normal, 0, frame);
    Speak(quiet, 0, frame);
    Tick(sink);
  }
  // The talker's own, the normal listeners' and the quieter listener's.
  EXPECT_EQ(conference_.encodes_last_tick(), 3);
  const double ratio = Rms(LastHeard(sink, 3)) / Rms(LastHeard(sink, 2));
  EXPECT_NEAR(ratio, 0.5, 0.05);
}

TEST_F(ConferenceTest, TalkingVolumeScalesWhatOthersHear) {
  Participant* a = Join(1);
  Join(2);
  RecordingSink sink;
  for (int frame = 0; frame < 20; ++frame) {
    Speak(a, 700, frame);
    Tick(sink);
  }
  const double before = Rms(LastHeard(sink, 2));
  a->SetGains(0, -12);
  for (int frame = 20; frame < 40; ++frame) {
    Speak(a, 700, frame);
    Tick(sink);
  }
  EXPECT_NEAR(Rms(LastHeard(sink, 2)) / before, 0.25, 0.03);
}

TEST_F(ConferenceTest, InbandDtmfFromG711CallersWithoutTelephoneEvent) {
  Participant* plain = Join(1);
  Participant* with_events = Join(2, /*telephone_event_pt=*/101);
  RecordingSink sink;
  for (int frame = 0; frame < 30; ++frame) {
    const bool pressing = frame >= 5 && frame < 10;  // 100 ms of '5' (770 + 1336 Hz)
    Speak(plain, pressing ? 770 : 0, frame, pressing ? 1336 : 0);
    Speak(with_events, pressing ? 770 : 0, frame, pressing ? 1336 : 0);
    Tick(sink);
  }
  // Once, and only for the caller that cannot send RFC 4733 events.
  std::vector<std::pair<uint64_t, char>> expected = {{1, '5'}};
  EXPECT_EQ(sink.digits, expected);
}

TEST_F(ConferenceTest, PromptIsHeardOnlyByItsParticipantAndEnds) {
  auto prompts = media::PromptLibrary::FromSamples({{"beep", Tone1kHz(4800)}});  // 100 ms
  Participant* a = Join(1);
  Join(2);
  Join(3);
  RecordingSink sink;
  for (int frame = 0; frame < 10; ++frame) Tick(sink);
  a->Play(&prompts->at(0));
  Tick(sink);
  Tick(sink);  // the first frame holds the resampler's ramp-in
  EXPECT_GT(ToneShare(LastHeard(sink, 1), 1000, 8000), 0.9);
  EXPECT_LT(Rms(LastHeard(sink, 2)), 10);         // the others hear the (silent) room
  EXPECT_EQ(conference_.encodes_last_tick(), 2);  // a's own, and the shared one
  for (int frame = 0; frame < 9; ++frame) Tick(sink);
  EXPECT_EQ(sink.playbacks_done, std::vector<uint64_t>{1});
  EXPECT_FALSE(a->playing());
  EXPECT_LT(Rms(LastHeard(sink, 1)), 10);
}

TEST_F(ConferenceTest, LoopingPromptPlaysUntilStopped) {
  auto prompts = media::PromptLibrary::FromSamples({{"music", Tone1kHz(1920)}});  // two frames
  Participant* a = Join(1);
  Join(2);
  RecordingSink sink;
  a->Play(&prompts->at(0), /*loop=*/true);
  for (int frame = 0; frame < 20; ++frame) Tick(sink);
  EXPECT_TRUE(a->playing());
  EXPECT_TRUE(sink.playbacks_done.empty());  // a loop never ends by itself
  EXPECT_GT(ToneShare(LastHeard(sink, 1), 1000, 8000), 0.9);
  a->Play(nullptr);
  Tick(sink);
  Tick(sink);
  EXPECT_LT(Rms(LastHeard(sink, 1)), 10);
}

// The top-N is the room's (Conference::Configure), not a participant's.
class ConferenceTopNTest : public ConferenceTest {
 protected:
  static constexpr double kTones[] = {300, 700, 1100, 1500};

  // Four talkers on distinct tones, then a listener (9), who joins last.
  void SetUp() override {
    for (uint64_t id = 1; id <= 4; ++id) Join(id);
    Join(9);
  }

  // How many of the talkers the listener hears after 40 more frames.
  int TalkersHeard() {
    RecordingSink sink;
    for (int end = frame_ + 40; frame_ < end; ++frame_) {
      for (uint64_t id = 1; id <= 4; ++id) Speak(conference_.Find(id), kTones[id - 1], frame_);
      Tick(sink);
    }
    const std::vector<int16_t> heard = LastHeard(sink, 9);
    int audible = 0;
    for (double hz : kTones) audible += ToneShare(heard, hz, 8000) > 0.1 ? 1 : 0;
    return audible;
  }

  int frame_ = 0;
};

TEST_F(ConferenceTopNTest, TheRoomsTopNHoldsWhoeverJoins) {
  conference_.Configure({.max_talkers = 2});
  Join(10);  // the last to join changes nothing
  EXPECT_EQ(TalkersHeard(), 2);
}

TEST_F(ConferenceTopNTest, ARoomWithoutTopNTakesTheWorkersDefault) {
  EXPECT_EQ(TalkersHeard(), 3);
  conference_.Configure({.max_talkers = 1});
  EXPECT_EQ(TalkersHeard(), 1);
  conference_.Configure({});  // back to "the server's default" (3)
  EXPECT_EQ(TalkersHeard(), 3);
}

// Top-1 with two talkers of clearly different levels: the louder one holds
// the place and hears nobody (its mix-minus is empty), everyone else hears
// only it; once it falls silent, its smoothed level decays and the place
// goes to the quieter one within a few frames. So with two talkers of the
// same level the place changes hands at pauses between words: only a clear
// difference in level makes "who is mixed" a promise.
TEST_F(ConferenceTest, TopOneMixesTheLouderTalkerUntilItFallsSilent) {
  ParticipantSpec spec;
  spec.codec = {media::CodecKind::kPcmu, 8000, 20};
  spec.payload_type = 0;
  conference_.Configure({.max_talkers = 1});
  Participant* loud = JoinWith(1, spec);
  Participant* quiet = JoinWith(2, spec);
  Participant* listener = JoinWith(3, spec);
  constexpr double kLoudHz = 500, kQuietHz = 1100;
  RecordingSink sink;
  int frame = 0;
  for (; frame < 60; ++frame) {
    Speak(loud, kLoudHz, frame, 0, 8000);
    Speak(quiet, kQuietHz, frame, 0, 1500);  // 14.5 dB down, still talking
    Speak(listener, 0, frame);
    Tick(sink);
    if (frame < 10) continue;  // both talk spurts have started
    SCOPED_TRACE(frame);
    EXPECT_LT(Rms(LastHeard(sink, 1)), 100.0) << "the mixed talker hears someone";
    for (uint64_t id : {2u, 3u}) {
      const std::vector<int16_t> heard = LastHeard(sink, id);
      EXPECT_GT(ToneShare(heard, kLoudHz, 8000), 0.5) << id;
      EXPECT_LT(ToneShare(heard, kQuietHz, 8000), 0.05) << id;
    }
  }
  // The loud talker stops; the quiet one is mixed soon after.
  int quiet_heard_from = -1;
  for (; frame < 120; ++frame) {
    Speak(loud, 0, frame);
    Speak(quiet, kQuietHz, frame, 0, 1500);
    Speak(listener, 0, frame);
    Tick(sink);
    if (quiet_heard_from < 0 && ToneShare(LastHeard(sink, 1), kQuietHz, 8000) > 0.5) {
      quiet_heard_from = frame;
    }
  }
  EXPECT_GE(quiet_heard_from, 60);
  EXPECT_LT(quiet_heard_from, 60 + 20) << "the freed place was not given to the quiet talker";
  EXPECT_GT(ToneShare(LastHeard(sink, 3), kQuietHz, 8000), 0.5);
  EXPECT_LT(Rms(LastHeard(sink, 2)), 100.0) << "the quiet talker, now mixed, hears someone";
}

TEST_F(ConferenceTest, RoundTripTimeFromReceiverReports) {
  Participant* a = Join(1);
  const int64_t sent_us = 10'000'000;  // when our report (LSR) left
  const auto lsr = static_cast<uint32_t>(NtpFromMicros(sent_us) >> 16);
  auto report = [&](uint32_t last_sr, uint32_t dlsr, int64_t arrival_us) {
    media::ReportBlock block;
    block.last_sr = last_sr;
    block.delay_since_last_sr = dlsr;
    ReceiveReport(a, block, arrival_us);
    return a->stats().rtt_ms;
  };
  // 1 s held by the peer, answered 1.05 s after: 50 ms.
  EXPECT_NEAR(report(lsr, 65536, sent_us + 1'050'000), 50.0, 0.1);
  // A peer rounding DLSR up makes it a hair negative: that is 0, not 65536 s.
  EXPECT_EQ(report(lsr, 65536 + 3, sent_us + 1'000'000), 0.0);
  // An LSR that is not ours (hours off) leaves the last figure alone.
  EXPECT_EQ(report(lsr - 7200 * 65536u, 0, sent_us + 1'000'000), 0.0);
  EXPECT_NEAR(report(lsr, 0, sent_us + 20'000), 20.0, 0.1);
  EXPECT_NEAR(report(lsr + 3600 * 65536u, 0, sent_us + 20'000), 20.0, 0.1);
}

TEST_F(ConferenceTest, LossIsCurrentWithoutWaitingForAReport) {
  Participant* a = Join(1);
  RecordingSink sink;
  for (int frame = 0; frame < 50; ++frame) {
    if (frame % 10 != 3) Speak(a, 440, frame);  // 5 of 50 never arrive
    Tick(sink);
  }
  // No RTCP report went out yet, and the leg's figures are already right
  // (the call record takes them as the leg ends).
  EXPECT_EQ(a->stats().packets_in, 45u);
  EXPECT_EQ(a->stats().lost, 5);
}

TEST_F(ConferenceTest, LargestGapBetweenReceivedPacketsIsKept) {
  Participant* a = Join(1);
  RecordingSink sink;
  EXPECT_EQ(a->stats().max_gap_ms, 0u);
  for (int frame = 0; frame < 30; ++frame) {
    // Frames 10-16 arrive late, all at once (a stalled path): a 140 ms gap.
    if (frame < 10 || frame > 16) Speak(a, 440, frame);
    if (frame == 16) {
      for (int late = 10; late <= 16; ++late) Speak(a, 440, late);
    }
    Tick(sink);
  }
  EXPECT_EQ(a->stats().max_gap_ms, 140u);
}

TEST_F(ConferenceTest, JitterBufferLossesReachTheWorkerTotals) {
  Participant* a = Join(1);
  Join(2);
  RecordingSink sink;
  for (int frame = 0; frame < 40; ++frame) {
    if (frame % 10 != 7) Speak(a, 440, frame);  // frames 7, 17, 27 and 37 never arrive
    Tick(sink);
  }
  ASSERT_NE(conference_.Remove(1, sink), nullptr);
  EXPECT_EQ(sink.jitter_lost, 3u);  // 37 was still ahead of playout when a left
  EXPECT_EQ(sink.jitter_late, 0u);
}

TEST_F(ConferenceTest, MalformedMediaReachesTheWorkerTotalsOnceEach) {
  Participant* a = Join(1);
  Join(2);
  RecordingSink sink;
  uint8_t garbage[] = {0x00, 0x01, 0x02};  // no RTP header
  const media::Datagram datagram{a->rtp_port(), a->spec().remote_rtp, garbage, sizeof garbage};
  for (int frame = 0; frame < 400; ++frame) {  // 8 s: a's RTCP report has gone out
    Speak(a, 440, frame);
    if (frame == 3 || frame == 4) a->OnRtp(datagram, now_us_);
    Tick(sink);
  }
  EXPECT_EQ(sink.malformed, 2u);  // with the report, before a leaves
  a->OnRtp(datagram, now_us_);
  ASSERT_NE(conference_.Remove(1, sink), nullptr);
  EXPECT_EQ(sink.malformed, 3u);  // the rest as it leaves; nothing counted twice
}

TEST_F(ConferenceTest, LeavingWhileTalkingClosesTheSpurt) {
  Participant* a = Join(1);
  Join(2);
  RecordingSink sink;
  for (int frame = 0; frame < 20; ++frame) {
    Speak(a, 440, frame);
    Tick(sink);
  }
  ASSERT_EQ(sink.talking_events.size(), 1u);
  EXPECT_NE(conference_.Remove(1, sink), nullptr);
  ASSERT_EQ(sink.talking_events.size(), 2u);
  EXPECT_EQ(sink.talking_events[1], std::make_pair(uint64_t{1}, false));
}

// Opus legs: what their peers send, pre-encoded per frame so the packets a
// listener receives can be compared byte for byte.
class OpusConferenceTest : public ConferenceTest {
 protected:
  static constexpr int kOpusFrame = 960;
  Participant* JoinOpus(uint64_t id, int talk_gain_db = 0) {
    ParticipantSpec spec;
    spec.codec = {media::CodecKind::kOpus, 48000, 20};
    spec.payload_type = 111;
    spec.talk_gain_db = talk_gain_db;
    Participant* joined = JoinWith(id, spec);
    joined->SetGains(0, talk_gain_db);
    encoders_[id] = media::MakeEncoder(spec.codec);
    return joined;
  }
  // Sends one frame of a tone from the participant's peer; returns its payload.
  // Without `deliver` the frame is encoded (the peer's encoder moves on) but
  // lost on its way.
  std::vector<uint8_t> SpeakOpus(Participant* participant, double hz, int frame_index,
                                 bool deliver = true) {
    std::vector<int16_t> pcm(kOpusFrame);
    for (int i = 0; i < kOpusFrame; ++i) {
      const double t = static_cast<double>(frame_index * kOpusFrame + i) / 48000;
      pcm[static_cast<size_t>(i)] = static_cast<int16_t>(6000 * std::sin(2 * M_PI * hz * t));
    }
    std::vector<uint8_t> packet(media::kMaxDatagramBytes);
    const size_t size = encoders_[participant->id()]->Encode(
        pcm, std::span<uint8_t>(packet.data() + media::kRtpHeaderSize, media::kMaxPayloadBytes));
    media::WriteRtpHeader({.payload_type = 111,
                           .sequence = static_cast<uint16_t>(frame_index),
                           .timestamp = static_cast<uint32_t>(frame_index * kOpusFrame),
                           .ssrc = static_cast<uint32_t>(participant->id())},
                          packet.data());
    media::Datagram datagram{participant->rtp_port(), participant->spec().remote_rtp, packet.data(),
                             static_cast<uint16_t>(media::kRtpHeaderSize + size)};
    if (deliver) participant->OnRtp(datagram, now_us_);
    return {packet.begin() + media::kRtpHeaderSize,
            packet.begin() + static_cast<std::ptrdiff_t>(media::kRtpHeaderSize + size)};
  }
  std::vector<uint8_t> LastPayload(const RecordingSink& sink, uint64_t id) {
    auto rtp = media::ParseRtp(sink.packets.at(static_cast<uint16_t>(40000 + id)).back());
    EXPECT_TRUE(rtp.has_value());
    EXPECT_EQ(rtp->payload_type, 111);
    EXPECT_EQ(rtp->ssrc, 1000 + id);  // the listener's own stream, not the talker's
    return {rtp->payload.begin(), rtp->payload.end()};
  }
  std::map<uint64_t, std::unique_ptr<media::AudioEncoder>> encoders_;
};

TEST_F(OpusConferenceTest, ASingleVoiceIsForwardedNotReencoded) {
  Participant* talker = JoinOpus(1);
  for (uint64_t id = 2; id <= 5; ++id) JoinOpus(id);
  RecordingSink sink;
  // The jitter buffer plays a frame a few ticks after it arrives: keep what
  // was sent and find what is heard among it.
  std::vector<std::vector<uint8_t>> sent;
  for (int frame = 0; frame < 20; ++frame) {
    sink.packets.clear();
    sent.push_back(SpeakOpus(talker, 440, frame));
    Tick(sink);
  }
  EXPECT_EQ(conference_.encodes_last_tick(), 0);
  EXPECT_EQ(conference_.forwards_last_tick(), 4);
  const std::vector<uint8_t> heard = LastPayload(sink, 2);
  for (uint64_t id = 3; id <= 5; ++id) EXPECT_EQ(LastPayload(sink, id), heard);
  EXPECT_NE(std::find(sent.begin(), sent.end(), heard), sent.end());
  EXPECT_EQ(sink.packets.count(40001), 0u);  // the talker hears silence: nothing sent
}

// A voice entering the mix is ramped in: in that tick its listeners get the
// shared encode of the ramp, not its own packet (which starts at full
// level); from the next tick on they get its packets.
TEST_F(OpusConferenceTest, AnEnteringVoiceIsRampedInNotForwarded) {
  Participant* talker = JoinOpus(1);
  for (uint64_t id = 2; id <= 5; ++id) JoinOpus(id);
  RecordingSink sink;
  int frame = 0;
  for (; frame < 20 && sink.talking_events.empty(); ++frame) {
    SpeakOpus(talker, 440, frame);
    Tick(sink);
  }
  ASSERT_EQ(sink.talking_events.size(), 1u) << "the talker never started";
  EXPECT_EQ(conference_.forwards_last_tick(), 0);
  EXPECT_EQ(conference_.encodes_last_tick(), 1);  // the listeners' shared one
  SpeakOpus(talker, 440, frame);
  Tick(sink);
  EXPECT_EQ(conference_.forwards_last_tick(), 4);
  EXPECT_EQ(conference_.encodes_last_tick(), 0);
}

TEST_F(OpusConferenceTest, TwoTalkersGetEachOthersPacketsAndListenersOneEncode) {
  Participant* a = JoinOpus(1);
  Participant* b = JoinOpus(2);
  for (uint64_t id = 3; id <= 6; ++id) JoinOpus(id);
  RecordingSink sink;
  std::vector<std::vector<uint8_t>> from_a, from_b;
  for (int frame = 0; frame < 20; ++frame) {
    from_a.push_back(SpeakOpus(a, 440, frame));
    from_b.push_back(SpeakOpus(b, 1000, frame));
    sink.packets.clear();
    Tick(sink);
  }
  EXPECT_EQ(conference_.encodes_last_tick(), 1);  // the listeners' shared mix
  EXPECT_EQ(conference_.forwards_last_tick(), 2);
  // Each talker got one of the other's packets, as sent.
  const std::vector<uint8_t> heard_by_a = LastPayload(sink, 1);
  const std::vector<uint8_t> heard_by_b = LastPayload(sink, 2);
  EXPECT_NE(std::find(from_b.begin(), from_b.end(), heard_by_a), from_b.end());
  EXPECT_NE(std::find(from_a.begin(), from_a.end(), heard_by_b), from_a.end());
}

TEST_F(OpusConferenceTest, ATalkingGainIsMixedNotForwarded) {
  Participant* talker = JoinOpus(1, /*talk_gain_db=*/-6);
  JoinOpus(2);
  JoinOpus(3);
  RecordingSink sink;
  for (int frame = 0; frame < 20; ++frame) {
    SpeakOpus(talker, 440, frame);
    Tick(sink);
  }
  EXPECT_EQ(conference_.forwards_last_tick(), 0);
  EXPECT_EQ(conference_.encodes_last_tick(), 1);
}

TEST_F(OpusConferenceTest, ALostPacketIsRebuiltFromTheNextPacketsFec) {
  Participant* talker = JoinOpus(1);
  JoinOpus(2);
  // The talker's peer plans for loss, so every packet also carries the
  // previous frame (LBRR).
  encoders_[1]->SetExpectedLossPercent(20);
  constexpr int kLost = 15;
  RecordingSink sink;
  std::vector<std::vector<uint8_t>> sent;
  std::vector<int16_t> played;  // the talker's frame in the tick that played kLost
  for (int frame = 0; frame < 30 && played.empty(); ++frame) {
    sent.push_back(SpeakOpus(talker, 440, frame, /*deliver=*/frame != kLost));
    const ParticipantStats before = talker->stats();
    Tick(sink);
    const ParticipantStats after = talker->stats();
    if (after.recovered != before.recovered || after.concealed != before.concealed) {
      played.assign(talker->frame().begin(), talker->frame().end());
    }
  }
  ASSERT_FALSE(played.empty()) << "the lost frame was never played out";
  EXPECT_EQ(talker->stats().recovered, 1u);
  EXPECT_EQ(talker->stats().concealed, 0u);

  // What a decoder fed the same packets makes of frame kLost: from the FEC
  // in packet kLost + 1, which is not what concealment (PLC) would make.
  const media::CodecFormat opus{media::CodecKind::kOpus, 48000, 20};
  auto with_fec = media::MakeDecoder(opus);
  auto with_plc = media::MakeDecoder(opus);
  std::vector<int16_t> pcm(kOpusFrame);
  for (int frame = 0; frame < kLost; ++frame) {
    ASSERT_EQ(with_fec->Decode(sent[static_cast<size_t>(frame)], pcm), kOpusFrame);
    ASSERT_EQ(with_plc->Decode(sent[static_cast<size_t>(frame)], pcm), kOpusFrame);
  }
  std::vector<int16_t> from_fec(kOpusFrame);
  std::vector<int16_t> from_plc(kOpusFrame);
  ASSERT_EQ(with_fec->DecodeFec(sent[kLost + 1], from_fec), kOpusFrame);
  ASSERT_EQ(with_plc->Conceal(from_plc), kOpusFrame);
  ASSERT_NE(from_fec, from_plc) << "packet " << kLost + 1 << " carries no FEC";
  EXPECT_EQ(played, from_fec);
}

TEST_F(ConferenceTest, ReportedLossSetsTheEncodersFecInSteps) {
  Participant* a = Join(1);
  auto report = [&](uint8_t fraction_lost) {
    media::ReportBlock block;
    block.fraction_lost = fraction_lost;
    ReceiveReport(a, block, now_us_);
    return a->expected_loss_percent();
  };
  EXPECT_EQ(a->expected_loss_percent(), 0);  // no FEC until a receiver reports loss
  EXPECT_EQ(report(0), 0);
  EXPECT_EQ(report(2), 0);    // 0.8%
  EXPECT_EQ(report(3), 1);    // 1.2%
  EXPECT_EQ(report(26), 10);  // 10.2%
  EXPECT_EQ(report(40), 10);  // 15.6%
  EXPECT_EQ(report(128), 20);
  EXPECT_EQ(report(0), 0);
}

// Legs of any codec: each peer has its own encoder and decoder (G.722 and
// G.729 predict from earlier frames), so what a peer hears is decoded from
// everything sent to it, in order.
class MixedCodecConferenceTest : public ConferenceTest {
 protected:
  static constexpr media::CodecFormat kG722{media::CodecKind::kG722, 8000, 20};
  static constexpr media::CodecFormat kG729{media::CodecKind::kG729, 8000, 20};
  static constexpr media::CodecFormat kPcmu{media::CodecKind::kPcmu, 8000, 20};
  static constexpr media::CodecFormat kOpus{media::CodecKind::kOpus, 48000, 20};

  static uint8_t PayloadTypeOf(const media::CodecFormat& format) {
    switch (format.kind) {
      case media::CodecKind::kG722:
        return 9;
      case media::CodecKind::kG729:
        return 18;
      case media::CodecKind::kOpus:
        return 111;
      case media::CodecKind::kPcma:
        return 8;
      case media::CodecKind::kPcmu:
        break;
    }
    return 0;
  }

  Participant* JoinAs(uint64_t id, const media::CodecFormat& format) {
    ParticipantSpec spec;
    spec.codec = format;
    spec.payload_type = PayloadTypeOf(format);
    encoders_[id] = media::MakeEncoder(format);
    return JoinWith(id, spec);
  }

  // One frame of a tone (0 Hz: silence) from the participant's peer, in its codec.
  void SpeakAs(Participant* participant, double hz, int frame_index) {
    const media::CodecFormat& format = participant->spec().codec;
    const int samples = format.samples_per_frame();
    std::vector<int16_t> pcm(static_cast<size_t>(samples));
    for (int i = 0; i < samples; ++i) {
      const double t = static_cast<double>(frame_index * samples + i) / format.pcm_rate();
      pcm[static_cast<size_t>(i)] =
          hz == 0 ? 0 : static_cast<int16_t>(6000 * std::sin(2 * M_PI * hz * t));
    }
    std::vector<uint8_t> packet(media::kMaxDatagramBytes);
    const size_t size = encoders_[participant->id()]->Encode(
        pcm, std::span<uint8_t>(packet.data() + media::kRtpHeaderSize, media::kMaxPayloadBytes));
    media::WriteRtpHeader(
        {.payload_type = participant->spec().payload_type,
         .sequence = static_cast<uint16_t>(frame_index),
         .timestamp = static_cast<uint32_t>(frame_index * format.timestamps_per_frame()),
         .ssrc = static_cast<uint32_t>(participant->id())},
        packet.data());
    media::Datagram datagram{participant->rtp_port(), participant->spec().remote_rtp, packet.data(),
                             static_cast<uint16_t>(media::kRtpHeaderSize + size)};
    participant->OnRtp(datagram, now_us_);
  }

  // The last frame participant `id`'s peer heard, at its codec's PCM rate.
  std::vector<int16_t> HeardAs(const RecordingSink& sink, uint64_t id,
                               const media::CodecFormat& format) {
    auto decoder = media::MakeDecoder(format);
    std::vector<int16_t> pcm(static_cast<size_t>(format.samples_per_frame()));
    for (const std::vector<uint8_t>& packet : sink.packets.at(static_cast<uint16_t>(40000 + id))) {
      auto rtp = media::ParseRtp(packet);
      EXPECT_TRUE(rtp.has_value());
      EXPECT_EQ(decoder->Decode(rtp->payload, pcm), format.samples_per_frame());
    }
    return pcm;
  }

  std::map<uint64_t, std::unique_ptr<media::AudioEncoder>> encoders_;
};

TEST_F(MixedCodecConferenceTest, TheRoomMixesAtTheWidestRateItsCodecsNeed) {
  RecordingSink sink;
  JoinAs(1, kPcmu);
  EXPECT_EQ(conference_.rate(), 8000);
  JoinAs(2, kG729);
  EXPECT_EQ(conference_.rate(), 8000);  // narrowband: no resampling at all
  JoinAs(3, kG722);
  EXPECT_EQ(conference_.rate(), 16000);  // G.722's 16 kHz audio, not its 8 kHz RTP clock
  JoinAs(4, kOpus);
  EXPECT_EQ(conference_.rate(), 48000);
  conference_.Remove(4, sink);
  EXPECT_EQ(conference_.rate(), 16000);
  conference_.Remove(3, sink);
  EXPECT_EQ(conference_.rate(), 8000);
}

// A 6 kHz tone is beyond what an 8 kHz room carries: two G.722 phones hear
// it from each other only when the room mixes at 16 kHz. The G.711 and
// G.729 callers hear the G.722 talker's speech-band tone, and it hears them.
TEST_F(MixedCodecConferenceTest, G722CallersHearWidebandNarrowbandCallersHearThem) {
  Participant* wide = JoinAs(1, kG722);
  Participant* wide_listener = JoinAs(2, kG722);
  Participant* ulaw = JoinAs(3, kPcmu);
  Participant* g729 = JoinAs(4, kG729);
  RecordingSink sink;
  for (int frame = 0; frame < 40; ++frame) {
    SpeakAs(wide, frame < 20 ? 6000 : 700, frame);
    SpeakAs(wide_listener, 0, frame);
    SpeakAs(ulaw, frame < 20 ? 0 : 440, frame);
    SpeakAs(g729, 0, frame);
    Tick(sink);
    if (frame == 19) {
      EXPECT_GT(ToneShare(HeardAs(sink, 2, kG722), 6000, 16000), 0.7);
    }
  }
  const std::vector<int16_t> heard_by_wide = HeardAs(sink, 1, kG722);
  EXPECT_GT(ToneShare(heard_by_wide, 440, 16000), 0.7);
  EXPECT_LT(ToneShare(heard_by_wide, 700, 16000), 0.05);  // not itself
  EXPECT_GT(ToneShare(HeardAs(sink, 4, kG729), 700, 8000), 0.2);
  EXPECT_GT(ToneShare(HeardAs(sink, 4, kG729), 440, 8000), 0.2);
  EXPECT_GT(ToneShare(HeardAs(sink, 3, kPcmu), 700, 8000), 0.7);
  // Every packet arrived in time and whole: nothing concealed, nothing lost.
  for (Participant* p : {wide, wide_listener, ulaw, g729}) {
    EXPECT_EQ(p->stats().concealed, 0u) << p->id();
    EXPECT_EQ(p->stats().malformed, 0u) << p->id();
  }
}

// RFC 3551 §4.5.2: G.722's RTP clock runs at 8000 Hz, so 20 ms of it (320
// samples in 160 octets) advance the timestamp by 160.
TEST_F(MixedCodecConferenceTest, G722TimestampsRunAtTheRtpClockNotTheSampleRate) {
  Participant* talker = JoinAs(1, kPcmu);
  JoinAs(2, kG722);
  RecordingSink sink;
  for (int frame = 0; frame < 5; ++frame) {
    SpeakAs(talker, 500, frame);
    Tick(sink);
  }
  const auto& sent = sink.packets.at(40002);
  ASSERT_GE(sent.size(), 2u);
  for (size_t i = 1; i < sent.size(); ++i) {
    auto previous = media::ParseRtp(sent[i - 1]);
    auto rtp = media::ParseRtp(sent[i]);
    ASSERT_TRUE(previous && rtp);
    EXPECT_EQ(rtp->payload_type, 9);
    EXPECT_EQ(rtp->payload.size(), 160u);
    EXPECT_EQ(rtp->timestamp - previous->timestamp, 160u);
  }
}

// Listeners of one codec share one encode, whatever the codec: a G.711
// talker, three G.722 and three G.729 listeners cost three encodes (the
// talker's mix-minus, one per codec), not seven.
TEST_F(MixedCodecConferenceTest, ListenersShareOneEncodePerCodec) {
  Participant* talker = JoinAs(1, kPcmu);
  for (uint64_t id = 2; id <= 4; ++id) JoinAs(id, kG722);
  for (uint64_t id = 5; id <= 7; ++id) JoinAs(id, kG729);
  RecordingSink sink;
  for (int frame = 0; frame < 20; ++frame) {
    SpeakAs(talker, 700, frame);
    Tick(sink);
  }
  EXPECT_EQ(conference_.encodes_last_tick(), 3);
  for (uint64_t first : {2, 5}) {
    auto a = media::ParseRtp(sink.packets.at(static_cast<uint16_t>(40000 + first)).back());
    for (uint64_t id = first + 1; id <= first + 2; ++id) {
      auto b = media::ParseRtp(sink.packets.at(static_cast<uint16_t>(40000 + id)).back());
      ASSERT_TRUE(a && b);
      EXPECT_TRUE(
          std::equal(a->payload.begin(), a->payload.end(), b->payload.begin(), b->payload.end()));
    }
  }
  EXPECT_GT(ToneShare(HeardAs(sink, 3, kG722), 700, 16000), 0.8);
  EXPECT_GT(ToneShare(HeardAs(sink, 6, kG729), 700, 8000), 0.5);
}

}  // namespace
}  // namespace tutti::mixer
