// A tutti-load run: places the calls at the given rate, plays the talk
// model into every room, measures what comes back, and hangs up.
//
// One thread does everything (SIP, RTP out and in, timing) on three UDP
// sockets: every participant's RTP goes out of one socket and comes back
// to it, told apart by the server's port. That is what keeps the tool's
// own CPU small next to the server's: a few sendmmsg/recvmmsg per
// millisecond instead of a socket and a system call per participant.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "bench/tutti_load/media_transport.h"
#include "bench/tutti_load/message_traffic.h"
#include "bench/tutti_load/speech_frames.h"
#include "bench/tutti_load/talk_model.h"
#include "bench/tutti_load/video_traffic.h"

namespace tutti::load {

struct LoadOptions {
  std::string server_host = "127.0.0.1";
  int server_port = 5060;
  std::string local_address = "127.0.0.1";
  int calls = 10;
  int room_size = 10;
  // > 0: the calls go to this many rooms in turn, room_size calls at a
  // time (call i to room (i / room_size) % rooms), so that in churn mode
  // the same rooms see members come and go for as long as the run lasts
  // (the soak run); 0: ceil(calls / room_size) rooms, each filled once.
  int rooms = 0;
  Codec codec = Codec::kPcmu;
  double cps = 50;  // new calls per second
  // Seconds of talk once every call is up (the measured window).
  double duration_s = 10;
  // >= 0: churn instead; each call hangs up this long after its answer and
  // nothing is measured but the signaling (joins per second).
  double hold_s = -1;
  bool media = true;  // false: SDP only, no RTP sent or read
  // Send each frame's RFC 6464 audio level when the answer takes it.
  bool audio_level = true;
  // eal_args set: the audio goes through a DPDK port instead of a kernel
  // socket (SIP, the API and video stay on the kernel).
  DpdkMediaOptions dpdk;
  VideoOptions video;  // enabled: every call offers VP8 video too, and sends it
  // per_second > 0: the calls send pager-mode MESSAGEs to their rooms
  // during the measured window (then drained before it ends).
  MessageOptions messages;
  TalkModel talk;
  std::string speech_path;
  std::string api_host = "127.0.0.1";
  int api_port = 8080;
  std::string api_token;
  bool use_api = true;       // /metrics before and after, rooms made and removed
  bool create_rooms = true;  // false: the rooms (room_prefix + number) exist
  std::string room_prefix = "load-";
  // Hearing is judged for the first this many members of each room (0:
  // all). Every judged listener decodes every frame it gets; for Opus that
  // is tutti-load's largest cost, so big runs judge a sample. Members talk
  // in order (0 and 1, then 2 and 3, ...), so the first members of a room
  // are its talkers in a short run.
  int judge_per_room = 0;
  // Issue 20, admission: more calls are offered than the server takes; its
  // 503s are refusals, not failures, and the run is clean when some were
  // refused and every other call was answered and heard (tutti-load's exit
  // status). Hearing is always judged over the answered calls only.
  bool expect_refusals = false;
  // Answered calls talk during the ramp too (by the same talk model), as
  // callers joining a conference that is already talking do; by default
  // they send silence until every call is placed. Admission by measured
  // load sees what talk costs only if the talk is there while it admits.
  bool talk_in_ramp = false;
  double progress_s = 1;           // 0: no progress line
  double response_timeout_s = 32;  // RFC 3261 Timer B / F
};

struct RunResult {
  // Signaling.
  int rooms = 0;
  int64_t attempted = 0;
  int64_t answered = 0;
  int64_t failed = 0;
  std::map<int, int64_t> failures_by_status;  // 408 when the server never answered
  // 503s among the failures (admission by load: the server is full), and
  // how many of them said when to come back (Retry-After).
  int64_t refused_503 = 0;
  int64_t refused_503_retry_after = 0;
  int64_t ended_by_server = 0;
  int64_t byes_answered = 0;
  int64_t byes_unanswered = 0;
  int64_t retransmissions = 0;
  double setup_ms_p50 = 0;
  double setup_ms_p99 = 0;
  double setup_ms_max = 0;
  double joins_per_s = 0;  // answered calls over the time from first INVITE to last 200
  double run_s = 0;

  // Media, over the measured window.
  double measured_s = 0;
  int64_t participants_measured = 0;
  int64_t packets_sent = 0;  // in the measured window
  int64_t packets_received = 0;
  int64_t frames_missing = 0;
  double missing_percent = 0;
  int64_t participants_with_gaps = 0;
  double jitter_ms_mean = 0;
  double jitter_ms_max = 0;
  int64_t rtcp_received = 0;
  int64_t malformed_received = 0;
  int64_t strays_received = 0;      // from a port that is no participant's, while talking
  int64_t participants_judged = 0;  // whose hearing was checked
  int64_t turns_judged = 0;
  int64_t turns_heard = 0;
  int64_t pauses_judged = 0;
  int64_t pauses_noisy = 0;
  int64_t participants_hearing_all = 0;

  // Video (--video), over the measured window.
  VideoResult video;

  // Messages (--messages_per_second), over the measured window.
  MessageResult messages;

  // The server, from /metrics around the measured window (the whole run in
  // churn mode).
  bool server_measured = false;
  double server_cpu_s = 0;
  double server_cpu_s_per_participant_minute = 0;
  int64_t server_late_ticks = 0;
  int64_t server_ticks = 0;
  // The busiest worker's tutti_worker_load_ratio at the window's end
  // (0..1; -1: the server does not export it).
  double server_worker_load = -1;
  // The server's media datagrams in the window: received, sent, and not
  // taken by its packet plane (what tells a run's losses apart by direction).
  int64_t server_packets_in = 0;
  int64_t server_packets_out = 0;
  int64_t server_send_drops = 0;
  // Resident memory the server grew by, from before the first call to the
  // start of the measured window, per participant then connected.
  double server_kb_per_participant = 0;

  // tutti-load itself over the same window.
  double tool_cpu_s = 0;
  double tool_max_lag_ms = 0;  // how late its 1 ms send schedule ran at worst
  // DPDK path: the share of the window it was not polling an empty port
  // (its CPU time is all of the window when it busy-polls); -1: kernel path.
  double tool_busy = -1;

  bool interrupted = false;  // RequestStop() ended it early
  std::string error;         // set when the run could not start or finish
};

RunResult RunLoad(const LoadOptions& options);
// Ends the run early and cleanly (async-signal-safe: for a SIGINT handler):
// no new calls, the measurement stops, every call is hung up with BYE.
void RequestStop();

}  // namespace tutti::load
