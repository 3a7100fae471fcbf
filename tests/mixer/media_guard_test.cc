// Issue 13, defects 1 and 2: a leg hears one source (the latched one) and
// sends only to an address that answers. Times are the test's own clock.
#include <array>
#include <cmath>
#include <map>
#include <memory>
#include <vector>

#include "gtest/gtest.h"
#include "mediaplane/codec/g711.h"
#include "mediaplane/rtp/rtcp_packet.h"
#include "mediaplane/rtp/rtp_packet.h"
#include "mediaplane/telephone_event.h"
#include "mixer/conference.h"
#include "mixer/participant.h"

namespace tutti::mixer {
namespace {

constexpr int kFrame = 160;
constexpr uint8_t kEventPt = 101;
// Where the SDP says the caller is, where its packets really come from
// (behind a NAT), and someone else.
constexpr media::Endpoint kSdp{0x0a000001, 4000};       // 10.0.0.1:4000
constexpr media::Endpoint kNat{0xcb007105, 31000};      // 203.0.113.5:31000
constexpr media::Endpoint kStranger{0xc6336401, 5555};  // 198.51.100.1:5555
constexpr media::Endpoint kRebound{0xcb007105, 31002};  // the same NAT, a new mapping

ParticipantSpec PcmuSpec(uint64_t id, media::Endpoint remote, bool rtcp_mux = true) {
  ParticipantSpec spec;
  spec.id = id;
  spec.conference_id = 1;
  spec.codec = {media::CodecKind::kPcmu, 8000, 20};
  spec.payload_type = 0;
  spec.telephone_event_pt = kEventPt;
  spec.remote_rtp = remote;
  spec.rtcp_mux = rtcp_mux;
  spec.remote_rtcp = rtcp_mux ? remote : media::Endpoint{remote.ipv4(), 4001};
  return spec;
}

// One datagram's bytes and the Datagram that points at them.
struct Packet {
  std::array<uint8_t, media::kRtpHeaderSize + kFrame> bytes{};
  media::Datagram datagram;
};

// A 20 ms µ-law frame of a tone (hz 0: silence) from `from`.
Packet Audio(media::Endpoint from, uint32_t ssrc, int frame, double hz) {
  Packet packet;
  std::array<int16_t, kFrame> pcm{};
  for (int i = 0; i < kFrame; ++i) {
    const double t = static_cast<double>(frame * kFrame + i) / 8000;
    pcm[static_cast<size_t>(i)] =
        hz == 0 ? 0 : static_cast<int16_t>(6000 * std::sin(2 * M_PI * hz * t));
  }
  media::WriteRtpHeader({.payload_type = 0,
                         .sequence = static_cast<uint16_t>(frame),
                         .timestamp = static_cast<uint32_t>(frame * kFrame),
                         .ssrc = ssrc},
                        packet.bytes.data());
  media::EncodeUlaw(pcm, packet.bytes.data() + media::kRtpHeaderSize);
  packet.datagram = {0, from, packet.bytes.data(), static_cast<uint16_t>(packet.bytes.size())};
  return packet;
}

// The end packet of an RFC 4733 key press ('*' is event 10).
Packet KeyEnd(media::Endpoint from, uint32_t ssrc, uint16_t sequence, uint32_t timestamp,
              uint8_t event) {
  Packet packet;
  media::WriteRtpHeader(
      {.payload_type = kEventPt, .sequence = sequence, .timestamp = timestamp, .ssrc = ssrc},
      packet.bytes.data());
  media::WriteTelephoneEvent({.event = event, .end = true, .volume = 10, .duration = 800},
                             packet.bytes.data() + media::kRtpHeaderSize);
  packet.datagram = {0, from, packet.bytes.data(), media::kRtpHeaderSize + 4};
  return packet;
}

// A receiver report about `to`'s stream, from `from`.
void Report(Participant& to, media::Endpoint from, int64_t now_us) {
  media::ReportBlock block;
  block.ssrc = to.ssrc();
  block.fraction_lost = 128;  // 50 %: it would turn the encoder's FEC planning on
  std::array<uint8_t, 256> buffer{};
  const size_t size = media::WriteRtcp(4242, nullptr, std::span(&block, 1), "peer", false, buffer);
  media::Datagram datagram{0, from, buffer.data(), static_cast<uint16_t>(size)};
  to.OnRtcp(datagram, now_us);
}

class LatchTest : public ::testing::Test {
 protected:
  std::optional<char> Send(Packet packet) { return leg_.OnRtp(packet.datagram, now_us_); }

  Participant leg_{PcmuSpec(1, kSdp), media::PortPair(), 1001};
  int64_t now_us_ = 1'000'000;
};

TEST_F(LatchTest, TheFirstValidSourceIsLatchedAndStrangersAreDropped) {
  EXPECT_EQ(leg_.rtp_destination(), kSdp);  // nothing heard yet: the SDP's word
  Send(Audio(kNat, 7, 0, 440));             // a NAT: the first valid source wins
  EXPECT_TRUE(leg_.latched());
  EXPECT_EQ(leg_.rtp_destination(), kNat);
  for (int frame = 1; frame <= 50; ++frame) {
    now_us_ += 20'000;
    Send(Audio(kNat, 7, frame, 440));
    Send(Audio(kStranger, 99, frame, 0));
  }
  EXPECT_EQ(leg_.rtp_destination(), kNat) << "a stranger's RTP took the leg's media";
  EXPECT_EQ(leg_.rtcp_destination(), kNat);
  EXPECT_EQ(leg_.stats().packets_in, 51u);
  EXPECT_EQ(leg_.stats().foreign_source, 50u);
  EXPECT_EQ(leg_.stats().lost, 0) << "the stranger's stream was taken for the caller's";
}

TEST_F(LatchTest, OnlyTheLatchedSourceCanPressKeys) {
  Send(Audio(kNat, 7, 0, 440));
  EXPECT_EQ(Send(KeyEnd(kStranger, 99, 500, 8000, 10)), std::nullopt)
      << "a stranger's RFC 4733 '*' was taken as the caller's";
  EXPECT_EQ(leg_.rtp_destination(), kNat);
  EXPECT_EQ(Send(KeyEnd(kNat, 7, 1, 8000, 10)), '*');
  EXPECT_EQ(leg_.stats().foreign_source, 1u);
}

TEST_F(LatchTest, OnlyTheLatchedSourcesRtcpIsReadOrKeepsTheLegAlive) {
  Send(Audio(kNat, 7, 0, 440));
  const int64_t heard = leg_.last_rtp_us();
  now_us_ += 30'000'000;
  Report(leg_, kStranger, now_us_);
  EXPECT_EQ(leg_.last_rtp_us(), heard) << "a stranger's RTCP kept the leg alive";
  EXPECT_EQ(leg_.expected_loss_percent(), 0) << "a stranger's report steered the encoder";
  EXPECT_EQ(leg_.stats().foreign_source, 1u);
  EXPECT_FALSE(leg_.MaySend(now_us_)) << "silent for 30 s, yet tutti sends";

  Report(leg_, kNat, now_us_);  // rtcp-mux: from the latched address itself
  EXPECT_EQ(leg_.last_rtp_us(), now_us_);
  EXPECT_EQ(leg_.expected_loss_percent(), 20);
  EXPECT_TRUE(leg_.MaySend(now_us_));
}

TEST(LatchRtcpTest, WithoutRtcpMuxTheReportComesFromThePortAbove) {
  Participant leg(PcmuSpec(1, kSdp, /*rtcp_mux=*/false), media::PortPair(), 1001);
  int64_t now_us = 1'000'000;
  // Before any RTP: the SDP's RTCP address is the peer (a caller that only
  // listens sends nothing else), and latches the SDP's RTP address.
  Report(leg, {kSdp.ipv4(), 4001}, now_us);
  EXPECT_TRUE(leg.latched());
  EXPECT_EQ(leg.rtp_destination(), kSdp);
  EXPECT_EQ(leg.last_rtp_us(), now_us);

  Participant behind_nat(PcmuSpec(2, kSdp, false), media::PortPair(), 1002);
  Report(behind_nat, {kNat.ipv4(), 31001}, now_us);  // not the SDP's: not yet anyone's
  EXPECT_FALSE(behind_nat.latched());
  Packet first = Audio(kNat, 7, 0, 440);
  behind_nat.OnRtp(first.datagram, now_us);
  EXPECT_EQ(behind_nat.rtcp_destination(), (media::Endpoint{kNat.ipv4(), 31001}));
  now_us += 40'000'000;
  Report(behind_nat, kNat, now_us);  // the RTP port is not the RTCP port
  EXPECT_NE(behind_nat.last_rtp_us(), now_us);
  Report(behind_nat, {kNat.ipv4(), 31001}, now_us);
  EXPECT_EQ(behind_nat.last_rtp_us(), now_us);
  EXPECT_EQ(behind_nat.stats().foreign_source, 2u);
}

TEST_F(LatchTest, ANatRebindingMovesTheLatchOnceTheOldSourceFellQuiet) {
  int frame = 0;
  for (; frame < 25; ++frame, now_us_ += 20'000) Send(Audio(kNat, 7, frame, 440));
  // The old mapping dies; the new one sends at once, same SSRC.
  const int64_t quiet_from = now_us_ - 20'000;
  for (; now_us_ - quiet_from < 2'000'000; ++frame, now_us_ += 20'000) {
    Send(Audio(kRebound, 7, frame, 440));
    ASSERT_EQ(leg_.rtp_destination(), kNat) << "moved while the latched source was still new";
  }
  Send(Audio(kRebound, 7, frame, 440));
  EXPECT_EQ(leg_.rtp_destination(), kRebound) << "NAT rebinding no longer works";
  const uint64_t before = leg_.stats().packets_in;
  Send(Audio(kRebound, 7, frame + 1, 440));
  EXPECT_EQ(leg_.stats().packets_in, before + 1);
}

TEST_F(LatchTest, AStrangerNeverTakesTheLatchOfASourceThatKeepsSending) {
  for (int frame = 0; frame < 500; ++frame, now_us_ += 20'000) {
    Send(Audio(kStranger, 99, frame, 0));                   // it even got there first
    if (frame % 20 == 0) Send(Audio(kNat, 7, frame, 440));  // Opus-DTX-like: 400 ms apart
  }
  EXPECT_EQ(leg_.rtp_destination(), kStranger);  // first come: nothing tells a NAT apart
  // ... until the stranger pauses: the caller that kept sending takes over.
  now_us_ += 2'000'000;
  for (int frame = 0; frame < 10; ++frame, now_us_ += 20'000) Send(Audio(kNat, 7, frame, 440));
  EXPECT_EQ(leg_.rtp_destination(), kNat);
  for (int frame = 0; frame < 500; ++frame, now_us_ += 20'000) {
    Send(Audio(kStranger, 99, frame, 0));
    if (frame % 20 == 0) Send(Audio(kNat, 7, 10 + frame, 440));
  }
  EXPECT_EQ(leg_.rtp_destination(), kNat);
}

TEST_F(LatchTest, TheSdpAddressTakesTheLatchBackAtOnce) {
  Send(Audio(kStranger, 99, 0, 0));  // raced the caller to the port
  EXPECT_EQ(leg_.rtp_destination(), kStranger);
  Send(Audio(kSdp, 7, 0, 440));
  EXPECT_EQ(leg_.rtp_destination(), kSdp);
  Send(Audio(kStranger, 99, 1, 0));
  EXPECT_EQ(leg_.rtp_destination(), kSdp);
}

TEST_F(LatchTest, ANewStreamFromTheLatchedSourceIsTaken) {
  Send(Audio(kNat, 7, 0, 440));
  Send(Audio(kNat, 8, 1000, 440));  // the phone restarted its stream
  EXPECT_EQ(leg_.stats().packets_in, 2u);
  EXPECT_EQ(leg_.stats().foreign_source, 0u);
}

TEST_F(LatchTest, ComfortNoiseFromTheLatchedSourceIsNotSilence) {
  Send(Audio(kNat, 7, 0, 440));
  now_us_ += 1'900'000;
  Packet noise = Audio(kNat, 7, 1, 0);
  noise.bytes[1] = 13;  // CN: not the agreed codec, but the peer is there
  Send(noise);
  now_us_ += 1'000'000;
  for (int frame = 0; frame < 10; ++frame, now_us_ += 20'000) Send(Audio(kStranger, 9, frame, 0));
  EXPECT_EQ(leg_.rtp_destination(), kNat);
}

// What a tick sends, by destination.
class RecordingSink : public TickSink {
 public:
  uint8_t* NextBuffer() override { return buffer_.data(); }
  void Commit(uint16_t, const media::Endpoint& remote, uint16_t size) override {
    ++sent[remote.ipv4()];
    if (media::LooksLikeRtcp(std::span<const uint8_t>(buffer_.data(), size))) {
      ++rtcp[remote.ipv4()];
    }
    last_size = size;
    last_remote = remote;
  }
  void TalkingChanged(uint64_t, bool) override {}
  std::map<uint32_t, int> sent;  // by address, RTP and RTCP
  std::map<uint32_t, int> rtcp;
  uint16_t last_size = 0;
  media::Endpoint last_remote;

 private:
  std::array<uint8_t, media::kMaxDatagramBytes> buffer_{};
};

class SendGuardTest : public ::testing::Test {
 protected:
  Participant* Join(uint64_t id, media::Endpoint remote) {
    auto leg = std::make_unique<Participant>(PcmuSpec(id, remote), media::PortPair(),
                                             static_cast<uint32_t>(1000 + id));
    Participant* raw = leg.get();
    conference_.Add(std::move(leg));
    return raw;
  }
  // Ticks for `us`, the talker (if any) sending a tone every frame.
  void Run(int64_t us, Participant* talker = nullptr, media::Endpoint from = kNat) {
    for (const int64_t end = now_us_ + us; now_us_ < end; now_us_ += 20'000) {
      if (talker != nullptr) {
        Packet packet = Audio(from, 7, frame_++, 440);
        talker->OnRtp(packet.datagram, now_us_);
      }
      conference_.Tick(now_us_, sink_);
      withheld_ += conference_.withheld_last_tick();
    }
  }

  Conference conference_{1, ConferenceOptions{}};
  RecordingSink sink_;
  int64_t now_us_ = 1'000'000;
  int frame_ = 0;
  int withheld_ = 0;
};

constexpr media::Endpoint kVictim{0xc0000201, 9000};  // 192.0.2.1: never sends

TEST_F(SendGuardTest, NothingGoesToAnAddressThatNeverAnswers) {
  Participant* talker = Join(1, kSdp);
  Participant* victim = Join(2, kVictim);
  Run(5'000'000, talker);
  const int sent = sink_.sent[kVictim.ipv4()];
  EXPECT_GE(sent, 240);  // the first 5 s: a caller gets media before its own arrives
  Run(5'000'000, talker);
  EXPECT_EQ(sink_.sent[kVictim.ipv4()], sent) << "tutti kept sending to a silent SDP address";
  EXPECT_EQ(victim->stats().withheld, 251u);  // 250 frames and a receiver report
  EXPECT_EQ(withheld_, 251);
  EXPECT_EQ(victim->stats().packets_out, 250u);
}

TEST_F(SendGuardTest, SendingPausesWhileTheLatchedPeerIsSilentAndResumes) {
  Participant* talker = Join(1, kSdp);
  Participant* listener = Join(2, kSdp);  // its packets come from behind a NAT
  Packet hello = Audio(kNat, 22, 0, 0);
  listener->OnRtp(hello.datagram, now_us_);
  Run(10'000'000, talker, kSdp);  // the listener sends nothing more: 10 s of consent
  const int sent = sink_.sent[kNat.ipv4()];
  EXPECT_GE(sent, 495);
  Run(2'000'000, talker, kSdp);
  EXPECT_LE(sink_.sent[kNat.ipv4()], sent + 1) << "still sending to a peer silent for 12 s";
  EXPECT_GT(listener->stats().withheld, 95u);
  Report(*listener, kNat, now_us_);  // its receiver report: it is there after all
  Run(1'000'000, talker, kSdp);
  EXPECT_GE(sink_.sent[kNat.ipv4()], sent + 45);
}

TEST_F(SendGuardTest, AReInviteThatMovesTheAddressDoesNotRenewTheAllowance) {
  Participant* talker = Join(1, kSdp);
  Participant* victim = Join(2, kVictim);
  Run(3'000'000, talker, kSdp);
  ParticipantSpec moved = PcmuSpec(2, {kVictim.ipv4() + 1, 9000});
  victim->Update(moved);
  EXPECT_EQ(victim->rtp_destination(), moved.remote_rtp);
  Run(5'000'000, talker, kSdp);
  const int sent = sink_.sent[kVictim.ipv4()] + sink_.sent[kVictim.ipv4() + 1];
  EXPECT_LE(sent, 252) << "a moving re-INVITE renewed the 5 s of unverified sending";
  EXPECT_GE(sent, 248);
}

TEST_F(SendGuardTest, AMoveToAnotherWorkerDoesNotRenewTheAllowanceAndZeroTurnsItOff) {
  Participant* talker = Join(1, kSdp);
  Participant* victim = Join(2, kVictim);
  Run(3'000'000, talker, kSdp);
  victim->SetSendLimits(5'000'000, 10'000'000);  // what a worker does as it takes the leg
  Run(5'000'000, talker, kSdp);
  EXPECT_LE(sink_.sent[kVictim.ipv4()], 252);
  victim->SetSendLimits(0, 0);  // [media] unverified_send_s = 0: no limit
  const int sent = sink_.sent[kVictim.ipv4()];
  Run(1'000'000, talker, kSdp);
  EXPECT_GE(sink_.sent[kVictim.ipv4()], sent + 50);
}

TEST_F(SendGuardTest, NoRtcpGoesToAnAddressThatNeverAnswers) {
  Join(1, kVictim);
  Run(20'000'000);
  EXPECT_EQ(sink_.rtcp[kVictim.ipv4()], 1) << "one report in the first 5 s, none after";
}

TEST_F(SendGuardTest, AStrangersSilenceDoesNotMuteATalker) {
  Participant* talker = Join(1, kSdp);
  Join(2, kVictim);
  Packet hello = Audio(kVictim, 5, 0, 0);
  conference_.Find(2)->OnRtp(hello.datagram, now_us_);  // the listener is there
  int loud_frames = 0;
  for (int frame = 0; frame < 100; ++frame, now_us_ += 20'000) {
    Packet tone = Audio(kSdp, 7, frame, 440);
    talker->OnRtp(tone.datagram, now_us_);
    Packet silence = Audio(kStranger, 99, frame + 3, 0);  // sequence a little ahead
    talker->OnRtp(silence.datagram, now_us_);
    conference_.Tick(now_us_, sink_);
    if (talker->talker().talking()) ++loud_frames;
  }
  EXPECT_GT(loud_frames, 80) << "a stranger's silence muted the talker";
  EXPECT_EQ(talker->stats().foreign_source, 100u);
}

}  // namespace
}  // namespace tutti::mixer
