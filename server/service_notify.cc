// sd_notify(3) from libsystemd: it handles $NOTIFY_SOCKET's forms (a path,
// an abstract socket written "@name", vsock) and sends one datagram with our
// credentials, which NotifyAccess=main checks against the main PID.
#include "server/service_notify.h"

#include <systemd/sd-daemon.h>

#include <string>

namespace tutti {

bool NotifyService(std::string_view state) {
  // sd_notify wants a C string; a handful of notifications per run.
  const std::string text(state);
  // > 0 sent, 0 no manager ($NOTIFY_SOCKET unset), < 0 -errno.
  return sd_notify(/*unset_environment=*/0, text.c_str()) >= 0;
}

}  // namespace tutti
