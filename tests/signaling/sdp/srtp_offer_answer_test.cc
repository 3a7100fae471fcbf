// a=crypto / a=fingerprint / a=setup, and offer/answer under a room's SRTP policy.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "signaling/sdp/crypto_attribute.h"
#include "signaling/sdp/offer_answer.h"

namespace tutti::sdp {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// 30 bytes: 0x00..0x1d.
constexpr std::string_view kKey30 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd";
// 28 bytes: 0x00..0x1b.
constexpr std::string_view kKey28 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw==";

CryptoKey Sequence(uint8_t first, size_t length = kMaxCryptoKeyLength) {
  CryptoKey key{};
  for (size_t i = 0; i < length; ++i) key[i] = static_cast<uint8_t>(first + i);
  return key;
}

LocalMedia Local(SrtpPolicy policy, bool sdes_allowed = true) {
  LocalMedia local{"192.0.2.10", 20000, {AudioCodec::kPcmu}, 77, 1, 20};
  local.security.policy = policy;
  local.security.sdes_allowed = sdes_allowed;
  local.security.fresh_key = Sequence(0xa0);
  local.security.dtls_fingerprint = {"sha-256", std::vector<uint8_t>(32, 0xab)};
  return local;
}

SessionDescription Parse(std::string_view text) {
  auto sdp = ParseSdp(text);
  EXPECT_TRUE(sdp.ok()) << sdp.status();
  return sdp.ok() ? *sdp : SessionDescription{};
}

// One audio m-line of `proto` with `attributes` ("a=...\r\n" lines).
SessionDescription Offer(std::string_view proto, std::string_view attributes,
                         std::string_view session_attributes = "") {
  return Parse(std::string("v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n") +
               std::string(session_attributes) + "m=audio 4000 " + std::string(proto) + " 0\r\n" +
               std::string(attributes));
}

std::string Crypto(int tag, std::string_view suite, std::string_view key) {
  return "a=crypto:" + std::to_string(tag) + " " + std::string(suite) +
         " inline:" + std::string(key) + "\r\n";
}

TEST(CryptoAttributeTest, ParsesTheThreeSuites) {
  auto crypto =
      ParseCryptoAttribute(std::string("1 AES_CM_128_HMAC_SHA1_80 inline:") + std::string(kKey30));
  ASSERT_TRUE(crypto);
  EXPECT_EQ(crypto->tag, 1);
  EXPECT_EQ(crypto->suite, CryptoSuite::kAesCm128HmacSha1_80);
  EXPECT_EQ(crypto->key, Sequence(0));
  crypto = ParseCryptoAttribute(std::string("2 AES_CM_128_HMAC_SHA1_32 inline:") +
                                std::string(kKey30) + "|2^31");
  ASSERT_TRUE(crypto);
  EXPECT_EQ(crypto->suite, CryptoSuite::kAesCm128HmacSha1_32);
  crypto = ParseCryptoAttribute(std::string("3 AEAD_AES_128_GCM inline:") + std::string(kKey28));
  ASSERT_TRUE(crypto);
  EXPECT_EQ(crypto->suite, CryptoSuite::kAeadAes128Gcm);
  EXPECT_EQ(crypto->key, Sequence(0, 28));
}

TEST(CryptoAttributeTest, RefusesWhatTuttiCannotHonour) {
  const std::string key(kKey30);
  for (const std::string& value : {
           "1 F8_128_HMAC_SHA1_80 inline:" + key,                         // unknown suite
           "1 AES_CM_128_HMAC_SHA1_80 inline:" + key + "|2^20",           // would need re-keying
           "1 AES_CM_128_HMAC_SHA1_80 inline:" + key + "|2^31|1:4",       // MKI
           "1 AES_CM_128_HMAC_SHA1_80 inline:" + key + "|1:4",            // MKI without lifetime
           "1 AES_CM_128_HMAC_SHA1_80 inline:" + key + ";inline:" + key,  // two keys
           "1 AES_CM_128_HMAC_SHA1_80 inline:" + key + " UNENCRYPTED_SRTP",
           "1 AES_CM_128_HMAC_SHA1_80 inline:" + key + " KDR=1",
           "1 AES_CM_128_HMAC_SHA1_80 inline:" + std::string(kKey28),  // GCM-sized key
           "1 AEAD_AES_128_GCM inline:" + key,                         // CM-sized key
           "1 AES_CM_128_HMAC_SHA1_80 inline:" + key.substr(0, 39) + "!",
           "x AES_CM_128_HMAC_SHA1_80 inline:" + key,
           "1234567890 AES_CM_128_HMAC_SHA1_80 inline:" + key,
           "1 AES_CM_128_HMAC_SHA1_80 uri:" + key,
           std::string("1 AES_CM_128_HMAC_SHA1_80"),
           std::string(),
       }) {
    EXPECT_FALSE(ParseCryptoAttribute(value)) << value;
  }
}

TEST(CryptoAttributeTest, WriteThenParse) {
  const CryptoAttribute written{7, CryptoSuite::kAeadAes128Gcm, Sequence(5, 28)};
  const std::string text = WriteCryptoAttribute(written);
  EXPECT_THAT(text, HasSubstr("7 AEAD_AES_128_GCM inline:"));
  auto parsed = ParseCryptoAttribute(text);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->key, written.key);
  EXPECT_EQ(parsed->tag, 7);
}

TEST(CryptoAttributeTest, FingerprintAndSetup) {
  auto fingerprint = ParseFingerprint("SHA-256 0A:bc:FF:00");
  ASSERT_TRUE(fingerprint);
  EXPECT_EQ(fingerprint->algorithm, "sha-256");
  EXPECT_EQ(fingerprint->digest, (std::vector<uint8_t>{0x0a, 0xbc, 0xff, 0x00}));
  EXPECT_EQ(WriteFingerprint(*fingerprint), "sha-256 0A:BC:FF:00");
  EXPECT_FALSE(ParseFingerprint("sha-256 0A:BC:F"));
  EXPECT_FALSE(ParseFingerprint("sha-256 0A-BC"));
  EXPECT_FALSE(ParseFingerprint("sha-256"));
  EXPECT_EQ(ParseSetup("actpass"), SetupRole::kActPass);
  EXPECT_EQ(ParseSetup(" passive"), SetupRole::kPassive);
  EXPECT_FALSE(ParseSetup("both"));
}

TEST(CryptoAttributeTest, RedactsKeysAndNothingElse) {
  const std::string sdp = "v=0\r\nm=audio 4000 RTP/SAVP 0\r\n" +
                          Crypto(1, "AES_CM_128_HMAC_SHA1_80", kKey30) + "a=sendrecv\r\n";
  const std::string redacted = RedactCryptoKeys(sdp);
  EXPECT_THAT(redacted, Not(HasSubstr(std::string(kKey30.substr(0, 8)))));
  EXPECT_THAT(redacted, HasSubstr("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:<redacted>\r\n"));
  EXPECT_THAT(redacted, HasSubstr("m=audio 4000 RTP/SAVP 0\r\na=crypto"));
  EXPECT_THAT(redacted, HasSubstr("\r\na=sendrecv\r\n"));
}

TEST(SrtpAnswerTest, TakesTheFirstUsableCryptoLineAndAnswersWithItsTag) {
  const SessionDescription offer =
      Offer("RTP/SAVP", Crypto(1, "F8_128_HMAC_SHA1_80", kKey30) +
                            Crypto(2, "AES_CM_128_HMAC_SHA1_32", kKey30) +
                            Crypto(3, "AES_CM_128_HMAC_SHA1_80", kKey30));
  auto result = AnswerOffer(offer, Local(SrtpPolicy::kRequired));
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_TRUE(result->audio.sdes);
  EXPECT_EQ(result->audio.sdes->tag, 2);
  EXPECT_EQ(result->audio.sdes->suite, CryptoSuite::kAesCm128HmacSha1_32);
  EXPECT_EQ(result->audio.sdes->remote, Sequence(0));
  EXPECT_EQ(result->audio.sdes->local, Sequence(0xa0));
  const std::string answer = WriteSdp(result->answer);
  EXPECT_THAT(answer, HasSubstr("m=audio 20000 RTP/SAVP 0\r\n"));
  EXPECT_THAT(
      answer,
      HasSubstr("a=crypto:" +
                WriteCryptoAttribute({2, CryptoSuite::kAesCm128HmacSha1_32, Sequence(0xa0)}) +
                "\r\n"));
  // Our key, never theirs.
  EXPECT_THAT(answer, Not(HasSubstr(std::string(kKey30))));
}

TEST(SrtpAnswerTest, SavpfAndGcmAreTaken) {
  auto result = AnswerOffer(Offer("RTP/SAVPF", Crypto(1, "AEAD_AES_128_GCM", kKey28)),
                            Local(SrtpPolicy::kOptional));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->audio.sdes->suite, CryptoSuite::kAeadAes128Gcm);
  EXPECT_THAT(WriteSdp(result->answer), HasSubstr("m=audio 20000 RTP/SAVPF 0\r\n"));
}

TEST(SrtpAnswerTest, RequiredRefusesPlainRtp) {
  auto result = AnswerOffer(Offer("RTP/AVP", ""), Local(SrtpPolicy::kRequired));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("SRTP required"));
}

TEST(SrtpAnswerTest, OptionalAnswersEachOfferInKind) {
  auto plain = AnswerOffer(Offer("RTP/AVP", ""), Local(SrtpPolicy::kOptional));
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->audio.encrypted());
  EXPECT_THAT(WriteSdp(plain->answer), Not(HasSubstr("a=crypto")));
  auto secure = AnswerOffer(Offer("RTP/SAVP", Crypto(1, "AES_CM_128_HMAC_SHA1_80", kKey30)),
                            Local(SrtpPolicy::kOptional));
  ASSERT_TRUE(secure.ok());
  EXPECT_TRUE(secure->audio.sdes);
}

TEST(SrtpAnswerTest, OffRefusesSrtpButTakesAPlainAlternative) {
  auto refused = AnswerOffer(Offer("RTP/SAVP", Crypto(1, "AES_CM_128_HMAC_SHA1_80", kKey30)),
                             Local(SrtpPolicy::kOff));
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("SRTP is off"));
  auto plain = AnswerOffer(
      Parse("v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
            "m=audio 4000 RTP/SAVP 0\r\n" +
            Crypto(1, "AES_CM_128_HMAC_SHA1_80", kKey30) + "m=audio 4002 RTP/AVP 0\r\n"),
      Local(SrtpPolicy::kOff));
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_FALSE(plain->audio.encrypted());
  EXPECT_EQ(plain->audio.remote_rtp_port, 4002);
  EXPECT_EQ(plain->answer.media[0].port, 0);
}

TEST(SrtpAnswerTest, SdesOverPlainSignalingIsRefused) {
  auto result = AnswerOffer(Offer("RTP/SAVP", Crypto(1, "AES_CM_128_HMAC_SHA1_80", kKey30)),
                            Local(SrtpPolicy::kRequired, /*sdes_allowed=*/false));
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("only taken over TLS"));
}

TEST(SrtpAnswerTest, NoUsableCryptoLineIsRefused) {
  auto result = AnswerOffer(Offer("RTP/SAVP", Crypto(1, "F8_128_HMAC_SHA1_80", kKey30)),
                            Local(SrtpPolicy::kRequired));
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("no usable a=crypto"));
}

TEST(SrtpAnswerTest, ReInviteKeepsTheContextOrReKeysBothWays) {
  LocalMedia local = Local(SrtpPolicy::kRequired);
  local.security.current = SdesKeys{CryptoSuite::kAesCm128HmacSha1_80, 1, Sequence(0x50),
                                    Sequence(0)};  // their key is kKey30
  auto same = AnswerOffer(Offer("RTP/SAVP", Crypto(1, "AES_CM_128_HMAC_SHA1_80", kKey30)), local);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->audio.sdes, local.security.current);
  // The peer re-keys (another key): ours is fresh too.
  auto rekeyed = AnswerOffer(Offer("RTP/SAVP", Crypto(1, "AES_CM_128_HMAC_SHA1_80",
                                                      "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB")),
                             local);
  ASSERT_TRUE(rekeyed.ok());
  EXPECT_EQ(rekeyed->audio.sdes->local, Sequence(0xa0));
  // Same key under another suite is a new context as well.
  auto other_suite =
      AnswerOffer(Offer("RTP/SAVP", Crypto(1, "AES_CM_128_HMAC_SHA1_32", kKey30)), local);
  ASSERT_TRUE(other_suite.ok());
  EXPECT_EQ(other_suite->audio.sdes->local, Sequence(0xa0));
}

TEST(SrtpAnswerTest, DtlsOfferGetsPassiveAndOurFingerprint) {
  const std::string fingerprint =
      "a=fingerprint:sha-256 "
      "01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:11:12:13:14:15:16:17:18:19:1A:1B:1C:1D:1E:"
      "1F:20\r\n";
  // baresip puts the fingerprint at session level.
  auto result = AnswerOffer(Offer("UDP/TLS/RTP/SAVPF", "a=setup:actpass\r\n", fingerprint),
                            Local(SrtpPolicy::kRequired, false));
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_TRUE(result->audio.dtls);
  EXPECT_TRUE(result->audio.dtls->server);
  EXPECT_EQ(result->audio.dtls->fingerprint.digest.size(), 32u);
  EXPECT_EQ(result->audio.dtls->fingerprint.digest[0], 0x01);
  const std::string answer = WriteSdp(result->answer);
  EXPECT_THAT(answer, HasSubstr("m=audio 20000 UDP/TLS/RTP/SAVPF 0\r\n"));
  EXPECT_THAT(answer, HasSubstr("a=setup:passive\r\n"));
  EXPECT_THAT(answer, HasSubstr("a=fingerprint:sha-256 AB:AB:"));

  auto no_fingerprint =
      AnswerOffer(Offer("UDP/TLS/RTP/SAVP", "a=setup:actpass\r\n"), Local(SrtpPolicy::kRequired));
  EXPECT_FALSE(no_fingerprint.ok());
  auto wants_to_be_server = AnswerOffer(
      Offer("UDP/TLS/RTP/SAVP", "a=setup:passive\r\n" + fingerprint), Local(SrtpPolicy::kRequired));
  EXPECT_FALSE(wants_to_be_server.ok());
  auto off = AnswerOffer(Offer("UDP/TLS/RTP/SAVP", "a=setup:actpass\r\n" + fingerprint),
                         Local(SrtpPolicy::kOff));
  EXPECT_FALSE(off.ok());
}

TEST(SrtpOfferTest, RequiredRoomOffersSdesAndReadsTheAnswer) {
  const SessionDescription offer = MakeOffer(Local(SrtpPolicy::kRequired));
  const std::string text = WriteSdp(offer);
  EXPECT_THAT(text, HasSubstr("RTP/SAVP"));
  EXPECT_THAT(text, HasSubstr("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"));
  auto audio =
      AcceptAnswer(offer, Parse("v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
                                "m=audio 4000 RTP/SAVP 0\r\n" +
                                Crypto(1, "AES_CM_128_HMAC_SHA1_80", kKey30)));
  ASSERT_TRUE(audio.ok()) << audio.status();
  ASSERT_TRUE(audio->audio.sdes);
  EXPECT_EQ(audio->audio.sdes->local, Sequence(0xa0));
  EXPECT_EQ(audio->audio.sdes->remote, Sequence(0));
  auto plain = AcceptAnswer(offer, Parse("v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 10.0.0.1\r\n"
                                         "t=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"));
  EXPECT_FALSE(plain.ok());
  auto wrong_tag =
      AcceptAnswer(offer, Parse("v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
                                "m=audio 4000 RTP/SAVP 0\r\n" +
                                Crypto(2, "AES_CM_128_HMAC_SHA1_80", kKey30)));
  EXPECT_FALSE(wrong_tag.ok());
  // Optional rooms offer plain RTP, which any phone can answer.
  EXPECT_THAT(WriteSdp(MakeOffer(Local(SrtpPolicy::kOptional))), Not(HasSubstr("SAVP")));
}

}  // namespace
}  // namespace tutti::sdp
