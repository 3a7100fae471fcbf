#include "signaling/sdp/video_offer_answer.h"

#include <algorithm>
#include <array>
#include <limits>

#include "common/strings.h"
#include "signaling/sdp/stream_negotiation.h"
#include "signaling/sdp/video_fmtp.h"

namespace tutti::sdp::internal {
namespace {

// The first payload type of our own video offer (RFC 3551 §3: dynamic).
constexpr int kFirstVideoPayloadType = 96;

constexpr std::array<media::VideoCodec, 3> kVideoCodecs = {
    media::VideoCodec::kVp8, media::VideoCodec::kVp9, media::VideoCodec::kH264};

std::optional<media::VideoCodec> VideoCodecOf(const RtpMap& map) {
  if (map.clock_rate != media::kVideoClockRate) return std::nullopt;
  for (media::VideoCodec codec : kVideoCodecs) {
    if (EqualsIgnoreCase(map.encoding, media::VideoCodecName(codec))) return codec;
  }
  return std::nullopt;
}

// The feedback tutti sends and answers, as a=rtcp-fb names it.
struct FeedbackKind {
  std::string_view type;
  std::string_view parameter;
  bool media::VideoFeedback::*field;
};
constexpr std::array<FeedbackKind, 5> kFeedbackKinds = {{
    {"nack", "", &media::VideoFeedback::nack},
    {"nack", "pli", &media::VideoFeedback::pli},
    {"ccm", "fir", &media::VideoFeedback::fir},
    {"ccm", "tmmbr", &media::VideoFeedback::tmmbr},
    {"goog-remb", "", &media::VideoFeedback::remb},
}};

// What a line's a=rtcp-fb give `payload_type` (its own lines and "*"),
// of what tutti supports; the rest (trr-int, nack sli, ack rpsi,
// transport-cc, ...) is dropped.
media::VideoFeedback FeedbackFor(const MediaDescription& media, int payload_type) {
  media::VideoFeedback out;
  for (const RtcpFeedback& line : media.rtcp_feedback) {
    if (line.payload_type != -1 && line.payload_type != payload_type) continue;
    for (const FeedbackKind& kind : kFeedbackKinds) {
      if (EqualsIgnoreCase(line.type, kind.type) &&
          EqualsIgnoreCase(line.parameter, kind.parameter)) {
        out.*kind.field = true;
      }
    }
  }
  return out;
}

media::VideoFeedback Both(const media::VideoFeedback& a, const media::VideoFeedback& b) {
  media::VideoFeedback out;
  for (const FeedbackKind& kind : kFeedbackKinds) out.*kind.field = a.*kind.field && b.*kind.field;
  return out;
}

// `payload_type` -1: a=rtcp-fb:* lines.
void AddFeedbackLines(const media::VideoFeedback& feedback, int payload_type,
                      MediaDescription* line) {
  for (const FeedbackKind& kind : kFeedbackKinds) {
    if (feedback.*kind.field) {
      line->rtcp_feedback.push_back(
          {payload_type, std::string(kind.type), std::string(kind.parameter)});
    }
  }
}

uint32_t KilobitsToBits(uint32_t kbps) {
  return static_cast<uint32_t>(
      std::min<uint64_t>(uint64_t{kbps} * 1000, std::numeric_limits<uint32_t>::max()));
}

// The most the peer wants to receive on this line: b=TIAS, else b=AS, of
// the line, else of the session (which covers every stream: an upper bound).
uint32_t MaxReceiveBps(const SessionDescription& remote, const MediaDescription& media) {
  for (const Bandwidth* bandwidth : {&media.bandwidth, &remote.bandwidth}) {
    if (bandwidth->tias_bps != 0) return bandwidth->tias_bps;
    if (bandwidth->as_kbps != 0) return KilobitsToBits(bandwidth->as_kbps);
  }
  return 0;
}

Bandwidth OurBandwidth(uint32_t max_bps) {
  if (max_bps == 0) return {};
  return {static_cast<uint32_t>((uint64_t{max_bps} + 999) / 1000), max_bps};
}

struct Choice {
  const RtpMap* map = nullptr;
  media::VideoCodec codec = media::VideoCodec::kVp8;
  std::string fmtp;  // as answered
};

// Ours first (the room's preference decides the codec everyone shares),
// then the offerer's order among its formats of that codec.
std::optional<Choice> ChooseVideoCodec(const MediaDescription& media,
                                       const std::vector<VideoCodecChoice>& ours) {
  for (const VideoCodecChoice& choice : ours) {
    for (const std::string& format : media.formats) {
      const std::optional<int> payload_type = PayloadTypeOf(format);
      const RtpMap* map = payload_type ? media.FindRtpMap(*payload_type) : nullptr;
      if (map == nullptr || VideoCodecOf(*map) != choice.codec) continue;
      if (std::optional<std::string> fmtp = AnswerVideoFmtp(choice.codec, map->fmtp, choice.fmtp)) {
        return Choice{map, choice.codec, std::move(*fmtp)};
      }
    }
  }
  return std::nullopt;
}

std::string OfferedVideoCodecs(const MediaDescription& media) {
  std::vector<std::string_view> names;
  for (const RtpMap& map : media.rtpmaps) {
    if (std::find(names.begin(), names.end(), map.encoding) == names.end()) {
      names.push_back(map.encoding);
    }
  }
  std::string out;
  for (std::string_view name : names) StrAppend(&out, out.empty() ? "" : " ", name);
  return out.empty() ? "none" : out;
}

std::string OurVideoCodecs(const std::vector<VideoCodecChoice>& ours) {
  std::string out;
  for (const VideoCodecChoice& choice : ours) {
    StrAppend(&out, out.empty() ? "" : " ", media::VideoCodecName(choice.codec));
    if (choice.codec == media::VideoCodec::kH264 && !choice.fmtp.empty()) {
      StrAppend(&out, " (", choice.fmtp, ")");
    }
  }
  return out.empty() ? "none" : out;
}

void FillRemote(const RemoteTransport& remote, NegotiatedVideo* video) {
  video->remote_address = remote.address;
  video->remote_rtp_port = remote.rtp_port;
  video->remote_rtcp_port = remote.rtcp_port;
  video->rtcp_mux = remote.rtcp_mux;
}

}  // namespace

VideoRole VideoRoleOf(const MediaDescription& media) {
  if (media.HasContent("slides")) return VideoRole::kSlides;
  if (media.content.empty() || media.HasContent("main")) return VideoRole::kCamera;
  return VideoRole::kOther;
}

std::optional<VideoAnswer> AnswerVideoLine(const SessionDescription& offer,
                                           const MediaDescription& media, const LocalMedia& local,
                                           const std::vector<VideoCodecChoice>& codecs, bool slides,
                                           OfferKind kind, std::string* why_not) {
  const LocalSecurity& keys = local.security;
  const std::optional<Security> security =
      ChooseSecurity(offer, media, keys, slides ? keys.fresh_slides_key : keys.fresh_video_key,
                     slides ? keys.current_slides : keys.current_video, why_not);
  if (!security) return std::nullopt;
  std::optional<Choice> choice = ChooseVideoCodec(media, codecs);
  if (!choice) {
    *why_not = StrCat("no common video codec (offered: ", OfferedVideoCodecs(media),
                      "; accepted: ", OurVideoCodecs(codecs), ")");
    return std::nullopt;
  }
  absl::StatusOr<RemoteTransport> remote = ReadRemote(offer, media);
  absl::Status address = remote.ok()
                             ? CheckRemoteAddress(remote->address, kind == OfferKind::kReOffer)
                             : remote.status();
  if (!address.ok()) {
    *why_not = std::string(address.message());
    return std::nullopt;
  }
  VideoAnswer out;
  NegotiatedVideo& video = out.video;
  const int payload_type = choice->map->payload_type;
  video.codec = choice->codec;
  video.payload_type = payload_type;
  video.fmtp = choice->fmtp;
  video.feedback = FeedbackFor(media, payload_type);
  video.max_receive_bps = MaxReceiveBps(offer, media);
  video.direction = OurDirection(media.direction, remote->address);
  FillRemote(*remote, &video);
  video.slides = slides;
  video.sdes = security->sdes;
  video.dtls = security->dtls;

  MediaDescription& line = out.line;
  line.media = media.media;
  line.proto = media.proto;
  line.port = slides ? local.slides_rtp_port : local.video_rtp_port;
  line.formats.push_back(std::to_string(payload_type));
  line.rtpmaps.push_back(
      {payload_type, choice->map->encoding, media::kVideoClockRate, 1, video.fmtp});
  line.bandwidth = OurBandwidth(local.video_max_bps);
  AddFeedbackLines(video.feedback, payload_type, &line);
  line.direction = video.direction;
  line.rtcp_mux = media.rtcp_mux;
  if (!media.content.empty()) line.content = slides ? "slides" : "main";
  AddSecurityAttributes(*security, keys, &line);
  return out;
}

MediaDescription OfferVideoLine(const LocalMedia& local, bool slides) {
  MediaDescription line;
  line.media = "video";
  line.port = slides ? local.slides_rtp_port : local.video_rtp_port;
  line.proto = "RTP/AVP";
  int payload_type = kFirstVideoPayloadType;
  for (const VideoCodecChoice& choice : local.video_codecs) {
    line.formats.push_back(std::to_string(payload_type));
    line.rtpmaps.push_back({payload_type, std::string(media::VideoCodecName(choice.codec)),
                            media::kVideoClockRate, 1, OfferVideoFmtp(choice.codec, choice.fmtp)});
    ++payload_type;
  }
  AddFeedbackLines({true, true, true, true, true}, -1, &line);
  line.bandwidth = OurBandwidth(local.video_max_bps);
  line.direction = Direction::kSendRecv;
  line.rtcp_mux = true;
  if (slides) {
    line.content = "slides";
  } else if (local.slides_rtp_port != 0) {
    line.content = "main";
  }
  // As the audio line: SDES where a room requires SRTP and keys may travel.
  const LocalSecurity& security = local.security;
  if (security.policy == SrtpPolicy::kRequired && security.sdes_allowed) {
    line.proto = "RTP/SAVP";
    line.other_attributes.emplace_back(
        "crypto",
        WriteCryptoAttribute({1, CryptoSuite::kAesCm128HmacSha1_80,
                              slides ? security.fresh_slides_key : security.fresh_video_key}));
  }
  return line;
}

std::optional<NegotiatedVideo> AcceptVideoLine(const MediaDescription& offered,
                                               const SessionDescription& answer,
                                               const MediaDescription& answered) {
  if (answered.port == 0 || answered.media != offered.media) return std::nullopt;
  NegotiatedVideo video;
  bool found = false;
  // The first format of the answer that we offered is the one to send (RFC 3264 §7).
  for (const std::string& format : answered.formats) {
    const std::optional<int> payload_type = PayloadTypeOf(format);
    const RtpMap* ours = payload_type ? offered.FindRtpMap(*payload_type) : nullptr;
    const std::optional<media::VideoCodec> codec = ours ? VideoCodecOf(*ours) : std::nullopt;
    if (!codec) continue;
    const RtpMap* theirs = answered.FindRtpMap(*payload_type);
    std::optional<std::string> fmtp =
        AnswerVideoFmtp(*codec, theirs != nullptr ? theirs->fmtp : ours->fmtp, ours->fmtp);
    if (!fmtp) continue;
    video.codec = *codec;
    video.payload_type = *payload_type;
    video.fmtp = std::move(*fmtp);
    found = true;
    break;
  }
  if (!found) return std::nullopt;
  absl::StatusOr<RemoteTransport> remote = ReadRemote(answer, answered);
  // An answer's 0.0.0.0 is hold, as in a re-offer.
  if (!remote.ok() || !CheckRemoteAddress(remote->address, true).ok()) return std::nullopt;
  FillRemote(*remote, &video);
  video.feedback =
      Both(FeedbackFor(offered, video.payload_type), FeedbackFor(answered, video.payload_type));
  video.max_receive_bps = MaxReceiveBps(answer, answered);
  video.direction = OurDirection(answered.direction, remote->address);
  video.slides = offered.HasContent("slides");
  if (ProfileOf(offered.proto) == Profile::kSdes) {
    video.sdes = AnsweredSdes(offered, answered);
    if (!video.sdes) return std::nullopt;  // never in the clear where we offered SRTP
  }
  return video;
}

}  // namespace tutti::sdp::internal
