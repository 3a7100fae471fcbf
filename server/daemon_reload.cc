// SIGHUP and the API's reload (issue 19, reload owner).
#include "common/log.h"
#include "server/daemon.h"

namespace tutti {

void Daemon::OnHangup() {
  // Renewed certificates (e.g. by an ACME client) without a restart.
  if (!config_.sip.tls) {
    LogInfo("tuttid", "SIGHUP: nothing to reload (TLS is off)");
  } else if (absl::Status s = transports_.ReloadTls(); !s.ok()) {
    LogError("tuttid", "SIGHUP: TLS certificate not reloaded, the old one stays")
        .With("error", s.ToString());
  } else {
    LogInfo("tuttid", "SIGHUP: TLS certificate reloaded")
        .With("subject", transports_.tls_context()->certificate_summary());
  }
}

}  // namespace tutti
