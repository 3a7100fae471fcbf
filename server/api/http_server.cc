#include "server/api/http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <mutex>

#include "absl/status/statusor.h"
#include "common/log.h"
#include "common/strings.h"
#include "signaling/sip/transport.h"

namespace tutti::api {

std::shared_ptr<BodyFile> BodyFile::Open(const std::string& path) {
  auto file = std::make_shared<BodyFile>(open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC), 0);
  struct stat info {};
  if (file->fd_ < 0 || fstat(file->fd_, &info) != 0 || !S_ISREG(info.st_mode)) return nullptr;
  file->size_ = static_cast<uint64_t>(info.st_size);
  return file;
}

BodyFile::~BodyFile() {
  if (fd_ >= 0) close(fd_);
}

// Responses from the control thread, and wake-ups from the event hub, to the
// server thread. Shared with the work posted to the loop and with the hub's
// listener, so either may outlive the server.
class HttpServer::Mailbox {
 public:
  Mailbox() : fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}
  ~Mailbox() {
    if (fd_ >= 0) close(fd_);
  }
  int fd() const { return fd_; }
  void Wake() {
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t written = write(fd_, &one, sizeof(one));
  }
  void Deliver(std::shared_ptr<Pending> pending) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      replies_.push_back(std::move(pending));
    }
    Wake();
  }
  std::vector<std::shared_ptr<Pending>> Take() {
    uint64_t count = 0;
    [[maybe_unused]] ssize_t got = read(fd_, &count, sizeof(count));
    std::vector<std::shared_ptr<Pending>> replies;
    std::lock_guard<std::mutex> lock(mutex_);
    replies.swap(replies_);
    return replies;
  }

 private:
  int fd_;
  std::mutex mutex_;
  // At most one per connection: bounded by max_connections.
  std::vector<std::shared_ptr<Pending>> replies_;
};

// A request handed to the control thread.
struct HttpServer::Pending {
  HttpResponse response;  // written on the control thread before Deliver()
  // Server thread only.
  Connection* connection = nullptr;
  Request* request = nullptr;
  Clock::time_point deadline;
  bool answered = false;  // by the control thread, a reply timeout, or Stop()
};

struct HttpServer::Connection {
  MHD_Connection* mhd = nullptr;
  int fd = -1;
  std::string client;  // its address: the per-client limit's key
  // The request being read (or the next one, between two) must have fully
  // arrived by then; max() while one is being answered or streamed.
  Clock::time_point deadline = Clock::time_point::max();
  std::shared_ptr<Pending> waiting;  // a request at the control thread
  Stream* stream = nullptr;
  bool suspended = false;
};

struct HttpServer::Request {
  HttpRequest http;
  bool too_large = false;
  bool handled = false;
  std::optional<HttpResponse> reply;  // queued when the connection resumes
};

// A /v1/events stream: owned by its libmicrohttpd response (StreamDone).
struct HttpServer::Stream {
  HttpServer* server = nullptr;
  Connection* connection = nullptr;  // null once the connection closed
  MHD_Connection* mhd = nullptr;
  std::shared_ptr<EventHub::Subscription> subscription;
  std::string unsent;
  size_t sent = 0;
  Clock::time_point last_write;
  bool closing = false;  // the client went away, or the server stops
};

namespace {

HttpResponse ErrorResponse(int status, std::string_view message) {
  // The API's error body; messages here are fixed text with nothing to escape.
  return {status,
          "application/json",
          StrCat(R"({"error":{"code":)", status, R"(,"message":")", message, R"("}})"),
          {}};
}

MHD_Response* CreateResponse(const HttpResponse& reply) {
  if (reply.file) {
    // libmicrohttpd closes the descriptor with the response from now on.
    MHD_Response* response = MHD_create_response_from_fd64(reply.file->size(), reply.file->fd());
    if (response != nullptr) reply.file->Release();
    return response;
  }
  return MHD_create_response_from_buffer(reply.body.size(), const_cast<char*>(reply.body.data()),
                                         MHD_RESPMEM_MUST_COPY);
}

MHD_Result Queue(MHD_Connection* mhd, const HttpResponse& reply, HttpServerCounters& counters) {
  MHD_Response* response = CreateResponse(reply);
  if (response == nullptr) return MHD_NO;
  counters.CountResponse(reply.status);
  if (!reply.content_type.empty()) {
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, reply.content_type.c_str());
  }
  for (const auto& [name, value] : reply.headers) {
    MHD_add_response_header(response, name.c_str(), value.c_str());
  }
  const MHD_Result queued = MHD_queue_response(mhd, static_cast<unsigned>(reply.status), response);
  MHD_destroy_response(response);
  return queued;
}

// The per-client key: the address without the port (an IPv4 client on an
// IPv6 socket counts as its IPv4 address).
std::string ClientKey(const sockaddr* address) {
  char text[INET6_ADDRSTRLEN] = "";
  if (address == nullptr) return "";
  if (address->sa_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(address)->sin_addr, text,
              sizeof(text));
  } else if (address->sa_family == AF_INET6) {
    const in6_addr& v6 = reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr;
    if (IN6_IS_ADDR_V4MAPPED(&v6)) {
      inet_ntop(AF_INET, &v6.s6_addr[12], text, sizeof(text));
    } else {
      inet_ntop(AF_INET6, &v6, text, sizeof(text));
    }
  }
  return text;
}

// A suspended connection is not read, so libmicrohttpd would not notice a
// client that left until the next keep-alive; a peek does.
bool PeerGone(int fd) {
  char byte;
  const ssize_t got = recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

absl::StatusOr<int> ListenSocket(const std::string& address, uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (int error = getaddrinfo(address.c_str(), service.c_str(), &hints, &found); error != 0) {
    return absl::UnavailableError(StrCat(
        "cannot bind the API to ", sip::JoinHostPort(address, port), ": ", gai_strerror(error)));
  }
  int last_errno = 0;
  int fd = -1;
  for (addrinfo* ai = found; ai != nullptr && fd < 0; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      last_errno = errno;
      continue;
    }
    const int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 128) != 0) {
      last_errno = errno;
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(found);
  if (fd < 0) {
    return absl::UnavailableError(StrCat("cannot bind the API to ",
                                         sip::JoinHostPort(address, port), ": ",
                                         std::strerror(last_errno)));
  }
  return fd;
}

}  // namespace

// libmicrohttpd's C callbacks; `cls` is the server (or the stream).
struct HttpServerCallbacks {
  static HttpServer::Connection* ConnectionOf(MHD_Connection* mhd) {
    const MHD_ConnectionInfo* info =
        MHD_get_connection_info(mhd, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return info ? static_cast<HttpServer::Connection*>(info->socket_context) : nullptr;
  }

  static MHD_Result AcceptPolicy(void* cls, const sockaddr* address, socklen_t) {
    auto* server = static_cast<HttpServer*>(cls);
    if (server->stopping_.load()) return MHD_NO;
    if (static_cast<int>(server->connections_.size()) >= server->options_.max_connections) {
      server->counters_.refused_max_connections.fetch_add(1);
      return MHD_NO;
    }
    auto it = server->per_client_.find(ClientKey(address));
    if (it != server->per_client_.end() &&
        it->second >= server->options_.max_connections_per_client) {
      server->counters_.refused_per_client.fetch_add(1);
      return MHD_NO;
    }
    return MHD_YES;
  }

  static void OnConnection(void* cls, MHD_Connection* mhd, void** socket_context,
                           MHD_ConnectionNotificationCode what) {
    auto* server = static_cast<HttpServer*>(cls);
    if (what == MHD_CONNECTION_NOTIFY_STARTED) {
      auto* connection = new HttpServer::Connection;
      connection->mhd = mhd;
      if (const MHD_ConnectionInfo* fd =
              MHD_get_connection_info(mhd, MHD_CONNECTION_INFO_CONNECTION_FD)) {
        connection->fd = fd->connect_fd;
      }
      if (const MHD_ConnectionInfo* from =
              MHD_get_connection_info(mhd, MHD_CONNECTION_INFO_CLIENT_ADDRESS)) {
        connection->client = ClientKey(from->client_addr);
      }
      connection->deadline = HttpServer::Clock::now() + server->options_.request_timeout;
      *socket_context = connection;
      server->connections_.insert(connection);
      ++server->per_client_[connection->client];
      server->counters_.connections.fetch_add(1);
      return;
    }
    auto* connection = static_cast<HttpServer::Connection*>(*socket_context);
    if (connection == nullptr) return;
    *socket_context = nullptr;
    if (connection->stream != nullptr) connection->stream->connection = nullptr;
    if (connection->waiting) connection->waiting->answered = true;
    server->connections_.erase(connection);
    if (auto it = server->per_client_.find(connection->client);
        it != server->per_client_.end() && --it->second <= 0) {
      server->per_client_.erase(it);
    }
    server->counters_.connections.fetch_sub(1);
    delete connection;
  }

  // One of the URL's arguments, into an HttpRequest's query (bounded).
  static MHD_Result KeepQueryArgument(void* cls, MHD_ValueKind, const char* key,
                                      const char* value) {
    auto* query = static_cast<std::vector<std::pair<std::string, std::string>>*>(cls);
    if (query->size() >= kMaxQueryArguments) return MHD_NO;  // stops the iteration
    query->emplace_back(key, value != nullptr ? value : "");
    return MHD_YES;
  }

  static MHD_Result OnRequest(void* cls, MHD_Connection* mhd, const char* url, const char* method,
                              const char*, const char* upload, size_t* upload_size,
                              void** request_slot) {
    auto* server = static_cast<HttpServer*>(cls);
    auto* request = static_cast<HttpServer::Request*>(*request_slot);
    if (request == nullptr) {
      // The headers are in; the body (if any) follows in later calls.
      request = new HttpServer::Request;
      *request_slot = request;
      request->http.method = method;
      request->http.path = url;
      MHD_get_connection_values(mhd, MHD_GET_ARGUMENT_KIND, KeepQueryArgument,
                                &request->http.query);
      if (const char* authorization =
              MHD_lookup_connection_value(mhd, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION)) {
        request->http.authorization = authorization;
      }
      if (const char* etags =
              MHD_lookup_connection_value(mhd, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH)) {
        request->http.if_none_match = etags;
      }
      if (const char* length =
              MHD_lookup_connection_value(mhd, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH)) {
        uint64_t bytes = 0;
        const char* end = length + std::strlen(length);
        if (std::from_chars(length, end, bytes).ptr == end &&
            bytes > server->options_.max_body_bytes) {
          // Said up front: answered before a byte of it is read.
          request->handled = true;
          request->too_large = true;  // what arrives anyway is not kept
          if (HttpServer::Connection* connection = ConnectionOf(mhd)) {
            connection->deadline = HttpServer::Clock::time_point::max();
          }
          return Queue(mhd,
                       ErrorResponse(413, StrCat("the body may hold at most ",
                                                 server->options_.max_body_bytes, " bytes")),
                       server->counters_);
        }
      }
      return MHD_YES;
    }
    if (*upload_size > 0) {
      if (!request->too_large) {
        if (request->http.body.size() + *upload_size > server->options_.max_body_bytes) {
          request->too_large = true;
          std::string().swap(request->http.body);
        } else {
          request->http.body.append(upload, *upload_size);
        }
      }
      *upload_size = 0;
      return MHD_YES;
    }
    return static_cast<MHD_Result>(server->HandleRequest(mhd, request));
  }

  static void OnCompleted(void* cls, MHD_Connection* mhd, void** request_slot,
                          MHD_RequestTerminationCode) {
    auto* server = static_cast<HttpServer*>(cls);
    delete static_cast<HttpServer::Request*>(*request_slot);
    *request_slot = nullptr;
    if (HttpServer::Connection* connection = ConnectionOf(mhd)) {
      if (connection->waiting) {
        connection->waiting->answered = true;
        connection->waiting.reset();
      }
      // The next request on this connection gets the same time to arrive.
      connection->deadline = HttpServer::Clock::now() + server->options_.request_timeout;
    }
  }

  static ssize_t ReadStream(void* cls, uint64_t, char* buffer, size_t max) {
    auto* stream = static_cast<HttpServer::Stream*>(cls);
    if (stream->closing || stream->connection == nullptr || stream->server->stopping_.load()) {
      return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    const HttpServer::Clock::time_point now = HttpServer::Clock::now();
    if (stream->sent == stream->unsent.size()) {
      stream->unsent.clear();
      stream->sent = 0;
      if (std::optional<std::string> message = stream->subscription->Next(0)) {
        stream->unsent = std::move(*message);
      } else if (now - stream->last_write >= stream->server->options_.keep_alive_interval) {
        stream->unsent = ": keep-alive\n\n";
      } else {
        // Nothing to send: the connection waits, holding nothing but its
        // socket, until an event (WakeStreams) or the keep-alive (Sweep).
        MHD_suspend_connection(stream->mhd);
        stream->connection->suspended = true;
        return 0;
      }
    }
    const size_t count = std::min(max, stream->unsent.size() - stream->sent);
    std::memcpy(buffer, stream->unsent.data() + stream->sent, count);
    stream->sent += count;
    stream->last_write = now;
    return static_cast<ssize_t>(count);
  }

  static void StreamDone(void* cls) {
    auto* stream = static_cast<HttpServer::Stream*>(cls);
    if (stream->connection != nullptr) stream->connection->stream = nullptr;
    stream->server->events_->Unsubscribe(stream->subscription);
    stream->server->counters_.event_streams.fetch_sub(1);
    delete stream;
  }

  // libmicrohttpd's own decoding of "%HH", except that "%00" stays as
  // written: the path reaches OnRequest as a C string, and a NUL would cut
  // it short ("/v1/rooms/1/recordings/x.ogg%00.txt" would name x.ogg).
  static size_t Unescape(void*, MHD_Connection*, char* text) {
    auto hex = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    char* out = text;
    for (const char* in = text; *in != '\0';) {
      const int high = in[0] == '%' ? hex(in[1]) : -1;
      const int low = high >= 0 ? hex(in[2]) : -1;
      if (low >= 0 && (high | low) != 0) {
        *out++ = static_cast<char>(high * 16 + low);
        in += 3;
      } else {
        *out++ = *in++;
      }
    }
    *out = '\0';
    return static_cast<size_t>(out - text);
  }

  static void Log(void*, const char* format, va_list arguments) {
    char text[512];
    std::vsnprintf(text, sizeof(text), format, arguments);
    std::string_view said(text);
    while (!said.empty() && said.back() == '\n') said.remove_suffix(1);
    LogDebug("api", "libmicrohttpd").With("says", said);
  }
};

HttpServer::HttpServer(EventLoop* loop, EventHub* events, HttpServerOptions options, Router router)
    : loop_(loop),
      events_(events),
      options_(std::move(options)),
      router_(std::move(router)),
      mailbox_(std::make_shared<Mailbox>()) {}

HttpServer::~HttpServer() { Stop(); }

absl::Status HttpServer::Start() {
  if (mailbox_->fd() < 0) return absl::InternalError("cannot make the API's eventfd");
  absl::StatusOr<int> fd = ListenSocket(options_.listen, options_.port);
  if (!fd.ok()) return fd.status();
  sockaddr_storage bound{};
  socklen_t length = sizeof(bound);
  getsockname(*fd, reinterpret_cast<sockaddr*>(&bound), &length);
  port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                            : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  // External epoll mode: this class's thread drives it (Run), so the sweep
  // below sees connections that no other thread can close under it.
  daemon_ = MHD_start_daemon(
      MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG, 0,
      &HttpServerCallbacks::AcceptPolicy, this, &HttpServerCallbacks::OnRequest, this,
      // The logger first, or libmicrohttpd prints what comes before it.
      MHD_OPTION_EXTERNAL_LOGGER, &HttpServerCallbacks::Log, nullptr,  //
      MHD_OPTION_LISTEN_SOCKET, *fd,                                   //
      MHD_OPTION_UNESCAPE_CALLBACK, &HttpServerCallbacks::Unescape, nullptr,
      MHD_OPTION_NOTIFY_CONNECTION, &HttpServerCallbacks::OnConnection, this,
      MHD_OPTION_NOTIFY_COMPLETED, &HttpServerCallbacks::OnCompleted, this,
      // A backstop only: the accept policy refuses (and counts) first;
      // libmicrohttpd also counts connections closed but not yet cleaned up.
      MHD_OPTION_CONNECTION_LIMIT, static_cast<unsigned>(options_.max_connections + 16),
      // Idle time while a response goes to a client that does not read it;
      // while a request arrives, the deadline (Sweep) is the stricter bound.
      MHD_OPTION_CONNECTION_TIMEOUT, 30u,  //
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, static_cast<size_t>(32 * 1024), MHD_OPTION_END);
  if (daemon_ == nullptr) {
    close(*fd);
    return absl::InternalError("libmicrohttpd did not start the control API");
  }
  events_->SetListener([mailbox = mailbox_] { mailbox->Wake(); });
  thread_ = std::thread([this] { Run(); });
  return absl::OkStatus();
}

void HttpServer::Stop() {
  if (!thread_.joinable()) return;
  events_->SetListener({});
  stopping_.store(true);
  mailbox_->Wake();
  thread_.join();
}

void HttpServer::Run() {
  const int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  const int daemon_fd = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_EPOLL_FD)->epoll_fd;
  for (int fd : {daemon_fd, mailbox_->fd()}) {
    epoll_event watch{};
    watch.events = EPOLLIN;
    watch.data.fd = fd;
    epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &watch);
  }
  // Deadlines, reply timeouts, keep-alives and departed stream clients are
  // looked at this often: a bound on how late any of them is noticed.
  constexpr std::chrono::milliseconds kSweep{250};
  Clock::time_point next_sweep = Clock::now() + kSweep;
  while (!stopping_.load()) {
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next_sweep - Clock::now());
    int64_t wait_ms = std::max<int64_t>(0, wait.count());
    MHD_UNSIGNED_LONG_LONG daemon_ms = 0;
    if (MHD_get_timeout(daemon_, &daemon_ms) == MHD_YES) {
      wait_ms = std::min<int64_t>(wait_ms, static_cast<int64_t>(daemon_ms));
    }
    epoll_event ready[4];
    const int count = epoll_wait(epoll_fd, ready, 4, static_cast<int>(wait_ms));
    for (int i = 0; i < count; ++i) {
      if (ready[i].data.fd == mailbox_->fd()) {
        TakeReplies();
        WakeStreams(/*all=*/false);
      }
    }
    MHD_run(daemon_);
    if (const Clock::time_point now = Clock::now(); now >= next_sweep) {
      Sweep(now);
      next_sweep = now + kSweep;
      MHD_run(daemon_);
    }
  }
  Shutdown();
  close(epoll_fd);
}

void HttpServer::Resume(Connection* connection) {
  if (!connection->suspended) return;
  connection->suspended = false;
  MHD_resume_connection(connection->mhd);
}

void HttpServer::Answer(std::shared_ptr<Pending> pending, HttpResponse response) {
  if (pending->answered) return;
  pending->answered = true;
  pending->request->reply = std::move(response);
  Connection* connection = pending->connection;
  connection->waiting.reset();
  Resume(connection);
}

void HttpServer::TakeReplies() {
  for (std::shared_ptr<Pending>& pending : mailbox_->Take()) {
    HttpResponse response = std::move(pending->response);
    Answer(pending, std::move(response));
  }
}

void HttpServer::WakeStreams(bool all) {
  for (Connection* connection : connections_) {
    if (connection->stream != nullptr && connection->suspended &&
        (all || connection->stream->subscription->Ready())) {
      Resume(connection);
    }
  }
}

void HttpServer::Sweep(Clock::time_point now) {
  for (Connection* connection : connections_) {
    if (connection->waiting) {
      if (now >= connection->waiting->deadline) {
        counters_.reply_timeouts.fetch_add(1);
        Answer(connection->waiting,
               ErrorResponse(503, "the control thread did not answer in time"));
      }
      continue;
    }
    if (Stream* stream = connection->stream) {
      if (!connection->suspended) continue;
      if (PeerGone(connection->fd)) stream->closing = true;
      if (stream->closing || now - stream->last_write >= options_.keep_alive_interval) {
        Resume(connection);
      }
      continue;
    }
    if (now >= connection->deadline) {
      // Slowloris: a request trickling in, or a connection opened and left
      // idle. Shutting the socket down makes libmicrohttpd read its end
      // and close it in its own time (this thread, next MHD_run).
      counters_.request_timeouts.fetch_add(1);
      connection->deadline = Clock::time_point::max();
      LogDebug("api", "request not complete in time: closing").With("client", connection->client);
      shutdown(connection->fd, SHUT_RDWR);
    }
  }
}

void HttpServer::Shutdown() {
  for (Connection* connection : connections_) {
    if (connection->waiting) {
      Answer(connection->waiting, ErrorResponse(503, "the server is stopping"));
    }
    if (connection->stream != nullptr) {
      connection->stream->closing = true;
      Resume(connection);
    }
  }
  // Sends what was just answered; libmicrohttpd refuses to stop with a
  // connection still suspended.
  MHD_run(daemon_);
  MHD_stop_daemon(daemon_);
  daemon_ = nullptr;
}

int HttpServer::HandleRequest(MHD_Connection* mhd, Request* request) {
  Connection* connection = HttpServerCallbacks::ConnectionOf(mhd);
  if (connection == nullptr) return MHD_NO;
  if (request->reply) {
    HttpResponse reply = std::move(*request->reply);
    request->reply.reset();
    return Queue(mhd, reply, counters_);
  }
  if (request->handled) return MHD_YES;
  request->handled = true;
  connection->deadline = Clock::time_point::max();  // it arrived in time
  if (request->too_large) {
    return Queue(
        mhd,
        ErrorResponse(413, StrCat("the body may hold at most ", options_.max_body_bytes, " bytes")),
        counters_);
  }
  HttpAction action = router_(request->http);
  if (action.now) return Queue(mhd, *action.now, counters_);
  if (action.event_stream) return StartStream(connection);
  auto pending = std::make_shared<Pending>();
  pending->connection = connection;
  pending->request = request;
  pending->deadline = Clock::now() + options_.reply_timeout;
  connection->waiting = pending;
  loop_->Post([pending, mailbox = mailbox_, work = std::move(action.on_loop)] {
    pending->response = work();
    mailbox->Deliver(pending);
  });
  // The connection waits for the answer without holding this thread.
  MHD_suspend_connection(mhd);
  connection->suspended = true;
  return MHD_YES;
}

int HttpServer::StartStream(Connection* connection) {
  if (counters_.event_streams.load() >= options_.max_event_streams) {
    counters_.refused_event_streams.fetch_add(1);
    return Queue(connection->mhd,
                 ErrorResponse(503, "too many event streams open (api.max_event_streams)"),
                 counters_);
  }
  auto* stream = new Stream;
  stream->server = this;
  stream->connection = connection;
  stream->mhd = connection->mhd;
  // Subscribed before the response headers go out: a client that has them
  // misses no event.
  stream->subscription = events_->Subscribe();
  stream->last_write = Clock::now();
  connection->stream = stream;
  counters_.event_streams.fetch_add(1);
  MHD_Response* response =
      MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, &HttpServerCallbacks::ReadStream,
                                        stream, &HttpServerCallbacks::StreamDone);
  if (response == nullptr) {
    HttpServerCallbacks::StreamDone(stream);
    return MHD_NO;
  }
  MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
  MHD_add_response_header(response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
  const MHD_Result queued = MHD_queue_response(connection->mhd, MHD_HTTP_OK, response);
  counters_.CountResponse(MHD_HTTP_OK);
  MHD_destroy_response(response);  // the stream lives until libmicrohttpd lets it go
  return queued;
}

}  // namespace tutti::api
