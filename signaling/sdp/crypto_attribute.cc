#include "signaling/sdp/crypto_attribute.h"

#include <charconv>
#include <cstring>

#include "absl/strings/escaping.h"
#include "common/strings.h"

namespace tutti::sdp {
namespace {

std::optional<int> Number(std::string_view text) {
  int value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// RFC 4568 §6.1 lifetime: "2^n" or a decimal count of packets. Anything
// shorter than 2^31 would have to be re-keyed by SDP before it runs out,
// which tutti does not do, so such a key is not taken.
bool LifetimeLongEnough(std::string_view lifetime) {
  if (lifetime.size() > 2 && lifetime.substr(0, 2) == "2^") {
    const std::optional<int> power = Number(lifetime.substr(2));
    return power && *power >= 31 && *power <= 48;
  }
  if (lifetime.empty() || lifetime.size() > 15) return false;
  uint64_t value = 0;
  auto [end, error] = std::from_chars(lifetime.data(), lifetime.data() + lifetime.size(), value);
  return error == std::errc() && end == lifetime.data() + lifetime.size() && value >= (1ULL << 31);
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string_view CryptoSuiteName(CryptoSuite suite) {
  switch (suite) {
    case CryptoSuite::kAesCm128HmacSha1_80:
      return "AES_CM_128_HMAC_SHA1_80";
    case CryptoSuite::kAesCm128HmacSha1_32:
      return "AES_CM_128_HMAC_SHA1_32";
    case CryptoSuite::kAeadAes128Gcm:
      return "AEAD_AES_128_GCM";
  }
  return "AES_CM_128_HMAC_SHA1_80";
}

std::optional<CryptoSuite> CryptoSuiteFromName(std::string_view name) {
  for (CryptoSuite suite : {CryptoSuite::kAesCm128HmacSha1_80, CryptoSuite::kAesCm128HmacSha1_32,
                            CryptoSuite::kAeadAes128Gcm}) {
    if (name == CryptoSuiteName(suite)) return suite;
  }
  return std::nullopt;
}

size_t CryptoKeyLength(CryptoSuite suite) { return suite == CryptoSuite::kAeadAes128Gcm ? 28 : 30; }

std::optional<CryptoAttribute> ParseCryptoAttribute(std::string_view value) {
  const std::vector<std::string_view> fields = SplitNonEmpty(StripWhitespace(value), ' ');
  // tag, suite, key-params; session parameters (a fourth field on) are refused.
  if (fields.size() != 3) return std::nullopt;
  CryptoAttribute crypto;
  const std::optional<int> tag = Number(fields[0]);
  // RFC 4568 §9.1: tag = 1*9DIGIT.
  if (!tag || *tag < 0 || fields[0].size() > 9) return std::nullopt;
  crypto.tag = *tag;
  const std::optional<CryptoSuite> suite = CryptoSuiteFromName(fields[1]);
  if (!suite) return std::nullopt;
  crypto.suite = *suite;
  std::string_view key_params = fields[2];
  // One key only: several (";"-separated) come with MKIs, which tutti does not do.
  if (key_params.find(';') != std::string_view::npos) return std::nullopt;
  constexpr std::string_view kInline = "inline:";
  if (key_params.size() <= kInline.size() || !EqualsIgnoreCase(key_params.substr(0, 7), kInline)) {
    return std::nullopt;
  }
  key_params.remove_prefix(kInline.size());
  const std::vector<std::string_view> parts = SplitNonEmpty(key_params, '|');
  if (parts.empty() || parts.size() > 2) return std::nullopt;  // a third part is an MKI
  if (parts.size() == 2) {
    // "|lifetime", or "|mki:length" (refused: no MKI).
    if (parts[1].find(':') != std::string_view::npos || !LifetimeLongEnough(parts[1])) {
      return std::nullopt;
    }
  }
  const std::string_view base64 = parts[0];
  // 30 bytes is 40 characters of base64; 28 is 38, or 40 with padding.
  if (base64.size() != 38 && base64.size() != 40) return std::nullopt;
  std::string decoded;
  if (!absl::Base64Unescape(absl::string_view(base64.data(), base64.size()), &decoded) ||
      decoded.size() != CryptoKeyLength(crypto.suite)) {
    return std::nullopt;
  }
  std::memcpy(crypto.key.data(), decoded.data(), decoded.size());
  std::fill(decoded.begin(), decoded.end(), '\0');
  return crypto;
}

std::string WriteCryptoAttribute(const CryptoAttribute& crypto) {
  const std::string key = absl::Base64Escape(absl::string_view(
      reinterpret_cast<const char*>(crypto.key.data()), CryptoKeyLength(crypto.suite)));
  return StrCat(crypto.tag, " ", CryptoSuiteName(crypto.suite), " inline:", key);
}

std::optional<Fingerprint> ParseFingerprint(std::string_view value) {
  const std::vector<std::string_view> fields = SplitNonEmpty(StripWhitespace(value), ' ');
  if (fields.size() != 2 || fields[0].size() > 16) return std::nullopt;
  Fingerprint fingerprint;
  fingerprint.algorithm = AsciiLowered(fields[0]);
  const std::string_view hex = fields[1];
  // "AB:CD:...": 3 characters a byte, less the last colon; at most SHA-512.
  if ((hex.size() + 1) % 3 != 0 || (hex.size() + 1) / 3 > 64) return std::nullopt;
  for (size_t i = 0; i < hex.size(); i += 3) {
    const int high = HexValue(hex[i]);
    const int low = HexValue(hex[i + 1]);
    if (high < 0 || low < 0 || (i + 2 < hex.size() && hex[i + 2] != ':')) return std::nullopt;
    fingerprint.digest.push_back(static_cast<uint8_t>(high * 16 + low));
  }
  return fingerprint;
}

std::string WriteFingerprint(const Fingerprint& fingerprint) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = fingerprint.algorithm;
  for (size_t i = 0; i < fingerprint.digest.size(); ++i) {
    out += i == 0 ? ' ' : ':';
    out += kHex[fingerprint.digest[i] >> 4];
    out += kHex[fingerprint.digest[i] & 0xf];
  }
  return out;
}

std::optional<SetupRole> ParseSetup(std::string_view value) {
  const std::string_view role = StripWhitespace(value);
  if (EqualsIgnoreCase(role, "active")) return SetupRole::kActive;
  if (EqualsIgnoreCase(role, "passive")) return SetupRole::kPassive;
  if (EqualsIgnoreCase(role, "actpass")) return SetupRole::kActPass;
  if (EqualsIgnoreCase(role, "holdconn")) return SetupRole::kHoldConn;
  return std::nullopt;
}

std::string_view SetupName(SetupRole role) {
  switch (role) {
    case SetupRole::kActive:
      return "active";
    case SetupRole::kPassive:
      return "passive";
    case SetupRole::kActPass:
      return "actpass";
    case SetupRole::kHoldConn:
      return "holdconn";
  }
  return "actpass";
}

std::string RedactCryptoKeys(std::string_view sdp) {
  std::string out;
  out.reserve(sdp.size());
  size_t position = 0;
  while (position < sdp.size()) {
    size_t end = sdp.find('\n', position);
    end = end == std::string_view::npos ? sdp.size() : end + 1;
    std::string_view line = sdp.substr(position, end - position);
    position = end;
    const size_t key = line.find("inline:");
    if (line.substr(0, 9) != "a=crypto:" || key == std::string_view::npos) {
      out.append(line);
      continue;
    }
    out.append(line.substr(0, key + 7));
    out.append("<redacted>");
    // Keep the line end (and nothing of the key, lifetime or MKI).
    const size_t line_end = line.find_first_of("\r\n");
    if (line_end != std::string_view::npos) out.append(line.substr(line_end));
  }
  return out;
}

}  // namespace tutti::sdp
