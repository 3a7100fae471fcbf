#include "server/component_options.h"

#include "signaling/call/room_video.h"

namespace tutti {

mixer::WorkerPoolOptions WorkerPoolOptionsFrom(const Config& config) {
  mixer::WorkerPoolOptions options;
  options.workers = config.media.workers;
  options.cores = config.media.cores;
  options.conference.max_talkers = config.media.max_talkers;
  options.conference.share_encoders = config.media.share_encoding;
  // The config check refused a mode it does not know before any of this runs.
  options.conference.video.mode = *ParseVideoMode(config.video.mode, /*default_ok=*/false);
  options.conference.video.hold_ms = config.video.hold_ms;
  options.conference.video.unwatched_bps =
      static_cast<uint32_t>(config.video.unwatched_kbps) * 1000;
  options.conference.video.keyframe_request_interval_ms = config.video.keyframe_request_interval_ms;
  options.rtp_timeout_us = int64_t{config.media.rtp_timeout_s} * 1'000'000;
  options.unverified_send_us = int64_t{config.media.unverified_send_s} * 1'000'000;
  options.consent_timeout_us = int64_t{config.media.consent_timeout_s} * 1'000'000;
  options.shed_load = config.media.shed_load;
  options.restore_load = config.media.restore_load;
  options.spread_ticks = config.media.spread_ticks;
  options.admission = AdmissionLimitsFrom(config);
  return options;
}

mixer::AdmissionLimits AdmissionLimitsFrom(const Config& config) {
  mixer::AdmissionLimits limits;
  limits.admit_load = config.media.admit_load;
  limits.max_participants_per_worker = config.media.max_participants_per_worker;
  limits.over_commit_full_worker = config.media.full_worker == "admit";
  return limits;
}

OverloadLimits OverloadLimitsFrom(const Config& config) {
  OverloadLimits overload;
  overload.requests_per_second = config.limits.max_requests_per_second;
  overload.burst_requests = config.limits.burst_requests;
  overload.max_calls = config.limits.max_calls;
  overload.max_calls_per_source = config.limits.max_calls_per_source;
  overload.requests_per_source_per_second = config.limits.max_requests_per_source_per_second;
  overload.burst_requests_per_source = config.limits.burst_requests_per_source;
  overload.dialog_requests_per_second = config.limits.max_dialog_requests_per_second;
  overload.burst_dialog_requests = config.limits.burst_dialog_requests;
  overload.dialog_requests_per_source_per_second =
      config.limits.max_dialog_requests_per_source_per_second;
  overload.burst_dialog_requests_per_source = config.limits.burst_dialog_requests_per_source;
  // The config check refused a bad list before any of this runs.
  overload.unlimited_sources = *sip::IpPrefixSet::Parse(config.limits.unlimited_sources);
  overload.max_tracked_sources = config.limits.max_tracked_sources;
  return overload;
}

CallControllerOptions CallControllerOptionsFrom(const Config& config) {
  CallControllerOptions options;
  options.local = sip::LocalEndpoint{config.sip.advertised_ipv4, config.sip.port,
                                     config.sip.tls_port, config.sip.advertised_ipv6};
  options.media.ipv4 = config.media.address;
  if (config.media.backend == "dpdk") {
    options.media.no_ipv6_why = "IPv6 media is not available with this bridge's DPDK backend";
  } else {
    options.media.ipv6 = config.media.address6;
  }
  options.answer_delay = absl::Milliseconds(config.sip.answer_delay_ms);
  options.participant_controls = config.controls.participant;
  options.moderator_controls = config.controls.moderator;
  options.ivr_number = config.ivr.number;
  options.dial_in.max_attempts = config.ivr.max_attempts;
  options.digit_timeout = absl::Seconds(config.ivr.digit_timeout_s);
  options.pin_guard.max_failures_per_source = config.ivr.max_pin_failures_per_source;
  options.pin_guard.max_failures_per_room = config.ivr.max_pin_failures_per_room;
  options.pin_guard.window = absl::Seconds(config.ivr.pin_window_s);
  options.pin_guard.lockout = absl::Seconds(config.ivr.pin_lockout_s);
  options.pin_guard.room_delay_step = absl::Milliseconds(config.ivr.pin_room_delay_ms);
  options.pin_guard.room_max_delay = absl::Seconds(config.ivr.pin_room_max_delay_s);
  options.recording_dir = config.recording.dir;
  options.recording_format = config.recording.format == "wav" ? mixer::RecordingFormat::kWav
                                                              : mixer::RecordingFormat::kOggOpus;
  options.session_timers.min_se_s = config.sip.session_min_se_s;
  options.session_timers.default_se_s = config.sip.session_expires_s;
  options.retry_after_s = config.limits.retry_after_s;
  options.srtp_default = config.media.srtp;
  options.sdes_over_plain_sip = config.media.sdes_over_plain_sip;
  options.video_mode = *ParseVideoMode(config.video.mode, /*default_ok=*/false);
  options.audio_codecs = config.media.audio_codecs;
  options.video_codecs = config.media.video_codecs;
  options.video_max_bps = static_cast<uint32_t>(config.media.video_max_kbps) * 1000;
  const ConferenceEventsConfig& events = config.conference_events;
  options.roster_open_rooms = events.roster == "open_rooms";
  options.subscriptions.max_subscriptions = events.max_subscriptions;
  options.subscriptions.max_per_room = events.max_subscriptions_per_room;
  options.subscriptions.max_per_source = events.max_subscriptions_per_source;
  options.subscriptions.min_expires = absl::Seconds(events.min_expires_s);
  options.subscriptions.max_expires = absl::Seconds(events.max_expires_s);
  options.subscriptions.talking_interval = absl::Milliseconds(events.talking_interval_ms);
  options.messaging = MessagingOptionsFrom(config);
  options.trunk_policy = config.trunk_policy;
  options.dial_out = config.dial_out;
  return options;
}

sip::DigestOptions DigestOptionsFrom(const Config& config) {
  sip::DigestOptions options;
  options.realm = config.sip.realm;
  options.algorithms.clear();
  for (const std::string& name : config.sip.auth_algorithms) {
    options.algorithms.push_back(*sip::ParseDigestAlgorithm(name));
  }
  options.nonce_lifetime = absl::Seconds(config.sip.nonce_lifetime_s);
  for (const UserConfig& user : config.users) {
    options.users.push_back({user.name, user.password, user.ha1, user.ha1_sha256});
  }
  return options;
}

sip::TransportOptions TransportOptionsFrom(const Config& config) {
  sip::TransportOptions options;
  options.listen_addresses = config.sip.listen_addresses;
  options.port = config.sip.port;
  options.udp = config.sip.udp;
  options.tcp = config.sip.tcp;
  options.tcp_limits.max_message_bytes = config.sip.max_message_bytes;
  options.tcp_limits.max_connections = config.sip.max_tcp_connections;
  options.tcp_limits.max_connections_per_source = config.sip.max_tcp_connections_per_source;
  options.tcp_limits.idle_timeout = absl::Seconds(config.sip.tcp_idle_timeout_s);
  options.tcp_limits.message_timeout = absl::Seconds(config.sip.tcp_message_timeout_s);
  options.tcp_limits.handshake_timeout = absl::Seconds(config.sip.tls_handshake_timeout_s);
  options.tls = config.sip.tls;
  options.tls_port = config.sip.tls_port;
  options.tls_options.certificate = config.sip.tls_certificate;
  options.tls_options.private_key = config.sip.tls_private_key;
  options.tls_options.ca_file = config.sip.tls_ca_file;
  options.tls_options.verify_client = config.sip.tls_verify_client;
  options.tls_options.min_version = config.sip.tls_min_version;
  options.tls_options.ciphers = config.sip.tls_ciphers;
  return options;
}

api::ControlApiOptions ControlApiOptionsFrom(const Config& config) {
  api::ControlApiOptions options{config.api.listen,    config.api.port,         config.api.token,
                                 config.recording.dir, config.recording.format, config.ivr.number};
  options.max_connections = config.api.max_connections;
  options.max_connections_per_client = config.api.max_connections_per_client;
  options.max_event_streams = config.api.max_event_streams;
  options.request_timeout_s = config.api.request_timeout_s;
  return options;
}

MessagingOptions MessagingOptionsFrom(const Config& config) {
  const MessagingConfig& messaging = config.messaging;
  MessagingOptions options;
  options.enabled = messaging.enabled;
  options.max_message_bytes = static_cast<size_t>(messaging.max_message_bytes);
  options.content_types = messaging.content_types;
  options.relay_other_types = messaging.relay_other_types;
  options.history = static_cast<size_t>(messaging.history);
  options.replay_on_join = static_cast<size_t>(messaging.replay_on_join);
  options.max_in_flight_per_room = static_cast<size_t>(messaging.max_in_flight_per_room);
  return options;
}

msrp::MsrpOptions MsrpOptionsFrom(const Config& config) {
  const MsrpConfig& msrp = config.msrp;
  msrp::MsrpOptions options;
  // The config check resolved both from [sip] when they were left empty.
  options.listen_address = msrp.listen;
  options.port = msrp.port;
  options.advertised_host = msrp.advertised_host;
  options.limits.max_body_bytes = static_cast<size_t>(msrp.max_chunk_bytes);
  options.max_message_bytes = static_cast<size_t>(msrp.max_message_bytes);
  options.chunk_bytes = static_cast<size_t>(msrp.chunk_bytes);
  options.max_connections = msrp.max_connections;
  options.max_connections_per_source = msrp.max_connections_per_source;
  options.max_queued_bytes = static_cast<size_t>(msrp.max_queued_kb) << 10;
  options.connect_timeout = absl::Seconds(msrp.connect_timeout_s);
  return options;
}

msrp::FileStoreOptions FileStoreOptionsFrom(const Config& config) {
  const FilesConfig& files = config.files;
  msrp::FileStoreOptions options;
  options.directory = files.dir;
  options.max_file_bytes = static_cast<uint64_t>(files.max_file_mb) << 20;
  options.max_files_per_room = files.max_files_per_room;
  options.max_bytes_per_room = static_cast<uint64_t>(files.max_room_mb) << 20;
  return options;
}

}  // namespace tutti
