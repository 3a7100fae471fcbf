#include "mediaplane/library_versions.h"

#include <openssl/crypto.h>
#include <opus/opus.h>
#include <srtp2/srtp.h>

namespace tutti::mediaplane {

LibraryVersions LinkedLibraryVersions() {
  return {
      .opus = opus_get_version_string(),
      .spandsp = TUTTI_SPANDSP_VERSION,
      .bcg729 = TUTTI_BCG729_VERSION,
      .srtp = srtp_get_version_string(),
      .openssl = OpenSSL_version(OPENSSL_VERSION),
  };
}

}  // namespace tutti::mediaplane
