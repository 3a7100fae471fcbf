// The dial-in conversation with one caller before it joins a room: the
// conference number (when it called the IVR number) and the PIN (when the
// room has one), each typed as DTMF and ended with #, with limited retries
// and the wrong-PIN limits of PinGuard. Pure logic: the call controller
// plays the prompts a step names, feeds keys and timeouts in, and joins or
// hangs up when a step says so.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "signaling/call/pin_guard.h"
#include "signaling/call/room_directory.h"

namespace tutti {

struct DialInOptions {
  int max_attempts = 3;    // wrong entries of each kind before goodbye
  size_t max_digits = 16;  // an entry this long ends without #
};

// What the controller does next.
struct DialInStep {
  enum class Next { kCollect, kJoin, kHangUp };
  Next next = Next::kCollect;
  std::vector<std::string> prompts;  // to play first, in order
  std::string room;                  // kJoin: the room, found and PIN checked
  bool moderator = false;            // kJoin: entered the moderator PIN
  std::string why;  // kHangUp (and failed entries): for the log and the call record
  // A PIN answer for a room being guessed at (PinGuard::RoomDelay): the
  // controller holds the whole step, right or wrong, for this long first, so
  // the wait tells a guesser nothing.
  absl::Duration hold = absl::ZeroDuration();
  // This wrong PIN started the lockout of the caller's address, or brought
  // the room to its limit: for the log and the counters.
  bool source_locked = false;
  bool room_slowed = false;
};

class DialIn {
 public:
  // `room` empty: the caller dialed the IVR number and is asked for the
  // conference number first. Otherwise it dialed a room with a PIN directly.
  // `source` is the caller's address block (SourceKey: an IPv6 /64), for the PIN lockout.
  DialIn(DialInOptions options, std::string source, std::string room);

  // The greeting and first question.
  DialInStep Start() const;
  // A key. Nullopt while the entry goes on; the step once it ended (# or
  // max_digits). '*' clears what was typed so far.
  std::optional<DialInStep> OnDigit(char digit, const RoomDirectory& rooms, PinGuard& guard,
                                    absl::Time now);
  // No key for the digit timeout: what was typed is the entry.
  DialInStep OnTimeout(const RoomDirectory& rooms, PinGuard& guard, absl::Time now);

  bool asking_pin() const { return stage_ == Stage::kPin; }
  const std::string& room() const { return room_; }
  // The room the caller asked for, for its call record when it never gets
  // in: the room found (wrong PIN, room full, locked...), else the last
  // conference number typed that matched none. Never a PIN.
  const std::string& room_asked() const { return room_.empty() ? room_typed_ : room_; }
  const std::string& typed() const { return typed_; }

 private:
  enum class Stage { kRoom, kPin };
  DialInStep Submit(const RoomDirectory& rooms, PinGuard& guard, absl::Time now);
  DialInStep SubmitRoom(const RoomDirectory& rooms, PinGuard& guard, absl::Time now,
                        const std::string& entry);
  DialInStep SubmitPin(const RoomDirectory& rooms, PinGuard& guard, absl::Time now,
                       const std::string& entry);
  // Goodbye when this caller's address is locked out.
  std::optional<DialInStep> LockedOut(const PinGuard& guard, absl::Time now) const;
  // A wrong entry: ask again, or say goodbye after the last attempt.
  DialInStep Wrong(int* attempts, std::string_view problem_prompt, std::string_view ask_prompt,
                   std::string why);

  DialInOptions options_;
  std::string source_;
  std::string room_;
  std::string room_typed_;  // the last conference number entered
  Stage stage_;
  std::string typed_;
  int room_attempts_ = 0;
  int pin_attempts_ = 0;
};

// Compares PINs in time that does not depend on where they differ.
bool PinMatches(std::string_view entered, std::string_view pin);

}  // namespace tutti
