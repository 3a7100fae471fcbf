#include "signaling/call/media_security.h"

#include "gtest/gtest.h"

namespace tutti {
namespace {

TEST(MediaSecurityTest, RoomPolicyWinsOverTheDefault) {
  EXPECT_EQ(SecurityFor("required", "off", sip::TransportKind::kTls, false).policy,
            sdp::SrtpPolicy::kRequired);
  EXPECT_EQ(SecurityFor("", "off", sip::TransportKind::kTls, false).policy, sdp::SrtpPolicy::kOff);
  EXPECT_EQ(SecurityFor("", "optional", sip::TransportKind::kTls, false).policy,
            sdp::SrtpPolicy::kOptional);
}

TEST(MediaSecurityTest, SdesKeysOnlyOverTlsUnlessConfigured) {
  EXPECT_TRUE(SecurityFor("required", "", sip::TransportKind::kTls, false).sdes_allowed);
  EXPECT_FALSE(SecurityFor("required", "", sip::TransportKind::kUdp, false).sdes_allowed);
  EXPECT_FALSE(SecurityFor("required", "", sip::TransportKind::kTcp, false).sdes_allowed);
  EXPECT_TRUE(SecurityFor("required", "", sip::TransportKind::kUdp, true).sdes_allowed);
  EXPECT_TRUE(SecurityFor("required", "", sip::TransportKind::kTcp, true).sdes_allowed);
}

TEST(MediaSecurityTest, EveryNegotiationGetsAFreshRandomKey) {
  const sdp::LocalSecurity a = SecurityFor("required", "", sip::TransportKind::kTls, false);
  const sdp::LocalSecurity b = SecurityFor("required", "", sip::TransportKind::kTls, false);
  EXPECT_NE(a.fresh_key, b.fresh_key);
  EXPECT_NE(a.fresh_key, sdp::CryptoKey{});
}

TEST(MediaSecurityTest, WorkerKeysCarrySuiteAndBothKeys) {
  sdp::SdesKeys keys{sdp::CryptoSuite::kAeadAes128Gcm, 3, {}, {}};
  keys.local.fill(1);
  keys.remote.fill(2);
  const media::SrtpKeys worker = WorkerKeys(keys);
  EXPECT_EQ(worker.suite, media::SrtpSuite::kAeadAes128Gcm);
  EXPECT_EQ(worker.local[0], 1);
  EXPECT_EQ(worker.remote[29], 2);
}

// The decision end to end: a plain caller over UDP to a required room is
// refused, SDES over UDP only with the config's consent.
TEST(MediaSecurityTest, PolicyDecidesTheAnswer) {
  constexpr std::string_view kPlain =
      "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";
  constexpr std::string_view kSdes =
      "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/SAVP 0\r\n"
      "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd\r\n";
  auto answer = [](std::string_view offer, std::string_view room, sip::TransportKind transport,
                   bool sdes_over_plain) {
    const sdp::LocalMedia local{"192.0.2.10",
                                20000,
                                {sdp::AudioCodec::kPcmu},
                                1,
                                1,
                                20,
                                SecurityFor(room, "optional", transport, sdes_over_plain)};
    return sdp::AnswerOffer(*sdp::ParseSdp(offer), local);
  };
  EXPECT_FALSE(answer(kPlain, "required", sip::TransportKind::kUdp, true).ok());
  EXPECT_TRUE(answer(kPlain, "optional", sip::TransportKind::kUdp, false).ok());
  EXPECT_FALSE(answer(kSdes, "required", sip::TransportKind::kUdp, false).ok());
  EXPECT_FALSE(answer(kSdes, "required", sip::TransportKind::kTcp, false).ok());
  EXPECT_TRUE(answer(kSdes, "required", sip::TransportKind::kTls, false).ok());
  EXPECT_TRUE(answer(kSdes, "required", sip::TransportKind::kUdp, true).ok());
  EXPECT_FALSE(answer(kSdes, "off", sip::TransportKind::kTls, false).ok());
}

}  // namespace
}  // namespace tutti
