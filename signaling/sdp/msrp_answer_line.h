// The MSRP side of offer/answer: one offered m=message line answered with
// our a=path, the accept types, the connection role (RFC 6135) and, for a
// file offer (RFC 5547), the file it sends. Internal to tutti_sdp
// (msrp_offer_answer.h and offer_answer.h are the interface).
#pragma once

#include <optional>
#include <string>

#include "signaling/sdp/msrp_offer_answer.h"
#include "signaling/sdp/session_description.h"

namespace tutti::sdp::internal {

struct ChatAnswer {
  MediaDescription line;  // the answered m-line
  NegotiatedChat chat;
};

// Answers the offered m=message line `media` with `local`; nullopt with
// `why_not` when it cannot be taken (msrps, no a=path or a=accept-types,
// a file offer where files are not taken, a file above a=max-size...).
std::optional<ChatAnswer> AnswerChatLine(const SessionDescription& offer,
                                         const MediaDescription& media, const LocalChat& local,
                                         std::string* why_not);

}  // namespace tutti::sdp::internal
