// SRTP and SRTCP (RFC 3711) for one call leg, on libsrtp2: one context that
// protects what we send (our SSRC, our master key) and unprotects what the
// peer sends (any SSRC, its master key). Built off the hot path (it
// allocates); protect and unprotect work in place and allocate nothing, save
// libsrtp's one stream clone for the first authenticated packet of a new
// peer SSRC.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

namespace tutti::media {

// The crypto suites tutti speaks (RFC 4568 §6.2 names, RFC 7714 for GCM).
enum class SrtpSuite : uint8_t {
  kNone,
  kAesCm128HmacSha1_80,
  kAesCm128HmacSha1_32,
  kAeadAes128Gcm,
};
std::string_view SrtpSuiteName(SrtpSuite suite);     // "AES_CM_128_HMAC_SHA1_80", ...
SrtpSuite SrtpSuiteFromName(std::string_view name);  // kNone when unknown
// Master key + master salt, in bytes: 30 for AES-CM, 28 for AES-GCM.
size_t SrtpMasterLength(SrtpSuite suite);
// False for a suite this build of libsrtp2 cannot do (GCM needs a crypto backend).
bool SrtpSuiteSupported(SrtpSuite suite);

constexpr size_t kSrtpMaxMasterLength = 30;
// The most protect adds to a packet: a 16-byte tag (GCM) plus SRTCP's 4-byte
// E flag and index. No MKI is ever negotiated.
constexpr size_t kSrtpTailroom = 20;

// Keys for one leg. Secret: never logged, never in an event or a record.
struct SrtpKeys {
  SrtpSuite suite = SrtpSuite::kNone;
  std::array<uint8_t, kSrtpMaxMasterLength> local{};   // we protect with it
  std::array<uint8_t, kSrtpMaxMasterLength> remote{};  // the peer protects with it
  bool active() const { return suite != SrtpSuite::kNone; }
  bool operator==(const SrtpKeys&) const = default;
};

// Fills `out` from the system's cryptographic random source (OpenSSL);
// aborts if there is none (keys must never be guessable).
void RandomBytes(std::span<uint8_t> out);

class SrtpSession {
 public:
  // Null when libsrtp refuses the keys (unknown suite, no crypto backend).
  static std::unique_ptr<SrtpSession> Create(const SrtpKeys& keys, uint32_t local_ssrc);
  ~SrtpSession();
  SrtpSession(const SrtpSession&) = delete;
  SrtpSession& operator=(const SrtpSession&) = delete;

  enum class Verdict : uint8_t { kOk, kAuthFailed, kReplayed, kMalformed };

  // In place: `*size` grows by the tag (and SRTCP index). False when there is
  // not kSrtpTailroom bytes of room after the packet or libsrtp refuses.
  bool ProtectRtp(uint8_t* packet, size_t* size, size_t capacity);
  bool ProtectRtcp(uint8_t* packet, size_t* size, size_t capacity);
  // In place: on kOk `*size` shrinks to the clear packet.
  Verdict UnprotectRtp(uint8_t* packet, size_t* size);
  Verdict UnprotectRtcp(uint8_t* packet, size_t* size);

  SrtpSuite suite() const { return suite_; }

 private:
  SrtpSession(void* context, SrtpSuite suite) : context_(context), suite_(suite) {}

  void* context_;  // srtp_t: kept opaque so users need not include libsrtp
  SrtpSuite suite_;
};

}  // namespace tutti::media
