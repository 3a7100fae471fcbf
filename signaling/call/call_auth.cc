// SIP digest authentication of INVITEs (issue 13) and of SUBSCRIBEs to
// rooms that authenticate: who must authenticate
// ([sip] auth, a room's auth), the 401 challenge, and wrong credentials
// counted per source in the same lockout as wrong PINs, so one address
// cannot guess passwords any faster than PINs, while a typo costs a user
// one attempt of several and the right answer clears it.
#include "common/log.h"
#include "signaling/call/call_controller.h"
#include "signaling/sip/message_writer.h"

namespace tutti {
namespace {

// The PinGuard "room" that digest failures count against; not a room name
// anyone can dial (no SIP user part holds a control character).
constexpr std::string_view kDigestKey = "\x01sip-digest";

}  // namespace

bool CallController::Authenticated(sip::TransactionId id, const sip::SipMessage& invite,
                                   const sip::MessageSource& source) {
  if (digest_ == nullptr) return true;
  // Unknown rooms and the IVR number follow [sip] auth: with "all" a
  // stranger is challenged before it learns which rooms exist.
  const RoomConfig* room = rooms_->Find(invite.request_uri().user);
  const bool required = room != nullptr && room->auth ? *room->auth : auth_all_;
  if (!required) return true;

  const absl::Time now = timers_->Now();
  const std::string ip = source.address.ip();
  const std::string source_key = SourceKey(source.address);  // an IPv6 caller's /64
  if (!pin_guard_.Check(source_key, now).allowed) {
    ++auth_counters_.refused;
    LogInfo("call", "authentication refused, source locked out")
        .With("call_id", invite.call_id())
        .With("from", ip);
    Reject(id, 403, "Forbidden");
    return false;
  }
  const sip::HeaderField* authorization = invite.FindHeader("Authorization");
  const sip::DigestAuthenticator::Result result = digest_->Verify(
      invite.method_name(), authorization ? authorization->value : std::string_view(), now);
  bool stale = false;
  switch (result.outcome) {
    case sip::DigestAuthenticator::Outcome::kOk:
      ++auth_counters_.accepted;
      pin_guard_.RecordSuccess(source_key, now);
      LogInfo("call", "authenticated")
          .With("call_id", invite.call_id())
          .With("user", result.user)
          .With("from", ip);
      return true;
    case sip::DigestAuthenticator::Outcome::kWrong: {
      // Only the address is logged: a mistyped name may be a password.
      ++auth_counters_.failed;
      const PinGuard::Failure failure = pin_guard_.RecordFailure(source_key, kDigestKey, now);
      LogWarn("call", "authentication failed")
          .With("call_id", invite.call_id())
          .With("from", ip)
          .With("lockout_started", failure.source_locked);
      if (failure.source_locked) {
        ++dial_in_counters_.pin_lockouts;
        ++auth_counters_.refused;
        Reject(id, 403, "Forbidden");
        return false;
      }
      break;  // challenged again: the user may have mistyped
    }
    case sip::DigestAuthenticator::Outcome::kStale:
      stale = true;
      break;
    case sip::DigestAuthenticator::Outcome::kMissing:
      break;
  }
  ++auth_counters_.challenged;
  sip::MessageWriter response =
      transactions_->ResponseFor(id, 401, "Unauthorized", sip::TransactionLayer::NewTag());
  for (const std::string& challenge : digest_->Challenges(now, stale)) {
    response.Header("WWW-Authenticate", challenge);
  }
  response.Header(sip::HeaderId::kServer, options_.user_agent);
  transactions_->Respond(id, 401, std::move(response).Finish());
  return false;
}

}  // namespace tutti
