// A media worker: one thread, pinned to its core, that owns its packet I/O,
// whole conferences and their participants (docs/ARCHITECTURE.md, "Threads"). The
// control thread talks to it only through a command ring; it answers through
// an event ring. One flat loop: receive a burst (sleeping until the next
// packet or the next due mix), hand each datagram to its participant, and
// mix each conference every 20 ms at its own phase of the interval
// (tick_schedule.h: the work spread over the 20 ms, not all at one
// instant), sending each phase's burst. Every 20 ms too: DTLS timers, RTP
// timeouts, the measured load (tick_load.h) and shedding (shed_policy.h).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "common/thread_owner.h"
#include "mediaplane/packet_io.h"
#include "mixer/conference.h"
#include "mixer/participant.h"
#include "mixer/shed_policy.h"
#include "mixer/spsc_ring.h"
#include "mixer/tick_load.h"
#include "mixer/tick_schedule.h"
#include "mixer/worker_messages.h"

namespace tutti::mixer {

struct WorkerOptions {
  int index = 0;
  int core = -1;  // CPU to pin to; -1 leaves the thread unpinned
  ConferenceOptions conference;
  int64_t rtp_timeout_us = 0;  // 0: never time out
  // Participant::SetSendLimits for every leg this worker takes; 0: no limit.
  int64_t unverified_send_us = 5'000'000;
  int64_t consent_timeout_us = 10'000'000;
  // Shedding (issue 20): above shed_load of its core (smoothed), the worker
  // steps its encoders' cost level up one step at a time; below
  // restore_load it steps back down. 0 disables shedding.
  double shed_load = 0.85;
  double restore_load = 0.70;
  // Each conference at its own phase of the 20 ms (TickSchedule::
  // kSpreadSlots); false: all at one instant (the behaviour before issue
  // 20, kept to measure the difference).
  bool spread_ticks = true;
  size_t ring_capacity = 4096;
  size_t max_datagrams_per_tick = 16384;
};

// Upper bounds (µs) of the tick-duration histogram buckets; one more for +Inf.
inline constexpr std::array<double, 8> kTickBucketsUs = {100,  250,  500,   1000,
                                                         2500, 5000, 10000, 20000};
// Upper bounds (µs) of the tick-lateness histogram: how long after its due
// instant a conference's mix started; one more for +Inf.
inline constexpr std::array<double, 9> kLatenessBucketsUs = {50,   100,  250,   500,  1000,
                                                             2000, 5000, 10000, 20000};

struct WorkerCounters {
  std::atomic<uint64_t> ticks{0};  // 20 ms intervals
  // Each run of a phase's mixes (a slot of tick_schedule.h: its conferences
  // and the send of their burst) and each 20 ms round of timers.
  std::array<std::atomic<uint64_t>, kTickBucketsUs.size() + 1> tick_buckets{};
  std::atomic<uint64_t> late_ticks{0};     // conference mixes that started a whole tick late
  std::atomic<uint64_t> tick_ns_total{0};  // time spent mixing (and on the timers)
  // The mixing time per 20 ms smoothed over about a second (tick_load.h):
  // what the console shows next to the load.
  std::atomic<uint64_t> tick_ns_smoothed{0};
  // Issue 20. The share of its core the worker was busy (not idle in its
  // packet I/O) over about the last second, in thousandths: what placement
  // and admission read.
  std::atomic<uint32_t> load_permille{0};
  // What admission foresees with (ParticipantCostMeter): the participants
  // that load was measured with, and one participant's cost in millionths
  // of a core (0: not known yet).
  std::atomic<int32_t> load_participants{0};
  std::atomic<uint32_t> participant_cost_ppm{0};
  // Each conference's mix start minus its due instant.
  std::array<std::atomic<uint64_t>, kLatenessBucketsUs.size() + 1> lateness_buckets{};
  std::atomic<uint64_t> lateness_ns_total{0};  // their sum (the histogram's)
  // Shedding: the encoders' cost level now (0: full quality) and the steps
  // taken up (more shed) and back down since start.
  std::atomic<uint32_t> shed_level{0};
  std::atomic<uint64_t> shed_steps_up{0};
  std::atomic<uint64_t> shed_steps_down{0};
  std::atomic<uint64_t> datagrams_in{0};
  std::atomic<uint64_t> datagrams_unrouted{0};  // no participant on that port
  std::atomic<uint64_t> datagrams_out{0};
  std::atomic<uint64_t> send_drops{0};  // refused by the packet I/O, or failed in the kernel later
  // The packet I/O's own (PacketIo::Counters), copied every 100 ms.
  std::atomic<uint64_t> receive_errors{0};
  std::atomic<uint64_t> receive_stalls{0};
  std::atomic<uint64_t> event_ring_full{0};
  std::atomic<uint64_t> jitter_lost{0};      // frames missing at playout (concealed)
  std::atomic<uint64_t> jitter_late{0};      // packets that came after their playout time
  std::atomic<uint64_t> media_malformed{0};  // RTP/RTCP/video that did not parse, refused payloads

  // SRTP/SRTCP dropped: failed authentication (or did not parse), replayed.
  std::atomic<uint64_t> srtp_auth_failed{0};
  std::atomic<uint64_t> srtp_replayed{0};

  std::atomic<uint64_t> foreign_dropped{0};  // RTP/RTCP from other than a leg's latched source
  std::atomic<uint64_t> send_withheld{0};    // not sent: the peer never answered or went silent
  std::atomic<uint64_t> stun_dropped{0};     // STUN keep-alives on a leg's ports (no ICE here)

  // DTLS-SRTP handshakes (one per component: RTP, and RTCP without
  // rtcp-mux): completed; failed (any reason but time, mismatches
  // included); timed out; refused for a certificate not matching the SDP.
  std::atomic<uint64_t> dtls_handshakes_completed{0};
  std::atomic<uint64_t> dtls_handshakes_failed{0};
  std::atomic<uint64_t> dtls_handshakes_timed_out{0};
  std::atomic<uint64_t> dtls_fingerprint_mismatches{0};

  // Video forwarding: packets in and out (retransmissions included), keyframe
  // requests sent to sources (PLI or FIR), switches of what a receiver sees
  // (completed at the new source's keyframe) and the time from each decision
  // to that keyframe, receivers' NACKs answered from the packet cache and the
  // retransmissions they cost.
  std::atomic<uint64_t> video_packets_in{0};
  std::atomic<uint64_t> video_packets_out{0};
  std::atomic<uint64_t> video_keyframe_requests{0};
  std::atomic<uint64_t> video_switches{0};
  std::atomic<uint64_t> video_switch_wait_us_total{0};
  std::atomic<uint64_t> video_nacks_answered{0};
  std::atomic<uint64_t> video_retransmissions{0};
};

class MediaWorker {
 public:
  MediaWorker(WorkerOptions options, std::unique_ptr<media::PacketIo> io);
  ~MediaWorker();
  MediaWorker(const MediaWorker&) = delete;
  MediaWorker& operator=(const MediaWorker&) = delete;

  void Start();
  void Stop();  // joins; participants still present are dropped (their sockets closed)

  // Control side. False when the command ring is full (counted by the caller).
  bool Post(WorkerCommand command) {
    control_side_.Check();
    return commands_.TryPush(std::move(command));
  }
  std::optional<WorkerEvent> PollEvent() {
    control_side_.Check();
    return events_.TryPop();
  }

  const WorkerCounters& counters() const { return counters_; }
  int index() const { return options_.index; }

 private:
  class Sink;

  void Run();
  void HandleCommands();
  // One per command kind (worker_messages.h).
  void Handle(AddParticipant& command);
  void Handle(RemoveParticipant& command);
  void Handle(UpdateParticipant& command);
  void Handle(MuteParticipant& command);
  void Handle(SetParticipantGains& command);
  void Handle(PlayPrompt& command);
  void Handle(SetRecorder& command);
  void Handle(DetachParticipant& command);
  void Handle(ConfigureConference& command);
  Participant* Find(const ParticipantKey& key);
  void HandleDatagram(const media::Datagram& datagram, int64_t now_us);
  // DTLS-SRTP: a handshake datagram, the counters, and a leg whose
  // handshake failed for good (taken out, DtlsFailed emitted).
  bool CountDtls(const media::DtlsSrtp::Outcome& outcome);  // true: fatal
  void EndDtlsLeg(uint32_t conference_id, uint64_t participant_id,
                  media::DtlsSession::Failure failure);
  // One phase's conferences, mixed and sent.
  void RunSlot(const TickSchedule::Run& run, int64_t now_ns);
  // What a run found among the legs of the conferences it mixed, acted on
  // once the run is sent (removal changes a conference's participant list).
  struct Upkeep {
    std::array<std::tuple<uint32_t, uint64_t, media::DtlsSession::Failure>, 16> failed{};
    size_t failed_count = 0;
    std::array<std::pair<uint32_t, uint64_t>, 16> silent{};
    size_t silent_count = 0;
  };
  // A conference's DTLS timers and RTP timeouts, right after its mix while
  // its legs are in cache. Walking every leg of the worker every 20 ms
  // apart from the mixes cost about 7% of a worker at 5,000 callers, most
  // of it cache misses on legs that use no DTLS.
  void CheckLegs(uint32_t conference_id, const Conference& conference, int64_t now_us,
                 Upkeep& upkeep);
  void FinishUpkeep(const Upkeep& upkeep);
  // Every 20 ms: the load and shedding.
  void Housekeeping(int64_t now_ns);
  void Shed(int64_t now_us);
  // The packet I/O's counters into the worker's: late send failures are
  // send drops too.
  void CopyIoCounters();
  // One run's time into the tick histogram and the smoothed mixing time.
  void ObserveRun(int64_t took_ns);
  void CountLateness(int64_t late_ns);
  void Emit(WorkerEvent event);
  // Out of its conference, answered by Left (or RtpTimeout) with its counters.
  void DropParticipant(uint32_t conference_id, uint64_t participant_id, bool timed_out);
  // Out of its conference and off this worker's ports; null when not here.
  std::unique_ptr<Participant> TakeParticipant(uint32_t conference_id, uint64_t participant_id);

  WorkerOptions options_;
  std::unique_ptr<media::PacketIo> io_;
  SpscRing<WorkerCommand> commands_;
  SpscRing<WorkerEvent> events_;
  std::atomic<bool> running_{false};
  std::thread thread_;
  // Each ring has one producer and one consumer thread: the control side
  // posts commands and polls events; the worker side is the thread Run()
  // runs on, which alone touches the state below.
  [[no_unique_address]] OwnerThread control_side_;
  [[no_unique_address]] OwnerThread worker_side_;

  // Worker-thread state.
  absl::flat_hash_map<uint32_t, std::unique_ptr<Conference>> conferences_;
  // Rooms' settings other than the default, by conference id: they outlive
  // a conference, which is here only while someone is in it.
  absl::flat_hash_map<uint32_t, ConferenceSettings> settings_;
  // Which of a participant's streams a port belongs to.
  enum class Stream : uint8_t { kAudio, kVideo, kSlides };
  struct Route {
    Participant* participant = nullptr;
    uint32_t conference_id = 0;
    bool rtcp = false;
    Stream stream = Stream::kAudio;
  };
  void Attach(Participant& participant, uint32_t conference_id);
  void AttachVideo(Participant& participant, uint32_t conference_id, bool slides);
  void DetachVideo(Participant& participant, bool slides);
  // A re-INVITE added or removed a video stream (allocates: not per packet).
  void UpdateVideo(UpdateParticipant& command, Participant& participant, bool slides);
  void HandleDtls(const Route& route, const media::Datagram& datagram, int64_t now_us);
  MediaTransport& TransportOf(const Route& route);
  void AddVideoTally(const VideoTally& tally);
  std::vector<Route> routes_;  // by local port
  std::unique_ptr<Sink> sink_;
  TickSchedule schedule_;
  int64_t housekeeping_due_ns_ = 0;
  uint64_t housekeeping_rounds_ = 0;
  int heaviest_slot_ = -1;        // to even out when it next runs; -1: nothing to do
  int64_t mixing_ns_ = 0;         // in this 20 ms interval
  double smoothed_tick_ns_ = -1;  // none yet (SmoothTickNs)
  LoadMeter load_meter_;
  ParticipantCostMeter cost_meter_;
  uint64_t send_failed_late_ = 0;  // the packet I/O's, as last added to send_drops
  ShedPolicy shed_;
  WorkerCounters counters_;
};

// Microseconds on the steady clock: the worker's time base.
int64_t SteadyMicros();
int64_t SteadyNanos();

}  // namespace tutti::mixer
