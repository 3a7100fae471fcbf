#include "server/api/control_api.h"

#include <chrono>
#include <string_view>

#include "common/strings.h"
#include "server/api/api_handler.h"
#include "server/api/api_token.h"
#include "server/api/calls_handler.h"
#include "server/api/console_handler.h"
#include "server/api/files_handler.h"
#include "server/api/messages_handler.h"
#include "server/api/metrics_text.h"
#include "server/api/participants_handler.h"
#include "server/api/prompts_handler.h"
#include "server/api/recordings_handler.h"
#include "server/api/rooms_handler.h"
#include "server/api/trunks_handler.h"
#include "server/api/workers_handler.h"

namespace tutti::api {
namespace {

using Captures = Router::Captures;
using Handler = Router::Handler;

// A route served on the control thread by `serve` of `handler`: the body is
// parsed here, on the server thread, and the answer sent when it returns.
template <typename T>
Handler OnLoop(T* handler, Reply (T::*serve)(const ApiRequest&)) {
  return [handler, serve](const HttpRequest& request, const Captures& captures) {
    HttpAction action;
    action.on_loop = [handler, serve, call = ApiRequest::Of(request, captures)] {
      return ToResponse((handler->*serve)(call));
    };
    return action;
  };
}

// Answered by the server thread itself: the control thread may be busy.
HttpAction Health(const HttpRequest&, const Captures&) {
  HttpAction action;
  action.now = HttpResponse{200, kJson, R"({"status":"ok"})", {}};
  return action;
}

// Served by the HTTP server itself, without a thread of its own.
HttpAction EventStream(const HttpRequest&, const Captures&) {
  HttpAction action;
  action.event_stream = true;
  return action;
}

}  // namespace

struct ControlApi::Handlers {
  RoomsHandler rooms;
  ParticipantsHandler participants;
  PromptsHandler prompts;
  RecordingsHandler recordings;
  MessagesHandler messages;
  FilesHandler files;
  TrunksHandler trunks;
  CallsHandler calls;
  WorkersHandler workers;
  // GET /metrics.
  struct Metrics {
    Reply Get(const ApiRequest&) {
      Reply reply;
      reply.text = api->Metrics();
      reply.content_type = "text/plain; version=0.0.4";
      return reply;
    }
    const ControlApi* api;
  } metrics;
  ReloadHandler reload;
};

ControlApi::ControlApi(EventLoop* loop, ControlApiOptions options, RoomDirectory* rooms,
                       StoredRooms* stored_rooms, CallController* calls, EventHub* events,
                       std::function<std::string()> metrics,
                       std::shared_ptr<const media::PromptLibrary> prompts, msrp::FileStore* files)
    : loop_(loop),
      options_(std::move(options)),
      events_(events),
      metrics_(std::move(metrics)),
      handlers_(new Handlers{
          RoomsHandler(rooms, calls, stored_rooms, options_.ivr_number, files),
          ParticipantsHandler(rooms, calls),
          PromptsHandler(rooms, calls, std::move(prompts)),
          RecordingsHandler(rooms, calls, options_.recording_dir, options_.recording_format),
          MessagesHandler(rooms, calls),
          FilesHandler(rooms, files),
          TrunksHandler(&trunks_),
          CallsHandler(rooms, calls),
          WorkersHandler(rooms, calls),
          {this}}),
      server_(nullptr) {}

ControlApi::~ControlApi() { Stop(); }

void ControlApi::set_reload(ReloadHandler::Reload reload) {
  handlers_->reload.set_reload(std::move(reload));
}

void ControlApi::set_ivr_number(std::string ivr_number) {
  handlers_->rooms.set_ivr_number(std::move(ivr_number));
}

void ControlApi::set_workers(mixer::WorkerPool* workers) {
  handlers_->workers.set_workers(workers);
}

void ControlApi::Routes() {
  using Access = Router::Access;
  Handlers& h = *handlers_;
  Router& r = router_;
  r.Add("GET", "/v1/health", Health, Access::kPublic);
  r.Add("GET", "/metrics", OnLoop(&h.metrics, &Handlers::Metrics::Get));
  r.Add("GET", "/v1/events", EventStream);
  r.Add("POST", "/v1/reload", OnLoop(&h.reload, &ReloadHandler::Post));

  r.Add("GET", "/v1/rooms", OnLoop(&h.rooms, &RoomsHandler::List));
  r.Add("POST", "/v1/rooms", OnLoop(&h.rooms, &RoomsHandler::Create));
  r.Add("GET", "/v1/rooms/*", OnLoop(&h.rooms, &RoomsHandler::Show));
  r.Add("PATCH", "/v1/rooms/*", OnLoop(&h.rooms, &RoomsHandler::Change));
  r.Add("DELETE", "/v1/rooms/*", OnLoop(&h.rooms, &RoomsHandler::Delete));

  r.Add("GET", "/v1/rooms/*/participants", OnLoop(&h.participants, &ParticipantsHandler::List));
  r.Add("GET", "/v1/rooms/*/participants/*", OnLoop(&h.participants, &ParticipantsHandler::Get));
  r.Add("POST", "/v1/rooms/*/participants/*/mute|unmute",
        OnLoop(&h.participants, &ParticipantsHandler::Mute));
  r.Add("PUT", "/v1/rooms/*/participants/*/volume",
        OnLoop(&h.participants, &ParticipantsHandler::SetVolume));
  r.Add("DELETE", "/v1/rooms/*/participants/*",
        OnLoop(&h.participants, &ParticipantsHandler::Kick));

  r.Add("GET", "/v1/prompts", OnLoop(&h.prompts, &PromptsHandler::List));
  r.Add("POST", "/v1/rooms/*/participants/*/play",
        OnLoop(&h.prompts, &PromptsHandler::PlayToParticipant));
  r.Add("POST", "/v1/rooms/*/play", OnLoop(&h.prompts, &PromptsHandler::PlayToRoom));

  r.Add("POST", "/v1/rooms/*/recording", OnLoop(&h.recordings, &RecordingsHandler::Start));
  r.Add("DELETE", "/v1/rooms/*/recording", OnLoop(&h.recordings, &RecordingsHandler::Stop));
  r.Add("GET", "/v1/recordings", OnLoop(&h.recordings, &RecordingsHandler::ListAll));
  r.Add("GET", "/v1/rooms/*/recordings", OnLoop(&h.recordings, &RecordingsHandler::List));
  r.Add("GET", "/v1/rooms/*/recordings/*", OnLoop(&h.recordings, &RecordingsHandler::Download));
  r.Add("DELETE", "/v1/rooms/*/recordings/*", OnLoop(&h.recordings, &RecordingsHandler::Delete));

  r.Add("GET", "/v1/rooms/*/messages", OnLoop(&h.messages, &MessagesHandler::List));
  r.Add("POST", "/v1/rooms/*/messages", OnLoop(&h.messages, &MessagesHandler::Post));
  r.Add("GET", "/v1/rooms/*/files", OnLoop(&h.files, &FilesHandler::List));
  r.Add("GET", "/v1/rooms/*/files/*", OnLoop(&h.files, &FilesHandler::Download));

  r.Add("GET", "/v1/trunks", OnLoop(&h.trunks, &TrunksHandler::List));
  r.Add("POST", "/v1/rooms/*/calls", OnLoop(&h.calls, &CallsHandler::Create));
  r.Add("GET", "/v1/workers", OnLoop(&h.workers, &WorkersHandler::List));

  // The operator's console: public files that call the routes above.
  AddConsoleRoutes(r);
}

absl::Status ControlApi::Start() {
  Routes();
  HttpServerOptions options;
  options.listen = options_.listen;
  options.port = options_.port;
  options.max_connections = options_.max_connections;
  options.max_connections_per_client = options_.max_connections_per_client;
  options.max_event_streams = options_.max_event_streams;
  options.request_timeout = std::chrono::seconds(options_.request_timeout_s);
  server_ = std::make_unique<HttpServer>(
      loop_, events_, options, [this](const HttpRequest& request) { return Dispatch(request); });
  return server_->Start();
}

void ControlApi::Stop() {
  if (server_) server_->Stop();
}

uint16_t ControlApi::port() const { return server_ ? server_->port() : 0; }

HttpAction ControlApi::Dispatch(const HttpRequest& request) {
  Captures captures;
  const Router::Route* route = router_.Find(request.method, request.path, &captures);
  HttpAction action;
  if (route == nullptr) {
    // A known path asked with a method it does not take is a 405 naming
    // the ones it does (RFC 9110 §15.5.6), not a 404.
    if (std::string allowed = router_.Allowed(request.path); !allowed.empty()) {
      action.now = ToResponse(Error(405, StrCat(request.method, " is not allowed on ", request.path,
                                                " (allowed: ", allowed, ")")));
      action.now->headers.emplace_back("Allow", std::move(allowed));
      return action;
    }
    action.now = ToResponse(Error(404, StrCat("no endpoint ", request.method, " ", request.path)));
    return action;
  }
  if (route->access == Router::Access::kToken && !Authorized(request.authorization)) {
    action.now = ToResponse(Error(401, "missing or wrong bearer token"));
    action.now->headers.emplace_back("WWW-Authenticate", "Bearer realm=\"tutti\"");
    return action;
  }
  return route->handler(request, captures);
}

bool ControlApi::Authorized(std::string_view authorization) const {
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.substr(0, kBearer.size()) != kBearer) return false;
  return TokenMatches(options_.token, authorization.substr(kBearer.size()));
}

std::string ControlApi::Metrics() const { return metrics_() + ApiMetrics(); }

std::string ControlApi::ApiMetrics() const {
  MetricsText m;
  if (!server_) return "";
  const HttpServerCounters& c = server_->counters();
  m.Family("tutti_api_connections", "gauge", "Open connections to the control API.");
  m.Sample("tutti_api_connections", static_cast<double>(c.connections.load()));
  m.Family("tutti_api_refused_total", "counter",
           "Control API connections closed and requests refused by a limit ([api]).");
  m.Sample("tutti_api_refused_total", static_cast<double>(c.refused_max_connections.load()),
           {{"limit", "max_connections"}});
  m.Sample("tutti_api_refused_total", static_cast<double>(c.refused_per_client.load()),
           {{"limit", "max_connections_per_client"}});
  m.Sample("tutti_api_refused_total", static_cast<double>(c.refused_event_streams.load()),
           {{"limit", "max_event_streams"}});
  m.Sample("tutti_api_refused_total", static_cast<double>(c.request_timeouts.load()),
           {{"limit", "request_timeout_s"}});
  m.Family("tutti_api_reply_timeouts_total", "counter",
           "Control API requests answered 503: the control thread took over 5 s.");
  m.Sample("tutti_api_reply_timeouts_total", static_cast<double>(c.reply_timeouts.load()));
  m.Family("tutti_api_responses_total", "counter",
           "Control API responses sent, by HTTP status code (an event stream when it starts).");
  for (size_t code = 100; code < c.responses.size(); ++code) {
    const uint64_t count = c.responses[code].load(std::memory_order_relaxed);
    if (count > 0) {
      m.Sample("tutti_api_responses_total", static_cast<double>(count),
               {{"code", std::to_string(code)}});
    }
  }
  return m.text();
}

}  // namespace tutti::api
