// A media worker on a packet plane of its own (no sockets): which rooms'
// packets go out together, the load it measures and the steps it sheds.
// Nothing here asserts a speed: waits have generous deadlines, and the one
// timing figure (the rooms' phase apart) has a wide tolerance.
#include "mixer/media_worker.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "mediaplane/port_allocator.h"

namespace tutti::mixer {
namespace {

// Receives nothing, idles in Receive for the time asked (counted idle), and
// records each Send: when, and which local ports it carried. A Send can be
// made to spin, standing in for the work of a busy worker.
class FakeIo final : public media::PacketIo {
 public:
  struct Flush {
    int64_t at_ns = 0;
    std::set<uint16_t> ports;
  };

  int Receive(std::span<media::Datagram> /*out*/, int64_t timeout_us) override {
    if (timeout_us <= 0) return 0;
    const int64_t started = SteadyNanos();
    std::this_thread::sleep_for(std::chrono::microseconds(std::min<int64_t>(timeout_us, 2'000)));
    idle_ns_.fetch_add(static_cast<uint64_t>(SteadyNanos() - started));
    return 0;
  }

  int Send(std::span<const media::Datagram> datagrams) override {
    const int64_t spin = spin_ns.load();
    const int64_t started = SteadyNanos();
    while (SteadyNanos() - started < spin) {
    }
    Flush flush{started, {}};
    for (const media::Datagram& datagram : datagrams) flush.ports.insert(datagram.local_port);
    std::lock_guard lock(mutex_);
    flushes_.push_back(std::move(flush));
    return static_cast<int>(datagrams.size());
  }

  Counters counters() const override { return {}; }
  uint64_t idle_ns() const override { return idle_ns_.load(); }
  bool AttachPort(uint16_t /*port*/, int /*fd*/) override { return true; }
  void DetachPort(uint16_t /*port*/, int /*fd*/) override {}

  std::vector<Flush> flushes() const {
    std::lock_guard lock(mutex_);
    return flushes_;
  }

  std::atomic<int64_t> spin_ns{0};

 private:
  std::atomic<uint64_t> idle_ns_{0};
  mutable std::mutex mutex_;
  std::vector<Flush> flushes_;
};

bool WaitFor(const std::function<bool()>& done, int seconds = 20) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

class MediaWorkerTest : public ::testing::Test {
 protected:
  void StartWorker(WorkerOptions options) {
    options.unverified_send_us = 0;  // nobody answers here: send anyway
    options.consent_timeout_us = 0;
    auto io = std::make_unique<FakeIo>();
    io_ = io.get();
    worker_ = std::make_unique<MediaWorker>(options, std::move(io));
    worker_->Start();
  }

  // `rooms` rooms (conference ids 1..) of two G.711 callers each, who hear
  // (encoded) silence every tick; their RTP ports by room.
  void Fill(int rooms) {
    for (uint32_t room = 1; room <= static_cast<uint32_t>(rooms); ++room) {
      for (uint64_t i = 0; i < 2; ++i) {
        auto ports = allocator_.Allocate();
        ASSERT_TRUE(ports.ok());
        ParticipantSpec spec;
        spec.id = room * 10 + i;
        spec.conference_id = room;
        spec.codec = {media::CodecKind::kPcmu, 8000, 20};
        spec.payload_type = 0;
        spec.remote_rtp = {0x7f000001, static_cast<uint16_t>(40000 + spec.id)};
        spec.remote_rtcp = spec.remote_rtp;
        room_of_[ports->rtp_port()] = room;
        auto participant = std::make_unique<Participant>(spec, std::move(*ports),
                                                         static_cast<uint32_t>(1000 + spec.id));
        participant->owner().Release();  // handed over through the ring
        ASSERT_TRUE(worker_->Post(AddParticipant{std::move(participant)}));
      }
    }
  }

  void Empty(int rooms) {
    for (uint32_t room = 1; room <= static_cast<uint32_t>(rooms); ++room) {
      for (uint64_t i = 0; i < 2; ++i) {
        ASSERT_TRUE(worker_->Post(RemoveParticipant{{room, room * 10 + i}}));
      }
    }
  }

  // The rooms whose RTP went out in each flush that carried any.
  std::vector<std::pair<int64_t, std::set<uint32_t>>> RoomFlushes() const {
    std::vector<std::pair<int64_t, std::set<uint32_t>>> out;
    for (const FakeIo::Flush& flush : io_->flushes()) {
      std::set<uint32_t> rooms;
      for (uint16_t port : flush.ports) {
        if (auto it = room_of_.find(port); it != room_of_.end()) rooms.insert(it->second);
      }
      if (!rooms.empty()) out.emplace_back(flush.at_ns, rooms);
    }
    return out;
  }

  // The median time from room 1's flush to the next of `room`'s.
  int64_t MedianPhaseAfterRoomOne(uint32_t room) const {
    std::vector<int64_t> gaps;
    int64_t last_one = -1;
    for (const auto& [at, rooms] : RoomFlushes()) {
      if (rooms.contains(1)) last_one = at;
      if (rooms.contains(room) && last_one >= 0) {
        gaps.push_back(at - last_one);
        last_one = -1;
      }
    }
    if (gaps.empty()) return -1;
    std::ranges::sort(gaps);
    return gaps[gaps.size() / 2];
  }

  void TearDown() override {
    if (worker_) worker_->Stop();
  }

  media::PortAllocator allocator_{"127.0.0.1", 47000, 47999,
                                  media::PortAllocator::Mode::kNumbersOnly};
  std::map<uint16_t, uint32_t> room_of_;
  FakeIo* io_ = nullptr;
  std::unique_ptr<MediaWorker> worker_;
};

TEST_F(MediaWorkerTest, RoomsGoOutAtTheirOwnPhases) {
  StartWorker({});
  Fill(6);
  ASSERT_TRUE(WaitFor([&] { return RoomFlushes().size() >= 6 * 40; }));
  std::set<uint32_t> seen;
  for (const auto& [at, rooms] : RoomFlushes()) {
    EXPECT_EQ(rooms.size(), 1u) << "rooms mixed at one instant";
    seen.insert(rooms.begin(), rooms.end());
  }
  EXPECT_EQ(seen.size(), 6u);
  // Rooms 1..6 have the phases 0..5 ms: room 6 is ~5 ms after room 1.
  const int64_t apart = MedianPhaseAfterRoomOne(6);
  EXPECT_GE(apart, 2'000'000);
  EXPECT_LE(apart, 12'000'000);
}

TEST_F(MediaWorkerTest, WithoutSpreadAllRoomsGoOutTogether) {
  WorkerOptions options;
  options.spread_ticks = false;
  StartWorker(options);
  Fill(6);
  ASSERT_TRUE(WaitFor([&] {
    const auto flushes = RoomFlushes();
    return std::ranges::any_of(flushes, [](const auto& f) { return f.second.size() == 6; });
  }));
  EXPECT_LT(MedianPhaseAfterRoomOne(6), 1'000'000);
}

TEST_F(MediaWorkerTest, LoadIsNearZeroIdleAndAboveZeroUnderWork) {
  StartWorker({});
  const WorkerCounters& counters = worker_->counters();
  ASSERT_TRUE(WaitFor([&] { return counters.ticks.load() >= 40; }));  // windows have closed
  EXPECT_LT(counters.load_permille.load(), 300u);
  io_->spin_ns = 1'000'000;  // each room's send costs a millisecond: ~30% busy
  Fill(6);
  EXPECT_TRUE(WaitFor([&] { return counters.load_permille.load() > 100; }))
      << counters.load_permille.load();
  io_->spin_ns = 0;
  Empty(6);
  EXPECT_TRUE(WaitFor([&] { return counters.load_permille.load() < 100; }))
      << counters.load_permille.load();
}

TEST_F(MediaWorkerTest, ShedsUnderLoadAndRestoresAfter) {
  WorkerOptions options;
  options.shed_load = 0.05;
  options.restore_load = 0.02;
  StartWorker(options);
  const WorkerCounters& counters = worker_->counters();
  io_->spin_ns = 2'000'000;
  Fill(6);
  ASSERT_TRUE(WaitFor([&] { return counters.shed_level.load() >= 1; }));
  EXPECT_GE(counters.shed_steps_up.load(), 1u);
  io_->spin_ns = 0;
  Empty(6);
  ASSERT_TRUE(WaitFor([&] { return counters.shed_level.load() == 0; }));
  EXPECT_GE(counters.shed_steps_down.load(), 1u);
  EXPECT_EQ(counters.shed_steps_up.load(), counters.shed_steps_down.load());
}

TEST_F(MediaWorkerTest, EveryRoomMixIsInTheLatenessHistogram) {
  StartWorker({});
  Fill(3);
  const WorkerCounters& counters = worker_->counters();
  ASSERT_TRUE(WaitFor([&] { return RoomFlushes().size() >= 30; }));
  worker_->Stop();
  uint64_t mixes = 0;
  for (const auto& bucket : counters.lateness_buckets) mixes += bucket.load();
  // Each room mix is one observation; a flush carries one room's mix.
  EXPECT_EQ(mixes, RoomFlushes().size());
}

}  // namespace
}  // namespace tutti::mixer
