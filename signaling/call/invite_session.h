// One INVITE dialog's own life, tutti being the UAS: ringing and answering,
// the 2xx retransmitted until its ACK (RFC 3261 §13.3.1.4), session timers
// (RFC 4028), re-INVITE and UPDATE as far as the dialog is concerned, BYE
// both ways and CANCEL. What the SDP says is the call controller's business:
// it hands the session the body to answer with. The session owns its timers
// and cancels them when it goes, so none of them has to look its call up.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "signaling/call/call_responses.h"
#include "signaling/call/call_timers.h"
#include "signaling/call/session_timer.h"
#include "signaling/sip/call_signaling.h"
#include "signaling/sip/dialog.h"
#include "signaling/sip/transaction_layer.h"

namespace tutti {

struct InviteSessionOptions {
  ServerIdentity server;
  SessionTimerPolicy session_timers;
};

class InviteSession {
 public:
  enum class State { kRinging, kAnswered, kConfirmed };
  // The session ended on its own (no ACK, session expired, refresh failed):
  // the owner sends BYE with `bye_why` and ends the call with `end_why`.
  // Called last: the owner may destroy the session in it.
  using Failed = std::function<void(std::string_view bye_why, std::string_view end_why)>;

  // `invite` is the INVITE's server transaction; `session` what its 2xx
  // will carry of RFC 4028. The pointers outlive the session.
  InviteSession(sip::CallSignaling* signaling, CallTimers* timers,
                const InviteSessionOptions* options, sip::Dialog dialog,
                const sip::MessageSource& source, sip::TransactionId invite,
                SessionTimerDecision session, std::string call_id, Failed failed);
  ~InviteSession();
  InviteSession(const InviteSession&) = delete;
  InviteSession& operator=(const InviteSession&) = delete;

  State state() const { return state_; }
  const sip::Dialog& dialog() const { return dialog_; }
  // The INVITE (initial or re-INVITE) answered last or being answered.
  sip::TransactionId invite_transaction() const { return invite_; }
  const SessionTimerDecision& session_timer() const { return session_; }

  // 180 Ringing now, and `answer` after `delay` (unless the session goes first).
  void Ring(absl::Duration delay, std::function<void()> answer);
  // 200 OK with `body` (SDP) to the initial INVITE; then awaits the ACK.
  void Answer(std::string_view body);
  // A final error response to a still ringing INVITE, with our To tag
  // (CANCEL, shutdown, the room gone). `retry_after`: add Retry-After.
  void RefuseInvite(int status_code, std::string_view reason, bool retry_after = false);

  // Every request inside the dialog first: false when its CSeq is out of
  // order (answered 500).
  bool AcceptInDialog(sip::TransactionId id, const sip::SipMessage& request);
  // A re-INVITE after AcceptInDialog: false when it was answered already
  // (Require, an offer/answer in progress); otherwise the remote target is
  // refreshed and the owner negotiates, then answers with AnswerReInvite.
  bool StartReInvite(sip::TransactionId id, const sip::SipMessage& re_invite);
  void AnswerReInvite(sip::TransactionId id, const sip::SipMessage& re_invite,
                      std::string_view body);
  // The ACK of a 2xx: true when it confirms the 2xx awaiting it (false for
  // a retransmitted or late ACK).
  bool OnAck(const sip::SipMessage& ack);
  // BYE after AcceptInDialog: answered 200 (and a ringing INVITE 487).
  void OnBye(sip::TransactionId id);
  // CANCEL of the ringing INVITE: 487; false when it is answered already.
  bool OnCancel();
  // UPDATE after AcceptInDialog: a session refresh (RFC 4028 §10); an SDP
  // offer in it is refused (re-INVITE changes media).
  void OnUpdate(sip::TransactionId id, const sip::SipMessage& update);
  // BYE with a Reason; `answered` hears its final answer or timeout.
  void SendBye(std::string_view why, std::function<void(const sip::SipMessage*)> answered);
  // Another request inside the dialog (a MESSAGE): the next CSeq, to the
  // dialog's next hop; `shape` may change the bytes built (a From display
  // name); `answered` hears its responses or its timeout. 0: not sent (the
  // transaction layer refused the bytes), `answered` never called.
  sip::TransactionId SendRequest(sip::Method method, std::string_view body,
                                 std::string_view content_type,
                                 const std::function<std::string(std::string)>& shape,
                                 std::function<void(const sip::SipMessage*)> answered);

 private:
  void SendOk(sip::TransactionId id, const sip::SipMessage& invite, std::string ok);
  void AwaitAck();
  void RetransmitOk();
  void ArmSessionTimer();
  void RefreshSession();

  sip::CallSignaling* signaling_;
  CallTimers* timers_;
  const InviteSessionOptions* options_;
  sip::Dialog dialog_;
  sip::MessageSource source_;
  sip::TransactionId invite_;
  SessionTimerDecision session_;
  std::string call_id_;  // for logs
  Failed failed_;
  State state_ = State::kRinging;
  // The 2xx waiting for its ACK: retransmitted on T1, doubling up to T2,
  // for 64*T1.
  std::string pending_ok_;
  uint32_t pending_ok_cseq_ = 0;
  sip::Destination ok_destination_;
  absl::Duration ok_interval_;
  OwnedTimer ok_timer_;
  OwnedTimer ack_deadline_;
  OwnedTimer answer_timer_;
  OwnedTimer session_timer_;
  // Answers to our UPDATEs may come after the session is gone.
  std::shared_ptr<InviteSession*> self_ = std::make_shared<InviteSession*>(this);
};

}  // namespace tutti
