// Live reload, the signaling side (issue 19): a reloaded configuration's
// settings taken by call control while its calls go on.
//
// Live (taken here, each from the next time it is read):
//  - [ivr]: the IVR number (the next INVITE to it), max_attempts (the next
//    caller: a caller already in the IVR finishes under the rules it
//    started with, its DialIn keeps its own copy), the digit timeout (the
//    next wait for a key), and the PIN guard's limits (PinGuard::SetOptions:
//    the failures counted so far are kept and judged by the new limits,
//    lockouts run their course);
//  - [controls]: the keys' maps, read at each key (a call up does the new
//    action with its next sequence);
//  - [conference_events]: the subscriptions' bounds and timing
//    (RoomSubscriptions::set_limits) and who may see an open room's roster;
//  - [messaging] limits: size, content types, replay, deliveries in flight,
//    and the history (RoomChat::set_history keeps each room's newest);
//  - [limits] retry_after_s (every Retry-After we send, in-dialog ones too);
//  - [trunks] and [dial_out] (the call-control side of them; the trunk
//    table, dial plan and guard are swapped by the daemon's ReloadTrunks);
//  - answer_delay and session timers ([sip]: the daemon refuses a reload
//    that changes them today, taken anyway for the day it does not): the
//    next INVITE rings for the new delay; a call up has its next refresh
//    decided by the new policy (one below a raised Min-SE turns the call's
//    timer off rather than being refused: InviteSession::AnswerReInvite);
//  - file offers' bounds and answer timeout, for the offers made from now.
//
// Fixed at start, ignored here (the daemon refuses a reload that changes
// their keys, and fills some of them in itself after
// CallControllerOptionsFrom, so the copy handed in need not even hold
// them): local (our SIP addresses and ports), media (addresses),
// user_agent, dtls_fingerprint and dtls_context (the process's identity),
// srtp_default, sdes_over_plain_sip, audio_codecs, video_codecs,
// video_max_bps ([media]), video_mode ([video]), recording_dir and
// recording_format ([recording]), and messaging.enabled (whether the MSRP
// service runs and Allow lists MESSAGE).
//
// Nothing copied from options_ at construction reads a stale value: the
// sub-objects that keep a copy (server_, session_options_, subscriptions_,
// pin_guard_, room_chat_, file_offers_) are given the new one below; the
// rest read options_ each time.
#include "common/log.h"
#include "signaling/call/call_controller.h"

namespace tutti {

void CallController::Reconfigure(const CallControllerOptions& next) {
  control_thread_.Check();
  CallControllerOptions& live = options_;
  live.answer_delay = next.answer_delay;
  live.session_timers = next.session_timers;
  live.participant_controls = next.participant_controls;
  live.moderator_controls = next.moderator_controls;
  live.ivr_number = next.ivr_number;
  live.dial_in = next.dial_in;
  live.digit_timeout = next.digit_timeout;
  live.pin_guard = next.pin_guard;
  live.retry_after_s = next.retry_after_s;
  live.subscriptions = next.subscriptions;
  live.roster_open_rooms = next.roster_open_rooms;
  const bool messaging_enabled = live.messaging.enabled;
  live.messaging = next.messaging;
  live.messaging.enabled = messaging_enabled;
  live.file_offers = next.file_offers;
  live.trunk_policy = next.trunk_policy;
  live.dial_out = next.dial_out;

  server_.retry_after_s = live.retry_after_s;
  session_options_ = InviteSessionOptions{server_, live.session_timers};  // sessions point here
  subscriptions_.set_limits(live.subscriptions);
  pin_guard_.SetOptions(live.pin_guard);
  room_chat_.set_history(live.messaging.history);
  file_offers_.set_options(live.file_offers);
  LogInfo("call", "call control reconfigured")
      .With("calls", active_calls())
      .With("in_ivr", in_ivr())
      .With("subscriptions", conference_subscriptions());
}

}  // namespace tutti
