// Cost of the 20 ms mixer tick per participant, for the room shapes that
// size a bridge: 10-person G.711 rooms, 10- and 100-person Opus rooms. Two
// people talk at a time; everyone else is silent (G.711 callers keep sending
// silence, Opus callers use DTX and send nothing). Input packets are encoded
// before the clock starts, so the figure is the server's work per tick:
// jitter buffer, decode/conceal, level and talker state, top-N, mix,
// encoding and RTP packet writing.
//
// The second argument selects the policy: 1 = tutti (shared encoders,
// forwarding), 0 = every listener encoded alone (the baseline). Both mix the
// same top-N.
// items_per_second counts participant-ticks: divide by 50 for participants
// one core carries.
//
// The *_nsagc cases turn the rooms' noise suppression and AGC on (SpeexDSP,
// mixer/talker_preprocess.h): the talkers mixed go through it, and nothing
// is forwarded. preprocessed_per_tick counts the preprocessor runs.
#include <opus/opus.h>
#include <valgrind/callgrind.h>

#include <cmath>
#include <memory>
#include <vector>

#include "bench/speech_signal.h"
#include "benchmark/benchmark.h"
#include "mediaplane/codec/audio_codec.h"
#include "mediaplane/rtp/rtp_packet.h"
#include "mixer/conference.h"

namespace {

using tutti::media::CodecFormat;
using tutti::media::CodecKind;

class CountingSink : public tutti::mixer::TickSink {
 public:
  uint8_t* NextBuffer() override { return buffer_.data(); }
  void Commit(uint16_t, const tutti::media::Endpoint&, uint16_t size) override {
    ++packets;
    bytes += size;
  }
  void TalkingChanged(uint64_t, bool) override {}
  uint64_t packets = 0;
  uint64_t bytes = 0;

 private:
  std::array<uint8_t, tutti::media::kMaxDatagramBytes> buffer_{};
};

// 50 pre-encoded frames per talker, replayed with fresh sequence numbers,
// and each frame's RFC 6464 level (-dBov) for callers that send it.
struct Talker {
  std::vector<std::vector<uint8_t>> payloads;
  std::vector<uint8_t> levels;
};

// What an Opus caller in DTX sends while quiet: its encoder's comfort-noise
// updates, one packet every 400 ms (the 1-2 byte DTX frames between them
// are not sent), as tutti-load's quiet members send (speech_frames.cc).
std::vector<uint8_t> DtxUpdate() {
  int error = OPUS_OK;
  OpusEncoder* encoder = opus_encoder_create(48000, 1, OPUS_APPLICATION_VOIP, &error);
  opus_encoder_ctl(encoder, OPUS_SET_BITRATE(24000));
  opus_encoder_ctl(encoder, OPUS_SET_DTX(1));
  opus_encoder_ctl(encoder, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE));
  const std::vector<int16_t> silence(960, 0);
  std::vector<uint8_t> update;
  std::array<uint8_t, 1500> payload{};
  for (int f = 0; f < 150; ++f) {
    const int size = opus_encode(encoder, silence.data(), 960, payload.data(),
                                 static_cast<opus_int32>(payload.size()));
    if (f >= 50 && size > 2) update.assign(payload.begin(), payload.begin() + size);
  }
  opus_encoder_destroy(encoder);
  return update;
}

Talker Encode(const CodecFormat& format, double pitch_hz) {
  Talker talker;
  auto encoder = tutti::media::MakeEncoder(format);
  // What callers send does not depend on the bridge's own encoder settings:
  // keep the input a typical softphone stream (32 kbit/s, in-band FEC for
  // ~10% loss), the same as before the bridge's FEC became loss-driven.
  encoder->SetExpectedLossPercent(10);
  const int frame = format.samples_per_frame();
  const std::vector<int16_t> voice = tutti::bench::Voice(format.pcm_rate(), 50, pitch_hz);
  for (int f = 0; f < 50; ++f) {
    std::vector<uint8_t> payload(tutti::media::kMaxPayloadBytes);
    payload.resize(encoder->Encode(
        std::span<const int16_t>(voice.data() + f * frame, static_cast<size_t>(frame)), payload));
    talker.payloads.push_back(std::move(payload));
    talker.levels.push_back(tutti::media::AudioLevelOf(
        std::span<const int16_t>(voice.data() + f * frame, static_cast<size_t>(frame))));
  }
  return talker;
}

constexpr uint32_t kWarmupTicks = 20;
constexpr uint32_t kCountedTicks = 50;

// How the quiet members of a room behave.
struct Quiet {
  // Opus: comfort-noise updates every 400 ms (false: nothing at all, the
  // table's rows since issue 9). G.711 always sends silence.
  bool dtx_updates = false;
  // Every caller sends the RFC 6464 audio level (extension id 1).
  bool audio_levels = false;
};

// What the rooms do besides mixing.
struct RoomExtras {
  // Noise suppression and AGC on the mixed talkers (SpeexDSP).
  bool preprocess = false;
};

constexpr int kAudioLevelId = 1;

void RunTicks(benchmark::State& state, CodecKind kind, int room_size, bool tutti_policy,
              Quiet quiet, RoomExtras extras = {}) {
  const bool preprocess = extras.preprocess;
  const CodecFormat format{kind, kind == CodecKind::kOpus ? 48000 : 8000, 20};
  constexpr int kParticipants = 200;  // per benchmark: 20 rooms of 10, or 2 of 100
  const int rooms = kParticipants / room_size;

  std::vector<std::unique_ptr<tutti::mixer::Conference>> conferences;
  std::vector<std::vector<tutti::mixer::Participant*>> members(static_cast<size_t>(rooms));
  tutti::mixer::ConferenceOptions options;
  options.share_encoders = tutti_policy;
  uint64_t next_id = 1;
  for (int r = 0; r < rooms; ++r) {
    auto conference = std::make_unique<tutti::mixer::Conference>(static_cast<uint32_t>(r), options);
    if (preprocess) {
      tutti::mixer::ConferenceSettings settings;
      settings.preprocess = {.noise_suppression = true, .agc = true};
      conference->Configure(settings);
    }
    for (int p = 0; p < room_size; ++p) {
      tutti::mixer::ParticipantSpec spec;
      spec.id = next_id++;
      spec.conference_id = static_cast<uint32_t>(r);
      spec.codec = format;
      spec.payload_type = kind == CodecKind::kOpus ? 111 : 0;
      spec.remote_rtp = {0x7f000001, static_cast<uint16_t>(10000 + spec.id)};
      spec.audio_level_id = quiet.audio_levels ? kAudioLevelId : 0;
      auto participant = std::make_unique<tutti::mixer::Participant>(
          spec, tutti::media::PortPair(), static_cast<uint32_t>(spec.id));
      // Listeners in DTX send nothing: with the consent limits on, their
      // encodes would stop after 5 s of ticks and the figures with them.
      participant->SetSendLimits(0, 0);
      members[static_cast<size_t>(r)].push_back(participant.get());
      conference->Add(std::move(participant));
    }
    conferences.push_back(std::move(conference));
  }
  const Talker voice_a = Encode(format, 140);
  const Talker voice_b = Encode(format, 210);
  const std::vector<uint8_t> silence(static_cast<size_t>(format.samples_per_frame()),
                                     kind == CodecKind::kPcma ? 0xd5 : 0xff);
  const std::vector<uint8_t> dtx_update = DtxUpdate();
  // Each caller's own sequence: DTX gaps keep it consecutive (RFC 7587).
  std::vector<uint16_t> sequences(kParticipants);

  CountingSink sink;
  std::vector<uint8_t> packet(tutti::media::kMaxDatagramBytes);
  int64_t now_us = 1'000'000;
  uint32_t tick = 0;
  uint64_t encodes = 0;
  // Under callgrind (--collect-atstart=no) each run is kWarmupTicks +
  // kCountedTicks long (UnderCallgrind) and the last kCountedTicks are
  // collected, arrivals and tick both: with one benchmark selected,
  // instructions per participant-tick = collected / (kCountedTicks * 200).
  const bool count = RUNNING_ON_VALGRIND != 0;
  for (auto _ : state) {
    const bool collect = count && tick >= kWarmupTicks;
    if (collect) CALLGRIND_TOGGLE_COLLECT;
    // Arrivals for this tick: two talkers per room (changing every 5 s),
    // G.711 listeners send silence, Opus listeners are in DTX.
    for (auto& room : members) {
      const size_t first = (tick / 250) % room.size();
      for (size_t p = 0; p < room.size(); ++p) {
        const bool a = p == first;
        const bool b = p == (first + 1) % room.size();
        const std::vector<uint8_t>* payload = nullptr;
        uint8_t level = 127;
        if (a) {
          payload = &voice_a.payloads[tick % 50];
          level = voice_a.levels[tick % 50];
        }
        if (b) {
          payload = &voice_b.payloads[tick % 50];
          level = voice_b.levels[tick % 50];
        }
        if (payload == nullptr && kind != CodecKind::kOpus) payload = &silence;
        if (payload == nullptr && quiet.dtx_updates && (tick + p) % 20 == 0) payload = &dtx_update;
        if (payload == nullptr) continue;
        const tutti::media::RtpHeaderFields header{
            .payload_type = room[p]->spec().payload_type,
            .sequence = sequences[room[p]->id() - 1]++,
            .timestamp = tick * static_cast<uint32_t>(format.samples_per_frame()),
            .ssrc = static_cast<uint32_t>(room[p]->id())};
        size_t header_size = tutti::media::kRtpHeaderSize;
        if (quiet.audio_levels) {
          tutti::media::WriteRtpHeaderWithAudioLevel(
              header, kAudioLevelId, {.level = level, .voice = level < 127}, packet.data());
          header_size = tutti::media::kRtpAudioLevelHeaderSize;
        } else {
          tutti::media::WriteRtpHeader(header, packet.data());
        }
        std::copy(payload->begin(), payload->end(),
                  packet.begin() + static_cast<std::ptrdiff_t>(header_size));
        const tutti::media::Datagram datagram{room[p]->rtp_port(), room[p]->spec().remote_rtp,
                                              packet.data(),
                                              static_cast<uint16_t>(header_size + payload->size())};
        room[p]->OnRtp(datagram, now_us);
      }
    }
    for (auto& conference : conferences) {
      conference->Tick(now_us, sink);
      encodes += static_cast<uint64_t>(conference->encodes_last_tick());
    }

    if (collect) CALLGRIND_TOGGLE_COLLECT;
    now_us += 20'000;
    ++tick;
  }
  state.SetItemsProcessed(state.iterations() * kParticipants);
  state.counters["ns_per_participant_tick"] = benchmark::Counter(
      static_cast<double>(kParticipants) * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["participants_per_core"] = benchmark::Counter(
      static_cast<double>(kParticipants) * static_cast<double>(state.iterations()) / 50.0,
      benchmark::Counter::kIsRate);
  state.counters["encodes_per_tick"] =
      static_cast<double>(encodes) / static_cast<double>(state.iterations());
  uint64_t all_decodes = 0;
  for (auto& room : members) {
    for (const auto* participant : room) all_decodes += participant->decodes();
  }
  state.counters["decodes_per_tick"] =
      static_cast<double>(all_decodes) / static_cast<double>(state.iterations());
  state.counters["packets_out_per_tick"] =
      static_cast<double>(sink.packets) / static_cast<double>(state.iterations());
  uint64_t preprocessed = 0;
  for (auto& conference : conferences) preprocessed += conference->preprocess().frames_processed();
  state.counters["preprocessed_per_tick"] =
      static_cast<double>(preprocessed) / static_cast<double>(state.iterations());
}

void BM_MixerTick(benchmark::State& state, CodecKind kind, int room_size, bool preprocess = false) {
  RunTicks(state, kind, room_size, state.range(0) == 1, {}, {.preprocess = preprocess});
}

// Quiet members as real DTX callers are (comfort-noise updates), without
// (/0) and with (/1) the RFC 6464 audio level on every packet; tutti policy.
void BM_MixerTickDtx(benchmark::State& state, CodecKind kind, int room_size) {
  RunTicks(state, kind, room_size, true,
           {.dtx_updates = kind == CodecKind::kOpus, .audio_levels = state.range(0) == 1});
}

// Deterministic instruction counts: a fixed number of ticks under valgrind.
void UnderCallgrind(benchmark::internal::Benchmark* benchmark) {
  if (RUNNING_ON_VALGRIND != 0) benchmark->Iterations(kWarmupTicks + kCountedTicks);
}

BENCHMARK_CAPTURE(BM_MixerTick, G711_room10, CodecKind::kPcmu, 10)
    ->Arg(1)
    ->Arg(0)
    ->Apply(UnderCallgrind);
BENCHMARK_CAPTURE(BM_MixerTick, Opus_room10, CodecKind::kOpus, 10)
    ->Arg(1)
    ->Arg(0)
    ->Apply(UnderCallgrind);
BENCHMARK_CAPTURE(BM_MixerTick, Opus_room100, CodecKind::kOpus, 100)
    ->Arg(1)
    ->Arg(0)
    ->Apply(UnderCallgrind);

BENCHMARK_CAPTURE(BM_MixerTickDtx, G711_room10, CodecKind::kPcmu, 10)
    ->Arg(0)
    ->Arg(1)
    ->Apply(UnderCallgrind);
BENCHMARK_CAPTURE(BM_MixerTickDtx, Opus_room10, CodecKind::kOpus, 10)
    ->Arg(0)
    ->Arg(1)
    ->Apply(UnderCallgrind);
BENCHMARK_CAPTURE(BM_MixerTickDtx, Opus_room100, CodecKind::kOpus, 100)
    ->Arg(0)
    ->Arg(1)
    ->Apply(UnderCallgrind);

// Noise suppression and AGC on, tutti's policy only.
BENCHMARK_CAPTURE(BM_MixerTick, G711_room10_nsagc, CodecKind::kPcmu, 10, true)
    ->Arg(1)
    ->Apply(UnderCallgrind);
BENCHMARK_CAPTURE(BM_MixerTick, Opus_room10_nsagc, CodecKind::kOpus, 10, true)
    ->Arg(1)
    ->Apply(UnderCallgrind);

}  // namespace
