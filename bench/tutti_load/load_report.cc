#include "bench/tutti_load/load_report.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"

namespace tutti::load {
const char* CodecName(Codec codec) {
  switch (codec) {
    case Codec::kPcmu:
      return "pcmu";
    case Codec::kPcma:
      return "pcma";
    case Codec::kOpus:
      return "opus";
  }
  return "?";
}

namespace {

// " (3 x 503, 1 x 408)", or "" when nothing failed.
std::string FailuresText(const std::map<int, int64_t>& failures_by_status) {
  std::string failures;
  for (const auto& [status, count] : failures_by_status) {
    absl::StrAppend(&failures, failures.empty() ? " (" : ", ", count, " x ", status);
  }
  if (!failures.empty()) failures += ")";
  return failures;
}

nlohmann::json FailuresJson(const std::map<int, int64_t>& failures_by_status) {
  nlohmann::json failures = nlohmann::json::object();
  for (const auto& [status, count] : failures_by_status) failures[absl::StrCat(status)] = count;
  return failures;
}

// The figures of a run with --video.
void AppendVideoText(const VideoResult& v, std::string* text) {
  absl::StrAppendFormat(text,
                        "  video      %lld of %lld offers taken; %lld cameras sent %lld packets "
                        "(%.0f kb/s each; %lld frames skipped by tutti-load), %lld key frames "
                        "(%lld asked for); got %lld PLI, %lld FIR, %lld REMB, %lld TMMBR; %lld "
                        "held below the rate at the end\n",
                        v.accepted, v.offered, v.cameras, v.packets_sent, v.sent_kbps_mean,
                        v.frames_skipped, v.keyframes_sent, v.keyframes_asked, v.plis_received,
                        v.firs_received, v.rembs_received, v.tmmbrs_received, v.cameras_held_down);
  const VideoTally& got = v.received;
  absl::StrAppendFormat(
      text,
      "  watching   %lld receivers got %lld packets (%.0f kb/s each), %lld key frames; %lld "
      "missing (%.4f%%, %lld receivers with gaps), %lld got none; %lld switches, %lld broken; "
      "%lld SSRC changes, %lld picture id jumps, %lld timestamps back, %lld own camera\n",
      v.receivers, got.packets, v.received_kbps_mean, got.keyframes, got.missing, v.missing_percent,
      v.receivers_with_gaps, v.receivers_without_video, got.switches, got.broken_switches,
      got.ssrc_changes, got.picture_id_jumps, got.timestamp_backwards, got.own_camera);
  if (v.server.packets_in + v.server.packets_out > 0) {
    absl::StrAppendFormat(text,
                          "  forwarded  server: %lld video packets in, %lld out; %lld key frame "
                          "requests, %lld switches (%.0f ms to the key frame on average), %lld "
                          "NACKs answered\n",
                          v.server.packets_in, v.server.packets_out, v.server.keyframe_requests,
                          v.server.switches, v.server.switch_wait_ms_mean, v.server.nacks_answered);
  }
  if (got.unreadable + v.malformed_received + v.strays_received > 0) {
    absl::StrAppendFormat(text, "  video in   %lld unreadable, %lld malformed, %lld strays\n",
                          got.unreadable, v.malformed_received, v.strays_received);
  }
}

nlohmann::json VideoJson(const VideoResult& v) {
  const VideoTally& got = v.received;
  return {{"offered", v.offered},
          {"accepted", v.accepted},
          {"cameras", v.cameras},
          {"packets_sent", v.packets_sent},
          {"bytes_sent", v.bytes_sent},
          {"frames_sent", v.frames_sent},
          {"frames_skipped", v.frames_skipped},
          {"keyframes_sent", v.keyframes_sent},
          {"keyframes_asked", v.keyframes_asked},
          {"plis_received", v.plis_received},
          {"firs_received", v.firs_received},
          {"rembs_received", v.rembs_received},
          {"tmmbrs_received", v.tmmbrs_received},
          {"cameras_held_down", v.cameras_held_down},
          {"sent_kbps_mean", v.sent_kbps_mean},
          {"receivers", v.receivers},
          {"receivers_without_video", v.receivers_without_video},
          {"receivers_with_gaps", v.receivers_with_gaps},
          {"packets_received", got.packets},
          {"bytes_received", got.bytes},
          {"frames_received", got.frames},
          {"keyframes_received", got.keyframes},
          {"packets_missing", got.missing},
          {"missing_percent", v.missing_percent},
          {"received_kbps_mean", v.received_kbps_mean},
          {"switches", got.switches},
          {"broken_switches", got.broken_switches},
          {"ssrc_changes", got.ssrc_changes},
          {"picture_id_jumps", got.picture_id_jumps},
          {"timestamp_backwards", got.timestamp_backwards},
          {"own_camera", got.own_camera},
          {"unreadable", got.unreadable},
          {"rtcp_received", v.rtcp_received},
          {"malformed_received", v.malformed_received},
          {"strays_received", v.strays_received},
          {"server",
           {{"packets_in", v.server.packets_in},
            {"packets_out", v.server.packets_out},
            {"keyframe_requests", v.server.keyframe_requests},
            {"switches", v.server.switches},
            {"switch_wait_ms_mean", v.server.switch_wait_ms_mean},
            {"nacks_answered", v.server.nacks_answered}}}};
}

void AppendMessagesText(const MessageResult& m, std::string* text) {
  absl::StrAppendFormat(text,
                        "  messages   %lld sent, %lld accepted, %lld failed%s, %lld "
                        "retransmissions, %lld turns skipped; %.0f accepted/s over %.2f s\n",
                        m.sent, m.accepted, m.failed, FailuresText(m.failures_by_status),
                        m.retransmissions, m.skipped, m.messages_per_s, m.window_s);
  absl::StrAppendFormat(text,
                        "  relayed    %lld of %lld deliveries (%.0f/s; %lld in CPIM), %lld "
                        "duplicates, %lld to the sender, %lld to another room, %lld foreign; "
                        "latency p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
                        m.deliveries, m.deliveries_expected, m.deliveries_per_s, m.cpim,
                        m.duplicates, m.echoes, m.wrong_room, m.foreign, m.latency_ms.p50,
                        m.latency_ms.p99, m.latency_ms.max);
}

// Grouped as the text is: the senders' transactions, then what the
// members received.
nlohmann::json MessagesJson(const MessageResult& m) {
  nlohmann::json sent = {{"sent", m.sent},
                         {"accepted", m.accepted},
                         {"failed", m.failed},
                         {"failures_by_status", FailuresJson(m.failures_by_status)}};
  sent["retransmissions"] = m.retransmissions;
  sent["skipped"] = m.skipped;
  sent["per_s"] = m.messages_per_s;
  nlohmann::json received = {{"expected", m.deliveries_expected},
                             {"deliveries", m.deliveries},
                             {"duplicates", m.duplicates},
                             {"echoes", m.echoes}};
  received["wrong_room"] = m.wrong_room;
  received["foreign"] = m.foreign;
  received["cpim"] = m.cpim;
  received["per_s"] = m.deliveries_per_s;
  received["latency_ms"] = {
      {"p50", m.latency_ms.p50}, {"p99", m.latency_ms.p99}, {"max", m.latency_ms.max}};
  return {{"window_s", m.window_s}, {"messages", sent}, {"relayed", received}};
}

}  // namespace

bool AdmittedClean(const LoadOptions& options, const RunResult& r) {
  if (r.refused_503 == 0 || r.answered + r.refused_503 != options.calls) return false;
  if (!options.media || options.hold_s >= 0) return true;
  return r.turns_heard == r.turns_judged && r.pauses_noisy == 0 && r.missing_percent < 0.1;
}

std::string SummaryText(const LoadOptions& options, const RunResult& r) {
  std::string text;
  if (!r.error.empty()) absl::StrAppend(&text, "error: ", r.error, "\n");
  if (r.interrupted) absl::StrAppend(&text, "interrupted: ended early, every call hung up\n");
  absl::StrAppendFormat(&text, "tutti-load: %d calls (%s) in %d rooms of up to %d, %.0f calls/s\n",
                        options.calls, CodecName(options.codec), r.rooms, options.room_size,
                        options.cps);
  absl::StrAppendFormat(&text,
                        "  calls      %lld placed, %lld answered, %lld failed%s; %lld ended by the "
                        "server; BYE answered %lld, unanswered %lld; %lld retransmissions\n",
                        r.attempted, r.answered, r.failed, FailuresText(r.failures_by_status),
                        r.ended_by_server, r.byes_answered, r.byes_unanswered, r.retransmissions);
  if (r.refused_503 > 0) {
    absl::StrAppendFormat(&text, "  refused    %lld with 503 (%lld with Retry-After)\n",
                          r.refused_503, r.refused_503_retry_after);
  }
  absl::StrAppendFormat(&text,
                        "  signaling  %.0f joins/s; INVITE->200 p50 %.1f ms, p99 %.1f ms, max "
                        "%.1f ms; run %.1f s\n",
                        r.joins_per_s, r.setup_ms_p50, r.setup_ms_p99, r.setup_ms_max, r.run_s);
  if (options.hold_s < 0 && options.media) {
    absl::StrAppendFormat(
        &text,
        "  media      %.1f s measured, %lld participants: %lld packets sent, %lld received, "
        "%lld frames missing (%.4f%%, %lld participants with gaps); jitter mean %.2f ms, max "
        "%.2f ms\n",
        r.measured_s, r.participants_measured, r.packets_sent, r.packets_received, r.frames_missing,
        r.missing_percent, r.participants_with_gaps, r.jitter_ms_mean, r.jitter_ms_max);
    absl::StrAppendFormat(&text,
                          "  hearing    talkers heard in %lld of %lld turns, silence in %lld of "
                          "%lld pauses; %lld of %lld participants judged heard every turn and "
                          "pause\n",
                          r.turns_heard, r.turns_judged, r.pauses_judged - r.pauses_noisy,
                          r.pauses_judged, r.participants_hearing_all, r.participants_judged);
    if (r.malformed_received + r.strays_received > 0) {
      absl::StrAppendFormat(&text, "  received   %lld malformed, %lld from unknown ports\n",
                            r.malformed_received, r.strays_received);
    }
  }
  if (options.video.enabled && options.hold_s < 0 && options.media) AppendVideoText(r.video, &text);
  if (options.messages.per_second > 0) AppendMessagesText(r.messages, &text);
  if (r.server_measured) {
    absl::StrAppendFormat(&text,
                          "  server     %.2f CPU s (%.4f per participant-minute); %lld late "
                          "ticks of %lld; %.1f kB resident per participant\n",
                          r.server_cpu_s, r.server_cpu_s_per_participant_minute,
                          r.server_late_ticks, r.server_ticks, r.server_kb_per_participant);
  } else if (options.use_api) {
    absl::StrAppend(&text, "  server     /metrics not read\n");
  }
  absl::StrAppendFormat(
      &text, "  tutti-load %.2f CPU s over the same window; send schedule %.1f ms late at worst\n",
      r.tool_cpu_s, r.tool_max_lag_ms);
  return text;
}

std::string SummaryJson(const LoadOptions& options, const RunResult& r) {
  nlohmann::json json = {
      {"options",
       {{"calls", options.calls},
        {"room_size", options.room_size},
        {"codec", CodecName(options.codec)},
        {"cps", options.cps},
        {"duration_s", options.duration_s},
        {"hold_s", options.hold_s},
        {"judge_per_room", options.judge_per_room},
        {"expect_refusals", options.expect_refusals},
        {"talk_in_ramp", options.talk_in_ramp},
        {"media", options.media},
        {"media_path", options.dpdk.eal_args.empty() ? "kernel" : "dpdk"},
        {"video", options.video.enabled ? "vp8" : ""},
        {"video_kbps", options.video.kbps},
        {"video_fps", options.video.fps},
        {"keyframe_interval_s", options.video.keyframe_interval_s},
        {"messages_per_second", options.messages.per_second},
        {"message_in_dialog", options.messages.in_dialog},
        {"message_bytes", options.messages.body_bytes}}},
      {"error", r.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.error)},
      {"interrupted", r.interrupted},
      {"rooms", r.rooms},
      {"calls",
       {{"attempted", r.attempted},
        {"answered", r.answered},
        {"failed", r.failed},
        {"failures_by_status", FailuresJson(r.failures_by_status)},
        {"refused_503", r.refused_503},
        {"refused_503_retry_after", r.refused_503_retry_after},
        {"ended_by_server", r.ended_by_server},
        {"byes_answered", r.byes_answered},
        {"byes_unanswered", r.byes_unanswered},
        {"retransmissions", r.retransmissions}}},
      {"signaling",
       {{"joins_per_s", r.joins_per_s},
        {"setup_ms_p50", r.setup_ms_p50},
        {"setup_ms_p99", r.setup_ms_p99},
        {"setup_ms_max", r.setup_ms_max},
        {"run_s", r.run_s}}},
      {"media",
       {{"measured_s", r.measured_s},
        {"participants", r.participants_measured},
        {"packets_sent", r.packets_sent},
        {"packets_received", r.packets_received},
        {"frames_missing", r.frames_missing},
        {"missing_percent", r.missing_percent},
        {"participants_with_gaps", r.participants_with_gaps},
        {"jitter_ms_mean", r.jitter_ms_mean},
        {"jitter_ms_max", r.jitter_ms_max},
        {"rtcp_received", r.rtcp_received},
        {"malformed_received", r.malformed_received},
        {"strays_received", r.strays_received}}},
      {"hearing",
       {{"participants_judged", r.participants_judged},
        {"turns_judged", r.turns_judged},
        {"turns_heard", r.turns_heard},
        {"pauses_judged", r.pauses_judged},
        {"pauses_noisy", r.pauses_noisy},
        {"participants_hearing_all", r.participants_hearing_all}}},
      {"video", options.video.enabled ? VideoJson(r.video) : nlohmann::json(nullptr)},
      {"messages",
       options.messages.per_second > 0 ? MessagesJson(r.messages) : nlohmann::json(nullptr)},
      {"server",
       r.server_measured
           ? nlohmann::json{{"cpu_s", r.server_cpu_s},
                            {"cpu_s_per_participant_minute", r.server_cpu_s_per_participant_minute},
                            {"late_ticks", r.server_late_ticks},
                            {"ticks", r.server_ticks},
                            {"kb_per_participant", r.server_kb_per_participant},
                            // The busiest worker's load at the window's end (-1:
                            // not exported): with DPDK, cpu_s is 100% by construction.
                            {"worker_load", r.server_worker_load},
                            {"packets_in", r.server_packets_in},
                            {"packets_out", r.server_packets_out},
                            {"send_drops", r.server_send_drops}}
           : nlohmann::json(nullptr)},
      {"tool", {{"cpu_s", r.tool_cpu_s}, {"max_lag_ms", r.tool_max_lag_ms}, {"busy", r.tool_busy}}},
  };
  return json.dump(2) + "\n";
}

}  // namespace tutti::load
