// One media stream's transport on a worker: its port pair, whom it hears and
// answers (the latch), whether it may send (consent), and its SRTP or
// DTLS-SRTP. A participant's audio has one; each of its video streams has
// another, so every stream is guarded by the same rules. Built on the
// control thread, then used by the owning worker's thread alone.
#pragma once

#include <array>
#include <cstdint>
#include <memory>

#include "mediaplane/dtls_srtp.h"
#include "mediaplane/endpoint.h"
#include "mediaplane/packet_io.h"
#include "mediaplane/port_allocator.h"
#include "mediaplane/srtp_session.h"

namespace tutti::mixer {

class TickSink;

// Where a stream's peer is and how its media is protected, as signalled.
struct TransportSpec {
  media::Endpoint remote_rtp;
  media::Endpoint remote_rtcp;  // equal to remote_rtp with rtcp-mux
  bool rtcp_mux = false;
  media::SrtpKeys srtp;  // SDES keys; inactive for plain RTP
  media::DtlsSpec dtls;  // DTLS-SRTP: the keys come from a handshake on the port
};

// The transport fields of a stream's spec (ParticipantSpec's audio,
// VideoStreamSpec), which carry them under the same names.
template <typename Spec>
TransportSpec TransportOf(const Spec& spec) {
  return {spec.remote_rtp, spec.remote_rtcp, spec.rtcp_mux, spec.srtp, spec.dtls};
}

// What the transport dropped or held back (added into ParticipantStats).
struct TransportCounters {
  uint64_t foreign = 0;  // DTLS to a stream that negotiated none
  // RTP, RTCP and DTLS from a source other than the latched one.
  uint64_t foreign_source = 0;
  uint64_t withheld = 0;  // not sent: the peer never answered or went silent
  uint64_t srtp_auth_failed = 0;
  uint64_t srtp_replayed = 0;
};

class MediaTransport {
 public:
  MediaTransport(const TransportSpec& spec, media::PortPair ports, uint32_t ssrc);
  MediaTransport(const MediaTransport&) = delete;
  MediaTransport& operator=(const MediaTransport&) = delete;

  const media::PortPair& ports() const { return ports_; }
  uint16_t rtp_port() const { return ports_.rtp_port(); }
  uint16_t rtcp_port() const { return ports_.rtcp_port(); }
  const TransportCounters& counters() const { return counters_; }

  // A re-INVITE's new address, rtcp-mux or keys. New keys start a new SRTP
  // context (allocates, on a re-key only); the same keys keep it.
  void Update(const TransportSpec& spec);

  // Sending limits (from [media] unverified_send_s and consent_timeout_s); 0
  // turns a limit off. Set each time a worker takes the stream (what was
  // used of the allowance stays used across a lobby -> room move).
  void SetSendLimits(int64_t unverified_send_us, int64_t consent_timeout_us) {
    unverified_send_us_ = unverified_send_us;
    consent_timeout_us_ = consent_timeout_us;
  }

  // SRTP/SRTCP in place: `datagram.size` shrinks to the clear packet.
  // Anything but kOk is counted here and must be dropped. A plain stream
  // passes everything; an encrypted one without a usable context nothing.
  media::SrtpSession::Verdict Unprotect(media::Datagram& datagram, bool rtcp);
  // In place, into a kMaxDatagramBytes buffer; false: drop the packet.
  bool Protect(uint8_t* packet, size_t* size, bool rtcp);
  bool encrypted() const { return spec_.srtp.active() || spec_.dtls.active(); }

  // Latch (symmetric RTP, RFC 4961, made safe against strangers): the first
  // source of valid RTP, or an RTCP report from the SDP's RTCP address,
  // becomes the one address the stream hears and answers. It moves only to
  // the SDP address itself, or to a new source that sent kLatchMovePackets
  // of one SSRC in a row after the latched source fell quiet for
  // kLatchQuietUs (a NAT rebinding).
  //
  // A valid RTP packet from `source`: true when it is the peer's (the latch
  // may have moved to it); false when a stranger sent it (counted). Only
  // packets of an agreed payload type latch or move the latch.
  bool AcceptRtp(const media::Endpoint& source, uint32_t ssrc, bool agreed, int64_t now_us);
  // An RTCP packet from `source`: true when it may be read (the latched
  // source, or before the latch the SDP's RTCP address); false: counted.
  bool AcceptRtcpFrom(const media::Endpoint& source);
  // A valid RTCP compound came from the accepted source: before the latch,
  // the SDP's RTP address is latched (a peer that only listens sends nothing else).
  void OnValidRtcp(int64_t now_us);

  // May media go to the peer now? Before anything came from it, only for
  // unverified_send_us in all (not renewed by re-INVITEs that move the
  // address: a stream cannot be made to point tutti at a third party for
  // ever); once latched, while the latched source was heard from within
  // consent_timeout_us. The first call after the join or a move starts the
  // unverified clock.
  bool MaySend(int64_t now_us);
  void CountWithheld() { ++counters_.withheld; }
  bool latched() const { return latched_; }
  const media::Endpoint& rtp_destination() const { return remote_rtp_; }
  const media::Endpoint& rtcp_destination() const { return remote_rtcp_; }

  // DTLS-SRTP: a DTLS datagram (RFC 7983) that came to the RTP or RTCP
  // port; what it answers goes out through `sink`. Until a component's
  // handshake completes, its media is neither sent nor taken.
  media::DtlsSrtp::Outcome OnDtls(const media::Datagram& datagram, bool rtcp_port, int64_t now_us,
                                  TickSink& sink);
  // Retransmissions and the handshake deadline of each component.
  std::array<media::DtlsSrtp::Outcome, 2> DtlsTick(int64_t now_us, TickSink& sink);
  bool dtls_handshaking() const { return dtls_ != nullptr && dtls_->handshaking(); }

 private:
  void Latch(const media::Endpoint& source, int64_t now_us);
  bool MayMoveLatch(const media::Endpoint& source, uint32_t ssrc, int64_t now_us);
  // The context for RTP or RTCP: SDES's one, or the DTLS component's (null
  // until its handshake completed).
  media::SrtpSession* SrtpFor(bool rtcp) const { return dtls_ ? dtls_->srtp(rtcp) : srtp_.get(); }
  void SendDtls(TickSink& sink);

  TransportSpec spec_;
  media::PortPair ports_;
  uint32_t ssrc_;
  std::unique_ptr<media::SrtpSession> srtp_;  // SDES; null on a plain stream
  std::unique_ptr<media::DtlsSrtp> dtls_;     // DTLS-SRTP; null otherwise

  media::Endpoint remote_rtp_;   // the latched RTP source (before it: the SDP address)
  media::Endpoint remote_rtcp_;  // where RTCP is taken from and sent to
  bool latched_ = false;
  int64_t last_heard_us_ = 0;  // any packet from the latched source
  media::Endpoint candidate_;  // a new source that may take the latch
  uint32_t candidate_ssrc_ = 0;
  int candidate_packets_ = 0;
  int64_t candidate_last_us_ = 0;
  int64_t unverified_send_us_ = 5'000'000;
  int64_t unverified_used_us_ = 0;    // by earlier addresses of this stream
  int64_t unverified_since_us_ = -1;  // -1: the clock starts at the next MaySend
  int64_t consent_timeout_us_ = 10'000'000;

  TransportCounters counters_;
};

}  // namespace tutti::mixer
