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

// The latched source must have sent nothing at all (RTP of any payload type,
// RTCP) for this long before another may take its place. Longer than Opus
// DTX's 400 ms keep-alive and any loss burst a call survives; short enough
// that a NAT rebinding (the old mapping dies, the new one sends at once)
// costs two seconds of audio. A stranger cannot take a live leg's latch:
// the latched phone would have to stop sending entirely.
constexpr int64_t kLatchQuietUs = 2'000'000;
// ... and the new source must have sent this many valid packets of one SSRC
// in a row, each within kCandidateGapUs of the last: 200 ms of 20 ms audio,
// and a stray packet or two (a previous call's tail) never qualifies.
constexpr int kLatchMovePackets = 10;
constexpr int64_t kCandidateGapUs = 500'000;

media::JitterBufferOptions JitterOptionsFor(const media::CodecFormat& codec) {
  media::JitterBufferOptions options;
  options.frame_samples = static_cast<uint32_t>(codec.samples_per_frame());
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
      ports_(std::move(ports)),
      ssrc_(ssrc),
      remote_rtp_(spec.remote_rtp),
      remote_rtcp_(spec.remote_rtcp),
      jitter_buffer_(JitterOptionsFor(spec.codec)),
      decoder_(media::MakeDecoder(spec.codec)),
      codec_frame_(spec.codec.samples_per_frame()),
      conference_frame_(spec.codec.samples_per_frame()),
      listen_factor_(GainFactor(spec.listen_gain_db)),
      talk_factor_(GainFactor(spec.talk_gain_db)),
      encoder_(media::MakeEncoder(spec.codec)),
      sequence_(static_cast<uint16_t>(ssrc >> 7)),
      timestamp_(ssrc * 2654435761u) {
  if (spec.codec.kind != media::CodecKind::kOpus && spec.telephone_event_pt < 0) {
    inband_dtmf_ = std::make_unique<media::DtmfDetector>(spec.codec.clock_rate);
  }
  if (spec.srtp.active()) srtp_ = media::SrtpSession::Create(spec.srtp, ssrc_);
  if (spec.dtls.active())
    dtls_ = std::make_unique<media::DtlsSrtp>(spec.dtls, spec.rtcp_mux, ssrc_);
}

void Participant::Update(const ParticipantSpec& spec) {
  owner_.Check();
  const bool moved = !(spec.remote_rtp == spec_.remote_rtp);
  spec_.remote_rtp = spec.remote_rtp;
  spec_.remote_rtcp = spec.remote_rtcp;
  spec_.rtcp_mux = spec.rtcp_mux;
  spec_.send = spec.send;
  spec_.receive = spec.receive;
  // New keys (a re-INVITE that re-keyed) start a new context; unchanged keys
  // keep it, so the rollover counter and replay window carry on. Allocates,
  // but only on a re-key.
  if (!(spec.srtp == spec_.srtp)) {
    spec_.srtp = spec.srtp;
    srtp_ = spec.srtp.active() ? media::SrtpSession::Create(spec.srtp, ssrc_) : nullptr;
  }
  // The same peer certificate keeps the DTLS associations and their keys.
  if (!(spec.dtls == spec_.dtls)) {
    spec_.dtls = spec.dtls;
    dtls_ = spec.dtls.active() ? std::make_unique<media::DtlsSrtp>(spec.dtls, spec.rtcp_mux, ssrc_)
                               : nullptr;
  }
  if (moved) {
    // The peer says its media moved: send to the new address (within what
    // is left of the unverified allowance) and latch afresh.
    remote_rtp_ = spec.remote_rtp;
    remote_rtcp_ = spec.remote_rtcp;
    // A leg that was never heard from keeps its clock running.
    if (latched_) unverified_since_us_ = -1;
    latched_ = false;
    candidate_packets_ = 0;
  } else if (latched_) {
    Latch(remote_rtp_, last_heard_us_);  // rtcp-mux may have changed
  }
  if (spec_.send) marker_next_ = true;
}

void Participant::Latch(const media::Endpoint& source, int64_t now_us) {
  if (!latched_ && unverified_since_us_ >= 0) {
    // The time spent sending to an unheard address comes off the allowance.
    unverified_used_us_ += now_us - unverified_since_us_;
    unverified_since_us_ = -1;
  }
  latched_ = true;
  remote_rtp_ = source;
  // RTCP beside it: the same address with rtcp-mux; the SDP's RTCP address
  // when the source is the SDP's RTP address; else the port above (RFC 3550
  // §11), which is what a NAT keeps for an adjacent pair.
  if (spec_.rtcp_mux) {
    remote_rtcp_ = source;
  } else if (source == spec_.remote_rtp) {
    remote_rtcp_ = spec_.remote_rtcp;
  } else {
    remote_rtcp_ = source.WithPort(static_cast<uint16_t>(source.port + 1));
  }
  last_heard_us_ = now_us;
  candidate_packets_ = 0;
}

bool Participant::MayMoveLatch(const media::Endpoint& source, uint32_t ssrc, int64_t now_us) {
  // The address the peer itself signalled takes the latch back at once (a
  // stranger who got there first, or a phone that moved by re-INVITE while
  // its old address still sent).
  if (source == spec_.remote_rtp) return true;
  if (candidate_packets_ == 0 || !(source == candidate_) || ssrc != candidate_ssrc_ ||
      now_us - candidate_last_us_ > kCandidateGapUs) {
    candidate_ = source;
    candidate_ssrc_ = ssrc;
    candidate_packets_ = 0;
  }
  candidate_last_us_ = now_us;
  ++candidate_packets_;
  return candidate_packets_ >= kLatchMovePackets && now_us - last_heard_us_ >= kLatchQuietUs;
}

bool Participant::MaySend(int64_t now_us) {
  owner_.Check();
  if (latched_) return consent_timeout_us_ <= 0 || now_us - last_heard_us_ <= consent_timeout_us_;
  if (unverified_send_us_ <= 0) return true;
  if (unverified_since_us_ < 0) unverified_since_us_ = now_us;
  return unverified_used_us_ + (now_us - unverified_since_us_) < unverified_send_us_;
}

void Participant::SetConferenceRate(int rate) {
  owner_.Check();
  conference_frame_ = rate / 50;
  const int codec_rate = spec_.codec.clock_rate;
  if (rate == codec_rate) {
    upsampler_.reset();
    downsampler_.reset();
  } else {
    upsampler_ = std::make_unique<media::Resampler>(codec_rate, rate);
    downsampler_ = std::make_unique<media::Resampler>(rate, codec_rate);
  }
}

media::SrtpSession::Verdict Participant::Unprotect(media::Datagram& datagram, bool rtcp) {
  owner_.Check();
  using Verdict = media::SrtpSession::Verdict;
  if (!encrypted()) return Verdict::kOk;
  size_t size = datagram.size;
  Verdict verdict = Verdict::kMalformed;
  if (media::SrtpSession* srtp = SrtpFor(rtcp)) {
    verdict =
        rtcp ? srtp->UnprotectRtcp(datagram.data, &size) : srtp->UnprotectRtp(datagram.data, &size);
  }
  if (verdict == Verdict::kOk) {
    datagram.size = static_cast<uint16_t>(size);
  } else if (verdict == Verdict::kReplayed) {
    ++stats_.srtp_replayed;
  } else {
    ++stats_.srtp_auth_failed;
  }
  return verdict;
}

bool Participant::Protect(uint8_t* packet, size_t* size, bool rtcp) {
  if (!encrypted()) return true;
  media::SrtpSession* srtp = SrtpFor(rtcp);
  if (srtp == nullptr) return false;
  return rtcp ? srtp->ProtectRtcp(packet, size, media::kMaxDatagramBytes)
              : srtp->ProtectRtp(packet, size, media::kMaxDatagramBytes);
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
  // Symmetric RTP (RFC 4961): answer to where the media really comes from,
  // which is what gets through NAT; but only ever to one source at a time.
  if (!latched_ || !(datagram.remote == remote_rtp_)) {
    if (latched_ && (!agreed || !MayMoveLatch(datagram.remote, rtp->ssrc, now_us))) {
      ++stats_.foreign_source;
      return std::nullopt;
    }
    if (agreed) Latch(datagram.remote, now_us);
  }
  if (!agreed) {
    ++stats_.foreign;                       // comfort noise or a codec we did not agree on
    if (latched_) last_heard_us_ = now_us;  // still the peer, still there
    return std::nullopt;
  }
  last_heard_us_ = now_us;
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
  }
  const auto arrival = static_cast<uint32_t>(now_us * spec_.codec.clock_rate / 1'000'000);
  if (receive_stats_.Update(rtp->sequence, rtp->timestamp, arrival) ==
      media::ReceiveStatistics::Verdict::kDuplicate) {
    return std::nullopt;
  }
  if (is_event) return dtmf_.OnPacket(rtp->timestamp, rtp->payload);
  jitter_buffer_.Insert(rtp->sequence, rtp->timestamp, rtp->payload);
  return std::nullopt;
}

ParticipantStats Participant::stats() const {
  ParticipantStats now = stats_;
  if (have_remote_ssrc_) {
    now.lost = receive_stats_.cumulative_lost();
    now.jitter_ms = receive_stats_.jitter() * 1000 / static_cast<uint32_t>(spec_.codec.clock_rate);
  }
  return now;
}

void Participant::OnRtcp(const media::Datagram& datagram, int64_t now_us) {
  owner_.Check();
  // Only the latched source's RTCP, or before the latch the SDP's RTCP
  // address: anyone else's would keep the leg alive (and tutti sending) or
  // steer its encoder.
  if (!(datagram.remote == (latched_ ? remote_rtcp_ : spec_.remote_rtcp))) {
    ++stats_.foreign_source;
    return;
  }
  const std::optional<media::RtcpSummary> rtcp =
      media::ParseRtcp(std::span<const uint8_t>(datagram.data, datagram.size));
  if (!rtcp) {
    ++stats_.malformed_rtcp;
    return;
  }
  // A report from where the SDP said: the peer is there (a caller that only
  // listens sends nothing else), so its RTP address is latched.
  if (!latched_) Latch(spec_.remote_rtp, now_us);
  last_heard_us_ = now_us;
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

int Participant::DecodeInto(std::span<int16_t> pcm) {
  const media::JitterBuffer::Frame frame = jitter_buffer_.Pop();
  int samples = 0;
  forwardable_ = {};
  switch (frame.kind) {
    case media::JitterBuffer::Frame::Kind::kPacket:
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
      if (!frame.next_payload.empty()) samples = decoder_->DecodeFec(frame.next_payload, pcm);
      if (samples > 0) {
        ++stats_.recovered;
      } else if (decoded_any_) {
        samples = decoder_->Conceal(pcm);
        ++stats_.concealed;
      }
      break;
    case media::JitterBuffer::Frame::Kind::kEmpty:
    case media::JitterBuffer::Frame::Kind::kWaiting:
      break;
  }
  // Anything short of a whole frame is filled with silence.
  const int filled = std::max(samples, 0);
  if (filled < codec_frame_) {
    std::fill(pcm.begin() + filled, pcm.begin() + codec_frame_, int16_t{0});
  }
  return codec_frame_;
}

TalkerDetector::Transition Participant::PullFrame() {
  owner_.Check();
  if (upsampler_) {
    DecodeInto(std::span<int16_t>(decoded_.data(), static_cast<size_t>(codec_frame_)));
    upsampler_->Process(
        std::span<const int16_t>(decoded_.data(), static_cast<size_t>(codec_frame_)),
        std::span<int16_t>(frame_.data(), static_cast<size_t>(conference_frame_)));
  } else {
    DecodeInto(std::span<int16_t>(frame_.data(), static_cast<size_t>(conference_frame_)));
  }
  ApplyGain(std::span<int16_t>(frame_.data(), static_cast<size_t>(conference_frame_)),
            talk_factor_);
  level_db_ = FrameLevelDb(frame());
  // Muted: the level is still measured (for the API's meters), but a muted
  // participant is not talking: an open spurt closes, none opens.
  if (spec_.muted) return talker_.Close();
  return talker_.Update(level_db_);
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
  timestamp_ += static_cast<uint32_t>(codec_frame_);
  ++packets_sent_;
  octets_sent_ += static_cast<uint32_t>(size);
  ++stats_.packets_out;
  size_t total = media::kRtpHeaderSize + size;
  if (!Protect(out, &total, false)) return 0;
  return static_cast<uint16_t>(total);
}

void Participant::SkipFrame() {
  timestamp_ += static_cast<uint32_t>(codec_frame_);
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
