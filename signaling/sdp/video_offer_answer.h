// The video side of offer/answer: one offered m=video line answered with
// one codec of ours (its fmtp from video_fmtp.h), the RTCP feedback tutti
// supports, our bandwidth limit and the peer's, a=content echoed; our own
// video lines for an offer, and the answer to them read back. Internal to
// tutti_sdp (offer_answer.h is the interface).
#pragma once

#include <optional>
#include <string>

#include "signaling/sdp/offer_answer.h"
#include "signaling/sdp/session_description.h"

namespace tutti::sdp::internal {

// What an offered m=video line is (RFC 4796): the camera (no a=content, or
// a=content:main), the content stream (a=content:slides), or another
// (speaker, sl, alt: not taken).
enum class VideoRole { kCamera, kSlides, kOther };
VideoRole VideoRoleOf(const MediaDescription& media);

struct VideoAnswer {
  MediaDescription line;  // the answered m-line
  NegotiatedVideo video;
};

// Answers `media` as the camera (or, `slides`, the content stream) on
// LocalMedia's port for it with one of `codecs`; nullopt with `why_not`
// when it cannot be taken (no common codec, its security, its address).
std::optional<VideoAnswer> AnswerVideoLine(const SessionDescription& offer,
                                           const MediaDescription& media, const LocalMedia& local,
                                           const std::vector<VideoCodecChoice>& codecs, bool slides,
                                           OfferKind kind, std::string* why_not);

// Our m=video line (the content stream's when `slides`) for MakeOffer.
MediaDescription OfferVideoLine(const LocalMedia& local, bool slides);

// What the peer's `answered` line agreed to our `offered` one; nullopt when
// it declined it or took nothing we offered in a way we take.
std::optional<NegotiatedVideo> AcceptVideoLine(const MediaDescription& offered,
                                               const SessionDescription& answer,
                                               const MediaDescription& answered);

}  // namespace tutti::sdp::internal
