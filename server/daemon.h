// tuttid's parts, wired together and started in named steps (DESIGN.md
// "Threads"): the packet plane and media workers, call control over the
// transaction layer, who may call, the SIP transports, signals and the
// control API. Members are declared in the order they start, so each is
// destroyed before the parts it uses.
#pragma once

#include <sys/signalfd.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/event_hub.h"
#include "common/event_loop.h"
#include "mediaplane/dtls_context.h"
#include "mediaplane/port_allocator.h"
#include "mediaplane/prompt_library.h"
#include "mixer/worker_pool.h"
#include "server/api/control_api.h"
#include "server/api/metrics_text.h"
#include "server/config/config.h"
#include "server/packet_plane.h"
#include "server/stored_rooms.h"
#include "signaling/call/call_controller.h"
#include "signaling/call/call_record.h"
#include "signaling/call/overload_guard.h"
#include "signaling/call/room_directory.h"
#include "signaling/msrp/file_store.h"
#include "signaling/msrp/msrp_service.h"
#include "signaling/sip/digest_auth.h"
#include "signaling/sip/sip_endpoint.h"
#include "signaling/sip/sip_transports.h"
#include "signaling/sip/source_filter.h"
#include "signaling/sip/transaction_layer.h"
#include "signaling/trunk/dial_plan.h"
#include "signaling/trunk/trunk_guard.h"
#include "signaling/trunk/trunk_links.h"
#include "signaling/trunk/trunk_table.h"

namespace tutti {

// Where the running configuration came from, so that a reload reads it
// again (issue 19, reload owner).
struct ConfigSource {
  std::string path;            // empty: the embedded default (ops/tutti.toml)
  std::string log_level_flag;  // --log_level: wins over [log] level at every reload too
};

class Daemon {
 public:
  // `config` was read from `source`. `signal_fd` reads SIGTERM, SIGINT and
  // SIGHUP (blocked before any thread starts); after the first stop signal,
  // BYEs have `shutdown_timeout` to be answered.
  Daemon(Config config, ConfigSource source, int signal_fd, absl::Duration shutdown_timeout);
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Every step, in order; false (the step logged why) when one failed.
  bool Start();
  // Serves until a signal stops the loop, then stops the parts.
  void Run();

 private:
  // The room database ([store]): the API's rooms over the file's, before
  // anything reads a room.
  bool RestoreRooms();
  bool StartPacketPlane();
  void StartMedia();  // prompts, the DTLS certificate, the workers
  bool StartCallControl();
  // [messaging], [msrp], [files]: the rooms' file store and the MSRP
  // service on its own thread, its events posted to the control loop.
  bool StartMessaging();
  // ---- Trunks (daemon_trunks.cc; issue 19 trunk-reload owner) ----
  // [[trunk]], [[dial_plan]], [dial_out]: the trunk table (hosts resolved
  // now), the dial plan, the guard and the links, handed to call control.
  bool SetUpTrunks();
  // A reloaded configuration's [[trunk]], [[dial_plan]], [dial_out] and
  // [trunks], applied without ending a call; an error changes nothing (the
  // reload is then refused whole, its message says why). Everything that
  // can fail is done before anything changes (hosts resolved, patterns
  // checked), so call it before applying the rest of a reload. Hosts of
  // trunks changed or added are resolved here, on the control thread.
  absl::Status ReloadTrunks(const Config& next);
  // What the API and /metrics show of the trunks.
  api::TrunksView TrunksForApi() const;
  // The trunks as they are now, to call control (and the API, once it runs);
  // [trunks] and [dial_out] reach call control with its options
  // (CallController::Reconfigure on a reload).
  void HandOverTrunks();
  // ---- end of Trunks ----
  bool SetUpSipAccess();  // [sip] allow/deny, digest authentication
  bool StartTransports();
  void WatchSignals();
  // SIGHUP: OnHangup; a first stop signal ends the calls, a second the loop
  // at once (false: read no more signals).
  bool OnSignal(const signalfd_siginfo& info);
  // ---- Live reload (daemon_reload.cc; issue 19 reload owner) ----
  // SIGHUP: Reload("SIGHUP").
  void OnHangup();
  // Reads the configuration again (SIGHUP, POST /v1/reload) and has the
  // running parts take it whole, or nothing at all: a file that does not
  // load, a key only a restart takes, or a part that refuses (the trunks)
  // changes nothing. Each time, whatever the outcome, the call-record file
  // is reopened (logrotate) and the TLS certificate read again.
  api::ReloadOutcome Reload(std::string_view trigger);
  api::ReloadOutcome TryReload();
  absl::StatusOr<Config> ReadConfigAgain() const;
  // What a reload builds and checks before it changes anything.
  struct ReloadPlan;
  absl::StatusOr<ReloadPlan> PrepareReload(const Config& next) const;
  void CommitReload(const Config& next, ReloadPlan& plan, api::ReloadOutcome* outcome);
  // The running rooms take what the file changed between `before` and
  // `after` (each the file's rooms with the API's stored changes over them).
  void ReloadRooms(const std::vector<RoomConfig>& before, const std::vector<RoomConfig>& after,
                   api::ReloadOutcome* outcome);
  // [[user]] and [sip] auth, realm, auth_algorithms, nonce_lifetime_s.
  void ReloadDigestUsers(const Config& next);
  void ReopenCallRecords();
  void ReloadTlsCertificate(std::string_view trigger);
  // Call control's options from `config`, as at start and at each reload.
  CallControllerOptions ControllerOptionsFor(const Config& config) const;
  void RenderReloadMetrics(api::MetricsText& out) const;
  ConfigSource source_;
  struct ReloadCounters {
    uint64_t ok = 0;
    uint64_t invalid = 0;
    uint64_t needs_restart = 0;
    absl::Time last_success;  // the start counts as one
  } reloads_;
  // ---- end of Live reload ----
  // A first stop signal: the calls end and the trunks unregister, side by
  // side; the loop stops when both are done (or at the shutdown timeout).
  void Shutdown();
  bool StartControlApi();
  std::string Metrics() const;
  void LogStarted() const;
  void LogStopped() const;

  // The running configuration: replaced by a reload once every running
  // part took the new one (nothing keeps a pointer into it).
  Config config_;
  const int signal_fd_;
  const absl::Duration shutdown_timeout_;
  EventLoop loop_;
  // Before the workers, which use it, and so destroyed after them.
  std::unique_ptr<PacketPlane> packet_plane_;
  std::optional<media::PortAllocator> ports_;
  RoomDirectory rooms_;
  std::optional<StoredRooms> stored_rooms_;
  // Loaded before the workers start and kept until they stop: they play
  // from it without copying.
  std::shared_ptr<const media::PromptLibrary> prompts_;
  // Before the workers, whose legs use it until they stop.
  std::unique_ptr<media::DtlsContext> dtls_;
  std::optional<mixer::WorkerPool> media_;
  std::optional<OverloadGuard> overload_;
  sip::SipTransports transports_;
  // Before the controller, which writes its last records as it goes.
  std::unique_ptr<CallRecordWriter> records_;
  std::optional<sip::TransactionLayer> transactions_;
  // Before the controller, which points at them, and after the transaction
  // layer, which the links send through (destroyed before it). The table
  // is shared with the calls that came from (or went to) its trunks: a
  // reload swaps it and the old one lasts until their last call ends.
  // Null table: no trunk now. The guard is made at start and kept for
  // good, so calls of trunks a reload removed are still released on it;
  // the links from the first time there are trunks on.
  std::shared_ptr<const trunk::TrunkTable> trunks_;
  std::optional<trunk::DialPlan> dial_plan_;
  std::optional<trunk::TrunkGuard> trunk_guard_;
  std::unique_ptr<LoopTimers> trunk_timers_;
  std::unique_ptr<trunk::TrunkLinks> trunk_links_;
  // Before the controller, which points at them, and so destroyed after it.
  // Run() stops the service's thread (no more events) before the
  // controller goes.
  std::unique_ptr<msrp::FileStore> files_;
  std::unique_ptr<msrp::MsrpService> msrp_;
  std::unique_ptr<CallController> controller_;
  std::optional<sip::SipEndpoint> endpoint_;
  std::optional<sip::SourceFilter> source_filter_;
  std::unique_ptr<sip::DigestAuthenticator> digest_;
  bool stopping_ = false;
  EventHub events_;
  std::unique_ptr<api::ControlApi> control_api_;
};

}  // namespace tutti
