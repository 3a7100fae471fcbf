#include "signaling/call/room_presence.h"

#include <algorithm>

#include "signaling/call/spoken_number.h"

namespace tutti {

void RoomPresence::Free(std::string_view room) {
  auto it = places_.find(Key(room));
  if (it == places_.end()) return;
  if (--it->second <= 0) places_.erase(it);
}

bool RoomPresence::Full(const RoomConfig& room) const {
  if (room.max_participants <= 0) return false;
  auto it = places_.find(Key(room.name));
  return it != places_.end() && it->second >= room.max_participants;
}

bool RoomPresence::MustWait(const RoomConfig* room, std::string_view room_name,
                            const RoomMember& member) const {
  return room != nullptr && room->wait_for_moderator && !member.moderator &&
         !ModeratorIn(room_name, &member);
}

bool RoomPresence::ModeratorIn(std::string_view room, const RoomMember* except) const {
  for (const RoomMember* member : InRoom(room, except)) {
    if (member->moderator) return true;
  }
  return false;
}

std::vector<RoomMember*> RoomPresence::InRoom(std::string_view room,
                                              const RoomMember* except) const {
  std::vector<RoomMember*> out;
  auto it = members_.find(Key(room));
  if (it == members_.end()) return out;
  out.reserve(it->second.size());
  for (RoomMember* member : it->second) {
    if (member != except) out.push_back(member);
  }
  return out;
}

Entered RoomPresence::Enter(const RoomConfig* room, std::string_view room_name,
                            RoomMember& member) {
  Entered entered;
  // Decided as it left the lobby; a moderator may have come or gone since.
  if (const bool wait = MustWait(room, room_name, member); wait != member.waiting) {
    member.waiting = wait;
    entered.waiting_changed = true;
  }
  member.in_room = true;
  members_[Key(room_name)].push_back(&member);
  if (room == nullptr) return entered;
  const std::vector<RoomMember*> others = InRoom(room_name, &member);
  if (member.moderator) {
    for (RoomMember* other : others) {
      if (other->waiting) entered.released.push_back(other);
    }
  }
  // Those released stop waiting first, so they hear the join tone too.
  for (RoomMember* other : others) {
    const bool released = std::find(entered.released.begin(), entered.released.end(), other) !=
                          entered.released.end();
    if (!other->waiting || released) entered.others.push_back(other);
  }
  if (room->announce_joins) entered.tone = "join_tone";
  if (member.waiting) {
    entered.say = {"wait_moderator"};
    entered.music = room->music_when_alone;
  } else {
    if (room->announce_count) {
      entered.say = CountPrompts(static_cast<int>(others.size()) + 1);
    } else if (others.empty() && room->announce_joins) {
      entered.say = {"alone"};
    }
    entered.music = others.empty() && room->music_when_alone;
  }
  return entered;
}

Left RoomPresence::Leave(const RoomConfig* room, std::string_view room_name, RoomMember& member) {
  Left left;
  auto members = members_.find(Key(room_name));
  if (members != members_.end()) {
    std::erase(members->second, &member);
    if (members->second.empty()) members_.erase(members);
  }
  member.in_room = false;
  if (room == nullptr) return left;
  left.others = InRoom(room_name);
  if (left.others.empty()) return left;
  if (member.moderator && !ModeratorIn(room_name)) {
    if (room->end_when_moderator_leaves) {
      left.kind = Left::Kind::kEndConference;
      return left;
    }
    if (room->wait_for_moderator) {
      left.kind = Left::Kind::kWaitForModerator;
      left.music = room->music_when_alone;
      return left;
    }
  }
  left.kind = Left::Kind::kTones;
  if (room->announce_joins) left.tone = "leave_tone";
  left.music = left.others.size() == 1 && room->music_when_alone;
  return left;
}

std::vector<std::string> RoomPresence::CountPrompts(int count) {
  if (count <= 1) return {"alone"};
  std::vector<std::string> say = {"there_are"};
  for (std::string& word : SpokenNumber(count)) say.push_back(std::move(word));
  say.push_back("participants_in_conference");
  return say;
}

}  // namespace tutti
