#include "signaling/sdp/stream_negotiation.h"

#include <arpa/inet.h>

#include <array>
#include <charconv>

#include "common/strings.h"

namespace tutti::sdp::internal {
namespace {

// An attribute of the m-line, else of the session (a=fingerprint, a=setup).
std::optional<std::string_view> FindAttribute(const SessionDescription& description,
                                              const MediaDescription& media,
                                              std::string_view name) {
  for (const auto& [key, value] : media.other_attributes) {
    if (key == name) return value;
  }
  for (const auto& [key, value] : description.attributes) {
    if (key == name) return value;
  }
  return std::nullopt;
}

bool KnownFingerprintHash(std::string_view algorithm) {
  return algorithm == "sha-1" || algorithm == "sha-224" || algorithm == "sha-256" ||
         algorithm == "sha-384" || algorithm == "sha-512";
}

// The offerer's first usable a=crypto (RFC 4568 §7.1.2: its preference order).
std::optional<Security> ChooseSdes(const MediaDescription& media, const CryptoKey& fresh_key,
                                   const std::optional<SdesKeys>& current, std::string* why_not) {
  for (const auto& [name, value] : media.other_attributes) {
    if (name != "crypto") continue;
    const std::optional<CryptoAttribute> crypto = ParseCryptoAttribute(value);
    if (!crypto) continue;
    SdesKeys keys;
    keys.suite = crypto->suite;
    keys.tag = crypto->tag;
    keys.remote = crypto->key;
    // The same suite and key as the context in use: keep ours, so nothing
    // changes; anything new gets a fresh key of ours too (a new context
    // must never reuse a key with a restarted packet index).
    const bool same = current && current->suite == keys.suite && current->remote == keys.remote;
    keys.local = same ? current->local : fresh_key;
    return Security{keys, std::nullopt};
  }
  *why_not =
      "no usable a=crypto (AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32, AEAD_AES_128_GCM)";
  return std::nullopt;
}

std::optional<Security> ChooseDtls(const SessionDescription& offer, const MediaDescription& media,
                                   const LocalSecurity& local, std::string* why_not) {
  if (local.dtls_fingerprint.algorithm.empty()) {
    *why_not = "DTLS-SRTP is not available";
    return std::nullopt;
  }
  const std::optional<std::string_view> text = FindAttribute(offer, media, "fingerprint");
  const std::optional<Fingerprint> fingerprint = text ? ParseFingerprint(*text) : std::nullopt;
  if (!fingerprint || !KnownFingerprintHash(fingerprint->algorithm)) {
    *why_not = "DTLS-SRTP offer without a usable a=fingerprint";
    return std::nullopt;
  }
  // RFC 4145 §4: no a=setup means active. tutti is the DTLS server:
  // it answers passive to active and actpass (RFC 5763 §5).
  const std::optional<std::string_view> setup_text = FindAttribute(offer, media, "setup");
  const std::optional<SetupRole> setup = setup_text ? ParseSetup(*setup_text) : SetupRole::kActive;
  if (setup != SetupRole::kActive && setup != SetupRole::kActPass) {
    *why_not = "DTLS-SRTP: tutti is the DTLS server only (a=setup:active or actpass)";
    return std::nullopt;
  }
  return Security{std::nullopt, DtlsParameters{*fingerprint, true}};
}

}  // namespace

Profile ProfileOf(std::string_view proto) {
  if (EqualsIgnoreCase(proto, "RTP/AVP") || EqualsIgnoreCase(proto, "RTP/AVPF")) {
    return Profile::kPlain;
  }
  if (EqualsIgnoreCase(proto, "RTP/SAVP") || EqualsIgnoreCase(proto, "RTP/SAVPF")) {
    return Profile::kSdes;
  }
  if (EqualsIgnoreCase(proto, "UDP/TLS/RTP/SAVP") || EqualsIgnoreCase(proto, "UDP/TLS/RTP/SAVPF")) {
    return Profile::kDtls;
  }
  return Profile::kUnknown;
}

std::optional<int> PayloadTypeOf(std::string_view format) {
  int value = 0;
  auto [end, error] = std::from_chars(format.data(), format.data() + format.size(), value);
  if (error != std::errc() || end != format.data() + format.size()) return std::nullopt;
  return value;
}

std::optional<Security> ChooseSecurity(const SessionDescription& offer,
                                       const MediaDescription& media, const LocalSecurity& local,
                                       const CryptoKey& fresh_key,
                                       const std::optional<SdesKeys>& current,
                                       std::string* why_not) {
  switch (ProfileOf(media.proto)) {
    case Profile::kUnknown:
      *why_not = StrCat("unsupported transport ", media.proto);
      return std::nullopt;
    case Profile::kPlain:
      if (local.policy == SrtpPolicy::kRequired) {
        *why_not = "SRTP required: plain RTP refused";
        return std::nullopt;
      }
      return Security{};
    case Profile::kSdes:
      if (local.policy == SrtpPolicy::kOff) {
        *why_not = "SRTP is off here";
        return std::nullopt;
      }
      if (!local.sdes_allowed) {
        *why_not = "SDES keys are only taken over TLS";
        return std::nullopt;
      }
      return ChooseSdes(media, fresh_key, current, why_not);
    case Profile::kDtls:
      if (local.policy == SrtpPolicy::kOff) {
        *why_not = "SRTP is off here";
        return std::nullopt;
      }
      return ChooseDtls(offer, media, local, why_not);
  }
  return std::nullopt;
}

void AddSecurityAttributes(const Security& security, const LocalSecurity& local,
                           MediaDescription* answer) {
  if (security.sdes) {
    answer->other_attributes.emplace_back(
        "crypto",
        WriteCryptoAttribute({security.sdes->tag, security.sdes->suite, security.sdes->local}));
  }
  if (security.dtls) {
    answer->other_attributes.emplace_back("setup", std::string(SetupName(SetupRole::kPassive)));
    answer->other_attributes.emplace_back("fingerprint", WriteFingerprint(local.dtls_fingerprint));
  }
}

absl::StatusOr<RemoteTransport> ReadRemote(const SessionDescription& remote,
                                           const MediaDescription& media) {
  RemoteTransport transport;
  transport.address =
      media.connection_address.empty() ? remote.connection_address : media.connection_address;
  if (transport.address.empty()) {
    return absl::InvalidArgumentError(
        StrCat("no connection address (c=) for the ", media.media, " stream"));
  }
  transport.rtp_port = media.port;
  transport.rtcp_mux = media.rtcp_mux;
  if (media.rtcp_mux) {
    transport.rtcp_port = media.port;
  } else if (media.rtcp_port != 0) {
    transport.rtcp_port = media.rtcp_port;
  } else {
    transport.rtcp_port = static_cast<uint16_t>(media.port + 1);
  }
  return transport;
}

// Host names and addresses that are not IP pass: the packet plane cannot
// reach them anyway.
absl::Status CheckRemoteAddress(const std::string& address, bool hold_allowed) {
  in_addr v4{};
  if (inet_pton(AF_INET, address.c_str(), &v4) == 1) {
    const uint32_t host = ntohl(v4.s_addr);
    if ((host >> 28) == 0xe) return absl::PermissionDeniedError(StrCat(kMulticastRefused, address));
    if (host == 0xffffffff) {
      return absl::PermissionDeniedError(StrCat("broadcast connection address ", address));
    }
    if (host == 0 && !hold_allowed) {
      return absl::PermissionDeniedError(
          "unspecified connection address 0.0.0.0 (hold) in an initial offer");
    }
    return absl::OkStatus();
  }
  std::array<uint8_t, 16> v6{};
  if (inet_pton(AF_INET6, address.c_str(), v6.data()) == 1) {
    if (v6[0] == 0xff) return absl::PermissionDeniedError(StrCat(kMulticastRefused, address));
    if (v6 == std::array<uint8_t, 16>{}) {
      return absl::PermissionDeniedError(StrCat("unspecified connection address ", address));
    }
  }
  return absl::OkStatus();
}

Direction OurDirection(Direction theirs, const std::string& remote_address) {
  if (remote_address == "0.0.0.0") return Direction::kRecvOnly;
  switch (theirs) {
    case Direction::kSendOnly:
      return Direction::kRecvOnly;
    case Direction::kRecvOnly:
      return Direction::kSendOnly;
    case Direction::kInactive:
      return Direction::kInactive;
    case Direction::kSendRecv:
      return Direction::kSendRecv;
  }
  return Direction::kSendRecv;
}

std::optional<SdesKeys> AnsweredSdes(const MediaDescription& offered,
                                     const MediaDescription& answered) {
  std::optional<CryptoAttribute> ours;
  for (const auto& [name, value] : offered.other_attributes) {
    if (name == "crypto") ours = ParseCryptoAttribute(value);
  }
  if (ProfileOf(answered.proto) != Profile::kSdes || !ours) return std::nullopt;
  std::optional<SdesKeys> keys;
  for (const auto& [name, value] : answered.other_attributes) {
    if (name != "crypto") continue;
    const std::optional<CryptoAttribute> theirs = ParseCryptoAttribute(value);
    if (theirs && theirs->tag == ours->tag && theirs->suite == ours->suite) {
      keys = SdesKeys{ours->suite, ours->tag, ours->key, theirs->key};
    }
  }
  return keys;
}

}  // namespace tutti::sdp::internal
