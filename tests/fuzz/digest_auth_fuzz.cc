// libFuzzer target for what an unauthenticated caller controls in digest
// authentication: the Authorization header (parsed, then verified against
// users and the nonce MAC), a trunk's WWW-Authenticate challenge (parsed,
// then answered) and, for the config's allow/deny lists, CIDR text. Nothing may crash, and garbage
// must never authenticate.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "signaling/sip/digest_auth.h"
#include "signaling/sip/digest_client.h"
#include "signaling/sip/ip_prefix.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const tutti::sip::DigestAuthenticator* auth = [] {
    tutti::sip::DigestOptions options;
    options.users = {{"alice", "wonderland", "", ""}};
    return new tutti::sip::DigestAuthenticator(options, "a fixed fuzzing secret, 32 bytes");
  }();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)tutti::sip::ParseDigestCredentials(text);
  const auto result = auth->Verify("INVITE", text, absl::FromUnixSeconds(1'800'000'000));
  // A response needs the password (or a 128-bit MAC forgery) to be right.
  if (result.outcome == tutti::sip::DigestAuthenticator::Outcome::kOk) std::abort();
  if (auto challenge = tutti::sip::ParseDigestChallenge(text)) {
    const std::string line = tutti::sip::AuthorizationHeader(*challenge, {"alice", "wonderland"},
                                                             "REGISTER", "sip:example.com", 1, "c");
    // Whatever the challenge held, the answer is one header line.
    if (line.find('\r') != line.size() - 2 || line.find('\n') != line.size() - 1) std::abort();
  }
  (void)tutti::sip::IpPrefix::Parse(text);
  return 0;
}
