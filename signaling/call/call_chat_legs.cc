// The call controller's MSRP legs (RFC 4975 chat, RFC 5547 incoming files):
// what a call's answer offers for an m=message line, the negotiated stream
// registered with the MSRP service and removed when the call or the stream
// ends, chat-only members (no audio), and a member's file offer (a call
// that only brings a file: from a member of the room, no participant).
#include <utility>

#include "common/log.h"
#include "common/strings.h"
#include "signaling/call/call_controller.h"
#include "signaling/call/call_state.h"
#include "signaling/sdp/session_description.h"

namespace tutti {

namespace {

// The session-id of our a=path msrp://host:port/<session-id>;tcp.
std::string SessionIdOf(std::string_view path) {
  const size_t slash = path.rfind('/');
  std::string_view id = slash == std::string_view::npos ? path : path.substr(slash + 1);
  return std::string(id.substr(0, id.find(';')));
}

// The MSRP service's words, fit for a Reason header's quoted text.
std::string ReasonText(std::string_view why) {
  std::string text(why.substr(0, 120));
  for (char& c : text) {
    if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  return text;
}

bool SameStream(const sdp::NegotiatedChat& a, const sdp::NegotiatedChat& b) {
  return a.remote_path == b.remote_path && a.active == b.active && a.file == b.file;
}

}  // namespace

void CallController::SetChatChoice(Call& call) {
  // In the IVR the room is the one a PIN is asked for: only a member's file
  // offer is taken there (TakeChatOffer), never a chat line.
  const bool room_known = !call.room.empty() || (call.dial_in && !call.dial_in->room().empty());
  if (msrp_ == nullptr || !options_.messaging.enabled || !room_known) {
    call.local_media.chat.reset();
    return;
  }
  if (call.chat) {  // the stream in use keeps its path
    call.local_media.chat->path = call.chat->negotiated.local_path;
    return;
  }
  if (call.local_media.chat) return;  // a fresh path not used yet
  sdp::LocalChat chat;
  chat.path = msrp_->LocalPath(msrp::NewSessionId());
  chat.port = msrp_->port();
  chat.files = files_ != nullptr;
  call.local_media.chat = std::move(chat);
}

bool CallController::OffersFile(const sip::SipMessage& invite) {
  if (invite.body().empty()) return false;
  absl::StatusOr<sdp::SessionDescription> offer = sdp::ParseSdp(invite.body());
  if (!offer.ok()) return false;
  for (const sdp::MediaDescription& media : offer->media) {
    if (media.media != "message" || media.port == 0) continue;
    if (media.direction != sdp::Direction::kSendOnly) continue;
    for (const auto& [name, value] : media.other_attributes) {
      if (name == "file-selector") return true;
    }
  }
  return false;
}

bool CallController::TakeChatOffer(sip::TransactionId id, const sip::SipMessage& invite,
                                   const sdp::SessionDescription& offer, Call& call,
                                   sdp::AnswerResult* answer) {
  const bool file = answer->chat && answer->chat->file;
  if (answer->chat && !file && call.dial_in) {
    // A chat line before the room is known (dial-in): declined.
    call.local_media.chat.reset();
  } else if (file) {
    const std::string room = call.room.empty() ? call.dial_in->room() : call.room;
    if (!IsParticipant(invite, call.source, room)) {
      LogInfo("call", "file offer refused: not a member")
          .With("call_id", call.call_id)
          .With("room", room)
          .With("from", call.source.address.ip());
      Reject(id, 403, "Members Only");
      return false;
    }
    // It brings a file to the room: no audio, no IVR, no seat in the room.
    call.file_call = true;
    call.room = room;
    call.dial_in.reset();
    call.local_media.codecs.clear();
    call.local_media.video_codecs.clear();
  } else {
    return true;
  }
  absl::StatusOr<sdp::AnswerResult> again =
      sdp::AnswerOffer(offer, WithVideoPlaceholders(call, call.local_media));
  if (!again.ok()) {
    Reject(id, 488, "Not Acceptable Here", std::string(again.status().message()),
           sdp::WarnCodeFor(again.status()));
    return false;
  }
  *answer = std::move(*again);
  return true;
}

void CallController::TakeChat(Call& call, std::optional<sdp::NegotiatedChat> negotiated) {
  if (!negotiated) return EndChat(call);
  if (call.chat && SameStream(call.chat->negotiated, *negotiated)) {
    call.chat->negotiated = std::move(*negotiated);
    return;
  }
  // A new stream, or its peer moved: the service binds it anew (same id).
  if (call.chat && msrp_ != nullptr) msrp_->RemoveSession(call.id, call.chat->session_id);
  const std::string session_id = SessionIdOf(negotiated->local_path);
  msrp::MsrpSession session;
  session.call_id = call.id;
  session.room = call.room;
  session.local_session_id = session_id;
  session.remote_path = negotiated->remote_path;
  session.active = negotiated->active;
  session.member_uri = call.from_uri;
  session.member_name = call.from_display_name;
  session.accept_types = negotiated->accept_types;
  session.accepts_cpim = negotiated->accepts_cpim();
  session.role = negotiated->file ? msrp::SessionRole::kFileReceive : msrp::SessionRole::kChat;
  if (negotiated->file) session.file = *negotiated->file;
  LogInfo("call", negotiated->file ? "file offer taken" : "chat stream added")
      .With("call_id", call.call_id)
      .With("room", call.room)
      .With("we_connect", negotiated->active)
      .With("bytes", negotiated->file ? negotiated->file->size : 0);
  if (msrp_ != nullptr) msrp_->AddSession(std::move(session));
  call.chat = Call::ChatLeg{session_id, std::move(*negotiated)};
}

void CallController::EndChat(Call& call) {
  call.local_media.chat.reset();  // a stream added later gets a fresh session-id
  if (!call.chat) return;
  if (msrp_ != nullptr) msrp_->RemoveSession(call.id, call.chat->session_id);
  LogInfo("call", call.chat->negotiated.file ? "file stream removed" : "chat stream removed")
      .With("call_id", call.call_id)
      .With("room", call.room);
  call.chat.reset();
}

void CallController::OnMsrpSessionEnded(const msrp::SessionEnded& ended) {
  auto it = calls_.find(ended.call_id);
  if (it == calls_.end()) return;  // the call ended first
  Call& call = *it->second;
  if (!call.chat || call.chat->session_id != ended.local_session_id) return;  // an old stream
  const std::string why = ended.slow ? std::string("chat dropped: too slow to read")
                                     : StrCat("chat stream ended: ", ReasonText(ended.why));
  LogInfo("call", ended.slow ? "chat member dropped (slow)" : "chat stream ended")
      .With("call_id", call.call_id)
      .With("room", call.room)
      .With("why", ended.why);
  call.chat.reset();
  call.local_media.chat.reset();
  // A call with audio keeps it; one that was only this stream is over.
  if (!call.chat_only || call.ringing()) return;
  SendBye(call, why);
  EndCall(call.id, why);
}

}  // namespace tutti
