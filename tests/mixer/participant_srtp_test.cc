// The SRTP hooks of a participant: what it sends is protected, what it
// receives is unprotected before anything else sees it, and what fails
// authentication or replays is counted and must be dropped.
#include <array>
#include <cstring>
#include <vector>

#include "gtest/gtest.h"
#include "mediaplane/rtp/rtcp_packet.h"
#include "mediaplane/rtp/rtp_packet.h"
#include "mixer/participant.h"

namespace tutti::mixer {
namespace {

using Verdict = media::SrtpSession::Verdict;

ParticipantSpec SpecWithKeys(uint64_t id, const media::SrtpKeys& keys) {
  ParticipantSpec spec;
  spec.id = id;
  spec.codec = {media::CodecKind::kPcmu, 8000, 20};
  spec.payload_type = 0;
  spec.remote_rtp = {0x7f000001, 40000};
  spec.remote_rtcp = {0x7f000001, 40001};
  spec.srtp = keys;
  return spec;
}

media::SrtpKeys Keys(media::SrtpSuite suite, uint8_t local, uint8_t remote) {
  media::SrtpKeys keys;
  keys.suite = suite;
  keys.local.fill(local);
  keys.remote.fill(remote);
  return keys;
}

class ParticipantSrtpTest : public ::testing::Test {
 protected:
  // The two ends of one leg: tutti's participant and a phone built the same way.
  Participant tutti_{SpecWithKeys(1, Keys(media::SrtpSuite::kAesCm128HmacSha1_80, 0x11, 0x22)),
                     media::PortPair(), 0xaaaa0001};
  Participant phone_{SpecWithKeys(2, Keys(media::SrtpSuite::kAesCm128HmacSha1_80, 0x22, 0x11)),
                     media::PortPair(), 0xbbbb0002};
  std::array<uint8_t, media::kMaxDatagramBytes> buffer_{};

  // The phone's next RTP packet, protected, as the worker would receive it.
  media::Datagram FromPhone() {
    std::array<uint8_t, 160> payload;
    payload.fill(0x42);
    const uint16_t size = phone_.WriteRtp(payload, buffer_.data());
    return {.local_port = 0, .remote = {0x7f000001, 40000}, .data = buffer_.data(), .size = size};
  }
};

TEST_F(ParticipantSrtpTest, SentPacketIsProtectedAndReceivedOneUnprotected) {
  media::Datagram datagram = FromPhone();
  ASSERT_EQ(datagram.size, media::kRtpHeaderSize + 160 + 10);  // 80-bit tag
  // Nothing of the clear payload goes on the wire.
  int clear_bytes = 0;
  for (size_t i = media::kRtpHeaderSize; i < media::kRtpHeaderSize + 160; ++i) {
    clear_bytes += buffer_[i] == 0x42 ? 1 : 0;
  }
  EXPECT_LT(clear_bytes, 10);
  ASSERT_EQ(tutti_.Unprotect(datagram, false), Verdict::kOk);
  EXPECT_EQ(datagram.size, media::kRtpHeaderSize + 160);
  EXPECT_EQ(buffer_[media::kRtpHeaderSize], 0x42);
  tutti_.OnRtp(datagram, 1'000'000);
  EXPECT_EQ(tutti_.stats().packets_in, 1u);
  EXPECT_EQ(tutti_.stats().srtp_auth_failed, 0u);
}

TEST_F(ParticipantSrtpTest, TamperedPacketIsCountedAndRefused) {
  media::Datagram datagram = FromPhone();
  buffer_[20] ^= 0x80;
  EXPECT_EQ(tutti_.Unprotect(datagram, false), Verdict::kAuthFailed);
  EXPECT_EQ(tutti_.stats().srtp_auth_failed, 1u);
}

TEST_F(ParticipantSrtpTest, PlainRtpToAnEncryptedLegIsRefused) {
  std::array<uint8_t, 172> plain{};
  media::WriteRtpHeader({.payload_type = 0, .sequence = 1, .timestamp = 0, .ssrc = 0x1234},
                        plain.data());
  media::Datagram datagram{.data = plain.data(), .size = plain.size()};
  EXPECT_NE(tutti_.Unprotect(datagram, false), Verdict::kOk);
  EXPECT_EQ(tutti_.stats().srtp_auth_failed, 1u);
}

TEST_F(ParticipantSrtpTest, ReplayIsCountedAndRefused) {
  media::Datagram datagram = FromPhone();
  std::array<uint8_t, media::kMaxDatagramBytes> copy = buffer_;
  media::Datagram replay = datagram;
  replay.data = copy.data();
  ASSERT_EQ(tutti_.Unprotect(datagram, false), Verdict::kOk);
  EXPECT_EQ(tutti_.Unprotect(replay, false), Verdict::kReplayed);
  EXPECT_EQ(tutti_.stats().srtp_replayed, 1u);
}

TEST_F(ParticipantSrtpTest, RtcpReportIsProtectedWithSrtcp) {
  // The first call only schedules; a call 6 s later is due.
  ASSERT_EQ(phone_.MaybeWriteRtcp(1'000'000, buffer_.data()), 0);
  const uint16_t size = phone_.MaybeWriteRtcp(20'000'000, buffer_.data());
  ASSERT_GT(size, 0);
  media::Datagram datagram{.data = buffer_.data(), .size = size};
  ASSERT_EQ(tutti_.Unprotect(datagram, true), Verdict::kOk);
  EXPECT_EQ(datagram.size, size - 14);  // E flag + index (4) and an 80-bit tag
  EXPECT_TRUE(media::ParseRtcp(std::span<const uint8_t>(datagram.data, datagram.size)));
}

TEST_F(ParticipantSrtpTest, ReKeyStartsANewContextAndSameKeysKeepTheOldOne) {
  media::Datagram first = FromPhone();
  ASSERT_EQ(tutti_.Unprotect(first, false), Verdict::kOk);
  // The same keys again (a re-INVITE that only moved the stream): the replay
  // window carries on, so the phone's next packet is simply the next one.
  tutti_.Update(tutti_.spec());
  media::Datagram next = FromPhone();
  ASSERT_EQ(tutti_.Unprotect(next, false), Verdict::kOk);
  // New keys on both sides.
  ParticipantSpec rekeyed = tutti_.spec();
  rekeyed.srtp = Keys(media::SrtpSuite::kAeadAes128Gcm, 0x33, 0x44);
  tutti_.Update(rekeyed);
  ParticipantSpec phone_rekeyed = phone_.spec();
  phone_rekeyed.srtp = Keys(media::SrtpSuite::kAeadAes128Gcm, 0x44, 0x33);
  phone_.Update(phone_rekeyed);
  media::Datagram after = FromPhone();
  EXPECT_EQ(after.size, media::kRtpHeaderSize + 160 + 16);  // GCM tag
  EXPECT_EQ(tutti_.Unprotect(after, false), Verdict::kOk);
}

TEST(ParticipantPlainTest, PlainLegPassesEverythingUntouched) {
  ParticipantSpec spec = SpecWithKeys(3, {});
  Participant plain(spec, media::PortPair(), 0xcccc0003);
  std::array<uint8_t, media::kMaxDatagramBytes> buffer{};
  std::array<uint8_t, 160> payload;
  payload.fill(0x42);
  const uint16_t size = plain.WriteRtp(payload, buffer.data());
  EXPECT_EQ(size, media::kRtpHeaderSize + 160);
  media::Datagram datagram{.data = buffer.data(), .size = size};
  EXPECT_EQ(plain.Unprotect(datagram, false), Verdict::kOk);
  EXPECT_EQ(datagram.size, size);
}

}  // namespace
}  // namespace tutti::mixer
