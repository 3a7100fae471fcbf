// MSRP throughput through tutti's MSRP service (issue 17): the service runs
// in-process on loopback exactly as tuttid runs it (its own thread, one
// listening socket), members are real TCP sockets driven from the
// benchmark's thread, which reads with tutti_msrp's parser and answers
// every SEND 200 as a client does.
//
//  - BM_ChatRelay/<members>/<bytes>: one member sends a message of <bytes>
//    in 16 KiB chunks; the service reassembles it, relays it to every
//    other member (CPIM naming the sender, re-chunked) and each answers
//    every chunk. bytes/s is what the members received in all.
//  - BM_FileReceive/<bytes>: a member offers a file (RFC 5547, kFileReceive)
//    and sends it in 64 KiB chunks; the service writes it into the
//    FileStore (sha-256 as it goes, fsync, rename). bytes/s is the file's.
//
// service_cpu_ms is the CPU the service's thread took per iteration (the
// process's less the benchmark thread's), and MB_per_service_cpu_s the
// bytes relayed (or stored) per second of it: what one core would carry
// if the service had it to itself.
//
// Machine and figures: bench/README.md.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "benchmark/benchmark.h"
#include "signaling/msrp/file_store.h"
#include "signaling/msrp/msrp_message.h"
#include "signaling/msrp/msrp_service.h"

namespace tutti::msrp {
namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kChatChunk = 16 * 1024;
constexpr size_t kFileChunk = 64 * 1024;
constexpr auto kPatience = std::chrono::seconds(30);

// One member: a nonblocking TCP socket with what is still to be written
// and what was read but not parsed yet.
class Peer {
 public:
  Peer(uint16_t port, std::string uri, std::string to_uri)
      : uri_(std::move(uri)), to_uri_(std::move(to_uri)) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
      close(fd_);
      fd_ = -1;
      return;
    }
    const int on = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    fcntl(fd_, F_SETFL, fcntl(fd_, F_GETFL) | O_NONBLOCK);
  }
  ~Peer() {
    if (fd_ >= 0) close(fd_);
  }
  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;

  bool ok() const { return fd_ >= 0 && !closed_; }
  int fd() const { return fd_; }
  bool wants_write() const { return out_.size() > out_at_; }

  MsrpMessage Send(std::string body, std::string content_type) const {
    MsrpMessage m;
    m.transaction_id = NewTransactionId();
    m.method = "SEND";
    m.to_path = {to_uri_};
    m.from_path = {uri_};
    m.message_id = NewMessageId();
    m.content_type = std::move(content_type);
    m.body = std::move(body);
    if (!m.content_type.empty()) m.byte_range = ByteRange{1, m.body.size(), m.body.size()};
    return m;
  }
  void Queue(const std::string& bytes) { out_ += bytes; }

  void Write() {
    while (wants_write()) {
      const ssize_t n = send(fd_, out_.data() + out_at_, out_.size() - out_at_, MSG_NOSIGNAL);
      if (n <= 0) {
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        closed_ = true;
        return;
      }
      out_at_ += static_cast<size_t>(n);
    }
    out_.clear();
    out_at_ = 0;
  }

  // Reads what is there; every complete frame goes to `on_frame`.
  template <typename OnFrame>
  void Read(OnFrame&& on_frame) {
    char chunk[256 * 1024];
    while (true) {
      const ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) closed_ = true;
      if (n <= 0) break;
      in_.append(chunk, static_cast<size_t>(n));
    }
    size_t at = 0;
    ParseLimits limits;
    limits.max_body_bytes = 1 << 20;
    while (true) {
      FrameResult frame = ParseFrame(std::string_view(in_).substr(at), limits);
      if (frame.kind != FrameResult::Kind::kMessage) {
        if (frame.kind == FrameResult::Kind::kError) closed_ = true;
        break;
      }
      at += frame.consumed;
      if (frame.message.is_request && frame.message.method == "SEND") {
        Queue(WriteResponse(frame.message, 200, "OK"));
      }
      on_frame(frame.message);
    }
    in_.erase(0, at);
  }

 private:
  int fd_ = -1;
  bool closed_ = false;
  std::string uri_;
  std::string to_uri_;
  std::string out_;
  size_t out_at_ = 0;
  std::string in_;
};

// Polls every peer once (up to 50 ms), writing what is queued and reading
// what came.
template <typename OnFrame>
void Pump(std::vector<std::unique_ptr<Peer>>& peers, OnFrame&& on_frame) {
  std::vector<pollfd> fds;
  for (const auto& peer : peers) {
    fds.push_back(
        {peer->fd(), static_cast<short>(POLLIN | (peer->wants_write() ? POLLOUT : 0)), 0});
  }
  if (poll(fds.data(), fds.size(), 50) <= 0) return;
  for (size_t i = 0; i < peers.size(); ++i) {
    if (fds[i].revents & POLLOUT) peers[i]->Write();
    if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) {
      peers[i]->Read([&](const MsrpMessage& message) { on_frame(i, message); });
    }
  }
}

// The service, its events, and a temporary folder for its FileStore.
class Bench {
 public:
  explicit Bench(size_t max_message_bytes) {
    FileStoreOptions store;
    store.directory =
        (std::filesystem::temp_directory_path() / ("msrp-bench-" + std::to_string(getpid())))
            .string();
    std::filesystem::remove_all(store.directory);
    store.max_file_bytes = uint64_t{1} << 32;
    store.max_files_per_room = 1 << 20;
    store.max_bytes_per_room = uint64_t{1} << 40;
    files_ = std::make_unique<FileStore>(store);
    if (!files_->Open().ok()) return;
    MsrpOptions options;
    options.port = 0;
    options.max_message_bytes = max_message_bytes;
    options.limits.max_body_bytes = kFileChunk;
    options.max_queued_bytes = max_message_bytes * 2 + (1 << 20);
    service_ = std::make_unique<MsrpService>(options, files_.get(), [this](MsrpEvent event) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (std::holds_alternative<FileReceived>(event)) ++files_received_;
      if (std::holds_alternative<FileTransferFailed>(event)) ++files_failed_;
      changed_.notify_all();
    });
    started_ = service_->Start().ok();
  }
  ~Bench() {
    if (service_) service_->Stop();
    if (files_) std::filesystem::remove_all(files_->options().directory);
  }
  bool ok() const { return started_; }
  MsrpService& service() { return *service_; }

  // A session registered and a member connected and bound by an empty SEND.
  std::unique_ptr<Peer> Join(uint64_t call, MsrpSession session) {
    session.call_id = call;
    session.room = "bench";
    session.local_session_id = NewSessionId();
    session.remote_path = {"msrp://127.0.0.1:9/member" + std::to_string(call) + ";tcp"};
    session.member_uri = "sip:member" + std::to_string(call) + "@bench.example";
    session.member_name = "Member " + std::to_string(call);
    const int64_t before = service_->stats().sessions.load();
    service_->AddSession(session);
    const auto deadline = Clock::now() + kPatience;
    while (service_->stats().sessions.load() <= before && Clock::now() < deadline) {
      std::this_thread::yield();
    }
    auto peer = std::make_unique<Peer>(service_->port(), session.remote_path.back(),
                                       service_->LocalPath(session.local_session_id));
    peer->Queue(WriteMessage(peer->Send("", "")));
    std::vector<std::unique_ptr<Peer>> one;
    one.push_back(std::move(peer));
    bool answered = false;
    while (!answered && one[0]->ok() && Clock::now() < deadline) {
      Pump(one, [&](size_t, const MsrpMessage& m) { answered = answered || !m.is_request; });
    }
    return answered ? std::move(one[0]) : nullptr;
  }

  // Until the service holds exactly `count` sessions (one ends a moment
  // after its member closes the connection).
  bool WaitSessions(int64_t count) {
    const auto deadline = Clock::now() + kPatience;
    while (service_->stats().sessions.load() != count) {
      if (Clock::now() > deadline) return false;
      std::this_thread::yield();
    }
    return true;
  }

  bool WaitFiles(int64_t count) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, kPatience, [&] {
      return files_received_ + files_failed_ >= count;
    }) && files_failed_ == 0;
  }

 private:
  std::unique_ptr<FileStore> files_;
  std::unique_ptr<MsrpService> service_;
  bool started_ = false;
  std::mutex mutex_;
  std::condition_variable changed_;
  int64_t files_received_ = 0;
  int64_t files_failed_ = 0;
};

double CpuSeconds(int who) {
  rusage usage{};
  getrusage(who, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// The CPU the MSRP service's thread used while it runs (the process's but
// the benchmark thread's, which plays the members): on a shared machine the
// wall clock says more of the neighbours than of the service.
class ServiceCpu {
 public:
  ServiceCpu() : process_(CpuSeconds(RUSAGE_SELF)), members_(CpuSeconds(RUSAGE_THREAD)) {}
  double seconds() const {
    return (CpuSeconds(RUSAGE_SELF) - process_) - (CpuSeconds(RUSAGE_THREAD) - members_);
  }

 private:
  double process_;
  double members_;
};

void ReportServiceCpu(benchmark::State& state, const ServiceCpu& cpu, double bytes) {
  const double seconds = cpu.seconds();
  state.counters["service_cpu_ms"] =
      seconds * 1e3 / static_cast<double>(std::max<int64_t>(state.iterations(), 1));
  state.counters["MB_per_service_cpu_s"] = seconds > 0 ? bytes / 1e6 / seconds : 0;
}

// The chunks of one message from `peer`, `chunk` bytes each.
void QueueChunks(Peer& peer, const std::string& body, const std::string& type, size_t chunk) {
  MsrpMessage m = peer.Send("", type);
  for (size_t start = 0; start < body.size(); start += chunk) {
    const size_t length = std::min(chunk, body.size() - start);
    m.transaction_id = NewTransactionId();
    m.byte_range = ByteRange{start + 1, start + length, body.size()};
    m.body = body.substr(start, length);
    m.continuation = start + length < body.size() ? Continuation::kMore : Continuation::kEnd;
    peer.Queue(WriteMessage(m));
  }
}

void BM_ChatRelay(benchmark::State& state) {
  const auto members = static_cast<size_t>(state.range(0));
  const auto bytes = static_cast<size_t>(state.range(1));
  Bench bench(bytes);
  if (!bench.ok()) return state.SkipWithError("the MSRP service did not start");
  std::vector<std::unique_ptr<Peer>> peers;
  for (size_t i = 0; i < members; ++i) {
    MsrpSession session;
    session.accept_types = {"message/cpim", "text/plain"};
    session.accepts_cpim = true;
    peers.push_back(bench.Join(i + 1, session));
    if (!peers.back()) return state.SkipWithError("a member could not join");
  }
  const std::string text(bytes, 'm');
  const ServiceCpu cpu;
  for (auto _ : state) {
    QueueChunks(*peers[0], text, "text/plain", kChatChunk);
    size_t complete = 0;
    const auto deadline = Clock::now() + kPatience;
    while (complete < members - 1) {
      if (Clock::now() > deadline || !peers[0]->ok()) return state.SkipWithError("relay stalled");
      Pump(peers, [&](size_t who, const MsrpMessage& m) {
        if (who != 0 && m.is_request && m.method == "SEND" &&
            m.continuation == Continuation::kEnd && !m.body.empty()) {
          ++complete;
        }
      });
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(bytes * (members - 1)));
  ReportServiceCpu(state, cpu,
                   static_cast<double>(state.iterations()) * static_cast<double>(bytes) *
                       static_cast<double>(members - 1));
  state.counters["sent_MB/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * static_cast<double>(bytes) / 1e6,
                         benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ChatRelay)
    ->Args({2, 64 << 10})
    ->Args({2, 1 << 20})
    ->Args({3, 1 << 20})
    ->Args({10, 1 << 20})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_FileReceive(benchmark::State& state) {
  const auto bytes = static_cast<size_t>(state.range(0));
  Bench bench(64 << 10);
  if (!bench.ok()) return state.SkipWithError("the MSRP service did not start");
  std::string file(bytes, 'f');
  int64_t received = 0;
  const ServiceCpu cpu;
  for (auto _ : state) {
    // Different bytes every time: the store keeps one copy of equal files.
    std::snprintf(file.data(), 24, "%020lld", static_cast<long long>(received));
    MsrpSession session;
    session.role = SessionRole::kFileReceive;
    session.file.name = "bench.bin";
    session.file.type = "application/octet-stream";
    session.file.size = bytes;
    std::vector<std::unique_ptr<Peer>> peers;
    peers.push_back(bench.Join(static_cast<uint64_t>(received) + 1, session));
    if (!peers.back()) return state.SkipWithError("the sender could not join");
    QueueChunks(*peers[0], file, session.file.type, kFileChunk);
    const auto deadline = Clock::now() + kPatience;
    while (peers[0]->wants_write()) {
      if (Clock::now() > deadline || !peers[0]->ok()) return state.SkipWithError("upload stalled");
      Pump(peers, [](size_t, const MsrpMessage&) {});
    }
    if (!bench.WaitFiles(++received)) return state.SkipWithError("the file was not stored");
    peers.clear();
    state.PauseTiming();
    const bool ended = bench.WaitSessions(0);
    state.ResumeTiming();
    if (!ended) return state.SkipWithError("the file session did not end");
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(bytes));
  ReportServiceCpu(state, cpu,
                   static_cast<double>(state.iterations()) * static_cast<double>(bytes));
}
BENCHMARK(BM_FileReceive)
    ->Arg(1 << 20)
    ->Arg(5 << 20)
    ->Arg(50 << 20)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace tutti::msrp

BENCHMARK_MAIN();
