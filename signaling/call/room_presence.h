// Who is in each room, in join order, and what a join or a leave means for
// the others: waiting for a moderator, tones, the count, music when alone,
// the conference ending with its moderator. It decides; the call controller
// carries the decisions out (prompts, mutes, events). It also counts the
// places each room has given: ringing callers and those on their way in from
// the IVR hold one too (max_participants).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "signaling/call/room_config.h"

namespace tutti {

// A call as a room sees it; kept in the call, indexed here.
struct RoomMember {
  uint64_t id = 0;
  bool moderator = false;  // entered the moderator PIN
  bool waiting = false;    // for the moderator: muted by the room, hearing music
  bool in_room = false;    // its media is in the room's conference
};

// What happens as a member enters (RoomPresence::Enter).
struct Entered {
  bool waiting_changed = false;  // the member's waiting changed on the way in: tell the worker
  // The waiting members a moderator's arrival releases: they stop waiting
  // and hear "moderator_joined".
  std::vector<RoomMember*> released;
  // The others who are not waiting (join order): their music stops, and
  // they hear `tone` when it is not empty.
  std::vector<RoomMember*> others;
  std::string tone;
  // The member's own prompts, and whether music follows them.
  std::vector<std::string> say;
  bool music = false;
};

// What happens as a member leaves (RoomPresence::Leave).
struct Left {
  enum class Kind {
    kNothing,           // nobody is left, or the room is gone
    kEndConference,     // the last moderator left: everyone is told and hung up on
    kWaitForModerator,  // the last moderator left: the others wait again
    kTones,             // the others not waiting hear `tone`, music when alone
  };
  Kind kind = Kind::kNothing;
  std::vector<RoomMember*> others;  // those who stay, in join order
  std::string tone;
  bool music = false;
};

class RoomPresence {
 public:
  // A caller takes a place in `room` (answered, ringing or on its way in)
  // until Free.
  void Take(std::string_view room) { ++places_[Key(room)]; }
  void Free(std::string_view room);
  bool Full(const RoomConfig& room) const;

  // Whether `member` entering `room` must wait for a moderator.
  bool MustWait(const RoomConfig* room, std::string_view room_name, const RoomMember& member) const;
  bool ModeratorIn(std::string_view room, const RoomMember* except = nullptr) const;
  // Members whose media is in `room`, oldest first.
  std::vector<RoomMember*> InRoom(std::string_view room, const RoomMember* except = nullptr) const;

  // `member`'s media is in the room (`room` null: the room was removed
  // meanwhile; it is let in and nothing is said).
  Entered Enter(const RoomConfig* room, std::string_view room_name, RoomMember& member);
  // `member` (in the room) has gone.
  Left Leave(const RoomConfig* room, std::string_view room_name, RoomMember& member);

  // The prompts that say how many are in the room.
  static std::vector<std::string> CountPrompts(int count);

 private:
  // This Abseil's string_view is its own type, not std's.
  static absl::string_view Key(std::string_view name) { return {name.data(), name.size()}; }

  absl::flat_hash_map<std::string, int> places_;
  // Who is in each room, in join order: joins and leaves look at the room,
  // not at every call on the server (tutti-load found a scan and sort of all
  // calls among the top costs of a join).
  absl::flat_hash_map<std::string, std::vector<RoomMember*>> members_;
};

}  // namespace tutti
