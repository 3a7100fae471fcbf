#include "server/config/config.h"

#include <arpa/inet.h>

#include <algorithm>
#include <fstream>
#include <optional>
#include <sstream>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/strings.h"
#include "server/config/table_reader.h"
#include "server/config/trunks_config.h"
#include "signaling/call/room_video.h"
#include "signaling/sdp/offer_answer.h"
#include "signaling/sip/ip_prefix.h"
#include "signaling/sip/source_filter.h"
#include "toml++/toml.h"

namespace tutti {
namespace {

using config_internal::LineError;
using config_internal::TableReader;

// [sip] listen: IP literals, each once, none v4-mapped, a wildcard alone in
// its family (it already covers the others: binding both would fail).
absl::Status ReadListen(TableReader& r, SipConfig* sip) {
  std::vector<std::string> entries = sip->listen_addresses;
  if (absl::Status s = r.StringOrList("listen", &entries); !s.ok()) return s;
  if (entries.empty()) return r.Error("listen", "must name an address");
  sip->listen_addresses.clear();
  std::vector<sip::SocketAddress> seen;
  for (const std::string& entry : entries) {
    const std::optional<sip::SocketAddress> address = sip::SocketAddress::FromIpPort(entry, 0);
    if (!address) {
      return r.Error(
          "listen",
          StrCat("has \"", entry, "\", not an IPv4 or IPv6 address (host names are not bound)"));
    }
    if (!address->is_ipv6() && entry.find(':') != std::string::npos) {
      return r.Error("listen", StrCat("has \"", entry, "\", an IPv4-mapped IPv6 address: write ",
                                      address->ip()));
    }
    for (const sip::SocketAddress& other : seen) {
      if (other.family() != address->family()) continue;
      if (other == *address || other.is_wildcard() || address->is_wildcard()) {
        return r.Error("listen", StrCat("has ", other.ip(), " and ", address->ip(),
                                        ": an address twice, or beside its family's wildcard"));
      }
    }
    seen.push_back(*address);
    sip->listen_addresses.push_back(address->ip());
  }
  return absl::OkStatus();
}

// [sip] advertised_address: a host name (both families) and/or one IPv4 and
// one IPv6 address; a family left out takes its first listen address.
absl::Status ReadAdvertised(TableReader& r, SipConfig* sip) {
  std::vector<std::string> entries;
  if (absl::Status s = r.StringOrList("advertised_address", &entries); !s.ok()) return s;
  sip->advertised_ipv4.clear();
  sip->advertised_ipv6.clear();
  std::string name;
  for (const std::string& entry : entries) {
    if (entry.empty()) continue;  // "": the default
    const std::optional<sip::SocketAddress> address = sip::SocketAddress::FromIpPort(entry, 0);
    std::string* slot = !address             ? &name
                        : address->is_ipv6() ? &sip->advertised_ipv6
                                             : &sip->advertised_ipv4;
    if (address && address->is_wildcard()) {
      return r.Error("advertised_address", StrCat("has ", entry, ", which no caller can reach"));
    }
    if (!address && entry.find_first_of(":[]/ \t\"<>;") != std::string::npos) {
      return r.Error("advertised_address",
                     StrCat("has \"", entry, "\", neither a host name nor an IP address"));
    }
    if (!slot->empty()) {
      return r.Error("advertised_address",
                     "has more than one host name, IPv4 or IPv6 address (at most one of each)");
    }
    *slot = address ? address->ip() : entry;
  }
  for (const bool ipv6 : {false, true}) {
    std::string& advertised = ipv6 ? sip->advertised_ipv6 : sip->advertised_ipv4;
    if (advertised.empty()) advertised = name;
    for (const std::string& listen : sip->listen_addresses) {
      const sip::SocketAddress address = *sip::SocketAddress::FromIpPort(listen, 0);
      if (!advertised.empty() || address.is_ipv6() != ipv6) continue;
      if (address.is_wildcard()) {
        return r.Error("listen",
                       StrCat("has ", listen, ", every address: set advertised_address to the ",
                              ipv6 ? "IPv6" : "IPv4", " address callers reach"));
      }
      advertised = listen;
    }
  }
  return absl::OkStatus();
}

absl::Status ReadSip(TableReader& r, SipConfig* sip) {
  absl::Status s;
  if (!(s = ReadListen(r, sip)).ok()) return s;
  if (!(s = r.Integer("port", &sip->port, 1, 65535)).ok()) return s;
  std::vector<std::string> transports = {"udp", "tcp"};
  if (!(s = r.StringList("transports", &transports)).ok()) return s;
  sip->udp = sip->tcp = sip->tls = false;
  for (const std::string& transport : transports) {
    if (transport == "udp") {
      sip->udp = true;
    } else if (transport == "tcp") {
      sip->tcp = true;
    } else if (transport == "tls") {
      sip->tls = true;
    } else {
      return r.Error("transports",
                     absl::StrCat("has \"", transport, "\"; known are udp, tcp, tls"));
    }
  }
  if (!(s = ReadAdvertised(r, sip)).ok()) return s;
  if (!(s = r.Integer("max_message_bytes", &sip->max_message_bytes, 1024, 1 << 20)).ok()) return s;
  if (!(s = r.Integer("max_tcp_connections", &sip->max_tcp_connections, 1, 1 << 20)).ok()) return s;
  if (!(s = r.Integer("max_tcp_connections_per_source", &sip->max_tcp_connections_per_source, 1,
                      1 << 20))
           .ok()) {
    return s;
  }
  if (!(s = r.Integer("tcp_idle_timeout_s", &sip->tcp_idle_timeout_s, 1, 86400)).ok()) return s;
  if (!(s = r.Integer("answer_delay_ms", &sip->answer_delay_ms, 0, 60000)).ok()) return s;
  if (!(s = r.Integer("session_min_se_s", &sip->session_min_se_s, 1, 86400)).ok()) return s;
  if (!(s = r.Integer("session_expires_s", &sip->session_expires_s, 1, 86400)).ok()) return s;
  // --- Slow streams and SIP over TLS.
  if (!(s = r.Integer("tcp_message_timeout_s", &sip->tcp_message_timeout_s, 1, 300)).ok()) return s;
  if (!(s = r.Integer("tls_port", &sip->tls_port, 1, 65535)).ok()) return s;
  if (!(s = r.String("tls_certificate", &sip->tls_certificate)).ok()) return s;
  if (!(s = r.String("tls_private_key", &sip->tls_private_key)).ok()) return s;
  if (!(s = r.String("tls_ca_file", &sip->tls_ca_file)).ok()) return s;
  if (!(s = r.Bool("tls_verify_client", &sip->tls_verify_client)).ok()) return s;
  if (!(s = r.String("tls_min_version", &sip->tls_min_version)).ok()) return s;
  if (sip->tls_min_version != "1.2" && sip->tls_min_version != "1.3") {
    return r.Error("tls_min_version", "must be \"1.2\" or \"1.3\"");
  }
  if (!(s = r.String("tls_ciphers", &sip->tls_ciphers)).ok()) return s;
  if (!(s = r.Integer("tls_handshake_timeout_s", &sip->tls_handshake_timeout_s, 1, 60)).ok()) {
    return s;
  }
  // Who may call.
  if (!(s = r.String("auth", &sip->auth)).ok()) return s;
  if (sip->auth != "none" && sip->auth != "all") {
    return r.Error("auth", "must be \"none\" or \"all\"");
  }
  if (!(s = r.String("realm", &sip->realm)).ok()) return s;
  if (sip->realm.empty() || sip->realm.find_first_of("\"\\\r\n") != std::string::npos) {
    return r.Error("realm", "must be non-empty, without quotes, backslashes or line breaks");
  }
  if (!(s = r.StringList("auth_algorithms", &sip->auth_algorithms)).ok()) return s;
  if (sip->auth_algorithms.empty()) return r.Error("auth_algorithms", "must name an algorithm");
  for (const std::string& algorithm : sip->auth_algorithms) {
    if (algorithm != "SHA-256" && algorithm != "MD5") {
      return r.Error("auth_algorithms",
                     absl::StrCat("has \"", algorithm, "\"; known are SHA-256, MD5"));
    }
  }
  if (!(s = r.Integer("nonce_lifetime_s", &sip->nonce_lifetime_s, 10, 86400)).ok()) return s;
  if (!(s = r.StringList("allow", &sip->allow)).ok()) return s;
  if (!(s = r.StringList("deny", &sip->deny)).ok()) return s;
  if (absl::StatusOr<sip::SourceFilter> filter = sip::SourceFilter::Make(sip->allow, sip->deny);
      !filter.ok()) {
    return r.Error(sip->allow.empty() ? "deny" : "allow", std::string(filter.status().message()));
  }
  return r.RejectUnknown();
}

// Why a list of video codec names is refused; nullopt when it is fine. A
// room's may be empty (the server's list), the server's may not.
std::optional<std::string> VideoCodecsFault(const std::vector<std::string>& names, bool empty_ok) {
  if (names.empty() && !empty_ok) return "must name at least one of VP8, VP9, H264";
  absl::flat_hash_set<std::string> seen;
  for (const std::string& name : names) {
    if (name != "VP8" && name != "VP9" && name != "H264") {
      return StrCat("has \"", name, "\"; known are VP8, VP9, H264");
    }
    if (!seen.insert(name).second) return StrCat("names \"", name, "\" twice");
  }
  return std::nullopt;
}

// What is wrong with an audio codec list, if anything.
std::optional<std::string> AudioCodecsFault(const std::vector<std::string>& codecs) {
  for (const std::string& codec : codecs) {
    if (!sdp::AudioCodecNamed(codec)) {
      return absl::StrCat("has \"", codec, "\"; known are ", std::string(sdp::kAudioCodecNames));
    }
  }
  if (codecs.empty()) return "must name at least one codec";
  return std::nullopt;
}

absl::Status ReadMedia(TableReader& r, MediaConfig* media) {
  absl::Status s;
  if (!(s = r.String("backend", &media->backend)).ok()) return s;
  if (!(s = r.String("kernel_io", &media->kernel_io)).ok()) return s;
  if (!(s = r.String("address", &media->address)).ok()) return s;
  if (!(s = r.String("address6", &media->address6)).ok()) return s;
  if (!(s = r.Integer("rtp_port_min", &media->rtp_port_min, 1024, 65534)).ok()) return s;
  if (!(s = r.Integer("rtp_port_max", &media->rtp_port_max, 1025, 65535)).ok()) return s;
  if (!(s = r.Integer("workers", &media->workers, 1, 256)).ok()) return s;
  if (!(s = r.IntegerList("cores", &media->cores, 0, 4095)).ok()) return s;
  if (!(s = r.Integer("max_talkers", &media->max_talkers, 1, 16)).ok()) return s;
  if (!(s = r.Bool("share_encoding", &media->share_encoding)).ok()) return s;
  if (!(s = r.Integer("rtp_timeout_s", &media->rtp_timeout_s, 0, 86400)).ok()) return s;
  if (!(s = r.Integer("unverified_send_s", &media->unverified_send_s, 0, 3600)).ok()) return s;
  if (!(s = r.Integer("consent_timeout_s", &media->consent_timeout_s, 0, 3600)).ok()) return s;
  if (!(s = r.Number("admit_load", &media->admit_load, 0, 1)).ok()) return s;
  if (!(s = r.Integer("max_participants_per_worker", &media->max_participants_per_worker, 0,
                      1'000'000))
           .ok()) {
    return s;
  }
  if (!(s = r.String("full_worker", &media->full_worker)).ok()) return s;
  if (media->full_worker != "refuse" && media->full_worker != "admit") {
    return r.Error("full_worker", "must be \"refuse\" or \"admit\"");
  }
  if (!(s = r.Number("shed_load", &media->shed_load, 0, 1)).ok()) return s;
  if (!(s = r.Number("restore_load", &media->restore_load, 0, 1)).ok()) return s;
  if (media->shed_load > 0 && media->restore_load >= media->shed_load) {
    return r.Error("restore_load", "must be below shed_load (or shed_load 0: no shedding)");
  }
  if (!(s = r.Bool("spread_ticks", &media->spread_ticks)).ok()) return s;

  if (!(s = r.String("srtp", &media->srtp)).ok()) return s;
  if (!ValidSrtpPolicy(media->srtp, false)) {
    return r.Error("srtp", "must be \"required\", \"optional\" or \"off\"");
  }
  if (!(s = r.Bool("sdes_over_plain_sip", &media->sdes_over_plain_sip)).ok()) return s;
  if (!(s = r.Integer("dtls_handshake_timeout_s", &media->dtls_handshake_timeout_s, 1, 60)).ok()) {
    return s;
  }
  if (!(s = r.StringList("audio_codecs", &media->audio_codecs)).ok()) return s;
  if (std::optional<std::string> fault = AudioCodecsFault(media->audio_codecs)) {
    return r.Error("audio_codecs", *fault);
  }
  if (!(s = r.StringList("video_codecs", &media->video_codecs)).ok()) return s;
  if (std::optional<std::string> fault = VideoCodecsFault(media->video_codecs, false)) {
    return r.Error("video_codecs", *fault);
  }
  if (!(s = r.Integer("video_max_kbps", &media->video_max_kbps, 0, 1000000)).ok()) return s;
  return r.RejectUnknown();
}

absl::Status ReadDpdk(TableReader& r, DpdkConfig* dpdk) {
  absl::Status s;
  if (!(s = r.StringList("eal_args", &dpdk->eal_args)).ok()) return s;
  if (!(s = r.String("port", &dpdk->port)).ok()) return s;
  if (!(s = r.Integer("prefix_length", &dpdk->prefix_length, 1, 32)).ok()) return s;
  if (!(s = r.String("gateway", &dpdk->gateway)).ok()) return s;
  if (!(s = r.String("gateway_mac", &dpdk->gateway_mac)).ok()) return s;
  if (!(s = r.Integer("vlan", &dpdk->vlan, 0, 4094)).ok()) return s;
  if (!(s = r.Integer("rx_descriptors", &dpdk->rx_descriptors, 64, 16384)).ok()) return s;
  if (!(s = r.Integer("tx_descriptors", &dpdk->tx_descriptors, 64, 16384)).ok()) return s;
  if (!(s = r.Integer("mbufs", &dpdk->mbufs, 0, 16777215)).ok()) return s;
  if (!(s = r.Integer("idle_sleep_us", &dpdk->idle_sleep_us, 0, 10000)).ok()) return s;
  return r.RejectUnknown();
}

absl::Status ReadLimits(TableReader& r, LimitsConfig* limits) {
  absl::Status s;
  if (!(s = r.Integer("max_calls", &limits->max_calls, 1, 10000000)).ok()) return s;
  if (!(s = r.Integer("max_requests_per_second", &limits->max_requests_per_second, 1, 10000000))
           .ok()) {
    return s;
  }
  if (!(s = r.Integer("burst_requests", &limits->burst_requests, 1, 10000000)).ok()) return s;
  if (!(s = r.Integer("retry_after_s", &limits->retry_after_s, 1, 3600)).ok()) return s;
  // Per source, and the transaction caps (issue 13).
  const std::pair<const char*, int*> per_source[] = {
      {"max_calls_per_source", &limits->max_calls_per_source},
      {"max_requests_per_source_per_second", &limits->max_requests_per_source_per_second},
      {"burst_requests_per_source", &limits->burst_requests_per_source},
      {"max_dialog_requests_per_second", &limits->max_dialog_requests_per_second},
      {"burst_dialog_requests", &limits->burst_dialog_requests},
      {"max_dialog_requests_per_source_per_second",
       &limits->max_dialog_requests_per_source_per_second},
      {"burst_dialog_requests_per_source", &limits->burst_dialog_requests_per_source},
  };
  for (const auto& [key, value] : per_source) {
    if (!(s = r.Integer(key, value, 0, 10000000)).ok()) return s;
  }
  if (!(s = r.StringList("unlimited_sources", &limits->unlimited_sources)).ok()) return s;
  if (absl::StatusOr<sip::IpPrefixSet> set = sip::IpPrefixSet::Parse(limits->unlimited_sources);
      !set.ok()) {
    return r.Error("unlimited_sources", std::string(set.status().message()));
  }
  if (!(s = r.Integer("max_tracked_sources", &limits->max_tracked_sources, 1, 10000000)).ok()) {
    return s;
  }
  if (!(s = r.Integer("max_transactions", &limits->max_transactions, 16, 100000000)).ok()) {
    return s;
  }
  if (!(s = r.Integer("max_transaction_bytes", &limits->max_transaction_bytes, 65536,
                      int64_t{1} << 40))
           .ok()) {
    return s;
  }
  return r.RejectUnknown();
}

absl::Status ReadLog(TableReader& r, LogConfig* log) {
  absl::Status s;
  if (!(s = r.String("level", &log->level)).ok()) return s;
  if (!(s = r.String("format", &log->format)).ok()) return s;
  return r.RejectUnknown();
}

}  // namespace

bool ValidSrtpPolicy(std::string_view policy, bool empty_ok) {
  return policy == "required" || policy == "optional" || policy == "off" ||
         (empty_ok && policy.empty());
}

bool ValidPin(std::string_view pin) {
  return pin.size() <= 16 && pin.find_first_not_of("0123456789") == std::string_view::npos;
}

namespace {

absl::Status ReadRoom(TableReader& r, RoomConfig* room) {
  absl::Status s;
  if (!(s = r.String("name", &room->name)).ok()) return s;
  if (!(s = r.StringList("codecs", &room->codecs)).ok()) return s;
  if (!(s = r.Integer("max_participants", &room->max_participants, 0, 1000000)).ok()) return s;
  if (!(s = r.Bool("locked", &room->locked)).ok()) return s;
  if (!(s = r.Bool("announce_joins", &room->announce_joins)).ok()) return s;
  if (!(s = r.Bool("record", &room->record)).ok()) return s;
  if (!(s = r.String("pin", &room->pin)).ok()) return s;
  if (!(s = r.String("moderator_pin", &room->moderator_pin)).ok()) return s;
  if (!(s = r.Integer("max_talkers", &room->max_talkers, 0, 16)).ok()) return s;
  if (!(s = r.Bool("noise_suppression", &room->noise_suppression)).ok()) return s;
  if (!(s = r.Bool("agc", &room->agc)).ok()) return s;
  if (!(s = r.Integer("noise_suppression_db", &room->noise_suppression_db, kMinNoiseSuppressionDb,
                      kMaxNoiseSuppressionDb))
           .ok()) {
    return s;
  }
  if (!(s = r.Bool("wait_for_moderator", &room->wait_for_moderator)).ok()) return s;
  if (!(s = r.Bool("end_when_moderator_leaves", &room->end_when_moderator_leaves)).ok()) return s;
  if (!(s = r.Bool("announce_count", &room->announce_count)).ok()) return s;
  if (!(s = r.Bool("music_when_alone", &room->music_when_alone)).ok()) return s;
  std::string video_mode(VideoModeName(room->video_mode));
  if (!(s = r.String("video_mode", &video_mode)).ok()) return s;
  const std::optional<mixer::VideoMode> mode = ParseVideoMode(video_mode, /*default_ok=*/true);
  if (!mode) {
    return r.Error("video_mode",
                   StrCat("must be one of ", kVideoModeNames, " or \"default\" ([video] mode)"));
  }
  room->video_mode = *mode;
  if (!(s = r.Integer("video_hold_ms", &room->video_hold_ms, 0, kMaxVideoHoldMs)).ok()) return s;
  if (!(s = r.StringList("video_codecs", &room->video_codecs)).ok()) return s;
  if (std::optional<std::string> fault = VideoCodecsFault(room->video_codecs, true)) {
    return r.Error("video_codecs", *fault);
  }

  if (!(s = r.String("srtp", &room->srtp)).ok()) return s;
  if (!ValidSrtpPolicy(room->srtp, true)) {
    return r.Error("srtp", "must be \"required\", \"optional\", \"off\" or empty ([media] srtp)");
  }

  bool auth = false;
  if (!(s = r.Bool("auth", &auth)).ok()) return s;
  if (r.Has("auth")) room->auth = auth;
  if (!ValidPin(room->pin)) return r.Error("pin", "must be 1-16 digits (0-9), or empty for none");
  if (!ValidPin(room->moderator_pin)) {
    return r.Error("moderator_pin", "must be 1-16 digits (0-9), or empty for none");
  }
  if (!room->pin.empty() && room->pin == room->moderator_pin) {
    return r.Error("moderator_pin", "must differ from pin");
  }
  return r.RejectUnknown();
}

bool IsHex(std::string_view text, size_t length) {
  return text.size() == length &&
         text.find_first_not_of("0123456789abcdefABCDEF") == std::string_view::npos;
}

absl::Status ReadUser(TableReader& r, UserConfig* user) {
  absl::Status s;
  if (!(s = r.String("name", &user->name)).ok()) return s;
  if (!(s = r.String("password", &user->password)).ok()) return s;
  if (!(s = r.String("ha1", &user->ha1)).ok()) return s;
  if (!(s = r.String("ha1_sha256", &user->ha1_sha256)).ok()) return s;
  if (user->name.empty() || user->name.find_first_of("\"\\:\r\n") != std::string::npos) {
    return r.Error("name", "must be non-empty, without quotes, backslashes, colons or line breaks");
  }
  // Never echo a secret in an error: say what is wrong, not what was written.
  if (!user->ha1.empty() && !IsHex(user->ha1, 32)) {
    return r.Error("ha1", "must be 32 hex digits (MD5 of name:realm:password)");
  }
  if (!user->ha1_sha256.empty() && !IsHex(user->ha1_sha256, 64)) {
    return r.Error("ha1_sha256", "must be 64 hex digits (SHA-256 of name:realm:password)");
  }
  if (user->password.empty() && user->ha1.empty() && user->ha1_sha256.empty()) {
    return r.Error("name", "needs a password, ha1 or ha1_sha256");
  }
  return r.RejectUnknown();
}

absl::Status ReadIvr(TableReader& r, IvrConfig* ivr) {
  absl::Status s;
  if (!(s = r.String("number", &ivr->number)).ok()) return s;
  if (!(s = r.Integer("max_attempts", &ivr->max_attempts, 1, 10)).ok()) return s;
  if (!(s = r.Integer("digit_timeout_s", &ivr->digit_timeout_s, 1, 60)).ok()) return s;
  if (!(s = r.Integer("max_pin_failures_per_source", &ivr->max_pin_failures_per_source, 1, 1000))
           .ok()) {
    return s;
  }
  if (!(s = r.Integer("max_pin_failures_per_room", &ivr->max_pin_failures_per_room, 1, 100000))
           .ok()) {
    return s;
  }
  if (!(s = r.Integer("pin_window_s", &ivr->pin_window_s, 1, 86400)).ok()) return s;
  if (!(s = r.Integer("pin_lockout_s", &ivr->pin_lockout_s, 1, 86400)).ok()) return s;
  if (!(s = r.Integer("pin_room_delay_ms", &ivr->pin_room_delay_ms, 1, 60000)).ok()) return s;
  if (!(s = r.Integer("pin_room_max_delay_s", &ivr->pin_room_max_delay_s, 0, 300)).ok()) return s;
  return r.RejectUnknown();
}

absl::Status ReadRecording(TableReader& r, RecordingConfig* recording) {
  absl::Status s;
  if (!(s = r.String("dir", &recording->dir)).ok()) return s;
  if (!(s = r.String("format", &recording->format)).ok()) return s;
  if (recording->format != "ogg" && recording->format != "wav") {
    return r.Error("format", "must be \"ogg\" or \"wav\"");
  }
  return r.RejectUnknown();
}

absl::Status ReadPrompts(TableReader& r, PromptsConfig* prompts) {
  absl::Status s;
  if (!(s = r.String("dir", &prompts->dir)).ok()) return s;
  return r.RejectUnknown();
}

absl::Status ReadVideo(TableReader& r, VideoConfig* video) {
  absl::Status s;
  if (!(s = r.String("mode", &video->mode)).ok()) return s;
  if (!ParseVideoMode(video->mode, /*default_ok=*/false)) {
    return r.Error("mode", StrCat("must be one of ", kVideoModeNames));
  }
  if (!(s = r.Integer("hold_ms", &video->hold_ms, 0, kMaxVideoHoldMs)).ok()) return s;
  if (!(s = r.Integer("unwatched_kbps", &video->unwatched_kbps, 0, 100000)).ok()) return s;
  // Not 0: receivers' requests could then make a source send nothing but keyframes.
  if (!(s = r.Integer("keyframe_request_interval_ms", &video->keyframe_request_interval_ms, 20,
                      10000))
           .ok()) {
    return s;
  }
  return r.RejectUnknown();
}

// A MIME type as a MESSAGE's Content-Type names it: type "/" subtype, no
// parameters (they are compared without them).
bool IsMediaType(std::string_view type) {
  const size_t slash = type.find('/');
  return slash != std::string_view::npos && slash > 0 && slash + 1 < type.size() &&
         type.find('/', slash + 1) == std::string_view::npos &&
         type.find_first_of(" \t;,\"\r\n") == std::string_view::npos;
}

absl::Status ReadMessaging(TableReader& r, MessagingConfig* messaging) {
  absl::Status s;
  if (!(s = r.Bool("enabled", &messaging->enabled)).ok()) return s;
  if (!(s = r.Integer("max_message_bytes", &messaging->max_message_bytes, 1, 1 << 20)).ok()) {
    return s;
  }
  if (!(s = r.StringList("content_types", &messaging->content_types)).ok()) return s;
  for (std::string& type : messaging->content_types) {
    if (!IsMediaType(type)) {
      return r.Error("content_types",
                     StrCat("has \"", type, "\", not a type/subtype such as text/plain"));
    }
    type = AsciiLowered(type);
  }
  if (!(s = r.Bool("relay_other_types", &messaging->relay_other_types)).ok()) return s;
  if (messaging->content_types.empty() && !messaging->relay_other_types) {
    return r.Error("content_types",
                   "must name a type (e.g. \"text/plain\") unless relay_other_types is true");
  }
  if (!(s = r.Integer("history", &messaging->history, 0, 100000)).ok()) return s;
  if (!(s = r.Integer("replay_on_join", &messaging->replay_on_join, 0, 100000)).ok()) return s;
  if (messaging->replay_on_join > messaging->history) {
    return r.Error("replay_on_join", "must not exceed messaging.history (what is kept)");
  }
  if (!(s = r.Integer("max_in_flight_per_room", &messaging->max_in_flight_per_room, 1, 1000000))
           .ok()) {
    return s;
  }
  return r.RejectUnknown();
}

absl::Status ReadMsrp(TableReader& r, MsrpConfig* msrp) {
  absl::Status s;
  if (!(s = r.String("listen", &msrp->listen)).ok()) return s;
  if (!msrp->listen.empty() && !sip::SocketAddress::FromIpPort(msrp->listen, 0)) {
    return r.Error("listen", "must be an IPv4 or IPv6 address, or \"\" for [sip] listen's first");
  }
  if (!(s = r.Integer("port", &msrp->port, 0, 65535)).ok()) return s;
  if (!(s = r.String("advertised_host", &msrp->advertised_host)).ok()) return s;
  if (msrp->advertised_host.find_first_of("[]/ \t\"<>;@") != std::string::npos) {
    return r.Error("advertised_host", "must be a host name or an IP address");
  }
  if (!(s = r.Integer("max_chunk_bytes", &msrp->max_chunk_bytes, 1024, 16 << 20)).ok()) return s;
  if (!(s = r.Integer("max_message_bytes", &msrp->max_message_bytes, 1024, 64 << 20)).ok()) {
    return s;
  }
  if (!(s = r.Integer("chunk_bytes", &msrp->chunk_bytes, 256, 1 << 20)).ok()) return s;
  if (!(s = r.Integer("max_connections", &msrp->max_connections, 1, 1000000)).ok()) return s;
  if (!(s = r.Integer("max_connections_per_source", &msrp->max_connections_per_source, 1, 1000000))
           .ok()) {
    return s;
  }
  if (msrp->max_connections_per_source > msrp->max_connections) {
    return r.Error("max_connections_per_source", "must not exceed msrp.max_connections");
  }
  if (!(s = r.Integer("max_queued_kb", &msrp->max_queued_kb, 64, 1 << 20)).ok()) return s;
  if (!(s = r.Integer("connect_timeout_s", &msrp->connect_timeout_s, 1, 600)).ok()) return s;
  return r.RejectUnknown();
}

absl::Status ReadFiles(TableReader& r, FilesConfig* files) {
  absl::Status s;
  if (!(s = r.String("dir", &files->dir)).ok()) return s;
  if (files->dir.empty()) return r.Error("dir", "must name a directory");
  if (!(s = r.Integer("max_file_mb", &files->max_file_mb, 1, 1 << 20)).ok()) return s;
  if (!(s = r.Integer("max_files_per_room", &files->max_files_per_room, 1, 100000)).ok()) {
    return s;
  }
  if (!(s = r.Integer("max_room_mb", &files->max_room_mb, 1, 1 << 24)).ok()) return s;
  if (files->max_file_mb > files->max_room_mb) {
    return r.Error("max_file_mb", "must not exceed files.max_room_mb");
  }
  return r.RejectUnknown();
}

// [msrp] listen and advertised_host left empty follow [sip]: its first
// listen address, and for a wildcard its advertised address of that family.
absl::Status ResolveMsrpAddresses(const toml::table& root, std::string_view origin,
                                  Config* config) {
  MsrpConfig& msrp = config->msrp;
  if (msrp.listen.empty()) msrp.listen = config->sip.listen_addresses.front();
  if (!msrp.advertised_host.empty()) return absl::OkStatus();
  const sip::SocketAddress address = *sip::SocketAddress::FromIpPort(msrp.listen, 0);
  msrp.advertised_host = !address.is_wildcard() ? address.ip()
                         : address.is_ipv6()    ? config->sip.advertised_ipv6
                                                : config->sip.advertised_ipv4;
  if (msrp.advertised_host.empty()) {
    const toml::node* node = root.at_path("msrp.listen").node();
    return LineError(origin, node ? node->source().begin.line : 0, "msrp.listen is ", msrp.listen,
                     ", every address: set msrp.advertised_host to the address members reach");
  }
  return absl::OkStatus();
}

absl::Status ReadConferenceEvents(TableReader& r, ConferenceEventsConfig* events) {
  absl::Status s;
  if (!(s = r.String("roster", &events->roster)).ok()) return s;
  if (events->roster != "open_rooms" && events->roster != "participants") {
    return r.Error("roster", "must be \"open_rooms\" or \"participants\"");
  }
  if (!(s = r.Integer("max_subscriptions", &events->max_subscriptions, 0, 1000000)).ok()) return s;
  if (!(s = r.Integer("max_subscriptions_per_room", &events->max_subscriptions_per_room, 0,
                      1000000))
           .ok()) {
    return s;
  }
  if (!(s = r.Integer("max_subscriptions_per_source", &events->max_subscriptions_per_source, 0,
                      1000000))
           .ok()) {
    return s;
  }
  if (!(s = r.Integer("min_expires_s", &events->min_expires_s, 1, 86400)).ok()) return s;
  if (!(s = r.Integer("max_expires_s", &events->max_expires_s, 1, 86400)).ok()) return s;
  if (events->max_expires_s < events->min_expires_s) {
    return r.Error("max_expires_s", "must not be below min_expires_s");
  }
  if (!(s = r.Integer("talking_interval_ms", &events->talking_interval_ms, 0, 60000)).ok()) {
    return s;
  }
  return r.RejectUnknown();
}

absl::Status ReadRecords(TableReader& r, RecordsConfig* records) {
  absl::Status s;
  if (!(s = r.String("path", &records->path)).ok()) return s;
  return r.RejectUnknown();
}

absl::Status ReadStore(TableReader& r, StoreConfig* store) {
  absl::Status s;
  if (!(s = r.String("path", &store->path)).ok()) return s;
  return r.RejectUnknown();
}

absl::Status ReadApi(TableReader& r, ApiConfig* api) {
  absl::Status s;
  if (!(s = r.Bool("enabled", &api->enabled)).ok()) return s;
  if (!(s = r.String("listen", &api->listen)).ok()) return s;
  if (!(s = r.Integer("port", &api->port, 0, 65535)).ok()) return s;
  if (!(s = r.String("token", &api->token)).ok()) return s;
  if (!(s = r.String("token_file", &api->token_file)).ok()) return s;
  if (!(s = r.Integer("max_connections", &api->max_connections, 1, 10000)).ok()) return s;
  if (!(s = r.Integer("max_connections_per_client", &api->max_connections_per_client, 1, 10000))
           .ok()) {
    return s;
  }
  if (!(s = r.Integer("max_event_streams", &api->max_event_streams, 0, 10000)).ok()) return s;
  if (!(s = r.Integer("request_timeout_s", &api->request_timeout_s, 1, 300)).ok()) return s;
  if (api->max_connections_per_client > api->max_connections) {
    return r.Error("max_connections_per_client", "must not exceed api.max_connections");
  }
  if (api->max_event_streams >= api->max_connections) {
    return r.Error("max_event_streams",
                   "must be below api.max_connections (streams would leave no connection for "
                   "requests)");
  }
  if (!api->token.empty() && !api->token_file.empty()) {
    return r.Error("token_file", "and api.token are both set: keep one");
  }
  return r.RejectUnknown();
}

// What the media addresses may be, or why not ([media] address, address6).
std::optional<std::string> MediaAddressProblem(const MediaConfig& media, bool* in_address6) {
  *in_address6 = false;
  in_addr v4{};
  if (inet_pton(AF_INET, media.address.c_str(), &v4) != 1) {
    return media.backend == "dpdk"
               ? "media.address must be an IPv4 address with the DPDK backend"
               : "media.address must be an IPv4 address (IPv6 media: media.address6)";
  }
  if (media.address6.empty()) return std::nullopt;
  *in_address6 = true;
  in6_addr v6{};
  if (inet_pton(AF_INET6, media.address6.c_str(), &v6) != 1 || IN6_IS_ADDR_V4MAPPED(&v6)) {
    return "media.address6 must be an IPv6 address, or \"\" for no IPv6 media";
  }
  // It is the c= of our SDP: callers must be able to send to it.
  if (IN6_IS_ADDR_UNSPECIFIED(&v6) || IN6_IS_ADDR_MULTICAST(&v6)) {
    return "media.address6 must be one address callers can send to, not :: or multicast";
  }
  return std::nullopt;
}

// Checks that need more than one key, reported at the table's line.
absl::Status Validate(const toml::table& root, std::string_view origin, const Config& config) {
  auto at = [&](std::string_view table, std::string_view key) -> int64_t {
    const toml::node* node = root.at_path(std::string(table) + "." + std::string(key)).node();
    if (node == nullptr) node = root.get(table);
    return node ? node->source().begin.line : 0;
  };
  if (!config.sip.udp && !config.sip.tcp && !config.sip.tls) {
    return LineError(origin, at("sip", "transports"), "sip.transports names no transport");
  }
  if (config.sip.tls) {
    if (config.sip.tls_certificate.empty() || config.sip.tls_private_key.empty()) {
      return LineError(origin, at("sip", "tls_certificate"),
                       "sip.tls_certificate and sip.tls_private_key are needed for \"tls\"");
    }
    if (config.sip.tcp && config.sip.tls_port == config.sip.port) {
      return LineError(origin, at("sip", "tls_port"),
                       "sip.tls_port must differ from sip.port while TCP is on");
    }
  }
  if (config.sip.tls_verify_client && config.sip.tls_ca_file.empty()) {
    return LineError(origin, at("sip", "tls_verify_client"),
                     "sip.tls_verify_client needs sip.tls_ca_file (the CAs that sign clients)");
  }
  if (config.api.enabled && config.api.token.empty() && config.api.token_file.empty()) {
    return LineError(origin, at("api", "token_file"),
                     "api.token_file (or api.token) must be set while the API is enabled");
  }
  if (config.api.enabled && config.api.token_file.empty() && config.api.token.size() < 8) {
    return LineError(origin, at("api", "token"),
                     "api.token must be at least 8 characters while the API is enabled");
  }
  if (config.media.rtp_port_min >= config.media.rtp_port_max) {
    return LineError(origin, at("media", "rtp_port_min"),
                     "media.rtp_port_min must be below media.rtp_port_max");
  }
  if (!config.media.cores.empty() &&
      static_cast<int>(config.media.cores.size()) != config.media.workers) {
    return LineError(origin, at("media", "cores"), "media.cores must list one CPU per worker (",
                     config.media.workers, ")");
  }
  if (config.media.backend != "kernel" && config.media.backend != "dpdk") {
    return LineError(origin, at("media", "backend"),
                     "media.backend must be \"kernel\" or \"dpdk\", not \"", config.media.backend,
                     "\"");
  }
  if (config.media.kernel_io != "uring" && config.media.kernel_io != "epoll") {
    return LineError(origin, at("media", "kernel_io"),
                     "media.kernel_io must be \"uring\" or \"epoll\", not \"",
                     config.media.kernel_io, "\"");
  }
  bool in_address6 = false;
  if (std::optional<std::string> problem = MediaAddressProblem(config.media, &in_address6)) {
    return LineError(origin, at("media", in_address6 ? "address6" : "address"), *problem);
  }
  if (config.media.backend == "dpdk") {
    in_addr parsed{};
    if (!config.dpdk.gateway.empty() &&
        inet_pton(AF_INET, config.dpdk.gateway.c_str(), &parsed) != 1) {
      return LineError(origin, at("dpdk", "gateway"), "dpdk.gateway must be an IPv4 address");
    }
  }
  for (const RoomConfig& room : config.rooms) {
    if (!config.ivr.number.empty() && room.name == config.ivr.number) {
      return LineError(origin, at("ivr", "number"), "ivr.number \"", room.name,
                       "\" is also the name of a room");
    }
  }
  if (config.log.format != "logfmt" && config.log.format != "json") {
    return LineError(origin, at("log", "format"), "log.format must be \"logfmt\" or \"json\"");
  }
  if (config.log.level != "debug" && config.log.level != "info" && config.log.level != "warn" &&
      config.log.level != "error") {
    return LineError(origin, at("log", "level"),
                     "log.level must be one of debug, info, warn, error");
  }
  return absl::OkStatus();
}

// [msrp] port must not be a TCP port tuttid already listens on.
absl::Status ValidateMsrpPort(const toml::table& root, std::string_view origin,
                              const Config& config) {
  const uint16_t msrp = config.msrp.port;
  if (!config.messaging.enabled || msrp == 0) return absl::OkStatus();
  const bool taken = (config.sip.tcp && msrp == config.sip.port) ||
                     (config.sip.tls && msrp == config.sip.tls_port) ||
                     (config.api.enabled && msrp == config.api.port);
  if (!taken) return absl::OkStatus();
  const toml::node* node = root.at_path("msrp.port").node();
  return LineError(origin, node ? node->source().begin.line : 0, "msrp.port ", msrp,
                   " is also a SIP TCP/TLS or API port: give MSRP a port of its own");
}

constexpr std::string_view kParticipantActions[] = {
    "toggle_mute", "mute",    "unmute",       "listen_down",       "listen_up",
    "talk_down",   "talk_up", "volume_reset", "participant_count", "leave"};
constexpr std::string_view kModeratorActions[] = {
    "toggle_mute_all",  "mute_all",       "unmute_all",       "toggle_lock",     "lock",
    "unlock",           "kick_last",      "toggle_recording", "start_recording", "stop_recording",
    "toggle_presenter", "toggle_content", "dial_out"};

bool KnownAction(std::string_view action, bool moderator) {
  auto in = [&](const auto& list) {
    return std::find(std::begin(list), std::end(list), action) != std::end(list);
  };
  return in(kParticipantActions) || (moderator && in(kModeratorActions));
}

// [controls.participant] and [controls.moderator]: "<keys>" = "<action>". A
// table of its own replaces that role's defaults entirely, so an operator
// can also take keys away.
absl::Status ReadControls(const toml::node& node, std::string_view origin,
                          ControlsConfig* controls) {
  const toml::table* table = node.as_table();
  if (table == nullptr)
    return LineError(origin, node.source().begin.line, "controls must be a table");
  for (const auto& [role_key, entries] : *table) {
    const std::string_view role = role_key.str();
    if (role != "participant" && role != "moderator") {
      return LineError(origin, entries.source().begin.line, "controls.", role,
                       " is not a known role (participant, moderator)");
    }
    const bool moderator = role == "moderator";
    const toml::table* map = entries.as_table();
    if (map == nullptr) {
      return LineError(origin, entries.source().begin.line, "controls.", role, " must be a table");
    }
    auto& out = moderator ? controls->moderator : controls->participant;
    out.clear();
    for (const auto& [keys, action] : *map) {
      const std::string_view sequence = keys.str();
      const bool keys_ok = !sequence.empty() && sequence.size() <= 4 &&
                           sequence.find_first_not_of("0123456789*#ABCD") == std::string_view::npos;
      if (!keys_ok) {
        return LineError(origin, action.source().begin.line, "controls.", role, " key \"", sequence,
                         "\" must be 1-4 of 0-9 * # A-D");
      }
      const std::optional<std::string_view> name = action.value<std::string_view>();
      if (!name || !KnownAction(*name, moderator)) {
        return LineError(origin, action.source().begin.line, "controls.", role, ".\"", sequence,
                         "\" is not a known action (",
                         moderator ? "any participant action, or toggle_mute_all, mute_all, "
                                     "unmute_all, toggle_lock, lock, unlock, kick_last, "
                                     "toggle_recording, start_recording, stop_recording, "
                                     "toggle_presenter, toggle_content, dial_out"
                                   : "toggle_mute, mute, unmute, listen_down, listen_up, "
                                     "talk_down, talk_up, volume_reset, participant_count, leave",
                         ")");
      }
      out.emplace_back(std::string(sequence), std::string(*name));
    }
  }
  return absl::OkStatus();
}

absl::Status ReadRooms(const toml::node& node, std::string_view origin,
                       const std::vector<std::string>& default_codecs,
                       std::vector<RoomConfig>* rooms) {
  const toml::array* array = node.as_array();
  if (array == nullptr || !array->is_array_of_tables()) {
    return LineError(origin, node.source().begin.line,
                     "room must be an array of tables ([[room]])");
  }
  absl::flat_hash_set<std::string> names;
  for (const toml::node& element : *array) {
    TableReader reader(*element.as_table(), "room.", origin);
    RoomConfig room;
    room.codecs = default_codecs;  // [media] audio_codecs, unless the room names its own
    if (absl::Status s = ReadRoom(reader, &room); !s.ok()) return s;
    const int64_t line = element.source().begin.line;
    if (room.name.empty()) return LineError(origin, line, "room.name is missing");
    if (!IsValidRoomName(room.name)) {
      return LineError(origin, line, "room.name \"", room.name, "\" must be ", kRoomNameRule);
    }
    if (!names.insert(room.name).second) {
      return LineError(origin, line, "room.name \"", room.name, "\" is used twice");
    }
    if (std::optional<std::string> fault = AudioCodecsFault(room.codecs)) {
      return LineError(origin, line, "room.codecs ", *fault);
    }
    rooms->push_back(std::move(room));
  }
  return absl::OkStatus();
}

absl::Status ReadUsers(const toml::node& node, std::string_view origin,
                       std::vector<UserConfig>* users) {
  const toml::array* array = node.as_array();
  if (array == nullptr || !array->is_array_of_tables()) {
    return LineError(origin, node.source().begin.line,
                     "user must be an array of tables ([[user]])");
  }
  absl::flat_hash_set<std::string> names;
  for (const toml::node& element : *array) {
    TableReader reader(*element.as_table(), "user.", origin);
    UserConfig user;
    if (absl::Status s = ReadUser(reader, &user); !s.ok()) return s;
    if (!names.insert(user.name).second) {
      return LineError(origin, element.source().begin.line, "user.name \"", user.name,
                       "\" is used twice");
    }
    users->push_back(std::move(user));
  }
  return absl::OkStatus();
}

// Digest authentication as configured must be able to let someone in.
absl::Status ValidateAuth(const toml::table& root, std::string_view origin, const Config& config) {
  const auto line = [&](std::string_view path) -> int64_t {
    const toml::node* node = root.at_path(std::string(path)).node();
    return node ? node->source().begin.line : 0;
  };
  bool required = config.sip.auth == "all";
  for (const RoomConfig& room : config.rooms) required |= room.auth.value_or(false);
  if (required && config.users.empty()) {
    return LineError(origin, line("sip.auth"),
                     "digest authentication is asked for (sip.auth or a room's auth) but no "
                     "[[user]] is configured");
  }
  for (const UserConfig& user : config.users) {
    if (!user.password.empty()) continue;
    for (const std::string& algorithm : config.sip.auth_algorithms) {
      const bool has = algorithm == "MD5" ? !user.ha1.empty() : !user.ha1_sha256.empty();
      if (!has) {
        return LineError(origin, line("user"), "user \"", user.name, "\" has no password and no ",
                         algorithm == "MD5" ? "ha1" : "ha1_sha256",
                         " but sip.auth_algorithms offers ", algorithm);
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Config> ParseConfig(std::string_view toml_text, std::string_view origin) {
  toml::table root;
  try {
    root = toml::parse(toml_text, origin);
  } catch (const toml::parse_error& error) {
    return LineError(origin, error.source().begin.line, error.description());
  }

  Config config;
  TableReader top(root, "", origin);
  auto section = [&](std::string_view name, auto read, auto* out) -> absl::Status {
    const toml::node* node = root.get(name);
    if (node == nullptr) return absl::OkStatus();
    if (!node->is_table()) return top.Error(*node, name, "must be a table");
    TableReader reader(*node->as_table(), absl::StrCat(std::string(name), "."), origin);
    return read(reader, out);
  };
  absl::Status s;
  if (!(s = section("sip", ReadSip, &config.sip)).ok()) return s;
  if (!(s = section("media", ReadMedia, &config.media)).ok()) return s;
  if (!(s = section("dpdk", ReadDpdk, &config.dpdk)).ok()) return s;
  if (!(s = section("limits", ReadLimits, &config.limits)).ok()) return s;
  if (!(s = section("log", ReadLog, &config.log)).ok()) return s;
  if (!(s = section("api", ReadApi, &config.api)).ok()) return s;
  if (!(s = section("records", ReadRecords, &config.records)).ok()) return s;
  if (!(s = section("store", ReadStore, &config.store)).ok()) return s;
  if (!(s = section("prompts", ReadPrompts, &config.prompts)).ok()) return s;
  if (!(s = section("recording", ReadRecording, &config.recording)).ok()) return s;
  if (!(s = section("ivr", ReadIvr, &config.ivr)).ok()) return s;
  if (!(s = section("conference_events", ReadConferenceEvents, &config.conference_events)).ok()) {
    return s;
  }
  if (!(s = section("video", ReadVideo, &config.video)).ok()) return s;
  if (!(s = section("messaging", ReadMessaging, &config.messaging)).ok()) return s;
  if (!(s = section("msrp", ReadMsrp, &config.msrp)).ok()) return s;
  if (!(s = section("files", ReadFiles, &config.files)).ok()) return s;
  if (!(s = ResolveMsrpAddresses(root, origin, &config)).ok()) return s;
  if (const toml::node* controls = root.get("controls")) {
    if (!(s = ReadControls(*controls, origin, &config.controls)).ok()) return s;
  }
  if (const toml::node* rooms = root.get("room")) {
    if (!(s = ReadRooms(*rooms, origin, config.media.audio_codecs, &config.rooms)).ok()) return s;
  }
  if (const toml::node* users = root.get("user")) {
    if (!(s = ReadUsers(*users, origin, &config.users)).ok()) return s;
  }
  if (!(s = config_internal::ReadTrunkSections(root, origin, &config)).ok()) return s;
  for (const auto& [key, node] : root) {
    const std::string_view name = key.str();
    if (name != "sip" && name != "media" && name != "limits" && name != "log" && name != "api" &&
        name != "records" && name != "prompts" && name != "controls" && name != "recording" &&
        name != "ivr" && name != "dpdk" && name != "room" && name != "user" && name != "store" &&
        name != "conference_events" && name != "video" && name != "messaging" && name != "msrp" &&
        name != "files" && !config_internal::IsTrunkSection(name)) {
      return top.Error(node, name, "is not a known section");
    }
  }
  if (!(s = Validate(root, origin, config)).ok()) return s;
  if (!(s = ValidateMsrpPort(root, origin, config)).ok()) return s;
  if (!(s = ValidateAuth(root, origin, config)).ok()) return s;
  return config;
}

absl::StatusOr<Config> LoadConfigFile(const std::string& path) {
  std::ifstream file(path);
  if (!file) return absl::NotFoundError(absl::StrCat("cannot open config file ", path));
  std::stringstream text;
  text << file.rdbuf();
  return ParseConfig(text.str(), path);
}

}  // namespace tutti
