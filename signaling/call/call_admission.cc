// Admission by media load (issue 20): call control asks the media workers
// (mixer/admission.h) before a new call takes a media port, and before a
// caller leaves the IVR for a room. What they refuse is counted with the
// other limits (tutti_sip_limited_total{limit="media_load"|"worker_full"}).
// Dial-outs (the API's and REFER's) are asked before their INVITE goes, and
// a REFER moving a call to another room like a caller leaving the IVR.
// Calls already in, re-INVITEs, BYEs and chat-only calls are never asked.
#include "common/log.h"
#include "common/log_rate_limit.h"
#include "signaling/call/call_controller.h"
#include "signaling/call/call_state.h"

namespace tutti {

bool CallController::AdmitMediaLoad(sip::TransactionId id, const Call& call) {
  if (media_ == nullptr) return true;  // signaling only: no workers to fill
  const mixer::Admission verdict = media_->AdmitNew(call.media.conference_id());
  if (mixer::Admitted(verdict)) return true;
  const bool worker_full = verdict == mixer::Admission::kWorkerFull;
  overload_->CountRefusal(worker_full ? Refusal::kWorkerFull : Refusal::kMediaLoad);
  // Said once per refused call at capacity: capped.
  static LogRateLimit limit_log(5, 20);
  if (uint64_t held = 0; limit_log.Allow(&held)) {
    LogWarn("call", "media capacity reached")
        .With("call_id", call.call_id)
        .With("room", call.room)
        .With("why", mixer::AdmissionName(verdict))
        .With("suppressed", held);
  }
  // 503 with Retry-After ([limits] retry_after_s): come back later.
  Reject(id, 503, worker_full ? "Room Media Worker Full" : "Media Capacity Reached");
  return false;
}

absl::Status CallController::AdmitDialOutMedia(uint32_t conference_id) {
  if (media_ == nullptr) return absl::OkStatus();
  const mixer::Admission verdict = media_->AdmitNew(conference_id);
  if (mixer::Admitted(verdict)) return absl::OkStatus();
  const bool worker_full = verdict == mixer::Admission::kWorkerFull;
  overload_->CountRefusal(worker_full ? Refusal::kWorkerFull : Refusal::kMediaLoad);
  return absl::UnavailableError(worker_full ? "the room's media worker is full"
                                            : "media capacity reached");
}

bool CallController::AdmitMoveToRoom(const Call& call, uint32_t to_conference_id) {
  // No audio on a worker yet (or no workers at all): it takes no place.
  if (media_ == nullptr || !call.media.joined()) return true;
  const mixer::Admission verdict = media_->AdmitMove(call.media.conference_id(), to_conference_id);
  if (mixer::Admitted(verdict)) return true;
  overload_->CountRefusal(Refusal::kWorkerFull);
  LogWarn("call", "room's media worker full")
      .With("call_id", call.call_id)
      .With("why", mixer::AdmissionName(verdict));
  return false;
}

}  // namespace tutti
