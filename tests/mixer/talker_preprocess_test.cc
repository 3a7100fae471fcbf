// Noise suppression and AGC on the mixed voices (mixer/talker_preprocess.h),
// through a conference: what a listener hears, measured on fixed signals.
#include "mixer/talker_preprocess.h"

#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "gtest/gtest.h"
#include "mediaplane/codec/audio_codec.h"
#include "mediaplane/codec/g711.h"
#include "mediaplane/rtp/rtp_packet.h"
#include "mixer/conference.h"

namespace tutti::mixer {
namespace {

constexpr int kFrame = 160;  // 20 ms at 8 kHz

// Keeps the payloads sent to each peer (by its port).
class PayloadSink : public TickSink {
 public:
  uint8_t* NextBuffer() override { return buffer_.data(); }
  void Commit(uint16_t, const media::Endpoint& remote, uint16_t size) override {
    packets[remote.port].emplace_back(buffer_.begin(), buffer_.begin() + size);
  }
  void TalkingChanged(uint64_t, bool) override {}
  std::map<uint16_t, std::vector<std::vector<uint8_t>>> packets;

 private:
  std::array<uint8_t, media::kMaxDatagramBytes> buffer_{};
};

// A vowel-ish harmonic stack (150 Hz and 4 harmonics) at `amplitude`.
double Vowel(double t, double amplitude) {
  double x = 0;
  for (int h = 1; h <= 5; ++h) x += std::sin(2 * M_PI * 150 * h * t) / h;
  return amplitude * x;
}

// Fixed white noise of +-`amplitude` (a linear congruential generator, so
// every run hears the same).
class Noise {
 public:
  explicit Noise(double amplitude) : amplitude_(amplitude) {}
  double Next() {
    state_ = state_ * 1664525u + 1013904223u;
    return amplitude_ * (static_cast<double>(state_ >> 8) / (1 << 24) * 2 - 1);
  }

 private:
  double amplitude_;
  uint32_t state_ = 12345;
};

double Power(std::span<const int16_t> pcm) {
  double sum = 0;
  for (int16_t x : pcm) sum += static_cast<double>(x) * x;
  return pcm.empty() ? 0 : sum / static_cast<double>(pcm.size());
}

double Db(double power_ratio) { return 10 * std::log10(power_ratio); }

class TalkerPreprocessTest : public ::testing::Test {
 protected:
  Participant* Join(uint64_t id, bool opus = false) {
    ParticipantSpec spec;
    spec.id = id;
    spec.conference_id = 1;
    spec.codec = opus ? media::CodecFormat{media::CodecKind::kOpus, 48000, 20}
                      : media::CodecFormat{media::CodecKind::kPcmu, 8000, 20};
    spec.payload_type = opus ? 111 : 0;
    spec.remote_rtp = {0x7f000001, static_cast<uint16_t>(40000 + id)};
    spec.remote_rtcp = spec.remote_rtp;
    auto participant =
        std::make_unique<Participant>(spec, media::PortPair(), static_cast<uint32_t>(1000 + id));
    participant->SetSendLimits(0, 0);
    Participant* raw = participant.get();
    conference_.Add(std::move(participant));
    return raw;
  }

  // One 20 ms µ-law frame of `pcm` from a participant's peer.
  void Send(Participant* participant, std::span<const int16_t> pcm) {
    const auto sequence = static_cast<uint16_t>(sequence_[participant->id()]++);
    std::array<uint8_t, media::kRtpHeaderSize + kFrame> packet{};
    media::WriteRtpHeader({.payload_type = 0,
                           .sequence = sequence,
                           .timestamp = static_cast<uint32_t>(sequence * kFrame),
                           .ssrc = static_cast<uint32_t>(participant->id())},
                          packet.data());
    media::EncodeUlaw(pcm, packet.data() + media::kRtpHeaderSize);
    const media::Datagram datagram{participant->rtp_port(), participant->spec().remote_rtp,
                                   packet.data(), static_cast<uint16_t>(packet.size())};
    participant->OnRtp(datagram, now_us_);
  }

  // One 20 ms Opus frame of `pcm` (48 kHz) from a participant's peer.
  void SendOpus(Participant* participant, std::span<const int16_t> pcm) {
    auto& encoder = encoders_[participant->id()];
    if (!encoder) encoder = media::MakeEncoder(participant->spec().codec);
    std::array<uint8_t, media::kRtpHeaderSize + media::kMaxPayloadBytes> packet{};
    const size_t size = encoder->Encode(
        pcm, std::span<uint8_t>(packet.data() + media::kRtpHeaderSize, media::kMaxPayloadBytes));
    const auto sequence = static_cast<uint16_t>(sequence_[participant->id()]++);
    media::WriteRtpHeader({.payload_type = 111,
                           .sequence = sequence,
                           .timestamp = static_cast<uint32_t>(sequence * 960),
                           .ssrc = static_cast<uint32_t>(participant->id())},
                          packet.data());
    const media::Datagram datagram{participant->rtp_port(), participant->spec().remote_rtp,
                                   packet.data(),
                                   static_cast<uint16_t>(media::kRtpHeaderSize + size)};
    participant->OnRtp(datagram, now_us_);
  }

  void SendSilence(Participant* participant) {
    const std::array<int16_t, kFrame> silence{};
    Send(participant, silence);
  }

  void Tick() {
    conference_.Tick(now_us_, sink_);
    now_us_ += 20000;
  }

  // Everything participant `id`'s peer was sent, decoded, one frame each.
  std::vector<std::vector<int16_t>> Heard(uint64_t id) const {
    std::vector<std::vector<int16_t>> frames;
    for (const auto& packet : sink_.packets.at(static_cast<uint16_t>(40000 + id))) {
      const int type = packet.size() > 1 ? packet[1] : 0;
      if (type >= 200 && type <= 204) continue;  // RTCP (muxed on the same port)
      auto rtp = media::ParseRtp(packet);
      EXPECT_TRUE(rtp.has_value());
      std::vector<int16_t> pcm(rtp->payload.size());
      media::DecodeUlaw(rtp->payload, pcm.data());
      frames.push_back(std::move(pcm));
    }
    return frames;
  }

  // Talker 1 says a vowel for 400 ms, then pauses for 400 ms, over a steady
  // noise floor (loud enough that it stays a talker in the pauses); 2 and 3
  // listen. The ratio (dB) of what listener 2 hears in the middle of the
  // vowels to the middle of the pauses, over the last 6 s of 10.
  double SpeechToNoiseHeard() {
    Participant* talker = Join(1);
    Participant* listener = Join(2);
    Participant* other = Join(3);
    Noise noise(900);  // ~ -36 dBov RMS
    constexpr int kFrames = 500;
    constexpr int kHalfPeriod = 20;
    for (int f = 0; f < kFrames; ++f) {
      const bool vowel = (f / kHalfPeriod) % 2 == 0;
      std::array<int16_t, kFrame> pcm{};
      for (int i = 0; i < kFrame; ++i) {
        const double t = static_cast<double>(f * kFrame + i) / 8000;
        pcm[static_cast<size_t>(i)] =
            static_cast<int16_t>((vowel ? Vowel(t, 5000) : 0) + noise.Next());
      }
      Send(talker, pcm);
      SendSilence(listener);
      SendSilence(other);
      Tick();
    }
    const std::vector<std::vector<int16_t>> heard = Heard(2);
    EXPECT_EQ(heard.size(), static_cast<size_t>(kFrames));
    double speech = 0;
    double pause = 0;
    for (int f = 200; f < kFrames; ++f) {
      // The middle of each half period: the jitter buffer and the
      // preprocessor's window delay what is heard by a frame or two.
      const int phase = f % kHalfPeriod;
      if (phase < 5 || phase >= kHalfPeriod - 5) continue;
      const double power = Power(heard[static_cast<size_t>(f)]);
      ((f / kHalfPeriod) % 2 == 0 ? speech : pause) += power;
    }
    return Db(speech / pause);
  }

  // A quiet talker (a vowel with a syllable rhythm, ~ -35 dBov RMS) for
  // 10 s, and two listeners: how much louder (dB) listener 2 hears it in the
  // last 2 s than it was sent.
  double QuietTalkerGainHeard() {
    Participant* talker = Join(1);
    Participant* listener = Join(2);
    Participant* other = Join(3);
    Noise noise(20);
    constexpr int kFrames = 500;
    double sent = 0;
    for (int f = 0; f < kFrames; ++f) {
      std::array<int16_t, kFrame> pcm{};
      for (int i = 0; i < kFrame; ++i) {
        const double t = static_cast<double>(f * kFrame + i) / 8000;
        const double syllables = 0.5 + 0.5 * std::sin(2 * M_PI * 4 * t);
        pcm[static_cast<size_t>(i)] =
            static_cast<int16_t>(Vowel(t, 1100) * syllables + noise.Next());
      }
      if (f >= kFrames - 100) sent += Power(pcm);
      Send(talker, pcm);
      SendSilence(listener);
      SendSilence(other);
      Tick();
    }
    const std::vector<std::vector<int16_t>> heard = Heard(2);
    double got = 0;
    for (size_t f = heard.size() - 100; f < heard.size(); ++f) got += Power(heard[f]);
    return Db(got / sent);
  }

  Conference conference_{1, ConferenceOptions{}};
  PayloadSink sink_;
  std::map<uint64_t, int> sequence_;
  std::map<uint64_t, std::unique_ptr<media::AudioEncoder>> encoders_;
  int64_t now_us_ = 1'000'000;
};

ConferenceSettings With(bool noise_suppression, bool agc) {
  ConferenceSettings settings;
  settings.preprocess.noise_suppression = noise_suppression;
  settings.preprocess.agc = agc;
  return settings;
}

TEST_F(TalkerPreprocessTest, NoiseSuppressionLowersTheNoiseFloorUnderSpeech) {
  const double plain = SpeechToNoiseHeard();
  conference_ = Conference(1, ConferenceOptions{});
  sink_ = {};
  sequence_.clear();
  conference_.Configure(With(true, false));
  const double suppressed = SpeechToNoiseHeard();
  // The vowel is ~19 dB over the noise as sent; 30 dB of suppression takes
  // the floor well down, the vowel much less.
  EXPECT_LT(plain, 20);
  EXPECT_GT(suppressed, plain + 8) << "plain " << plain << " dB, suppressed " << suppressed;
}

TEST_F(TalkerPreprocessTest, AgcRaisesAQuietTalkerTowardTheTarget) {
  const double plain = QuietTalkerGainHeard();
  EXPECT_NEAR(plain, 0, 1);  // forwarded as sent
  conference_ = Conference(1, ConferenceOptions{});
  sink_ = {};
  sequence_.clear();
  conference_.Configure(With(false, true));
  const double raised = QuietTalkerGainHeard();
  EXPECT_GT(raised, 6) << "heard " << raised << " dB over what was sent";
  EXPECT_LE(raised, TalkerPreprocess::kAgcMaxGainDb + 1);
}

// Only the voices in the mix go through their preprocessor: one talker of
// five costs one run a tick (and one more as it fades out), the silent four
// nothing.
TEST_F(TalkerPreprocessTest, OnlyTheMixedVoicesAreProcessed) {
  conference_.Configure(With(true, true));
  std::vector<Participant*> people;
  for (uint64_t id = 1; id <= 5; ++id) people.push_back(Join(id));
  EXPECT_EQ(conference_.preprocess().states_created(), 5u);
  for (int f = 0; f < 20; ++f) {  // everyone silent: nobody mixed, nothing run
    for (Participant* p : people) SendSilence(p);
    Tick();
  }
  EXPECT_EQ(conference_.preprocess().frames_processed(), 0u);
  constexpr int kTalking = 50;
  for (int f = 0; f < kTalking; ++f) {
    std::array<int16_t, kFrame> pcm{};
    for (int i = 0; i < kFrame; ++i) {
      pcm[static_cast<size_t>(i)] =
          static_cast<int16_t>(Vowel(static_cast<double>(f * kFrame + i) / 8000, 5000));
    }
    Send(people[0], pcm);
    for (size_t p = 1; p < people.size(); ++p) SendSilence(people[p]);
    Tick();
  }
  const uint64_t processed = conference_.preprocess().frames_processed();
  // It starts talking after a few frames of level
  // (TalkerOptions::start_ticks, and the jitter buffer's depth).
  EXPECT_GE(processed, static_cast<uint64_t>(kTalking - 8));
  EXPECT_LE(processed, static_cast<uint64_t>(kTalking));
}

// On and off at any time; while on, nobody gets a forwarded packet (it would
// be the talker's unprocessed voice). Opus: only Opus packets are forwarded.
TEST_F(TalkerPreprocessTest, SettingChangesTakeEffectAtOnce) {
  std::vector<Participant*> people;
  for (uint64_t id = 1; id <= 3; ++id) people.push_back(Join(id, /*opus=*/true));
  int frame = 0;
  auto talk = [&](int frames) {
    int forwards = 0;
    for (int f = 0; f < frames; ++f, ++frame) {
      std::array<int16_t, 960> pcm{};
      for (int i = 0; i < 960; ++i) {
        pcm[static_cast<size_t>(i)] =
            static_cast<int16_t>(Vowel(static_cast<double>(frame * 960 + i) / 48000, 5000));
      }
      SendOpus(people[0], pcm);  // the listeners are in DTX: nothing from them
      Tick();
      forwards += conference_.forwards_last_tick();
    }
    return forwards;
  };
  EXPECT_GT(talk(20), 0);  // off: the lone talker's packet goes to both listeners
  EXPECT_EQ(conference_.preprocess().states_created(), 0u);
  EXPECT_FALSE(conference_.preprocess().has_state(0));

  conference_.Configure(With(true, false));
  EXPECT_EQ(conference_.preprocess().states_created(), 3u);
  const uint64_t before = conference_.preprocess().frames_processed();
  EXPECT_EQ(talk(20), 0);
  EXPECT_EQ(conference_.preprocess().frames_processed(), before + 20);

  ConferenceSettings stronger = With(true, true);
  stronger.preprocess.noise_suppression_db = 40;
  conference_.Configure(stronger);
  EXPECT_EQ(conference_.preprocess().states_created(), 6u);  // new states, new settings
  conference_.Configure(stronger);
  EXPECT_EQ(conference_.preprocess().states_created(), 6u);  // the same again: nothing

  conference_.Configure(With(false, false));
  EXPECT_FALSE(conference_.preprocess().has_state(0));
  const uint64_t off = conference_.preprocess().frames_processed();
  EXPECT_GT(talk(20), 0);
  EXPECT_EQ(conference_.preprocess().frames_processed(), off);
}

// A codec change gives the participant a fresh state; one that moves the
// room to 48 kHz gives every state 48 kHz frames, and they are processed.
TEST_F(TalkerPreprocessTest, ACodecChangeRemakesTheStates) {
  conference_.Configure(With(true, true));
  Participant* talker = Join(1);
  Participant* listener = Join(2);
  EXPECT_EQ(conference_.preprocess().states_created(), 2u);

  ParticipantSpec alaw = listener->spec();
  alaw.codec = {media::CodecKind::kPcma, 8000, 20};
  alaw.payload_type = 8;
  ASSERT_TRUE(listener->Update(alaw));
  conference_.CodecChanged(*listener);
  EXPECT_EQ(conference_.preprocess().states_created(), 3u);

  ParticipantSpec opus = listener->spec();
  opus.codec = {media::CodecKind::kOpus, 48000, 20};
  opus.payload_type = 111;
  ASSERT_TRUE(listener->Update(opus));
  conference_.CodecChanged(*listener);
  ASSERT_EQ(conference_.rate(), 48000);
  EXPECT_EQ(conference_.preprocess().states_created(), 6u);  // both at 48 kHz, and the changed one

  for (int f = 0; f < 20; ++f) {
    std::array<int16_t, kFrame> pcm{};
    for (int i = 0; i < kFrame; ++i) {
      pcm[static_cast<size_t>(i)] =
          static_cast<int16_t>(Vowel(static_cast<double>(f * kFrame + i) / 8000, 5000));
    }
    Send(talker, pcm);
    Tick();
  }
  EXPECT_GE(conference_.preprocess().frames_processed(), 12u);
  EXPECT_EQ(conference_.preprocess().Processed(0).size(), 960u);
}

}  // namespace
}  // namespace tutti::mixer
