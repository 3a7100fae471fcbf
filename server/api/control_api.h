// The HTTP JSON control API (ops/openapi.yaml), Prometheus /metrics and the
// /v1/events Server-Sent Events stream, served by HttpServer (libmicrohttpd
// on a thread of its own; why in http_server.h). Every request that reads or
// changes state runs on the control thread (posted to the event loop, its
// answer sent when it returns), so rooms and calls need no locks.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "common/event_hub.h"
#include "common/event_loop.h"
#include "mediaplane/prompt_library.h"
#include "mixer/worker_pool.h"
#include "server/api/http_server.h"
#include "server/api/reload_handler.h"
#include "server/api/router.h"
#include "server/api/trunks_view.h"
#include "server/stored_rooms.h"
#include "signaling/call/call_controller.h"
#include "signaling/call/room_directory.h"
#include "signaling/msrp/file_store.h"

namespace tutti::api {

struct ControlApiOptions {
  std::string listen = "127.0.0.1";
  uint16_t port = 8080;  // 0 picks a free port
  std::string token;
  std::string recording_dir = "recordings";
  std::string recording_format = "ogg";  // default when a request names none
  std::string ivr_number;                // no room may take the IVR's name
  // [api] limits against slow and numerous clients (ops/tutti.toml).
  int max_connections = 128;
  int max_connections_per_client = 16;
  int max_event_streams = 32;
  int request_timeout_s = 5;
};

class ControlApi {
 public:
  // `metrics` renders the Prometheus text; it runs on the control thread.
  // `prompts` may be null (none loaded): playing answers 404 then.
  // `stored_rooms` keeps the rooms the API makes, changes and deletes.
  // `files` (the rooms' shared files) may be null: file transfer is off.
  ControlApi(EventLoop* loop, ControlApiOptions options, RoomDirectory* rooms,
             StoredRooms* stored_rooms, CallController* calls, EventHub* events,
             std::function<std::string()> metrics,
             std::shared_ptr<const media::PromptLibrary> prompts, msrp::FileStore* files = nullptr);
  ~ControlApi();
  ControlApi(const ControlApi&) = delete;
  ControlApi& operator=(const ControlApi&) = delete;

  // The SIP trunks GET /v1/trunks shows (none until set); before Start.
  void set_trunks(TrunksView trunks) { trunks_ = std::move(trunks); }
  // What POST /v1/reload runs (on the control thread); before Start.
  void set_reload(ReloadHandler::Reload reload);
  // A reload's new [ivr] number, which no room may take (control thread).
  void set_ivr_number(std::string ivr_number);
  // The media workers GET /v1/workers shows (none until set); before Start.
  void set_workers(mixer::WorkerPool* workers);

  absl::Status Start();
  void Stop();
  uint16_t port() const;

 private:
  struct Handlers;  // one per resource (rooms_handler.h, ...), in the .cc

  // The route table: every method and path, and what serves it.
  void Routes();
  // On the server thread: the route, the token check, or a 404.
  HttpAction Dispatch(const HttpRequest& request);
  bool Authorized(std::string_view authorization) const;
  // The daemon's metrics and the HTTP server's own (control thread).
  std::string Metrics() const;
  std::string ApiMetrics() const;

  EventLoop* loop_;
  ControlApiOptions options_;
  EventHub* events_;
  std::function<std::string()> metrics_;
  TrunksView trunks_;  // before the handlers, which point at it
  std::unique_ptr<Handlers> handlers_;
  Router router_;  // made by Start(), read-only after
  std::unique_ptr<HttpServer> server_;
};

}  // namespace tutti::api
