#include "signaling/trunk/trunk_table.h"

#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <charconv>
#include <string>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "common/strings.h"
#include "signaling/trunk/dial_plan.h"
#include "signaling/trunk/phone_number.h"

namespace tutti::trunk {
namespace {

constexpr uint16_t kDefaultSipPort = 5060;
// A trunk's name is a metrics label, a log word and a JSON value.
constexpr size_t kMaxNameLength = 64;
constexpr size_t kMaxTrunks = 64;
// The guard keeps one timestamp per dial-out of the last hour.
constexpr int kMaxHourlyLimit = 100000;

absl::Status TrunkError(const TrunkConfig& trunk, std::string_view what) {
  return absl::InvalidArgumentError(StrCat("[[trunk]] \"", trunk.name, "\": ", what));
}

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.';
}

bool AllDigits(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

struct HostPort {
  std::string host;
  uint16_t port = kDefaultSipPort;
};

// "host", "host:port", "[v6]", "[v6]:port" or a bare IPv6 literal.
std::optional<HostPort> SplitHostPort(std::string_view text) {
  HostPort out;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    out.host = std::string(text.substr(1, close - 1));
    const std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port = rest.substr(1);
    }
  } else if (const size_t colon = text.find(':');
             colon != std::string_view::npos &&
             text.find(':', colon + 1) == std::string_view::npos) {
    out.host = std::string(text.substr(0, colon));
    port = text.substr(colon + 1);
  } else {
    out.host = std::string(text);
  }
  if (out.host.empty() || out.host.find_first_of(" \t/@;") != std::string::npos) {
    return std::nullopt;
  }
  if (!port.empty() || (text.size() > 0 && text.back() == ':')) {
    unsigned value = 0;
    const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (error != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
      return std::nullopt;
    }
    out.port = static_cast<uint16_t>(value);
  }
  return out;
}

// The host of "host[:port]" (brackets off an IPv6 reference); the text
// itself when it is no such thing.
std::string HostPart(std::string_view text) {
  const std::optional<HostPort> split = SplitHostPort(text);
  return split ? split->host : std::string(text);
}

// Every address `host` has (getaddrinfo: an IP literal as it is, a name
// through the resolver), with `port`. Done once, at load.
absl::StatusOr<std::vector<sip::SocketAddress>> Resolve(const HostPort& where) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  if (const int error = getaddrinfo(where.host.c_str(), nullptr, &hints, &found); error != 0) {
    return absl::NotFoundError(
        StrCat("cannot resolve \"", where.host, "\": ", std::string(gai_strerror(error))));
  }
  std::vector<sip::SocketAddress> addresses;
  for (const addrinfo* entry = found; entry != nullptr; entry = entry->ai_next) {
    sip::SocketAddress address =
        sip::SocketAddress::FromSockaddr(entry->ai_addr, entry->ai_addrlen);
    if (!address.is_set()) continue;
    std::optional<sip::SocketAddress> with_port =
        sip::SocketAddress::FromIpPort(address.ip(), where.port);
    if (with_port && std::find(addresses.begin(), addresses.end(), *with_port) == addresses.end()) {
      addresses.push_back(*with_port);
    }
  }
  freeaddrinfo(found);
  if (addresses.empty()) {
    return absl::NotFoundError(StrCat("\"", where.host, "\" has no IPv4 or IPv6 address"));
  }
  return addresses;
}

absl::StatusOr<std::vector<sip::SocketAddress>> ResolveField(const TrunkConfig& trunk,
                                                             std::string_view key,
                                                             std::string_view value) {
  const std::optional<HostPort> where = SplitHostPort(value);
  if (!where) {
    return TrunkError(trunk, StrCat(key, " \"", value, "\" is not host, host:port or [ipv6]:port"));
  }
  absl::StatusOr<std::vector<sip::SocketAddress>> addresses = Resolve(*where);
  if (!addresses.ok()) return TrunkError(trunk, StrCat(key, ": ", addresses.status().message()));
  return addresses;
}

absl::Status CheckNumbers(const TrunkConfig& trunk) {
  const NumberRules& rules = trunk.numbers;
  if (rules.country_code.size() > 3 || !AllDigits(rules.country_code)) {
    return TrunkError(trunk, "country_code is 1-3 digits without '+' (e.g. \"44\")");
  }
  if (rules.national_prefix.size() > 4 || !AllDigits(rules.national_prefix) ||
      rules.international_prefix.size() > 4 || !AllDigits(rules.international_prefix)) {
    return TrunkError(trunk, "national_prefix and international_prefix are up to 4 digits");
  }
  if (rules.format != "+e164" && rules.format != "e164" && rules.format != "national") {
    return TrunkError(trunk, "number_format is \"+e164\", \"e164\" or \"national\"");
  }
  if (rules.format == "national" &&
      (rules.country_code.empty() || rules.international_prefix.empty())) {
    return TrunkError(trunk,
                      "number_format = \"national\" needs country_code and international_prefix");
  }
  if (!trunk.caller_id.empty() && !NormalizeNumber(trunk.caller_id, rules)) {
    return TrunkError(trunk, StrCat("caller_id \"", trunk.caller_id, "\" is not a number"));
  }
  return absl::OkStatus();
}

absl::Status CheckLimits(const TrunkConfig& trunk) {
  if (trunk.register_expires_s < 60 || trunk.register_expires_s > 86400) {
    return TrunkError(trunk, "register_expires_s must be 60-86400");
  }
  if (trunk.options_interval_s != 0 &&
      (trunk.options_interval_s < 5 || trunk.options_interval_s > 3600)) {
    return TrunkError(trunk, "options_interval_s must be 0 (none) or 5-3600");
  }
  if (trunk.max_calls < 0 || trunk.max_calls_per_second < 0 || trunk.max_dial_outs < 0) {
    return TrunkError(trunk, "max_calls, max_calls_per_second and max_dial_outs are not negative");
  }
  if (trunk.max_dial_outs_per_hour < 0 || trunk.max_dial_outs_per_hour > kMaxHourlyLimit) {
    return TrunkError(trunk, StrCat("max_dial_outs_per_hour must be 0-", kMaxHourlyLimit));
  }
  if (trunk.prack != "supported" && trunk.prack != "required" && trunk.prack != "off") {
    return TrunkError(trunk, "prack is \"supported\", \"required\" or \"off\"");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckTrunkConfig(const TrunkConfig& trunk) {
  if (trunk.name.empty() || trunk.name.size() > kMaxNameLength ||
      !std::all_of(trunk.name.begin(), trunk.name.end(), IsNameChar)) {
    return TrunkError(trunk, StrCat("a name is 1-", kMaxNameLength, " of A-Z a-z 0-9 - _ ."));
  }
  if (trunk.host.empty()) return TrunkError(trunk, "host is required");
  if (trunk.transport != "udp" && trunk.transport != "tcp") {
    return TrunkError(trunk, "transport is \"udp\" or \"tcp\"");
  }
  if (trunk.register_ && trunk.username.empty()) {
    return TrunkError(trunk, "register = true needs a username");
  }
  for (const std::string& pattern : trunk.dial_out_patterns) {
    if (absl::Status checked = CheckPattern(pattern); !checked.ok()) {
      return TrunkError(trunk, StrCat("dial_out_patterns: ", checked.message()));
    }
  }
  for (const std::string& codec : trunk.codecs) {
    if (codec.empty() || !std::all_of(codec.begin(), codec.end(), IsNameChar)) {
      return TrunkError(trunk, StrCat("codecs: \"", codec, "\" is not a codec name"));
    }
  }
  for (const auto& [key, value] :
       {std::pair<std::string_view, std::string_view>{"host", trunk.host},
        {"outbound_proxy", trunk.outbound_proxy}}) {
    if (!value.empty() && !SplitHostPort(value)) {
      return TrunkError(trunk,
                        StrCat(key, " \"", value, "\" is not host, host:port or [ipv6]:port"));
    }
  }
  for (const std::string& entry : trunk.addresses) {
    if (absl::StatusOr<sip::IpPrefix> prefix = sip::IpPrefix::Parse(entry); !prefix.ok()) {
      return TrunkError(trunk, StrCat("addresses: ", prefix.status().message()));
    }
  }
  if (absl::Status numbers = CheckNumbers(trunk); !numbers.ok()) return numbers;
  return CheckLimits(trunk);
}

absl::StatusOr<TrunkTable::Resolved> TrunkTable::ResolveTrunk(const TrunkConfig& trunk,
                                                              const TrunkTable* before) {
  if (before != nullptr) {
    for (size_t i = 0; i < before->trunks_.size(); ++i) {
      const TrunkConfig& old = before->trunks_[i];
      if (old.name == trunk.name && old.host == trunk.host &&
          old.outbound_proxy == trunk.outbound_proxy && old.transport == trunk.transport &&
          old.addresses == trunk.addresses) {
        return before->resolved_[i];
      }
    }
  }
  absl::StatusOr<std::vector<sip::SocketAddress>> host = ResolveField(trunk, "host", trunk.host);
  if (!host.ok()) return host.status();
  Resolved resolved;
  resolved.next_hop.transport =
      trunk.transport == "tcp" ? sip::TransportKind::kTcp : sip::TransportKind::kUdp;
  resolved.next_hop.address = host->front();
  if (!trunk.outbound_proxy.empty()) {
    absl::StatusOr<std::vector<sip::SocketAddress>> proxy =
        ResolveField(trunk, "outbound_proxy", trunk.outbound_proxy);
    if (!proxy.ok()) return proxy.status();
    resolved.next_hop.address = proxy->front();
  }
  for (const std::string& entry : trunk.addresses) {
    absl::StatusOr<sip::IpPrefix> prefix = sip::IpPrefix::Parse(entry);
    if (!prefix.ok()) return TrunkError(trunk, StrCat("addresses: ", prefix.status().message()));
    resolved.addresses.push_back(*prefix);
  }
  if (trunk.addresses.empty()) {
    for (const sip::SocketAddress& address : *host) {
      resolved.addresses.push_back(*sip::IpPrefix::Parse(address.ip()));
    }
  }
  return resolved;
}

absl::StatusOr<TrunkTable> TrunkTable::Make(std::vector<TrunkConfig> trunks,
                                            const TrunkTable* before) {
  if (trunks.size() > kMaxTrunks) {
    return absl::InvalidArgumentError(StrCat("at most ", kMaxTrunks, " [[trunk]] sections"));
  }
  TrunkTable table;
  absl::flat_hash_set<std::string> names;
  for (TrunkConfig& trunk : trunks) {
    if (absl::Status checked = CheckTrunkConfig(trunk); !checked.ok()) return checked;
    if (!names.insert(trunk.name).second) return TrunkError(trunk, "a second trunk of that name");
    absl::StatusOr<Resolved> resolved = ResolveTrunk(trunk, before);
    if (!resolved.ok()) return resolved.status();
    if (trunk.domain.empty()) trunk.domain = trunk.host;
    table.resolved_.push_back(*std::move(resolved));
    table.trunks_.push_back(std::move(trunk));
  }
  return table;
}

const TrunkConfig* TrunkTable::FromSource(const sip::SocketAddress& source) const {
  const sip::IpAddress address = sip::IpAddress::From(source);
  for (size_t i = 0; i < trunks_.size(); ++i) {
    for (const sip::IpPrefix& prefix : resolved_[i].addresses) {
      if (prefix.Contains(address)) return &trunks_[i];
    }
  }
  return nullptr;
}

const TrunkConfig* TrunkTable::Named(std::string_view name) const {
  for (const TrunkConfig& trunk : trunks_) {
    if (trunk.name == name) return &trunk;
  }
  return nullptr;
}

const TrunkConfig* TrunkTable::ForHost(std::string_view host) const {
  for (const TrunkConfig& trunk : trunks_) {
    if (EqualsIgnoreCase(host, HostPart(trunk.domain)) ||
        EqualsIgnoreCase(host, HostPart(trunk.host))) {
      return &trunk;
    }
  }
  return nullptr;
}

const TrunkConfig* TrunkTable::OutboundFor(std::string_view number,
                                           const std::vector<std::string_view>& skip) const {
  for (const TrunkConfig& trunk : trunks_) {
    if (std::find(skip.begin(), skip.end(), std::string_view(trunk.name)) != skip.end()) continue;
    for (const std::string& pattern : trunk.dial_out_patterns) {
      if (MatchesPattern(pattern, number)) return &trunk;
    }
  }
  return nullptr;
}

sip::Destination TrunkTable::NextHop(const TrunkConfig& trunk) const {
  for (size_t i = 0; i < trunks_.size(); ++i) {
    if (&trunks_[i] == &trunk || trunks_[i].name == trunk.name) return resolved_[i].next_hop;
  }
  return {};
}

}  // namespace tutti::trunk
