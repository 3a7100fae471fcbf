// One DTLS association (RFC 6347) of DTLS-SRTP (RFC 5764), tutti as the
// DTLS server, run on memory: received datagrams are fed in, the datagrams
// OpenSSL writes are queued for the caller to send from the media port. No
// socket, no thread, no blocking; every call does a bounded amount of work.
//
// On success it holds the SRTP master keys exported from the handshake
// (server side: we protect with the server's key, unprotect with the
// client's). The peer's certificate must match the fingerprint its SDP gave,
// or the handshake is refused with an alert.
//
// Built where the leg is built (SSL_new allocates); the handshake itself
// allocates inside OpenSSL, a few packets per call, never per media packet.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "mediaplane/dtls_context.h"
#include "mediaplane/packet_io.h"
#include "mediaplane/srtp_session.h"

struct ssl_st;
struct bio_st;

namespace tutti::media {

class DtlsSession {
 public:
  enum class State : uint8_t { kHandshaking, kConnected, kFailed };
  enum class Failure : uint8_t {
    kNone,
    kHandshake,            // a protocol error, an alert, no common SRTP profile, no certificate
    kFingerprintMismatch,  // the peer's certificate is not the one its SDP named
    kTimedOut,             // not complete within the context's handshake timeout
    kOverLimit,            // more datagrams or bytes than a handshake needs
  };

  // The handshake's bounds: a DTLS 1.2 handshake is 3 flights from the
  // client (a few datagrams each, retransmitted a few times at most).
  static constexpr int kMaxHandshakeDatagrams = 64;
  // Our flight is at most this many datagrams and bytes at once (an ECDSA
  // P-256 flight is under 1 KB); OpenSSL writing more fails the handshake.
  static constexpr size_t kMaxOutgoingDatagrams = 8;
  static constexpr size_t kMaxOutgoingBytes = 8 * kMaxDatagramBytes;
  // What we tell OpenSSL the path takes: below any tunnel's MTU.
  static constexpr int kMtu = 1200;

  // Null if OpenSSL cannot make the session.
  static std::unique_ptr<DtlsSession> CreateServer(const DtlsContext& context,
                                                   const CertificateFingerprint& expected);
  ~DtlsSession();
  DtlsSession(const DtlsSession&) = delete;
  DtlsSession& operator=(const DtlsSession&) = delete;

  // One received DTLS datagram. While handshaking it advances the handshake;
  // once connected it answers retransmitted flights (and discards the rest).
  // The first call starts the handshake's clock.
  State OnDatagram(std::span<const uint8_t> datagram, int64_t now_us);
  // Retransmits our last flight when OpenSSL's timer says so, and fails the
  // handshake past the deadline. Call every tick or so while handshaking.
  State OnTimer(int64_t now_us);

  State state() const { return state_; }
  Failure failure() const { return failure_; }
  // Valid once connected. Secret: never logged.
  const SrtpKeys& keys() const { return keys_; }

  // The datagrams written since the last ClearOutgoing, to send to the peer.
  size_t outgoing_count() const { return outgoing_count_; }
  std::span<const uint8_t> outgoing(size_t i) const;
  void ClearOutgoing() {
    outgoing_count_ = 0;
    outgoing_bytes_ = 0;
  }

  // The write BIO's callback: queues one datagram; false when over the bounds.
  bool QueueOutgoing(const uint8_t* data, size_t size);
  // The verify callback's: the peer's leaf certificate against the SDP.
  bool CheckPeer(x509_st* certificate);

 private:
  DtlsSession() = default;
  State Fail(Failure failure);
  State Advance();
  bool ExportKeys();

  ssl_st* ssl_ = nullptr;
  bio_st* in_ = nullptr;  // owned by ssl_
  CertificateFingerprint expected_;
  int64_t deadline_us_ = -1;  // set by the first call
  int64_t timeout_us_ = 0;
  int datagrams_in_ = 0;
  bool mismatch_ = false;
  State state_ = State::kHandshaking;
  Failure failure_ = Failure::kNone;
  SrtpKeys keys_;

  std::array<uint8_t, kMaxOutgoingBytes> outgoing_buffer_{};
  std::array<uint16_t, kMaxOutgoingDatagrams> outgoing_offset_{};
  std::array<uint16_t, kMaxOutgoingDatagrams> outgoing_size_{};
  size_t outgoing_count_ = 0;
  size_t outgoing_bytes_ = 0;
};

std::string_view DtlsFailureName(DtlsSession::Failure failure);

}  // namespace tutti::media
