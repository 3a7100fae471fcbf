// A call leg as the CallController keeps it. Private to the controller's
// .cc files (call_controller.cc: SIP and media; call_rooms.cc: dial-in,
// prompts, presence and key controls).
#pragma once

#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "signaling/call/call_controller.h"
#include "signaling/call/dial_in.h"

namespace tutti {

struct CallController::Call {
  enum class State { kRinging, kAnswered, kConfirmed };
  uint64_t id = 0;
  State state = State::kRinging;
  // Empty while in the dial-in IVR; the room's name from the moment the
  // caller is on its way in.
  std::string room;
  std::string call_id;  // SIP Call-ID, for logs
  sip::MessageSource source;
  sip::TransactionId invite_transaction = 0;
  std::unique_ptr<sip::Dialog> dialog;
  media::PortPair ports;  // moves to the media worker when the call joins its room
  uint32_t conference_id = 0;
  bool media_joined = false;
  bool talking = false;
  bool muted = false;  // by the caller or an operator
  // Dial-in: the conversation while in the IVR (null once in a room), and
  // the timer that ends an entry nobody finishes.
  std::unique_ptr<DialIn> dial_in;
  EventLoop::TimerId digit_timer = 0;
  // A PIN answer held because its room is being guessed at (DialInStep
  // hold): run when hold_timer fires; keys meanwhile are ignored.
  std::optional<DialInStep> held_step;
  EventLoop::TimerId hold_timer = 0;
  bool in_room = false;         // its media is in the room's conference
  bool moderator = false;       // entered the moderator PIN
  bool waiting = false;         // for the moderator: muted by the room, hearing music
  uint64_t join_order = 0;      // larger: joined later (kick_last)
  std::string keys_in_transit;  // pressed between the IVR and the room
  // Prompts: the ones queued after the one playing, music to loop when they
  // are done, and whether the call ends then (goodbye).
  std::deque<const media::Prompt*> prompts;
  bool prompt_playing = false;
  bool music = false;
  bool hang_up_after_prompts = false;
  std::string hang_up_why;
  EventLoop::TimerId hang_up_timer = 0;
  int listen_db = 0;
  int talk_db = 0;
  std::string keys;  // DTMF typed so far towards a control sequence
  absl::Time last_key;
  std::string from_uri;
  mixer::ParticipantStats media_stats;  // the latest the worker reported
  absl::Time wall_started;
  absl::Time answered = absl::InfinitePast();
  SessionTimerDecision session;  // what the last 2xx agreed (RFC 4028)
  EventLoop::TimerId session_timer = 0;
  sdp::LocalMedia local_media;
  std::optional<sdp::SessionDescription> remote_offer;  // the offer we answer in the 2xx
  std::optional<sdp::SessionDescription> our_offer;     // we offered in the 2xx; the ACK answers
  std::optional<sdp::NegotiatedAudio> audio;
  // The 2xx to an INVITE (initial or re-INVITE) that is waiting for its ACK
  // (RFC 3261 §13.3.1.4): retransmitted on T1, doubling up to T2, for 64*T1.
  std::string pending_ok;
  uint32_t pending_ok_cseq = 0;
  sip::Destination ok_destination;
  absl::Duration ok_interval;
  EventLoop::TimerId ok_timer = 0;
  EventLoop::TimerId ack_deadline = 0;
  EventLoop::TimerId answer_timer = 0;
  absl::Time started;
};

}  // namespace tutti
