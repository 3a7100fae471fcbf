// SIP trunks as configured ([[trunk]] sections, [[dial_plan]] rules,
// [dial_out]): the carriers and PBXs tutti exchanges calls with. Plain data,
// filled by server/config and checked there; the classes of signaling/trunk
// work on it.
#pragma once

#include <string>
#include <vector>

namespace tutti::trunk {

// How numbers are read from and written for one trunk. tutti keeps a number
// in one canonical form: its digits in international format without a
// leading '+' ("442079460000"), or, when it cannot tell (a short extension,
// a national number with no country_code configured), its digits as dialled.
struct NumberRules {
  std::string country_code;                 // "44": national numbers become international
  std::string national_prefix = "0";        // "020 7946 0000" -> "442079460000"
  std::string international_prefix = "00";  // "00442079460000" -> "442079460000"
  // How numbers are written to this trunk (Request-URI, To, From for our
  // caller ID): "+e164" (+442079460000), "e164" (442079460000) or
  // "national" (02079460000, needs country_code).
  std::string format = "+e164";
  // ;user=phone on the sip: URIs we send (RFC 3261 §19.1.1).
  bool user_phone = true;

  bool operator==(const NumberRules&) const = default;
};

struct TrunkConfig {
  std::string name;  // unique; in logs, call records, events, metrics

  // Where its calls come from (IPs or CIDR blocks): an INVITE from one of
  // these is the trunk's call. Empty: the addresses `host` resolves to.
  std::vector<std::string> addresses;
  // Where our requests go: "host[:port]", an IP or a name resolved at load
  // (the registrar, or the carrier's SIP address). Also the domain of the
  // URIs we send unless `domain` says otherwise.
  std::string host;
  std::string domain;
  // Sent here instead (a loose route, RFC 3261 §16.12), when set.
  std::string outbound_proxy;
  std::string transport = "udp";  // "udp" or "tcp"

  // Digest credentials (RFC 8760: MD5 and SHA-256) for REGISTER and for
  // our INVITEs when challenged (401/407). No username: none.
  std::string username;
  std::string auth_username;  // the digest user when it differs from username
  std::string password;

  // REGISTER to `host` as username@domain, refreshed before `register_expires_s`
  // runs out, retried with back-off when refused or unanswered.
  bool register_ = false;
  int register_expires_s = 600;
  // OPTIONS to `host` every this many seconds (0: none): a trunk that stops
  // answering is marked down (dial-outs go to another or fail at once).
  int options_interval_s = 30;

  NumberRules numbers;
  // The caller ID of our dial-outs when the request names none.
  std::string caller_id;
  // Audio codecs offered and preferred on this trunk, in order (empty: the
  // server's), e.g. ["G729", "PCMA", "PCMU"].
  std::vector<std::string> codecs;

  // Calls in both directions at once (0: no limit) and new calls per second
  // (0: no limit); past either an inbound call gets 503 and a dial-out is refused.
  int max_calls = 0;
  double max_calls_per_second = 0;

  // The toll-fraud guard: the only numbers dial-outs may reach through this
  // trunk (dial plan patterns, dial_plan.h). Empty: no dial-out through it.
  std::vector<std::string> dial_out_patterns;
  int max_dial_outs = 10;            // at once
  int max_dial_outs_per_hour = 100;  // started in the last hour

  // Inbound calls the dial plan sends to the IVR are answered with 183
  // Session Progress and SDP first, so the IVR speaks before the call is
  // answered (and billed).
  bool early_media = false;
  // RFC 3262 reliable provisionals: "supported" (used when the carrier asks),
  // "required" (Require: 100rel on our INVITEs) or "off".
  std::string prack = "supported";

  bool operator==(const TrunkConfig&) const = default;
};

// One rule of the inbound dial plan: the first rule whose pattern matches
// the called number (and whose trunk, when set, is the call's) decides.
struct DialPlanRule {
  std::string match;  // a dial plan pattern (dial_plan.h), e.g. "442079460001" or "4420794600XX"
  std::string trunk;  // only calls from this trunk; empty: any trunk
  // Exactly one of: a room (by name), or the IVR.
  std::string room;
  bool ivr = false;
  // With ivr: the room number is pre-filled from the called number's last
  // this many digits (0: the caller types it).
  int ivr_room_digits = 0;

  bool operator==(const DialPlanRule&) const = default;
};

// Dial-outs from rooms ([dial_out]).
struct DialOutConfig {
  int max_per_room = 5;            // ringing or answered at once
  int max_per_room_per_hour = 30;  // started in the last hour
  int answer_timeout_s = 45;       // CANCELled when not answered by then (API may ask less)

  bool operator==(const DialOutConfig&) const = default;
};

// [trunks]: calls from addresses no trunk has.
struct TrunkPolicy {
  // An INVITE from no trunk's address is taken when it names a room (or the
  // IVR) by name, as before trunks existed; false: 403 for all of them.
  bool allow_room_calls_from_anywhere = true;

  bool operator==(const TrunkPolicy&) const = default;
};

}  // namespace tutti::trunk
