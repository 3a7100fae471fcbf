// DTLS-SRTP (RFC 5764) for one call leg: a DTLS association per component
// (RTP, and RTCP on its own port when RTCP is not multiplexed, §4.1.1), the
// SRTP contexts their keys make, and who may drive them.
//
// Who: the first source a component hears DTLS from becomes its peer, and
// nobody else is answered; the address the peer's SDP gave takes a
// component back from a stranger who got there first (the same rule as the
// RTP latch). A handshake that fails with a stranger only starts the
// component afresh (a stranger cannot end the call); one that fails with
// the signalled address, or keeps failing, ends it. Once the RTP component
// is up, its peer is the leg's latched source.
//
// Runs on the media worker that owns the leg (why there, not on the control
// thread: the datagrams arrive and must leave on the worker's media port,
// a handshake is a handful of packets per call, and each call into OpenSSL
// here is bounded: one datagram in, at most one flight out, no blocking).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>

#include "mediaplane/dtls_context.h"
#include "mediaplane/dtls_session.h"
#include "mediaplane/packet_io.h"
#include "mediaplane/srtp_session.h"

namespace tutti::media {

// RFC 7983 §7: a first byte of 20..63 is DTLS (128..191 RTP/RTCP, 0..3 STUN).
inline bool IsDtlsRecord(std::span<const uint8_t> datagram) {
  return !datagram.empty() && datagram[0] >= 20 && datagram[0] <= 63;
}

// What signaling negotiated: our identity (process-wide) and the peer's
// a=fingerprint. Plain data: copies without allocating.
struct DtlsSpec {
  const DtlsContext* context = nullptr;  // null: no DTLS-SRTP on this leg
  CertificateFingerprint remote;
  bool active() const { return context != nullptr; }
  bool operator==(const DtlsSpec& other) const {
    return context == other.context && remote == other.remote;
  }
};

class DtlsSrtp {
 public:
  enum class Component : uint8_t { kRtp = 0, kRtcp = 1 };

  struct Outcome {
    enum class Kind : uint8_t {
      kNone,       // handled (or waiting); nothing to report
      kDropped,    // not from the component's peer, or no such component
      kCompleted,  // the component's handshake completed: its SRTP is keyed
      kFailed,     // the handshake failed (see failure)
    };
    Kind kind = Kind::kNone;
    Component component = Component::kRtp;
    DtlsSession::Failure failure = DtlsSession::Failure::kNone;
    bool fatal = false;  // the leg cannot go on encrypted: end the call
  };

  // A failed handshake with a stranger restarts the component; this many
  // restarts in all, then the next failure is fatal.
  static constexpr int kMaxRestarts = 4;

  DtlsSrtp(const DtlsSpec& spec, bool rtcp_mux, uint32_t local_ssrc);

  // One DTLS datagram that arrived on the component's port from `from`.
  // `signalled` is the SDP's address for that component.
  Outcome OnDatagram(Component component, const Endpoint& from, std::span<const uint8_t> datagram,
                     const Endpoint& signalled, int64_t now_us);
  // Retransmission and the leg's deadline (the first call starts it): the
  // RTP component not up in time is fatal; an RTCP component is given up
  // (RTCP is then neither sent nor taken).
  Outcome OnTimer(Component component, int64_t now_us);
  bool handshaking() const;

  // The SRTP context for what goes over `component`'s port; null until that
  // component's handshake completed. With rtcp-mux both are the RTP one.
  SrtpSession* srtp(bool rtcp) const;
  bool has_component(Component component) const;

  const Endpoint& peer(Component component) const { return At(component).peer; }

  // Hands every queued datagram to send(component, destination, bytes) and
  // empties the queues.
  template <typename Send>
  void Drain(Send&& send) {
    for (size_t i = 0; i < parts_.size(); ++i) {
      Part& part = parts_[i];
      if (!part.session) continue;
      for (size_t j = 0; j < part.session->outgoing_count(); ++j) {
        send(static_cast<Component>(i), part.peer, part.session->outgoing(j));
      }
      part.session->ClearOutgoing();
    }
  }

 private:
  struct Part {
    bool present = false;
    std::unique_ptr<DtlsSession> session;
    std::unique_ptr<SrtpSession> srtp;
    Endpoint peer;
    bool has_peer = false;
    bool given_up = false;
  };
  Part& At(Component component) { return parts_[static_cast<size_t>(component)]; }
  const Part& At(Component component) const { return parts_[static_cast<size_t>(component)]; }
  // After the session's state changed: key SRTP, or fail/restart.
  Outcome Settle(Component component, bool peer_signalled);
  void Restart(Part& part);

  DtlsSpec spec_;
  uint32_t local_ssrc_;
  bool rtcp_mux_;
  int restarts_ = 0;
  int64_t deadline_us_ = -1;
  std::array<Part, 2> parts_;
};

}  // namespace tutti::media
