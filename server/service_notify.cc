// PLACEHOLDER (issue 19, package owner): replaced by the real sd_notify.
#include "server/service_notify.h"

namespace tutti {

bool NotifyService(std::string_view) { return true; }

}  // namespace tutti
