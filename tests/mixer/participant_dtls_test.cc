// A DTLS-SRTP participant: nothing is sent or taken in clear before its
// handshake completes; the handshake's answers leave from its own port to
// the source that drove it; afterwards SRTP keyed by the handshake works
// both ways and the leg is latched to the peer that proved its certificate.
#include <array>
#include <cstring>
#include <vector>

#include "gtest/gtest.h"
#include "mediaplane/rtp/rtp_packet.h"
#include "mixer/conference.h"
#include "mixer/participant.h"
#include "tests/mediaplane/dtls_test_client.h"

namespace tutti::mixer {
namespace {

using Verdict = media::SrtpSession::Verdict;
using Kind = media::DtlsSrtp::Outcome::Kind;

// What the participant sends, kept.
class RecordingSink final : public TickSink {
 public:
  struct Sent {
    uint16_t local_port;
    media::Endpoint remote;
    std::vector<uint8_t> bytes;
  };
  uint8_t* NextBuffer() override { return buffer_.data(); }
  void Commit(uint16_t local_port, const media::Endpoint& remote, uint16_t size) override {
    sent.push_back({local_port, remote, {buffer_.begin(), buffer_.begin() + size}});
  }
  void TalkingChanged(uint64_t, bool) override {}
  std::vector<Sent> sent;

 private:
  std::array<uint8_t, media::kMaxDatagramBytes> buffer_{};
};

std::unique_ptr<media::DtlsContext> NewContext() {
  auto context = media::DtlsContext::Create();
  EXPECT_TRUE(context.ok()) << context.status();
  return context.ok() ? std::move(*context) : nullptr;
}

class ParticipantDtlsTest : public ::testing::Test {
 protected:
  // The SDP said 40000; the phone's packets come from 50000 (a NAT).
  static constexpr media::Endpoint kSignalled{0x7f000001, 40000};
  static constexpr media::Endpoint kPhone{0x7f000001, 50000};

  std::unique_ptr<media::DtlsContext> tutti_identity_ = NewContext();
  std::unique_ptr<media::DtlsContext> phone_identity_ = NewContext();
  std::unique_ptr<Participant> tutti_;
  RecordingSink sink_;
  std::array<uint8_t, media::kMaxDatagramBytes> buffer_{};

  void SetUp() override {
    ParticipantSpec spec;
    spec.id = 1;
    spec.codec = {media::CodecKind::kPcmu, 8000, 20};
    spec.payload_type = 0;
    spec.remote_rtp = kSignalled;
    spec.remote_rtcp = kSignalled;
    spec.rtcp_mux = true;
    spec.dtls = {tutti_identity_.get(), phone_identity_->fingerprint()};
    tutti_ = std::make_unique<Participant>(spec, media::PortPair(), 0xaaaa0001);
  }

  // The phone's handshake through OnDtls; the outcomes other than kNone.
  std::vector<Kind> Handshake(media::testing::DtlsTestClient& phone) {
    std::vector<Kind> outcomes;
    for (int round = 0; round < 10; ++round) {
      std::vector<std::vector<uint8_t>> flight = phone.Step();
      size_t before = sink_.sent.size();
      for (auto& datagram : flight) {
        media::Datagram in{.local_port = tutti_->rtp_port(),
                           .remote = kPhone,
                           .data = datagram.data(),
                           .size = static_cast<uint16_t>(datagram.size())};
        const Kind kind = tutti_->OnDtls(in, false, 1'000'000, sink_).kind;
        if (kind != Kind::kNone) outcomes.push_back(kind);
      }
      for (size_t i = before; i < sink_.sent.size(); ++i) phone.Receive(sink_.sent[i].bytes);
      if (flight.empty() && sink_.sent.size() == before) break;
    }
    return outcomes;
  }

  media::Datagram ClearRtp() {
    std::array<uint8_t, 160> payload;
    payload.fill(0x42);
    media::WriteRtpHeader({.payload_type = 0, .sequence = 7, .timestamp = 0, .ssrc = 0x1234},
                          buffer_.data());
    std::memcpy(buffer_.data() + media::kRtpHeaderSize, payload.data(), payload.size());
    return {.remote = kPhone, .data = buffer_.data(), .size = media::kRtpHeaderSize + 160};
  }
};

TEST_F(ParticipantDtlsTest, NothingGoesOrComesInClearBeforeTheHandshake) {
  EXPECT_TRUE(tutti_->encrypted());
  std::array<uint8_t, 160> payload{};
  EXPECT_EQ(tutti_->WriteRtp(payload, buffer_.data()), 0);
  tutti_->MaybeWriteRtcp(1'000'000, buffer_.data());
  EXPECT_EQ(tutti_->MaybeWriteRtcp(20'000'000, buffer_.data()), 0);
  media::Datagram clear = ClearRtp();
  EXPECT_NE(tutti_->Unprotect(clear, false), Verdict::kOk);
  EXPECT_EQ(tutti_->stats().srtp_auth_failed, 1u);
}

TEST_F(ParticipantDtlsTest, HandshakeKeysSrtpBothWaysAndLatchesTheVerifiedPeer) {
  media::testing::DtlsTestClient phone(phone_identity_.get(), "SRTP_AES128_CM_SHA1_80");
  EXPECT_EQ(Handshake(phone), std::vector<Kind>{Kind::kCompleted});
  ASSERT_TRUE(phone.done());
  ASSERT_FALSE(sink_.sent.empty());
  for (const RecordingSink::Sent& sent : sink_.sent) {
    EXPECT_EQ(sent.local_port, tutti_->rtp_port());
    EXPECT_EQ(sent.remote, kPhone);  // answered where it came from
  }
  EXPECT_FALSE(tutti_->dtls_handshaking());
  EXPECT_TRUE(tutti_->latched());
  EXPECT_EQ(tutti_->rtp_destination(), kPhone);
  // Latched: DTLS from anyone else, on either port, is not even read.
  std::array<uint8_t, 20> hello{22, 0xfe, 0xfd};
  for (bool rtcp_port : {false, true}) {
    media::Datagram stranger{.remote = {0x0a000001, 5555}, .data = hello.data(), .size = 20};
    EXPECT_EQ(tutti_->OnDtls(stranger, rtcp_port, 2'000'000, sink_).kind, Kind::kDropped);
  }
  EXPECT_EQ(tutti_->stats().foreign_source, 2u);

  // The phone's SRTP, keyed by its side of the handshake, is taken...
  const media::SrtpKeys phone_keys = phone.Keys();
  std::unique_ptr<media::SrtpSession> phone_srtp = media::SrtpSession::Create(phone_keys, 0x1234);
  ASSERT_NE(phone_srtp, nullptr);
  media::Datagram in = ClearRtp();
  size_t size = in.size;
  ASSERT_TRUE(phone_srtp->ProtectRtp(buffer_.data(), &size, buffer_.size()));
  in.size = static_cast<uint16_t>(size);
  ASSERT_EQ(tutti_->Unprotect(in, false), Verdict::kOk);
  tutti_->OnRtp(in, 1'000'000);
  EXPECT_EQ(tutti_->stats().packets_in, 1u);
  // ... and what tutti sends is SRTP the phone can read, not clear RTP.
  std::array<uint8_t, 160> payload;
  payload.fill(0x42);
  const uint16_t sent = tutti_->WriteRtp(payload, buffer_.data());
  ASSERT_EQ(sent, media::kRtpHeaderSize + 160 + 10);
  EXPECT_NE(0, std::memcmp(buffer_.data() + media::kRtpHeaderSize, payload.data(), 16));
  size = sent;
  EXPECT_EQ(phone_srtp->UnprotectRtp(buffer_.data(), &size), Verdict::kOk);
  EXPECT_EQ(buffer_[media::kRtpHeaderSize], 0x42);
}

TEST_F(ParticipantDtlsTest, DtlsToALegWithoutItIsDroppedAndCounted) {
  ParticipantSpec plain = tutti_->spec();
  plain.dtls = {};
  Participant leg(plain, media::PortPair(), 0xbbbb0002);
  std::array<uint8_t, 20> hello{22, 0xfe, 0xfd};
  media::Datagram in{.remote = kPhone, .data = hello.data(), .size = hello.size()};
  EXPECT_EQ(leg.OnDtls(in, false, 0, sink_).kind, Kind::kDropped);
  EXPECT_TRUE(sink_.sent.empty());
  EXPECT_EQ(leg.stats().foreign, 1u);
}

}  // namespace
}  // namespace tutti::mixer
