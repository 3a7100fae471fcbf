// A room's stored files offered to its members (RFC 5547 §8), tutti the
// UAC: file_offers.h has the states. The bytes go by the MSRP service
// (a kFileSend session per accepted offer).
#include <string>

#include "absl/random/random.h"
#include "common/log.h"
#include "common/strings.h"
#include "signaling/call/call_controller.h"
#include "signaling/call/call_state.h"
#include "signaling/call/event_json.h"
#include "signaling/sdp/msrp_offer_answer.h"

namespace tutti {
namespace {

using sip::Method;

msrp::FileDescription DescriptionOf(const msrp::StoredFile& file) {
  msrp::FileDescription description;
  description.name = file.name;
  description.type = file.type;
  description.size = file.size;
  description.sha1 = file.sha1;
  return description;
}

}  // namespace

void CallController::OnFileReceived(const msrp::FileReceived& received) {
  const msrp::StoredFile& file = received.file;
  LogInfo("files", "file stored")
      .With("room", file.room)
      .With("id", file.id)
      .With("size", file.size)
      .With("sender", file.sender);
  if (events_ != nullptr) {
    events_->Publish(
        "file_stored",
        StrCat("{\"room\":", JsonString(file.room), ",\"id\":", JsonString(file.id),
               ",\"name\":", JsonString(file.name), ",\"type\":", JsonString(file.type),
               ",\"size\":", file.size, ",\"sender\":", JsonString(file.sender), "}"));
  }
  if (msrp_ == nullptr || shutting_down_) return;
  // The sender is known by its From URI: none of its calls is offered its own file.
  std::string sender_uri = file.sender;
  if (auto it = calls_.find(received.call_id); it != calls_.end()) {
    sender_uri = it->second->from_uri;
  }
  for (const Call* member : InRoom(file.room)) {
    if (member->id == received.call_id || member->from_uri == sender_uri) continue;
    if (member->dial_in || member->session->state() != InviteSession::State::kConfirmed) continue;
    OfferFile(*member, file);
  }
}

void CallController::OfferFile(const Call& member, const msrp::StoredFile& file) {
  FileOffer* offer = file_offers_.Add(
      member.room, sip::Dialog::StartAlongside(member.session->dialog(),
                                               StrCat(sip::TransactionLayer::NewTag(),
                                                      sip::TransactionLayer::NewTag(), "@tutti"),
                                               sip::TransactionLayer::NewTag()));
  if (offer == nullptr) {
    ++file_counters_.offers_skipped;
    LogWarn("files", "file offers in flight at their bound: member skipped")
        .With("room", member.room)
        .With("call_id", member.call_id)
        .With("file", file.id);
    return;
  }
  offer->member_call = member.id;
  offer->member_uri = member.from_uri;
  offer->file = file;
  offer->local_session_id = msrp::NewSessionId();
  sdp::LocalChat local;
  local.path = msrp_->LocalPath(offer->local_session_id);
  local.port = msrp_->port();
  local.files = false;
  const std::string& address = options_.media.For(member.media_family).empty()
                                   ? options_.media.ipv4
                                   : options_.media.For(member.media_family);
  absl::BitGen bitgen;  // o='s session id, drawn as a call's is (NewCall)
  offer->offer =
      sdp::MakeFileOffer(address, local, DescriptionOf(file), absl::Uniform<uint32_t>(bitgen));
  AddFileSendSession(*offer, {}, /*active=*/false);
  offer->invite_branch = sip::TransactionLayer::NewBranch();
  std::string invite = offer->dialog.BuildRequest(Method::kInvite, offer->invite_branch, {},
                                                  sdp::WriteSdp(offer->offer), kSdpType);
  offer->invite_cseq = offer->dialog.local_cseq();
  offer->invite_hop = offer->dialog.NextHop();
  const uint64_t id = offer->id;
  offer->answer_timer = timers_->Add(file_offers_.options().answer_timeout, [this, id] {
    FileOffer* unanswered = file_offers_.Find(id);
    if (unanswered == nullptr || unanswered->state != FileOffer::State::kInviting) return;
    unanswered->answer_timer = 0;
    ++file_counters_.offers_timed_out;
    CancelFileOffer(*unanswered, "timed_out");
  });
  ++file_counters_.offers_sent;
  LogInfo("files", "offering a file")
      .With("room", member.room)
      .With("call_id", member.call_id)
      .With("file", file.id);
  transactions_->SendRequest(
      offer->invite_hop, std::move(invite),
      [this, id](const sip::SipMessage* response) { OnFileOfferResponse(id, response); });
}

void CallController::OnFileOfferResponse(uint64_t offer_id, const sip::SipMessage* response) {
  FileOffer* offer = file_offers_.Find(offer_id);
  if (offer == nullptr) return;
  using State = FileOffer::State;
  if (response != nullptr && response->status_code() < 200) return;  // ringing, trying
  timers_->Cancel(offer->answer_timer);
  offer->answer_timer = 0;
  if (response == nullptr) {  // timer B (no answer at all) or our CANCEL unanswered
    if (offer->state == State::kInviting) {
      ++file_counters_.offers_timed_out;
      CancelFileOffer(*offer, "timed_out");  // it may still ring there
    }
    if (offer->state == State::kCancelling) FinishFileOffer(offer_id);
    return;
  }
  if (response->status_code() < 300) return OnFileOfferAnswered(*offer, *response);
  if (offer->state == State::kInviting) {
    ++file_counters_.offers_declined;
    offer->outcome = "declined";
  }
  // Declined, or our CANCEL's 487: over either way.
  if (offer->state == State::kInviting || offer->state == State::kCancelling) {
    FinishFileOffer(offer_id);
  }
}

void CallController::OnFileOfferAnswered(FileOffer& offer, const sip::SipMessage& ok) {
  using State = FileOffer::State;
  if (!offer.ack.empty()) {  // a retransmitted 2xx: our ACK was lost
    transactions_->SendStateless(offer.dialog.NextHop(), offer.ack);
    return;
  }
  offer.dialog.Confirm(ok);
  file_offers_.Confirmed(offer);
  offer.ack = offer.dialog.BuildAck(offer.invite_cseq, sip::TransactionLayer::NewBranch());
  transactions_->SendStateless(offer.dialog.NextHop(), offer.ack);
  if (offer.state == State::kCancelling) {  // the 2xx crossed our CANCEL
    ByeFileOffer(offer, offer.outcome);
    return;
  }
  absl::StatusOr<sdp::SessionDescription> answer = sdp::ParseSdp(ok.body());
  absl::StatusOr<sdp::NegotiatedChat> chat =
      answer.ok() ? sdp::AcceptFileAnswer(offer.offer, *answer) : answer.status();
  if (!chat.ok()) {
    LogInfo("files", "file offer declined in the answer")
        .With("room", offer.room)
        .With("why", std::string(chat.status().message()));
    ++file_counters_.offers_declined;
    ByeFileOffer(offer, "declined");
    return;
  }
  ++file_counters_.offers_accepted;
  offer.state = State::kSending;
  if (offer.ended_early) {
    ++file_counters_.sends_failed;
    ByeFileOffer(offer, "failed");
    return;
  }
  if (offer.sent_early) {
    OnFileSent(*offer.sent_early);
    return;
  }
  if (chat->active) {  // the member listens: the session is ours to connect
    if (offer.session_added) msrp_->RemoveSession(offer.id, offer.local_session_id);
    AddFileSendSession(offer, chat->remote_path, /*active=*/true);
  }
}

void CallController::AddFileSendSession(FileOffer& offer, std::vector<std::string> remote_path,
                                        bool active) {
  msrp::MsrpSession session;
  session.call_id = offer.id;
  session.room = offer.room;
  session.local_session_id = offer.local_session_id;
  session.remote_path = std::move(remote_path);
  session.active = active;
  session.member_uri = offer.member_uri;
  session.role = msrp::SessionRole::kFileSend;
  session.file = DescriptionOf(offer.file);
  session.stored_file_id = offer.file.id;
  msrp_->AddSession(std::move(session));
  offer.session_added = true;
}

void CallController::CancelFileOffer(FileOffer& offer, std::string_view outcome) {
  offer.state = FileOffer::State::kCancelling;
  offer.outcome = std::string(outcome);
  // The INVITE's final response (487, or a 2xx that crossed) ends the offer.
  transactions_->SendRequest(offer.invite_hop,
                             offer.dialog.BuildCancel(offer.invite_cseq, offer.invite_branch),
                             [](const sip::SipMessage*) {});
}

void CallController::ByeFileOffer(FileOffer& offer, std::string_view outcome) {
  if (offer.session_added) {
    msrp_->RemoveSession(offer.id, offer.local_session_id);
    offer.session_added = false;
  }
  offer.state = FileOffer::State::kEnding;
  offer.outcome = std::string(outcome);
  const uint64_t id = offer.id;
  transactions_->SendRequest(
      offer.dialog.NextHop(),
      offer.dialog.BuildRequest(Method::kBye, sip::TransactionLayer::NewBranch()),
      [this, id](const sip::SipMessage* response) {
        if (response != nullptr && response->status_code() < 200) return;
        FinishFileOffer(id);
      });
}

void CallController::FinishFileOffer(uint64_t offer_id) {
  FileOffer* offer = file_offers_.Find(offer_id);
  if (offer == nullptr) return;
  timers_->Cancel(offer->answer_timer);
  if (offer->session_added) msrp_->RemoveSession(offer->id, offer->local_session_id);
  LogInfo("files", "file offer over")
      .With("room", offer->room)
      .With("file", offer->file.id)
      .With("to", offer->member_uri)
      .With("outcome", offer->outcome);
  if (events_ != nullptr) {
    events_->Publish(
        "file_offer",
        StrCat("{\"room\":", JsonString(offer->room), ",\"id\":", JsonString(offer->file.id),
               ",\"participant\":", offer->member_call, ",\"to\":", JsonString(offer->member_uri),
               ",\"outcome\":", JsonString(offer->outcome), "}"));
  }
  const bool counted_for_shutdown = offer->shutdown;
  file_offers_.Remove(offer_id);
  if (counted_for_shutdown) {
    --byes_in_flight_;
    MaybeFinishShutdown();
  }
}

void CallController::OnFileSent(const msrp::FileSent& sent) {
  FileOffer* offer = file_offers_.Find(sent.call_id);
  if (offer == nullptr) return;
  if (offer->state == FileOffer::State::kInviting) {  // it connected before its 2xx came
    offer->sent_early = sent;
    return;
  }
  if (offer->state != FileOffer::State::kSending) return;
  if (sent.ok) {
    ++file_counters_.sends_completed;
  } else {
    ++file_counters_.sends_failed;
    LogInfo("files", "file send failed").With("room", offer->room).With("why", sent.why);
  }
  ByeFileOffer(*offer, sent.ok ? "sent" : "failed");
}

void CallController::OnFileOfferSessionEnded(const msrp::SessionEnded& ended) {
  FileOffer* offer = file_offers_.Find(ended.call_id);
  if (offer == nullptr) return;
  if (offer->state == FileOffer::State::kInviting) {
    offer->session_added = false;
    offer->ended_early = ended.why;
    return;
  }
  if (offer->state != FileOffer::State::kSending) return;
  ++file_counters_.sends_failed;
  offer->session_added = false;  // the service let it go
  LogInfo("files", "file send ended early").With("room", offer->room).With("why", ended.why);
  ByeFileOffer(*offer, "failed");
}

bool CallController::OnFileOfferBye(sip::TransactionId id, const sip::SipMessage& bye) {
  FileOffer* offer = file_offers_.FindByDialog(sip::IncomingDialogId(bye));
  if (offer == nullptr) return false;
  if (!offer->dialog.AcceptRemoteCSeq(bye)) {
    Reject(id, 500, "CSeq Out Of Order");
    return true;
  }
  transactions_->Respond(id, 200, transactions_->ResponseFor(id, 200).Finish());
  if (offer->state == FileOffer::State::kSending) {
    ++file_counters_.ended_by_member;
    offer->outcome = "ended_by_member";
    FinishFileOffer(offer->id);  // our own BYE (kEnding) finishes it when answered
  }
  return true;
}

void CallController::EndFileOffers() {
  for (uint64_t id : file_offers_.Ids()) {
    FileOffer& offer = *file_offers_.Find(id);
    offer.shutdown = true;
    ++byes_in_flight_;
    timers_->Cancel(offer.answer_timer);
    offer.answer_timer = 0;
    if (offer.state == FileOffer::State::kInviting) CancelFileOffer(offer, "shutdown");
    if (offer.state == FileOffer::State::kSending) ByeFileOffer(offer, "shutdown");
  }
}

void CallController::OnFileTransferFailed(const msrp::FileTransferFailed& failed) {
  std::string room;
  if (auto it = calls_.find(failed.call_id); it != calls_.end()) room = it->second->room;
  LogInfo("files", "file not received").With("room", room).With("why", failed.why);
  if (events_ == nullptr) return;
  events_->Publish("file_failed", StrCat("{\"room\":", JsonString(room), ",\"participant\":",
                                         failed.call_id, ",\"why\":", JsonString(failed.why), "}"));
}

}  // namespace tutti
