#include "mixer/video_selection.h"

#include <algorithm>

namespace tutti::mixer {
namespace {

const VideoMember* Find(std::span<const VideoMember> members, uint64_t id) {
  if (id == 0) return nullptr;
  for (const VideoMember& m : members) {
    if (m.id == id) return &m;
  }
  return nullptr;
}

bool SendsVideo(std::span<const VideoMember> members, uint64_t id) {
  const VideoMember* m = Find(members, id);
  return m != nullptr && m->sends_video;
}

// The loudest talking member with video other than `excluded` (the first
// in order on a tie); nullptr when none talks.
const VideoMember* LoudestTalker(std::span<const VideoMember> members, uint64_t excluded) {
  const VideoMember* found = nullptr;
  for (const VideoMember& m : members) {
    if (m.talking && m.sends_video && m.id != excluded &&
        (found == nullptr || m.level_db > found->level_db)) {
      found = &m;
    }
  }
  return found;
}

// The first member with video other than `excluded`; 0 when none.
uint64_t FirstWithVideo(std::span<const VideoMember> members, uint64_t excluded) {
  for (const VideoMember& m : members) {
    if (m.sends_video && m.id != excluded) return m.id;
  }
  return 0;
}

}  // namespace

bool VideoSelection::Update(std::span<VideoMember> members, VideoMode mode, uint64_t presenter_id,
                            int hold_ms, int64_t now_us) {
  uint64_t presenter = 0;
  if (mode == VideoMode::kPresenter && SendsVideo(members, presenter_id)) presenter = presenter_id;
  uint64_t holder = 0;       // the one member that sees something else than shown_
  uint64_t holder_view = 0;  // what it sees
  if (mode == VideoMode::kAudioOnly) {
    shown_ = 0;
  } else {
    MoveFloor(members, presenter, hold_ms, now_us);
    shown_ = presenter != 0 ? presenter : floor_;
    holder = shown_;
    holder_view = presenter != 0 ? floor_ : HolderView(members, floor_);
  }
  bool changed = false;
  for (VideoMember& m : members) {
    uint64_t sees = 0;
    if (m.receives_video) sees = m.id == holder ? holder_view : shown_;
    changed = changed || sees != m.sees;
    m.sees = sees;
  }
  return changed;
}

void VideoSelection::MoveFloor(std::span<const VideoMember> members, uint64_t excluded, int hold_ms,
                               int64_t now_us) {
  const VideoMember* holder = Find(members, floor_);
  const VideoMember* talker = LoudestTalker(members, excluded);
  if (holder == nullptr || !holder->sends_video || floor_ == excluded) {
    // A vacant floor is taken at once: by a talker, else the previous
    // holder, else the first member with video.
    uint64_t next = talker != nullptr ? talker->id : 0;
    if (next == 0 && previous_ != excluded && SendsVideo(members, previous_)) next = previous_;
    if (next == 0) next = FirstWithVideo(members, excluded);
    TakeFloor(members, next, now_us);
    return;
  }
  const int64_t hold_us = static_cast<int64_t>(std::max(hold_ms, 0)) * 1000;
  if (talker != nullptr && talker->id != floor_ && !holder->talking &&
      now_us - floor_since_us_ >= hold_us) {
    TakeFloor(members, talker->id, now_us);
  }
}

void VideoSelection::TakeFloor(std::span<const VideoMember> members, uint64_t id, int64_t now_us) {
  if (id == floor_) return;
  if (SendsVideo(members, floor_)) previous_ = floor_;
  floor_ = id;
  floor_since_us_ = now_us;
  if (previous_ == floor_) previous_ = 0;
}

uint64_t VideoSelection::HolderView(std::span<const VideoMember> members, uint64_t holder) const {
  if (holder == 0) return 0;
  if (previous_ != holder && SendsVideo(members, previous_)) return previous_;
  return FirstWithVideo(members, holder);
}

void VideoSelection::Forget(uint64_t id) {
  if (id == 0) return;
  if (floor_ == id) floor_ = 0;
  if (previous_ == id) previous_ = 0;
  if (shown_ == id) shown_ = 0;
}

}  // namespace tutti::mixer
