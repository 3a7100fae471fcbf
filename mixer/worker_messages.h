// What crosses between the control thread and a media worker
// (docs/ARCHITECTURE.md, "Threads"): commands down the command ring, events
// up the event ring. Each kind is its own small struct and a message is a
// std::variant of them, so a field can only be read for the kind that
// carries it. A variant is as large as its largest kind and lives in the
// ring's preallocated slots: posting or emitting one allocates nothing.
#pragma once

#include <cstdint>
#include <memory>
#include <variant>

#include "mediaplane/dtls_session.h"
#include "mediaplane/prompt_library.h"
#include "mixer/conference.h"
#include "mixer/participant.h"
#include "mixer/room_recorder.h"

namespace tutti::mixer {

// --- Commands: control thread -> worker.

// Which participant a command is for: its conference (which also names the
// worker) and its id.
struct ParticipantKey {
  uint32_t conference_id = 0;
  uint64_t participant_id = 0;
};

// The participant joins the conference its spec names (made on first join).
struct AddParticipant {
  std::unique_ptr<Participant> participant;
};
// Leaves (answered by Left with its final counters).
struct RemoveParticipant {
  ParticipantKey key;
};
// A re-INVITE's new remote address or direction; the ids are the spec's.
// A video stream the re-INVITE added comes with its port pair (valid only then).
struct UpdateParticipant {
  ParticipantSpec spec;
  media::PortPair video_ports;
  media::PortPair slides_ports;
};
struct MuteParticipant {
  ParticipantKey key;
  bool muted = false;
};
struct SetParticipantGains {
  ParticipantKey key;
  int listen_gain_db = 0;
  int talk_gain_db = 0;
};
// Plays a prompt over what the participant hears; a null prompt stops it.
// The prompt outlives the worker.
struct PlayPrompt {
  ParticipantKey key;
  const media::Prompt* prompt = nullptr;
  bool loop = false;
};
// Records the conference's mix into `recorder` (the sender owns it); null
// stops, answered by RecorderReleased.
struct SetRecorder {
  uint32_t conference_id = 0;
  RoomRecorder* recorder = nullptr;
};
// Takes the participant out of its conference and hands it back (Detached)
// bound for `to_conference_id`, which may live on another worker: the
// control thread adds it there (lobby -> room).
struct DetachParticipant {
  ParticipantKey key;
  uint32_t to_conference_id = 0;
};
// The room's own settings. They hold for the conference whenever it exists
// (a conference is on its worker only while someone is in it); default
// settings are forgotten, so a deleted room is sent them.
struct ConfigureConference {
  uint32_t conference_id = 0;
  ConferenceSettings settings;
};

using WorkerCommand = std::variant<AddParticipant, RemoveParticipant, UpdateParticipant,
                                   MuteParticipant, SetParticipantGains, PlayPrompt, SetRecorder,
                                   DetachParticipant, ConfigureConference>;

// --- Events: worker -> control thread.

struct TalkingStarted {
  uint64_t participant_id = 0;
};
struct TalkingStopped {
  uint64_t participant_id = 0;
};
struct Dtmf {
  uint64_t participant_id = 0;
  char digit = 0;
  bool inband = false;  // heard in the audio rather than sent as an RFC 4733 event
};
// The worker let the leg go: no media came for [media] rtp_timeout_s.
struct RtpTimeout {
  uint64_t participant_id = 0;
  ParticipantStats stats;  // final
};
// The leg left (RemoveParticipant).
struct Left {
  uint64_t participant_id = 0;
  ParticipantStats stats;  // final
};
// Periodic reception figures (with each RTCP report).
struct Stats {
  uint64_t participant_id = 0;
  ParticipantStats stats;
};
// A prompt played to the participant ended.
struct PlaybackEnded {
  uint64_t participant_id = 0;
};
// The worker no longer uses the conference's recorder (stopped, the room
// emptied, or it was never there): its owner may close it.
struct RecorderReleased {
  uint32_t conference_id = 0;
};
// A participant taken out by DetachParticipant, with its sockets and state,
// to be added to the conference its spec names.
struct Detached {
  std::unique_ptr<Participant> participant;
};
// A DTLS-SRTP handshake failed for good; the worker already let the leg go,
// the call must end.
struct DtlsFailed {
  uint64_t participant_id = 0;
  ParticipantStats stats;  // final
  media::DtlsSession::Failure failure = media::DtlsSession::Failure::kNone;
};

// What a participant sees changed: the camera (or, `slides`, the content)
// of `source_id` now reaches it, from its first keyframe on; 0: nothing.
struct VideoSourceChanged {
  uint64_t participant_id = 0;
  uint64_t source_id = 0;
  bool slides = false;
};

using WorkerEvent =
    std::variant<TalkingStarted, TalkingStopped, Dtmf, RtpTimeout, Left, Stats, PlaybackEnded,
                 RecorderReleased, Detached, DtlsFailed, VideoSourceChanged>;

// The participant an event is about; 0 for RecorderReleased (a conference's)
// and Detached (whose participant travels with it).
inline uint64_t ParticipantIdOf(const WorkerEvent& event) {
  return std::visit(
      [](const auto& kind) -> uint64_t {
        if constexpr (requires { kind.participant_id; }) {
          return kind.participant_id;
        } else {
          return 0;
        }
      },
      event);
}

// std::visit with one lambda per kind: std::visit(Overloaded{[](Left&) {...}, ...}, event).
template <typename... Handlers>
struct Overloaded : Handlers... {
  using Handlers::operator()...;
};
// C++20 deduces this itself, but clang 14 (the fuzz preset's compiler) does not.
template <typename... Handlers>
Overloaded(Handlers...) -> Overloaded<Handlers...>;

}  // namespace tutti::mixer
