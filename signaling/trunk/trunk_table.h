// The configured trunks, ready to use: who an inbound INVITE comes from,
// where a dial-out goes, and each trunk's next hop.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "signaling/sip/ip_prefix.h"
#include "signaling/sip/transport.h"
#include "signaling/trunk/trunk_config.h"

namespace tutti::trunk {

// OK, or what is wrong with one trunk's settings (its name, host syntax,
// transport, patterns, number rules, limits), naming the trunk; resolves
// nothing (TrunkTable::Make does that).
absl::Status CheckTrunkConfig(const TrunkConfig& trunk);

class TrunkTable {
 public:
  TrunkTable() = default;
  // Checks the trunks (unique names, addresses, host, patterns, transport)
  // and resolves their hosts (getaddrinfo, at load only). The error names
  // the trunk and what is wrong. On a reload, `before` is the table in use:
  // a trunk of the same name with the same host, outbound_proxy, transport
  // and addresses keeps the addresses it had, not looked up again (the
  // reload waits on no resolver for it, and a name with several addresses
  // does not move it to another registrar).
  static absl::StatusOr<TrunkTable> Make(std::vector<TrunkConfig> trunks,
                                         const TrunkTable* before = nullptr);

  // The trunk whose addresses hold `source`; null: none (a stranger or a
  // plain SIP caller).
  const TrunkConfig* FromSource(const sip::SocketAddress& source) const;
  const TrunkConfig* Named(std::string_view name) const;
  // The trunk a dial-out to `number` (canonical) goes through: the first,
  // in config order, whose dial_out_patterns match it and that is not
  // `skip` (a trunk marked down). Null: no trunk may reach it.
  const TrunkConfig* OutboundFor(std::string_view number,
                                 const std::vector<std::string_view>& skip = {}) const;
  // The trunk whose domain or host (its port aside) is `host`, whatever the
  // case: the only trunk a dial-out to a sip: URI may go through. Null: none.
  const TrunkConfig* ForHost(std::string_view host) const;
  // Where requests to the trunk go: its outbound proxy, else its host.
  sip::Destination NextHop(const TrunkConfig& trunk) const;

  const std::vector<TrunkConfig>& trunks() const { return trunks_; }
  bool empty() const { return trunks_.empty(); }

 private:
  struct Resolved {
    std::vector<sip::IpPrefix> addresses;
    sip::Destination next_hop;
  };
  // `trunk`'s addresses and next hop: `before`'s when it resolved the same
  // settings, else looked up now.
  static absl::StatusOr<Resolved> ResolveTrunk(const TrunkConfig& trunk, const TrunkTable* before);
  std::vector<TrunkConfig> trunks_;
  std::vector<Resolved> resolved_;  // same index as trunks_
};

}  // namespace tutti::trunk
