#include "signaling/sip/tcp_transport.h"

#include <fcntl.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "common/log.h"
#include "common/log_rate_limit.h"
#include "common/strings.h"

namespace tutti::sip {
namespace {

// How long the listening socket is left unwatched when descriptors run out
// and the spare one cannot clear the backlog: long enough not to spin, short
// enough that service resumes quickly once descriptors are free again.
constexpr absl::Duration kAcceptPause = absl::Milliseconds(250);

int OpenSpareDescriptor() { return open("/dev/null", O_RDONLY | O_CLOEXEC); }

}  // namespace

TcpTransport::TcpTransport(EventLoop* loop, ReceiveHandler handler, TcpLimits limits,
                           TransportKind kind, const TlsContext* tls)
    : loop_(loop), handler_(std::move(handler)), kind_(kind), tls_(tls) {
  set_limits(limits);
}

void TcpTransport::set_limits(const TcpLimits& limits) {
  limits_ = limits;
  // Deadlines are checked by a sweep: a quarter of the shortest one keeps
  // a close within 25% of its deadline, and at most one sweep a second.
  sweep_interval_ = std::clamp(std::min(limits_.message_timeout, limits_.handshake_timeout) / 4,
                               absl::Milliseconds(50), absl::Seconds(1));
}

TcpTransport::~TcpTransport() {
  if (sweep_timer_ != 0) loop_->CancelTimer(sweep_timer_);
  if (resume_timer_ != 0) loop_->CancelTimer(resume_timer_);
  for (auto& [id, connection] : connections_) {
    loop_->RemoveFd(connection->fd);
    connection->tls.reset();
    close(connection->fd);
  }
  for (const int fd : listen_fds_) {
    loop_->RemoveFd(fd);
    close(fd);
  }
  if (spare_fd_ >= 0) close(spare_fd_);
}

absl::Status TcpTransport::Listen(const std::vector<std::string>& ips, uint16_t port) {
  local_port_ = port;
  for (const std::string& ip : ips) {
    if (absl::Status s = ListenOn(ip); !s.ok()) return s;
  }
  spare_fd_ = OpenSpareDescriptor();
  sweep_timer_ = loop_->AddTimer(sweep_interval_, [this] { Sweep(); });
  return absl::OkStatus();
}

absl::Status TcpTransport::ListenOn(const std::string& ip) {
  auto address = SocketAddress::FromIpPort(ip, local_port_);
  if (!address) return absl::InvalidArgumentError(StrCat("bad SIP listen address ", ip));
  const int fd = socket(address->family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(StrCat("socket: ", std::strerror(errno)));
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (address->is_ipv6()) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  if (bind(fd, address->sockaddr_ptr(), address->length()) != 0 || listen(fd, 1024) != 0) {
    const int error = errno;
    close(fd);
    return absl::UnavailableError(StrCat("cannot listen on SIP ", TransportName(kind_), " ",
                                         address->ToString(), ": ", std::strerror(error)));
  }
  sockaddr_storage bound{};
  socklen_t length = sizeof(bound);
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length);
  local_port_ = SocketAddress::FromSockaddr(reinterpret_cast<sockaddr*>(&bound), length).port();
  listen_fds_.push_back(fd);
  return loop_->AddFd(fd, EPOLLIN, [this, fd](uint32_t) { OnAcceptable(fd); });
}

void TcpTransport::OnAcceptable(int listen_fd) {
  for (int i = 0; i < 64; ++i) {
    sockaddr_storage source{};
    socklen_t length = sizeof(source);
    int fd = accept4(listen_fd, reinterpret_cast<sockaddr*>(&source), &length,
                     SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        if (OnDescriptorsExhausted(listen_fd, errno)) continue;
      }
      return;  // EAGAIN, or a connection aborted while queued: wait for the next one
    }
    SocketAddress peer = SocketAddress::FromSockaddr(reinterpret_cast<sockaddr*>(&source), length);
    if (source_filter_ != nullptr && !source_filter_->Allows(peer)) {
      ++counters_.denied;  // silence, as for UDP: nothing to answer a stranger with
      close(fd);
      continue;
    }
    const auto counted = per_source_.find(IpAddress::From(peer).SourceBlock());
    const int from_source = counted == per_source_.end() ? 0 : counted->second;
    if (static_cast<int>(connections_.size()) >= limits_.max_connections ||
        from_source >= limits_.max_connections_per_source) {
      ++counters_.refused;
      static LogRateLimit refused_log(5, 20);
      if (uint64_t held = 0; refused_log.Allow(&held)) {
        LogWarn(component(), "connection refused: limit reached")
            .With("peer", peer.ToString())
            .With("open", static_cast<int64_t>(connections_.size()))
            .With("from_source", from_source)
            .With("suppressed", held);
      }
      close(fd);
      continue;
    }
    ++counters_.accepted;
    Register(fd, peer, /*connecting=*/false);
  }
}

bool TcpTransport::OnDescriptorsExhausted(int listen_fd, int error) {
  // Level-triggered epoll reports the listening socket readable for as long
  // as a connection waits in the backlog: calling accept() again would spin
  // a core. Either take the connection off the backlog with the spare
  // descriptor and close it (the peer sees a close, not a hang), or, with no
  // spare, stop watching the socket for a while.
  ++counters_.fd_exhausted;
  if (uint64_t held = 0; exhausted_log_.Allow(&held)) {
    LogWarn(component(), "out of file descriptors: refusing connections")
        .With("error", std::strerror(error))
        .With("open", static_cast<int64_t>(connections_.size()))
        .With("times", static_cast<int64_t>(counters_.fd_exhausted));
  }
  bool cleared = false;
  if (spare_fd_ >= 0) {
    close(spare_fd_);
    const int fd = accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) {
      close(fd);
      ++counters_.refused;
      cleared = true;
    }
    // Another thread may take the freed slot first; then there is no spare
    // until descriptors are released, and the pause below takes over.
    spare_fd_ = OpenSpareDescriptor();
  }
  if (cleared && spare_fd_ >= 0) return true;
  if (!accept_paused_) {
    accept_paused_ = true;
    for (const int fd : listen_fds_) (void)loop_->ModifyFd(fd, 0);
    resume_timer_ = loop_->AddTimer(kAcceptPause, [this] {
      resume_timer_ = 0;
      ResumeAccepting();
    });
  }
  return false;
}

void TcpTransport::ResumeAccepting() {
  if (spare_fd_ < 0) spare_fd_ = OpenSpareDescriptor();
  accept_paused_ = false;
  for (const int fd : listen_fds_) (void)loop_->ModifyFd(fd, EPOLLIN);
}

TcpTransport::Connection* TcpTransport::Register(int fd, const SocketAddress& peer,
                                                 bool connecting) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  const uint64_t id = next_id_++;
  const absl::Time now = loop_->Now();
  auto connection = std::make_unique<Connection>(Connection{id,
                                                            fd,
                                                            peer,
                                                            StreamFramer(limits_.max_message_bytes),
                                                            {},
                                                            connecting,
                                                            !connecting,
                                                            now,
                                                            now});
  Connection* raw = connection.get();
  // An accepted plain connection must bring its first message in time: an
  // open connection that sends nothing holds a slot as well as a slow one.
  // (TLS: the handshake deadline first, then this one from its end.)
  if (raw->inbound && kind_ == TransportKind::kTcp) {
    raw->message_deadline = now + limits_.message_timeout;
  }
  if (kind_ == TransportKind::kTls) {
    SSL* ssl = tls_ != nullptr ? tls_->NewSession(fd, /*server=*/!connecting) : nullptr;
    if (ssl == nullptr) {
      LogError(component(), "cannot start a TLS session").With("error", TakeOpenSslErrors());
      close(fd);
      return nullptr;
    }
    raw->tls = std::make_unique<TlsSession>(ssl);
  }
  connections_.emplace(id, std::move(connection));
  by_peer_[peer] = id;
  ++per_source_[IpAddress::From(peer).SourceBlock()];
  const uint32_t events = connecting ? (EPOLLIN | EPOLLOUT) : EPOLLIN;
  raw->watched = events;
  if (absl::Status s =
          loop_->AddFd(fd, events, [this, id](uint32_t ev) { OnConnectionEvent(id, ev); });
      !s.ok()) {
    LogError(component(), "cannot watch connection").With("error", s.ToString());
  }
  return raw;
}

void TcpTransport::OnConnectionEvent(uint64_t id, uint32_t events) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return;
  Connection& connection = *it->second;
  if (connection.connecting && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
    int error = 0;
    socklen_t length = sizeof(error);
    getsockopt(connection.fd, SOL_SOCKET, SO_ERROR, &error, &length);
    if (error != 0) {
      Close(id, std::strerror(error));
      return;
    }
    connection.connecting = false;
  }
  if (connection.connecting) return;
  if (connection.tls) {
    // OpenSSL decides what it needs next; try everything it might.
    if (!connection.tls->established() && !Handshake(connection)) return;
    if (connection.tls->established()) {
      ReadFrom(connection);
      if (!connections_.contains(id)) return;
      Flush(connection);
    }
    return;
  }
  if (events & EPOLLIN) {
    ReadFrom(connection);
    if (!connections_.contains(id)) return;
  } else if (events & (EPOLLERR | EPOLLHUP)) {
    Close(id, "connection error");
    return;
  }
  if (events & EPOLLOUT) Flush(connection);
}

bool TcpTransport::Handshake(Connection& connection) {
  switch (connection.tls->Handshake()) {
    case TlsSession::Status::kOk:
      connection.tls_wants_write = false;
      connection.last_activity = loop_->Now();
      if (connection.inbound) connection.message_deadline = loop_->Now() + limits_.message_timeout;
      LogDebug(component(), "TLS handshake done")
          .With("peer", connection.peer.ToString())
          .With("tls", connection.tls->Describe())
          .With("client_certificate", connection.tls->PeerSubject());
      Watch(connection);
      return true;
    case TlsSession::Status::kWantRead:
      connection.tls_wants_write = false;
      Watch(connection);
      return true;
    case TlsSession::Status::kWantWrite:
      connection.tls_wants_write = true;
      Watch(connection);
      return true;
    case TlsSession::Status::kClosed:
    case TlsSession::Status::kError:
      break;
  }
  ++counters_.handshake_failures;
  static LogRateLimit handshake_log(5, 20);
  if (uint64_t held = 0; handshake_log.Allow(&held)) {
    LogInfo(component(), "TLS handshake failed")
        .With("peer", connection.peer.ToString())
        .With("error", connection.tls->error())
        .With("suppressed", held);
  }
  Close(connection.id, "TLS handshake failed");
  return false;
}

void TcpTransport::ReadFrom(Connection& connection) {
  const uint64_t id = connection.id;
  char chunk[16384];
  for (;;) {
    size_t got = 0;
    if (connection.tls) {
      switch (connection.tls->Read(chunk, sizeof(chunk), &got)) {
        case TlsSession::Status::kOk:
          break;
        case TlsSession::Status::kWantRead:
          connection.tls_wants_write = false;
          Watch(connection);
          return;
        case TlsSession::Status::kWantWrite:
          connection.tls_wants_write = true;
          Watch(connection);
          return;
        case TlsSession::Status::kClosed:
          Close(id, "closed by peer");
          return;
        case TlsSession::Status::kError:
          Close(id, connection.tls->error());
          return;
      }
    } else {
      const ssize_t result = read(connection.fd, chunk, sizeof(chunk));
      if (result == 0) {
        Close(id, "closed by peer");
        return;
      }
      if (result < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        Close(id, std::strerror(errno));
        return;
      }
      got = static_cast<size_t>(result);
    }
    if (!Deliver(connection, std::string_view(chunk, got))) return;
  }
}

bool TcpTransport::Deliver(Connection& connection, std::string_view bytes) {
  const uint64_t id = connection.id;
  const absl::Time now = loop_->Now();
  connection.last_activity = now;
  connection.framer.Append(bytes);
  for (;;) {
    std::string message, error;
    StreamFramer::Result result = connection.framer.Next(&message, &error);
    if (result == StreamFramer::Result::kNeedMore) break;
    if (result == StreamFramer::Result::kError) {
      ++counters_.framing_errors;
      static LogRateLimit framing_log(5, 20);
      if (uint64_t held = 0; framing_log.Allow(&held)) {
        LogWarn(component(), "closing connection: unframeable stream")
            .With("peer", connection.peer.ToString())
            .With("error", error)
            .With("suppressed", held);
      }
      Close(id, "framing error");
      return false;
    }
    // A message arrived: the deadline is for the next one, from its first byte.
    connection.message_deadline = absl::InfiniteFuture();
    ReceivedBytes received;
    received.transport = kind_;
    received.source = connection.peer;
    received.connection_id = id;
    received.bytes = std::move(message);
    handler_(std::move(received));
    // The handler may have closed this connection (e.g. on shutdown).
    if (!connections_.contains(id)) return false;
  }
  // Bytes of a message not yet complete (keep-alive CRLFs are gone by now):
  // its clock starts with the first of them and does not restart per byte.
  if (connection.framer.buffered() > 0 && connection.message_deadline == absl::InfiniteFuture()) {
    connection.message_deadline = now + limits_.message_timeout;
  }
  return true;
}

void TcpTransport::Send(const Destination& destination, std::string_view bytes) {
  Connection* connection = nullptr;
  if (auto it = connections_.find(destination.connection_id); it != connections_.end()) {
    connection = it->second.get();
  } else if (auto peer = by_peer_.find(destination.address); peer != by_peer_.end()) {
    connection = connections_.at(peer->second).get();
  } else {
    int fd = socket(destination.address.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return;
    if (connect(fd, destination.address.sockaddr_ptr(), destination.address.length()) != 0 &&
        errno != EINPROGRESS) {
      LogWarn(component(), "connect failed")
          .With("peer", destination.address.ToString())
          .With("error", std::strerror(errno));
      close(fd);
      return;
    }
    connection = Register(fd, destination.address, /*connecting=*/true);
    if (connection == nullptr) return;
  }
  if (connection->output.size() + bytes.size() > limits_.max_pending_output_bytes) {
    Close(connection->id, "peer does not read");
    return;
  }
  connection->output.append(bytes);
  if (connection->connecting) return;
  if (connection->tls && !connection->tls->established()) {
    // Sent once the handshake is done. An outgoing session starts it here.
    Handshake(*connection);
    return;
  }
  Flush(*connection);
}

void TcpTransport::Flush(Connection& connection) {
  while (!connection.output.empty()) {
    size_t written = 0;
    if (connection.tls) {
      const TlsSession::Status status = connection.tls->Write(connection.output, &written);
      if (status == TlsSession::Status::kWantRead || status == TlsSession::Status::kWantWrite) {
        connection.tls_wants_write = status == TlsSession::Status::kWantWrite;
        break;
      }
      if (status != TlsSession::Status::kOk) {
        Close(connection.id, connection.tls->error().empty() ? std::string_view("closed by peer")
                                                             : connection.tls->error());
        return;
      }
    } else {
      const ssize_t result =
          send(connection.fd, connection.output.data(), connection.output.size(), MSG_NOSIGNAL);
      if (result < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        Close(connection.id, std::strerror(errno));
        return;
      }
      written = static_cast<size_t>(result);
    }
    connection.output.erase(0, written);
  }
  connection.last_activity = loop_->Now();
  Watch(connection);
}

void TcpTransport::Watch(Connection& connection) {
  const bool want_write = !connection.output.empty() || connection.tls_wants_write;
  const uint32_t events = want_write ? (EPOLLIN | EPOLLOUT) : EPOLLIN;
  if (events == connection.watched) return;
  connection.watched = events;
  (void)loop_->ModifyFd(connection.fd, events);
}

void TcpTransport::Close(uint64_t id, std::string_view why) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return;
  Connection& connection = *it->second;
  LogDebug(component(), "connection closed")
      .With("peer", connection.peer.ToString())
      .With("why", why);
  loop_->RemoveFd(connection.fd);
  if (connection.tls) {
    connection.tls->Shutdown();
    connection.tls.reset();
  }
  close(connection.fd);
  if (auto peer = by_peer_.find(connection.peer); peer != by_peer_.end() && peer->second == id) {
    by_peer_.erase(peer);
  }
  if (auto source = per_source_.find(IpAddress::From(connection.peer).SourceBlock());
      source != per_source_.end() && --source->second <= 0) {
    per_source_.erase(source);
  }
  connections_.erase(it);
}

void TcpTransport::Sweep() {
  const absl::Time now = loop_->Now();
  struct Expired {
    uint64_t id;
    const char* why;
  };
  std::vector<Expired> expired;
  for (const auto& [id, connection] : connections_) {
    if (connection->tls && !connection->tls->established() &&
        now - connection->opened > limits_.handshake_timeout) {
      ++counters_.handshake_timeouts;
      expired.push_back({id, "TLS handshake timeout"});
    } else if (now > connection->message_deadline) {
      ++counters_.message_timeouts;
      expired.push_back({id, "message timeout"});
    } else if (now - connection->last_activity > limits_.idle_timeout) {
      ++counters_.idle_timeouts;
      expired.push_back({id, "idle timeout"});
    }
  }
  for (const Expired& e : expired) {
    if (auto it = connections_.find(e.id); it != connections_.end()) {
      static LogRateLimit deadline_log(5, 20);
      if (uint64_t held = 0; deadline_log.Allow(&held)) {
        LogInfo(component(), "connection closed: deadline passed")
            .With("peer", it->second->peer.ToString())
            .With("why", e.why)
            .With("buffered", static_cast<int64_t>(it->second->framer.buffered()))
            .With("suppressed", held);
      }
    }
    Close(e.id, e.why);
  }
  sweep_timer_ = loop_->AddTimer(sweep_interval_, [this] { Sweep(); });
}

}  // namespace tutti::sip
