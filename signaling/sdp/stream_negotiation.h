// What answering one offered m-line of any kind needs, shared by the audio
// and the video side of offer/answer: how the stream is protected, where
// the peer receives it, the direction we answer, and reading an answer's
// SDES line. Internal to tutti_sdp (offer_answer.h is the interface).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "signaling/sdp/offer_answer.h"
#include "signaling/sdp/session_description.h"

namespace tutti::sdp::internal {

// The start of the refusal message for a multicast address (WarnCodeFor).
inline constexpr std::string_view kMulticastRefused = "multicast connection address ";

enum class Profile { kUnknown, kPlain, kSdes, kDtls };
Profile ProfileOf(std::string_view proto);

std::optional<int> PayloadTypeOf(std::string_view format);

// How one offered stream would be protected, if we take it.
struct Security {
  std::optional<SdesKeys> sdes;
  std::optional<DtlsParameters> dtls;
};

// The room's policy and the offered profile decide whether the stream can
// be taken and how it is protected; `why_not` says why when not. SDES keys:
// `fresh_key` for a new context, `current` the stream's context in use
// (kept when the offer repeats its suite and key).
std::optional<Security> ChooseSecurity(const SessionDescription& offer,
                                       const MediaDescription& media, const LocalSecurity& local,
                                       const CryptoKey& fresh_key,
                                       const std::optional<SdesKeys>& current,
                                       std::string* why_not);

// Our a=crypto, or a=setup and a=fingerprint, for an answered stream.
void AddSecurityAttributes(const Security& security, const LocalSecurity& local,
                           MediaDescription* answer);

// Where the peer takes a stream: c= (media-level, else session-level), its
// RTP port, and RTCP (rtcp-mux, a=rtcp, else RTP + 1).
struct RemoteTransport {
  std::string address;
  uint16_t rtp_port = 0;
  uint16_t rtcp_port = 0;
  bool rtcp_mux = false;
};
// InvalidArgument when the line has no connection address.
absl::StatusOr<RemoteTransport> ReadRemote(const SessionDescription& remote,
                                           const MediaDescription& media);

// Addresses tutti never sends media to. `hold_allowed`: 0.0.0.0 is RFC 2543
// hold (nothing is sent to it) rather than an address.
absl::Status CheckRemoteAddress(const std::string& address, bool hold_allowed);

// Our direction for a stream the peer offered (or answered) as `theirs`
// from `remote_address`: the mirror image, and c=0.0.0.0 (old-style hold)
// means "do not send to me".
Direction OurDirection(Direction theirs, const std::string& remote_address);

// The SDES context an answer took for our offered SDES line (RFC 4568
// §7.1.3: it names our line by its tag); nullopt when none.
std::optional<SdesKeys> AnsweredSdes(const MediaDescription& offered,
                                     const MediaDescription& answered);

}  // namespace tutti::sdp::internal
