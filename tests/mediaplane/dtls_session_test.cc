// DTLS-SRTP, tutti's server side against an OpenSSL client in-process over
// memory: the handshake completes, both ends export the same SRTP keys (and
// SRTP made from them works both ways), the peer's certificate must match
// the SDP fingerprint, and a handshake is bounded in datagrams and time.
// The leg-level rules (who may drive a component, RTCP on its own port) are
// in the DtlsSrtp tests at the end.
#include "mediaplane/dtls_session.h"

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <array>
#include <cstring>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "mediaplane/dtls_context.h"
#include "mediaplane/dtls_srtp.h"
#include "mediaplane/rtp/rtp_packet.h"
#include "tests/mediaplane/dtls_test_client.h"

namespace tutti::media {
namespace {

using testing::DtlsTestClient;
using State = DtlsSession::State;
using Failure = DtlsSession::Failure;

constexpr int64_t kStart = 1'000'000;

std::unique_ptr<DtlsContext> NewContext(DtlsOptions options = {}) {
  absl::StatusOr<std::unique_ptr<DtlsContext>> context = DtlsContext::Create(options);
  EXPECT_TRUE(context.ok()) << context.status();
  return context.ok() ? std::move(*context) : nullptr;
}

// Runs the handshake to its end (or a stall): client flights to the server,
// the server's datagrams back. Returns how many datagrams the server sent.
int Pump(DtlsTestClient& client, DtlsSession& server, int64_t now_us = kStart) {
  int server_datagrams = 0;
  for (int round = 0; round < 10; ++round) {
    std::vector<std::vector<uint8_t>> to_server = client.Step();
    if (to_server.empty() && server.outgoing_count() == 0) break;
    for (const auto& datagram : to_server) server.OnDatagram(datagram, now_us);
    for (size_t i = 0; i < server.outgoing_count(); ++i) {
      client.Receive(server.outgoing(i));
      ++server_datagrams;
    }
    server.ClearOutgoing();
  }
  return server_datagrams;
}

// An RTP packet protected by `from` and unprotected by `to`: true when it
// came through intact.
bool SrtpRoundTrip(const SrtpKeys& from, const SrtpKeys& to) {
  std::unique_ptr<SrtpSession> sender = SrtpSession::Create(from, 0x1234);
  std::unique_ptr<SrtpSession> receiver = SrtpSession::Create(to, 0x5678);
  if (!sender || !receiver) return false;
  std::array<uint8_t, kMaxDatagramBytes> packet{};
  packet[0] = 0x80;
  packet[1] = 0;
  packet[11] = 0x34;
  packet[10] = 0x12;
  for (size_t i = kRtpHeaderSize; i < kRtpHeaderSize + 160; ++i) packet[i] = 0x55;
  size_t size = kRtpHeaderSize + 160;
  if (!sender->ProtectRtp(packet.data(), &size, packet.size())) return false;
  if (packet[kRtpHeaderSize] == 0x55 && packet[kRtpHeaderSize + 1] == 0x55) return false;
  if (receiver->UnprotectRtp(packet.data(), &size) != SrtpSession::Verdict::kOk) return false;
  return size == kRtpHeaderSize + 160 && packet[kRtpHeaderSize] == 0x55;
}

TEST(DtlsContextTest, MakesASelfSignedEcdsaP256CertificateAndItsSha256Fingerprint) {
  std::unique_ptr<DtlsContext> context = NewContext();
  ASSERT_NE(context, nullptr);
  EXPECT_TRUE(EVP_PKEY_is_a(context->private_key(), "EC"));
  std::array<char, 64> group{};
  size_t group_length = 0;
  ASSERT_EQ(
      EVP_PKEY_get_group_name(context->private_key(), group.data(), group.size(), &group_length),
      1);
  EXPECT_EQ(std::string(group.data(), group_length), "prime256v1");
  X509* certificate = context->certificate();
  EXPECT_EQ(X509_NAME_cmp(X509_get_subject_name(certificate), X509_get_issuer_name(certificate)),
            0);
  EXPECT_EQ(X509_verify(certificate, context->private_key()), 1);

  std::array<uint8_t, 32> digest{};
  unsigned int size = 0;
  ASSERT_EQ(X509_digest(certificate, EVP_sha256(), digest.data(), &size), 1);
  EXPECT_EQ(context->fingerprint().hash, FingerprintHash::kSha256);
  ASSERT_EQ(context->fingerprint().size, 32);
  EXPECT_EQ(0, std::memcmp(context->fingerprint().digest.data(), digest.data(), 32));
  // A second context is a second identity.
  std::unique_ptr<DtlsContext> other = NewContext();
  EXPECT_FALSE(other->fingerprint() == context->fingerprint());
}

TEST(DtlsContextTest, FingerprintsFromSdpNeedAKnownHashAndItsLength) {
  std::array<uint8_t, 32> digest{};
  EXPECT_TRUE(MakeFingerprint("sha-256", digest).has_value());
  EXPECT_FALSE(MakeFingerprint("sha-256", std::span(digest).first(20)).has_value());
  EXPECT_TRUE(MakeFingerprint("sha-1", std::span(digest).first(20)).has_value());
  EXPECT_FALSE(MakeFingerprint("md5", std::span(digest).first(16)).has_value());
}

class DtlsHandshakeTest : public ::testing::TestWithParam<std::string> {};

TEST_P(DtlsHandshakeTest, BothEndsExportTheSameSrtpKeys) {
  if (GetParam() == "SRTP_AEAD_AES_128_GCM" && !SrtpSuiteSupported(SrtpSuite::kAeadAes128Gcm)) {
    GTEST_SKIP() << "this libsrtp2 has no AES-GCM";
  }
  std::unique_ptr<DtlsContext> tutti = NewContext();
  std::unique_ptr<DtlsContext> phone = NewContext();
  std::unique_ptr<DtlsSession> server = DtlsSession::CreateServer(*tutti, phone->fingerprint());
  ASSERT_NE(server, nullptr);
  DtlsTestClient client(phone.get(), GetParam());

  Pump(client, *server);
  ASSERT_EQ(server->state(), State::kConnected) << DtlsFailureName(server->failure());
  ASSERT_TRUE(client.done());
  // The phone saw tutti's certificate, the one tutti's SDP names.
  ASSERT_TRUE(client.ServerFingerprint().has_value());
  EXPECT_TRUE(*client.ServerFingerprint() == tutti->fingerprint());

  const SrtpKeys phone_keys = client.Keys();
  const SrtpKeys& tutti_keys = server->keys();
  ASSERT_TRUE(tutti_keys.active());
  EXPECT_EQ(tutti_keys.suite, phone_keys.suite);
  EXPECT_EQ(SrtpSuiteName(tutti_keys.suite),
            GetParam() == "SRTP_AES128_CM_SHA1_80"   ? "AES_CM_128_HMAC_SHA1_80"
            : GetParam() == "SRTP_AES128_CM_SHA1_32" ? "AES_CM_128_HMAC_SHA1_32"
                                                     : "AEAD_AES_128_GCM");
  // Server side: we send with the server's key, receive with the client's.
  EXPECT_EQ(tutti_keys.local, phone_keys.remote);
  EXPECT_EQ(tutti_keys.remote, phone_keys.local);
  EXPECT_NE(tutti_keys.local, tutti_keys.remote);
  EXPECT_TRUE(SrtpRoundTrip(phone_keys, tutti_keys));
  EXPECT_TRUE(SrtpRoundTrip(tutti_keys, phone_keys));
}

INSTANTIATE_TEST_SUITE_P(Profiles, DtlsHandshakeTest,
                         ::testing::Values("SRTP_AES128_CM_SHA1_80", "SRTP_AES128_CM_SHA1_32",
                                           "SRTP_AEAD_AES_128_GCM"));

TEST(DtlsSessionTest, PrefersTheStrongestProfileBothOffer) {
  std::unique_ptr<DtlsContext> tutti = NewContext();
  std::unique_ptr<DtlsContext> phone = NewContext();
  std::unique_ptr<DtlsSession> server = DtlsSession::CreateServer(*tutti, phone->fingerprint());
  // baresip's list, 32-bit tag first.
  DtlsTestClient client(phone.get(), "SRTP_AES128_CM_SHA1_32:SRTP_AES128_CM_SHA1_80");
  Pump(client, *server);
  ASSERT_EQ(server->state(), State::kConnected);
  EXPECT_EQ(server->keys().suite, SrtpSuite::kAesCm128HmacSha1_80);
}

TEST(DtlsSessionTest, CertificateNotMatchingTheSdpFingerprintIsRefused) {
  std::unique_ptr<DtlsContext> tutti = NewContext();
  std::unique_ptr<DtlsContext> phone = NewContext();
  std::unique_ptr<DtlsContext> impostor = NewContext();
  // The SDP named the phone's certificate; the impostor's key answers.
  std::unique_ptr<DtlsSession> server = DtlsSession::CreateServer(*tutti, phone->fingerprint());
  DtlsTestClient client(impostor.get(), "SRTP_AES128_CM_SHA1_80");
  Pump(client, *server);
  EXPECT_EQ(server->state(), State::kFailed);
  EXPECT_EQ(server->failure(), Failure::kFingerprintMismatch);
  EXPECT_FALSE(server->keys().active());
  // The client was told (an alert), and has no session either.
  EXPECT_FALSE(client.done());
  EXPECT_TRUE(client.failed());
}

TEST(DtlsSessionTest, ClientWithoutCertificateIsRefused) {
  std::unique_ptr<DtlsContext> tutti = NewContext();
  std::unique_ptr<DtlsContext> phone = NewContext();
  std::unique_ptr<DtlsSession> server = DtlsSession::CreateServer(*tutti, phone->fingerprint());
  DtlsTestClient client(nullptr, "SRTP_AES128_CM_SHA1_80");
  Pump(client, *server);
  EXPECT_EQ(server->state(), State::kFailed);
  EXPECT_EQ(server->failure(), Failure::kHandshake);
  EXPECT_FALSE(server->keys().active());
}

TEST(DtlsSessionTest, ClientOfferingNoSrtpProfileIsRefused) {
  std::unique_ptr<DtlsContext> tutti = NewContext();
  std::unique_ptr<DtlsContext> phone = NewContext();
  std::unique_ptr<DtlsSession> server = DtlsSession::CreateServer(*tutti, phone->fingerprint());
  DtlsTestClient client(phone.get(), "");
  Pump(client, *server);
  EXPECT_EQ(server->state(), State::kFailed);
  EXPECT_FALSE(server->keys().active());
}

TEST(DtlsSessionTest, HandshakeNotCompleteByTheDeadlineTimesOut) {
  std::unique_ptr<DtlsContext> tutti = NewContext({.handshake_timeout_us = 5'000'000});
  std::unique_ptr<DtlsContext> phone = NewContext();
  std::unique_ptr<DtlsSession> server = DtlsSession::CreateServer(*tutti, phone->fingerprint());
  DtlsTestClient client(phone.get(), "SRTP_AES128_CM_SHA1_80");
  // The ClientHello arrives and is answered; nothing more comes.
  for (const auto& datagram : client.Step()) server->OnDatagram(datagram, kStart);
  EXPECT_GT(server->outgoing_count(), 0u);
  EXPECT_EQ(server->OnTimer(kStart + 4'999'999), State::kHandshaking);
  EXPECT_EQ(server->OnTimer(kStart + 5'000'000), State::kFailed);
  EXPECT_EQ(server->failure(), Failure::kTimedOut);
}

TEST(DtlsSessionTest, EndlessDatagramsFailTheHandshakeAtTheBound) {
  std::unique_ptr<DtlsContext> tutti = NewContext();
  std::unique_ptr<DtlsContext> phone = NewContext();
  std::unique_ptr<DtlsSession> server = DtlsSession::CreateServer(*tutti, phone->fingerprint());
  // DTLS records that never make a handshake (application data of an epoch
  // not yet begun): each is discarded without an answer.
  std::array<uint8_t, 40> junk{};
  junk[0] = 23;  // application data
  junk[1] = 0xfe;
  junk[2] = 0xfd;
  junk[4] = 1;  // epoch 1
  junk[12] = 27;
  for (int i = 0; i < DtlsSession::kMaxHandshakeDatagrams; ++i) {
    junk[10] = static_cast<uint8_t>(i);
    ASSERT_EQ(server->OnDatagram(junk, kStart), State::kHandshaking) << i;
  }
  EXPECT_EQ(server->OnDatagram(junk, kStart), State::kFailed);
  EXPECT_EQ(server->failure(), Failure::kOverLimit);
  EXPECT_EQ(server->outgoing_count(), 0u);
}

// --- One leg: components, who may drive them -------------------------------

constexpr Endpoint kPhone{0x7f000001, 40000};
constexpr Endpoint kPhoneRtcp{0x7f000001, 40001};
constexpr Endpoint kStranger{0x0a000001, 5555};

class DtlsSrtpTest : public ::testing::Test {
 protected:
  using Kind = DtlsSrtp::Outcome::Kind;
  using Component = DtlsSrtp::Component;

  std::unique_ptr<DtlsContext> tutti_ = NewContext({.handshake_timeout_us = 10'000'000});
  std::unique_ptr<DtlsContext> phone_ = NewContext();
  std::unique_ptr<DtlsContext> impostor_ = NewContext();

  DtlsSpec Spec() const { return {tutti_.get(), phone_->fingerprint()}; }

  // Runs `client` against one component of `leg` from `from`; the outcomes
  // other than kNone in order.
  std::vector<DtlsSrtp::Outcome> Run(DtlsSrtp& leg, DtlsTestClient& client, Component component,
                                     const Endpoint& from, const Endpoint& signalled) {
    std::vector<DtlsSrtp::Outcome> outcomes;
    for (int round = 0; round < 10; ++round) {
      std::vector<std::vector<uint8_t>> to_server = client.Step();
      bool sent = false;
      for (const auto& datagram : to_server) {
        DtlsSrtp::Outcome outcome = leg.OnDatagram(component, from, datagram, signalled, kStart);
        if (outcome.kind != Kind::kNone) outcomes.push_back(outcome);
      }
      leg.Drain([&](Component c, const Endpoint& to, std::span<const uint8_t> bytes) {
        if (c == component && to == from) {
          client.Receive(bytes);
          sent = true;
        }
      });
      if (to_server.empty() && !sent) break;
    }
    return outcomes;
  }
};

TEST_F(DtlsSrtpTest, MuxedLegIsKeyedByOneHandshakeForRtpAndRtcp) {
  DtlsSrtp leg(Spec(), /*rtcp_mux=*/true, 0xaaaa);
  EXPECT_FALSE(leg.has_component(Component::kRtcp));
  EXPECT_EQ(leg.srtp(false), nullptr);  // nothing before the handshake
  DtlsTestClient client(phone_.get(), "SRTP_AES128_CM_SHA1_80");
  std::vector<DtlsSrtp::Outcome> outcomes = Run(leg, client, Component::kRtp, kPhone, kPhone);
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].kind, Kind::kCompleted);
  ASSERT_NE(leg.srtp(false), nullptr);
  EXPECT_EQ(leg.srtp(true), leg.srtp(false));
  EXPECT_FALSE(leg.handshaking());
  EXPECT_EQ(leg.peer(Component::kRtp), kPhone);
}

TEST_F(DtlsSrtpTest, RtcpOnItsOwnPortHasItsOwnHandshakeAndKeys) {
  DtlsSrtp leg(Spec(), /*rtcp_mux=*/false, 0xaaaa);
  DtlsTestClient rtp(phone_.get(), "SRTP_AES128_CM_SHA1_80");
  DtlsTestClient rtcp(phone_.get(), "SRTP_AES128_CM_SHA1_80");
  ASSERT_EQ(Run(leg, rtp, Component::kRtp, kPhone, kPhone).back().kind, Kind::kCompleted);
  EXPECT_EQ(leg.srtp(true), nullptr);  // no SRTCP until its own handshake
  EXPECT_TRUE(leg.handshaking());
  ASSERT_EQ(Run(leg, rtcp, Component::kRtcp, kPhoneRtcp, kPhoneRtcp).back().kind, Kind::kCompleted);
  ASSERT_NE(leg.srtp(true), nullptr);
  EXPECT_NE(leg.srtp(true), leg.srtp(false));
  EXPECT_NE(rtp.Keys().local, rtcp.Keys().local);
  EXPECT_FALSE(leg.handshaking());
}

TEST_F(DtlsSrtpTest, OnlyTheFirstSourceIsAnsweredAndTheSignalledAddressTakesItBack) {
  DtlsSrtp leg(Spec(), true, 0xaaaa);
  // A stranger gets there first and starts a handshake...
  DtlsTestClient stranger(impostor_.get(), "SRTP_AES128_CM_SHA1_80");
  for (const auto& datagram : stranger.Step()) {
    EXPECT_EQ(leg.OnDatagram(Component::kRtp, kStranger, datagram, kPhone, kStart).kind,
              Kind::kNone);
  }
  EXPECT_EQ(leg.peer(Component::kRtp), kStranger);
  // ... a third source is not answered at all ...
  DtlsTestClient third(phone_.get(), "SRTP_AES128_CM_SHA1_80");
  for (const auto& datagram : third.Step()) {
    EXPECT_EQ(leg.OnDatagram(Component::kRtp, {0x0a000002, 7}, datagram, kPhone, kStart).kind,
              Kind::kDropped);
  }
  // ... and the phone, from the address its SDP gave, takes the leg back.
  DtlsTestClient phone(phone_.get(), "SRTP_AES128_CM_SHA1_80");
  std::vector<DtlsSrtp::Outcome> outcomes = Run(leg, phone, Component::kRtp, kPhone, kPhone);
  ASSERT_FALSE(outcomes.empty());
  EXPECT_EQ(outcomes.back().kind, Kind::kCompleted);
  EXPECT_EQ(leg.peer(Component::kRtp), kPhone);
  // Done: the stranger's packets are dropped now, even from the first source.
  for (const auto& datagram : stranger.Step()) {
    EXPECT_EQ(leg.OnDatagram(Component::kRtp, kStranger, datagram, kPhone, kStart).kind,
              Kind::kDropped);
  }
}

TEST_F(DtlsSrtpTest, AStrangersWrongCertificateRestartsTheLegButTheSignalledPeersEndsIt) {
  DtlsSrtp leg(Spec(), true, 0xaaaa);
  DtlsTestClient stranger(impostor_.get(), "SRTP_AES128_CM_SHA1_80");
  std::vector<DtlsSrtp::Outcome> outcomes = Run(leg, stranger, Component::kRtp, kStranger, kPhone);
  ASSERT_FALSE(outcomes.empty());
  EXPECT_EQ(outcomes.back().kind, Kind::kFailed);
  EXPECT_EQ(outcomes.back().failure, Failure::kFingerprintMismatch);
  EXPECT_FALSE(outcomes.back().fatal);
  EXPECT_TRUE(leg.handshaking());

  DtlsTestClient impostor_at_phone(impostor_.get(), "SRTP_AES128_CM_SHA1_80");
  outcomes = Run(leg, impostor_at_phone, Component::kRtp, kPhone, kPhone);
  ASSERT_FALSE(outcomes.empty());
  EXPECT_EQ(outcomes.back().failure, Failure::kFingerprintMismatch);
  EXPECT_TRUE(outcomes.back().fatal);
  EXPECT_EQ(leg.srtp(false), nullptr);
}

TEST_F(DtlsSrtpTest, RtpComponentNotUpByTheDeadlineIsFatalAnRtcpOneIsGivenUp) {
  DtlsSrtp leg(Spec(), false, 0xaaaa);
  EXPECT_EQ(leg.OnTimer(Component::kRtp, kStart).kind, Kind::kNone);
  EXPECT_EQ(leg.OnTimer(Component::kRtcp, kStart + 9'999'999).kind, Kind::kNone);
  const DtlsSrtp::Outcome rtcp = leg.OnTimer(Component::kRtcp, kStart + 10'000'000);
  EXPECT_EQ(rtcp.kind, Kind::kFailed);
  EXPECT_EQ(rtcp.failure, Failure::kTimedOut);
  EXPECT_FALSE(rtcp.fatal);
  const DtlsSrtp::Outcome rtp = leg.OnTimer(Component::kRtp, kStart + 10'000'000);
  EXPECT_EQ(rtp.kind, Kind::kFailed);
  EXPECT_EQ(rtp.failure, Failure::kTimedOut);
  EXPECT_TRUE(rtp.fatal);
  EXPECT_FALSE(leg.handshaking());
}

TEST_F(DtlsSrtpTest, LegWithoutAUsableFingerprintNeverKeysAndEndsAtTheDeadline) {
  DtlsSrtp leg({tutti_.get(), {}}, true, 0xaaaa);
  EXPECT_EQ(leg.OnTimer(Component::kRtp, kStart).kind, Kind::kNone);  // the first tick
  DtlsTestClient phone(phone_.get(), "SRTP_AES128_CM_SHA1_80");
  for (const auto& datagram : phone.Step()) {
    EXPECT_EQ(leg.OnDatagram(Component::kRtp, kPhone, datagram, kPhone, kStart).kind,
              Kind::kDropped);
  }
  EXPECT_EQ(leg.srtp(false), nullptr);
  EXPECT_TRUE(leg.handshaking());
  const DtlsSrtp::Outcome outcome = leg.OnTimer(Component::kRtp, kStart + 10'000'000);
  EXPECT_EQ(outcome.kind, Kind::kFailed);
  EXPECT_TRUE(outcome.fatal);
}

}  // namespace
}  // namespace tutti::media
