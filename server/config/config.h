// tuttid's configuration: the TOML file documented in ops/tutti.toml.
// Loading checks every key: an unknown key, a wrong type or a value out of
// range is an error that names the key and its line.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "signaling/call/room_config.h"
#include "signaling/trunk/trunk_config.h"

namespace tutti {

struct SipConfig {
  // IP literals as inet_ntop writes them ("::1", not "[::1]"); every
  // transport listens on each. "::" is IPv6 only (IPV6_V6ONLY).
  std::vector<std::string> listen_addresses = {"127.0.0.1"};
  uint16_t port = 5060;
  bool udp = true;
  bool tcp = true;
  // Written into Contact and our Via, per address family of the transport a
  // message goes out on (IPv6 without brackets here). From
  // advertised_address; each defaults to the first listen address of its
  // family; empty when tutti does not listen on that family. A wildcard
  // listen needs one (config error otherwise).
  std::string advertised_ipv4 = "127.0.0.1";
  std::string advertised_ipv6;
  size_t max_message_bytes = 65535;
  int max_tcp_connections = 1024;
  int max_tcp_connections_per_source = 32;
  int tcp_idle_timeout_s = 300;
  // Before answering an INVITE, ring for this long (180 Ringing). 0 answers at once.
  int answer_delay_ms = 0;
  // RFC 4028 session timers: the smallest interval accepted (422 below it)
  // and the one asked for when the caller supports timers but names none.
  int session_min_se_s = 90;
  int session_expires_s = 1800;

  // --- Slow streams and SIP over TLS (ops/tutti.toml documents each key).
  // A TCP/TLS message must arrive whole within this many seconds of its
  // first byte (and an accepted connection bring its first one as fast).
  int tcp_message_timeout_s = 5;
  bool tls = false;  // "tls" in transports
  uint16_t tls_port = 5061;
  std::string tls_certificate = "ops/tls/generated/tutti-cert.pem";
  std::string tls_private_key = "ops/tls/generated/tutti-key.pem";
  std::string tls_ca_file;  // CAs for client certificates; "" none
  bool tls_verify_client = false;
  std::string tls_min_version = "1.2";
  std::string tls_ciphers = "HIGH:!aNULL:!eNULL:!MD5:!RC4:!3DES:!PSK:!SRP:!CAMELLIA:!ARIA";
  int tls_handshake_timeout_s = 5;

  // --- Who may call (issue 13): digest authentication and IP lists.
  // "none": no INVITE is challenged unless its room says auth = true;
  // "all": every INVITE must authenticate unless its room says auth = false.
  std::string auth = "none";
  std::string realm = "tutti";
  // Offered in this order (RFC 8760: preferred first): "SHA-256", "MD5".
  std::vector<std::string> auth_algorithms = {"SHA-256", "MD5"};
  int nonce_lifetime_s = 300;
  // CIDR blocks; deny wins; an empty allow list allows all not denied.
  std::vector<std::string> allow;
  std::vector<std::string> deny;

  bool operator==(const SipConfig&) const = default;
};

// [[user]]: who may authenticate with SIP digest. A password, or HA1
// values (MD5 and/or SHA-256 of "name:realm:password") so that the file
// need not hold the password.
struct UserConfig {
  std::string name;
  std::string password;
  std::string ha1;         // MD5, 32 hex digits
  std::string ha1_sha256;  // 64 hex digits

  bool operator==(const UserConfig&) const = default;
};

struct MediaConfig {
  std::string backend = "kernel";
  // The kernel backend's socket I/O: "uring" (io_uring: one system call for
  // a burst of many sockets; epoll, with a log line saying why, where the
  // kernel or a seccomp filter refuses it) or "epoll" (recvmmsg/sendmmsg).
  std::string kernel_io = "uring";
  std::string address = "127.0.0.1";
  // IPv6 media (kernel backend): c= for callers whose SDP is IPv6; "" none.
  std::string address6 = "::1";
  uint16_t rtp_port_min = 20000;
  uint16_t rtp_port_max = 29999;
  // Media worker threads, one per core; each owns whole conferences.
  int workers = 1;
  // CPUs to pin workers to, one per worker; empty leaves them unpinned.
  std::vector<int> cores;
  // Talkers mixed at once per conference (the loudest, with hysteresis).
  int max_talkers = 3;
  // One encode per codec for everyone who hears the same mix (tutti's
  // policy). false encodes for every listener separately, top-N unchanged:
  // the baseline bench/README.md measures against.
  bool share_encoding = true;
  // A call that sends no RTP for this long is ended with BYE; 0 never.
  int rtp_timeout_s = 60;
  // Media goes to an address nothing came from for this long in all (0: no
  // limit), and stops while the peer sends nothing (no RTP nor RTCP) for
  // consent_timeout_s (0: never); issue 13, reflection.
  int unverified_send_s = 5;
  int consent_timeout_s = 10;

  // Issue 20. Admission by load (live): a new call is refused (503) when
  // every worker is busier than admit_load of its core (0: no load limit)
  // or holds max_participants_per_worker (0: no cap); a join to a room
  // whose worker is full is "refuse"d or "admit"ted (over-commit) per
  // full_worker. Shedding (restart): a worker above shed_load steps its
  // encoders' cost down, back up below restore_load (0 disables).
  // spread_ticks (restart): rooms mixed at staggered instants.
  double admit_load = 0.90;
  int max_participants_per_worker = 0;
  std::string full_worker = "refuse";
  double shed_load = 0.85;
  double restore_load = 0.70;
  bool spread_ticks = true;

  // Media encryption (SRTP) for rooms that do not set their own:
  // "required", "optional" or "off".
  std::string srtp = "optional";
  // SDES keys (a=crypto) travel in the SDP: by default only over SIP/TLS.
  bool sdes_over_plain_sip = false;
  // DTLS-SRTP: a leg's handshake not complete within this long ends the call.
  int dtls_handshake_timeout_s = 10;

  // Audio codecs of rooms that name none (and of the IVR, which answers
  // before it knows the room), in our preference order.
  std::vector<std::string> audio_codecs = {"opus", "G722", "PCMU", "PCMA", "G729"};
  // Video codecs of rooms that name none (and of the IVR, which answers
  // before it knows the room), in our preference order: "VP8", "VP9", "H264".
  std::vector<std::string> video_codecs = {"VP8", "H264", "VP9"};
  // What a video peer is asked to send at most (b=TIAS/b=AS); 0 says nothing.
  int video_max_kbps = 0;

  bool operator==(const MediaConfig&) const = default;
};

// The DPDK packet plane ([media] backend = "dpdk"). tuttid owns the media
// address ([media] address) on that port: it answers ARP and ping for it.
// SIP and the API stay on kernel sockets.
struct DpdkConfig {
  // Arguments for rte_eal_init, e.g. ["-l", "1", "--file-prefix", "tutti"],
  // or for a test without a NIC ["--no-huge", "--no-pci", "-m", "256",
  // "--vdev=net_af_packet0,iface=veth1"].
  std::vector<std::string> eal_args;
  std::string port;         // the device name as EAL knows it; "": the first port
  int prefix_length = 24;   // of the media address's subnet
  std::string gateway;      // next hop off the subnet; "": none
  std::string gateway_mac;  // static; "": resolved by ARP
  int vlan = 0;             // 802.1Q tag on the media traffic; 0: untagged
  int rx_descriptors = 1024;
  int tx_descriptors = 1024;
  // Mbufs in the pool; 0 sizes it from [limits] max_calls and the queues.
  int mbufs = 0;
  // > 0: a worker that finds its queues empty sleeps this long (at most
  // until its next tick) instead of spinning, so that it shares its core
  // (the control thread, other processes); 0: pure busy polling, for a
  // core of its own (isolcpus).
  int idle_sleep_us = 0;

  bool operator==(const DpdkConfig&) const = default;
};

struct LimitsConfig {
  int max_calls = 2000;
  int max_requests_per_second = 1000;  // new requests, all sources together
  int burst_requests = 200;            // token bucket depth above the rate
  int retry_after_s = 5;
  // Per source address (0: no such limit), and who is exempt from them.
  int max_calls_per_source = 100;
  int max_requests_per_source_per_second = 20;  // new requests (INVITE, OPTIONS...)
  int burst_requests_per_source = 50;
  int max_dialog_requests_per_second = 20;  // per call, not ACK/BYE/CANCEL
  int burst_dialog_requests = 40;
  int max_dialog_requests_per_source_per_second = 200;
  int burst_dialog_requests_per_source = 400;
  std::vector<std::string> unlimited_sources;  // addresses and CIDR blocks
  int max_tracked_sources = 65536;
  // What server transactions may hold at once (count, estimated bytes).
  int max_transactions = 65536;
  int64_t max_transaction_bytes = int64_t{32} << 20;

  bool operator==(const LimitsConfig&) const = default;
};

struct RecordingConfig {
  // Where room recordings go (made at start when missing), and their format:
  // "ogg" (Ogg Opus) or "wav".
  std::string dir = "recordings";
  std::string format = "ogg";

  bool operator==(const RecordingConfig&) const = default;
};

struct PromptsConfig {
  // WAV files (16-bit PCM) played by the IVR and the API, one per prompt.
  std::string dir = "ops/prompts/generated";

  bool operator==(const PromptsConfig&) const = default;
};

// What a caller can do with keys during a call: DTMF sequence -> action.
// Everyone: toggle_mute, mute, unmute, listen_down, listen_up, talk_down,
// talk_up, volume_reset, participant_count, leave. Moderators have their
// own map on top (theirs wins on the same keys), which may also use
// toggle_mute_all, mute_all, unmute_all, toggle_lock, lock, unlock,
// kick_last, toggle_recording, start_recording, stop_recording,
// toggle_presenter, toggle_content, dial_out (then the number and #).
struct ControlsConfig {
  std::vector<std::pair<std::string, std::string>> participant = {
      {"*1", "toggle_mute"},       {"*4", "listen_down"}, {"*6", "listen_up"},
      {"*7", "talk_down"},         {"*9", "talk_up"},     {"*5", "volume_reset"},
      {"*8", "participant_count"}, {"*0", "leave"},
  };
  std::vector<std::pair<std::string, std::string>> moderator = {
      {"*2", "toggle_lock"},      {"*3", "kick_last"},        {"#1", "toggle_mute_all"},
      {"#2", "toggle_recording"}, {"#3", "toggle_presenter"}, {"#4", "toggle_content"},
      {"#5", "dial_out"},
  };

  bool operator==(const ControlsConfig&) const = default;
};

// The dial-in IVR: callers of sip:<number>@host are asked for a conference
// number and, where the room has one, a PIN; callers who dial a room with a
// PIN directly are asked for the PIN.
struct IvrConfig {
  std::string number = "conference";  // empty: no IVR number
  int max_attempts = 3;               // wrong numbers (or PINs) before goodbye
  int digit_timeout_s = 8;            // no key for this long ends an entry
  // Wrong PINs within the window: an address past its limit is locked out
  // for pin_lockout_s; a room past its limit is never locked, its PIN
  // answers are held pin_room_delay_ms per failure past it, at most
  // pin_room_max_delay_s.
  int max_pin_failures_per_source = 5;
  int max_pin_failures_per_room = 20;
  int pin_window_s = 300;
  int pin_lockout_s = 300;
  int pin_room_delay_ms = 1000;
  int pin_room_max_delay_s = 30;

  bool operator==(const IvrConfig&) const = default;
};

// [conference_events]: SUBSCRIBE to a room's roster (RFC 4575).
struct ConferenceEventsConfig {
  // "open_rooms": anyone may subscribe to a room without PIN or auth;
  // "participants": only those in the room. A room with a PIN shows its
  // roster to its participants only either way; a room with auth also to
  // those who authenticate.
  std::string roster = "open_rooms";
  int max_subscriptions = 1000;
  int max_subscriptions_per_room = 100;
  int max_subscriptions_per_source = 20;  // 0: no limit
  int min_expires_s = 60;
  int max_expires_s = 3600;
  int talking_interval_ms = 1000;  // talking changes, at most one NOTIFY per this

  bool operator==(const ConferenceEventsConfig&) const = default;
};

// [video]: the media workers' defaults for video forwarding; a room's
// video_mode and video_hold_ms override the first two.
struct VideoConfig {
  // "follow_talker", "presenter" or "audio_only" (room_video.h).
  std::string mode = "follow_talker";
  int hold_ms = 2000;  // the least time a picture stays before the next talker takes it
  // What a camera nobody watches is asked to send at most (REMB/TMMBR); 0: left alone.
  int unwatched_kbps = 100;
  int keyframe_request_interval_ms = 250;  // per source, at most one PLI/FIR this often

  bool operator==(const VideoConfig&) const = default;
};

// [messaging]: instant messages in rooms (CallControllerOptions::messaging).
struct MessagingConfig {
  bool enabled = true;  // false: MESSAGE gets 405, m=message is declined, no MSRP port
  int max_message_bytes = 16 * 1024;  // a MESSAGE body or an API post; 413 above
  std::vector<std::string> content_types = {"text/plain", "message/cpim"};
  bool relay_other_types = false;  // false: other types get 415
  int history = 200;               // messages kept per room
  int replay_on_join = 0;          // the last N sent to a member who joins
  int max_in_flight_per_room = 2000;

  bool operator==(const MessagingConfig&) const = default;
};

// [msrp]: the MSRP endpoint (msrp::MsrpOptions).
struct MsrpConfig {
  // An IP literal; "" listens on [sip] listen's first address.
  std::string listen;
  uint16_t port = 2855;  // 0: the kernel picks one (tests)
  // The host in our a=path; "": listen, or [sip]'s advertised address of
  // its family when listen is a wildcard.
  std::string advertised_host;
  int max_chunk_bytes = 64 * 1024;    // one received chunk's content; 413 above
  int max_message_bytes = 64 * 1024;  // a chat message reassembled; 413 above
  int chunk_bytes = 16 * 1024;        // chunks we send
  int max_connections = 1000;
  int max_connections_per_source = 16;
  int max_queued_kb = 4096;  // queued to one connection; past it the member is dropped
  int connect_timeout_s = 30;

  bool operator==(const MsrpConfig&) const = default;
};

// [files]: files shared in rooms (msrp::FileStoreOptions).
struct FilesConfig {
  std::string dir = "files";
  int max_file_mb = 100;
  int max_files_per_room = 100;
  int max_room_mb = 1024;

  bool operator==(const FilesConfig&) const = default;
};

struct RecordsConfig {
  // JSON-lines file of call records, appended to; empty: no records.
  std::string path;

  bool operator==(const RecordsConfig&) const = default;
};

struct StoreConfig {
  // SQLite database of the rooms made, changed or deleted through the
  // control API (server/room_store.h), kept across restarts; empty: they
  // last until tuttid stops.
  std::string path;

  bool operator==(const StoreConfig&) const = default;
};

struct LogConfig {
  std::string level = "info";
  std::string format = "logfmt";  // or "json"

  bool operator==(const LogConfig&) const = default;
};

// "required", "optional", "off" (and "" where `empty_ok`, for a room).
bool ValidSrtpPolicy(std::string_view policy, bool empty_ok);

struct ApiConfig {
  bool enabled = false;  // off unless a config turns it on (the shipped one does)
  std::string listen = "127.0.0.1";
  uint16_t port = 8080;
  // Every request must carry "Authorization: Bearer <token>": the token is
  // written inline, or read from token_file at start (api/api_token.h puts
  // the file's token here). Exactly one of the two is set.
  std::string token;
  std::string token_file;
  // Slow or numerous clients cannot starve the API (issue 13): connections
  // in all and per client address, open /v1/events streams, and the time a
  // request (headers and body) may take to arrive.
  int max_connections = 128;
  int max_connections_per_client = 16;
  int max_event_streams = 32;
  int request_timeout_s = 5;

  bool operator==(const ApiConfig&) const = default;
};

struct Config {
  SipConfig sip;
  MediaConfig media;
  DpdkConfig dpdk;
  LimitsConfig limits;
  LogConfig log;
  ApiConfig api;
  RecordsConfig records;
  StoreConfig store;
  PromptsConfig prompts;
  RecordingConfig recording;
  ControlsConfig controls;
  IvrConfig ivr;
  ConferenceEventsConfig conference_events;
  VideoConfig video;
  MessagingConfig messaging;
  MsrpConfig msrp;
  FilesConfig files;
  std::vector<RoomConfig> rooms;
  std::vector<UserConfig> users;
  // SIP trunks (trunks_config.cc): [[trunk]], [[dial_plan]], [dial_out],
  // [trunks]. Checked here; hosts are resolved when the daemon starts.
  std::vector<trunk::TrunkConfig> trunks;
  std::vector<trunk::DialPlanRule> dial_plan;
  trunk::DialOutConfig dial_out;
  trunk::TrunkPolicy trunk_policy;

  bool operator==(const Config&) const = default;
};

// Room PINs: up to 16 digits; empty means none.
bool ValidPin(std::string_view pin);

// `origin` names the text in errors (a path, or "<embedded>").
absl::StatusOr<Config> ParseConfig(std::string_view toml_text, std::string_view origin);
absl::StatusOr<Config> LoadConfigFile(const std::string& path);

}  // namespace tutti
