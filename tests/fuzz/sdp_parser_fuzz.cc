// libFuzzer target for the SDP parser and offer/answer. Whatever parses must
// survive WriteSdp -> ParseSdp with the same media lines, and answering it
// must either fail cleanly or produce an answer that parses too.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "signaling/sdp/crypto_attribute.h"
#include "signaling/sdp/offer_answer.h"
#include "signaling/sdp/session_description.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<tutti::sdp::SessionDescription> parsed = tutti::sdp::ParseSdp(text);
  if (!parsed.ok()) return 0;
  absl::StatusOr<tutti::sdp::SessionDescription> again =
      tutti::sdp::ParseSdp(tutti::sdp::WriteSdp(*parsed));
  if (!again.ok() || again->media.size() != parsed->media.size()) std::abort();
  for (size_t i = 0; i < parsed->media.size(); ++i) {
    if (again->media[i].port != parsed->media[i].port ||
        again->media[i].formats != parsed->media[i].formats) {
      std::abort();
    }
  }
  // Every a=crypto that parses writes back to the same key; redaction leaves no key.
  for (const tutti::sdp::MediaDescription& media : parsed->media) {
    for (const auto& [name, value] : media.other_attributes) {
      if (name == "crypto") {
        if (auto crypto = tutti::sdp::ParseCryptoAttribute(value)) {
          auto again_crypto =
              tutti::sdp::ParseCryptoAttribute(tutti::sdp::WriteCryptoAttribute(*crypto));
          if (!again_crypto || again_crypto->key != crypto->key) std::abort();
        }
      }
      if (name == "fingerprint") (void)tutti::sdp::ParseFingerprint(value);
    }
  }
  (void)tutti::sdp::RedactCryptoKeys(text);
  tutti::sdp::LocalMedia local{
      "192.0.2.10",
      20000,
      {tutti::sdp::AudioCodec::kOpus, tutti::sdp::AudioCodec::kPcmu, tutti::sdp::AudioCodec::kPcma},
      1,
      1,
      20};
  // Every policy, SDES allowed, DTLS-SRTP available.
  local.security.sdes_allowed = true;
  local.security.dtls_fingerprint = {"sha-256", std::vector<uint8_t>(32, 0xab)};
  for (tutti::sdp::SrtpPolicy policy :
       {tutti::sdp::SrtpPolicy::kOff, tutti::sdp::SrtpPolicy::kOptional,
        tutti::sdp::SrtpPolicy::kRequired}) {
    local.security.policy = policy;
    absl::StatusOr<tutti::sdp::AnswerResult> answer = tutti::sdp::AnswerOffer(*parsed, local);
    if (answer.ok() && !tutti::sdp::ParseSdp(tutti::sdp::WriteSdp(answer->answer)).ok()) {
      std::abort();
    }
    if (answer.ok() && policy == tutti::sdp::SrtpPolicy::kRequired && !answer->audio.encrypted()) {
      std::abort();  // a required room never answers in the clear
    }
  }
  return 0;
}
