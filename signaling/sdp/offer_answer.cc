#include "signaling/sdp/offer_answer.h"

#include <arpa/inet.h>

#include <array>
#include <charconv>
#include <optional>

#include "common/strings.h"

namespace tutti::sdp {
namespace {

constexpr int kOpusPayloadType = 111;
constexpr int kTelephoneEvent48kPayloadType = 101;
constexpr int kTelephoneEvent8kPayloadType = 100;
// What we ask the peer to send us in Opus: in-band FEC and DTX.
constexpr std::string_view kOpusFmtp = "useinbandfec=1;usedtx=1";

std::optional<int> PayloadTypeOf(std::string_view format) {
  int value = 0;
  auto [end, error] = std::from_chars(format.data(), format.data() + format.size(), value);
  if (error != std::errc() || end != format.data() + format.size()) return std::nullopt;
  return value;
}

std::optional<AudioCodec> CodecOf(const RtpMap& map) {
  if (EqualsIgnoreCase(map.encoding, "PCMU") && map.clock_rate == 8000) return AudioCodec::kPcmu;
  if (EqualsIgnoreCase(map.encoding, "PCMA") && map.clock_rate == 8000) return AudioCodec::kPcma;
  if (EqualsIgnoreCase(map.encoding, "opus") && map.clock_rate == 48000) return AudioCodec::kOpus;
  return std::nullopt;
}

enum class Profile { kUnknown, kPlain, kSdes, kDtls };

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

// How one offered stream would be protected, if we take it.
struct Security {
  std::optional<SdesKeys> sdes;
  std::optional<DtlsParameters> dtls;
};

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

// The room's policy and the offered profile decide whether the stream can
// be taken and how it is protected; `why_not` says why when not.
std::optional<Security> ChooseSecurity(const SessionDescription& offer,
                                       const MediaDescription& media, const LocalSecurity& local,
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
    case Profile::kSdes: {
      if (local.policy == SrtpPolicy::kOff) {
        *why_not = "SRTP is off here";
        return std::nullopt;
      }
      if (!local.sdes_allowed) {
        *why_not = "SDES keys are only taken over TLS";
        return std::nullopt;
      }
      // The offerer's first usable line (RFC 4568 §7.1.2: its preference order).
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
        const bool same = local.current && local.current->suite == keys.suite &&
                          local.current->remote == keys.remote;
        keys.local = same ? local.current->local : local.fresh_key;
        return Security{keys, std::nullopt};
      }
      *why_not =
          "no usable a=crypto (AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32, AEAD_AES_128_GCM)";
      return std::nullopt;
    }
    case Profile::kDtls: {
      if (local.policy == SrtpPolicy::kOff) {
        *why_not = "SRTP is off here";
        return std::nullopt;
      }
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
      const std::optional<SetupRole> setup =
          setup_text ? ParseSetup(*setup_text) : SetupRole::kActive;
      if (setup != SetupRole::kActive && setup != SetupRole::kActPass) {
        *why_not = "DTLS-SRTP: tutti is the DTLS server only (a=setup:active or actpass)";
        return std::nullopt;
      }
      return Security{std::nullopt, DtlsParameters{*fingerprint, true}};
    }
  }
  return std::nullopt;
}

bool Contains(const std::vector<AudioCodec>& codecs, AudioCodec codec) {
  for (AudioCodec c : codecs) {
    if (c == codec) return true;
  }
  return false;
}

// "useinbandfec=1; usedtx=1" -> the value of one parameter.
std::string_view FmtpParameter(std::string_view fmtp, std::string_view name) {
  for (std::string_view part : SplitNonEmpty(fmtp, ';')) {
    const size_t equals = part.find('=');
    if (equals != std::string_view::npos &&
        EqualsIgnoreCase(StripWhitespace(part.substr(0, equals)), name)) {
      return StripWhitespace(part.substr(equals + 1));
    }
  }
  return {};
}

struct Choice {
  const RtpMap* codec_map = nullptr;
  AudioCodec codec = AudioCodec::kPcmu;
  const RtpMap* telephone_event = nullptr;
};

// The first offered format (offerer's preference, RFC 3264 §6.1) that we
// support, and telephone-event at the same clock rate.
std::optional<Choice> ChooseCodec(const MediaDescription& media,
                                  const std::vector<AudioCodec>& ours) {
  Choice choice;
  for (const std::string& format : media.formats) {
    const std::optional<int> payload_type = PayloadTypeOf(format);
    const RtpMap* map = payload_type ? media.FindRtpMap(*payload_type) : nullptr;
    if (map == nullptr) continue;
    const std::optional<AudioCodec> codec = CodecOf(*map);
    if (codec && Contains(ours, *codec)) {
      choice.codec_map = map;
      choice.codec = *codec;
      break;
    }
  }
  if (choice.codec_map == nullptr) return std::nullopt;
  for (const RtpMap& map : media.rtpmaps) {
    if (EqualsIgnoreCase(map.encoding, "telephone-event") &&
        map.clock_rate == choice.codec_map->clock_rate) {
      choice.telephone_event = &map;
      break;
    }
  }
  return choice;
}

Direction AnswerDirection(Direction offered) {
  switch (offered) {
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

std::string OfferedCodecNames(const SessionDescription& offer) {
  std::string names;
  for (const MediaDescription& media : offer.media) {
    if (media.media != "audio") continue;
    for (const RtpMap& map : media.rtpmaps) {
      if (EqualsIgnoreCase(map.encoding, "telephone-event")) continue;
      StrAppend(&names, names.empty() ? "" : " ", map.encoding);
    }
  }
  return names.empty() ? "none" : names;
}

std::string LocalCodecNames(const std::vector<AudioCodec>& codecs) {
  std::string names;
  for (AudioCodec codec : codecs)
    StrAppend(&names, names.empty() ? "" : " ", AudioCodecName(codec));
  return names;
}

SessionDescription SkeletonFor(const LocalMedia& local) {
  SessionDescription description;
  description.origin.username = "tutti";
  description.origin.session_id = local.session_id;
  description.origin.session_version = local.session_version;
  description.origin.address_type =
      std::string(local.address.find(':') == std::string::npos ? "IP4" : "IP6");
  description.origin.address = local.address;
  description.session_name = "tutti";
  description.connection_address = local.address;
  description.connection_address_type = description.origin.address_type;
  return description;
}

// Fills the remote side of `audio` from the peer's audio m-line.
absl::Status ReadRemote(const SessionDescription& remote, const MediaDescription& media,
                        NegotiatedAudio* audio) {
  audio->remote_address =
      media.connection_address.empty() ? remote.connection_address : media.connection_address;
  if (audio->remote_address.empty()) {
    return absl::InvalidArgumentError("no connection address (c=) for the audio stream");
  }
  audio->remote_rtp_port = media.port;
  audio->rtcp_mux = media.rtcp_mux;
  if (media.rtcp_mux) {
    audio->remote_rtcp_port = media.port;
  } else if (media.rtcp_port != 0) {
    audio->remote_rtcp_port = media.rtcp_port;
  } else {
    audio->remote_rtcp_port = static_cast<uint16_t>(media.port + 1);
  }
  return absl::OkStatus();
}

constexpr std::string_view kMulticastRefused = "multicast connection address ";

// Addresses tutti never sends media to. `hold_allowed`: 0.0.0.0 is RFC 2543
// hold (nothing is sent to it) rather than an address. Host names and
// addresses that are not IP pass: the packet plane cannot reach them anyway.
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

void ReadOpusParameters(const RtpMap& map, NegotiatedAudio* audio) {
  if (audio->codec != AudioCodec::kOpus) return;
  audio->opus_fec = FmtpParameter(map.fmtp, "useinbandfec") == "1";
  audio->opus_dtx = FmtpParameter(map.fmtp, "usedtx") == "1";
}

// Why an offered stream is declined: `why_not` is why the last audio
// stream looked at could not be taken. Empty for a stream the offerer
// disabled itself (nothing to tell).
std::string WhyDeclined(const MediaDescription& media, bool audio_taken,
                        const std::string& why_not) {
  if (media.port == 0) return {};
  if (media.media != "audio") return StrCat("tutti conferences audio only, not ", media.media);
  if (audio_taken) return "one audio stream per call, and an earlier one was taken";
  return why_not;
}

// Declined (RFC 3264 §6): port 0, one of the offered formats.
void Decline(const MediaDescription& media, std::string why, MediaDescription answer,
             AnswerResult* result) {
  answer.port = 0;
  if (!media.formats.empty()) answer.formats.push_back(media.formats.front());
  result->answer.media.push_back(std::move(answer));
  if (!why.empty()) result->declined.push_back({media.media, std::move(why)});
}

}  // namespace

std::string_view SrtpPolicyName(SrtpPolicy policy) {
  switch (policy) {
    case SrtpPolicy::kOff:
      return "off";
    case SrtpPolicy::kOptional:
      return "optional";
    case SrtpPolicy::kRequired:
      return "required";
  }
  return "off";
}

std::string_view AudioCodecName(AudioCodec codec) {
  switch (codec) {
    case AudioCodec::kPcmu:
      return "PCMU";
    case AudioCodec::kPcma:
      return "PCMA";
    case AudioCodec::kOpus:
      return "opus";
  }
  return "PCMU";
}

int WarnCodeFor(const absl::Status& refusal) {
  if (refusal.code() != absl::StatusCode::kPermissionDenied) return 399;
  const absl::string_view message = refusal.message();
  if (message.substr(0, kMulticastRefused.size()) ==
      absl::string_view(kMulticastRefused.data(), kMulticastRefused.size())) {
    return 330;  // Multicast not available
  }
  return 301;  // Incompatible network address formats
}

absl::StatusOr<AnswerResult> AnswerOffer(const SessionDescription& offer, const LocalMedia& local,
                                         OfferKind kind) {
  AnswerResult result;
  result.answer = SkeletonFor(local);
  bool taken = false;
  std::string why_not = "no audio stream";
  for (const MediaDescription& media : offer.media) {
    MediaDescription answer;
    answer.media = media.media;
    answer.proto = media.proto;
    std::optional<Choice> choice;
    std::optional<Security> security;
    if (!taken && media.media == "audio" && media.port != 0) {
      security = ChooseSecurity(offer, media, local.security, &why_not);
      if (security) {
        choice = ChooseCodec(media, local.codecs);
        if (!choice) {
          why_not = StrCat("no common audio codec (offered: ", OfferedCodecNames(offer),
                           "; accepted: ", LocalCodecNames(local.codecs), ")");
        }
      }
    }
    if (!choice) {
      Decline(media, WhyDeclined(media, taken, why_not), std::move(answer), &result);
      continue;
    }
    NegotiatedAudio& audio = result.audio;
    if (absl::Status status = ReadRemote(offer, media, &audio); !status.ok()) return status;
    if (absl::Status status = CheckRemoteAddress(audio.remote_address, kind == OfferKind::kReOffer);
        !status.ok()) {
      return status;
    }
    taken = true;
    const RtpMap& codec = *choice->codec_map;
    audio.codec = choice->codec;
    audio.payload_type = codec.payload_type;
    audio.clock_rate = codec.clock_rate;
    audio.channels = codec.channels;
    audio.ptime_ms = local.ptime_ms;
    ReadOpusParameters(codec, &audio);
    // Old-style hold (RFC 2543): c=0.0.0.0 means "do not send to me".
    const bool zero_address = audio.remote_address == "0.0.0.0";
    audio.direction = zero_address ? Direction::kRecvOnly : AnswerDirection(media.direction);

    answer.port = local.rtp_port;
    RtpMap answered_codec = codec;
    // Our fmtp says what we want to receive; the offerer's is not echoed.
    answered_codec.fmtp = audio.codec == AudioCodec::kOpus ? std::string(kOpusFmtp) : std::string();
    answer.formats.push_back(std::to_string(codec.payload_type));
    answer.rtpmaps.push_back(std::move(answered_codec));
    if (choice->telephone_event != nullptr) {
      audio.telephone_event_pt = choice->telephone_event->payload_type;
      answer.formats.push_back(std::to_string(audio.telephone_event_pt));
      RtpMap event = *choice->telephone_event;
      event.fmtp = "0-16";
      answer.rtpmaps.push_back(std::move(event));
    }
    answer.ptime = local.ptime_ms;
    answer.direction = audio.direction;
    answer.rtcp_mux = media.rtcp_mux;
    audio.sdes = security->sdes;
    audio.dtls = security->dtls;
    if (audio.sdes) {
      answer.other_attributes.emplace_back(
          "crypto", WriteCryptoAttribute({audio.sdes->tag, audio.sdes->suite, audio.sdes->local}));
    }
    if (audio.dtls) {
      answer.other_attributes.emplace_back("setup", std::string(SetupName(SetupRole::kPassive)));
      answer.other_attributes.emplace_back("fingerprint",
                                           WriteFingerprint(local.security.dtls_fingerprint));
    }
    result.answer.media.push_back(std::move(answer));
  }
  if (!taken) return absl::FailedPreconditionError(why_not);
  return result;
}

SessionDescription MakeOffer(const LocalMedia& local) {
  SessionDescription offer = SkeletonFor(local);
  MediaDescription audio;
  audio.media = "audio";
  audio.port = local.rtp_port;
  audio.proto = "RTP/AVP";
  bool narrowband = false;
  bool wideband = false;
  for (AudioCodec codec : local.codecs) {
    RtpMap map;
    switch (codec) {
      case AudioCodec::kOpus:
        map = {kOpusPayloadType, "opus", 48000, 2, std::string(kOpusFmtp)};
        wideband = true;
        break;
      case AudioCodec::kPcmu:
        map = {0, "PCMU", 8000, 1, {}};
        narrowband = true;
        break;
      case AudioCodec::kPcma:
        map = {8, "PCMA", 8000, 1, {}};
        narrowband = true;
        break;
    }
    audio.formats.push_back(std::to_string(map.payload_type));
    audio.rtpmaps.push_back(std::move(map));
  }
  if (wideband) {
    audio.formats.push_back(std::to_string(kTelephoneEvent48kPayloadType));
    audio.rtpmaps.push_back({kTelephoneEvent48kPayloadType, "telephone-event", 48000, 1, "0-16"});
  }
  if (narrowband) {
    audio.formats.push_back(std::to_string(kTelephoneEvent8kPayloadType));
    audio.rtpmaps.push_back({kTelephoneEvent8kPayloadType, "telephone-event", 8000, 1, "0-16"});
  }
  audio.ptime = local.ptime_ms;
  audio.direction = Direction::kSendRecv;
  audio.rtcp_mux = true;
  // A room that requires SRTP offers SDES (where keys may travel); one that
  // merely allows it offers plain RTP, which every phone answers.
  if (local.security.policy == SrtpPolicy::kRequired && local.security.sdes_allowed) {
    audio.proto = "RTP/SAVP";
    audio.other_attributes.emplace_back(
        "crypto",
        WriteCryptoAttribute({1, CryptoSuite::kAesCm128HmacSha1_80, local.security.fresh_key}));
  }
  offer.media.push_back(std::move(audio));
  return offer;
}

absl::StatusOr<NegotiatedAudio> AcceptAnswer(const SessionDescription& our_offer,
                                             const SessionDescription& answer) {
  if (answer.media.size() != our_offer.media.size()) {
    return absl::InvalidArgumentError("the answer's m= lines do not match the offer's");
  }
  for (size_t i = 0; i < answer.media.size(); ++i) {
    const MediaDescription& offered = our_offer.media[i];
    const MediaDescription& media = answer.media[i];
    if (offered.media != "audio") continue;
    if (media.port == 0) return absl::FailedPreconditionError("the audio stream was declined");
    NegotiatedAudio audio;
    // The first format of the answer that we offered is the one to send (RFC 3264 §7).
    const RtpMap* chosen = nullptr;
    for (const std::string& format : media.formats) {
      const std::optional<int> payload_type = PayloadTypeOf(format);
      if (!payload_type) continue;
      const RtpMap* ours = offered.FindRtpMap(*payload_type);
      if (ours == nullptr || !CodecOf(*ours)) continue;
      chosen = media.FindRtpMap(*payload_type);
      if (chosen == nullptr) chosen = ours;
      audio.codec = *CodecOf(*ours);
      break;
    }
    if (chosen == nullptr) {
      return absl::FailedPreconditionError("the answer holds no audio codec we offered");
    }
    if (absl::Status status = ReadRemote(answer, media, &audio); !status.ok()) return status;
    // An answer's 0.0.0.0 is hold, as in a re-offer.
    if (absl::Status status = CheckRemoteAddress(audio.remote_address, true); !status.ok()) {
      return status;
    }
    audio.payload_type = chosen->payload_type;
    audio.clock_rate = chosen->clock_rate;
    audio.channels = chosen->channels;
    audio.ptime_ms = offered.ptime > 0 ? offered.ptime : 20;
    ReadOpusParameters(*chosen, &audio);
    for (const RtpMap& map : media.rtpmaps) {
      if (EqualsIgnoreCase(map.encoding, "telephone-event") && map.clock_rate == audio.clock_rate &&
          offered.FindRtpMap(map.payload_type) != nullptr) {
        audio.telephone_event_pt = map.payload_type;
      }
    }
    // Our direction follows theirs: if they only send, we only receive.
    audio.direction =
        audio.remote_address == "0.0.0.0" ? Direction::kRecvOnly : AnswerDirection(media.direction);
    if (ProfileOf(offered.proto) == Profile::kSdes) {
      // RFC 4568 §7.1.3: the answer names the offered line it took by its tag.
      std::optional<CryptoAttribute> ours;
      for (const auto& [name, value] : offered.other_attributes) {
        if (name == "crypto") ours = ParseCryptoAttribute(value);
      }
      if (ProfileOf(media.proto) != Profile::kSdes || !ours) {
        return absl::FailedPreconditionError("SRTP offered, plain RTP answered");
      }
      for (const auto& [name, value] : media.other_attributes) {
        if (name != "crypto") continue;
        const std::optional<CryptoAttribute> theirs = ParseCryptoAttribute(value);
        if (theirs && theirs->tag == ours->tag && theirs->suite == ours->suite) {
          audio.sdes = SdesKeys{ours->suite, ours->tag, ours->key, theirs->key};
        }
      }
      if (!audio.sdes) return absl::FailedPreconditionError("no a=crypto answers ours");
    }
    return audio;
  }
  return absl::InvalidArgumentError("our offer had no audio stream");
}

}  // namespace tutti::sdp
