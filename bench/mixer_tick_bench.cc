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
// MIXER_TICK_ITERATIONS=<n> in the environment runs every case exactly n
// iterations (for callgrind: instruction counts of two such runs, subtracted,
// give a deterministic cost per tick, free of the setup's).
#include <cmath>
#include <cstdlib>
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

// 50 pre-encoded frames per talker, replayed with fresh sequence numbers.
struct Talker {
  std::vector<std::vector<uint8_t>> payloads;
};

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
  }
  return talker;
}

void BM_MixerTick(benchmark::State& state, CodecKind kind, int room_size, bool preprocess = false) {
  const bool tutti_policy = state.range(0) == 1;
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

  CountingSink sink;
  std::vector<uint8_t> packet(tutti::media::kMaxDatagramBytes);
  int64_t now_us = 1'000'000;
  uint32_t tick = 0;
  uint64_t encodes = 0;
  for (auto _ : state) {
    // Arrivals for this tick: two talkers per room (changing every 5 s),
    // G.711 listeners send silence, Opus listeners are in DTX.
    for (auto& room : members) {
      const size_t first = (tick / 250) % room.size();
      for (size_t p = 0; p < room.size(); ++p) {
        const bool a = p == first;
        const bool b = p == (first + 1) % room.size();
        const std::vector<uint8_t>* payload = nullptr;
        if (a) payload = &voice_a.payloads[tick % 50];
        if (b) payload = &voice_b.payloads[tick % 50];
        if (payload == nullptr && kind != CodecKind::kOpus) payload = &silence;
        if (payload == nullptr) continue;
        tutti::media::WriteRtpHeader(
            {.payload_type = room[p]->spec().payload_type,
             .sequence = static_cast<uint16_t>(tick),
             .timestamp = tick * static_cast<uint32_t>(format.samples_per_frame()),
             .ssrc = static_cast<uint32_t>(room[p]->id())},
            packet.data());
        std::copy(payload->begin(), payload->end(), packet.begin() + tutti::media::kRtpHeaderSize);
        const tutti::media::Datagram datagram{
            room[p]->rtp_port(), room[p]->spec().remote_rtp, packet.data(),
            static_cast<uint16_t>(tutti::media::kRtpHeaderSize + payload->size())};
        room[p]->OnRtp(datagram, now_us);
      }
    }
    for (auto& conference : conferences) {
      conference->Tick(now_us, sink);
      encodes += static_cast<uint64_t>(conference->encodes_last_tick());
    }
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
  state.counters["packets_out_per_tick"] =
      static_cast<double>(sink.packets) / static_cast<double>(state.iterations());
  uint64_t preprocessed = 0;
  for (auto& conference : conferences) preprocessed += conference->preprocess().frames_processed();
  state.counters["preprocessed_per_tick"] =
      static_cast<double>(preprocessed) / static_cast<double>(state.iterations());
}

// MIXER_TICK_ITERATIONS fixes the iterations (see the top).
benchmark::internal::Benchmark* Fixed(benchmark::internal::Benchmark* bench) {
  if (const char* n = std::getenv("MIXER_TICK_ITERATIONS")) bench->Iterations(std::atoi(n));
  return bench;
}

BENCHMARK_CAPTURE(BM_MixerTick, G711_room10, CodecKind::kPcmu, 10)->Apply([](auto* b) {
  Fixed(b)->Arg(1)->Arg(0);
});
BENCHMARK_CAPTURE(BM_MixerTick, Opus_room10, CodecKind::kOpus, 10)->Apply([](auto* b) {
  Fixed(b)->Arg(1)->Arg(0);
});
BENCHMARK_CAPTURE(BM_MixerTick, Opus_room100, CodecKind::kOpus, 100)->Apply([](auto* b) {
  Fixed(b)->Arg(1)->Arg(0);
});
// Noise suppression and AGC on, tutti's policy only.
BENCHMARK_CAPTURE(BM_MixerTick, G711_room10_nsagc, CodecKind::kPcmu, 10, true)->Apply([](auto* b) {
  Fixed(b)->Arg(1);
});
BENCHMARK_CAPTURE(BM_MixerTick, Opus_room10_nsagc, CodecKind::kOpus, 10, true)->Apply([](auto* b) {
  Fixed(b)->Arg(1);
});

}  // namespace
