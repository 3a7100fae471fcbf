// MsrpService: the MSRP thread, its sockets, which session a connection
// belongs to, our transactions' deadlines and the ends of sessions. The
// chat switch's routing is in msrp_service_chat.cc, files in
// msrp_service_files.cc.
#include "signaling/msrp/msrp_service.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

#include "common/log.h"
#include "common/strings.h"
#include "signaling/msrp/msrp_service_impl.h"
#include "signaling/msrp/msrp_sockets.h"

namespace tutti::msrp {
namespace {

constexpr std::string_view kComponent = "msrp";
// Chat messages one member may have in pieces at once.
constexpr size_t kMaxMessagesInProgress = 8;
// SENDs of ours one member may leave unanswered; past it, it is too slow.
constexpr size_t kMaxPendingSends = 4096;

absl::Duration SweepInterval(const MsrpOptions& options) {
  return std::clamp(std::min(options.connect_timeout, options.transaction_timeout) / 4,
                    absl::Milliseconds(10), absl::Seconds(1));
}

// Unframed bytes a connection may hold: a chunk at its limits and one read.
size_t MaxBuffered(const ParseLimits& limits) {
  return limits.max_header_bytes + limits.max_body_bytes + 1024 + 64 * 1024;
}

}  // namespace

ServiceSession::ServiceSession(MsrpSession s, const MsrpOptions& options, MsrpUri local)
    : info(std::move(s)),
      local_uri(std::move(local)),
      local_path{FormatUri(local_uri)},
      assembler(options.max_message_bytes, kMaxMessagesInProgress) {}

MsrpService::Impl::Impl(MsrpOptions o, FileStore* f, EventSink s)
    : options(std::move(o)), files(f), sink(std::move(s)) {}

MsrpUri MsrpService::Impl::LocalUri(std::string_view session_id) const {
  MsrpUri uri;
  uri.host = options.advertised_host.empty() ? options.listen_address : options.advertised_host;
  uri.port = port.load(std::memory_order_relaxed);
  uri.session_id = std::string(session_id);
  return uri;
}

// ---- The thread ----

void MsrpService::Impl::Run() {
  if (absl::Status s = loop.AddFd(listen_fd, EPOLLIN, [this](uint32_t) { OnAcceptable(); });
      !s.ok()) {
    LogError(kComponent, "cannot watch the MSRP socket").With("error", s.ToString());
  }
  ScheduleSweep();
  loop.Run();
  Teardown();
}

void MsrpService::Impl::ScheduleSweep() {
  loop.AddTimer(SweepInterval(options), [this] {
    Sweep();
    ScheduleSweep();
  });
}

void MsrpService::Impl::Teardown() {
  stopping = true;  // the daemon hears nothing more: it is stopping us
  std::vector<std::string> ids;
  for (const auto& [id, session] : sessions) ids.push_back(id);
  for (const std::string& id : ids) EndSession(id, "the MSRP service stopped", false, false);
  connections.clear();  // unbound ones
  stats.connections_open.store(0, std::memory_order_relaxed);
  loop.RemoveFd(listen_fd);
  close(listen_fd);
  listen_fd = -1;
}

// ---- Connections ----

void MsrpService::Impl::OnAcceptable() {
  for (int i = 0; i < 64; ++i) {
    const int fd = accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN, or out of descriptors: the next readiness retries
    std::string peer = PeerAddress(fd);
    const auto counted = per_source.find(peer);
    const int from_source = counted == per_source.end() ? 0 : counted->second;
    if (static_cast<int>(connections.size()) >= options.max_connections ||
        from_source >= options.max_connections_per_source) {
      stats.connections_refused.fetch_add(1, std::memory_order_relaxed);
      LogWarn(kComponent, "MSRP connection refused: limit reached")
          .With("peer", peer)
          .With("from_source", from_source);
      close(fd);
      continue;
    }
    stats.connections_accepted.fetch_add(1, std::memory_order_relaxed);
    Register(fd, std::move(peer), /*inbound=*/true, /*connecting=*/false);
  }
}

uint64_t MsrpService::Impl::Register(int fd, std::string peer, bool inbound, bool connecting) {
  const uint64_t id = next_connection_id++;
  auto connection = std::make_unique<ServiceConnection>();
  connection->inbound = inbound;
  // An accepted connection must name its session in time: one that sends
  // nothing would hold a slot for ever.
  connection->bind_deadline = loop.Now() + options.connect_timeout;
  if (inbound) ++per_source[peer];
  connection->socket = std::make_unique<MsrpConnection>(&loop, fd, std::move(peer), connecting);
  const uint32_t events = EPOLLIN | (connecting ? EPOLLOUT : 0u);
  if (!loop.AddFd(fd, events, [this, id](uint32_t ev) { OnConnectionEvent(id, ev); }).ok()) {
    LogError(kComponent, "cannot watch an MSRP connection");
  }
  connections.emplace(id, std::move(connection));
  stats.connections_open.fetch_add(1, std::memory_order_relaxed);
  return id;
}

void MsrpService::Impl::OnConnectionEvent(uint64_t id, uint32_t events) {
  auto it = connections.find(id);
  if (it == connections.end()) return;
  ServiceConnection& connection = *it->second;
  if (connection.socket->connecting()) {
    OnConnected(id, connection);
    return;
  }
  if ((events & EPOLLOUT) != 0) {
    uint64_t sent = 0;
    const auto result = connection.socket->Flush(&sent);
    stats.bytes_sent.fetch_add(sent, std::memory_order_relaxed);
    if (result == MsrpConnection::FlushResult::kClosed) {
      CloseConnection(id, "the peer closed the connection");
      return;
    }
    auto session = sessions.find(connection.session_id);
    if (session != sessions.end()) PumpFile(*session->second);
  }
  if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0) ReadFrom(id);
}

void MsrpService::Impl::OnConnected(uint64_t id, ServiceConnection& connection) {
  auto session = sessions.find(connection.session_id);
  std::string why;
  if (!connection.socket->FinishConnect(&why)) {
    CloseConnection(id, StrCat("cannot connect: ", why));
    return;
  }
  if (session == sessions.end()) return;
  SendBindingSend(*session->second);
  OnEstablished(*session->second);
}

void MsrpService::Impl::ReadFrom(uint64_t id) {
  auto it = connections.find(id);
  uint64_t read = 0;
  const auto result = it->second->socket->Read(MaxBuffered(options.limits), &read);
  stats.bytes_received.fetch_add(read, std::memory_order_relaxed);
  if (result == MsrpConnection::ReadResult::kTooMuch) {
    stats.malformed.fetch_add(1, std::memory_order_relaxed);
    CloseConnection(id, "a frame past the limits");
    return;
  }
  // Frames read before a close are still handled: a peer may send its last
  // chunk and close at once.
  while (true) {
    it = connections.find(id);
    if (it == connections.end()) return;  // closed by what a frame did
    FrameResult frame = it->second->socket->NextFrame(options.limits);
    if (frame.kind == FrameResult::Kind::kNeedMore) break;
    if (frame.kind == FrameResult::Kind::kError) {
      stats.malformed.fetch_add(1, std::memory_order_relaxed);
      OnFrameError(*it->second, frame);
      CloseConnection(id, StrCat("malformed MSRP: ", frame.error));
      return;
    }
    HandleMessage(id, frame.message);
  }
  if (result == MsrpConnection::ReadResult::kClosed) {
    CloseConnection(id, "the peer closed the connection");
  }
}

void MsrpService::Impl::OnFrameError(ServiceConnection& connection, const FrameResult& frame) {
  // The answer owed to a request that did not parse, when it can be
  // addressed: the connection's session knows the peer's path.
  auto session = sessions.find(connection.session_id);
  if (frame.transaction_id.empty() || session == sessions.end()) return;
  MsrpMessage request;
  request.transaction_id = frame.transaction_id;
  request.to_path = session->second->local_path;
  request.from_path = session->second->info.remote_path;
  QueueTo(*session->second, WriteResponse(request, frame.error_status, frame.error));
}

void MsrpService::Impl::HandleMessage(uint64_t id, MsrpMessage& message) {
  ServiceConnection& connection = *connections.find(id)->second;
  if (connection.session_id.empty() && !Bind(id, connection, message)) return;
  auto it = sessions.find(connection.session_id);
  if (it == sessions.end()) return;
  ServiceSession& session = *it->second;
  if (!message.is_request) {
    HandleResponse(session, message);
  } else if (NamedSession(message) != &session) {
    // One connection, one session: a request for another is no business
    // of this connection.
    if (message.method != "REPORT") Respond(session, message, 481, "Session does not exist");
  } else {
    HandleRequest(session, message);
  }
}

ServiceSession* MsrpService::Impl::NamedSession(const MsrpMessage& request) {
  if (request.to_path.empty()) return nullptr;
  const std::optional<MsrpUri> named = ParseUri(request.to_path.back());
  if (!named) return nullptr;
  auto it = sessions.find(named->session_id);
  if (it == sessions.end() || !SameUri(*named, it->second->local_uri)) return nullptr;
  return it->second.get();
}

bool MsrpService::Impl::Bind(uint64_t id, ServiceConnection& connection,
                             const MsrpMessage& request) {
  ServiceSession* session = request.is_request ? NamedSession(request) : nullptr;
  if (session == nullptr || session->connection != 0 || session->info.active) {
    stats.connections_refused.fetch_add(1, std::memory_order_relaxed);
    if (request.is_request && request.method != "REPORT") {
      uint64_t sent = 0;  // 481, then the close (RFC 4975 §7.3.1)
      connection.socket->Queue(WriteResponse(request, 481, "Session does not exist"),
                               options.max_queued_bytes, &sent);
      stats.bytes_sent.fetch_add(sent, std::memory_order_relaxed);
    }
    CloseConnection(id, "no such session");
    return false;
  }
  // A session registered before the peer's answer was read (tutti's own
  // file offer, which the member may answer and connect to at once) does
  // not know the peer's path yet: its binding request's From-Path says it.
  if (session->info.remote_path.empty()) session->info.remote_path = request.from_path;
  connection.session_id = session->info.local_session_id;
  session->connection = id;
  OnEstablished(*session);
  return true;
}

void MsrpService::Impl::HandleRequest(ServiceSession& session, const MsrpMessage& request) {
  if (request.method == "REPORT") {  // never answered (§7.1.2)
    OnFileReport(session, request);
    return;
  }
  if (request.method != "SEND") {
    Respond(session, request, 501, "Unknown method");
    return;
  }
  stats.chunks_received.fetch_add(1, std::memory_order_relaxed);
  if (request.body.empty() && request.content_type.empty()) {  // §5.4's empty SEND
    Respond(session, request, 200, "OK");
    return;
  }
  switch (session.info.role) {
    case SessionRole::kChat:
      OnChatChunk(session, request);
      return;
    case SessionRole::kFileReceive:
      OnFileChunk(session, request);
      return;
    case SessionRole::kFileSend:
      Respond(session, request, 403, "This session only sends");
      return;
  }
}

void MsrpService::Impl::HandleResponse(ServiceSession& session, const MsrpMessage& response) {
  auto it = session.pending.find(response.transaction_id);
  if (it == session.pending.end()) return;  // late, after its deadline, or not ours
  const PendingSend pending = std::move(it->second);
  session.pending.erase(it);
  if (pending.kind == PendingSend::Kind::kFileChunk) {
    OnFileChunkAnswered(session, response.status_code, response.comment);
  } else if (response.status_code >= 300) {
    OnSendFailed(session, pending, response.status_code, response.comment);
  }
}

void MsrpService::Impl::Respond(ServiceSession& session, const MsrpMessage& request, int code,
                                std::string_view comment) {
  // Failure-Report (§7.1.2): "no", no response at all; "partial", only
  // failures; "yes" or absent, every one.
  if (request.failure_report == "no") return;
  if (request.failure_report == "partial" && code < 300) return;
  QueueTo(session, WriteResponse(request, code, comment));
}

void MsrpService::Impl::ReportReceived(ServiceSession& session, const MsrpMessage& chunk,
                                       uint64_t bytes, int code, std::string_view comment) {
  const ByteRange range{1, bytes, bytes};
  QueueTo(session, WriteReport(session.info.remote_path, session.local_path, chunk.message_id,
                               range, code, comment));
}

bool MsrpService::Impl::QueueTo(ServiceSession& session, std::string bytes) {
  if (session.dropping) return false;
  auto it = connections.find(session.connection);
  if (it == connections.end()) return false;
  uint64_t sent = 0;
  const bool kept_up = it->second->socket->Queue(std::move(bytes), options.max_queued_bytes, &sent);
  stats.bytes_sent.fetch_add(sent, std::memory_order_relaxed);
  if (kept_up) return true;
  // Dropped once the work at hand is done: dropping now would end sessions
  // under the feet of a relay in progress.
  session.dropping = true;
  loop.Post([this, id = session.info.local_session_id] { DropSlow(id); });
  return false;
}

bool MsrpService::Impl::QueueSend(ServiceSession& session, const std::string& transaction_id,
                                  std::string bytes, PendingSend pending) {
  if (session.pending.size() >= kMaxPendingSends && !session.dropping) {
    session.dropping = true;  // it reads, but answers nothing: as slow as not reading
    loop.Post([this, id = session.info.local_session_id] { DropSlow(id); });
  }
  if (!QueueTo(session, std::move(bytes))) return false;
  session.pending.emplace(transaction_id, std::move(pending));
  session.deadlines.emplace_back(loop.Now() + options.transaction_timeout, transaction_id);
  return true;
}

// ---- Sessions ----

void MsrpService::Impl::AddSessionNow(MsrpSession info) {
  const std::string id = info.local_session_id;
  if (id.empty() || sessions.contains(id)) {
    LogWarn(kComponent, "MSRP session not added: no id, or one in use")
        .With("call_id", info.call_id);
    return;
  }
  const bool file = info.role != SessionRole::kChat;
  auto session = std::make_unique<ServiceSession>(std::move(info), options, LocalUri(id));
  session->connect_deadline = loop.Now() + options.connect_timeout;
  ServiceSession& added = *session;
  sessions.emplace(id, std::move(session));
  stats.sessions.fetch_add(1, std::memory_order_relaxed);
  if (file && files == nullptr) {
    EndSession(id, "no file store", false, true);
    return;
  }
  if (!file) rooms[added.info.room].insert(id);
  if (added.info.active) ConnectActive(added);
}

void MsrpService::Impl::ConnectActive(ServiceSession& session) {
  const std::optional<MsrpUri> to =
      session.info.remote_path.empty() ? std::nullopt : ParseUri(session.info.remote_path.back());
  absl::StatusOr<int> fd = to ? ConnectTcp(to->host, to->port)
                              : absl::InvalidArgumentError("no MSRP URI in the peer's path");
  if (!fd.ok()) {
    EndSession(session.info.local_session_id, StrCat("cannot connect: ", fd.status().message()),
               false, true);
    return;
  }
  const uint64_t id = Register(*fd, to->host, /*inbound=*/false, /*connecting=*/true);
  connections.find(id)->second->session_id = session.info.local_session_id;
  session.connection = id;
}

void MsrpService::Impl::SendBindingSend(ServiceSession& session) {
  // §5.4: the active side sends first, so the passive side learns which
  // session the connection is for; an empty SEND will do.
  MsrpMessage bind;
  bind.transaction_id = NewTransactionId();
  bind.method = "SEND";
  bind.to_path = session.info.remote_path;
  bind.from_path = session.local_path;
  bind.message_id = NewMessageId();
  bind.byte_range = ByteRange{1, 0, 0};
  QueueSend(session, bind.transaction_id, WriteMessage(bind), PendingSend{});
}

void MsrpService::Impl::OnEstablished(ServiceSession& session) {
  session.established = true;
  if (session.info.role == SessionRole::kFileSend) StartFileSend(session);
  if (session.info.role == SessionRole::kChat) RelayWaiting(session);
}

void MsrpService::Impl::CloseConnection(uint64_t id, std::string_view why) {
  auto it = connections.find(id);
  if (it == connections.end()) return;
  if (!it->second->session_id.empty()) {
    EndSession(it->second->session_id, why, false, true);  // erases the connection
  }
  EraseConnection(id);
}

void MsrpService::Impl::EraseConnection(uint64_t id) {
  auto it = connections.find(id);
  if (it == connections.end()) return;
  if (it->second->inbound) {
    auto source = per_source.find(it->second->socket->peer());
    if (source != per_source.end() && --source->second <= 0) per_source.erase(source);
  }
  connections.erase(it);  // closes the socket
  stats.connections_open.fetch_sub(1, std::memory_order_relaxed);
}

void MsrpService::Impl::EndSession(const std::string& id, std::string_view why, bool slow,
                                   bool notify) {
  const std::string session_id = id;  // `id` may live in the connection erased below
  auto it = sessions.find(session_id);
  if (it == sessions.end()) return;
  std::unique_ptr<ServiceSession> session = std::move(it->second);
  sessions.erase(it);
  stats.sessions.fetch_sub(1, std::memory_order_relaxed);
  auto room = rooms.find(session->info.room);
  if (room != rooms.end()) {
    room->second.erase(session_id);
    if (room->second.empty()) rooms.erase(room);
  }
  EraseConnection(session->connection);
  session->connection = 0;
  session->dropping = true;  // nothing more is queued to it
  FailPending(*session, slow ? 413 : 481, why);
  EndFileTransfers(*session, why);
  LogInfo(kComponent, "MSRP session ended")
      .With("call_id", session->info.call_id)
      .With("why", why)
      .With("slow", slow);
  if (notify) {
    Emit(SessionEnded{session->info.call_id, session_id, std::string(why), slow});
  }
}

void MsrpService::Impl::FailPending(ServiceSession& session, int code, std::string_view comment) {
  auto pending = std::move(session.pending);
  session.pending.clear();
  session.deadlines.clear();
  for (auto& [transaction_id, send] : pending) {
    if (send.kind == PendingSend::Kind::kRelay) OnSendFailed(session, send, code, comment);
  }
}

void MsrpService::Impl::OnSendFailed(ServiceSession& session, const PendingSend& pending, int code,
                                     std::string_view comment) {
  if (pending.kind == PendingSend::Kind::kRelay && pending.delivery != nullptr) {
    OnDeliveryFailed(*pending.delivery, code, comment);
  } else if (pending.kind == PendingSend::Kind::kFileChunk) {
    OnFileChunkAnswered(session, code, comment);
  }
}

void MsrpService::Impl::DropSlow(const std::string& session_id) {
  if (!sessions.contains(session_id)) return;
  stats.slow_dropped.fetch_add(1, std::memory_order_relaxed);
  EndSession(session_id, "the member did not read what was sent to it", /*slow=*/true, true);
}

// ---- Deadlines ----

void MsrpService::Impl::Sweep() {
  const absl::Time now = loop.Now();
  std::vector<uint64_t> unbound;
  for (const auto& [id, connection] : connections) {
    if (connection->session_id.empty() && now >= connection->bind_deadline) unbound.push_back(id);
  }
  for (const uint64_t id : unbound) CloseConnection(id, "no request named a session in time");
  std::vector<std::string> ids;
  for (const auto& [id, session] : sessions) ids.push_back(id);
  for (const std::string& id : ids) {
    auto it = sessions.find(id);
    if (it != sessions.end()) SweepSession(*it->second, now);
  }
}

void MsrpService::Impl::SweepSession(ServiceSession& session, absl::Time now) {
  if (!session.established && now >= session.connect_deadline) {
    EndSession(session.info.local_session_id, "no MSRP connection within connect_timeout", false,
               true);
    return;
  }
  while (!session.deadlines.empty() && session.deadlines.front().first <= now) {
    auto pending = session.pending.find(session.deadlines.front().second);
    session.deadlines.pop_front();
    if (pending == session.pending.end()) continue;  // answered in time
    const PendingSend send = std::move(pending->second);
    session.pending.erase(pending);
    OnSendFailed(session, send, 408, "transaction timeout");
  }
  if (session.sender != nullptr && !session.sender->finished &&
      now >= session.sender->report_deadline) {
    FinishFileSend(session, true, "every chunk answered 200; no success REPORT came");
  }
}

// ---- The public face ----

MsrpService::MsrpService(MsrpOptions options, FileStore* files, EventSink sink)
    : impl_(std::make_unique<Impl>(std::move(options), files, std::move(sink))) {}

MsrpService::~MsrpService() { Stop(); }

absl::Status MsrpService::Start() {
  absl::StatusOr<ListeningSocket> listening =
      ListenTcp(impl_->options.listen_address, impl_->options.port);
  if (!listening.ok()) return listening.status();
  impl_->listen_fd = listening->fd;
  impl_->port.store(listening->port, std::memory_order_relaxed);
  impl_->thread = std::thread([impl = impl_.get()] { impl->Run(); });
  return absl::OkStatus();
}

void MsrpService::Stop() {
  if (!impl_->thread.joinable()) return;
  impl_->loop.Post([impl = impl_.get()] { impl->loop.Stop(); });
  impl_->thread.join();
}

uint16_t MsrpService::port() const { return impl_->port.load(std::memory_order_relaxed); }

std::string MsrpService::LocalPath(std::string_view session_id) const {
  return FormatUri(impl_->LocalUri(session_id));
}

void MsrpService::AddSession(MsrpSession session) {
  impl_->loop.Post([impl = impl_.get(), session = std::move(session)]() mutable {
    impl->AddSessionNow(std::move(session));
  });
}

void MsrpService::RemoveSession(uint64_t call_id, std::string_view local_session_id) {
  impl_->loop.Post([impl = impl_.get(), call_id, id = std::string(local_session_id)] {
    auto it = impl->sessions.find(id);
    if (it == impl->sessions.end() || it->second->info.call_id != call_id) return;
    impl->EndSession(id, "removed by call control", false, /*notify=*/false);
  });
}

void MsrpService::Deliver(const ChatMessage& message) {
  impl_->loop.Post([impl = impl_.get(), message] { impl->RelayToRoom(message, nullptr); });
}

const MsrpStats& MsrpService::stats() const { return impl_->stats; }

}  // namespace tutti::msrp
