// tutti-load: SIP calls with real RTP into a tuttid, measured (bench/README.md).
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "bench/tutti_load/load_report.h"
#include "bench/tutti_load/load_runner.h"
#include "common/command_line.h"

ABSL_FLAG(std::string, server, "127.0.0.1:5060", "The tuttid to call: SIP address:port (UDP).");
ABSL_FLAG(std::string, local_address, "127.0.0.1", "Address tutti-load's SIP and RTP bind to.");
ABSL_FLAG(int, calls, 10, "Participants: one SIP call each.");
ABSL_FLAG(int, room_size, 10, "Participants per room; rooms = ceil(calls / room_size).");
ABSL_FLAG(int, rooms, 0,
          "Rooms the calls go to in turn, room_size calls at a time (with --hold_s: the same "
          "rooms see members come and go, as in the soak run); 0: ceil(calls / room_size), "
          "each filled once.");
ABSL_FLAG(std::string, codec, "pcmu", "pcmu, pcma or opus (Opus with DTX).");
ABSL_FLAG(double, cps, 50, "New calls per second while ramping up (and BYEs while hanging up).");
ABSL_FLAG(double, duration_s, 10,
          "Seconds of conversation, measured, once every call is up; then all hang up.");
ABSL_FLAG(double, hold_s, -1,
          "Churn instead: each call hangs up this many seconds after it is answered (0: right "
          "after the ACK) and only signaling is measured (joins/s). -1: off.");
ABSL_FLAG(bool, media, true, "Send and receive RTP (false: SDP only, for signaling runs).");
ABSL_FLAG(bool, audio_level, true,
          "Send each frame's RFC 6464 audio level in an RTP header extension when the answer "
          "takes it (false: plain RTP headers, as a caller without it).");
ABSL_FLAG(std::string, dpdk_eal, "",
          "Audio through a DPDK port instead of a kernel socket: EAL's arguments, e.g. "
          "\"--vdev=net_memif0,role=client,socket=/tmp/tutti-memif.sock --no-huge --no-pci -m 512 "
          "--file-prefix=load -l 1\". SIP and the API stay on kernel sockets. \"\": the kernel.");
ABSL_FLAG(std::string, dpdk_ip, "10.9.0.2",
          "With --dpdk_eal: tutti-load's IPv4 address on the DPDK port (its SDP c=; it answers "
          "ARP for it).");
ABSL_FLAG(int, dpdk_prefix_length, 24,
          "With --dpdk_eal: the DPDK address's subnet (the server's "
          "media address must be on it: no gateway).");
ABSL_FLAG(int, dpdk_idle_sleep_us, 0,
          "With --dpdk_eal: sleep this long after an empty poll instead of spinning (a shared "
          "machine; arrival times coarsen by as much). 0: busy-poll.");
ABSL_FLAG(int, dpdk_rtp_port, 5004, "With --dpdk_eal: the UDP port all audio arrives at.");
ABSL_FLAG(std::string, dpdk_device, "",
          "With --dpdk_eal: DPDK's name of the port; \"\": the first.");
ABSL_FLAG(std::string, video, "",
          "vp8: every call offers VP8 video too (AVPF: nack, nack pli, ccm fir, goog-remb) and, "
          "when the answer takes it, sends a synthetic camera and checks the video it gets. \"\": "
          "audio only.");
ABSL_FLAG(int, video_kbps, 1500, "Video: each camera's bitrate unless the server asks for less.");
ABSL_FLAG(int, video_fps, 30, "Video: frames per second.");
ABSL_FLAG(double, keyframe_interval_s, 0,
          "Video: seconds between key frames nobody asked for; 0: only the first and those asked "
          "for (PLI, FIR).");
ABSL_FLAG(double, turn_s, 3, "Talk model: two members of each room talk this long...");
ABSL_FLAG(double, pause_s, 1, "...then nobody talks this long; the next two take the next turn.");
ABSL_FLAG(std::string, speech, "",
          "16-bit PCM WAV the talkers play. \"\": generated/speech.wav, made by "
          "bench/tutti_load/make_speech.sh in the source tree tutti-load was built from.");
ABSL_FLAG(std::string, api, "127.0.0.1:8080",
          "tuttid's control API: /metrics before and after, rooms made for the run. \"\": none.");
ABSL_FLAG(std::string, token, "",
          "The API's bearer token ([api] token); empty reads --token_file.");
ABSL_FLAG(std::string, token_file, "tutti-api-token",
          "File holding the API's bearer token ([api] token_file, made by ops/setup.sh), "
          "read when --token is empty.");
ABSL_FLAG(bool, create_rooms, true,
          "Make the rooms through the API and remove them after; false: they exist already.");
ABSL_FLAG(std::string, room_prefix, "load-", "Rooms are <prefix>0, <prefix>1, ...");
ABSL_FLAG(int, judge_per_room, 0,
          "Judge hearing for the first N members of each room only (0: everyone). Each judged "
          "Opus listener costs tutti-load a decode per frame; members talk in order, so the first "
          "ones are a short run's talkers.");
ABSL_FLAG(double, messages_per_second, 0,
          "Pager mode: the calls take turns sending this many SIP MESSAGEs (RFC 3428) a second "
          "to their rooms during the measured window, and count what the server relays to them. "
          "0: none.");
ABSL_FLAG(bool, message_in_dialog, true,
          "Messages go inside each call's dialog; false: outside it, to the room's URI.");
ABSL_FLAG(int, message_bytes, 64, "Bytes of each MESSAGE's text/plain body (at least its tag).");
ABSL_FLAG(bool, expect_refusals, false,
          "Admission runs: offer more calls than the server takes. Its 503s are refusals; the "
          "exit status is 0 when some call was refused, every other was answered, and the "
          "answered ones heard every turn and pause with under 0.1% of frames missing.");
ABSL_FLAG(bool, talk_in_ramp, false,
          "Answered calls talk during the ramp too (the talk model from the run's start), as "
          "callers joining a conference that is already talking; default: silence until every "
          "call is placed. Admission runs use it: a measured load sees talk only while it is "
          "there.");
ABSL_FLAG(double, progress_s, 1, "Seconds between progress lines on stderr; 0: none.");
ABSL_FLAG(bool, json, false, "Print the summary as one JSON object on stdout.");

namespace {

constexpr char kUsage[] = R"(tutti-load: places SIP calls into a tuttid and measures the audio.

  tutti-load --calls=N --room_size=S --codec=pcmu|pcma|opus --cps=R
             --duration_s=D
  tutti-load --help | --version

Places N calls over UDP at R calls/s into rooms of S (made through the
control API, removed after), each with an SDP offer for one codec and real
RTP: pre-encoded speech for talkers, silence (G.711) or DTX (Opus) for the
rest. Once every call is up, D seconds of conversation follow: in each room
two members talk for --turn_s, then nobody for --pause_s, then the next two.
Every participant measures the stream it gets back: packets, missing frames
(sequence gaps), jitter, and whether it heard the talkers in each turn and
silence in each pause. /metrics is read before and after, giving the
server's CPU seconds per participant-minute and its late ticks. Then every
call ends with BYE. A progress line goes to stderr each second (the
server's late ticks in it count from before this run's first call, not
since tuttid started; the summary's, over the talk phase); the summary
to stdout (--json for the same as one JSON object). Ctrl-C (or SIGTERM)
ends the run early but cleanly: no new calls, every call hung up with BYE,
the summary of what was measured; a second Ctrl-C leaves at once. Exit
status: 0 when every call was answered and ended cleanly, 1 otherwise
(also after Ctrl-C), 2 for bad flags.

With --video=vp8 every call offers VP8 video as well. Each call whose
answer takes it sends a synthetic camera (RFC 7741 packets of --video_kbps
at --video_fps, a size of its own in every key frame and a tag in every
packet) that answers PLI and FIR with a key frame and keeps under the REMB
or TMMBR it is sent, and checks the one stream it gets back: one SSRC, no
sequence gaps, and at every change of camera (the talker moved the floor)
that the first packet begins a key frame of that camera.

With --messages_per_second=R the calls take turns sending R MESSAGEs a
second in all (in their dialog, or to the room's URI with
--message_in_dialog=false), each a UDP client transaction with
retransmissions; every MESSAGE the server sends to a member is answered
200 and counted once: deliveries per second, the time from the sender,
and any that reached the sender itself or another room. Sending stops at
the end of --duration_s; the window ends when every expected delivery came
(or none for 2 s). Use --media=false to measure the messages alone.

With --hold_s >= 0 (churn) each call hangs up on its own after the hold
time and the run measures signaling: joins per second, setup latency.

With --dpdk_eal=ARGS the audio goes through a DPDK port instead of a
kernel socket (EAL started with ARGS, e.g. the client end of a net_memif
pair whose server end is tuttid's [dpdk] port), from --dpdk_ip (the
offer's c=) and --dpdk_rtp_port; tutti-load answers ARP for that address
and finds the server's MAC by ARP. SIP, the API and video stay on kernel
sockets. It busy-polls the port (--dpdk_idle_sleep_us to sleep between
empty polls on a shared machine); a packet's arrival time is the steady
clock read when the poll returned its burst, not a kernel timestamp. The
port's counters are printed to stderr at the end.
)";

// The first Ctrl-C ends the run cleanly (BYE for every call); a second one
// leaves at once.
extern "C" void OnStopSignal(int) {
  static std::atomic<int> received{0};  // lock-free: safe in a handler
  if (received.fetch_add(1) > 0) _exit(130);
  tutti::load::RequestStop();
}

bool SplitHostPort(const std::string& text, std::string* host, int* port) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos) return false;
  *host = text.substr(0, colon);
  return absl::SimpleAtoi(text.substr(colon + 1), port) && *port > 0 && *port < 65536;
}

}  // namespace

int main(int argc, char** argv) {
  // --help and --version to stdout with exit 0, a wrong flag exit 2
  // (common/command_line.h).
  tutti::SetAbslHelpUsage("SIP calls with real RTP into a tuttid; --help lists its own flags.");
  if (const std::optional<int> exit_status = tutti::AnswerCommandLine(
          tutti::ParseCommandLine(argc, argv), "tutti-load",
          [] { return tutti::FlagsHelp(kUsage, "tutti_load_main.cc"); },
          [] { return std::string("tutti-load ") + TUTTI_VERSION + "\n"; }, std::cout, std::cerr)) {
    return *exit_status;
  }

  tutti::load::LoadOptions options;
  auto bad = [](const std::string& why) {
    std::cerr << "tutti-load: " << why << "\n";
    return 2;
  };
  if (!SplitHostPort(absl::GetFlag(FLAGS_server), &options.server_host, &options.server_port)) {
    return bad("--server must be address:port");
  }
  const std::string api = absl::GetFlag(FLAGS_api);
  options.use_api = !api.empty();
  if (options.use_api && !SplitHostPort(api, &options.api_host, &options.api_port)) {
    return bad("--api must be address:port or empty");
  }
  options.local_address = absl::GetFlag(FLAGS_local_address);
  options.calls = absl::GetFlag(FLAGS_calls);
  options.room_size = absl::GetFlag(FLAGS_room_size);
  options.rooms = absl::GetFlag(FLAGS_rooms);
  if (options.calls < 1 || options.room_size < 1)
    return bad("--calls and --room_size must be >= 1");
  const std::string codec = absl::GetFlag(FLAGS_codec);
  if (codec == "pcmu") {
    options.codec = tutti::load::Codec::kPcmu;
  } else if (codec == "pcma") {
    options.codec = tutti::load::Codec::kPcma;
  } else if (codec == "opus") {
    options.codec = tutti::load::Codec::kOpus;
  } else {
    return bad("--codec must be pcmu, pcma or opus");
  }
  options.cps = absl::GetFlag(FLAGS_cps);
  options.duration_s = absl::GetFlag(FLAGS_duration_s);
  options.hold_s = absl::GetFlag(FLAGS_hold_s);
  if (options.cps <= 0 || options.duration_s < 0)
    return bad("--cps must be > 0, --duration_s >= 0");
  options.media = absl::GetFlag(FLAGS_media);
  options.audio_level = absl::GetFlag(FLAGS_audio_level);
  options.dpdk.eal_args = absl::GetFlag(FLAGS_dpdk_eal);
  options.dpdk.address = absl::GetFlag(FLAGS_dpdk_ip);
  options.dpdk.prefix_length = absl::GetFlag(FLAGS_dpdk_prefix_length);
  options.dpdk.device = absl::GetFlag(FLAGS_dpdk_device);
  options.dpdk.idle_sleep_us = absl::GetFlag(FLAGS_dpdk_idle_sleep_us);
  if (options.dpdk.idle_sleep_us < 0 || options.dpdk.idle_sleep_us > 10000) {
    return bad("--dpdk_idle_sleep_us must be 0..10000");
  }
  const int dpdk_rtp_port = absl::GetFlag(FLAGS_dpdk_rtp_port);
  if (dpdk_rtp_port < 1 || dpdk_rtp_port > 65535) return bad("--dpdk_rtp_port must be 1..65535");
  options.dpdk.port = static_cast<uint16_t>(dpdk_rtp_port);
  const std::string video = absl::GetFlag(FLAGS_video);
  if (!video.empty() && video != "vp8") return bad("--video must be vp8 or empty");
  options.video.enabled = video == "vp8";
  if (options.video.enabled && !options.dpdk.eal_args.empty()) {
    return bad("--video goes over kernel sockets only: not with --dpdk_eal");
  }
  options.video.kbps = absl::GetFlag(FLAGS_video_kbps);
  options.video.fps = absl::GetFlag(FLAGS_video_fps);
  options.video.keyframe_interval_s = absl::GetFlag(FLAGS_keyframe_interval_s);
  if (options.video.kbps < 10 || options.video.kbps > 100'000 || options.video.fps < 1 ||
      options.video.fps > 120 || options.video.keyframe_interval_s < 0) {
    return bad("--video_kbps must be 10..100000, --video_fps 1..120, --keyframe_interval_s >= 0");
  }
  options.talk.turn_ms = static_cast<int64_t>(absl::GetFlag(FLAGS_turn_s) * 1000);
  options.talk.pause_ms = static_cast<int64_t>(absl::GetFlag(FLAGS_pause_s) * 1000);
  if (options.talk.turn_ms <= options.talk.settle_ms ||
      options.talk.pause_ms <= options.talk.settle_ms) {
    return bad("--turn_s and --pause_s must each be longer than 0.4 s");
  }
  options.speech_path = absl::GetFlag(FLAGS_speech);
  if (options.speech_path.empty()) options.speech_path = TUTTI_LOAD_SPEECH;
  options.api_token = absl::GetFlag(FLAGS_token);
  if (options.api_token.empty() && options.use_api) {
    std::ifstream file(absl::GetFlag(FLAGS_token_file));
    std::getline(file, options.api_token);
    if (options.api_token.empty()) {
      return bad("no API token: pass --token, or --token_file naming tuttid's token file");
    }
  }
  options.create_rooms = absl::GetFlag(FLAGS_create_rooms) && options.use_api;
  options.room_prefix = absl::GetFlag(FLAGS_room_prefix);
  options.progress_s = absl::GetFlag(FLAGS_progress_s);
  options.expect_refusals = absl::GetFlag(FLAGS_expect_refusals);
  options.talk_in_ramp = absl::GetFlag(FLAGS_talk_in_ramp);
  options.judge_per_room = absl::GetFlag(FLAGS_judge_per_room);
  if (options.judge_per_room < 0) return bad("--judge_per_room must be >= 0");

  options.messages.per_second = absl::GetFlag(FLAGS_messages_per_second);
  options.messages.in_dialog = absl::GetFlag(FLAGS_message_in_dialog);
  options.messages.body_bytes = absl::GetFlag(FLAGS_message_bytes);
  if (options.messages.per_second < 0 || options.messages.body_bytes < 0 ||
      options.messages.body_bytes > 60'000) {
    return bad("--messages_per_second must be >= 0, --message_bytes 0..60000");
  }
  if (options.messages.per_second > 0 && options.hold_s >= 0) {
    return bad("--messages_per_second needs calls that stay up (no --hold_s)");
  }

  std::signal(SIGINT, OnStopSignal);
  std::signal(SIGTERM, OnStopSignal);
  const tutti::load::RunResult result = tutti::load::RunLoad(options);
  if (absl::GetFlag(FLAGS_json)) {
    std::cout << tutti::load::SummaryJson(options, result);
  } else {
    std::cout << tutti::load::SummaryText(options, result);
  }
  const bool clean = result.error.empty() && !result.interrupted && result.byes_unanswered == 0 &&
                     (options.expect_refusals ? tutti::load::AdmittedClean(options, result)
                                              : result.answered == options.calls);
  return clean ? 0 : 1;
}
