// MediaLeg over fake workers: the commands a call's participant sends, for
// which conference, with what.
#include "signaling/call/media_leg.h"

#include <memory>

#include "gtest/gtest.h"
#include "tests/signaling/call/call_fakes.h"

namespace tutti {
namespace {

constexpr uint64_t kId = 42;
constexpr uint32_t kLobby = 0x80000000u;
constexpr uint32_t kRoom = 7;
constexpr uint32_t kCaller = (192u << 24) | (2u << 8) | 10u;  // 192.0.2.10

sdp::NegotiatedAudio Audio(sdp::Direction direction = sdp::Direction::kSendRecv) {
  sdp::NegotiatedAudio audio;
  audio.codec = sdp::AudioCodec::kPcma;
  audio.payload_type = 8;
  audio.clock_rate = 8000;
  audio.ptime_ms = 20;
  audio.telephone_event_pt = 101;
  audio.direction = direction;
  audio.remote_address = "192.0.2.10";
  audio.remote_rtp_port = 40000;
  audio.remote_rtcp_port = 40001;
  return audio;
}

class MediaLegTest : public ::testing::Test {
 protected:
  MediaLeg NewLeg(uint32_t conference_id) {
    MediaLeg leg(&workers_, kId, conference_id, nullptr, "call-1");
    media::PortPair ports = *ports_.Allocate();
    rtp_port_ = ports.rtp_port();
    leg.set_ports(std::move(ports));
    return leg;
  }

  fakes::FakeWorkers workers_;
  uint16_t rtp_port_ = 0;  // the last leg's
  media::PortAllocator ports_{"198.51.100.1", 40000, 40007,
                              media::PortAllocator::Mode::kNumbersOnly};
};

TEST_F(MediaLegTest, JoinAddsTheParticipantToItsConferenceWithTheNegotiatedCodec) {
  MediaLeg leg = NewLeg(kRoom);
  ASSERT_TRUE(leg.Join(Audio(), /*muted=*/true, /*listen_db=*/-3, /*talk_db=*/6));
  EXPECT_TRUE(leg.joined());
  ASSERT_EQ(workers_.sent.size(), 1u);
  EXPECT_EQ(workers_.sent[0].conference_id, kRoom);
  const auto added = workers_.SentOf<mixer::AddParticipant>();
  ASSERT_EQ(added.size(), 1u);
  const mixer::Participant& participant = *added[0]->participant;
  EXPECT_EQ(participant.id(), kId);
  EXPECT_EQ(participant.rtp_port(), rtp_port_);  // the ports it was given
  const mixer::ParticipantSpec& spec = participant.spec();
  EXPECT_EQ(spec.conference_id, kRoom);
  EXPECT_EQ(spec.codec.kind, media::CodecKind::kPcma);
  EXPECT_EQ(spec.codec.clock_rate, 8000);
  EXPECT_EQ(spec.payload_type, 8);
  EXPECT_EQ(spec.telephone_event_pt, 101);
  EXPECT_EQ(spec.remote_rtp, (media::Endpoint{kCaller, 40000}));
  EXPECT_EQ(spec.remote_rtcp, (media::Endpoint{kCaller, 40001}));
  EXPECT_TRUE(spec.send);
  EXPECT_TRUE(spec.receive);
  EXPECT_TRUE(spec.muted);
  EXPECT_EQ(spec.listen_gain_db, -3);
  EXPECT_EQ(spec.talk_gain_db, 6);
  // Once on a worker, it joins only once.
  EXPECT_FALSE(leg.Join(Audio(), false, 0, 0));
  EXPECT_EQ(workers_.sent.size(), 1u);
}

// IPv6 media (issue 15: an IPv6 caller used to be answered into silence).
TEST_F(MediaLegTest, AnIpv6CallerJoinsWithItsIpv6Addresses) {
  sdp::NegotiatedAudio v6 = Audio();
  v6.remote_address = "fd00::2";
  MediaLeg leg = NewLeg(kRoom);
  ASSERT_TRUE(leg.Join(v6, false, 0, 0));
  const auto added = workers_.SentOf<mixer::AddParticipant>();
  ASSERT_EQ(added.size(), 1u);
  const mixer::ParticipantSpec& spec = added[0]->participant->spec();
  EXPECT_EQ(spec.remote_rtp, *media::ParseEndpoint("fd00::2", 40000));
  EXPECT_EQ(spec.remote_rtcp, *media::ParseEndpoint("fd00::2", 40001));
  EXPECT_FALSE(spec.remote_rtp.is_ipv4());
  EXPECT_TRUE(spec.send);
}

TEST_F(MediaLegTest, NoAudioWithoutAnIpAddressAWorkerOrRoomInItsRing) {
  sdp::NegotiatedAudio named = Audio();
  named.remote_address = "media.example.com";
  MediaLeg leg = NewLeg(kRoom);
  EXPECT_FALSE(leg.Join(named, false, 0, 0));
  workers_.full = true;
  EXPECT_FALSE(leg.Join(Audio(), false, 0, 0));
  EXPECT_FALSE(leg.joined());
  EXPECT_TRUE(workers_.sent.empty());

  MediaLeg signaling_only;
  EXPECT_FALSE(signaling_only.Join(Audio(), false, 0, 0));
  EXPECT_FALSE(signaling_only.Play(nullptr));
}

// c=0.0.0.0 (RFC 2543 hold) in a re-INVITE, in an IPv4 or an IPv6 call.
TEST_F(MediaLegTest, AnUnspecifiedAddressIsHeldNotSentTo) {
  MediaLeg leg = NewLeg(kRoom);
  ASSERT_TRUE(leg.Join(Audio(), false, 0, 0));
  for (const char* hold : {"0.0.0.0", "::"}) {
    sdp::NegotiatedAudio held = Audio();
    held.remote_address = hold;
    leg.Update(held);
  }
  const auto updates = workers_.SentOf<mixer::UpdateParticipant>();
  ASSERT_EQ(updates.size(), 2u);
  EXPECT_FALSE(updates[0]->spec.send);
  EXPECT_FALSE(updates[1]->spec.send);
  EXPECT_TRUE(updates[0]->spec.receive);
}

TEST_F(MediaLegTest, HoldAndResumeUpdateTheParticipant) {
  MediaLeg leg = NewLeg(kRoom);
  leg.Update(Audio());  // not joined yet: nothing to update
  EXPECT_TRUE(workers_.sent.empty());
  ASSERT_TRUE(leg.Join(Audio(), false, 0, 0));
  leg.Update(Audio(sdp::Direction::kRecvOnly));  // the caller holds: we stop sending
  leg.Update(Audio(sdp::Direction::kSendRecv));
  const auto updates = workers_.SentOf<mixer::UpdateParticipant>();
  ASSERT_EQ(updates.size(), 2u);
  EXPECT_EQ(updates[0]->spec.id, kId);
  EXPECT_EQ(updates[0]->spec.conference_id, kRoom);
  EXPECT_FALSE(updates[0]->spec.send);
  EXPECT_TRUE(updates[0]->spec.receive);
  EXPECT_TRUE(updates[1]->spec.send);
  EXPECT_EQ(workers_.sent.back().conference_id, kRoom);
}

TEST_F(MediaLegTest, MuteGainsAndPromptsNameTheParticipant) {
  MediaLeg leg = NewLeg(kRoom);
  leg.SetMuted(true);  // not joined: nothing sent
  EXPECT_TRUE(workers_.sent.empty());
  ASSERT_TRUE(leg.Join(Audio(), false, 0, 0));
  leg.SetMuted(true);
  leg.SetGains(-6, 3);
  const media::Prompt prompt{};
  EXPECT_TRUE(leg.Play(&prompt, /*loop=*/true));
  ASSERT_EQ(workers_.SentOf<mixer::MuteParticipant>().size(), 1u);
  const mixer::MuteParticipant& mute = *workers_.SentOf<mixer::MuteParticipant>()[0];
  EXPECT_EQ(mute.key.conference_id, kRoom);
  EXPECT_EQ(mute.key.participant_id, kId);
  EXPECT_TRUE(mute.muted);
  const mixer::SetParticipantGains& gains = *workers_.SentOf<mixer::SetParticipantGains>()[0];
  EXPECT_EQ(gains.listen_gain_db, -6);
  EXPECT_EQ(gains.talk_gain_db, 3);
  const mixer::PlayPrompt& play = *workers_.SentOf<mixer::PlayPrompt>()[0];
  EXPECT_EQ(play.key.participant_id, kId);
  EXPECT_EQ(play.prompt, &prompt);
  EXPECT_TRUE(play.loop);
}

TEST_F(MediaLegTest, MovingFromTheLobbyDetachesThenAddsInTheRoom) {
  MediaLeg leg = NewLeg(kLobby);
  ASSERT_TRUE(leg.Join(Audio(), false, 0, 0));
  ASSERT_TRUE(leg.MoveTo(kRoom));
  EXPECT_EQ(leg.conference_id(), kRoom);
  const auto detach = workers_.SentOf<mixer::DetachParticipant>();
  ASSERT_EQ(detach.size(), 1u);
  EXPECT_EQ(workers_.sent[1].conference_id, kLobby);  // the lobby's worker lets it go
  EXPECT_EQ(detach[0]->key.conference_id, kLobby);
  EXPECT_EQ(detach[0]->key.participant_id, kId);
  EXPECT_EQ(detach[0]->to_conference_id, kRoom);

  // The lobby's worker hands it back bound for the room (Detached).
  std::unique_ptr<mixer::Participant> handed_back =
      std::move(std::get<mixer::AddParticipant>(workers_.sent[0].command).participant);
  handed_back->set_conference_id(kRoom);
  ASSERT_TRUE(leg.Rejoin(std::move(handed_back), /*muted=*/true));
  ASSERT_EQ(workers_.sent.size(), 3u);
  EXPECT_EQ(workers_.sent[2].conference_id, kRoom);
  const auto added = workers_.SentOf<mixer::AddParticipant>();
  ASSERT_EQ(added.size(), 2u);
  EXPECT_EQ(added[1]->participant->spec().conference_id, kRoom);
  EXPECT_TRUE(added[1]->participant->spec().muted);  // waiting for the moderator, say
  EXPECT_TRUE(leg.joined());
  leg.SetMuted(false);
  EXPECT_EQ(workers_.sent.back().conference_id, kRoom);
}

TEST_F(MediaLegTest, MovingWithoutAudioOnlyChangesTheConference) {
  MediaLeg leg = NewLeg(kLobby);
  EXPECT_TRUE(leg.MoveTo(kRoom));
  EXPECT_EQ(leg.conference_id(), kRoom);
  EXPECT_TRUE(workers_.sent.empty());
}

TEST_F(MediaLegTest, RemoveTakesItOffItsWorkerOnce) {
  MediaLeg leg = NewLeg(kRoom);
  EXPECT_FALSE(leg.Remove());  // never joined: nothing to wait for
  ASSERT_TRUE(leg.Join(Audio(), false, 0, 0));
  EXPECT_TRUE(leg.Remove());
  EXPECT_FALSE(leg.joined());
  const auto removed = workers_.SentOf<mixer::RemoveParticipant>();
  ASSERT_EQ(removed.size(), 1u);
  EXPECT_EQ(removed[0]->key.conference_id, kRoom);
  EXPECT_EQ(removed[0]->key.participant_id, kId);
  EXPECT_FALSE(leg.Remove());
  EXPECT_EQ(workers_.SentOf<mixer::RemoveParticipant>().size(), 1u);
}

TEST_F(MediaLegTest, LetGoByItsWorkerItKeepsTheFinalCountersAndSendsNothingMore) {
  MediaLeg leg = NewLeg(kRoom);
  ASSERT_TRUE(leg.Join(Audio(), false, 0, 0));
  mixer::ParticipantStats periodic;
  periodic.packets_in = 10;
  leg.OnStats(periodic);
  EXPECT_EQ(leg.stats().packets_in, 10u);
  mixer::ParticipantStats final_stats;
  final_stats.packets_in = 99;
  leg.OnLetGo(final_stats);
  EXPECT_FALSE(leg.joined());
  EXPECT_EQ(leg.stats().packets_in, 99u);
  EXPECT_FALSE(leg.Remove());
  EXPECT_EQ(workers_.sent.size(), 1u);
}

// G.722 is 16 kHz audio on an 8 kHz RTP clock: the spec keeps the RTP clock
// (timestamps, jitter) and the codec kind says the PCM rate.
TEST(SpecForTest, MapsEveryNegotiatedCodecToItsFormat) {
  const std::pair<sdp::AudioCodec, media::CodecFormat> cases[] = {
      {sdp::AudioCodec::kPcmu, {media::CodecKind::kPcmu, 8000, 20}},
      {sdp::AudioCodec::kPcma, {media::CodecKind::kPcma, 8000, 20}},
      {sdp::AudioCodec::kOpus, {media::CodecKind::kOpus, 48000, 20}},
      {sdp::AudioCodec::kG722, {media::CodecKind::kG722, 8000, 20}},
      {sdp::AudioCodec::kG729, {media::CodecKind::kG729, 8000, 20}},
  };
  for (const auto& [codec, format] : cases) {
    sdp::NegotiatedAudio audio = Audio();
    audio.codec = codec;
    const std::optional<mixer::ParticipantSpec> spec = SpecFor(kId, kRoom, audio, nullptr);
    ASSERT_TRUE(spec.has_value());
    EXPECT_EQ(spec->codec, format) << sdp::AudioCodecName(codec);
  }
  sdp::NegotiatedAudio wide = Audio();
  wide.codec = sdp::AudioCodec::kG722;
  EXPECT_EQ(SpecFor(kId, kRoom, wide, nullptr)->codec.pcm_rate(), 16000);
}

}  // namespace
}  // namespace tutti
