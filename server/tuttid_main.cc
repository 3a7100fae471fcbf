// tuttid: the tutti conference bridge daemon. Wires the control plane
// together (DESIGN.md "Threads"): one event loop over the SIP transports and
// timers, the transaction layer, and the call controller that owns the calls.

#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "common/event_loop.h"
#include "common/log.h"
#include "common/strings.h"
#include "mediaplane/dtls_context.h"
#include "mediaplane/port_allocator.h"
#include "server/api/api_token.h"
#include "server/api/control_api.h"
#include "server/api/metrics.h"
#include "server/api/transport_metrics.h"
#include "server/config/config.h"
#include "server/default_config.h"
#include "server/descriptor_budget.h"
#include "server/packet_plane.h"
#include "signaling/call/call_controller.h"
#include "signaling/call/media_security.h"
#include "signaling/call/overload_guard.h"
#include "signaling/call/room_directory.h"
#include "signaling/sip/sip_endpoint.h"
#include "signaling/sip/sip_transports.h"
#include "signaling/sip/transaction_layer.h"

ABSL_FLAG(std::string, config, "",
          "Path of the TOML configuration file. Empty: the embedded default (ops/tutti.toml: SIP "
          "on 127.0.0.1:5060 UDP+TCP, kernel-socket media, open room 1000).");
ABSL_FLAG(bool, check_config, false, "Load and check the configuration, print the verdict, exit.");
ABSL_FLAG(bool, print_default_config, false, "Print the embedded default configuration and exit.");
ABSL_FLAG(std::string, log_level, "", "Override log.level: debug, info, warn or error.");
ABSL_FLAG(int, shutdown_timeout_s, 10,
          "On SIGTERM/SIGINT, how long to wait for BYEs to be answered before exiting.");

namespace {

constexpr char kUsage[] =
    "tuttid: SIP conference bridge and media server.\n\n"
    "Usage: tuttid [--config=FILE] [--log_level=LEVEL]\n\n"
    "Answers SIP calls to sip:<room>@<host> and joins them to the room. Runs in the\n"
    "foreground and logs one structured line per event to stderr. SIGTERM or SIGINT\n"
    "stops taking calls, ends every call with BYE and exits 0; a second signal exits\n"
    "at once. The configuration file is documented in ops/tutti.toml.";

// Blocks SIGTERM/SIGINT (shut down) and SIGHUP (reload the TLS certificate)
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

int Run(const tutti::Config& config) {
  const uint64_t open_file_limit = RaiseOpenFileLimit();
  using namespace tutti;
  LogLevel level = LogLevel::kInfo;
  ParseLogLevel(config.log.level, &level);
  if (!absl::GetFlag(FLAGS_log_level).empty() &&
      !ParseLogLevel(absl::GetFlag(FLAGS_log_level), &level)) {
    std::cerr << "tuttid: --log_level must be debug, info, warn or error\n";
    return 2;
  }
  SetLogLevel(level);
  SetLogFormat(config.log.format == "json" ? LogFormat::kJson : LogFormat::kLogfmt);
  if (!CheckDescriptorBudget(config, open_file_limit)) return 1;

  // Before any thread starts: threads inherit the blocked mask, so SIGTERM
  // reaches only the signalfd and never kills a media worker.
  const int signal_fd = ShutdownSignalFd();
  EventLoop loop;
  // Before the workers, which use it, and so destroyed after them.
  absl::StatusOr<std::unique_ptr<PacketPlane>> packet_plane = PacketPlane::Start(config);
  if (!packet_plane.ok()) {
    LogError("tuttid", "cannot start the packet plane")
        .With("backend", config.media.backend)
        .With("error", packet_plane.status().ToString());
    return 1;
  }
  media::PortAllocator ports(config.media.address, config.media.rtp_port_min,
                             config.media.rtp_port_max, (*packet_plane)->port_mode());
  RoomDirectory rooms(config.rooms);
  mixer::WorkerPoolOptions media_options;
  media_options.workers = config.media.workers;
  media_options.cores = config.media.cores;
  media_options.conference.max_talkers = config.media.max_talkers;
  media_options.conference.share_encoders = config.media.share_encoding;
  media_options.rtp_timeout_us = int64_t{config.media.rtp_timeout_s} * 1'000'000;
  media_options.unverified_send_us = int64_t{config.media.unverified_send_s} * 1'000'000;
  media_options.consent_timeout_us = int64_t{config.media.consent_timeout_s} * 1'000'000;
  media_options.make_io = (*packet_plane)->io_factory();
  // Loaded before the workers start and kept until they stop: they play
  // from it without copying.
  std::shared_ptr<const media::PromptLibrary> prompts;
  if (absl::StatusOr<std::shared_ptr<const media::PromptLibrary>> loaded =
          media::PromptLibrary::Load(config.prompts.dir);
      loaded.ok()) {
    prompts = *loaded;
  } else {
    LogWarn("tuttid", "no prompts loaded").With("error", loaded.status().ToString());
  }
  // DTLS-SRTP: one self-signed certificate for the process, made now in
  // memory (its fingerprint goes in our SDP answers). Declared before the
  // workers, whose legs use it until they stop. Without it, DTLS-SRTP
  // offers get 488.
  std::unique_ptr<media::DtlsContext> dtls;
  if (absl::StatusOr<std::unique_ptr<media::DtlsContext>> made = media::DtlsContext::Create(
          {.handshake_timeout_us = int64_t{config.media.dtls_handshake_timeout_s} * 1'000'000});
      made.ok()) {
    dtls = std::move(*made);
  } else {
    LogError("tuttid", "no DTLS-SRTP certificate").With("error", made.status().ToString());
  }
  mixer::WorkerPool media(media_options);
  media.Start();
  OverloadLimits overload_limits;
  overload_limits.requests_per_second = config.limits.max_requests_per_second;
  overload_limits.burst_requests = config.limits.burst_requests;
  overload_limits.max_calls = config.limits.max_calls;
  overload_limits.max_calls_per_source = config.limits.max_calls_per_source;
  overload_limits.requests_per_source_per_second = config.limits.max_requests_per_source_per_second;
  overload_limits.burst_requests_per_source = config.limits.burst_requests_per_source;
  overload_limits.dialog_requests_per_second = config.limits.max_dialog_requests_per_second;
  overload_limits.burst_dialog_requests = config.limits.burst_dialog_requests;
  overload_limits.dialog_requests_per_source_per_second =
      config.limits.max_dialog_requests_per_source_per_second;
  overload_limits.burst_dialog_requests_per_source = config.limits.burst_dialog_requests_per_source;
  overload_limits.unlimited_sources = *SourceSet::Parse(config.limits.unlimited_sources);
  overload_limits.max_tracked_sources = config.limits.max_tracked_sources;
  OverloadGuard overload(std::move(overload_limits));

  sip::SipEndpoint* endpoint_ptr = nullptr;
  sip::SipTransports transports(&loop, [&endpoint_ptr](sip::ReceivedBytes received) {
    endpoint_ptr->OnReceived(std::move(received));
  });

  CallControllerOptions options;
  options.local =
      sip::LocalEndpoint{config.sip.advertised_address, config.sip.port, config.sip.tls_port};
  options.media_address = config.media.address;
  options.answer_delay = absl::Milliseconds(config.sip.answer_delay_ms);
  options.participant_controls = config.controls.participant;
  options.moderator_controls = config.controls.moderator;
  options.ivr_number = config.ivr.number;
  options.dial_in.max_attempts = config.ivr.max_attempts;
  options.digit_timeout = absl::Seconds(config.ivr.digit_timeout_s);
  options.pin_guard.max_failures_per_source = config.ivr.max_pin_failures_per_source;
  options.pin_guard.max_failures_per_room = config.ivr.max_pin_failures_per_room;
  options.pin_guard.window = absl::Seconds(config.ivr.pin_window_s);
  options.pin_guard.lockout = absl::Seconds(config.ivr.pin_lockout_s);
  options.pin_guard.room_delay_step = absl::Milliseconds(config.ivr.pin_room_delay_ms);
  options.pin_guard.room_max_delay = absl::Seconds(config.ivr.pin_room_max_delay_s);
  options.recording_dir = config.recording.dir;
  options.recording_format = config.recording.format == "wav" ? mixer::RecordingFormat::kWav
                                                              : mixer::RecordingFormat::kOggOpus;
  options.session_timers.min_se_s = config.sip.session_min_se_s;
  options.session_timers.default_se_s = config.sip.session_expires_s;
  options.retry_after_s = config.limits.retry_after_s;
  options.user_agent = StrCat("tutti/", TUTTI_VERSION);
  options.srtp_default = config.media.srtp;
  options.sdes_over_plain_sip = config.media.sdes_over_plain_sip;
  if (dtls != nullptr) {
    options.dtls_context = dtls.get();
    options.dtls_fingerprint = SdpFingerprint(*dtls);
  }

  // Declared before the controller, which writes its last records as it goes.
  std::unique_ptr<CallRecordWriter> records;
  if (!config.records.path.empty()) {
    absl::StatusOr<std::unique_ptr<CallRecordWriter>> opened =
        CallRecordWriter::Open(config.records.path);
    if (!opened.ok()) {
      LogError("tuttid", "cannot open the call record file")
          .With("error", opened.status().ToString());
      return 1;
    }
    records = std::move(*opened);
  }

  // The layer and the controller point at each other: the layer first, the
  // controller attached before any message can flow.
  sip::TransactionLayer transactions(&loop, &transports, /*user=*/nullptr);
  transactions.set_limits({static_cast<size_t>(config.limits.max_transactions),
                           static_cast<size_t>(config.limits.max_transaction_bytes),
                           config.limits.retry_after_s});
  auto controller = std::make_unique<CallController>(&loop, &transactions, &rooms, &ports,
                                                     &overload, &media, options);
  transactions.set_user(controller.get());

  sip::SipEndpoint endpoint(
      &transactions, &transports, config.limits.retry_after_s,
      [&controller](const sip::SipMessage& request, const sip::MessageSource& source) {
        return controller->Admit(request, source);
      });
  endpoint_ptr = &endpoint;

  // Who may call (issue 13): IP lists for every SIP transport, before any
  // parsing; digest authentication of INVITEs.
  absl::StatusOr<sip::SourceFilter> source_filter =
      sip::SourceFilter::Make(config.sip.allow, config.sip.deny);
  if (!source_filter.ok()) {  // the config check already refused it
    LogError("tuttid", "bad sip.allow or sip.deny")
        .With("error", source_filter.status().ToString());
    return 1;
  }
  if (!source_filter->empty()) endpoint.set_source_filter(&*source_filter);
  std::unique_ptr<sip::DigestAuthenticator> digest;
  if (!config.users.empty()) {
    sip::DigestOptions digest_options;
    digest_options.realm = config.sip.realm;
    digest_options.algorithms.clear();
    for (const std::string& name : config.sip.auth_algorithms) {
      digest_options.algorithms.push_back(*sip::ParseDigestAlgorithm(name));
    }
    digest_options.nonce_lifetime = absl::Seconds(config.sip.nonce_lifetime_s);
    for (const UserConfig& user : config.users) {
      digest_options.users.push_back({user.name, user.password, user.ha1, user.ha1_sha256});
    }
    digest = std::make_unique<sip::DigestAuthenticator>(std::move(digest_options));
    controller->set_digest_auth(digest.get(), config.sip.auth == "all");
  }
  LogInfo("tuttid", "sip access")
      .With("auth", config.sip.auth)
      .With("users", static_cast<int>(config.users.size()))
      .With("allow", static_cast<int>(config.sip.allow.size()))
      .With("deny", static_cast<int>(config.sip.deny.size()));

  sip::TransportOptions transport_options;
  transport_options.listen_address = config.sip.listen_address;
  transport_options.port = config.sip.port;
  transport_options.udp = config.sip.udp;
  transport_options.tcp = config.sip.tcp;
  transport_options.tcp_limits.max_message_bytes = config.sip.max_message_bytes;
  transport_options.tcp_limits.max_connections = config.sip.max_tcp_connections;
  transport_options.tcp_limits.max_connections_per_source =
      config.sip.max_tcp_connections_per_source;
  transport_options.tcp_limits.idle_timeout = absl::Seconds(config.sip.tcp_idle_timeout_s);
  transport_options.tcp_limits.message_timeout = absl::Seconds(config.sip.tcp_message_timeout_s);
  transport_options.tcp_limits.handshake_timeout =
      absl::Seconds(config.sip.tls_handshake_timeout_s);
  transport_options.tls = config.sip.tls;
  transport_options.tls_port = config.sip.tls_port;
  transport_options.tls_options.certificate = config.sip.tls_certificate;
  transport_options.tls_options.private_key = config.sip.tls_private_key;
  transport_options.tls_options.ca_file = config.sip.tls_ca_file;
  transport_options.tls_options.verify_client = config.sip.tls_verify_client;
  transport_options.tls_options.min_version = config.sip.tls_min_version;
  transport_options.tls_options.ciphers = config.sip.tls_ciphers;
  if (absl::Status s = transports.Start(transport_options); !s.ok()) {
    LogError("tuttid", "cannot start SIP transports").With("error", s.ToString());
    return 1;
  }
  if (!source_filter->empty()) transports.set_source_filter(&*source_filter);

  if (const sip::TlsContext* tls = transports.tls_context()) {
    LogInfo("tuttid", "TLS certificate loaded")
        .With("certificate", tls->options().certificate)
        .With("subject", tls->certificate_summary())
        .With("client_certificates", config.sip.tls_verify_client ? "required" : "not asked");
  }

  bool stopping = false;
  (void)loop.AddFd(signal_fd, EPOLLIN, [&](uint32_t) {
    signalfd_siginfo info;
    while (read(signal_fd, &info, sizeof(info)) == sizeof(info)) {
      if (info.ssi_signo == SIGHUP) {
        // Renewed certificates (e.g. by an ACME client) without a restart.
        if (!config.sip.tls) {
          LogInfo("tuttid", "SIGHUP: nothing to reload (TLS is off)");
        } else if (absl::Status s = transports.ReloadTls(); !s.ok()) {
          LogError("tuttid", "SIGHUP: TLS certificate not reloaded, the old one stays")
              .With("error", s.ToString());
        } else {
          LogInfo("tuttid", "SIGHUP: TLS certificate reloaded")
              .With("subject", transports.tls_context()->certificate_summary());
        }
        continue;
      }
      if (stopping) {
        LogWarn("tuttid", "second signal: exiting now");
        loop.Stop();
        return;
      }
      stopping = true;
      LogInfo("tuttid", "shutting down")
          .With("signal", strsignal(static_cast<int>(info.ssi_signo)));
      controller->Shutdown([&loop] { loop.Stop(); });
      loop.AddTimer(absl::Seconds(absl::GetFlag(FLAGS_shutdown_timeout_s)), [&loop] {
        LogWarn("tuttid", "shutdown timeout: exiting with BYEs unanswered");
        loop.Stop();
      });
    }
  });

  EventHub events;
  controller->set_event_hub(&events);
  controller->set_call_records(records.get());
  controller->set_prompts(prompts);
  std::unique_ptr<api::ControlApi> control_api;
  if (config.api.enabled) {
    api::ControlApiOptions api_options{config.api.listen,       config.api.port,
                                       config.api.token,        config.recording.dir,
                                       config.recording.format, config.ivr.number};
    api_options.max_connections = config.api.max_connections;
    api_options.max_connections_per_client = config.api.max_connections_per_client;
    api_options.max_event_streams = config.api.max_event_streams;
    api_options.request_timeout_s = config.api.request_timeout_s;
    // Loud, and never with the token itself (api_token.h refused worse).
    for (const std::string& warning : api::JudgeApiToken(config.api).warnings) {
      LogWarn("api", "weak API token").With("why", warning);
    }
    std::error_code made;
    std::filesystem::create_directories(config.recording.dir, made);
    auto metrics = [&] {
      std::string text =
          api::RenderMetrics(*controller, endpoint, transactions, media, rooms, events);
      api::MetricsText packet_plane_metrics;
      api::RenderTransportMetrics(transports, packet_plane_metrics);
      (*packet_plane)->RenderMetrics(packet_plane_metrics);
      return text + packet_plane_metrics.text();
    };
    control_api = std::make_unique<api::ControlApi>(&loop, api_options, &rooms, controller.get(),
                                                    &events, metrics, prompts);
    if (absl::Status s = control_api->Start(); !s.ok()) {
      LogError("tuttid", "cannot start the control API").With("error", s.ToString());
      return 1;
    }
  }

  LogInfo("tuttid", "started")
      .With("version", TUTTI_VERSION)
      .With("sip", StrCat(config.sip.listen_address, ":", transports.port()))
      .With("transports",
            StrCat(config.sip.udp ? "udp" : "", config.sip.udp && config.sip.tcp ? "," : "",
                   config.sip.tcp ? "tcp" : "",
                   config.sip.tls ? (config.sip.udp || config.sip.tcp ? ",tls" : "tls") : ""))
      .With("tls", transports.tls() ? StrCat(config.sip.listen_address, ":", transports.tls_port())
                                    : std::string("off"))
      .With("media_backend", config.media.backend)
      .With("media_workers", config.media.workers)
      .With("prompts", prompts ? static_cast<int64_t>(prompts->size()) : 0)
      .With("rtp_ports", StrCat(config.media.rtp_port_min, "-", config.media.rtp_port_max))
      .With("rooms", static_cast<int64_t>(rooms.size()))
      .With("api",
            control_api ? StrCat(config.api.listen, ":", control_api->port()) : std::string("off"));
  loop.Run();
  if (control_api) control_api->Stop();

  LogInfo("tuttid", "stopped")
      .With("calls_answered", controller->calls_answered())
      .With("requests", endpoint.counters().requests)
      .With("malformed",
            endpoint.counters().malformed_answered + endpoint.counters().malformed_dropped)
      .With("overload_rejected", endpoint.counters().overload_rejected);
  loop.RemoveFd(signal_fd);
  close(signal_fd);
  controller.reset();
  media.Stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsage);
  absl::FlagsUsageConfig usage_config;
  usage_config.version_string = [] { return std::string("tuttid ") + TUTTI_VERSION + "\n"; };
  // --help shows this file's flags; --helpfull shows every library's too.
  usage_config.contains_help_flags = [](absl::string_view path) {
    return path.find("tuttid_main") != absl::string_view::npos;
  };
  absl::SetFlagsUsageConfig(usage_config);
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  if (positional.size() > 1) {
    std::cerr << "tuttid: unexpected argument " << positional[1] << " (see --help)\n";
    return 2;
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
  return Run(*config);
}
