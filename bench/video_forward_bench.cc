// Cost of forwarding video (issue 16), per packet: what a media worker does
// with each packet of a source that N receivers watch. The payload is
// inspected once (key frame, frame start, ids); then for every receiver its
// VideoRewriter's sequence, timestamp and picture ids, the packet copied
// into a send buffer with its RTP header and VP8 descriptor rewritten, and
// the octets counted for its sender report. The packets are tutti-load's
// synthetic VP8 camera at 1.5 Mb/s and 30 fps (6 packets of ~1,060 bytes a
// frame), written before the clock starts; every 2 s (60 frames) the
// receivers switch to the other of two cameras at its key frame, as
// follow-the-talker does. Socket I/O is not timed (about 0.6 µs to receive
// and 0.9 µs to send a datagram on kernel sockets: the packet plane section
// of bench/README.md). Beside it: the inspection alone, the NACK cache's
// store and find, and the selection per tick.
//
// items_per_second counts packets sent to receivers; the figure per source
// packet is the time per iteration.
#include <array>
#include <chrono>
#include <cstring>
#include <memory>
#include <vector>

#include "bench/tutti_load/vp8_packetizer.h"
#include "benchmark/benchmark.h"
#include "mediaplane/port_allocator.h"
#include "mediaplane/rtp/byte_order.h"
#include "mediaplane/rtp/rtcp_packet.h"
#include "mediaplane/rtp/rtp_packet.h"
#include "mediaplane/video/packet_cache.h"
#include "mediaplane/video/video_payload.h"
#include "mixer/conference.h"
#include "mixer/video_rewriter.h"
#include "mixer/video_selection.h"

namespace {

using tutti::load::Vp8Packetizer;

constexpr int kFps = 30;
constexpr size_t kFrameBytes = 1'500'000 / 8 / kFps;
constexpr int kSwitchEveryFrames = 60;

struct SourcePacket {
  std::vector<uint8_t> bytes;  // RTP header and VP8 payload
};

// `frames` frames of one camera, the first a key frame, then one every
// kSwitchEveryFrames so a switch finds one.
std::vector<SourcePacket> Camera(uint32_t ssrc, uint16_t width, int frames) {
  Vp8Packetizer camera(width, 360, static_cast<uint16_t>(ssrc), 0);
  std::vector<SourcePacket> packets;
  uint16_t sequence = static_cast<uint16_t>(ssrc);
  uint32_t timestamp = ssrc * 1000;
  std::array<uint8_t, 1500> buffer{};
  for (int frame = 0; frame < frames; ++frame) {
    const bool key = frame % kSwitchEveryFrames == 0;
    camera.BeginFrame(key, kFrameBytes);
    while (camera.pending()) {
      bool last = false;
      const size_t size =
          camera.NextPayload(std::span<uint8_t>(buffer.data() + tutti::media::kRtpHeaderSize,
                                                buffer.size() - tutti::media::kRtpHeaderSize),
                             &last);
      tutti::media::WriteRtpHeader({.marker = last,
                                    .payload_type = 96,
                                    .sequence = sequence++,
                                    .timestamp = timestamp,
                                    .ssrc = ssrc},
                                   buffer.data());
      packets.push_back(
          {{buffer.begin(),
            buffer.begin() + static_cast<ptrdiff_t>(tutti::media::kRtpHeaderSize + size)}});
    }
    timestamp += tutti::media::kVideoClockRate / kFps;
  }
  return packets;
}

// What a forwarder writes per receiver: the header's sequence, timestamp
// and SSRC, and the VP8 descriptor's picture id and TL0PICIDX.
void WriteForwarded(const SourcePacket& packet, const tutti::mixer::VideoRewriter::Fields& fields,
                    uint32_t ssrc, uint8_t* out) {
  std::memcpy(out, packet.bytes.data(), packet.bytes.size());
  tutti::media::StoreBe16(out + 2, fields.sequence);
  tutti::media::StoreBe32(out + 4, fields.timestamp);
  tutti::media::StoreBe32(out + 8, ssrc);
  if (fields.picture_id >= 0) {
    tutti::media::RewriteVideoPictureIds(
        tutti::media::VideoCodec::kVp8,
        std::span<uint8_t>(out + tutti::media::kRtpHeaderSize,
                           packet.bytes.size() - tutti::media::kRtpHeaderSize),
        static_cast<uint16_t>(fields.picture_id), static_cast<uint8_t>(fields.tl0picidx));
  }
}

// The source's fields the rewriter needs, read as a forwarder reads them:
// the RTP header, and the payload inspected for key frames and ids.
struct Inbound {
  uint32_t ssrc;
  uint16_t sequence;
  uint32_t timestamp;
  tutti::media::VideoPacketInfo info;
};
Inbound Read(const SourcePacket& packet) {
  const std::span<const uint8_t> bytes(packet.bytes);
  return {tutti::media::LoadBe32(&bytes[8]), tutti::media::LoadBe16(&bytes[2]),
          tutti::media::LoadBe32(&bytes[4]),
          *tutti::media::InspectVideoPayload(tutti::media::VideoCodec::kVp8,
                                             bytes.subspan(tutti::media::kRtpHeaderSize))};
}

// The payload inspection alone, per packet: key frame, frame start,
// picture size and ids of every packet a worker receives.
void BM_InspectVp8Packet(benchmark::State& state) {
  const std::vector<SourcePacket> camera = Camera(0x1111, 640, kSwitchEveryFrames);
  size_t at = 0;
  int64_t keyframes = 0;
  for (auto _ : state) {
    const std::span<const uint8_t> bytes(camera[at].bytes);
    const std::optional<tutti::media::VideoPacketInfo> info = tutti::media::InspectVideoPayload(
        tutti::media::VideoCodec::kVp8, bytes.subspan(tutti::media::kRtpHeaderSize));
    keyframes += info->keyframe ? 1 : 0;
    benchmark::DoNotOptimize(info);
    if (++at == camera.size()) at = 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["keyframes"] = static_cast<double>(keyframes);
}
BENCHMARK(BM_InspectVp8Packet);

void BM_ForwardToReceivers(benchmark::State& state) {
  const int receivers = static_cast<int>(state.range(0));
  const std::vector<SourcePacket> cameras[2] = {Camera(0x1111, 640, 4 * kSwitchEveryFrames),
                                                Camera(0x2222, 320, 4 * kSwitchEveryFrames)};
  std::vector<tutti::mixer::VideoRewriter> rewriters;
  for (int r = 0; r < receivers; ++r) {
    rewriters.emplace_back(0x5000u + static_cast<uint32_t>(r), static_cast<uint16_t>(r * 1000),
                           static_cast<uint32_t>(r) * 100'000u);
    rewriters.back().SwitchTo(0x1111);
  }
  std::vector<std::array<uint8_t, 1500>> out(static_cast<size_t>(receivers));
  int camera = 0;
  size_t at = 0;
  int64_t now_us = 0;
  int64_t sent = 0;
  int64_t switches = 0;
  for (auto _ : state) {
    const SourcePacket& packet = cameras[camera][at];
    const Inbound in = Read(packet);
    for (int r = 0; r < receivers; ++r) {
      tutti::mixer::VideoRewriter& rewriter = rewriters[static_cast<size_t>(r)];
      const std::optional<tutti::mixer::VideoRewriter::Fields> fields = rewriter.Rewrite(
          in.ssrc, in.sequence, in.timestamp, in.info.picture_id, in.info.tl0picidx, now_us);
      if (!fields) continue;
      WriteForwarded(packet, *fields, rewriter.ssrc(), out[static_cast<size_t>(r)].data());
      rewriter.CountSent(packet.bytes.size() - tutti::media::kRtpHeaderSize);
      ++sent;
    }
    benchmark::DoNotOptimize(out.data());
    now_us += 1'000'000 / kFps / 6;  // ~6 packets a frame
    if (++at == cameras[camera].size()) at = 0;
    // Every 2 s the talker changes: the receivers switch at the other
    // camera's next key frame (its packets before that are not forwarded).
    if (at % (cameras[camera].size() / 4) == 0) {
      camera ^= 1;
      ++switches;
      const uint32_t ssrc = camera == 0 ? 0x1111 : 0x2222;
      for (tutti::mixer::VideoRewriter& rewriter : rewriters) rewriter.SwitchTo(ssrc);
      while (!Read(cameras[camera][at]).info.keyframe) at = (at + 1) % cameras[camera].size();
    }
  }
  state.SetItemsProcessed(sent);
  state.counters["receivers"] = receivers;
  state.counters["switches"] = static_cast<double>(switches);
}
BENCHMARK(BM_ForwardToReceivers)->Arg(1)->Arg(9)->Arg(49);

// The worker's own path (the lead's VideoRouter): Conference::OnVideo with
// one camera watched by N receivers (presenter mode, so all N see it), each
// a Participant with a video stream on real bound ports; the sink counts
// what would be sent. Per source packet: the stream's checks (latch, payload
// type, receive statistics, inspection, the packet cache) and, per
// receiver, the rewrite into a send buffer and the consent check. Timed by
// hand per frame (6 packets; two clock reads a frame), the worker's ticks
// left out.
class CountingSink : public tutti::mixer::TickSink {
 public:
  uint8_t* NextBuffer() override { return buffer_.data(); }
  void Commit(uint16_t, const tutti::media::Endpoint&, uint16_t) override { ++packets; }
  void TalkingChanged(uint64_t, bool) override {}
  int64_t packets = 0;

 private:
  std::array<uint8_t, tutti::media::kMaxDatagramBytes> buffer_{};
};

std::unique_ptr<tutti::mixer::Participant> VideoParticipant(uint64_t id,
                                                            tutti::media::PortAllocator& ports) {
  tutti::mixer::ParticipantSpec spec;
  spec.id = id;
  spec.conference_id = 1;
  spec.codec = {tutti::media::CodecKind::kPcmu, 8000, 20};
  spec.payload_type = 0;
  spec.remote_rtp = {0x7f000001, static_cast<uint16_t>(20000 + id)};
  spec.remote_rtcp = spec.remote_rtp;
  spec.video.active = true;
  spec.video.codec = tutti::media::VideoCodec::kVp8;
  spec.video.payload_type = 96;
  spec.video.remote_rtp = {0x7f000001, static_cast<uint16_t>(30000 + id)};
  spec.video.remote_rtcp = spec.video.remote_rtp;
  spec.video.rtcp_mux = true;
  spec.video.feedback = {.nack = true, .pli = true, .remb = true};
  auto audio = ports.Allocate();
  auto video = ports.Allocate();
  if (!audio.ok() || !video.ok()) return nullptr;
  auto participant = std::make_unique<tutti::mixer::Participant>(spec, std::move(*audio),
                                                                 static_cast<uint32_t>(id));
  participant->SetVideoPorts(std::move(*video), {});
  return participant;
}

void BM_WorkerForwardToReceivers(benchmark::State& state) {
  const int receivers = static_cast<int>(state.range(0));
  tutti::media::PortAllocator ports("127.0.0.1", 56000, 56999);
  tutti::mixer::ConferenceOptions options;
  tutti::mixer::Conference conference(1, options);
  std::vector<tutti::mixer::Participant*> members;
  for (int i = 0; i <= receivers; ++i) {
    std::unique_ptr<tutti::mixer::Participant> participant =
        VideoParticipant(static_cast<uint64_t>(i + 1), ports);
    if (!participant) {
      state.SkipWithError("no free ports in 56000-56999");
      return;
    }
    members.push_back(participant.get());
    conference.Add(std::move(participant));
  }
  tutti::mixer::ConferenceSettings settings;
  settings.video_mode = tutti::mixer::VideoMode::kPresenter;
  settings.presenter_id = 1;
  conference.Configure(settings);
  CountingSink sink;
  int64_t now_us = 1'000'000;
  conference.Tick(now_us, sink);
  std::vector<SourcePacket> camera = Camera(0x1111, 640, 4 * kSwitchEveryFrames);
  tutti::mixer::Participant& source = *members[0];
  const tutti::media::Endpoint from = source.spec().video.remote_rtp;
  const uint16_t port = source.video_stream(false)->transport().rtp_port();
  size_t at = 0;
  uint16_t sequence = 0;
  uint32_t frames = 0;
  int64_t sent_in_ticks = 0;  // RTCP the ticks send
  // One packet of the camera, its sequence number and timestamp running on
  // as the clip repeats.
  auto send_next = [&] {
    SourcePacket& packet = camera[at];
    tutti::media::StoreBe16(&packet.bytes[2], sequence++);
    tutti::media::StoreBe32(&packet.bytes[4], frames * (tutti::media::kVideoClockRate / kFps));
    tutti::media::Datagram datagram{port, from, packet.bytes.data(),
                                    static_cast<uint16_t>(packet.bytes.size())};
    conference.OnVideo(source, false, false, datagram, now_us, sink);
    if ((packet.bytes[1] & 0x80) != 0) {  // the marker: the frame's last packet
      ++frames;
      now_us += 1'000'000 / kFps;
    }
    if (++at == camera.size()) at = 0;
  };
  // The worker ticks every 20 ms (it resets each stream's per-tick packet
  // budget, among others); five seconds of that first, so that every
  // receiver is shown the camera (from its key frame, one every 2 s: this
  // camera does not answer the PLI). Then each iteration is one frame's
  // packets, timed by hand, with the ticks that fall due untimed.
  // Each receiver's peer sends a receiver report every second, as a real
  // one does: a peer never heard from is soon not sent to (consent).
  int64_t tick_us = now_us;
  auto tick = [&] {
    while (tick_us <= now_us) {
      conference.Tick(tick_us += 20'000, sink);
      if (tick_us % 1'000'000 != 0) continue;
      for (tutti::mixer::Participant* member : members) {
        std::array<uint8_t, 64> report{};
        const size_t size = tutti::media::WriteRtcp(static_cast<uint32_t>(member->id()), nullptr,
                                                    {}, "bench", false, report);
        tutti::mixer::VideoStream& stream = *member->video_stream(false);
        tutti::media::Datagram datagram{stream.transport().rtp_port(),
                                        member->spec().video.remote_rtp, report.data(),
                                        static_cast<uint16_t>(size)};
        conference.OnVideo(*member, false, true, datagram, tick_us, sink);
      }
    }
  };
  while (now_us < 6'000'000) {
    send_next();
    tick();
  }
  const int64_t before = sink.packets;
  int64_t packets_in = 0;
  for (auto _ : state) {
    const uint32_t frame = frames;
    const auto start = std::chrono::steady_clock::now();
    while (frames == frame) {
      send_next();
      ++packets_in;
    }
    state.SetIterationTime(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    const int64_t sent = sink.packets;
    tick();
    sent_in_ticks += sink.packets - sent;
  }
  const int64_t forwarded = sink.packets - before - sent_in_ticks;
  if (forwarded < packets_in * receivers) {
    state.SkipWithError("not every receiver was shown the camera");
  }
  // items_per_second: source packets; per receiver, divide by `receivers`.
  state.SetItemsProcessed(packets_in);
  state.counters["receivers"] = receivers;
  state.counters["out_per_in"] = static_cast<double>(forwarded) / static_cast<double>(packets_in);
}
BENCHMARK(BM_WorkerForwardToReceivers)->Arg(1)->Arg(9)->Arg(49)->UseManualTime();

// Every packet of a source is kept for its receivers' NACKs: the cost of
// keeping one, and of finding one again (a NACK answered from the cache).
void BM_PacketCacheStore(benchmark::State& state) {
  const std::vector<SourcePacket> camera = Camera(0x1111, 640, kSwitchEveryFrames);
  tutti::media::PacketCache cache;
  size_t at = 0;
  uint16_t sequence = 0;
  for (auto _ : state) {
    cache.Store(sequence++, camera[at].bytes);
    if (++at == camera.size()) at = 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["cache_kib"] = static_cast<double>(cache.memory_bytes()) / 1024;
}
BENCHMARK(BM_PacketCacheStore);

void BM_PacketCacheFind(benchmark::State& state) {
  const std::vector<SourcePacket> camera = Camera(0x1111, 640, kSwitchEveryFrames);
  tutti::media::PacketCache cache;
  for (uint16_t sequence = 0; sequence < 200; ++sequence) {
    cache.Store(sequence, camera[sequence % camera.size()].bytes);
  }
  uint16_t sequence = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(cache.Find(sequence));
    sequence = static_cast<uint16_t>((sequence + 7) % 200);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PacketCacheFind);

// Who sees whom, once per 20 ms tick, for a room of `members` with video,
// two of them talking in turns that move every 3 s (150 ticks).
void BM_VideoSelectionTick(benchmark::State& state) {
  const int size = static_cast<int>(state.range(0));
  std::vector<tutti::mixer::VideoMember> members(static_cast<size_t>(size));
  for (int i = 0; i < size; ++i) {
    members[static_cast<size_t>(i)] = {
        .id = static_cast<uint64_t>(i + 1), .sends_video = true, .receives_video = true};
  }
  tutti::mixer::VideoSelection selection;
  int64_t tick = 0;
  int64_t changes = 0;
  for (auto _ : state) {
    const int turn = static_cast<int>(tick / 150);
    for (int i = 0; i < size; ++i) {
      tutti::mixer::VideoMember& member = members[static_cast<size_t>(i)];
      member.talking = i == (2 * turn) % size || i == (2 * turn + 1) % size;
      member.level_db = member.talking ? -20.0f - static_cast<float>(i % 3) : -90.0f;
    }
    changes +=
        selection.Update(members, tutti::mixer::VideoMode::kFollowTalker, 0, 2000, tick * 20'000)
            ? 1
            : 0;
    ++tick;
  }
  state.SetItemsProcessed(state.iterations() * size);
  state.counters["changes"] = static_cast<double>(changes);
}
BENCHMARK(BM_VideoSelectionTick)->Arg(10)->Arg(50);

}  // namespace
