// What `tuttid --help` and `tuttid --version` print (issue 19): our own
// text, so that no path of the build machine shows and an operator sees at
// once what the binary was built with.
#ifndef TUTTI_SERVER_TUTTID_USAGE_H_
#define TUTTI_SERVER_TUTTID_USAGE_H_

#include <string>

namespace tutti {

// --help: what tuttid does, how it is run, and tuttid_main.cc's flags with
// their defaults.
std::string TuttidHelp();

// --version: "tuttid <version>", then the build's features: DPDK on or off,
// the codecs, video forwarding, SRTP and TLS with their libraries' versions.
std::string TuttidVersion();

}  // namespace tutti

#endif  // TUTTI_SERVER_TUTTID_USAGE_H_
