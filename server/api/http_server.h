// The control API's HTTP/1.1 server: libmicrohttpd driven by one thread of
// its own, so that no client can hold what the others need (issue 13).
//
// Why libmicrohttpd and not cpp-httplib (Debian's 0.11.4), which served the
// API until then: httplib gives each connection a thread of a fixed pool
// (8 here) for as long as it lasts, its read timeout restarts with every
// byte, it has no limit per client and a /v1/events stream keeps its
// thread for life. Eight clients trickling headers, or seven event
// streams, took every thread, and /metrics, /v1/rooms and mute stopped
// answering for 24 s. libmicrohttpd (Debian's 0.9.75, the HTTP layer of
// Janus) multiplexes every connection on one epoll loop, and suspends a
// connection (MHD_suspend_connection) that waits for the control thread or
// for events, so neither holds anything but its socket. On top of it this
// class bounds connections in all and per client address (its accept
// policy, which counts what it refuses), closes a connection whose request
// has not fully arrived by a deadline (libmicrohttpd's own timeout is for
// idleness and restarts with every byte) and caps the event streams.
//
// Threads: every libmicrohttpd callback and everything here runs on the
// server thread, except that work is posted to the control thread's event
// loop (which runs the handlers, as before, so rooms and calls need no
// locks) and hands its response back through a mailbox with an eventfd.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "common/event_hub.h"
#include "common/event_loop.h"

struct MHD_Daemon;
struct MHD_Connection;

namespace tutti::api {

inline constexpr size_t kMaxQueryArguments = 16;

struct HttpRequest {
  std::string method;  // as sent: GET, POST, ...
  std::string path;    // percent-decoded, without the query
  // The query's arguments (?after=5&limit=10), percent-decoded, in order;
  // at most kMaxQueryArguments (the rest are not kept).
  std::vector<std::pair<std::string, std::string>> query;
  std::string authorization;
  std::string if_none_match;  // the ETags a cache holds (the console's files)
  std::string body;
};

// A file sent as a response's body: libmicrohttpd streams it from the
// descriptor (sendfile where it can), so a large recording takes no memory.
// The descriptor is closed with the last copy of the response that holds
// it, unless libmicrohttpd took it over (Release).
class BodyFile {
 public:
  // The regular file at `path` (a symbolic link is not followed), or null.
  static std::shared_ptr<BodyFile> Open(const std::string& path);
  BodyFile(int fd, uint64_t size) : fd_(fd), size_(size) {}
  ~BodyFile();
  BodyFile(const BodyFile&) = delete;
  BodyFile& operator=(const BodyFile&) = delete;

  int fd() const { return fd_; }
  uint64_t size() const { return size_; }
  // Hands the descriptor over: no longer closed here.
  void Release() { fd_ = -1; }

 private:
  int fd_;
  uint64_t size_;
};

struct HttpResponse {
  int status = 200;
  std::string content_type;  // empty: no body
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::shared_ptr<BodyFile> file;  // the body instead of `body` when set
};

// What the router makes of a complete request: one of the three.
struct HttpAction {
  std::optional<HttpResponse> now;        // answered on the server thread
  std::function<HttpResponse()> on_loop;  // run on the control thread
  bool event_stream = false;              // a /v1/events stream
};

struct HttpServerOptions {
  std::string listen = "127.0.0.1";
  uint16_t port = 8080;  // 0 picks a free port
  int max_connections = 128;
  int max_connections_per_client = 16;
  int max_event_streams = 32;
  std::chrono::milliseconds request_timeout{5000};
  // How long a request may wait for the control thread before a 503.
  std::chrono::milliseconds reply_timeout{5000};
  // A comment line on an idle event stream keeps proxies from closing it.
  std::chrono::milliseconds keep_alive_interval{15000};
  size_t max_body_bytes = 64 * 1024;
};

// Read by /metrics on the control thread while the server thread counts.
struct HttpServerCounters {
  std::atomic<int64_t> connections{0};
  std::atomic<int64_t> event_streams{0};
  std::atomic<uint64_t> refused_max_connections{0};
  std::atomic<uint64_t> refused_per_client{0};
  std::atomic<uint64_t> refused_event_streams{0};
  std::atomic<uint64_t> request_timeouts{0};
  std::atomic<uint64_t> reply_timeouts{0};
  // Responses sent, by status code (100-599; an event stream's 200 counts
  // when it starts): tutti_api_responses_total{code}.
  std::array<std::atomic<uint64_t>, 600> responses{};
  void CountResponse(int status) {
    if (status >= 100 && status < static_cast<int>(responses.size())) {
      responses[static_cast<size_t>(status)].fetch_add(1, std::memory_order_relaxed);
    }
  }
};

class HttpServer {
 public:
  // Runs on the server thread for each complete request.
  using Router = std::function<HttpAction(const HttpRequest&)>;

  HttpServer(EventLoop* loop, EventHub* events, HttpServerOptions options, Router router);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  absl::Status Start();
  // Answers what waits with 503, ends the streams, closes every connection.
  void Stop();
  uint16_t port() const { return port_; }
  const HttpServerCounters& counters() const { return counters_; }

 private:
  using Clock = std::chrono::steady_clock;
  struct Connection;
  struct Request;
  struct Stream;
  struct Pending;
  class Mailbox;

  void Run();
  void Sweep(Clock::time_point now);
  void TakeReplies();
  void WakeStreams(bool all);
  void Answer(std::shared_ptr<Pending> pending, HttpResponse response);
  void Shutdown();

  friend struct HttpServerCallbacks;  // libmicrohttpd's callbacks, in the .cc
  int HandleRequest(MHD_Connection* mhd, Request* request);
  int StartStream(Connection* connection);
  void Resume(Connection* connection);

  EventLoop* loop_;
  EventHub* events_;
  HttpServerOptions options_;
  Router router_;
  std::shared_ptr<Mailbox> mailbox_;
  MHD_Daemon* daemon_ = nullptr;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  uint16_t port_ = 0;
  HttpServerCounters counters_;

  // Server thread only.
  absl::flat_hash_set<Connection*> connections_;
  absl::flat_hash_map<std::string, int> per_client_;
};

}  // namespace tutti::api
