// A call's participant on a media worker: made from the negotiated audio and
// added to its conference, changed by re-INVITEs (hold, resume, a new
// address), muted, its volumes set, prompts played to it, moved from the
// IVR's lobby to a room, and removed. Commands go through MediaWorkers; the
// controller hands the leg the worker's answers about it (Detached, stats,
// the worker letting it go). Without workers (signaling only) it never
// joins and every command is a no-op.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "mediaplane/dtls_context.h"
#include "mediaplane/port_allocator.h"
#include "mediaplane/prompt_library.h"
#include "mixer/media_workers.h"
#include "mixer/participant.h"
#include "signaling/sdp/offer_answer.h"

namespace tutti {

// What the worker needs from the negotiated SDP. Nullopt when the remote
// address is not an IPv4 or IPv6 address (a host name).
std::optional<mixer::ParticipantSpec> SpecFor(uint64_t id, uint32_t conference_id,
                                              const sdp::NegotiatedAudio& audio,
                                              const media::DtlsContext* dtls_context);

// The worker's form of a negotiated video stream (inactive when its remote
// address is not an IP address). `held`: the call's audio is on hold, and
// no video goes to the caller either.
mixer::VideoStreamSpec VideoSpecFor(const sdp::NegotiatedVideo& video, bool held,
                                    const media::DtlsContext* dtls_context);

class MediaLeg {
 public:
  MediaLeg() = default;  // no workers: never joins
  // `participant_id` is the call's id; `conference_id` the room's or the
  // caller's lobby's; `dtls_context` (may be null) outlives the leg; `call_id`
  // is for logs.
  MediaLeg(mixer::MediaWorkers* workers, uint64_t participant_id, uint32_t conference_id,
           const media::DtlsContext* dtls_context, std::string call_id);

  // The local ports (bound before the answer); the worker takes them with
  // the participant on Join.
  void set_ports(media::PortPair ports) { ports_ = std::move(ports); }
  // The camera's and the content stream's pairs, for streams the worker has
  // none of yet: they go with the next Join or Update that has the stream
  // (an invalid pair leaves what the leg holds).
  void set_video_ports(media::PortPair camera, media::PortPair slides);
  // The camera and content streams (nullopt: none, or removed) the next
  // Join or Update posts; `held`: the audio is on hold (see VideoSpecFor).
  // Ports the leg still holds for a stream that is gone are released.
  void SetVideo(const std::optional<sdp::NegotiatedVideo>& camera,
                const std::optional<sdp::NegotiatedVideo>& slides, bool held);
  // The camera and content streams as posted or to be posted (inactive: none).
  const mixer::VideoStreamSpec& camera() const { return camera_; }
  const mixer::VideoStreamSpec& slides() const { return slides_; }
  // Ports the leg holds until a post hands them to the worker.
  bool holds_video_ports() const { return camera_ports_.valid() || slides_ports_.valid(); }
  uint32_t conference_id() const { return conference_id_; }
  // On a worker (since Join, until Remove or the worker let it go).
  bool joined() const { return joined_; }
  // The latest counters the worker reported (its final ones once it let go).
  const mixer::ParticipantStats& stats() const { return stats_; }
  int worker_index() const { return workers_->WorkerIndexFor(conference_id_); }

  // Adds the participant to its conference. False (logged) when the remote
  // address is not an IP address or the worker's ring is full: the call has
  // no audio. (Call control refuses an offer whose family it has no media
  // address of, so that takes no ports.)
  bool Join(const sdp::NegotiatedAudio& audio, bool muted, int listen_db, int talk_db);
  // A re-INVITE's or a late answer's new address or direction, and the
  // video streams as SetVideo left them (a stream added comes with its ports).
  void Update(const sdp::NegotiatedAudio& audio);
  void SetMuted(bool muted);
  void SetGains(int listen_db, int talk_db);
  // Plays `prompt` over what the participant hears (null: stops it). False
  // when not joined or the worker is busy.
  bool Play(const media::Prompt* prompt, bool loop = false);
  // Moves the leg to `conference_id` (lobby -> room). Joined, its worker is
  // asked to hand the participant back (Detached), for Rejoin to add it
  // there. False (logged) when the worker's ring is full.
  bool MoveTo(uint32_t conference_id);
  // The participant its old worker handed back (Detached): added to the
  // conference it is bound for. False (logged; no longer joined) when the
  // worker's ring is full.
  bool Rejoin(std::unique_ptr<mixer::Participant> participant, bool muted);
  // Takes the participant off its worker, which answers Left with its final
  // counters. False when not joined, or (logged) when the ring is full.
  bool Remove();

  void OnStats(const mixer::ParticipantStats& stats) { stats_ = stats; }
  // The worker already let the leg go (RTP timeout, DTLS failure).
  void OnLetGo(const mixer::ParticipantStats& final_stats);

 private:
  mixer::MediaWorkers* workers_ = nullptr;
  uint64_t participant_id_ = 0;
  uint32_t conference_id_ = 0;
  const media::DtlsContext* dtls_context_ = nullptr;
  std::string call_id_;
  media::PortPair ports_;  // until Join hands them to the worker
  bool joined_ = false;
  mixer::ParticipantStats stats_;
  mixer::VideoStreamSpec camera_;
  mixer::VideoStreamSpec slides_;
  media::PortPair camera_ports_;  // until a post with the stream hands them over
  media::PortPair slides_ports_;
};

}  // namespace tutti
