// Who sees whom in a video conference: follow-the-talker with a minimum
// hold (a cough does not switch the picture), a presenter everyone sees, or
// audio only. Decides per tick from the audio talker state; the video router
// turns each member's `sees` into a keyframe-gated switch of its rewriter.
// Pure state, no allocation.
#pragma once

#include <cstdint>
#include <span>

#include "mixer/video_spec.h"

namespace tutti::mixer {

struct VideoMember {         // one per participant in the conference, in the conference's order
  uint64_t id = 0;           // nonzero
  bool sends_video = false;  // has a camera stream that is sending (not on hold)
  bool receives_video = false;
  bool talking = false;      // audio talker state this tick (TalkerDetector), false when muted
  float level_db = -100.0f;  // this tick's level, to break ties between talkers
  // in: what the last Update decided (keep the array between ticks);
  // out: whose camera it should see (0: nobody).
  uint64_t sees = 0;
};

class VideoSelection {
 public:
  // Called every tick (20 ms). Decides the floor (the picture most see) and each member's `sees`:
  //  kFollowTalker (and kDefault): the floor moves to a talking member with
  //    video when the floor has been held for at least hold_ms and its holder
  //    is not talking (the loudest such talker; the first in order on a tie);
  //    the floor holder sees the previous floor holder (or, when that one is
  //    gone or sends no video, the first other member with video); with no
  //    talker yet the first member with video has the floor. A floor whose
  //    holder left or stopped sending video moves at once, to a talker, else
  //    to the previous holder, else to the first member with video.
  //  kPresenter: everyone sees presenter_id (if it sends video; else
  //    follow-the-talker), the presenter sees the floor as in
  //    follow-the-talker among the others.
  //  kAudioOnly: nobody sees anything.
  // Nobody ever sees itself, nor a member that sends no video; a member that
  // receives no video sees nobody. Returns true when any member's `sees` changed.
  bool Update(std::span<VideoMember> members, VideoMode mode, uint64_t presenter_id, int hold_ms,
              int64_t now_us);

  // The picture most see: the presenter in presenter mode, else the
  // follow-the-talker floor; 0 for nobody (audio-only, or no video at all).
  uint64_t floor() const { return shown_; }

  // A member left (the floor or previous floor may move at the next Update).
  void Forget(uint64_t id);

 private:
  // Moves the follow-the-talker floor among the members with video other
  // than `excluded` (the presenter, who is shown anyway).
  void MoveFloor(std::span<const VideoMember> members, uint64_t excluded, int hold_ms,
                 int64_t now_us);
  void TakeFloor(std::span<const VideoMember> members, uint64_t id, int64_t now_us);
  // What the floor holder (or the presenter) sees: the previous holder, else
  // the first other member with video.
  uint64_t HolderView(std::span<const VideoMember> members, uint64_t holder) const;

  uint64_t floor_ = 0;     // follow-the-talker floor among the candidates
  uint64_t previous_ = 0;  // who had it before
  int64_t floor_since_us_ = 0;
  uint64_t shown_ = 0;
};

}  // namespace tutti::mixer
