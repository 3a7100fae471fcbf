#include "mixer/media_transport.h"

#include <cstring>

#include "mixer/conference.h"

namespace tutti::mixer {
namespace {

using Component = media::DtlsSrtp::Component;
using Outcome = media::DtlsSrtp::Outcome;

// The latched source must have sent nothing at all (RTP of any payload type,
// RTCP) for this long before another may take its place. Longer than Opus
// DTX's 400 ms keep-alive and any loss burst a call survives; short enough
// that a NAT rebinding (the old mapping dies, the new one sends at once)
// costs two seconds of audio. A stranger cannot take a live stream's latch:
// the latched phone would have to stop sending entirely.
constexpr int64_t kLatchQuietUs = 2'000'000;
// ... and the new source must have sent this many valid packets of one SSRC
// in a row, each within kCandidateGapUs of the last: 200 ms of 20 ms audio,
// and a stray packet or two (a previous call's tail) never qualifies.
constexpr int kLatchMovePackets = 10;
constexpr int64_t kCandidateGapUs = 500'000;

}  // namespace

MediaTransport::MediaTransport(const TransportSpec& spec, media::PortPair ports, uint32_t ssrc)
    : spec_(spec),
      ports_(std::move(ports)),
      ssrc_(ssrc),
      remote_rtp_(spec.remote_rtp),
      remote_rtcp_(spec.remote_rtcp) {
  if (spec.srtp.active()) srtp_ = media::SrtpSession::Create(spec.srtp, ssrc_);
  if (spec.dtls.active()) {
    dtls_ = std::make_unique<media::DtlsSrtp>(spec.dtls, spec.rtcp_mux, ssrc_);
  }
}

void MediaTransport::Update(const TransportSpec& spec) {
  const bool moved = !(spec.remote_rtp == spec_.remote_rtp);
  spec_.remote_rtp = spec.remote_rtp;
  spec_.remote_rtcp = spec.remote_rtcp;
  spec_.rtcp_mux = spec.rtcp_mux;
  // New keys (a re-INVITE that re-keyed) start a new context; unchanged keys
  // keep it, so the rollover counter and replay window carry on.
  if (!(spec.srtp == spec_.srtp)) {
    spec_.srtp = spec.srtp;
    srtp_ = spec.srtp.active() ? media::SrtpSession::Create(spec.srtp, ssrc_) : nullptr;
  }
  // The same peer certificate keeps the DTLS associations and their keys.
  if (!(spec.dtls == spec_.dtls)) {
    spec_.dtls = spec.dtls;
    dtls_ = spec.dtls.active() ? std::make_unique<media::DtlsSrtp>(spec.dtls, spec.rtcp_mux, ssrc_)
                               : nullptr;
  }
  if (moved) {
    // The peer says its media moved: send to the new address (within what
    // is left of the unverified allowance) and latch afresh.
    remote_rtp_ = spec.remote_rtp;
    remote_rtcp_ = spec.remote_rtcp;
    // A stream that was never heard from keeps its clock running.
    if (latched_) unverified_since_us_ = -1;
    latched_ = false;
    candidate_packets_ = 0;
  } else if (latched_) {
    Latch(remote_rtp_, last_heard_us_);  // rtcp-mux may have changed
  }
}

void MediaTransport::Latch(const media::Endpoint& source, int64_t now_us) {
  if (!latched_ && unverified_since_us_ >= 0) {
    // The time spent sending to an unheard address comes off the allowance.
    unverified_used_us_ += now_us - unverified_since_us_;
    unverified_since_us_ = -1;
  }
  latched_ = true;
  remote_rtp_ = source;
  // RTCP beside it: the same address with rtcp-mux; the SDP's RTCP address
  // when the source is the SDP's RTP address; else the port above (RFC 3550
  // §11), which is what a NAT keeps for an adjacent pair.
  if (spec_.rtcp_mux) {
    remote_rtcp_ = source;
  } else if (source == spec_.remote_rtp) {
    remote_rtcp_ = spec_.remote_rtcp;
  } else {
    remote_rtcp_ = source.WithPort(static_cast<uint16_t>(source.port + 1));
  }
  last_heard_us_ = now_us;
  candidate_packets_ = 0;
}

bool MediaTransport::MayMoveLatch(const media::Endpoint& source, uint32_t ssrc, int64_t now_us) {
  // The address the peer itself signalled takes the latch back at once (a
  // stranger who got there first, or a phone that moved by re-INVITE while
  // its old address still sent).
  if (source == spec_.remote_rtp) return true;
  if (candidate_packets_ == 0 || !(source == candidate_) || ssrc != candidate_ssrc_ ||
      now_us - candidate_last_us_ > kCandidateGapUs) {
    candidate_ = source;
    candidate_ssrc_ = ssrc;
    candidate_packets_ = 0;
  }
  candidate_last_us_ = now_us;
  ++candidate_packets_;
  return candidate_packets_ >= kLatchMovePackets && now_us - last_heard_us_ >= kLatchQuietUs;
}

bool MediaTransport::AcceptRtp(const media::Endpoint& source, uint32_t ssrc, bool agreed,
                               int64_t now_us) {
  // Symmetric RTP (RFC 4961): answer to where the media really comes from,
  // which is what gets through NAT; but only ever to one source at a time.
  if (!latched_ || !(source == remote_rtp_)) {
    if (latched_ && (!agreed || !MayMoveLatch(source, ssrc, now_us))) {
      ++counters_.foreign_source;
      return false;
    }
    if (agreed) Latch(source, now_us);
  }
  // Any payload type from the latched source (comfort noise too) shows the peer is there.
  if (latched_) last_heard_us_ = now_us;
  return true;
}

bool MediaTransport::AcceptRtcpFrom(const media::Endpoint& source) {
  // Only the latched source's RTCP, or before the latch the SDP's RTCP
  // address: anyone else's would keep the stream alive (and tutti sending)
  // or steer its encoder.
  if (source == (latched_ ? remote_rtcp_ : spec_.remote_rtcp)) return true;
  ++counters_.foreign_source;
  return false;
}

void MediaTransport::OnValidRtcp(int64_t now_us) {
  if (!latched_) Latch(spec_.remote_rtp, now_us);
  last_heard_us_ = now_us;
}

bool MediaTransport::MaySend(int64_t now_us) {
  if (latched_) return consent_timeout_us_ <= 0 || now_us - last_heard_us_ <= consent_timeout_us_;
  if (unverified_send_us_ <= 0) return true;
  if (unverified_since_us_ < 0) unverified_since_us_ = now_us;
  return unverified_used_us_ + (now_us - unverified_since_us_) < unverified_send_us_;
}

media::SrtpSession::Verdict MediaTransport::Unprotect(media::Datagram& datagram, bool rtcp) {
  using Verdict = media::SrtpSession::Verdict;
  if (!encrypted()) return Verdict::kOk;
  size_t size = datagram.size;
  Verdict verdict = Verdict::kMalformed;
  if (media::SrtpSession* srtp = SrtpFor(rtcp)) {
    verdict =
        rtcp ? srtp->UnprotectRtcp(datagram.data, &size) : srtp->UnprotectRtp(datagram.data, &size);
  }
  if (verdict == Verdict::kOk) {
    datagram.size = static_cast<uint16_t>(size);
  } else if (verdict == Verdict::kReplayed) {
    ++counters_.srtp_replayed;
  } else {
    ++counters_.srtp_auth_failed;
  }
  return verdict;
}

bool MediaTransport::Protect(uint8_t* packet, size_t* size, bool rtcp) {
  if (!encrypted()) return true;
  media::SrtpSession* srtp = SrtpFor(rtcp);
  if (srtp == nullptr) return false;
  return rtcp ? srtp->ProtectRtcp(packet, size, media::kMaxDatagramBytes)
              : srtp->ProtectRtp(packet, size, media::kMaxDatagramBytes);
}

Outcome MediaTransport::OnDtls(const media::Datagram& datagram, bool rtcp_port, int64_t now_us,
                               TickSink& sink) {
  Outcome outcome;
  outcome.kind = Outcome::Kind::kDropped;
  if (dtls_ == nullptr) {
    ++counters_.foreign;  // DTLS to a stream that negotiated none: not media of its own
    return outcome;
  }
  const Component component = rtcp_port ? Component::kRtcp : Component::kRtp;
  // The latch rules DTLS too: once latched (the RTP handshake done), only
  // the latched source is heard on either port.
  if (latched_ && !(datagram.remote == (rtcp_port ? remote_rtcp_ : remote_rtp_))) {
    ++counters_.foreign_source;
    return outcome;
  }
  outcome = dtls_->OnDatagram(component, datagram.remote, {datagram.data, datagram.size},
                              rtcp_port ? spec_.remote_rtcp : spec_.remote_rtp, now_us);
  if (outcome.kind == Outcome::Kind::kDropped) ++counters_.foreign_source;
  if (outcome.kind == Outcome::Kind::kCompleted) {
    // The peer proved it holds the key its SDP named: its address is the
    // latch, for media both ways (RTCP beside it, as Latch places it).
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

std::array<Outcome, 2> MediaTransport::DtlsTick(int64_t now_us, TickSink& sink) {
  std::array<Outcome, 2> outcomes{};
  if (dtls_ == nullptr) return outcomes;
  outcomes[0] = dtls_->OnTimer(Component::kRtp, now_us);
  outcomes[1] = dtls_->OnTimer(Component::kRtcp, now_us);
  SendDtls(sink);
  return outcomes;
}

void MediaTransport::SendDtls(TickSink& sink) {
  dtls_->Drain([&](Component component, const media::Endpoint& to, std::span<const uint8_t> bytes) {
    uint8_t* out = sink.NextBuffer();
    std::memcpy(out, bytes.data(), bytes.size());
    sink.Commit(component == Component::kRtcp ? rtcp_port() : rtp_port(), to,
                static_cast<uint16_t>(bytes.size()));
  });
}

}  // namespace tutti::mixer
