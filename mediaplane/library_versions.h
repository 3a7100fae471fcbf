// The versions of the libraries the media plane is built on, for
// `tuttid --version` (issue 19): what an operator asks first when a codec or
// SRTP misbehaves. Opus, libsrtp2 and OpenSSL say what is loaded; spandsp and
// bcg729 have no such call, so theirs is what the build found (pkg-config).
#ifndef TUTTI_MEDIAPLANE_LIBRARY_VERSIONS_H_
#define TUTTI_MEDIAPLANE_LIBRARY_VERSIONS_H_

#include <string>

namespace tutti::mediaplane {

struct LibraryVersions {
  std::string opus;     // "libopus 1.3.1"
  std::string spandsp;  // G.722: "0.0.6"
  std::string bcg729;   // G.729 Annex A: "1.1.1"
  std::string srtp;     // "libsrtp2 2.5.0"
  std::string openssl;  // "OpenSSL 3.0.19 27 Jan 2026"
};

LibraryVersions LinkedLibraryVersions();

}  // namespace tutti::mediaplane

#endif  // TUTTI_MEDIAPLANE_LIBRARY_VERSIONS_H_
