// tutti's offers of a room's stored files to its members (RFC 5547 §8): one
// INVITE per member, tutti the UAC, each offer a small state machine.
//
//   inviting --2xx, stream accepted--> sending --FileSent / BYE--> gone
//      |  \--2xx, stream refused: ACK + BYE--> ending --BYE answered--> gone
//      |--1xx: still inviting; >= 300 or a timeout: gone (declined, timed out)
//      \--our answer timeout, shutdown: CANCEL--> cancelling --final--> gone
//
// This table holds the offers and their bounds (in all and per room, so a
// busy room cannot take every slot); call_file_offers.cc does the SIP and
// MSRP work. An offer's id is also its MSRP session's call_id: the ids are
// in a range of their own (counting up from kFirstId in the order made, far
// above call ids), so the MSRP service's events for file sends are told
// apart from those for calls.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "signaling/call/call_timers.h"
#include "signaling/msrp/file_store.h"
#include "signaling/msrp/msrp_service.h"
#include "signaling/sdp/session_description.h"
#include "signaling/sip/dialog.h"
#include "signaling/sip/transport.h"

namespace tutti {

struct FileOfferOptions {
  // How long a member may leave an offer unanswered (ringing) before it is
  // CANCELled. Once the member's 1xx came, only this ends the wait (timer B,
  // 32 s, applies to an INVITE with no answer at all); a CANCEL with no 487
  // is over 64*T1 later (the transaction layer reports a timeout).
  absl::Duration answer_timeout = absl::Seconds(30);
  size_t max_in_flight = 1000;          // offers not yet over, in all
  size_t max_in_flight_per_room = 200;  // ... in one room
};

struct FileOffer {
  enum class State {
    kInviting,    // INVITE sent, no final response
    kCancelling,  // CANCEL sent, waiting for the INVITE's final response
    kSending,     // accepted: the MSRP service sends the file
    kEnding,      // BYE sent, waiting for its answer
  };
  uint64_t id = 0;
  std::string room;
  uint64_t member_call = 0;  // the member's call (the controller's key)
  std::string member_uri;
  msrp::StoredFile file;
  sip::Dialog dialog;
  sdp::SessionDescription offer;  // our SDP, which the 2xx answers
  std::string local_session_id;   // in our a=path
  uint32_t invite_cseq = 0;
  std::string invite_branch;
  sip::Destination invite_hop;
  std::string ack;  // the ACK of its 2xx, sent again for a retransmitted 2xx
  State state = State::kInviting;
  // The MSRP service has the kFileSend session: from the INVITE on,
  // passive, since a member may answer a=setup:active and connect before
  // its 2xx is read here (or while a lost 2xx is retransmitted).
  bool session_added = false;
  // What the service said before the 2xx was read: the file already sent
  // (or failed), or the session over; acted on once the answer is in.
  std::optional<msrp::FileSent> sent_early;
  std::optional<std::string> ended_early;
  bool shutdown = false;  // ended by CallController::Shutdown (counted in flight)
  CallTimers::TimerId answer_timer = 0;
  std::string outcome;  // "sent", "declined", "timed_out", "failed", "ended"
};

class FileOffers {
 public:
  static constexpr uint64_t kFirstId = uint64_t{1} << 62;
  static bool IsOfferId(uint64_t id) { return id >= kFirstId; }

  explicit FileOffers(FileOfferOptions options) : options_(options) {}

  // A new offer (its id set, state kInviting), or null when the room or the
  // whole server has its bound of offers in flight.
  FileOffer* Add(std::string_view room, sip::Dialog dialog);
  FileOffer* Find(uint64_t id);
  // An offer whose dialog was confirmed (Confirmed) by this id.
  FileOffer* FindByDialog(const sip::DialogId& id);
  // Indexes the offer's dialog once its 2xx gave it the remote tag.
  void Confirmed(const FileOffer& offer);
  void Remove(uint64_t id);
  std::vector<uint64_t> Ids() const;
  size_t size() const { return offers_.size(); }
  size_t InRoom(std::string_view room) const;
  const FileOfferOptions& options() const { return options_; }
  // New bounds and answer timeout (a reload) for the offers made from now;
  // offers in flight keep their timers and count against the new bounds.
  void set_options(const FileOfferOptions& options) { options_ = options; }

 private:
  FileOfferOptions options_;
  uint64_t next_id_ = kFirstId;
  std::map<uint64_t, FileOffer> offers_;  // ordered: Ids() in the order made
  absl::flat_hash_map<sip::DialogId, uint64_t> by_dialog_;
  absl::flat_hash_map<std::string, size_t> per_room_;
};

}  // namespace tutti
