// tuttid: the tutti conference bridge daemon. Wires the control plane
// together (DESIGN.md "Threads"): one event loop over the SIP transports and
// timers, the transaction layer, and the call controller that owns the calls.

#include <signal.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <optional>
#include <string>

#include "absl/flags/flag.h"
#include "common/command_line.h"
#include "common/log.h"
#include "server/api/api_token.h"
#include "server/config/config.h"
#include "server/daemon.h"
#include "server/default_config.h"
#include "server/descriptor_budget.h"
#include "server/tuttid_usage.h"

ABSL_FLAG(std::string, config, "",
          "Path of the TOML configuration file. Empty: the embedded default (ops/tutti.toml: SIP "
          "on 127.0.0.1:5060 UDP+TCP, kernel-socket media, open room 1000).");
ABSL_FLAG(bool, check_config, false, "Load and check the configuration, print the verdict, exit.");
ABSL_FLAG(bool, print_default_config, false, "Print the embedded default configuration and exit.");
ABSL_FLAG(std::string, log_level, "", "Override log.level: debug, info, warn or error.");
ABSL_FLAG(int, shutdown_timeout_s, 10,
          "On SIGTERM/SIGINT, how long to wait for BYEs to be answered before exiting.");

namespace {

// Blocks SIGTERM/SIGINT (shut down) and SIGHUP (reload the configuration)
// for the process and returns a signalfd for them, so the loop handles
// signals like any other event (no async-signal handler).
int ShutdownSignalFd() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  sigprocmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);
}

// Every call holds two media sockets: the soft limit of open files (often
// 1024) would cap the bridge near 500 calls. Raise it to the hard limit;
// returns the soft limit in force.
uint64_t RaiseOpenFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return limit.rlim_cur == RLIM_INFINITY ? UINT64_MAX : static_cast<uint64_t>(limit.rlim_cur);
}

// Says at start whether the connection limits and media ports fit in the
// open-file limit. Not fitting is a warning, not a refusal: a wide RTP range
// is rarely all in use, and out of descriptors tuttid refuses connections
// and calls cleanly and keeps serving the rest. Only a limit below what it
// needs with no call and no connection at all stops the start.
bool CheckDescriptorBudget(const tutti::Config& config, uint64_t soft_limit) {
  using namespace tutti;
  const DescriptorBudget budget = PlanDescriptors(config, soft_limit);
  if (budget.hopeless()) {
    LogError("tuttid", "open-file limit too low to run; raise it (ulimit -n, LimitNOFILE=)")
        .With("limit", static_cast<int64_t>(budget.limit))
        .With("needs_at_least", static_cast<int64_t>(budget.margin));
    return false;
  }
  if (!budget.fits()) {
    LogWarn("tuttid",
            "open-file limit below what the configuration may use; raise it (ulimit -n, "
            "LimitNOFILE=) or lower sip.max_tcp_connections or the RTP port range")
        .With("limit", static_cast<int64_t>(budget.limit))
        .With("needed", static_cast<int64_t>(budget.needed()))
        .With("connections", static_cast<int64_t>(budget.connections))
        .With("media_sockets", static_cast<int64_t>(budget.media_sockets))
        .With("margin", static_cast<int64_t>(budget.margin))
        .With("calls_that_fit", static_cast<int64_t>(budget.calls_that_fit()));
  } else {
    LogInfo("tuttid", "open-file limit fits the configuration")
        .With("limit",
              budget.limit == UINT64_MAX ? int64_t{-1} : static_cast<int64_t>(budget.limit))
        .With("needed", static_cast<int64_t>(budget.needed()));
  }
  return true;
}

// Sets the log level (--log_level over log.level) and format; false when
// the flag names no level.
bool SetUpLogging(const tutti::Config& config) {
  using namespace tutti;
  LogLevel level = LogLevel::kInfo;
  ParseLogLevel(config.log.level, &level);
  if (!absl::GetFlag(FLAGS_log_level).empty() &&
      !ParseLogLevel(absl::GetFlag(FLAGS_log_level), &level)) {
    std::cerr << "tuttid: --log_level must be debug, info, warn or error\n";
    return false;
  }
  SetLogLevel(level);
  SetLogFormat(config.log.format == "json" ? LogFormat::kJson : LogFormat::kLogfmt);
  return true;
}

int Run(const tutti::Config& config, const std::string& path) {
  const uint64_t open_file_limit = RaiseOpenFileLimit();
  if (!SetUpLogging(config)) return 2;
  if (!CheckDescriptorBudget(config, open_file_limit)) return 1;
  // Before any thread starts: threads inherit the blocked mask, so SIGTERM
  // reaches only the signalfd and never kills a media worker.
  const int signal_fd = ShutdownSignalFd();
  tutti::Daemon daemon(config, {path, absl::GetFlag(FLAGS_log_level)}, signal_fd,
                       absl::Seconds(absl::GetFlag(FLAGS_shutdown_timeout_s)));
  if (!daemon.Start()) return 1;
  daemon.Run();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Our own reading of the flags (common/command_line.h): --help and
  // --version print to stdout and exit 0, a wrong flag exits 2.
  tutti::SetAbslHelpUsage(
      "SIP conference bridge and media server; --help lists tuttid's own flags.");
  if (const std::optional<int> exit_status =
          tutti::AnswerCommandLine(tutti::ParseCommandLine(argc, argv), "tuttid", tutti::TuttidHelp,
                                   tutti::TuttidVersion, std::cout, std::cerr)) {
    return *exit_status;
  }

  if (absl::GetFlag(FLAGS_print_default_config)) {
    std::cout << tutti::DefaultConfigText();
    return 0;
  }
  const std::string path = absl::GetFlag(FLAGS_config);
  absl::StatusOr<tutti::Config> config =
      path.empty() ? tutti::ParseConfig(tutti::DefaultConfigText(), "<embedded ops/tutti.toml>")
                   : tutti::LoadConfigFile(path);
  if (!config.ok()) {
    std::cerr << "tuttid: " << config.status().message() << "\n";
    return 2;
  }
  // The API token: read from [api] token_file, refused beyond loopback when
  // weak (issue 13). Before --check_config's verdict, which it is part of.
  if (config->api.enabled) {
    absl::Status token = tutti::api::LoadApiToken(&config->api);
    const tutti::api::TokenVerdict verdict = tutti::api::JudgeApiToken(config->api);
    if (token.ok()) token = verdict.status;
    if (!token.ok()) {
      std::cerr << "tuttid: " << token.message() << "\n";
      return 2;
    }
    if (absl::GetFlag(FLAGS_check_config)) {
      for (const std::string& warning : verdict.warnings) {
        std::cerr << "tuttid: warning: " << warning << "\n";
      }
    }
  }
  if (absl::GetFlag(FLAGS_check_config)) {
    std::cout << "tuttid: configuration OK (" << config->rooms.size() << " rooms)\n";
    return 0;
  }
  return Run(*config, path);
}
