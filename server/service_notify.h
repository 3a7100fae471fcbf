// Tells the service manager how tuttid is doing (systemd Type=notify,
// sd_notify(3)): READY=1 once every part serves, RELOADING=1 then READY=1
// around a configuration reload, STOPPING=1 at shutdown, STATUS=... for
// `systemctl status`. Outside systemd ($NOTIFY_SOCKET unset) it does nothing.
#pragma once

#include <string_view>

namespace tutti {

// Sends `state` (newline-separated VAR=value assignments, e.g. "READY=1")
// to the manager's socket. True when sent, or when there is no manager to
// tell; false when $NOTIFY_SOCKET names a socket that could not be told.
bool NotifyService(std::string_view state);

}  // namespace tutti
