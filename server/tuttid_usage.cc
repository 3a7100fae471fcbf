#include "server/tuttid_usage.h"

#include "absl/strings/str_cat.h"
#include "common/command_line.h"
#include "mediaplane/library_versions.h"

namespace tutti {
namespace {

constexpr char kUsage[] =
    "tuttid: SIP conference bridge and media server.\n"
    "\n"
    "Usage: tuttid [--config=FILE] [--log_level=LEVEL] [--shutdown_timeout_s=N]\n"
    "       tuttid --check_config [--config=FILE]\n"
    "       tuttid --print_default_config\n"
    "       tuttid --help | --version\n"
    "\n"
    "Answers SIP calls to sip:<room>@<host> and joins them to the room. Runs in the\n"
    "foreground and logs one structured line per event to stderr. SIGTERM or SIGINT\n"
    "stops taking calls, ends every call with BYE and exits 0; a second signal exits\n"
    "at once. SIGHUP reloads the configuration file (what needs a restart is refused\n"
    "and the running configuration kept) and reopens the call-record file. Every key\n"
    "of the configuration file is documented in the default one (ops/tutti.toml,\n"
    "printed by --print_default_config). Exit status: 0 after a clean stop, 1 when\n"
    "it cannot start, 2 for a bad command line or configuration.\n";

// "on (DPDK 22.11.1)" or "off", as this binary was built.
std::string DpdkFeature() {
#ifdef TUTTI_WITH_DPDK
  return absl::StrCat("on (DPDK ", TUTTI_DPDK_VERSION, "; [media] backend = \"dpdk\")");
#else
  return "off (built with -DTUTTI_DPDK=OFF: kernel sockets only)";
#endif
}

}  // namespace

std::string TuttidHelp() { return FlagsHelp(kUsage, "tuttid_main.cc"); }

std::string TuttidVersion() {
  const mediaplane::LibraryVersions libraries = mediaplane::LinkedLibraryVersions();
  std::string text = absl::StrCat("tuttid ", TUTTI_VERSION, "\n");
  absl::StrAppend(&text, "  DPDK: ", DpdkFeature(), "\n");
  absl::StrAppend(&text, "  audio codecs: G.711 (PCMU, PCMA), G.722 (spandsp ", libraries.spandsp,
                  "),\n");
  absl::StrAppend(&text, "                G.729 Annex A (bcg729 ", libraries.bcg729, "), Opus (",
                  libraries.opus, ")\n");
  absl::StrAppend(&text, "  video: VP8, VP9 and H.264 forwarded (no transcoding)\n");
  absl::StrAppend(&text, "  SRTP: SDES and DTLS-SRTP (", libraries.srtp, ")\n");
  absl::StrAppend(&text, "  TLS: SIP over TLS, DTLS (", libraries.openssl, ")\n");
  absl::StrAppend(&text, "  chat and files: SIP MESSAGE, MSRP\n");
  return text;
}

}  // namespace tutti
