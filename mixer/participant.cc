#include "mixer/participant.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "mediaplane/rtp/rtcp_packet.h"
#include "mediaplane/rtp/rtp_packet.h"
#include "mixer/audio_mix.h"

namespace tutti::mixer {
namespace {

constexpr int64_t kRtcpIntervalUs = 5'000'000;

media::JitterBufferOptions JitterOptionsFor(const media::CodecFormat& codec) {
  media::JitterBufferOptions options;
  options.frame_samples = static_cast<uint32_t>(codec.timestamps_per_frame());
  options.max_payload_bytes = media::JitterSlotBytes(codec);
  return options;
}

// Offset of the Unix epoch from the NTP epoch, plus a fixed wall-clock anchor
// is not needed: peers only compare our NTP times with themselves (LSR/DLSR).
constexpr uint64_t kNtpEpochOffsetSeconds = 2208988800ULL;

// What the encoder should plan for, from the loss a receiver reported for
// our stream. Steps, not the raw figure: one report is a 5 s sample, and the
// Opus encoder re-tunes (mode, bandwidth, FEC bit budget) on every change.
// Below 1% FEC is not worth its bits; libwebrtc's Opus wrapper uses the same
// 1/5/10/20% steps.
int ExpectedLossPercent(uint8_t fraction_lost) {
  const int percent = (fraction_lost * 100 + 255) / 256;  // rounded up
  if (percent >= 20) return 20;
  if (percent >= 10) return 10;
  if (percent >= 5) return 5;
  if (fraction_lost * 100 >= 256) return 1;
  return 0;
}

}  // namespace

int32_t GainFactor(int gain_db) {
  return static_cast<int32_t>(std::lround(4096.0 * std::pow(10.0, gain_db / 20.0)));
}

void ApplyGain(std::span<int16_t> pcm, int32_t factor) {
  if (factor == 4096) return;
  for (int16_t& sample : pcm) sample = SoftLimit((int32_t{sample} * factor) >> 12);
}

void Participant::SetGains(int listen_gain_db, int talk_gain_db) {
  owner_.Check();
  spec_.listen_gain_db = listen_gain_db;
  spec_.talk_gain_db = talk_gain_db;
  listen_factor_ = GainFactor(listen_gain_db);
  talk_factor_ = GainFactor(talk_gain_db);
}

uint64_t NtpFromMicros(int64_t now_us) {
  const uint64_t seconds = static_cast<uint64_t>(now_us / 1'000'000) + kNtpEpochOffsetSeconds;
  const uint64_t fraction = (static_cast<uint64_t>(now_us % 1'000'000) << 32) / 1'000'000;
  return (seconds << 32) | fraction;
}

Participant::Participant(const ParticipantSpec& spec, media::PortPair ports, uint32_t ssrc)
    : spec_(spec),
      ssrc_(ssrc),
      audio_(TransportOf(spec), std::move(ports), ssrc),
      jitter_buffer_(JitterOptionsFor(spec.codec)),
      header_levels_(static_cast<uint32_t>(spec.codec.timestamps_per_frame())),
      decoder_(media::MakeDecoder(spec.codec)),
      codec_frame_(spec.codec.samples_per_frame()),
      rtp_frame_(static_cast<uint32_t>(spec.codec.timestamps_per_frame())),
      conference_frame_(spec.codec.samples_per_frame()),
      listen_factor_(GainFactor(spec.listen_gain_db)),
      talk_factor_(GainFactor(spec.talk_gain_db)),
      encoder_(media::MakeEncoder(spec.codec)),
      sequence_(static_cast<uint16_t>(ssrc >> 7)),
      timestamp_(ssrc * 2654435761u) {
  if (spec.codec.kind != media::CodecKind::kOpus && spec.telephone_event_pt < 0) {
    inband_dtmf_ = std::make_unique<media::DtmfDetector>(spec.codec.pcm_rate());
  }
}

bool Participant::Update(const ParticipantSpec& spec) {
  owner_.Check();
  const bool codec_changed = !(spec.codec == spec_.codec);
  spec_.payload_type = spec.payload_type;
  spec_.telephone_event_pt = spec.telephone_event_pt;
  spec_.audio_level_id = spec.audio_level_id;
  if (codec_changed) ChangeCodec(spec.codec);
  spec_.remote_rtp = spec.remote_rtp;
  spec_.remote_rtcp = spec.remote_rtcp;
  spec_.rtcp_mux = spec.rtcp_mux;
  spec_.send = spec.send;
  spec_.receive = spec.receive;
  spec_.srtp = spec.srtp;
  spec_.dtls = spec.dtls;
  audio_.Update(TransportOf(spec));
  spec_.video = spec.video;
  spec_.slides = spec.slides;
  if (video_ && spec.video.active) video_->Update(spec.video);
  if (slides_ && spec.slides.active) slides_->Update(spec.slides);
  if (spec_.send) marker_next_ = true;
  return codec_changed;
}

// Off the hot path (a re-INVITE): the codec's own state starts afresh, at
// the conference rate the leg had (the conference may change it next).
void Participant::ChangeCodec(const media::CodecFormat& codec) {
  spec_.codec = codec;
  jitter_buffer_ = media::JitterBuffer(JitterOptionsFor(codec));
  header_levels_ = HeaderLevels(static_cast<uint32_t>(codec.timestamps_per_frame()));
  deferred_.reset();
  decoder_ = media::MakeDecoder(codec);
  encoder_ = media::MakeEncoder(codec);
  encoder_->SetCostLevel(cost_level_);
  encoder_spliced_ = false;
  decoded_any_ = false;
  codec_frame_ = codec.samples_per_frame();
  inband_dtmf_ = codec.kind != media::CodecKind::kOpus && spec_.telephone_event_pt < 0
                     ? std::make_unique<media::DtmfDetector>(codec.clock_rate)
                     : nullptr;
  SetConferenceRate(conference_frame_ * 50);
  marker_next_ = true;
}

void Participant::SetSendLimits(int64_t unverified_send_us, int64_t consent_timeout_us) {
  unverified_send_us_ = unverified_send_us;
  consent_timeout_us_ = consent_timeout_us;
  audio_.SetSendLimits(unverified_send_us, consent_timeout_us);
  if (video_) video_->transport().SetSendLimits(unverified_send_us, consent_timeout_us);
  if (slides_) slides_->transport().SetSendLimits(unverified_send_us, consent_timeout_us);
}

std::unique_ptr<VideoStream> Participant::MakeVideoStream(bool slides, const VideoStreamSpec& spec,
                                                          media::PortPair ports) const {
  // Each stream of the leg has an SSRC of its own (RFC 3550 §8: one per
  // source per session; here each m-line is a session).
  const uint32_t ssrc = ssrc_ + (slides ? 2u : 1u);
  auto stream = std::make_unique<VideoStream>(spec, std::move(ports), ssrc);
  stream->transport().SetSendLimits(unverified_send_us_, consent_timeout_us_);
  return stream;
}

void Participant::SetVideoPorts(media::PortPair video, media::PortPair slides) {
  owner_.Check();
  if (spec_.video.active && video.valid())
    video_ = MakeVideoStream(false, spec_.video, std::move(video));
  if (spec_.slides.active && slides.valid()) {
    slides_ = MakeVideoStream(true, spec_.slides, std::move(slides));
  }
}

void Participant::SetVideoStream(bool slides, std::unique_ptr<VideoStream> stream) {
  owner_.Check();
  (slides ? slides_ : video_) = std::move(stream);
}

void Participant::SetConferenceRate(int rate) {
  owner_.Check();
  conference_frame_ = rate / 50;
  const int codec_rate = spec_.codec.pcm_rate();
  if (rate == codec_rate) {
    upsampler_.reset();
    downsampler_.reset();
  } else {
    upsampler_ = std::make_unique<media::Resampler>(codec_rate, rate);
    downsampler_ = std::make_unique<media::Resampler>(rate, codec_rate);
  }
}

std::optional<char> Participant::OnRtp(const media::Datagram& datagram, int64_t now_us) {
  owner_.Check();
  const std::optional<media::RtpView> rtp =
      media::ParseRtp(std::span<const uint8_t>(datagram.data, datagram.size));
  if (!rtp) {
    ++stats_.malformed;
    return std::nullopt;
  }
  const bool is_event =
      spec_.telephone_event_pt >= 0 && rtp->payload_type == spec_.telephone_event_pt;
  const bool agreed = is_event || rtp->payload_type == spec_.payload_type;
  if (!audio_.AcceptRtp(datagram.remote, rtp->ssrc, agreed, now_us)) return std::nullopt;
  if (!agreed) {
    ++stats_.foreign;  // comfort noise or a codec we did not agree on
    return std::nullopt;
  }
  ++stats_.packets_in;
  last_rtp_us_ = now_us;
  if (last_packet_us_ >= 0) {
    const auto gap_ms = static_cast<uint32_t>((now_us - last_packet_us_) / 1000);
    stats_.max_gap_ms = std::max(stats_.max_gap_ms, gap_ms);
  }
  last_packet_us_ = now_us;
  if (!have_remote_ssrc_ || rtp->ssrc != remote_ssrc_) {
    // A new stream (or the first) from the latched source, e.g. a phone
    // that restarted it: its statistics and timeline start afresh.
    have_remote_ssrc_ = true;
    remote_ssrc_ = rtp->ssrc;
    receive_stats_ = media::ReceiveStatistics();
    jitter_buffer_.Reset();
    header_levels_.Clear();
    deferred_.reset();
  }
  const auto arrival = static_cast<uint32_t>(now_us * spec_.codec.clock_rate / 1'000'000);
  if (receive_stats_.Update(rtp->sequence, rtp->timestamp, arrival) ==
      media::ReceiveStatistics::Verdict::kDuplicate) {
    return std::nullopt;
  }
  if (is_event) return dtmf_.OnPacket(rtp->timestamp, rtp->payload);
  // A new packet may land in the slot a deferred frame's span points into.
  deferred_.reset();
  // A payload larger than the codec's frame (the slot) is not the agreed
  // codec's: refused and counted, never truncated.
  if (jitter_buffer_.Insert(rtp->sequence, rtp->timestamp, rtp->payload) ==
      media::JitterBuffer::InsertResult::kOversized) {
    ++stats_.malformed;
    return std::nullopt;
  }
  if (spec_.audio_level_id > 0) {
    if (const std::optional<media::AudioLevel> level =
            media::FindAudioLevel(*rtp, spec_.audio_level_id)) {
      header_levels_.Put(rtp->timestamp, *level);
    }
  }
  return std::nullopt;
}

ParticipantStats Participant::stats() const {
  ParticipantStats now = stats_;
  const TransportCounters& transport = audio_.counters();
  now.foreign += transport.foreign;
  now.foreign_source += transport.foreign_source;
  now.withheld += transport.withheld;
  now.srtp_auth_failed += transport.srtp_auth_failed;
  now.srtp_replayed += transport.srtp_replayed;
  for (const VideoStream* stream : {video_.get(), slides_.get()}) {
    if (stream == nullptr) continue;
    const TransportCounters& counters = stream->transport().counters();
    now.foreign += counters.foreign + stream->counters().foreign;
    now.foreign_source += counters.foreign_source;
    now.withheld += counters.withheld;
    now.srtp_auth_failed += counters.srtp_auth_failed;
    now.srtp_replayed += counters.srtp_replayed;
  }
  if (video_) {
    const VideoStreamCounters& video = video_->counters();
    now.video_packets_in = video.packets_in;
    now.video_packets_out = video.packets_out;
    now.video_bytes_in = video.bytes_in;
    now.video_bytes_out = video.bytes_out;
    now.video_malformed = video.malformed;
    now.video_width = video_->width();
    now.video_height = video_->height();
    now.video_source_id = video_->routing.sees;
  }
  if (have_remote_ssrc_) {
    now.lost = receive_stats_.cumulative_lost();
    now.jitter_ms = receive_stats_.jitter() * 1000 / static_cast<uint32_t>(spec_.codec.clock_rate);
  }
  return now;
}

void Participant::OnRtcp(const media::Datagram& datagram, int64_t now_us) {
  owner_.Check();
  if (!audio_.AcceptRtcpFrom(datagram.remote)) return;
  const std::optional<media::RtcpSummary> rtcp =
      media::ParseRtcp(std::span<const uint8_t>(datagram.data, datagram.size));
  if (!rtcp) {
    ++stats_.malformed_rtcp;
    return;
  }
  audio_.OnValidRtcp(now_us);
  last_rtp_us_ = now_us;  // RTCP alone (e.g. on hold) also shows the peer is there
  if (rtcp->has_sender_report) {
    last_sr_ntp_middle_ = static_cast<uint32_t>(rtcp->ntp_time >> 16);
    last_sr_received_us_ = now_us;
  }
  for (int i = 0; i < rtcp->report_count; ++i) {
    const media::ReportBlock& block = rtcp->reports[i];
    if (block.ssrc != ssrc_) continue;
    const int loss = ExpectedLossPercent(block.fraction_lost);
    if (loss != expected_loss_percent_) {
      expected_loss_percent_ = loss;
      encoder_->SetExpectedLossPercent(loss);
    }
    if (block.last_sr == 0) continue;
    // RTT = arrival - LSR - DLSR, in 1/65536 s (RFC 3550 §6.4.1).
    const auto now_middle = static_cast<uint32_t>(NtpFromMicros(now_us) >> 16);
    // Signed: with a peer that rounds DLSR up, a loopback RTT comes out a
    // unit or two below zero, which is zero. Beyond a minute either way the
    // peer echoed something that was not our report: no figure rather than
    // a wrong one.
    const auto rtt = static_cast<int32_t>(now_middle - block.last_sr - block.delay_since_last_sr);
    if (rtt > 60 * 65536 || rtt < -60 * 65536) continue;
    stats_.rtt_ms = std::max(rtt, 0) * 1000.0 / 65536.0;
  }
}

// Returns the samples decoded (0: none, the frame is silence).
int Participant::DecodeInto(const media::JitterBuffer::Frame& frame, std::span<int16_t> pcm) {
  int samples = 0;
  forwardable_ = {};
  switch (frame.kind) {
    case media::JitterBuffer::Frame::Kind::kPacket:
      ++decodes_;
      samples = decoder_->Decode(frame.payload, pcm);
      if (samples == codec_frame_ && talk_factor_ == 4096 &&
          spec_.codec.kind == media::CodecKind::kOpus) {
        forwardable_ = frame.payload;
      }
      decoded_any_ = decoded_any_ || samples > 0;
      if (samples < 0) ++stats_.malformed;
      // Only real audio goes to the detector: concealment repeats the last
      // frame and would stretch a key press.
      if (inband_dtmf_ && samples > 0) {
        if (std::optional<char> digit =
                inband_dtmf_->Process(pcm.first(static_cast<size_t>(samples)))) {
          inband_digit_ = digit;
        }
      }
      break;
    case media::JitterBuffer::Frame::Kind::kLost:
      if (!frame.next_payload.empty()) {
        ++decodes_;
        samples = decoder_->DecodeFec(frame.next_payload, pcm);
      }
      if (samples > 0) {
        ++stats_.recovered;
      } else if (decoded_any_) {
        ++decodes_;
        samples = decoder_->Conceal(pcm);
        ++stats_.concealed;
      }
      break;
    case media::JitterBuffer::Frame::Kind::kEmpty:
    case media::JitterBuffer::Frame::Kind::kWaiting:
      break;
  }
  const int filled = std::max(samples, 0);
  if (filled == 0) return 0;
  // Anything short of a whole frame is filled with silence.
  if (filled < codec_frame_) {
    std::fill(pcm.begin() + filled, pcm.begin() + codec_frame_, int16_t{0});
  }
  return filled;
}

bool Participant::FillFrame(const media::JitterBuffer::Frame& popped) {
  const std::span<int16_t> frame(frame_.data(), static_cast<size_t>(conference_frame_));
  if (upsampler_) {
    const std::span<int16_t> decoded(decoded_.data(), static_cast<size_t>(codec_frame_));
    if (DecodeInto(popped, decoded) == 0) std::ranges::fill(decoded, int16_t{0});
    // Through the upsampler even when silent: its filter carries the end
    // of the last sound into this frame.
    upsampler_->Process(decoded, frame);
  } else if (DecodeInto(popped, frame) == 0) {
    // Nothing to play (DTX, not started): silence, cleared once, not
    // measured (a silent Opus caller costs this and nothing else).
    if (!frame_silent_) std::ranges::fill(frame, int16_t{0});
    frame_silent_ = true;
    return false;
  }
  frame_silent_ = false;
  ApplyGain(frame, talk_factor_);
  return true;
}

std::optional<media::AudioLevel> Participant::QuietLevel(
    const media::JitterBuffer::Frame& popped) const {
  if (spec_.audio_level_id <= 0 || popped.kind != media::JitterBuffer::Frame::Kind::kPacket ||
      inband_dtmf_) {
    return std::nullopt;
  }
  const std::optional<media::AudioLevel> level = header_levels_.Find(popped.timestamp);
  if (!level) return std::nullopt;
  // A muted leg is never mixed: its level is only for the meters. Any other
  // is decoded from the level that can start a talker up, so that a voice
  // about to be mixed has a decoder that ran on its last frames.
  if (spec_.muted) return level;
  if (level->dbov() + static_cast<float>(spec_.talk_gain_db) >= talker_.options().start_db) {
    return std::nullopt;
  }
  return level;
}

TalkerDetector::Transition Participant::PullFrame() {
  owner_.Check();
  const media::JitterBuffer::Frame popped = jitter_buffer_.Pop();
  deferred_.reset();
  if (const std::optional<media::AudioLevel> quiet = QuietLevel(popped)) {
    // The header's level stands for the frame's until the mix takes it.
    deferred_ = popped.payload;
    forwardable_ = {};
    ++quiet_frames_;
    level_db_ = std::max(quiet->dbov() + static_cast<float>(spec_.talk_gain_db), -100.0f);
  } else {
    level_db_ = FillFrame(popped) ? FrameLevelDb(frame()) : -100.0f;
  }
  // Muted: the level is still measured (for the API's meters), but a muted
  // participant is not talking: an open spurt closes, none opens.
  if (spec_.muted) return talker_.Close();
  return talker_.Update(level_db_);
}

void Participant::DecodeDeferredFrame() {
  owner_.Check();
  media::JitterBuffer::Frame frame;
  frame.kind = media::JitterBuffer::Frame::Kind::kPacket;
  frame.payload = *deferred_;
  deferred_.reset();
  ++deferred_decodes_;
  FillFrame(frame);
}

bool Participant::MixPlayback(std::span<int16_t> pcm, int rate) {
  if (playing_ == nullptr) return false;
  const std::span<const int16_t> source = playing_->AtRate(rate);
  // The position is kept in 48 kHz samples so a rate change mid-prompt
  // (someone joins with Opus) keeps its place.
  const size_t start = play_position_48k_ * static_cast<size_t>(rate) / 48000;
  for (size_t i = 0; i < pcm.size() && start + i < source.size(); ++i) {
    pcm[i] = SoftLimit(int32_t{pcm[i]} + source[start + i]);
  }
  play_position_48k_ += 960;
  if (play_position_48k_ < playing_->pcm_48k.size()) return false;
  if (play_loop_) {
    play_position_48k_ = 0;
    return false;
  }
  playing_ = nullptr;
  return true;
}

std::span<const uint8_t> Participant::EncodeOwn(std::span<const int16_t> mix) {
  owner_.Check();
  std::span<const int16_t> input = mix;
  if (downsampler_) {
    downsampler_->Process(
        mix, std::span<int16_t>(encode_input_.data(), static_cast<size_t>(codec_frame_)));
    input = std::span<const int16_t>(encode_input_.data(), static_cast<size_t>(codec_frame_));
  }
  if (encoder_spliced_) {
    encoder_->NextFrameIndependent();
    encoder_spliced_ = false;
  }
  const size_t bytes = encoder_->Encode(input, payload_);
  return {payload_.data(), bytes};
}

uint16_t Participant::WriteRtp(std::span<const uint8_t> payload, uint8_t* out) {
  owner_.Check();
  // Room for the SRTP tag after the payload (kMaxPayloadBytes leaves plenty).
  const size_t size = std::min(
      payload.size(), media::kMaxDatagramBytes - media::kRtpHeaderSize - media::kSrtpTailroom);
  media::WriteRtpHeader({.marker = marker_next_,
                         .payload_type = spec_.payload_type,
                         .sequence = sequence_,
                         .timestamp = timestamp_,
                         .ssrc = ssrc_},
                        out);
  std::memcpy(out + media::kRtpHeaderSize, payload.data(), size);
  marker_next_ = false;
  ++sequence_;
  timestamp_ += rtp_frame_;
  ++packets_sent_;
  octets_sent_ += static_cast<uint32_t>(size);
  ++stats_.packets_out;
  size_t total = media::kRtpHeaderSize + size;
  if (!Protect(out, &total, false)) return 0;
  return static_cast<uint16_t>(total);
}

void Participant::SkipFrame() {
  timestamp_ += rtp_frame_;
  marker_next_ = true;  // RFC 3551 §4.1: the first packet after silence is marked
}

uint16_t Participant::MaybeWriteRtcp(int64_t now_us, uint8_t* out) {
  owner_.Check();
  if (next_rtcp_us_ == 0) {
    // Spread the first reports over the interval (RFC 3550 §6.2 randomisation).
    next_rtcp_us_ = now_us + kRtcpIntervalUs / 2 + static_cast<int64_t>(ssrc_ % 1000) * 2500;
    return 0;
  }
  if (now_us < next_rtcp_us_) return 0;
  next_rtcp_us_ = now_us + kRtcpIntervalUs;

  const uint64_t ntp = NtpFromMicros(now_us);
  media::SenderInfo sender{ntp, timestamp_, packets_sent_, octets_sent_};
  std::array<media::ReportBlock, 1> blocks{};
  size_t block_count = 0;
  if (have_remote_ssrc_) {
    blocks[0] = receive_stats_.MakeReportBlock(remote_ssrc_);
    blocks[0].last_sr = last_sr_ntp_middle_;
    if (last_sr_received_us_ != 0) {
      blocks[0].delay_since_last_sr =
          static_cast<uint32_t>((now_us - last_sr_received_us_) * 65536 / 1'000'000);
    }
    block_count = 1;
  }
  size_t size = media::WriteRtcp(
      ssrc_, packets_sent_ > 0 ? &sender : nullptr,
      std::span<const media::ReportBlock>(blocks.data(), block_count), "tutti", false,
      std::span<uint8_t>(out, media::kMaxDatagramBytes - media::kSrtpTailroom));
  if (size > 0 && !Protect(out, &size, true)) return 0;
  return static_cast<uint16_t>(size);
}

}  // namespace tutti::mixer
