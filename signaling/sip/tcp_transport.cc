#include "signaling/sip/tcp_transport.h"

#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "signaling/common/log.h"
#include "signaling/common/strings.h"

namespace tutti::sip {

TcpTransport::TcpTransport(EventLoop* loop, ReceiveHandler handler, TcpLimits limits)
    : loop_(loop), handler_(std::move(handler)), limits_(limits) {}

TcpTransport::~TcpTransport() {
  if (sweep_timer_ != 0) loop_->CancelTimer(sweep_timer_);
  for (auto& [id, connection] : connections_) {
    loop_->RemoveFd(connection->fd);
    close(connection->fd);
  }
  if (listen_fd_ >= 0) {
    loop_->RemoveFd(listen_fd_);
    close(listen_fd_);
  }
}

absl::Status TcpTransport::Listen(const std::string& ip, uint16_t port) {
  auto address = SocketAddress::FromIpPort(ip, port);
  if (!address) return absl::InvalidArgumentError(StrCat("bad SIP listen address ", ip));
  listen_fd_ = socket(address->family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) return absl::InternalError(StrCat("socket: ", std::strerror(errno)));
  int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(listen_fd_, address->sockaddr_ptr(), address->length()) != 0 ||
      listen(listen_fd_, 1024) != 0) {
    return absl::UnavailableError(
        StrCat("cannot listen on SIP TCP ", address->ToString(), ": ", std::strerror(errno)));
  }
  sockaddr_storage bound{};
  socklen_t length = sizeof(bound);
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&bound), &length);
  local_port_ = SocketAddress::FromSockaddr(reinterpret_cast<sockaddr*>(&bound), length).port();
  sweep_timer_ = loop_->AddTimer(absl::Seconds(1), [this] { SweepIdle(); });
  return loop_->AddFd(listen_fd_, EPOLLIN, [this](uint32_t) { OnAcceptable(); });
}

void TcpTransport::OnAcceptable() {
  for (int i = 0; i < 64; ++i) {
    sockaddr_storage source{};
    socklen_t length = sizeof(source);
    int fd = accept4(listen_fd_, reinterpret_cast<sockaddr*>(&source), &length,
                     SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    SocketAddress peer = SocketAddress::FromSockaddr(reinterpret_cast<sockaddr*>(&source), length);
    const int from_source = per_source_ip_[peer.ip()];
    if (static_cast<int>(connections_.size()) >= limits_.max_connections ||
        from_source >= limits_.max_connections_per_source) {
      ++refused_connections_;
      LogWarn("sip.tcp", "connection refused: limit reached")
          .With("peer", peer.ToString())
          .With("open", static_cast<int64_t>(connections_.size()))
          .With("from_source", from_source);
      close(fd);
      continue;
    }
    Register(fd, peer, /*connecting=*/false);
  }
}

TcpTransport::Connection* TcpTransport::Register(int fd, const SocketAddress& peer,
                                                 bool connecting) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  const uint64_t id = next_id_++;
  auto connection = std::make_unique<Connection>(Connection{
      id, fd, peer, StreamFramer(limits_.max_message_bytes), {}, connecting, loop_->Now()});
  Connection* raw = connection.get();
  connections_.emplace(id, std::move(connection));
  by_peer_[peer] = id;
  ++per_source_ip_[peer.ip()];
  const uint32_t events = connecting ? (EPOLLIN | EPOLLOUT) : EPOLLIN;
  if (absl::Status s =
          loop_->AddFd(fd, events, [this, id](uint32_t ev) { OnConnectionEvent(id, ev); });
      !s.ok()) {
    LogError("sip.tcp", "cannot watch connection").With("error", s.ToString());
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
  if (events & EPOLLIN) {
    ReadFrom(connection);
    if (!connections_.contains(id)) return;
  } else if (events & (EPOLLERR | EPOLLHUP)) {
    Close(id, "connection error");
    return;
  }
  if (events & EPOLLOUT) Flush(connection);
}

void TcpTransport::ReadFrom(Connection& connection) {
  const uint64_t id = connection.id;
  char chunk[16384];
  for (;;) {
    ssize_t got = read(connection.fd, chunk, sizeof(chunk));
    if (got == 0) {
      Close(id, "closed by peer");
      return;
    }
    if (got < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      Close(id, std::strerror(errno));
      return;
    }
    connection.last_activity = loop_->Now();
    connection.framer.Append(std::string_view(chunk, static_cast<size_t>(got)));
    for (;;) {
      std::string message, error;
      StreamFramer::Result result = connection.framer.Next(&message, &error);
      if (result == StreamFramer::Result::kNeedMore) break;
      if (result == StreamFramer::Result::kError) {
        ++framing_errors_;
        LogWarn("sip.tcp", "closing connection: unframeable stream")
            .With("peer", connection.peer.ToString())
            .With("error", error);
        Close(id, "framing error");
        return;
      }
      ReceivedBytes received;
      received.transport = TransportKind::kTcp;
      received.source = connection.peer;
      received.connection_id = id;
      received.bytes = std::move(message);
      handler_(std::move(received));
      // The handler may have closed this connection (e.g. on shutdown).
      if (!connections_.contains(id)) return;
    }
  }
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
      LogWarn("sip.tcp", "connect failed")
          .With("peer", destination.address.ToString())
          .With("error", std::strerror(errno));
      close(fd);
      return;
    }
    connection = Register(fd, destination.address, /*connecting=*/true);
  }
  if (connection->output.size() + bytes.size() > limits_.max_pending_output_bytes) {
    Close(connection->id, "peer does not read");
    return;
  }
  connection->output.append(bytes);
  if (!connection->connecting) Flush(*connection);
}

void TcpTransport::Flush(Connection& connection) {
  while (!connection.output.empty()) {
    ssize_t written =
        send(connection.fd, connection.output.data(), connection.output.size(), MSG_NOSIGNAL);
    if (written < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      Close(connection.id, std::strerror(errno));
      return;
    }
    connection.output.erase(0, static_cast<size_t>(written));
  }
  connection.last_activity = loop_->Now();
  (void)loop_->ModifyFd(connection.fd, connection.output.empty() ? EPOLLIN : (EPOLLIN | EPOLLOUT));
}

void TcpTransport::Close(uint64_t id, std::string_view why) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return;
  Connection& connection = *it->second;
  LogDebug("sip.tcp", "connection closed")
      .With("peer", connection.peer.ToString())
      .With("why", why);
  loop_->RemoveFd(connection.fd);
  close(connection.fd);
  if (auto peer = by_peer_.find(connection.peer); peer != by_peer_.end() && peer->second == id) {
    by_peer_.erase(peer);
  }
  if (auto source = per_source_ip_.find(connection.peer.ip());
      source != per_source_ip_.end() && --source->second <= 0) {
    per_source_ip_.erase(source);
  }
  connections_.erase(it);
}

void TcpTransport::SweepIdle() {
  const absl::Time now = loop_->Now();
  std::vector<uint64_t> idle;
  for (const auto& [id, connection] : connections_) {
    if (now - connection->last_activity > limits_.idle_timeout) idle.push_back(id);
  }
  for (uint64_t id : idle) Close(id, "idle timeout");
  sweep_timer_ = loop_->AddTimer(absl::Seconds(1), [this] { SweepIdle(); });
}

}  // namespace tutti::sip
