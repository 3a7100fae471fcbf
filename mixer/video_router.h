// A conference's video forwarding (one router for the cameras, one for the
// content streams): who sees whom (VideoSelection for cameras; the one
// allowed presenter for content), switches gated on the new source's
// keyframe, each receiver's stream rewritten to stay continuous, receivers'
// feedback translated to the source they watch (PLI/FIR, NACKs answered
// from the source's packet cache or passed up, REMB/TMMBR combined), and
// sources nobody watches asked to send little. Forwarding happens as packets
// arrive, not on the tick, so video never waits for or delays the mix.
// Allocation-free per packet and per tick.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "mediaplane/packet_io.h"
#include "mediaplane/rtp/rtcp_feedback.h"
#include "mediaplane/rtp/rtp_packet.h"
#include "mixer/video_selection.h"
#include "mixer/video_spec.h"

namespace tutti::mixer {

class Participant;
class TickSink;
class VideoStream;

// What the router did, summed until taken (the worker adds it to its
// WorkerCounters once per tick).
struct VideoTally {
  uint64_t packets_in = 0;
  uint64_t packets_out = 0;  // retransmissions included
  uint64_t keyframe_requests = 0;
  uint64_t switches = 0;
  uint64_t switch_wait_us = 0;
  uint64_t nacks_answered = 0;
  uint64_t retransmissions = 0;
};

// What a room asks of its video (ConferenceSettings with the worker's
// defaults filled in).
struct VideoRoomSettings {
  VideoMode mode = VideoMode::kFollowTalker;
  uint64_t presenter_id = 0;
  uint64_t slides_presenter_id = 0;
  int hold_ms = 2000;
};

class VideoRouter {
 public:
  using Participants = std::span<const std::unique_ptr<Participant>>;

  VideoRouter(bool slides, const VideoOptions& options);

  // The conference's participants changed (join: its routing starts afresh;
  // leave: nobody is shown it any more). Join allocates (selection slots).
  void Joined(Participant& participant);
  // `slot`: where it was in the conference's order.
  void Left(size_t slot, uint64_t participant_id, Participants remaining, TickSink& sink);
  // Its stream of this kind is going (removed by a re-INVITE, or it left):
  // whoever is shown it, or waits for it, is shown nothing until the next tick.
  void SourceGone(uint64_t participant_id, Participants participants, TickSink& sink);

  // A clear (already unprotected) RTP or RTCP datagram on `from`'s stream.
  void OnRtp(Participant& from, const media::Datagram& datagram, Participants participants,
             int64_t now_us, TickSink& sink);
  void OnRtcp(Participant& from, const media::Datagram& datagram, Participants participants,
              int64_t now_us, TickSink& sink);

  // Once per tick: who sees whom, keyframe requests for pending switches,
  // bitrate requests, and the streams' reports.
  void Tick(Participants participants, const VideoRoomSettings& settings, int64_t now_us,
            TickSink& sink);

  VideoTally TakeTally() {
    VideoTally tally = tally_;
    tally_ = {};
    return tally;
  }

 private:
  VideoStream* StreamOf(Participant& participant) const;
  Participant* FindSource(uint64_t id, Participants participants) const;
  // Points `receiver` at `source_id` (0: nothing); the switch completes at
  // the source's next keyframe.
  void Retarget(Participant& receiver, uint64_t source_id, Participants participants,
                int64_t now_us, TickSink& sink);
  void RequestKeyframe(Participant& source, int64_t now_us, TickSink& sink, bool force = false);
  void Forward(Participant& receiver, const media::RtpView& rtp, int32_t picture_id,
               int32_t tl0picidx, int64_t now_us, TickSink& sink);
  void AnswerNacks(Participant& receiver, const media::RtcpFeedback& feedback,
                   Participants participants, int64_t now_us, TickSink& sink);
  void RequestBitrates(Participants participants, int64_t now_us, TickSink& sink);
  // Commits `size` bytes written into the sink's NextBuffer on the stream's RTP or RTCP port
  // when the peer may be sent to (else counted as withheld).
  void SendOn(VideoStream& stream, bool rtcp, uint16_t size, int64_t now_us, TickSink& sink);
  void SelectCameras(Participants participants, const VideoRoomSettings& settings, int64_t now_us);
  void SelectSlides(Participants participants, const VideoRoomSettings& settings);

  bool slides_;
  VideoOptions options_;
  VideoSelection selection_;
  std::vector<VideoMember> members_;  // one per participant, in the conference's order
  VideoTally tally_;
};

}  // namespace tutti::mixer
