#include "mediaplane/dtls_srtp.h"

namespace tutti::media {

DtlsSrtp::DtlsSrtp(const DtlsSpec& spec, bool rtcp_mux, uint32_t local_ssrc)
    : spec_(spec), local_ssrc_(local_ssrc), rtcp_mux_(rtcp_mux) {
  At(Component::kRtp).present = true;
  At(Component::kRtcp).present = !rtcp_mux;
  for (Part& part : parts_) {
    if (part.present && spec_.active()) {
      part.session = DtlsSession::CreateServer(*spec_.context, spec_.remote);
    }
  }
}

bool DtlsSrtp::has_component(Component component) const { return At(component).present; }

bool DtlsSrtp::handshaking() const {
  for (const Part& part : parts_) {
    if (part.present && !part.given_up && part.srtp == nullptr) return true;
  }
  return false;
}

SrtpSession* DtlsSrtp::srtp(bool rtcp) const {
  return At(rtcp && !rtcp_mux_ ? Component::kRtcp : Component::kRtp).srtp.get();
}

void DtlsSrtp::Restart(Part& part) {
  part.session = DtlsSession::CreateServer(*spec_.context, spec_.remote);
  part.has_peer = false;
}

DtlsSrtp::Outcome DtlsSrtp::OnDatagram(Component component, const Endpoint& from,
                                       std::span<const uint8_t> datagram, const Endpoint& signalled,
                                       int64_t now_us) {
  Outcome outcome;
  outcome.component = component;
  Part& part = At(component);
  if (!part.present || part.given_up || part.session == nullptr) {
    outcome.kind = Outcome::Kind::kDropped;
    return outcome;
  }
  if (deadline_us_ < 0) deadline_us_ = now_us + spec_.context->options().handshake_timeout_us;
  if (part.has_peer && !(from == part.peer)) {
    // Only the signalled address may take a component from a stranger, and
    // only before its handshake completed.
    if (part.srtp != nullptr || !(from == signalled) || part.peer == signalled ||
        restarts_ >= kMaxRestarts) {
      outcome.kind = Outcome::Kind::kDropped;
      return outcome;
    }
    ++restarts_;
    Restart(part);
    if (part.session == nullptr) {
      outcome.kind = Outcome::Kind::kFailed;
      outcome.failure = DtlsSession::Failure::kHandshake;
      outcome.fatal = component == Component::kRtp;
      return outcome;
    }
  }
  if (!part.has_peer) {
    part.peer = from;
    part.has_peer = true;
  }
  const bool was_connected = part.srtp != nullptr;
  part.session->OnDatagram(datagram, now_us);
  if (was_connected) return outcome;
  return Settle(component, from == signalled);
}

DtlsSrtp::Outcome DtlsSrtp::Settle(Component component, bool peer_signalled) {
  Outcome outcome;
  outcome.component = component;
  Part& part = At(component);
  switch (part.session->state()) {
    case DtlsSession::State::kHandshaking:
      return outcome;
    case DtlsSession::State::kConnected:
      part.srtp = SrtpSession::Create(part.session->keys(), local_ssrc_);
      if (part.srtp == nullptr) {
        // libsrtp refused keys OpenSSL made: nothing to retry.
        outcome.kind = Outcome::Kind::kFailed;
        outcome.failure = DtlsSession::Failure::kHandshake;
        outcome.fatal = true;
        part.given_up = true;
        return outcome;
      }
      outcome.kind = Outcome::Kind::kCompleted;
      return outcome;
    case DtlsSession::State::kFailed:
      break;
  }
  outcome.kind = Outcome::Kind::kFailed;
  outcome.failure = part.session->failure();
  if (!peer_signalled && restarts_ < kMaxRestarts &&
      outcome.failure != DtlsSession::Failure::kTimedOut) {
    // A stranger's (or a NATed peer's) failed try: start afresh for whoever
    // comes next, within the leg's deadline.
    ++restarts_;
    Restart(part);
    if (part.session != nullptr) return outcome;
  }
  // The session stays: its last flight (the alert) is still to be sent.
  part.given_up = true;
  outcome.fatal = true;
  return outcome;
}

DtlsSrtp::Outcome DtlsSrtp::OnTimer(Component component, int64_t now_us) {
  Outcome outcome;
  outcome.component = component;
  Part& part = At(component);
  if (!part.present || part.given_up || part.srtp != nullptr || !spec_.active()) return outcome;
  if (deadline_us_ < 0) deadline_us_ = now_us + spec_.context->options().handshake_timeout_us;
  if (now_us >= deadline_us_) {
    outcome.kind = Outcome::Kind::kFailed;
    outcome.failure = DtlsSession::Failure::kTimedOut;
    outcome.fatal = component == Component::kRtp;
    part.given_up = true;
    return outcome;
  }
  // No session (OpenSSL could not make one, or no usable fingerprint): the
  // deadline above ends the leg; nothing goes in clear meanwhile.
  if (part.session == nullptr) return outcome;
  part.session->OnTimer(now_us);
  if (part.session->state() == DtlsSession::State::kFailed) {
    // Out of retransmissions: the peer is not answering.
    outcome.kind = Outcome::Kind::kFailed;
    outcome.failure = part.session->failure();
    outcome.fatal = component == Component::kRtp;
    part.given_up = true;
  }
  return outcome;
}

}  // namespace tutti::media
