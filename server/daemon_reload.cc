// Live reload (issue 19, reload owner): SIGHUP and POST /v1/reload read the
// configuration again, and the running parts take it whole or not at all
// (README "Reloading the configuration").
#include <time.h>

#include <algorithm>

#include "absl/strings/str_join.h"
#include "common/log.h"
#include "common/strings.h"
#include "server/api/api_token.h"
#include "server/component_options.h"
#include "server/config/config_change.h"
#include "server/daemon.h"
#include "server/default_config.h"
#include "server/service_notify.h"
#include "signaling/call/media_security.h"

namespace tutti {
namespace {

using Result = api::ReloadOutcome::Result;

api::ReloadOutcome Refused(Result result, std::string message) {
  api::ReloadOutcome outcome;
  outcome.result = result;
  outcome.message = std::move(message);
  return outcome;
}

// systemd wants CLOCK_MONOTONIC with RELOADING=1 (Type=notify-reload).
uint64_t MonotonicMicros() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<uint64_t>(now.tv_sec) * 1'000'000 + static_cast<uint64_t>(now.tv_nsec) / 1000;
}

bool TrunksChanged(const Config& a, const Config& b) {
  return a.trunks != b.trunks || a.dial_plan != b.dial_plan || !(a.dial_out == b.dial_out) ||
         !(a.trunk_policy == b.trunk_policy);
}

bool IsTrunkKey(std::string_view key) {
  for (std::string_view table : {"[[trunk]]", "[[dial_plan]]", "[dial_out]", "[trunks]"}) {
    if (key.substr(0, table.size()) == table) return true;
  }
  return false;
}

// What the digest authenticator is made from.
bool DigestChanged(const Config& a, const Config& b) {
  return a.users != b.users || a.sip.auth != b.sip.auth || a.sip.realm != b.sip.realm ||
         a.sip.auth_algorithms != b.sip.auth_algorithms ||
         a.sip.nonce_lifetime_s != b.sip.nonce_lifetime_s;
}

const RoomConfig* FindRoom(const std::vector<RoomConfig>& rooms, std::string_view name) {
  auto it = std::find_if(rooms.begin(), rooms.end(),
                         [name](const RoomConfig& room) { return room.name == name; });
  return it == rooms.end() ? nullptr : &*it;
}

}  // namespace

struct Daemon::ReloadPlan {
  std::optional<sip::SourceFilter> filter;  // set: [sip] allow or deny changed
  bool digest_changed = false;
  // The file's rooms with the API's stored changes over them, before and after.
  std::vector<RoomConfig> rooms_before;
  std::vector<RoomConfig> rooms_after;
  bool records_changed = false;
  std::unique_ptr<CallRecordWriter> records;  // null: [records] path empty
};

void Daemon::OnHangup() { Reload("SIGHUP"); }

api::ReloadOutcome Daemon::Reload(std::string_view trigger) {
  NotifyService(StrCat("RELOADING=1\nMONOTONIC_USEC=", MonotonicMicros(),
                       "\nSTATUS=reloading the configuration"));
  api::ReloadOutcome outcome = TryReload();
  // Whatever the file says: logrotate's SIGHUP must reach the records.
  ReopenCallRecords();
  ReloadTlsCertificate(trigger);
  switch (outcome.result) {
    case Result::kOk:
      ++reloads_.ok;
      reloads_.last_success = absl::Now();
      LogInfo("tuttid", "configuration reloaded")
          .With("trigger", trigger)
          .With("changed",
                outcome.changed.empty() ? "nothing" : absl::StrJoin(outcome.changed, ","))
          .With("calls_ended", outcome.calls_ended);
      break;
    case Result::kInvalid:
      ++reloads_.invalid;
      break;
    case Result::kNeedsRestart:
      ++reloads_.needs_restart;
      break;
  }
  if (outcome.result != Result::kOk) {
    LogError("tuttid", "configuration not reloaded: nothing changed")
        .With("trigger", trigger)
        .With("result", api::ReloadResultName(outcome.result))
        .With("error", outcome.message);
  }
  NotifyService("READY=1\nSTATUS=serving");
  return outcome;
}

api::ReloadOutcome Daemon::TryReload() {
  if (stopping_) return Refused(Result::kInvalid, "tuttid is stopping");
  absl::StatusOr<Config> next = ReadConfigAgain();
  if (!next.ok()) return Refused(Result::kInvalid, std::string(next.status().message()));
  ConfigChange change = CompareConfigs(config_, *next);
  if (!change.needs_restart.empty()) {
    std::vector<std::string> lines;
    for (const std::string& key : change.needs_restart) lines.push_back(key + ": needs a restart");
    api::ReloadOutcome outcome = Refused(Result::kNeedsRestart, absl::StrJoin(lines, "; "));
    outcome.needs_restart = std::move(change.needs_restart);
    return outcome;
  }
  absl::StatusOr<ReloadPlan> plan = PrepareReload(*next);
  if (!plan.ok()) return Refused(Result::kInvalid, std::string(plan.status().message()));
  // First of the live steps, as the one that may still refuse.
  if (TrunksChanged(config_, *next)) {
    if (absl::Status s = ReloadTrunks(*next); !s.ok()) {
      const bool restart = absl::IsFailedPrecondition(s);
      api::ReloadOutcome outcome =
          Refused(restart ? Result::kNeedsRestart : Result::kInvalid, std::string(s.message()));
      if (restart) {
        std::copy_if(change.live.begin(), change.live.end(),
                     std::back_inserter(outcome.needs_restart), IsTrunkKey);
      }
      return outcome;
    }
  }
  api::ReloadOutcome outcome;
  outcome.changed = std::move(change.live);
  CommitReload(*next, *plan, &outcome);
  config_ = std::move(*next);
  return outcome;
}

absl::StatusOr<Config> Daemon::ReadConfigAgain() const {
  // No --config: the embedded default again, which cannot have changed.
  absl::StatusOr<Config> next = source_.path.empty()
                                    ? ParseConfig(DefaultConfigText(), "<embedded ops/tutti.toml>")
                                    : LoadConfigFile(source_.path);
  if (!next.ok()) return next.status();
  if (next->api.enabled) {
    if (absl::Status s = api::LoadApiToken(&next->api); !s.ok()) return s;
  }
  return next;
}

absl::StatusOr<Daemon::ReloadPlan> Daemon::PrepareReload(const Config& next) const {
  ReloadPlan plan;
  if (next.sip.allow != config_.sip.allow || next.sip.deny != config_.sip.deny) {
    absl::StatusOr<sip::SourceFilter> filter =
        sip::SourceFilter::Make(next.sip.allow, next.sip.deny);
    if (!filter.ok()) return filter.status();
    plan.filter = std::move(*filter);
  }
  plan.digest_changed = DigestChanged(config_, next);
  absl::StatusOr<std::vector<RoomConfig>> before =
      stored_rooms_->Configured(config_.rooms, config_.ivr.number);
  if (!before.ok()) return before.status();
  absl::StatusOr<std::vector<RoomConfig>> after =
      stored_rooms_->Configured(next.rooms, next.ivr.number);
  if (!after.ok()) return after.status();
  plan.rooms_before = std::move(*before);
  plan.rooms_after = std::move(*after);
  // The IVR's new number may not name a room that stays (one made through
  // the API: the file's rooms were checked against it).
  const std::string& ivr = next.ivr.number;
  if (ivr != config_.ivr.number && !ivr.empty() && rooms_.Find(ivr) != nullptr &&
      (FindRoom(plan.rooms_before, ivr) == nullptr || FindRoom(plan.rooms_after, ivr) != nullptr)) {
    return absl::InvalidArgumentError(
        StrCat("[ivr] number \"", ivr, "\" is the name of a room made through the API"));
  }
  if (next.records.path != config_.records.path) {
    plan.records_changed = true;
    if (!next.records.path.empty()) {
      absl::StatusOr<std::unique_ptr<CallRecordWriter>> opened =
          CallRecordWriter::Open(next.records.path);
      if (!opened.ok())
        return absl::InvalidArgumentError(StrCat("[records] path: ", opened.status().message()));
      plan.records = std::move(*opened);
    }
  }
  return plan;
}

void Daemon::CommitReload(const Config& next, ReloadPlan& plan, api::ReloadOutcome* outcome) {
  overload_->SetLimits(OverloadLimitsFrom(next), loop_.Now());
  if (media_) media_->SetAdmissionLimits(AdmissionLimitsFrom(next));
  transactions_->set_limits({static_cast<size_t>(next.limits.max_transactions),
                             static_cast<size_t>(next.limits.max_transaction_bytes),
                             next.limits.retry_after_s});
  endpoint_->set_retry_after_s(next.limits.retry_after_s);
  transports_.SetTcpLimits(TransportOptionsFrom(next).tcp_limits);
  if (plan.filter) {
    // Replaced in place: the endpoint and the transports point at it.
    *source_filter_ = std::move(*plan.filter);
    const sip::SourceFilter* filter = source_filter_->empty() ? nullptr : &*source_filter_;
    endpoint_->set_source_filter(filter);
    transports_.set_source_filter(filter);
  }
  if (plan.digest_changed) ReloadDigestUsers(next);
  controller_->Reconfigure(ControllerOptionsFor(next));
  ReloadRooms(plan.rooms_before, plan.rooms_after, outcome);
  stored_rooms_->set_file_rooms(next.rooms);
  if (control_api_) control_api_->set_ivr_number(next.ivr.number);
  LogLevel level = LogLevel::kInfo;
  if (!ParseLogLevel(source_.log_level_flag, &level)) ParseLogLevel(next.log.level, &level);
  SetLogLevel(level);
  if (plan.records_changed) {
    controller_->set_call_records(plan.records.get());
    records_ = std::move(plan.records);
  }
}

void Daemon::ReloadDigestUsers(const Config& next) {
  if (next.users.empty()) {
    // Nobody left to authenticate: no challenge (the config check refuses
    // auth = "all" without users). The controller lets go of it first.
    controller_->set_digest_auth(nullptr, false);
    digest_.reset();
    return;
  }
  if (digest_ == nullptr) {
    digest_ = std::make_unique<sip::DigestAuthenticator>(DigestOptionsFrom(next));
  } else {
    // The same secret: nonces issued before the reload stay valid.
    digest_->Reconfigure(DigestOptionsFrom(next));
  }
  controller_->set_digest_auth(digest_.get(), next.sip.auth == "all");
}

void Daemon::ReloadRooms(const std::vector<RoomConfig>& before,
                         const std::vector<RoomConfig>& after, api::ReloadOutcome* outcome) {
  for (const RoomConfig& room : after) {
    const RoomConfig* was = FindRoom(before, room.name);
    if (was == nullptr) {
      if (rooms_.Add(room)) {
        outcome->rooms_added.push_back(room.name);
      } else {
        LogWarn("tuttid",
                "room added to the config file: a room made through the API has its "
                "name, and stays")
            .With("room", room.name);
      }
      continue;
    }
    const RoomConfig* running = rooms_.Find(room.name);
    // Unchanged, or deleted through the API (and so it stays).
    if (ChangedRoomFields(*was, room).empty() || running == nullptr) continue;
    RoomConfig changed = *running;
    const mixer::VideoMode mode_before = controller_->VideoModeOf(changed);
    ApplyRoomChanges(*was, room, &changed);
    rooms_.Update(changed);  // its conference on the workers hears of it
    if (controller_->VideoModeOf(changed) != mode_before) {
      controller_->VideoModeChanged(room.name, "reload");
    }
    outcome->rooms_updated.push_back(room.name);
  }
  for (const RoomConfig& room : before) {
    if (FindRoom(after, room.name) != nullptr || rooms_.Find(room.name) == nullptr) continue;
    // As DELETE /v1/rooms/<room> ends them; its shared files are kept.
    outcome->calls_ended += static_cast<int>(controller_->Participants(room.name).size());
    controller_->EndRoom(room.name);
    rooms_.Remove(room.name);
    outcome->rooms_removed.push_back(room.name);
    LogInfo("tuttid", "room removed from the config file: its calls ended").With("room", room.name);
  }
}

void Daemon::ReopenCallRecords() {
  if (records_ == nullptr) return;
  if (absl::Status s = records_->Reopen(); !s.ok()) {
    LogError("tuttid", "call records: cannot reopen the file; writing on to the one open")
        .With("path", records_->path())
        .With("error", s.ToString());
  }
}

void Daemon::ReloadTlsCertificate(std::string_view trigger) {
  // Renewed certificates (e.g. by an ACME client) without a restart.
  if (!config_.sip.tls) return;
  if (absl::Status s = transports_.ReloadTls(); !s.ok()) {
    LogError("tuttid", StrCat(trigger, ": TLS certificate not reloaded, the old one stays"))
        .With("error", s.ToString());
  } else {
    LogInfo("tuttid", StrCat(trigger, ": TLS certificate reloaded"))
        .With("subject", transports_.tls_context()->certificate_summary());
  }
}

CallControllerOptions Daemon::ControllerOptionsFor(const Config& config) const {
  CallControllerOptions options = CallControllerOptionsFrom(config);
  if (!ports_->Supports(media::IpFamily::kIpv6)) options.media.ipv6.clear();
  options.user_agent = StrCat("tutti/", TUTTI_VERSION);
  if (dtls_ != nullptr) {
    options.dtls_context = dtls_.get();
    options.dtls_fingerprint = SdpFingerprint(*dtls_);
  }
  return options;
}

void Daemon::RenderReloadMetrics(api::MetricsText& out) const {
  out.Family("tutti_config_reloads_total", "counter",
             "Configuration reloads (SIGHUP, POST /v1/reload) by result: ok, invalid (the file "
             "did not load or a part refused it), needs_restart; nothing changed but on ok.");
  out.Sample("tutti_config_reloads_total", static_cast<double>(reloads_.ok), {{"result", "ok"}});
  out.Sample("tutti_config_reloads_total", static_cast<double>(reloads_.invalid),
             {{"result", "invalid"}});
  out.Sample("tutti_config_reloads_total", static_cast<double>(reloads_.needs_restart),
             {{"result", "needs_restart"}});
  out.Family("tutti_config_last_reload_success_timestamp_seconds", "gauge",
             "When the running configuration was last loaded whole (the start, or a reload).");
  out.Sample("tutti_config_last_reload_success_timestamp_seconds",
             static_cast<double>(absl::ToUnixSeconds(reloads_.last_success)));
}

}  // namespace tutti
