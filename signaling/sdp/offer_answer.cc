#include "signaling/sdp/offer_answer.h"

#include <optional>

#include "common/strings.h"
#include "signaling/sdp/msrp_answer_line.h"
#include "signaling/sdp/stream_negotiation.h"
#include "signaling/sdp/video_fmtp.h"
#include "signaling/sdp/video_offer_answer.h"

namespace tutti::sdp {
namespace {

using internal::PayloadTypeOf;

constexpr int kOpusPayloadType = 111;
constexpr int kTelephoneEvent48kPayloadType = 101;
constexpr int kTelephoneEvent8kPayloadType = 100;
constexpr int kG722PayloadType = 9;   // static, RFC 3551 §6
constexpr int kG729PayloadType = 18;  // static, RFC 3551 §6
// What we ask the peer to send us in Opus: in-band FEC and DTX.
constexpr std::string_view kOpusFmtp = "useinbandfec=1;usedtx=1";
// G.729 without Annex B (RFC 4856 §2.1.9): we neither send nor ask for
// silence suppression, so the stream is as steady as G.711's.
constexpr std::string_view kG729Fmtp = "annexb=no";

// The client-to-mixer audio level (RFC 6464): callers that send it spare
// the mixer decoding their quiet frames. The id we offer (one-byte form).
constexpr std::string_view kAudioLevelUri = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";
constexpr int kAudioLevelOfferId = 1;

// a=extmap:<id>[/<direction>] <uri> [<attributes>] (RFC 8285 §8) for the
// audio level; the direction is as the line's writer sees it.
struct AudioLevelMap {
  int id = 0;
  std::string_view direction;  // empty: sendrecv
};

std::optional<AudioLevelMap> FindAudioLevelMap(const MediaDescription& media) {
  for (const auto& [name, value] : media.other_attributes) {
    if (name != "extmap") continue;
    const std::string_view text = value;
    const size_t space = text.find(' ');
    if (space == std::string_view::npos) continue;
    std::string_view uri = text.substr(space + 1);
    uri = uri.substr(0, uri.find(' '));
    if (uri != kAudioLevelUri) continue;
    std::string_view id_text = text.substr(0, space);
    AudioLevelMap map;
    if (const size_t slash = id_text.find('/'); slash != std::string_view::npos) {
      map.direction = id_text.substr(slash + 1);
      id_text = id_text.substr(0, slash);
    }
    int id = 0;
    for (const char c : id_text) {
      if (c < '0' || c > '9' || id > 255) return std::nullopt;
      id = id * 10 + (c - '0');
    }
    // 15 is reserved in the one-byte form, 256 and up do not exist.
    if (id_text.empty() || id < 1 || id > 255 || id == 15) return std::nullopt;
    map.id = id;
    return map;
  }
  return std::nullopt;
}

// Whether the writer of `map` sends the extension.
bool Sends(const AudioLevelMap& map) {
  return map.direction.empty() || map.direction == "sendrecv" || map.direction == "sendonly";
}

// Our fmtp for a codec, in offers and answers: what we want to receive.
std::string FmtpFor(AudioCodec codec) {
  if (codec == AudioCodec::kOpus) return std::string(kOpusFmtp);
  if (codec == AudioCodec::kG729) return std::string(kG729Fmtp);
  return {};
}

std::optional<AudioCodec> CodecOf(const RtpMap& map) {
  if (EqualsIgnoreCase(map.encoding, "PCMU") && map.clock_rate == 8000) return AudioCodec::kPcmu;
  if (EqualsIgnoreCase(map.encoding, "PCMA") && map.clock_rate == 8000) return AudioCodec::kPcma;
  if (EqualsIgnoreCase(map.encoding, "opus") && map.clock_rate == 48000) return AudioCodec::kOpus;
  // G.722's RTP clock is 8000 although it carries 16 kHz audio (RFC 3551 §4.5.2).
  if (EqualsIgnoreCase(map.encoding, "G722") && map.clock_rate == 8000) return AudioCodec::kG722;
  if (EqualsIgnoreCase(map.encoding, "G729") && map.clock_rate == 8000) return AudioCodec::kG729;
  return std::nullopt;
}

bool Contains(const std::vector<AudioCodec>& codecs, AudioCodec codec) {
  for (AudioCodec c : codecs) {
    if (c == codec) return true;
  }
  return false;
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

void ReadOpusParameters(const RtpMap& map, NegotiatedAudio* audio) {
  if (audio->codec != AudioCodec::kOpus) return;
  audio->opus_fec = FmtpParameter(map.fmtp, "useinbandfec") == "1";
  audio->opus_dtx = FmtpParameter(map.fmtp, "usedtx") == "1";
}

// Why an offered stream is declined: `why_not` is why the last stream of
// its kind looked at could not be taken. Empty for a stream the offerer
// disabled itself (nothing to tell).
std::string WhyDeclined(const MediaDescription& media, bool taken, const std::string& why_not) {
  if (media.port == 0) return {};
  if (media.media != "audio" && media.media != "video") {
    return StrCat("tutti conferences audio and video, not ", media.media);
  }
  if (taken) return StrCat("one ", media.media, " stream per call, and an earlier one was taken");
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

// The audio answer to `media`, whose codec, security and address are
// taken: fills result->audio and returns our line. An error refuses the
// whole offer (an address tutti never sends to).
absl::StatusOr<MediaDescription> AnswerAudio(const SessionDescription& offer,
                                             const MediaDescription& media, const Choice& choice,
                                             const internal::Security& security,
                                             const LocalMedia& local, OfferKind kind,
                                             NegotiatedAudio* audio) {
  absl::StatusOr<internal::RemoteTransport> remote = internal::ReadRemote(offer, media);
  if (!remote.ok()) return remote.status();
  if (absl::Status status =
          internal::CheckRemoteAddress(remote->address, kind == OfferKind::kReOffer);
      !status.ok()) {
    return status;
  }
  audio->remote_address = remote->address;
  audio->remote_rtp_port = remote->rtp_port;
  audio->remote_rtcp_port = remote->rtcp_port;
  audio->rtcp_mux = remote->rtcp_mux;
  const RtpMap& codec = *choice.codec_map;
  audio->codec = choice.codec;
  audio->payload_type = codec.payload_type;
  audio->clock_rate = codec.clock_rate;
  audio->channels = codec.channels;
  audio->ptime_ms = local.ptime_ms;
  ReadOpusParameters(codec, audio);
  // Old-style hold (RFC 2543): c=0.0.0.0 means "do not send to me".
  audio->direction = internal::OurDirection(media.direction, audio->remote_address);

  MediaDescription answer;
  answer.media = media.media;
  answer.proto = media.proto;
  answer.port = local.rtp_port;
  RtpMap answered_codec = codec;
  // Our fmtp says what we want to receive; the offerer's is not echoed.
  answered_codec.fmtp = FmtpFor(audio->codec);
  answer.formats.push_back(std::to_string(codec.payload_type));
  answer.rtpmaps.push_back(std::move(answered_codec));
  if (choice.telephone_event != nullptr) {
    audio->telephone_event_pt = choice.telephone_event->payload_type;
    answer.formats.push_back(std::to_string(audio->telephone_event_pt));
    RtpMap event = *choice.telephone_event;
    event.fmtp = "0-16";
    answer.rtpmaps.push_back(std::move(event));
  }
  answer.ptime = local.ptime_ms;
  answer.direction = audio->direction;
  answer.rtcp_mux = media.rtcp_mux;
  // The audio level, under the offerer's id (RFC 8285 §7): we only receive it.
  if (const std::optional<AudioLevelMap> level = FindAudioLevelMap(media); level && Sends(*level)) {
    audio->audio_level_id = level->id;
    answer.other_attributes.emplace_back(
        "extmap",
        StrCat(level->id, level->direction == "sendonly" ? "/recvonly " : " ", kAudioLevelUri));
  }
  audio->sdes = security.sdes;
  audio->dtls = security.dtls;
  internal::AddSecurityAttributes(security, local.security, &answer);
  return answer;
}

// The offer walked line by line: the first usable audio line, camera and
// content line are taken, everything else is declined.
class Answerer {
 public:
  Answerer(const SessionDescription& offer, const LocalMedia& local, OfferKind kind)
      : offer_(offer), local_(local), kind_(kind) {
    result_.answer = SkeletonFor(local);
  }

  absl::StatusOr<AnswerResult> Run() {
    for (const MediaDescription& media : offer_.media) {
      if (media.media == "message") {
        Chat(media);
        continue;
      }
      absl::Status status = media.media == "video" ? Video(media) : Audio(media);
      if (!status.ok()) return status;
    }
    if (!audio_taken_) {
      // No audio offered at all: why the chat line was not taken says more.
      if (!result_.chat) {
        return absl::FailedPreconditionError(
            audio_offered_ || chat_why_not_.empty() ? audio_why_not_ : chat_why_not_);
      }
      // A chat (or file) call: no audio, so no video either (a participant's
      // video rides on its audio leg).
      result_.has_audio = false;
      DeclineVideoWithoutAudio();
    }
    return std::move(result_);
  }

 private:
  MediaDescription Skeleton(const MediaDescription& media) {
    MediaDescription answer;
    answer.media = media.media;
    answer.proto = media.proto;
    return answer;
  }

  absl::Status Audio(const MediaDescription& media) {
    std::optional<Choice> choice;
    std::optional<internal::Security> security;
    if (media.media == "audio" && media.port != 0) audio_offered_ = true;
    if (!audio_taken_ && media.media == "audio" && media.port != 0) {
      security = internal::ChooseSecurity(offer_, media, local_.security, local_.security.fresh_key,
                                          local_.security.current, &audio_why_not_);
      if (security) {
        choice = ChooseCodec(media, local_.codecs);
        if (!choice) {
          audio_why_not_ = StrCat("no common audio codec (offered: ", OfferedCodecNames(offer_),
                                  "; accepted: ", LocalCodecNames(local_.codecs), ")");
        }
      }
    }
    if (!choice) {
      Decline(media, WhyDeclined(media, audio_taken_ && media.media == "audio", audio_why_not_),
              Skeleton(media), &result_);
      return absl::OkStatus();
    }
    absl::StatusOr<MediaDescription> answer =
        AnswerAudio(offer_, media, *choice, *security, local_, kind_, &result_.audio);
    if (!answer.ok()) return answer.status();
    audio_taken_ = true;
    result_.answer.media.push_back(std::move(*answer));
    return absl::OkStatus();
  }

  absl::Status Video(const MediaDescription& media) {
    const internal::VideoRole role = internal::VideoRoleOf(media);
    const bool slides = role == internal::VideoRole::kSlides;
    std::optional<NegotiatedVideo>& taken = slides ? result_.slides : result_.video;
    const uint16_t port = slides ? local_.slides_rtp_port : local_.video_rtp_port;
    std::string why_not;
    std::optional<internal::VideoAnswer> answer;
    if (media.port == 0) {
      // Disabled by the offerer: declined without a word.
    } else if (role == internal::VideoRole::kOther) {
      why_not = StrCat("a=content:", media.content, " is not taken (a camera and slides are)");
    } else if (taken) {
      why_not = StrCat("one ", slides ? "content" : "camera",
                       " stream per call, and an earlier one was taken");
    } else if (port == 0 && !local_.no_video_why.empty()) {
      why_not = local_.no_video_why;
    } else {
      // One codec per call: a second video line takes the first one's.
      const std::optional<NegotiatedVideo>& other = slides ? result_.video : result_.slides;
      const std::vector<VideoCodecChoice> codecs =
          other ? std::vector<VideoCodecChoice>{{other->codec, other->fmtp}} : local_.video_codecs;
      answer = internal::AnswerVideoLine(offer_, media, local_, codecs, slides, kind_, &why_not);
      // No port and no reason given: the negotiation's own reason, if any.
      if (answer && port == 0) {
        answer.reset();
        why_not = "video is not taken here";
      }
    }
    if (!answer) {
      Decline(media, media.port == 0 ? std::string() : std::move(why_not), Skeleton(media),
              &result_);
      return absl::OkStatus();
    }
    taken = std::move(answer->video);
    result_.answer.media.push_back(std::move(answer->line));
    return absl::OkStatus();
  }

  // The first usable m=message line is taken (RFC 4975 §8), the rest declined.
  void Chat(const MediaDescription& media) {
    std::string why_not;
    std::optional<internal::ChatAnswer> answer;
    if (media.port == 0) {
      // Disabled by the offerer: declined without a word.
    } else if (!local_.chat) {
      why_not = "chat is not served here";
    } else if (result_.chat) {
      why_not = "one message stream per call, and an earlier one was taken";
    } else {
      answer = internal::AnswerChatLine(offer_, media, *local_.chat, &why_not);
    }
    if (!answer) {
      if (chat_why_not_.empty()) chat_why_not_ = why_not;
      Decline(media, std::move(why_not), Skeleton(media), &result_);
      return;
    }
    result_.chat = std::move(answer->chat);
    result_.answer.media.push_back(std::move(answer->line));
  }

  void DeclineVideoWithoutAudio() {
    if (!result_.video && !result_.slides) return;
    result_.video.reset();
    result_.slides.reset();
    for (MediaDescription& line : result_.answer.media) {
      if (line.media != "video" || line.port == 0) continue;
      line.port = 0;
      result_.declined.push_back({line.media, "video needs an audio stream beside it"});
    }
  }

  const SessionDescription& offer_;
  const LocalMedia& local_;
  const OfferKind kind_;
  AnswerResult result_;
  bool audio_taken_ = false;
  std::string audio_why_not_ = "no audio stream";
  bool audio_offered_ = false;
  std::string chat_why_not_;  // the first chat line's, when declined
};

MediaDescription OfferAudioLine(const LocalMedia& local) {
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
        map = {kOpusPayloadType, "opus", 48000, 2, FmtpFor(codec)};
        wideband = true;
        break;
      case AudioCodec::kG722:
        map = {kG722PayloadType, "G722", 8000, 1, {}};
        narrowband = true;  // in RTP clock terms: its telephone-event is /8000
        break;
      case AudioCodec::kG729:
        map = {kG729PayloadType, "G729", 8000, 1, FmtpFor(codec)};
        narrowband = true;
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
  audio.other_attributes.emplace_back("extmap", StrCat(kAudioLevelOfferId, " ", kAudioLevelUri));
  // A room that requires SRTP offers SDES (where keys may travel); one that
  // merely allows it offers plain RTP, which every phone answers.
  if (local.security.policy == SrtpPolicy::kRequired && local.security.sdes_allowed) {
    audio.proto = "RTP/SAVP";
    audio.other_attributes.emplace_back(
        "crypto",
        WriteCryptoAttribute({1, CryptoSuite::kAesCm128HmacSha1_80, local.security.fresh_key}));
  }
  return audio;
}

// The audio the peer's `media` line agreed to our `offered` one.
absl::StatusOr<NegotiatedAudio> AcceptAudioLine(const MediaDescription& offered,
                                                const SessionDescription& answer,
                                                const MediaDescription& media) {
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
  absl::StatusOr<internal::RemoteTransport> remote = internal::ReadRemote(answer, media);
  if (!remote.ok()) return remote.status();
  // An answer's 0.0.0.0 is hold, as in a re-offer.
  if (absl::Status status = internal::CheckRemoteAddress(remote->address, true); !status.ok()) {
    return status;
  }
  audio.remote_address = remote->address;
  audio.remote_rtp_port = remote->rtp_port;
  audio.remote_rtcp_port = remote->rtcp_port;
  audio.rtcp_mux = remote->rtcp_mux;
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
  audio.direction = internal::OurDirection(media.direction, audio.remote_address);
  // The audio level we offered to receive, if the answer takes it (its id
  // is ours, RFC 8285 §7; a peer that answers another is believed).
  if (const std::optional<AudioLevelMap> level = FindAudioLevelMap(media);
      level && FindAudioLevelMap(offered) && Sends(*level)) {
    audio.audio_level_id = level->id;
  }
  if (internal::ProfileOf(offered.proto) == internal::Profile::kSdes) {
    if (internal::ProfileOf(media.proto) != internal::Profile::kSdes) {
      return absl::FailedPreconditionError("SRTP offered, plain RTP answered");
    }
    audio.sdes = internal::AnsweredSdes(offered, media);
    if (!audio.sdes) return absl::FailedPreconditionError("no a=crypto answers ours");
  }
  return audio;
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
    case AudioCodec::kG722:
      return "G722";
    case AudioCodec::kG729:
      return "G729";
  }
  return "PCMU";
}

std::optional<AudioCodec> AudioCodecNamed(std::string_view name) {
  for (AudioCodec codec : {AudioCodec::kPcmu, AudioCodec::kPcma, AudioCodec::kOpus,
                           AudioCodec::kG722, AudioCodec::kG729}) {
    if (EqualsIgnoreCase(name, AudioCodecName(codec))) return codec;
  }
  return std::nullopt;
}

std::vector<AudioCodec> AudioCodecsNamed(const std::vector<std::string>& names) {
  std::vector<AudioCodec> codecs;
  for (const std::string& name : names) {
    const std::optional<AudioCodec> codec = AudioCodecNamed(name);
    if (codec && !Contains(codecs, *codec)) codecs.push_back(*codec);
  }
  return codecs;
}

std::vector<AudioCodec> ApplyCodecOrder(const std::vector<AudioCodec>& allowed,
                                        const std::vector<std::string>& order) {
  std::vector<AudioCodec> codecs;
  for (AudioCodec codec : AudioCodecsNamed(order)) {
    if (Contains(allowed, codec)) codecs.push_back(codec);
  }
  return codecs.empty() ? allowed : codecs;
}

int WarnCodeFor(const absl::Status& refusal) {
  if (refusal.code() != absl::StatusCode::kPermissionDenied) return 399;
  const absl::string_view message = refusal.message();
  const std::string_view prefix = internal::kMulticastRefused;
  if (message.substr(0, prefix.size()) == absl::string_view(prefix.data(), prefix.size())) {
    return 330;  // Multicast not available
  }
  return 301;  // Incompatible network address formats
}

absl::StatusOr<AnswerResult> AnswerOffer(const SessionDescription& offer, const LocalMedia& local,
                                         OfferKind kind) {
  return Answerer(offer, local, kind).Run();
}

SessionDescription MakeOffer(const LocalMedia& local) {
  SessionDescription offer = SkeletonFor(local);
  offer.media.push_back(OfferAudioLine(local));
  if (local.video_rtp_port != 0 && !local.video_codecs.empty()) {
    offer.media.push_back(internal::OfferVideoLine(local, false));
  }
  if (local.slides_rtp_port != 0 && !local.video_codecs.empty()) {
    offer.media.push_back(internal::OfferVideoLine(local, true));
  }
  return offer;
}

absl::StatusOr<AcceptedAnswer> AcceptAnswer(const SessionDescription& our_offer,
                                            const SessionDescription& answer) {
  // RFC 3264 §6 wants a line for each offered one; an answer that leaves
  // out trailing lines (phones that drop the video they do not take) has
  // them declined rather than the call ended.
  if (answer.media.size() > our_offer.media.size()) {
    return absl::InvalidArgumentError("the answer's m= lines do not match the offer's");
  }
  AcceptedAnswer accepted;
  bool audio = false;
  for (size_t i = 0; i < our_offer.media.size(); ++i) {
    const MediaDescription& offered = our_offer.media[i];
    const MediaDescription* media = i < answer.media.size() ? &answer.media[i] : nullptr;
    if (offered.media == "audio" && !audio) {
      if (media == nullptr) return absl::FailedPreconditionError("the answer has no audio stream");
      absl::StatusOr<NegotiatedAudio> negotiated = AcceptAudioLine(offered, answer, *media);
      if (!negotiated.ok()) return negotiated.status();
      accepted.audio = std::move(*negotiated);
      audio = true;
    } else if (offered.media == "video" && media != nullptr) {
      std::optional<NegotiatedVideo> video = internal::AcceptVideoLine(offered, answer, *media);
      (offered.HasContent("slides") ? accepted.slides : accepted.video) = std::move(video);
    }
  }
  if (!audio) return absl::InvalidArgumentError("our offer had no audio stream");
  return accepted;
}

}  // namespace tutti::sdp
