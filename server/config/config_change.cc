#include "server/config/config_change.h"

#include <algorithm>
#include <string_view>

#include "common/strings.h"

namespace tutti {
namespace {

void AddOnce(std::vector<std::string>* keys, std::string key) {
  if (std::find(keys->begin(), keys->end(), key) == keys->end()) keys->push_back(std::move(key));
}

// One table of a configuration: each key compared by its member, named as
// the file writes it, live or not (the table's default). A difference no
// key named (a field added to the struct, not here) needs a restart.
template <typename S>
class Section {
 public:
  Section(std::string_view name, const S& running, const S& next, bool live, ConfigChange* out)
      : name_(name), running_(running), next_(next), live_(live), out_(out) {}

  template <typename M>
  Section& Key(std::string_view key, M S::*member) {
    return Key(key, member, live_);
  }
  template <typename M>
  Section& Key(std::string_view key, M S::*member, bool live) {
    if (running_.*member == next_.*member) return *this;
    AddOnce(live ? &out_->live : &out_->needs_restart, StrCat(name_, " ", key));
    named_ = true;
    return *this;
  }
  void Done() {
    if (!named_ && !(running_ == next_)) AddOnce(&out_->needs_restart, StrCat(name_, " (a key)"));
  }

 private:
  std::string_view name_;
  const S& running_;
  const S& next_;
  bool live_;
  ConfigChange* out_;
  bool named_ = false;
};

constexpr bool kLive = true;
constexpr bool kRestart = false;

void CompareSip(const SipConfig& a, const SipConfig& b, ConfigChange* out) {
  using S = SipConfig;
  Section<S>("[sip]", a, b, kRestart, out)
      .Key("listen", &S::listen_addresses)
      .Key("port", &S::port)
      .Key("transports", &S::udp)
      .Key("transports", &S::tcp)
      .Key("transports", &S::tls)
      .Key("advertised_address", &S::advertised_ipv4)
      .Key("advertised_address", &S::advertised_ipv6)
      .Key("max_message_bytes", &S::max_message_bytes)
      .Key("tls_port", &S::tls_port)
      .Key("tls_certificate", &S::tls_certificate)
      .Key("tls_private_key", &S::tls_private_key)
      .Key("tls_ca_file", &S::tls_ca_file)
      .Key("tls_verify_client", &S::tls_verify_client)
      .Key("tls_min_version", &S::tls_min_version)
      .Key("tls_ciphers", &S::tls_ciphers)
      // The TCP and TLS connections' limits (SipTransports::SetTcpLimits),
      // call control's and who may call: taken by the running parts.
      .Key("max_tcp_connections", &S::max_tcp_connections, kLive)
      .Key("max_tcp_connections_per_source", &S::max_tcp_connections_per_source, kLive)
      .Key("tcp_idle_timeout_s", &S::tcp_idle_timeout_s, kLive)
      .Key("tcp_message_timeout_s", &S::tcp_message_timeout_s, kLive)
      .Key("tls_handshake_timeout_s", &S::tls_handshake_timeout_s, kLive)
      .Key("answer_delay_ms", &S::answer_delay_ms, kLive)
      .Key("session_min_se_s", &S::session_min_se_s, kLive)
      .Key("session_expires_s", &S::session_expires_s, kLive)
      .Key("auth", &S::auth, kLive)
      .Key("realm", &S::realm, kLive)
      .Key("auth_algorithms", &S::auth_algorithms, kLive)
      .Key("nonce_lifetime_s", &S::nonce_lifetime_s, kLive)
      .Key("allow", &S::allow, kLive)
      .Key("deny", &S::deny, kLive)
      .Done();
}

void CompareMedia(const MediaConfig& a, const MediaConfig& b, ConfigChange* out) {
  using S = MediaConfig;
  Section<S>("[media]", a, b, kRestart, out)
      .Key("backend", &S::backend)
      .Key("kernel_io", &S::kernel_io)
      .Key("address", &S::address)
      .Key("address6", &S::address6)
      .Key("rtp_port_min", &S::rtp_port_min)
      .Key("rtp_port_max", &S::rtp_port_max)
      .Key("workers", &S::workers)
      .Key("cores", &S::cores)
      .Key("max_talkers", &S::max_talkers)
      .Key("share_encoding", &S::share_encoding)
      .Key("rtp_timeout_s", &S::rtp_timeout_s)
      .Key("unverified_send_s", &S::unverified_send_s)
      .Key("consent_timeout_s", &S::consent_timeout_s)
      .Key("srtp", &S::srtp)
      .Key("sdes_over_plain_sip", &S::sdes_over_plain_sip)
      .Key("dtls_handshake_timeout_s", &S::dtls_handshake_timeout_s)
      .Key("audio_codecs", &S::audio_codecs)
      .Key("video_codecs", &S::video_codecs)
      .Key("video_max_kbps", &S::video_max_kbps)
      // Read by the control thread at each new call (WorkerPool::SetAdmissionLimits).
      .Key("admit_load", &S::admit_load, kLive)
      .Key("max_participants_per_worker", &S::max_participants_per_worker, kLive)
      .Key("full_worker", &S::full_worker, kLive)
      // The workers' own options, fixed when they start.
      .Key("shed_load", &S::shed_load)
      .Key("restore_load", &S::restore_load)
      .Key("spread_ticks", &S::spread_ticks)
      .Done();
}

void CompareDpdk(const DpdkConfig& a, const DpdkConfig& b, ConfigChange* out) {
  using S = DpdkConfig;
  Section<S>("[dpdk]", a, b, kRestart, out)
      .Key("eal_args", &S::eal_args)
      .Key("port", &S::port)
      .Key("prefix_length", &S::prefix_length)
      .Key("gateway", &S::gateway)
      .Key("gateway_mac", &S::gateway_mac)
      .Key("vlan", &S::vlan)
      .Key("rx_descriptors", &S::rx_descriptors)
      .Key("tx_descriptors", &S::tx_descriptors)
      .Key("mbufs", &S::mbufs)
      .Key("idle_sleep_us", &S::idle_sleep_us)
      .Done();
}

void CompareLimits(const LimitsConfig& a, const LimitsConfig& b, ConfigChange* out) {
  using S = LimitsConfig;
  Section<S>("[limits]", a, b, kLive, out)
      .Key("max_calls", &S::max_calls)
      .Key("max_requests_per_second", &S::max_requests_per_second)
      .Key("burst_requests", &S::burst_requests)
      .Key("retry_after_s", &S::retry_after_s)
      .Key("max_calls_per_source", &S::max_calls_per_source)
      .Key("max_requests_per_source_per_second", &S::max_requests_per_source_per_second)
      .Key("burst_requests_per_source", &S::burst_requests_per_source)
      .Key("max_dialog_requests_per_second", &S::max_dialog_requests_per_second)
      .Key("burst_dialog_requests", &S::burst_dialog_requests)
      .Key("max_dialog_requests_per_source_per_second",
           &S::max_dialog_requests_per_source_per_second)
      .Key("burst_dialog_requests_per_source", &S::burst_dialog_requests_per_source)
      .Key("unlimited_sources", &S::unlimited_sources)
      .Key("max_tracked_sources", &S::max_tracked_sources)
      .Key("max_transactions", &S::max_transactions)
      .Key("max_transaction_bytes", &S::max_transaction_bytes)
      .Done();
}

void CompareApi(const ApiConfig& a, const ApiConfig& b, ConfigChange* out) {
  using S = ApiConfig;
  Section<S>("[api]", a, b, kRestart, out)
      .Key("enabled", &S::enabled)
      .Key("listen", &S::listen)
      .Key("port", &S::port)
      .Key("token", &S::token)
      .Key("token_file", &S::token_file)
      .Key("max_connections", &S::max_connections)
      .Key("max_connections_per_client", &S::max_connections_per_client)
      .Key("max_event_streams", &S::max_event_streams)
      .Key("request_timeout_s", &S::request_timeout_s)
      .Done();
}

// The small tables, and those a running part takes whole.
void CompareOthers(const Config& a, const Config& b, ConfigChange* out) {
  Section<LogConfig>("[log]", a.log, b.log, kRestart, out)
      .Key("level", &LogConfig::level, kLive)
      .Key("format", &LogConfig::format)
      .Done();
  Section<RecordsConfig>("[records]", a.records, b.records, kLive, out)
      .Key("path", &RecordsConfig::path)
      .Done();
  Section<StoreConfig>("[store]", a.store, b.store, kRestart, out)
      .Key("path", &StoreConfig::path)
      .Done();
  Section<PromptsConfig>("[prompts]", a.prompts, b.prompts, kRestart, out)
      .Key("dir", &PromptsConfig::dir)
      .Done();
  Section<RecordingConfig>("[recording]", a.recording, b.recording, kRestart, out)
      .Key("dir", &RecordingConfig::dir)
      .Key("format", &RecordingConfig::format)
      .Done();
  Section<ControlsConfig>("[controls]", a.controls, b.controls, kLive, out)
      .Key("participant", &ControlsConfig::participant)
      .Key("moderator", &ControlsConfig::moderator)
      .Done();
  using Ivr = IvrConfig;
  Section<Ivr>("[ivr]", a.ivr, b.ivr, kLive, out)
      .Key("number", &Ivr::number)
      .Key("max_attempts", &Ivr::max_attempts)
      .Key("digit_timeout_s", &Ivr::digit_timeout_s)
      .Key("max_pin_failures_per_source", &Ivr::max_pin_failures_per_source)
      .Key("max_pin_failures_per_room", &Ivr::max_pin_failures_per_room)
      .Key("pin_window_s", &Ivr::pin_window_s)
      .Key("pin_lockout_s", &Ivr::pin_lockout_s)
      .Key("pin_room_delay_ms", &Ivr::pin_room_delay_ms)
      .Key("pin_room_max_delay_s", &Ivr::pin_room_max_delay_s)
      .Done();
}

void CompareEventsAndVideo(const Config& a, const Config& b, ConfigChange* out) {
  using Ev = ConferenceEventsConfig;
  Section<Ev>("[conference_events]", a.conference_events, b.conference_events, kLive, out)
      .Key("roster", &Ev::roster)
      .Key("max_subscriptions", &Ev::max_subscriptions)
      .Key("max_subscriptions_per_room", &Ev::max_subscriptions_per_room)
      .Key("max_subscriptions_per_source", &Ev::max_subscriptions_per_source)
      .Key("min_expires_s", &Ev::min_expires_s)
      .Key("max_expires_s", &Ev::max_expires_s)
      .Key("talking_interval_ms", &Ev::talking_interval_ms)
      .Done();
  // The media workers' defaults, set when they start.
  using V = VideoConfig;
  Section<V>("[video]", a.video, b.video, kRestart, out)
      .Key("mode", &V::mode)
      .Key("hold_ms", &V::hold_ms)
      .Key("unwatched_kbps", &V::unwatched_kbps)
      .Key("keyframe_request_interval_ms", &V::keyframe_request_interval_ms)
      .Done();
}

void CompareMessaging(const Config& a, const Config& b, ConfigChange* out) {
  using M = MessagingConfig;
  // Whether the MSRP service runs at all is decided at start.
  Section<M>("[messaging]", a.messaging, b.messaging, kLive, out)
      .Key("enabled", &M::enabled, kRestart)
      .Key("max_message_bytes", &M::max_message_bytes)
      .Key("content_types", &M::content_types)
      .Key("relay_other_types", &M::relay_other_types)
      .Key("history", &M::history)
      .Key("replay_on_join", &M::replay_on_join)
      .Key("max_in_flight_per_room", &M::max_in_flight_per_room)
      .Done();
  using Ms = MsrpConfig;
  Section<Ms>("[msrp]", a.msrp, b.msrp, kRestart, out)
      .Key("listen", &Ms::listen)
      .Key("port", &Ms::port)
      .Key("advertised_host", &Ms::advertised_host)
      .Key("max_chunk_bytes", &Ms::max_chunk_bytes)
      .Key("max_message_bytes", &Ms::max_message_bytes)
      .Key("chunk_bytes", &Ms::chunk_bytes)
      .Key("max_connections", &Ms::max_connections)
      .Key("max_connections_per_source", &Ms::max_connections_per_source)
      .Key("max_queued_kb", &Ms::max_queued_kb)
      .Key("connect_timeout_s", &Ms::connect_timeout_s)
      .Done();
  using F = FilesConfig;
  Section<F>("[files]", a.files, b.files, kRestart, out)
      .Key("dir", &F::dir)
      .Key("max_file_mb", &F::max_file_mb)
      .Key("max_files_per_room", &F::max_files_per_room)
      .Key("max_room_mb", &F::max_room_mb)
      .Done();
}

// Array tables whose entries have names: "[[user]] alice" for each one
// added, removed or changed.
template <typename T>
void CompareNamed(std::string_view table, const std::vector<T>& a, const std::vector<T>& b,
                  ConfigChange* out) {
  const size_t named_before = out->live.size();
  auto find = [](const std::vector<T>& in, const std::string& name) -> const T* {
    for (const T& entry : in) {
      if (entry.name == name) return &entry;
    }
    return nullptr;
  };
  for (const T& entry : a) {
    const T* other = find(b, entry.name);
    if (other == nullptr || !(*other == entry)) AddOnce(&out->live, StrCat(table, " ", entry.name));
  }
  for (const T& entry : b) {
    if (find(a, entry.name) == nullptr) AddOnce(&out->live, StrCat(table, " ", entry.name));
  }
  // The same entries in another order.
  if (a != b && out->live.size() == named_before) AddOnce(&out->live, std::string(table));
}

void CompareRooms(const std::vector<RoomConfig>& a, const std::vector<RoomConfig>& b,
                  ConfigChange* out) {
  for (const RoomConfig& room : a) {
    auto it =
        std::find_if(b.begin(), b.end(), [&](const RoomConfig& r) { return r.name == room.name; });
    if (it == b.end()) {
      AddOnce(&out->live, StrCat("[[room]] ", room.name, " (removed)"));
      continue;
    }
    for (const std::string& field : ChangedRoomFields(room, *it)) {
      AddOnce(&out->live, StrCat("[[room]] ", room.name, " ", field));
    }
  }
  for (const RoomConfig& room : b) {
    if (std::none_of(a.begin(), a.end(),
                     [&](const RoomConfig& r) { return r.name == room.name; })) {
      AddOnce(&out->live, StrCat("[[room]] ", room.name, " (added)"));
    }
  }
}

void CompareTrunks(const Config& a, const Config& b, ConfigChange* out) {
  ConfigChange trunks;
  CompareNamed("[[trunk]]", a.trunks, b.trunks, &trunks);
  for (std::string& key : trunks.live) out->live.push_back(std::move(key));
  if (a.dial_plan != b.dial_plan) out->live.push_back("[[dial_plan]]");
  using D = trunk::DialOutConfig;
  Section<D>("[dial_out]", a.dial_out, b.dial_out, kLive, out)
      .Key("max_per_room", &D::max_per_room)
      .Key("max_per_room_per_hour", &D::max_per_room_per_hour)
      .Key("answer_timeout_s", &D::answer_timeout_s)
      .Done();
  using P = trunk::TrunkPolicy;
  Section<P>("[trunks]", a.trunk_policy, b.trunk_policy, kLive, out)
      .Key("allow_room_calls_from_anywhere", &P::allow_room_calls_from_anywhere)
      .Done();
}

// A room's fields, each with the name ops/tutti.toml gives it.
template <typename F>
void ForEachRoomField(F&& field) {
  using R = RoomConfig;
  field("codecs", &R::codecs);
  field("max_participants", &R::max_participants);
  field("locked", &R::locked);
  field("announce_joins", &R::announce_joins);
  field("record", &R::record);
  field("pin", &R::pin);
  field("moderator_pin", &R::moderator_pin);
  field("max_talkers", &R::max_talkers);
  field("noise_suppression", &R::noise_suppression);
  field("agc", &R::agc);
  field("noise_suppression_db", &R::noise_suppression_db);
  field("wait_for_moderator", &R::wait_for_moderator);
  field("end_when_moderator_leaves", &R::end_when_moderator_leaves);
  field("announce_count", &R::announce_count);
  field("music_when_alone", &R::music_when_alone);
  field("srtp", &R::srtp);
  field("auth", &R::auth);
  field("video_mode", &R::video_mode);
  field("video_hold_ms", &R::video_hold_ms);
  field("video_codecs", &R::video_codecs);
}

// The room without its per-meeting state, for comparing settings.
RoomConfig SettingsOf(const RoomConfig& room) {
  RoomConfig settings = room;
  settings.presenter_id = 0;
  settings.slides_presenter_id = 0;
  return settings;
}

}  // namespace

ConfigChange CompareConfigs(const Config& running, const Config& next) {
  ConfigChange change;
  CompareSip(running.sip, next.sip, &change);
  CompareMedia(running.media, next.media, &change);
  CompareDpdk(running.dpdk, next.dpdk, &change);
  CompareLimits(running.limits, next.limits, &change);
  CompareApi(running.api, next.api, &change);
  CompareOthers(running, next, &change);
  CompareEventsAndVideo(running, next, &change);
  CompareMessaging(running, next, &change);
  CompareNamed("[[user]]", running.users, next.users, &change);
  CompareRooms(running.rooms, next.rooms, &change);
  CompareTrunks(running, next, &change);
  // Whatever no table above named.
  if (change.empty() && !(running == next)) change.needs_restart.push_back("(a key)");
  return change;
}

std::vector<std::string> ChangedRoomFields(const RoomConfig& before, const RoomConfig& after) {
  std::vector<std::string> fields;
  ForEachRoomField([&](std::string_view name, auto member) {
    if (!(before.*member == after.*member)) fields.emplace_back(name);
  });
  if (fields.empty() && !(SettingsOf(before) == SettingsOf(after)))
    fields.emplace_back("(a field)");
  return fields;
}

void ApplyRoomChanges(const RoomConfig& before, const RoomConfig& after, RoomConfig* live) {
  bool named = false;
  ForEachRoomField([&](std::string_view, auto member) {
    if (before.*member == after.*member) return;
    live->*member = after.*member;
    named = true;
  });
  // A field the table above does not know: the new settings whole, the
  // meeting's presenters kept.
  if (!named && !(SettingsOf(before) == SettingsOf(after))) {
    RoomConfig whole = after;
    whole.presenter_id = live->presenter_id;
    whole.slides_presenter_id = live->slides_presenter_id;
    *live = std::move(whole);
  }
}

}  // namespace tutti
