// Dial-outs: tutti the UAC of a call to a phone through a trunk
// (call_dial_out.cc drives it), and the pure pieces that decide and shape
// one: which trunk may carry a target (the toll-fraud guard's first half:
// no trunk, no call; a sip: URI only to a trunk's own domain, so tutti is
// no open relay), the INVITE's identity headers, the dial_out event and the
// NOTIFY sipfrag lines a REFER's progress is told in.
//
//   inviting --1xx: ringing/progress events, PRACK a reliable one--> inviting
//      |--401/407 (once per challenge): INVITE again with credentials
//      |--2xx: ACK; answer accepted: a Call in the room; refused: ACK + BYE
//      |--final >= 300, timer B: failed (event, record with the code)
//      \--answer timeout, shutdown, room removed: CANCEL--> cancelling
//                                                  --487 / 2xx + BYE--> failed
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "signaling/call/call_timers.h"
#include "signaling/sip/dialog.h"
#include "signaling/sip/sip_message.h"
#include "signaling/sip/transport.h"
#include "signaling/trunk/trunk_config.h"
#include "signaling/trunk/trunk_table.h"

namespace tutti {

// Where a dial-out goes: the trunk and the number in canonical form.
struct DialOutTarget {
  const trunk::TrunkConfig* trunk = nullptr;
  std::string number;
};

// The trunk that may carry `target` (a dialled number, a tel: URI, or a
// sip:/sips: URI whose host is a trunk's domain or host), skipping trunks
// `down` says are down. InvalidArgument: not a number or URI;
// PermissionDenied: no trunk may reach it (a sip: URI to another domain
// included); Unavailable: only trunks that are down could.
absl::StatusOr<DialOutTarget> ResolveDialOutTarget(
    const trunk::TrunkTable& trunks, std::string_view target,
    const std::function<bool(const trunk::TrunkConfig&)>& down);

// The domain of the URIs a dial-out through `trunk` names (its domain, else host).
std::string_view TrunkDomain(const trunk::TrunkConfig& trunk);

// The UAC side of one dial-out, kept with its Call (Call::dial_out) for
// the call's whole life: its record and the trunk's counts need it after
// the answer too.
struct DialOutLeg {
  enum class State {
    kInviting,    // INVITE sent, no final response
    kCancelling,  // CANCEL sent, waiting for the INVITE's final response
    kAnswered,    // 2xx taken: the callee is a participant
    kOver,        // failed or ended
  };
  // The trunk's settings as the dial-out began, kept by it until it ends
  // (a reload may change or remove the trunk meanwhile).
  std::shared_ptr<const trunk::TrunkConfig> trunk;
  std::string number;     // canonical, the callee
  std::string caller_id;  // canonical, shown to the callee; empty: none
  std::string requested_by;
  std::string request_uri;  // of our INVITE (the digest's uri)
  sip::Dialog dialog;
  std::string invite_body;   // our SDP offer, sent again with credentials
  std::string invite_extra;  // the INVITE's own header lines (PAI, Supported...)
  uint32_t invite_cseq = 0;
  std::string invite_branch;
  sip::Destination hop;
  std::string cancel;  // the CANCEL of the INVITE in flight (built with it)
  std::string ack;     // the ACK of the 2xx, sent again for a retransmitted 2xx
  // Digest (RFC 3261 §22.2): each kind of challenge is answered once (a
  // second one means wrong credentials) unless it says stale; the lines
  // answered go on every INVITE after (a proxy's and the callee's both).
  int auth_attempts = 0;  // at most kMaxAuthAttempts INVITEs with credentials
  bool answered_401 = false;
  bool answered_407 = false;
  std::string authorization;        // "Authorization: ...\r\n" or empty
  std::string proxy_authorization;  // "Proxy-Authorization: ...\r\n" or empty
  uint32_t last_rseq = 0;           // the last reliable provisional PRACKed
  bool ringing_told = false;
  bool progress_told = false;
  State state = State::kInviting;
  OwnedTimer answer_timer;
  int final_status = 0;  // the INVITE's final response; 0: none yet
  std::string final_reason;
  std::string outcome;  // "answered", "failed", "timeout", "cancelled", "shutdown"...
  // A REFER asked for it (RFC 4579 add-by-REFER): the referrer's call,
  // told the progress in NOTIFYs (0: none).
  uint64_t refer_call = 0;
  uint32_t refer_cseq = 0;   // the REFER's CSeq: the NOTIFYs' Event id
  bool refer_quiet = false;  // Refer-Sub: false (RFC 4488): no NOTIFYs
  bool shutdown = false;     // CANCELled at shutdown: counted in flight until over

  static constexpr int kMaxAuthAttempts = 3;
};

// The dial_out event's JSON: room, the call's id, number, trunk, who asked,
// its state and, when over, the status and reason.
std::string DialOutEventJson(std::string_view room, uint64_t id, const DialOutLeg& leg,
                             std::string_view state);

// A NOTIFY's message/sipfrag body (RFC 3420) for a REFER's progress:
// "SIP/2.0 <code> <reason>\r\n".
std::string Sipfrag(int status, std::string_view reason);

}  // namespace tutti
