// The HTTP JSON control API (ops/openapi.yaml), Prometheus /metrics and the
// /v1/events Server-Sent Events stream, served by cpp-httplib on its own
// threads. Every request that reads or changes state runs on the control
// thread (posted to the event loop and waited for), so rooms and calls need
// no locks.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "mediaplane/prompt_library.h"
#include "signaling/api/event_hub.h"
#include "signaling/call/call_controller.h"
#include "signaling/call/room_directory.h"
#include "signaling/common/event_loop.h"

namespace httplib {
class Server;
}

namespace tutti::api {

struct ControlApiOptions {
  std::string listen = "127.0.0.1";
  uint16_t port = 8080;  // 0 picks a free port
  std::string token;
  std::string recording_dir = "recordings";
  std::string recording_format = "ogg";  // default when a request names none
  std::string ivr_number;                // no room may take the IVR's name
};

class ControlApi {
 public:
  // `metrics` renders the Prometheus text; it runs on the control thread.
  // `prompts` may be null (none loaded): playing answers 404 then.
  ControlApi(EventLoop* loop, ControlApiOptions options, RoomDirectory* rooms,
             CallController* calls, EventHub* events, std::function<std::string()> metrics,
             std::shared_ptr<const media::PromptLibrary> prompts);
  ~ControlApi();
  ControlApi(const ControlApi&) = delete;
  ControlApi& operator=(const ControlApi&) = delete;

  absl::Status Start();
  void Stop();
  uint16_t port() const { return port_; }

 private:
  void Routes();

  EventLoop* loop_;
  ControlApiOptions options_;
  RoomDirectory* rooms_;
  CallController* calls_;
  EventHub* events_;
  std::function<std::string()> metrics_;
  std::shared_ptr<const media::PromptLibrary> prompts_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  uint16_t port_ = 0;
};

}  // namespace tutti::api
