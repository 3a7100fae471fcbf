#include "signaling/call/media_security.h"

namespace tutti {

sdp::SrtpPolicy ParseSrtpPolicy(std::string_view text) {
  if (text == "required") return sdp::SrtpPolicy::kRequired;
  if (text == "optional") return sdp::SrtpPolicy::kOptional;
  return sdp::SrtpPolicy::kOff;
}

sdp::LocalSecurity SecurityFor(std::string_view room_policy, std::string_view default_policy,
                               sip::TransportKind transport, bool sdes_over_plain_sip) {
  sdp::LocalSecurity security;
  security.policy = ParseSrtpPolicy(room_policy.empty() ? default_policy : room_policy);
  security.sdes_allowed = transport == sip::TransportKind::kTls || sdes_over_plain_sip;
  media::RandomBytes(security.fresh_key);
  media::RandomBytes(security.fresh_video_key);
  media::RandomBytes(security.fresh_slides_key);
  return security;
}

media::SrtpKeys WorkerKeys(const sdp::SdesKeys& keys) {
  media::SrtpKeys out;
  switch (keys.suite) {
    case sdp::CryptoSuite::kAesCm128HmacSha1_80:
      out.suite = media::SrtpSuite::kAesCm128HmacSha1_80;
      break;
    case sdp::CryptoSuite::kAesCm128HmacSha1_32:
      out.suite = media::SrtpSuite::kAesCm128HmacSha1_32;
      break;
    case sdp::CryptoSuite::kAeadAes128Gcm:
      out.suite = media::SrtpSuite::kAeadAes128Gcm;
      break;
  }
  static_assert(sizeof(out.local) == sizeof(keys.local));
  out.local = keys.local;
  out.remote = keys.remote;
  return out;
}

media::DtlsSpec WorkerDtls(const sdp::DtlsParameters& dtls, const media::DtlsContext* context) {
  media::DtlsSpec spec;
  std::optional<media::CertificateFingerprint> remote =
      media::MakeFingerprint(dtls.fingerprint.algorithm, dtls.fingerprint.digest);
  // A fingerprint the worker cannot check (the SDP side took it) keeps the
  // context but no peer: the handshake cannot succeed, nothing goes in clear.
  spec.context = context;
  if (remote) spec.remote = *remote;
  return spec;
}

sdp::Fingerprint SdpFingerprint(const media::DtlsContext& context) {
  const std::span<const uint8_t> bytes = context.fingerprint().bytes();
  return {"sha-256", std::vector<uint8_t>(bytes.begin(), bytes.end())};
}

std::string_view EncryptionName(const sdp::NegotiatedAudio& audio) {
  if (audio.sdes) return "sdes";
  if (audio.dtls) return "dtls-srtp";
  return "none";
}

}  // namespace tutti
