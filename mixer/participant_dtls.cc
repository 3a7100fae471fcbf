// The DTLS-SRTP side of a participant: DTLS datagrams on its ports, its
// handshake timers, and the latch its completed handshake sets. Kept apart
// from participant.cc, which is about media.
#include <cstring>

#include "mixer/conference.h"
#include "mixer/participant.h"

namespace tutti::mixer {
namespace {
using Component = media::DtlsSrtp::Component;
using Outcome = media::DtlsSrtp::Outcome;
}  // namespace

Outcome Participant::OnDtls(const media::Datagram& datagram, bool rtcp_port, int64_t now_us,
                            TickSink& sink) {
  owner_.Check();
  Outcome outcome;
  outcome.kind = Outcome::Kind::kDropped;
  if (dtls_ == nullptr) {
    ++stats_.foreign;  // DTLS to a leg that negotiated none: not media of its own
    return outcome;
  }
  const Component component = rtcp_port ? Component::kRtcp : Component::kRtp;
  // The leg's latch rules DTLS too: once latched (the RTP handshake done),
  // only the latched source is heard on either port.
  if (latched_ && !(datagram.remote == (rtcp_port ? remote_rtcp_ : remote_rtp_))) {
    ++stats_.foreign_source;
    return outcome;
  }
  outcome = dtls_->OnDatagram(component, datagram.remote, {datagram.data, datagram.size},
                              rtcp_port ? spec_.remote_rtcp : spec_.remote_rtp, now_us);
  if (outcome.kind == Outcome::Kind::kDropped) ++stats_.foreign_source;
  if (outcome.kind == Outcome::Kind::kCompleted) {
    // The peer proved it holds the key its SDP named: its address is the
    // leg's latch, for media both ways (RTCP beside it, as Latch places it).
    const media::Endpoint& peer = dtls_->peer(component);
    if (component == Component::kRtp) {
      Latch(peer, now_us);
    } else {
      remote_rtcp_ = peer;
    }
  }
  SendDtls(sink);
  return outcome;
}

std::array<Outcome, 2> Participant::DtlsTick(int64_t now_us, TickSink& sink) {
  owner_.Check();
  std::array<Outcome, 2> outcomes{};
  if (dtls_ == nullptr) return outcomes;
  outcomes[0] = dtls_->OnTimer(Component::kRtp, now_us);
  outcomes[1] = dtls_->OnTimer(Component::kRtcp, now_us);
  SendDtls(sink);
  return outcomes;
}

void Participant::SendDtls(TickSink& sink) {
  dtls_->Drain([&](Component component, const media::Endpoint& to, std::span<const uint8_t> bytes) {
    uint8_t* out = sink.NextBuffer();
    std::memcpy(out, bytes.data(), bytes.size());
    sink.Commit(component == Component::kRtcp ? rtcp_port() : rtp_port(), to,
                static_cast<uint16_t>(bytes.size()));
  });
}

}  // namespace tutti::mixer
