// The SDP attributes of encrypted media: a=crypto (SDES, RFC 4568 §9.1),
// a=fingerprint (RFC 8122 §5) and a=setup (RFC 4145 §4). The key of an
// a=crypto line is a secret: whatever holds one never reaches a log.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tutti::sdp {

// The suites tutti negotiates (mirrors media::SrtpSuite; SDP does not link libsrtp).
enum class CryptoSuite : uint8_t { kAesCm128HmacSha1_80, kAesCm128HmacSha1_32, kAeadAes128Gcm };
std::string_view CryptoSuiteName(CryptoSuite suite);
std::optional<CryptoSuite> CryptoSuiteFromName(std::string_view name);
// Master key + salt: 30 bytes for AES-CM, 28 for AES-GCM.
size_t CryptoKeyLength(CryptoSuite suite);

constexpr size_t kMaxCryptoKeyLength = 30;
using CryptoKey = std::array<uint8_t, kMaxCryptoKeyLength>;

// One a=crypto line tutti can use: "<tag> <suite> inline:<base64 key||salt>[|lifetime]".
struct CryptoAttribute {
  int tag = 0;
  CryptoSuite suite = CryptoSuite::kAesCm128HmacSha1_80;
  CryptoKey key{};  // the first CryptoKeyLength(suite) bytes are used
};

// Nullopt for a line tutti cannot use: an unknown suite, a key of the wrong
// length or not base64, an MKI, several keys, a lifetime below 2^31 packets
// (it would need re-keying by SDP), or any session parameter (unencrypted or
// unauthenticated SRTP, KDR, ...: none of them is supported).
std::optional<CryptoAttribute> ParseCryptoAttribute(std::string_view value);
// The value of an a=crypto line (after "crypto:").
std::string WriteCryptoAttribute(const CryptoAttribute& crypto);

// a=fingerprint:<hash> <hex:hex:...>: the hash name lowercased, the bytes decoded.
struct Fingerprint {
  std::string algorithm;  // "sha-256", ...
  std::vector<uint8_t> digest;
};
std::optional<Fingerprint> ParseFingerprint(std::string_view value);
std::string WriteFingerprint(const Fingerprint& fingerprint);  // upper-case hex pairs

enum class SetupRole : uint8_t { kActive, kPassive, kActPass, kHoldConn };
std::optional<SetupRole> ParseSetup(std::string_view value);
std::string_view SetupName(SetupRole role);

// The text with the key of every a=crypto line replaced by "<redacted>", for
// anything that shows an SDP body (debug logs).
std::string RedactCryptoKeys(std::string_view sdp);

}  // namespace tutti::sdp
