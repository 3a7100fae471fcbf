#include "server/daemon.h"

#include <signal.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "common/log.h"
#include "common/strings.h"
#include "server/api/api_token.h"
#include "server/api/messaging_metrics.h"
#include "server/api/metrics.h"
#include "server/api/transport_metrics.h"
#include "server/api/trunk_metrics.h"
#include "server/component_options.h"
#include "server/service_notify.h"
#include "signaling/call/media_security.h"

namespace tutti {

Daemon::Daemon(Config config, ConfigSource source, int signal_fd, absl::Duration shutdown_timeout)
    : source_(std::move(source)),
      config_(std::move(config)),
      signal_fd_(signal_fd),
      shutdown_timeout_(shutdown_timeout),
      rooms_(config_.rooms),
      transports_(&loop_, [this](sip::ReceivedBytes received) {
        endpoint_->OnReceived(std::move(received));
      }) {
  reloads_.last_success = absl::Now();
}

bool Daemon::Start() {
  if (!RestoreRooms() || !StartPacketPlane()) return false;
  StartMedia();
  if (!StartCallControl() || !StartMessaging() || !SetUpTrunks() || !SetUpSipAccess() ||
      !StartTransports()) {
    return false;
  }
  // Registrations and keepalives go out once a transport can carry them.
  if (trunk_links_) trunk_links_->Start();
  WatchSignals();
  return StartControlApi();
}

void Daemon::Run() {
  LogStarted();
  // systemd (Type=notify): every part serves now.
  NotifyService("READY=1\nSTATUS=serving");
  loop_.Run();
  if (control_api_) control_api_->Stop();
  LogStopped();
  loop_.RemoveFd(signal_fd_);
  close(signal_fd_);
  // The calls' BYEs are done: no stream is left to serve. The service's
  // thread stops before the controller its events go to.
  if (msrp_) msrp_->Stop();
  controller_.reset();
  media_->Stop();
}

bool Daemon::RestoreRooms() {
  std::unique_ptr<RoomStore> store;
  if (!config_.store.path.empty()) {
    absl::StatusOr<std::unique_ptr<RoomStore>> opened = RoomStore::Open(config_.store.path);
    if (!opened.ok()) {
      LogError("tuttid", "cannot use the room database")
          .With("error", std::string(opened.status().message()));
      return false;
    }
    store = std::move(*opened);
  } else if (config_.api.enabled) {
    LogWarn("tuttid",
            "rooms made or changed through the API are not stored: [store] path is empty, so "
            "they are lost when tuttid stops");
  }
  stored_rooms_.emplace(std::move(store), config_.rooms);
  if (absl::Status s = stored_rooms_->Restore(&rooms_, config_.ivr.number); !s.ok()) {
    LogError("tuttid", "cannot read the room database").With("error", std::string(s.message()));
    return false;
  }
  return true;
}

bool Daemon::StartPacketPlane() {
  absl::StatusOr<std::unique_ptr<PacketPlane>> started = PacketPlane::Start(config_);
  if (!started.ok()) {
    LogError("tuttid", "cannot start the packet plane")
        .With("backend", config_.media.backend)
        .With("error", started.status().ToString());
    return false;
  }
  packet_plane_ = std::move(*started);
  const media::PortAllocator::Mode mode = packet_plane_->port_mode();
  // IPv6 media: the kernel backend's, where its address can be bound.
  std::string address6 =
      mode == media::PortAllocator::Mode::kKernelSockets ? config_.media.address6 : "";
  if (address6.empty() && !config_.media.address6.empty()) {
    LogWarn("tuttid", "IPv6 media off: the DPDK backend is IPv4-only; IPv6 callers get 488")
        .With("address6", config_.media.address6);
  }
  ports_.emplace(config_.media.address, config_.media.rtp_port_min, config_.media.rtp_port_max,
                 mode, address6);
  if (!address6.empty()) {
    if (absl::Status bindable = ports_->CheckAddress(media::IpFamily::kIpv6); !bindable.ok()) {
      LogWarn("tuttid", "IPv6 media off: its address cannot be bound; IPv6 callers get 488")
          .With("address6", address6)
          .With("error", bindable.ToString());
      ports_.emplace(config_.media.address, config_.media.rtp_port_min, config_.media.rtp_port_max,
                     mode);
    }
  }
  return true;
}

void Daemon::StartMedia() {
  if (absl::StatusOr<std::shared_ptr<const media::PromptLibrary>> loaded =
          media::PromptLibrary::Load(config_.prompts.dir);
      loaded.ok()) {
    prompts_ = *loaded;
  } else {
    LogWarn("tuttid", "no prompts loaded").With("error", loaded.status().ToString());
  }
  // DTLS-SRTP: one self-signed certificate for the process, made now in
  // memory (its fingerprint goes in our SDP answers). Without it, DTLS-SRTP
  // offers get 488.
  if (absl::StatusOr<std::unique_ptr<media::DtlsContext>> made = media::DtlsContext::Create(
          {.handshake_timeout_us = int64_t{config_.media.dtls_handshake_timeout_s} * 1'000'000});
      made.ok()) {
    dtls_ = std::move(*made);
  } else {
    LogError("tuttid", "no DTLS-SRTP certificate").With("error", made.status().ToString());
  }
  mixer::WorkerPoolOptions options = WorkerPoolOptionsFrom(config_);
  options.make_io = packet_plane_->io_factory();
  media_.emplace(options);
  media_->Start();
}

bool Daemon::StartCallControl() {
  overload_.emplace(OverloadLimitsFrom(config_));
  const CallControllerOptions options = ControllerOptionsFor(config_);
  if (!config_.records.path.empty()) {
    absl::StatusOr<std::unique_ptr<CallRecordWriter>> opened =
        CallRecordWriter::Open(config_.records.path);
    if (!opened.ok()) {
      LogError("tuttid", "cannot open the call record file")
          .With("error", opened.status().ToString());
      return false;
    }
    records_ = std::move(*opened);
  }
  // The layer and the controller point at each other: the layer first, the
  // controller attached before any message can flow.
  transactions_.emplace(&loop_, &transports_, /*user=*/nullptr);
  transactions_->set_limits({static_cast<size_t>(config_.limits.max_transactions),
                             static_cast<size_t>(config_.limits.max_transaction_bytes),
                             config_.limits.retry_after_s});
  controller_ = std::make_unique<CallController>(&loop_, &*transactions_, &rooms_, &*ports_,
                                                 &*overload_, &*media_, options);
  transactions_->set_user(controller_.get());
  endpoint_.emplace(&*transactions_, &transports_, config_.limits.retry_after_s,
                    [this](const sip::SipMessage& request, const sip::MessageSource& source) {
                      return controller_->Admit(request, source);
                    });
  return true;
}

bool Daemon::StartMessaging() {
  if (!config_.messaging.enabled) return true;
  files_ = std::make_unique<msrp::FileStore>(FileStoreOptionsFrom(config_));
  if (absl::Status s = files_->Open(); !s.ok()) {
    LogError("tuttid", "cannot use the files folder")
        .With("dir", config_.files.dir)
        .With("error", s.ToString());
    return false;
  }
  // Called on the MSRP thread: each event goes to the control thread, where
  // the controller (still there: Run() stops this thread before it goes)
  // takes it.
  msrp_ = std::make_unique<msrp::MsrpService>(
      MsrpOptionsFrom(config_), files_.get(), [this](msrp::MsrpEvent event) {
        loop_.Post([this, event = std::move(event)]() mutable {
          if (controller_) controller_->OnMsrpEvent(std::move(event));
        });
      });
  if (absl::Status s = msrp_->Start(); !s.ok()) {
    LogError("tuttid", "cannot start MSRP (chat and files)")
        .With("listen", sip::JoinHostPort(config_.msrp.listen, config_.msrp.port))
        .With("error", s.ToString())
        .With("fix", "give [msrp] port a free port, or set [messaging] enabled = false");
    return false;
  }
  controller_->set_msrp(msrp_.get(), files_.get());
  return true;
}

// Who may call (issue 13): IP lists for every SIP transport, before any
// parsing; digest authentication of INVITEs.
bool Daemon::SetUpSipAccess() {
  absl::StatusOr<sip::SourceFilter> filter =
      sip::SourceFilter::Make(config_.sip.allow, config_.sip.deny);
  if (!filter.ok()) {  // the config check already refused it
    LogError("tuttid", "bad sip.allow or sip.deny").With("error", filter.status().ToString());
    return false;
  }
  source_filter_ = std::move(*filter);
  if (!source_filter_->empty()) endpoint_->set_source_filter(&*source_filter_);
  if (!config_.users.empty()) {
    digest_ = std::make_unique<sip::DigestAuthenticator>(DigestOptionsFrom(config_));
    controller_->set_digest_auth(digest_.get(), config_.sip.auth == "all");
  }
  LogInfo("tuttid", "sip access")
      .With("auth", config_.sip.auth)
      .With("users", static_cast<int>(config_.users.size()))
      .With("allow", static_cast<int>(config_.sip.allow.size()))
      .With("deny", static_cast<int>(config_.sip.deny.size()));
  return true;
}

bool Daemon::StartTransports() {
  if (absl::Status s = transports_.Start(TransportOptionsFrom(config_)); !s.ok()) {
    LogError("tuttid", "cannot start SIP transports").With("error", s.ToString());
    return false;
  }
  if (!source_filter_->empty()) transports_.set_source_filter(&*source_filter_);
  if (const sip::TlsContext* tls = transports_.tls_context()) {
    LogInfo("tuttid", "TLS certificate loaded")
        .With("certificate", tls->options().certificate)
        .With("subject", tls->certificate_summary())
        .With("client_certificates", config_.sip.tls_verify_client ? "required" : "not asked");
  }
  return true;
}

void Daemon::WatchSignals() {
  (void)loop_.AddFd(signal_fd_, EPOLLIN, [this](uint32_t) {
    signalfd_siginfo info;
    while (read(signal_fd_, &info, sizeof(info)) == sizeof(info)) {
      if (!OnSignal(info)) return;
    }
  });
}

bool Daemon::OnSignal(const signalfd_siginfo& info) {
  if (info.ssi_signo == SIGHUP) {
    OnHangup();
    return true;
  }
  if (stopping_) {
    LogWarn("tuttid", "second signal: exiting now");
    loop_.Stop();
    return false;
  }
  stopping_ = true;
  NotifyService("STOPPING=1");
  LogInfo("tuttid", "shutting down").With("signal", strsignal(static_cast<int>(info.ssi_signo)));
  Shutdown();
  loop_.AddTimer(shutdown_timeout_, [this] {
    LogWarn("tuttid", "shutdown timeout: exiting with BYEs unanswered");
    loop_.Stop();
  });
  return true;
}

void Daemon::Shutdown() {
  auto pending = std::make_shared<int>(trunk_links_ ? 2 : 1);
  auto one_done = [this, pending] {
    if (--*pending == 0) loop_.Stop();
  };
  controller_->Shutdown(one_done);
  // REGISTER with Expires: 0, so the carrier stops sending calls here.
  if (trunk_links_) trunk_links_->Stop(one_done);
}

bool Daemon::StartControlApi() {
  controller_->set_event_hub(&events_);
  controller_->set_call_records(records_.get());
  controller_->set_prompts(prompts_);
  if (!config_.api.enabled) return true;
  // Loud, and never with the token itself (api_token.h refused worse).
  for (const std::string& warning : api::JudgeApiToken(config_.api).warnings) {
    LogWarn("api", "weak API token").With("why", warning);
  }
  std::error_code made;
  std::filesystem::create_directories(config_.recording.dir, made);
  control_api_ = std::make_unique<api::ControlApi>(
      &loop_, ControlApiOptionsFrom(config_), &rooms_, &*stored_rooms_, controller_.get(), &events_,
      [this] { return Metrics(); }, prompts_, files_.get());
  control_api_->set_trunks(TrunksForApi());
  control_api_->set_reload([this] { return Reload("POST /v1/reload"); });
  control_api_->set_workers(&*media_);
  if (absl::Status s = control_api_->Start(); !s.ok()) {
    LogError("tuttid", "cannot start the control API").With("error", s.ToString());
    return false;
  }
  return true;
}

std::string Daemon::Metrics() const {
  std::string text =
      api::RenderMetrics(*controller_, *endpoint_, *transactions_, *media_, rooms_, events_);
  api::MetricsText more;
  api::RenderTransportMetrics(transports_, more);
  packet_plane_->RenderMetrics(more);
  api::RenderMessagingMetrics(*controller_, msrp_ ? &msrp_->stats() : nullptr, more);
  api::RenderTrunkMetrics(TrunksForApi(), controller_->inbound_trunk_counters(),
                          controller_->dial_out_counters(), more);
  RenderReloadMetrics(more);
  return text + more.text();
}

void Daemon::LogStarted() const {
  const SipConfig& sip = config_.sip;
  // "127.0.0.1:5060,[::1]:5060": IPv6 in brackets, as a port follows.
  auto on_each = [&sip](uint16_t port) {
    std::string text;
    for (const std::string& address : sip.listen_addresses) {
      StrAppend(&text, text.empty() ? "" : ",", sip::JoinHostPort(address, port));
    }
    return text;
  };
  LogInfo("tuttid", "started")
      .With("version", TUTTI_VERSION)
      .With("sip", on_each(transports_.port()))
      .With("transports",
            StrCat(sip.udp ? "udp" : "", sip.udp && sip.tcp ? "," : "", sip.tcp ? "tcp" : "",
                   sip.tls ? (sip.udp || sip.tcp ? ",tls" : "tls") : ""))
      .With("tls", transports_.tls() ? on_each(transports_.tls_port()) : std::string("off"))
      .With("media_backend", config_.media.backend)
      .With("media_workers", config_.media.workers)
      .With("prompts", prompts_ ? static_cast<int64_t>(prompts_->size()) : 0)
      .With("rtp_ports", StrCat(config_.media.rtp_port_min, "-", config_.media.rtp_port_max))
      .With("rooms", static_cast<int64_t>(rooms_.size()))
      .With("room_store", config_.store.path.empty() ? "none" : config_.store.path)
      .With("msrp", msrp_ ? sip::JoinHostPort(config_.msrp.listen, msrp_->port()) : "off")
      .With("files", files_ ? config_.files.dir : "off")
      .With("trunks", trunks_ ? static_cast<int64_t>(trunks_->trunks().size()) : 0)
      .With("api", control_api_ ? sip::JoinHostPort(config_.api.listen, control_api_->port())
                                : std::string("off"));
}

void Daemon::LogStopped() const {
  const sip::EndpointCounters& counters = endpoint_->counters();
  LogInfo("tuttid", "stopped")
      .With("calls_answered", controller_->calls_answered())
      .With("requests", counters.requests)
      .With("malformed", counters.malformed_answered + counters.malformed_dropped)
      .With("overload_rejected", counters.overload_rejected);
}

}  // namespace tutti
