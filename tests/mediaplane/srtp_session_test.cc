#include "mediaplane/srtp_session.h"

#include <array>
#include <cstring>
#include <vector>

#include "gtest/gtest.h"
#include "mediaplane/packet_io.h"
#include "mediaplane/rtp/rtcp_packet.h"
#include "mediaplane/rtp/rtp_packet.h"

namespace tutti::media {
namespace {

constexpr uint32_t kAliceSsrc = 0x11111111;
constexpr uint32_t kBobSsrc = 0x22222222;

// Two ends of one leg: Alice's local key is Bob's remote key and back.
struct Pair {
  std::unique_ptr<SrtpSession> alice;
  std::unique_ptr<SrtpSession> bob;
};

Pair MakePair(SrtpSuite suite) {
  SrtpKeys alice;
  alice.suite = suite;
  for (size_t i = 0; i < kSrtpMaxMasterLength; ++i) {
    alice.local[i] = static_cast<uint8_t>(i + 1);
    alice.remote[i] = static_cast<uint8_t>(0x80 + i);
  }
  SrtpKeys bob = alice;
  std::swap(bob.local, bob.remote);
  return {SrtpSession::Create(alice, kAliceSsrc), SrtpSession::Create(bob, kBobSsrc)};
}

// An RTP packet of `payload_size` bytes of 0x5a in a buffer with tailroom.
std::vector<uint8_t> MakeRtp(uint16_t sequence, size_t payload_size, size_t* size) {
  std::vector<uint8_t> buffer(kMaxDatagramBytes, 0);
  WriteRtpHeader(
      {.payload_type = 0, .sequence = sequence, .timestamp = sequence * 160u, .ssrc = kAliceSsrc},
      buffer.data());
  std::memset(buffer.data() + kRtpHeaderSize, 0x5a, payload_size);
  *size = kRtpHeaderSize + payload_size;
  return buffer;
}

class SrtpSuiteTest : public ::testing::TestWithParam<SrtpSuite> {};

TEST_P(SrtpSuiteTest, RtpRoundTripHidesThePayload) {
  Pair pair = MakePair(GetParam());
  ASSERT_NE(pair.alice, nullptr);
  ASSERT_NE(pair.bob, nullptr);
  size_t size = 0;
  std::vector<uint8_t> packet = MakeRtp(1, 160, &size);
  const std::vector<uint8_t> clear(packet.begin(), packet.begin() + static_cast<long>(size));
  ASSERT_TRUE(pair.alice->ProtectRtp(packet.data(), &size, packet.size()));
  const size_t tag = GetParam() == SrtpSuite::kAesCm128HmacSha1_32 ? 4
                     : GetParam() == SrtpSuite::kAeadAes128Gcm     ? 16
                                                                   : 10;
  EXPECT_EQ(size, clear.size() + tag);
  // The header stays readable; the payload does not.
  EXPECT_EQ(0, std::memcmp(packet.data(), clear.data(), kRtpHeaderSize));
  EXPECT_NE(0, std::memcmp(packet.data() + kRtpHeaderSize, clear.data() + kRtpHeaderSize, 160));
  ASSERT_EQ(pair.bob->UnprotectRtp(packet.data(), &size), SrtpSession::Verdict::kOk);
  ASSERT_EQ(size, clear.size());
  EXPECT_EQ(0, std::memcmp(packet.data(), clear.data(), size));
}

TEST_P(SrtpSuiteTest, TamperedPacketFailsAuthentication) {
  Pair pair = MakePair(GetParam());
  size_t size = 0;
  std::vector<uint8_t> packet = MakeRtp(7, 160, &size);
  ASSERT_TRUE(pair.alice->ProtectRtp(packet.data(), &size, packet.size()));
  packet[kRtpHeaderSize + 3] ^= 0x01;
  EXPECT_EQ(pair.bob->UnprotectRtp(packet.data(), &size), SrtpSession::Verdict::kAuthFailed);
}

TEST_P(SrtpSuiteTest, ReplayIsRefused) {
  Pair pair = MakePair(GetParam());
  size_t size = 0;
  std::vector<uint8_t> packet = MakeRtp(9, 160, &size);
  ASSERT_TRUE(pair.alice->ProtectRtp(packet.data(), &size, packet.size()));
  std::vector<uint8_t> copy = packet;
  size_t copy_size = size;
  ASSERT_EQ(pair.bob->UnprotectRtp(packet.data(), &size), SrtpSession::Verdict::kOk);
  EXPECT_EQ(pair.bob->UnprotectRtp(copy.data(), &copy_size), SrtpSession::Verdict::kReplayed);
}

TEST_P(SrtpSuiteTest, RtcpRoundTripCarriesIndexAndEncryptFlag) {
  Pair pair = MakePair(GetParam());
  std::vector<uint8_t> buffer(kMaxDatagramBytes, 0);
  size_t size = WriteRtcp(kAliceSsrc, nullptr, {}, "tutti", false, buffer);
  ASSERT_GT(size, 0u);
  const std::vector<uint8_t> clear(buffer.begin(), buffer.begin() + static_cast<long>(size));
  ASSERT_TRUE(pair.alice->ProtectRtcp(buffer.data(), &size, buffer.size()));
  // RFC 3711 §3.4: E flag and a 31-bit index follow the packet, before the
  // tag (the first index is 1); with AEAD (RFC 7714 §9.1) they follow the tag.
  const uint8_t* index = GetParam() == SrtpSuite::kAeadAes128Gcm ? buffer.data() + size - 4
                                                                 : buffer.data() + clear.size();
  EXPECT_EQ(index[0], 0x80);
  EXPECT_EQ(index[3], 0x01);
  std::vector<uint8_t> replay = buffer;
  size_t replay_size = size;
  ASSERT_EQ(pair.bob->UnprotectRtcp(buffer.data(), &size), SrtpSession::Verdict::kOk);
  ASSERT_EQ(size, clear.size());
  EXPECT_EQ(0, std::memcmp(buffer.data(), clear.data(), size));
  EXPECT_EQ(pair.bob->UnprotectRtcp(replay.data(), &replay_size), SrtpSession::Verdict::kReplayed);
}

TEST_P(SrtpSuiteTest, WrongKeyFailsAuthentication) {
  Pair pair = MakePair(GetParam());
  SrtpKeys stranger;
  stranger.suite = GetParam();
  stranger.local.fill(0x33);
  std::unique_ptr<SrtpSession> eve = SrtpSession::Create(stranger, kAliceSsrc);
  size_t size = 0;
  std::vector<uint8_t> packet = MakeRtp(3, 160, &size);
  ASSERT_TRUE(eve->ProtectRtp(packet.data(), &size, packet.size()));
  EXPECT_EQ(pair.bob->UnprotectRtp(packet.data(), &size), SrtpSession::Verdict::kAuthFailed);
}

INSTANTIATE_TEST_SUITE_P(Suites, SrtpSuiteTest,
                         ::testing::Values(SrtpSuite::kAesCm128HmacSha1_80,
                                           SrtpSuite::kAesCm128HmacSha1_32,
                                           SrtpSuite::kAeadAes128Gcm));

TEST(SrtpSessionTest, ProtectNeedsTailroom) {
  Pair pair = MakePair(SrtpSuite::kAesCm128HmacSha1_80);
  size_t size = 0;
  std::vector<uint8_t> packet = MakeRtp(1, 160, &size);
  EXPECT_FALSE(pair.alice->ProtectRtp(packet.data(), &size, size + kSrtpTailroom - 1));
  EXPECT_EQ(size, kRtpHeaderSize + 160);
}

TEST(SrtpSessionTest, TruncatedPacketIsRefused) {
  Pair pair = MakePair(SrtpSuite::kAesCm128HmacSha1_80);
  std::array<uint8_t, 8> tiny{0x80, 0, 0, 1, 0, 0, 0, 0};
  size_t size = tiny.size();
  EXPECT_NE(pair.bob->UnprotectRtp(tiny.data(), &size), SrtpSession::Verdict::kOk);
}

TEST(SrtpSessionTest, SuiteNamesRoundTrip) {
  for (SrtpSuite suite : {SrtpSuite::kAesCm128HmacSha1_80, SrtpSuite::kAesCm128HmacSha1_32,
                          SrtpSuite::kAeadAes128Gcm}) {
    EXPECT_EQ(SrtpSuiteFromName(SrtpSuiteName(suite)), suite);
    EXPECT_TRUE(SrtpSuiteSupported(suite)) << SrtpSuiteName(suite);
  }
  EXPECT_EQ(SrtpSuiteFromName("F8_128_HMAC_SHA1_80"), SrtpSuite::kNone);
  EXPECT_EQ(SrtpMasterLength(SrtpSuite::kAesCm128HmacSha1_80), 30u);
  EXPECT_EQ(SrtpMasterLength(SrtpSuite::kAeadAes128Gcm), 28u);
}

}  // namespace
}  // namespace tutti::media
