// One INVITE dialog's own life, tutti being the UAS: ringing and answering,
// the 2xx retransmitted until its ACK (RFC 3261 §13.3.1.4), session timers
// (RFC 4028), re-INVITE and UPDATE as far as the dialog is concerned, BYE
// both ways and CANCEL. What the SDP says is the call controller's business:
// it hands the session the body to answer with. The session owns its timers
// and cancels them when it goes, so none of them has to look its call up.
#pragma once

#include <functional>
#include <memory>
#include <optional>
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

  // A dialog tutti started (a dial-out, call_dial_out.cc): its 2xx came and
  // our ACK went, so it is confirmed; nothing to answer or retransmit.
  void ConfirmedByOurAck() { state_ = State::kConfirmed; }
  // 180 Ringing now, and `answer` after `delay` (unless the session goes first).
  void Ring(absl::Duration delay, std::function<void()> answer);
  // 200 OK with `body` (SDP) to the initial INVITE; then awaits the ACK.
  void Answer(std::string_view body);
  // A final error response to a still ringing INVITE, with our To tag
  // (CANCEL, shutdown, the room gone). `retry_after`: add Retry-After.
  // Nothing when the INVITE has its final response already.
  void RefuseInvite(int status_code, std::string_view reason, bool retry_after = false);

  // ---- Inbound trunk calls: early media, RFC 3262 (call_trunk_calls.cc) ----
  // From now on our 1xx to the initial INVITE go reliably (RFC 3262 §3):
  // Require: 100rel and RSeq, sent again on T1 doubling until the PRACK
  // comes; none within 64*T1: the INVITE gets 504 and the session fails
  // ("no PRACK"). At most one is unacknowledged: we send a 180 or a 183.
  void UseReliableProvisionals() { reliable_ = true; }
  bool reliable_provisionals() const { return reliable_; }
  // 183 Session Progress with `body` (our SDP answer): early media; the
  // session stays ringing until Answer sends the 200 OK, which must carry
  // the same body. A reliable 183 holds the 200 back until its PRACK
  // (RFC 3262 §3: no 2xx while a 1xx with SDP is unacknowledged).
  void Progress(std::string_view body);
  // The 183 with SDP went and the INVITE has no final response yet.
  bool early_media() const { return early_ && state_ == State::kRinging; }
  // A PRACK after AcceptInDialog: 200 when its RAck names the reliable 1xx
  // awaiting it (then a 200 OK held for it goes), else 481 (§3).
  void OnPrack(sip::TransactionId id, const sip::SipMessage& prack);
  // ---- end inbound trunk calls ----

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
  // A 1xx to the initial INVITE with our To tag (reliable when asked for).
  void SendProvisional(int status_code, std::string_view reason, std::string_view body);
  void RetransmitProvisional();
  void StopProvisional();

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
  // RFC 3262 (UAS): the reliable 1xx awaiting its PRACK (empty: none), its
  // RSeq (the next one's is one more), and a 200 OK held for that PRACK.
  bool reliable_ = false;
  bool early_ = false;
  std::string pending_provisional_;
  int pending_provisional_status_ = 0;
  bool pending_provisional_has_sdp_ = false;
  uint32_t rseq_ = 0;
  absl::Duration provisional_interval_;
  OwnedTimer provisional_timer_;
  OwnedTimer prack_deadline_;
  std::optional<std::string> held_answer_;
  // Answers to our UPDATEs may come after the session is gone.
  std::shared_ptr<InviteSession*> self_ = std::make_shared<InviteSession*>(this);
};

}  // namespace tutti
