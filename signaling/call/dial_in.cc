#include "signaling/call/dial_in.h"

#include <utility>

namespace tutti {

bool PinMatches(std::string_view entered, std::string_view pin) {
  // Length is not secret (the caller chose how many digits to type); the
  // digits are compared without an early exit.
  if (entered.size() != pin.size()) return false;
  unsigned char difference = 0;
  for (size_t i = 0; i < pin.size(); ++i) {
    difference |= static_cast<unsigned char>(entered[i] ^ pin[i]);
  }
  return difference == 0;
}

DialIn::DialIn(DialInOptions options, std::string source, std::string room)
    : options_(options),
      source_(std::move(source)),
      room_(std::move(room)),
      stage_(room_.empty() ? Stage::kRoom : Stage::kPin) {}

DialInStep DialIn::Start() const {
  DialInStep step;
  step.prompts = {"welcome", stage_ == Stage::kRoom ? "enter_room" : "enter_pin"};
  return step;
}

std::optional<DialInStep> DialIn::OnDigit(char digit, const RoomDirectory& rooms, PinGuard& guard,
                                          absl::Time now) {
  if (digit == '#') return Submit(rooms, guard, now);
  if (digit == '*') {
    typed_.clear();
    return std::nullopt;
  }
  if (digit < '0' || digit > '9') return std::nullopt;  // A-D mean nothing here
  typed_.push_back(digit);
  if (typed_.size() >= options_.max_digits) return Submit(rooms, guard, now);
  return std::nullopt;
}

DialInStep DialIn::OnTimeout(const RoomDirectory& rooms, PinGuard& guard, absl::Time now) {
  return Submit(rooms, guard, now);
}

DialInStep DialIn::Submit(const RoomDirectory& rooms, PinGuard& guard, absl::Time now) {
  const std::string entry = std::exchange(typed_, {});
  return stage_ == Stage::kRoom ? SubmitRoom(rooms, guard, now, entry)
                                : SubmitPin(rooms, guard, now, entry);
}

DialInStep DialIn::SubmitRoom(const RoomDirectory& rooms, PinGuard& guard, absl::Time now,
                              const std::string& entry) {
  if (!entry.empty()) room_typed_ = entry;
  const RoomConfig* room = entry.empty() ? nullptr : rooms.Find(entry);
  if (room == nullptr) {
    return Wrong(&room_attempts_, "invalid_room", "enter_room",
                 entry.empty() ? "no conference number entered" : "no such conference");
  }
  room_ = room->name;
  if (room->pin.empty() && room->moderator_pin.empty()) {
    DialInStep join;
    join.next = DialInStep::Next::kJoin;
    join.room = room_;
    return join;
  }
  stage_ = Stage::kPin;
  if (std::optional<DialInStep> locked = LockedOut(guard, now)) return *locked;
  DialInStep ask;
  ask.prompts = {"enter_pin"};
  return ask;
}

DialInStep DialIn::SubmitPin(const RoomDirectory& rooms, PinGuard& guard, absl::Time now,
                             const std::string& entry) {
  const RoomConfig* room = rooms.Find(room_);
  if (room == nullptr) {  // removed while the caller was typing
    DialInStep gone;
    gone.next = DialInStep::Next::kHangUp;
    gone.prompts = {"invalid_room", "goodbye"};
    gone.why = "room removed";
    return gone;
  }
  if (std::optional<DialInStep> locked = LockedOut(guard, now)) return *locked;
  // Asked before this failure counts, so the answer that reaches the limit
  // is the last one given at once.
  const absl::Duration hold = guard.RoomDelay(room_, now);
  DialInStep join;
  join.next = DialInStep::Next::kJoin;
  join.room = room_;
  join.hold = hold;
  if (!room->moderator_pin.empty() && PinMatches(entry, room->moderator_pin)) {
    join.moderator = true;
  } else if (room->pin.empty() ? !entry.empty() : !PinMatches(entry, room->pin)) {
    const PinGuard::Failure failure = guard.RecordFailure(source_, room_, now);
    DialInStep wrong = Wrong(&pin_attempts_, "invalid_pin", "enter_pin", "wrong PIN");
    if (failure.source_locked && wrong.next != DialInStep::Next::kHangUp) {
      wrong.next = DialInStep::Next::kHangUp;
      wrong.prompts = {"invalid_pin", "too_many_attempts", "goodbye"};
    }
    if (failure.source_locked) wrong.why = "wrong PIN, lockout started";
    wrong.hold = hold;
    wrong.source_locked = failure.source_locked;
    wrong.room_slowed = failure.room_slowed;
    return wrong;
  }
  guard.RecordSuccess(source_, now);
  return join;
}

std::optional<DialInStep> DialIn::LockedOut(const PinGuard& guard, absl::Time now) const {
  const PinGuard::Verdict verdict = guard.Check(source_, now);
  if (verdict.allowed) return std::nullopt;
  DialInStep locked;
  locked.next = DialInStep::Next::kHangUp;
  locked.prompts = {"too_many_attempts", "goodbye"};
  locked.why = verdict.why;
  return locked;
}

DialInStep DialIn::Wrong(int* attempts, std::string_view problem_prompt,
                         std::string_view ask_prompt, std::string why) {
  DialInStep step;
  step.why = std::move(why);
  if (++*attempts >= options_.max_attempts) {
    step.next = DialInStep::Next::kHangUp;
    step.prompts = {std::string(problem_prompt), "goodbye"};
  } else {
    step.prompts = {std::string(problem_prompt), std::string(ask_prompt)};
  }
  return step;
}

}  // namespace tutti
