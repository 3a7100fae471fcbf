// Media encryption decisions for a call: which SRTP policy applies (the
// room's, else the [media] default), whether SDES keys may travel over the
// signaling transport the call came on, and the keys handed to the worker.
#pragma once

#include <string_view>

#include "mediaplane/dtls_srtp.h"
#include "mediaplane/srtp_session.h"
#include "signaling/sdp/offer_answer.h"
#include "signaling/sip/transport.h"

namespace tutti {

// "required", "optional", "off"; anything else (already refused by the
// config check) is "off".
sdp::SrtpPolicy ParseSrtpPolicy(std::string_view text);

// The security for one negotiation, with a fresh random key of ours for
// each stream (audio, camera, content).
// `room_policy` empty takes `default_policy`. SDES keys are readable by
// whoever sees the SIP, so they go only over TLS unless `sdes_over_plain_sip`.
sdp::LocalSecurity SecurityFor(std::string_view room_policy, std::string_view default_policy,
                               sip::TransportKind transport, bool sdes_over_plain_sip);

// The worker's form of the negotiated SDES keys.
media::SrtpKeys WorkerKeys(const sdp::SdesKeys& keys);

// The worker's form of negotiated DTLS-SRTP: our context, the peer's
// fingerprint. `context` null (none made at start) leaves the leg plain,
// which the SDP side never negotiates.
media::DtlsSpec WorkerDtls(const sdp::DtlsParameters& dtls, const media::DtlsContext* context);
// Our certificate's fingerprint as our SDP gives it.
sdp::Fingerprint SdpFingerprint(const media::DtlsContext& context);

// "sdes", "dtls-srtp" or "none", for logs and the API (never the keys).
std::string_view EncryptionName(const sdp::NegotiatedAudio& audio);

}  // namespace tutti
