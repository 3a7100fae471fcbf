#include "server/api/metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <array>
#include <cstdio>

#include "server/api/metrics_text.h"

namespace tutti::api {

namespace {

// The standard process families (as Prometheus client libraries export
// them): what a capacity run divides by, and what a leak shows in.
void RenderProcess(MetricsText& m) {
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) == 0) {
    const double cpu = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                       static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
    m.Family("process_cpu_seconds_total", "counter", "User and system CPU time spent.");
    m.Sample("process_cpu_seconds_total", cpu);
  }
  long pages = 0;
  long resident = 0;
  if (FILE* statm = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(statm, "%ld %ld", &pages, &resident) == 2) {
      m.Family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
      m.Sample("process_resident_memory_bytes",
               static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)));
    }
    std::fclose(statm);
  }
}

struct WorkerCounter {
  const char* name;
  const char* help;
  const std::atomic<uint64_t> mixer::WorkerCounters::*field;
  double scale = 1;  // what one count is in the family's unit
};
// The workers' counters, one family each, a sample per worker.
constexpr WorkerCounter kWorkerCounters[] = {
    {"tutti_worker_late_ticks_total",
     "Conference mixes that started a whole 20 ms tick late (the room skips ahead).",
     &mixer::WorkerCounters::late_ticks},
    {"tutti_media_packets_in_total", "Datagrams received by media workers.",
     &mixer::WorkerCounters::datagrams_in},
    {"tutti_media_packets_out_total", "Datagrams sent by media workers.",
     &mixer::WorkerCounters::datagrams_out},
    {"tutti_media_packets_unrouted_total", "Datagrams on a port with no participant.",
     &mixer::WorkerCounters::datagrams_unrouted},
    {"tutti_media_send_drops_total",
     "Datagrams the packet plane did not take, or that failed in the kernel after it took them.",
     &mixer::WorkerCounters::send_drops},
    {"tutti_media_receive_errors_total",
     "Receive failures of the packet plane (a socket error, a truncated datagram).",
     &mixer::WorkerCounters::receive_errors},
    {"tutti_media_receive_stalls_total",
     "Times receiving on a socket stopped for want of a buffer and was re-armed (io_uring; the "
     "datagrams waited in the socket). Rising steadily: the worker's 4,096 shared receive "
     "buffers are too few for its bursts.",
     &mixer::WorkerCounters::receive_stalls},
    {"tutti_worker_event_ring_full_total", "Worker events lost to a full ring.",
     &mixer::WorkerCounters::event_ring_full},
    {"tutti_jitter_buffer_lost_total",
     "Frames missing at playout (rebuilt by FEC or concealed), reported every ~5 s.",
     &mixer::WorkerCounters::jitter_lost},
    {"tutti_jitter_buffer_late_total", "Packets that arrived after their playout time.",
     &mixer::WorkerCounters::jitter_late},
    {"tutti_media_malformed_total",
     "RTP, RTCP and video packets from a call's peer that did not parse, and audio payloads the "
     "decoder refused, reported every ~5 s.",
     &mixer::WorkerCounters::media_malformed},
    {"tutti_srtp_auth_failed_total",
     "SRTP/SRTCP packets dropped because they failed authentication (or did not parse).",
     &mixer::WorkerCounters::srtp_auth_failed},
    {"tutti_srtp_replayed_total", "SRTP/SRTCP packets dropped as replays.",
     &mixer::WorkerCounters::srtp_replayed},
    {"tutti_rtp_foreign_dropped_total",
     "RTP and RTCP on a call's port from other than its latched source, dropped.",
     &mixer::WorkerCounters::foreign_dropped},
    {"tutti_rtp_send_withheld_total",
     "RTP and RTCP not sent: the peer's address never answered (unverified_send_s) or went "
     "silent (consent_timeout_s).",
     &mixer::WorkerCounters::send_withheld},
    {"tutti_media_stun_dropped_total",
     "STUN messages (NAT keep-alives; tutti does no ICE) on a call's ports, dropped unanswered.",
     &mixer::WorkerCounters::stun_dropped},
    {"tutti_dtls_handshakes_completed_total",
     "DTLS-SRTP handshakes completed (one per component: RTP, RTCP without rtcp-mux).",
     &mixer::WorkerCounters::dtls_handshakes_completed},
    {"tutti_dtls_handshakes_failed_total",
     "DTLS-SRTP handshakes failed (alerts, no certificate or SRTP profile, fingerprint "
     "mismatches, over their bounds; not timeouts).",
     &mixer::WorkerCounters::dtls_handshakes_failed},
    {"tutti_dtls_handshakes_timed_out_total",
     "DTLS-SRTP handshakes not complete within the handshake timeout.",
     &mixer::WorkerCounters::dtls_handshakes_timed_out},
    {"tutti_dtls_fingerprint_mismatches_total",
     "DTLS-SRTP peers whose certificate did not match their SDP's a=fingerprint.",
     &mixer::WorkerCounters::dtls_fingerprint_mismatches},
    {"tutti_video_packets_in_total", "Video RTP packets received from cameras and content.",
     &mixer::WorkerCounters::video_packets_in},
    {"tutti_video_packets_out_total",
     "Video RTP packets forwarded to receivers, retransmissions included.",
     &mixer::WorkerCounters::video_packets_out},
    {"tutti_video_keyframe_requests_total", "Keyframe requests (PLI or FIR) sent to video sources.",
     &mixer::WorkerCounters::video_keyframe_requests},
    {"tutti_video_switches_total",
     "Switches of the picture a receiver sees, each done at the new source's keyframe.",
     &mixer::WorkerCounters::video_switches},
    // Over tutti_video_switches_total: the mean wait for a new source's keyframe.
    {"tutti_video_switch_wait_seconds_total",
     "Time from each video switch's decision to the new source's keyframe, summed.",
     &mixer::WorkerCounters::video_switch_wait_us_total, 1e-6},
    {"tutti_video_nacks_answered_total",
     "Receivers' NACKs (RFC 4585 generic NACK) answered from the packet cache.",
     &mixer::WorkerCounters::video_nacks_answered},
    {"tutti_video_retransmissions_total",
     "Video packets sent again from the packet cache in answer to NACKs.",
     &mixer::WorkerCounters::video_retransmissions},
};

void RenderCalls(MetricsText& m, const CallController& calls, const RoomDirectory& rooms,
                 const EventHub& events) {
  m.Family("tutti_calls", "gauge", "Calls in progress (ringing or answered).");
  m.Sample("tutti_calls", calls.active_calls());
  m.Family("tutti_calls_answered_total", "counter", "Calls answered since start.");
  m.Sample("tutti_calls_answered_total", static_cast<double>(calls.calls_answered()));
  m.Family("tutti_participants", "gauge", "Answered calls whose audio is in a room.");
  m.Sample("tutti_participants", calls.participants());
  m.Family("tutti_ivr_callers", "gauge", "Callers talking to the dial-in IVR.");
  m.Sample("tutti_ivr_callers", calls.in_ivr());
  m.Family("tutti_conference_subscriptions", "gauge",
           "Conference event package (RFC 4575) subscriptions to rooms' rosters.");
  m.Sample("tutti_conference_subscriptions", calls.conference_subscriptions());
  const DialInCounters& dial_in = calls.dial_in_counters();
  m.Family("tutti_dial_in_total", "counter",
           "Callers through the dial-in IVR, by outcome (started, joined a room, hung up on).");
  m.Sample("tutti_dial_in_total", static_cast<double>(dial_in.started), {{"outcome", "started"}});
  m.Sample("tutti_dial_in_total", static_cast<double>(dial_in.joined), {{"outcome", "joined"}});
  m.Sample("tutti_dial_in_total", static_cast<double>(dial_in.failed), {{"outcome", "failed"}});
  m.Family("tutti_dial_in_wrong_entries_total", "counter",
           "Wrong or missing conference numbers and PINs typed into the IVR.");
  m.Sample("tutti_dial_in_wrong_entries_total", static_cast<double>(dial_in.wrong_entries));
  m.Family("tutti_pin_lockouts_total", "counter",
           "Wrong-PIN lockouts of a caller address started (rooms are never locked out).");
  m.Sample("tutti_pin_lockouts_total", static_cast<double>(dial_in.pin_lockouts));
  m.Family("tutti_pin_rooms_slowed_total", "counter",
           "Times a room reached its wrong-PIN limit (from any addresses) and its PIN answers "
           "began to be held.");
  m.Sample("tutti_pin_rooms_slowed_total", static_cast<double>(dial_in.rooms_slowed));
  m.Family("tutti_pin_answers_held_total", "counter",
           "PIN answers (right or wrong) held before being given, because their room was "
           "being guessed at.");
  m.Sample("tutti_pin_answers_held_total", static_cast<double>(dial_in.pin_answers_held));
  m.Family("tutti_rooms", "gauge", "Rooms configured.");
  m.Sample("tutti_rooms", static_cast<double>(rooms.size()));
  m.Family("tutti_event_subscribers", "gauge", "Open /v1/events streams.");
  m.Sample("tutti_event_subscribers", static_cast<double>(events.subscribers()));
}

// Requests and responses at the endpoint, and who was refused and why.
void RenderSipTraffic(MetricsText& m, const CallController& calls, const sip::SipEndpoint& endpoint,
                      const sip::TransactionLayer& transactions) {
  const sip::EndpointCounters& sip = endpoint.counters();
  m.Family("tutti_sip_requests_total", "counter", "SIP requests received, by method.");
  for (const auto& [method, count] : sip.requests_by_method) {
    m.Sample("tutti_sip_requests_total", static_cast<double>(count), {{"method", method}});
  }
  m.Family("tutti_sip_responses_total", "counter", "SIP responses sent, by status code.");
  std::map<int, uint64_t> responses = transactions.responses_sent();
  for (const auto& [code, count] : sip.stateless_responses) responses[code] += count;
  for (const auto& [code, count] : responses) {
    m.Sample("tutti_sip_responses_total", static_cast<double>(count),
             {{"code", std::to_string(code)}});
  }
  m.Family("tutti_sip_malformed_total", "counter", "Malformed SIP messages, by what was done.");
  m.Sample("tutti_sip_malformed_total", static_cast<double>(sip.malformed_answered),
           {{"action", "answered"}});
  m.Sample("tutti_sip_malformed_total", static_cast<double>(sip.malformed_dropped),
           {{"action", "dropped"}});
  m.Family("tutti_sip_overload_rejected_total", "counter", "Requests answered 503 by admission.");
  m.Sample("tutti_sip_overload_rejected_total", static_cast<double>(sip.overload_rejected));
  m.Family("tutti_sip_denied_total", "counter",
           "SIP messages dropped unanswered because [sip] allow/deny refuses their source.");
  m.Sample("tutti_sip_denied_total", static_cast<double>(sip.denied));
  const AuthCounters& auth = calls.auth_counters();
  m.Family("tutti_sip_auth_total", "counter",
           "INVITEs that had to authenticate (SIP digest), by outcome: challenged (401), "
           "accepted, failed (wrong credentials), refused (403, source locked out).");
  m.Sample("tutti_sip_auth_total", static_cast<double>(auth.challenged),
           {{"outcome", "challenged"}});
  m.Sample("tutti_sip_auth_total", static_cast<double>(auth.accepted), {{"outcome", "accepted"}});
  m.Sample("tutti_sip_auth_total", static_cast<double>(auth.failed), {{"outcome", "failed"}});
  m.Sample("tutti_sip_auth_total", static_cast<double>(auth.refused), {{"outcome", "refused"}});
  // Which limit refused (issue 13): per source, per call, the global ones.
  m.Family("tutti_sip_limited_total", "counter",
           "Requests and calls refused with 503, by the limit that refused them.");
  for (size_t i = 1; i < kRefusalKinds; ++i) {
    const auto refusal = static_cast<Refusal>(i);
    m.Sample("tutti_sip_limited_total", static_cast<double>(calls.overload().refused(refusal)),
             {{"limit", std::string(RefusalName(refusal))}});
  }
  m.Family("tutti_sip_tracked_sources", "gauge",
           "Source addresses the per-source limits remember now.");
  m.Sample("tutti_sip_tracked_sources", static_cast<double>(calls.overload().tracked_sources()));
}

void RenderSipTransactions(MetricsText& m, const sip::TransactionLayer& transactions) {
  m.Family("tutti_sip_server_transactions", "gauge", "SIP server transactions kept now.");
  m.Sample("tutti_sip_server_transactions",
           static_cast<double>(transactions.server_transactions()));
  m.Family("tutti_sip_server_transaction_bytes", "gauge",
           "Estimated bytes the SIP server transactions hold now.");
  m.Sample("tutti_sip_server_transaction_bytes",
           static_cast<double>(transactions.server_transaction_bytes()));
  m.Family("tutti_sip_transactions_evicted_total", "counter",
           "Answered server transactions ended early to stay within the limits.");
  m.Sample("tutti_sip_transactions_evicted_total",
           static_cast<double>(transactions.transactions_evicted()));
  m.Family("tutti_sip_transactions_refused_total", "counter",
           "Requests answered 503 because the server transactions were at their limits.");
  m.Sample("tutti_sip_transactions_refused_total",
           static_cast<double>(transactions.transactions_refused()));
  m.Family("tutti_memory_trims_total", "counter",
           "Times freed memory was given back to the system after transactions drained.");
  m.Sample("tutti_memory_trims_total", static_cast<double>(transactions.memory_trims()));
}

// Issue 20: how late each room's mix starts, how busy the worker is, and
// what it shed to keep up.
void RenderWorkerLoad(MetricsText& m, const mixer::WorkerPool& media) {
  m.Family("tutti_worker_tick_lateness_seconds", "histogram",
           "How long after its due instant each conference's 20 ms mix started.");
  std::array<double, mixer::kLatenessBucketsUs.size()> bounds{};
  for (size_t i = 0; i < bounds.size(); ++i) bounds[i] = mixer::kLatenessBucketsUs[i] / 1e6;
  for (const auto& worker : media.workers()) {
    const mixer::WorkerCounters& c = worker->counters();
    std::array<uint64_t, mixer::kLatenessBucketsUs.size() + 1> counts{};
    for (size_t i = 0; i < counts.size(); ++i) counts[i] = c.lateness_buckets[i].load();
    m.Histogram("tutti_worker_tick_lateness_seconds", bounds, counts,
                static_cast<double>(c.lateness_ns_total.load()) / 1e9,
                {{"worker", std::to_string(worker->index())}});
  }
  // A gauge family with one sample per worker, read from its counters.
  auto worker_gauge = [&](const char* name, const char* help, auto value) {
    m.Family(name, "gauge", help);
    for (const auto& worker : media.workers()) {
      m.Sample(name, value(worker->counters()), {{"worker", std::to_string(worker->index())}});
    }
  };
  worker_gauge("tutti_worker_load_ratio",
               "Share of its core a media worker was busy (not idle waiting for packets), smoothed "
               "over about a second.",
               [](const mixer::WorkerCounters& c) {
                 return static_cast<double>(c.load_permille.load()) / 1000;
               });
  worker_gauge("tutti_worker_participant_cost_ratio",
               "Share of its core one participant costs a media worker, as admission reckons it: "
               "the highest load per participant seen while the worker was at least 30% busy, "
               "halving every two minutes; 0 until then. Its inverse is the participants per core.",
               [](const mixer::WorkerCounters& c) {
                 return static_cast<double>(c.participant_cost_ppm.load()) / 1e6;
               });
  worker_gauge(
      "tutti_worker_shed_level",
      "Encoder cost a media worker sheds under load: 0 full quality; 1 and 2 lower Opus "
      "complexity; 3 also in-band FEC only for receivers reporting 10% loss or more.",
      [](const mixer::WorkerCounters& c) { return static_cast<double>(c.shed_level.load()); });
  m.Family("tutti_worker_shed_steps_total", "counter",
           "Steps of the shed level: up above [media] shed_load, down below restore_load.");
  for (const auto& worker : media.workers()) {
    const mixer::WorkerCounters& c = worker->counters();
    const std::string index = std::to_string(worker->index());
    m.Sample("tutti_worker_shed_steps_total", static_cast<double>(c.shed_steps_up.load()),
             {{"worker", index}, {"direction", "up"}});
    m.Sample("tutti_worker_shed_steps_total", static_cast<double>(c.shed_steps_down.load()),
             {{"worker", index}, {"direction", "down"}});
  }
}

void RenderWorkers(MetricsText& m, const mixer::WorkerPool& media) {
  m.Family("tutti_worker_tick_seconds", "histogram",
           "Time a media worker spends per run: the mixes of one phase of the 20 ms tick (rooms "
           "are spread over the tick) with their send, or the 20 ms round of timers.");
  std::array<double, mixer::kTickBucketsUs.size()> bounds{};
  for (size_t i = 0; i < bounds.size(); ++i) bounds[i] = mixer::kTickBucketsUs[i] / 1e6;
  for (const auto& worker : media.workers()) {
    const mixer::WorkerCounters& c = worker->counters();
    std::array<uint64_t, mixer::kTickBucketsUs.size() + 1> counts{};
    for (size_t i = 0; i < counts.size(); ++i) counts[i] = c.tick_buckets[i].load();
    m.Histogram("tutti_worker_tick_seconds", bounds, counts,
                static_cast<double>(c.tick_ns_total.load()) / 1e9,
                {{"worker", std::to_string(worker->index())}});
  }
  RenderWorkerLoad(m, media);
  for (const WorkerCounter& counter : kWorkerCounters) {
    m.Family(counter.name, "counter", counter.help);
    for (const auto& worker : media.workers()) {
      m.Sample(counter.name,
               static_cast<double>((worker->counters().*counter.field).load()) * counter.scale,
               {{"worker", std::to_string(worker->index())}});
    }
  }
}

}  // namespace

std::string RenderMetrics(const CallController& calls, const sip::SipEndpoint& endpoint,
                          const sip::TransactionLayer& transactions, const mixer::WorkerPool& media,
                          const RoomDirectory& rooms, const EventHub& events) {
  MetricsText m;
  RenderProcess(m);
  RenderCalls(m, calls, rooms, events);
  RenderSipTraffic(m, calls, endpoint, transactions);
  RenderSipTransactions(m, transactions);
  RenderWorkers(m, media);
  return m.text();
}

}  // namespace tutti::api
