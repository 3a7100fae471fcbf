#include "mediaplane/srtp_session.h"

#include <openssl/rand.h>
#include <srtp2/srtp.h>

#include <climits>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace tutti::media {
namespace {

// srtp_init is not thread-safe and must run once per process.
bool InitLibrary() {
  static std::once_flag once;
  static bool ok = false;
  std::call_once(once, [] { ok = srtp_init() == srtp_err_status_ok; });
  return ok;
}

bool SetPolicies(SrtpSuite suite, srtp_crypto_policy_t* rtp, srtp_crypto_policy_t* rtcp) {
  switch (suite) {
    case SrtpSuite::kAesCm128HmacSha1_80:
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(rtp);
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(rtcp);
      return true;
    case SrtpSuite::kAesCm128HmacSha1_32:
      // RFC 4568 §6.2.2: the 32-bit tag is for SRTP only; SRTCP keeps 80 bits.
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(rtp);
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(rtcp);
      return true;
    case SrtpSuite::kAeadAes128Gcm:
      srtp_crypto_policy_set_aes_gcm_128_16_auth(rtp);
      srtp_crypto_policy_set_aes_gcm_128_16_auth(rtcp);
      return true;
    case SrtpSuite::kNone:
      break;
  }
  return false;
}

SrtpSession::Verdict VerdictOf(srtp_err_status_t status) {
  switch (status) {
    case srtp_err_status_ok:
      return SrtpSession::Verdict::kOk;
    case srtp_err_status_auth_fail:
      return SrtpSession::Verdict::kAuthFailed;
    case srtp_err_status_replay_fail:
    case srtp_err_status_replay_old:
      return SrtpSession::Verdict::kReplayed;
    default:
      return SrtpSession::Verdict::kMalformed;
  }
}

}  // namespace

void RandomBytes(std::span<uint8_t> out) {
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) std::abort();
}

std::string_view SrtpSuiteName(SrtpSuite suite) {
  switch (suite) {
    case SrtpSuite::kAesCm128HmacSha1_80:
      return "AES_CM_128_HMAC_SHA1_80";
    case SrtpSuite::kAesCm128HmacSha1_32:
      return "AES_CM_128_HMAC_SHA1_32";
    case SrtpSuite::kAeadAes128Gcm:
      return "AEAD_AES_128_GCM";
    case SrtpSuite::kNone:
      break;
  }
  return "none";
}

SrtpSuite SrtpSuiteFromName(std::string_view name) {
  for (SrtpSuite suite : {SrtpSuite::kAesCm128HmacSha1_80, SrtpSuite::kAesCm128HmacSha1_32,
                          SrtpSuite::kAeadAes128Gcm}) {
    if (name == SrtpSuiteName(suite)) return suite;
  }
  return SrtpSuite::kNone;
}

size_t SrtpMasterLength(SrtpSuite suite) {
  switch (suite) {
    case SrtpSuite::kAesCm128HmacSha1_80:
    case SrtpSuite::kAesCm128HmacSha1_32:
      return SRTP_AES_ICM_128_KEY_LEN_WSALT;
    case SrtpSuite::kAeadAes128Gcm:
      return SRTP_AES_GCM_128_KEY_LEN_WSALT;
    case SrtpSuite::kNone:
      break;
  }
  return 0;
}

bool SrtpSuiteSupported(SrtpSuite suite) {
  if (suite == SrtpSuite::kNone) return false;
  // A session with throw-away keys tells whether libsrtp has the cipher.
  SrtpKeys probe;
  probe.suite = suite;
  return SrtpSession::Create(probe, 1) != nullptr;
}

std::unique_ptr<SrtpSession> SrtpSession::Create(const SrtpKeys& keys, uint32_t local_ssrc) {
  if (!InitLibrary()) return nullptr;
  srtp_policy_t outbound;
  srtp_policy_t inbound;
  std::memset(&outbound, 0, sizeof(outbound));
  std::memset(&inbound, 0, sizeof(inbound));
  if (!SetPolicies(keys.suite, &outbound.rtp, &outbound.rtcp) ||
      !SetPolicies(keys.suite, &inbound.rtp, &inbound.rtcp)) {
    return nullptr;
  }
  // libsrtp copies the keys into its own context; these copies are wiped.
  std::array<uint8_t, kSrtpMaxMasterLength> local = keys.local;
  std::array<uint8_t, kSrtpMaxMasterLength> remote = keys.remote;
  // Our one outbound stream is named, so protect never clones a template.
  outbound.ssrc.type = ssrc_specific;
  outbound.ssrc.value = local_ssrc;
  outbound.key = local.data();
  outbound.next = &inbound;
  inbound.ssrc.type = ssrc_any_inbound;
  inbound.key = remote.data();
  srtp_t context = nullptr;
  const srtp_err_status_t status = srtp_create(&context, &outbound);
  explicit_bzero(local.data(), local.size());
  explicit_bzero(remote.data(), remote.size());
  if (status != srtp_err_status_ok) {
    if (context != nullptr) srtp_dealloc(context);
    return nullptr;
  }
  return std::unique_ptr<SrtpSession>(new SrtpSession(context, keys.suite));
}

SrtpSession::~SrtpSession() { srtp_dealloc(static_cast<srtp_t>(context_)); }

bool SrtpSession::ProtectRtp(uint8_t* packet, size_t* size, size_t capacity) {
  if (capacity < *size + kSrtpTailroom || *size > INT_MAX) return false;
  int length = static_cast<int>(*size);
  if (srtp_protect(static_cast<srtp_t>(context_), packet, &length) != srtp_err_status_ok) {
    return false;
  }
  *size = static_cast<size_t>(length);
  return true;
}

bool SrtpSession::ProtectRtcp(uint8_t* packet, size_t* size, size_t capacity) {
  if (capacity < *size + kSrtpTailroom || *size > INT_MAX) return false;
  int length = static_cast<int>(*size);
  if (srtp_protect_rtcp(static_cast<srtp_t>(context_), packet, &length) != srtp_err_status_ok) {
    return false;
  }
  *size = static_cast<size_t>(length);
  return true;
}

SrtpSession::Verdict SrtpSession::UnprotectRtp(uint8_t* packet, size_t* size) {
  if (*size > INT_MAX) return Verdict::kMalformed;
  int length = static_cast<int>(*size);
  const Verdict verdict = VerdictOf(srtp_unprotect(static_cast<srtp_t>(context_), packet, &length));
  if (verdict == Verdict::kOk) *size = static_cast<size_t>(length);
  return verdict;
}

SrtpSession::Verdict SrtpSession::UnprotectRtcp(uint8_t* packet, size_t* size) {
  if (*size > INT_MAX) return Verdict::kMalformed;
  int length = static_cast<int>(*size);
  const Verdict verdict =
      VerdictOf(srtp_unprotect_rtcp(static_cast<srtp_t>(context_), packet, &length));
  if (verdict == Verdict::kOk) *size = static_cast<size_t>(length);
  return verdict;
}

}  // namespace tutti::media
