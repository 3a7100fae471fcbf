#include "signaling/api/control_api.h"

#include <httplib.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <future>

#include "nlohmann/json.hpp"
#include "signaling/common/log.h"
#include "signaling/common/strings.h"

namespace tutti::api {
namespace {

using nlohmann::json;

constexpr char kJson[] = "application/json";
const std::vector<std::string> kKnownCodecs = {"opus", "PCMU", "PCMA"};

// What a handler running on the control thread answers.
struct Reply {
  int status = 200;
  json body;
  std::string text;  // used instead of body when set (metrics)
  std::string content_type = kJson;
};

Reply Error(int status, std::string message) {
  return {status, json{{"error", {{"code", status}, {"message", std::move(message)}}}}};
}

json RoomJson(const RoomConfig& room, int participants) {
  return {{"name", room.name},
          {"codecs", room.codecs},
          {"max_participants", room.max_participants},
          {"locked", room.locked},
          {"announce_joins", room.announce_joins},
          {"announce_count", room.announce_count},
          {"music_when_alone", room.music_when_alone},
          {"wait_for_moderator", room.wait_for_moderator},
          {"end_when_moderator_leaves", room.end_when_moderator_leaves},
          {"max_talkers", room.max_talkers},
          // PINs are set, never shown: the API's readers need not know them.
          {"has_pin", !room.pin.empty()},
          {"has_moderator_pin", !room.moderator_pin.empty()},
          {"record", room.record},
          {"participants", participants}};
}

json ParticipantJson(const ParticipantInfo& p) {
  return {{"id", p.id},
          {"call_id", p.call_id},
          {"room", p.room},
          {"from", p.from},
          {"codec", p.codec},
          {"talking", p.talking},
          {"muted", p.muted},
          {"moderator", p.moderator},
          {"waiting", p.waiting},
          {"held", p.held},
          {"seconds", p.seconds},
          {"listen_db", p.listen_db},
          {"talk_db", p.talk_db},
          {"packets_in", p.packets_in},
          {"packets_out", p.packets_out},
          {"lost", p.lost},
          {"jitter_ms", p.jitter_ms},
          {"rtt_ms", p.rtt_ms},
          {"media_encryption", p.media_encryption},
          {"srtp_auth_failed", p.srtp_auth_failed},
          {"srtp_replayed", p.srtp_replayed}};
}

// Applies the settable fields of a JSON object to a room; names what is wrong.
std::optional<std::string> ApplyRoomFields(const json& body, RoomConfig* room) {
  for (const auto& [key, value] : body.items()) {
    if (key == "name") continue;
    if (key == "codecs") {
      if (!value.is_array() || value.empty()) return "codecs must be a non-empty array";
      std::vector<std::string> codecs;
      for (const json& codec : value) {
        if (!codec.is_string() || std::find(kKnownCodecs.begin(), kKnownCodecs.end(),
                                            codec.get<std::string>()) == kKnownCodecs.end()) {
          return "codecs may hold \"opus\", \"PCMU\" and \"PCMA\"";
        }
        codecs.push_back(codec.get<std::string>());
      }
      room->codecs = std::move(codecs);
    } else if (key == "max_participants") {
      if (!value.is_number_integer() || value.get<int64_t>() < 0 ||
          value.get<int64_t>() > 1000000) {
        return "max_participants must be an integer from 0 to 1000000";
      }
      room->max_participants = value.get<int>();
    } else if (key == "locked") {
      if (!value.is_boolean()) return "locked must be true or false";
      room->locked = value.get<bool>();
    } else if (key == "record") {
      if (!value.is_boolean()) return "record must be true or false";
      room->record = value.get<bool>();
    } else if (key == "announce_joins" || key == "announce_count" || key == "music_when_alone" ||
               key == "wait_for_moderator" || key == "end_when_moderator_leaves") {
      if (!value.is_boolean()) return StrCat(key, " must be true or false");
      bool& flag = key == "announce_joins"       ? room->announce_joins
                   : key == "announce_count"     ? room->announce_count
                   : key == "music_when_alone"   ? room->music_when_alone
                   : key == "wait_for_moderator" ? room->wait_for_moderator
                                                 : room->end_when_moderator_leaves;
      flag = value.get<bool>();
    } else if (key == "max_talkers") {
      if (!value.is_number_integer() || value.get<int64_t>() < 0 || value.get<int64_t>() > 16) {
        return "max_talkers must be an integer from 0 (the server's default) to 16";
      }
      room->max_talkers = value.get<int>();
    } else if (key == "pin" || key == "moderator_pin") {
      if (!value.is_string() || !ValidPin(value.get<std::string>())) {
        return StrCat(key, " must be a string of up to 16 digits (empty: none)");
      }
      (key == "pin" ? room->pin : room->moderator_pin) = value.get<std::string>();
    } else {
      return StrCat("unknown field \"", key, "\"");
    }
  }
  if (!room->pin.empty() && room->pin == room->moderator_pin) {
    return "moderator_pin must differ from pin";
  }
  return std::nullopt;
}

bool ValidRoomName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

std::optional<uint64_t> ParseId(const std::string& text) {
  uint64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

ControlApi::ControlApi(EventLoop* loop, ControlApiOptions options, RoomDirectory* rooms,
                       CallController* calls, EventHub* events,
                       std::function<std::string()> metrics,
                       std::shared_ptr<const media::PromptLibrary> prompts)
    : loop_(loop),
      options_(std::move(options)),
      rooms_(rooms),
      calls_(calls),
      events_(events),
      metrics_(std::move(metrics)),
      prompts_(std::move(prompts)),
      server_(std::make_unique<httplib::Server>()) {}

ControlApi::~ControlApi() { Stop(); }

void ControlApi::Routes() {
  // Runs `work` on the control thread and answers with what it returns.
  auto on_loop = [this](std::function<Reply()> work) {
    return [this, work = std::move(work)](const httplib::Request& request,
                                          httplib::Response& response) {
      if (request.get_header_value("Authorization") != "Bearer " + options_.token) {
        response.status = 401;
        response.set_header("WWW-Authenticate", "Bearer realm=\"tutti\"");
        response.set_content(Error(401, "missing or wrong bearer token").body.dump(), kJson);
        return;
      }
      auto promise = std::make_shared<std::promise<Reply>>();
      std::future<Reply> future = promise->get_future();
      loop_->Post([work, promise] { promise->set_value(work()); });
      Reply reply;
      if (future.wait_for(std::chrono::seconds(5)) == std::future_status::ready) {
        reply = future.get();
      } else {
        reply = Error(503, "the control thread did not answer in time");
      }
      response.status = reply.status;
      if (!reply.text.empty()) {
        response.set_content(reply.text, reply.content_type.c_str());
      } else if (reply.status != 204) {
        response.set_content(reply.body.dump(), kJson);
      }
    };
  };
  // Parses the request body as a JSON object, or explains why not.
  auto body_of = [](const std::string& text) -> std::optional<json> {
    json body = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded() || !body.is_object()) return std::nullopt;
    return body;
  };
  auto count_in = [this](const std::string& room) {
    return static_cast<int>(calls_->Participants(room).size());
  };

  server_->Get("/v1/health", [](const httplib::Request&, httplib::Response& response) {
    response.set_content(R"({"status":"ok"})", kJson);
  });

  server_->Get("/metrics",
               [this, on_loop](const httplib::Request& request, httplib::Response& response) {
                 on_loop([this] {
                   Reply reply;
                   reply.text = metrics_();
                   reply.content_type = "text/plain; version=0.0.4";
                   return reply;
                 })(request, response);
               });

  server_->Get("/v1/rooms", [this, on_loop, count_in](const httplib::Request& request,
                                                      httplib::Response& response) {
    on_loop([this, count_in] {
      json rooms = json::array();
      for (const RoomConfig* room : rooms_->All()) {
        rooms.push_back(RoomJson(*room, count_in(room->name)));
      }
      return Reply{200, json{{"rooms", rooms}}};
    })(request, response);
  });

  server_->Post("/v1/rooms", [this, on_loop, body_of, count_in](const httplib::Request& request,
                                                                httplib::Response& response) {
    const std::optional<json> body = body_of(request.body);
    on_loop([this, body, count_in] {
      if (!body) return Error(400, "the body must be a JSON object");
      if (!body->contains("name") || !(*body)["name"].is_string() ||
          !ValidRoomName((*body)["name"].get<std::string>())) {
        return Error(400, "name must be 1-64 characters of A-Z a-z 0-9 - _ .");
      }
      RoomConfig room;
      room.name = (*body)["name"].get<std::string>();
      if (std::optional<std::string> fault = ApplyRoomFields(*body, &room)) {
        return Error(400, *fault);
      }
      if (room.name == options_.ivr_number) {
        return Error(409, StrCat("\"", room.name, "\" is the dial-in IVR's number"));
      }
      if (!rooms_->Add(room)) return Error(409, StrCat("room \"", room.name, "\" exists"));
      LogInfo("api", "room created").With("room", room.name);
      return Reply{201, RoomJson(room, count_in(room.name))};
    })(request, response);
  });

  server_->Get(R"(/v1/rooms/([^/]+))", [this, on_loop, count_in](const httplib::Request& request,
                                                                 httplib::Response& response) {
    const std::string name = request.matches[1];
    on_loop([this, name, count_in] {
      const RoomConfig* room = rooms_->Find(name);
      if (room == nullptr) return Error(404, StrCat("no room \"", name, "\""));
      json body = RoomJson(*room, count_in(name));
      const std::string recording = calls_->RecordingPath(name);
      body["recording"] = recording.empty() ? json(nullptr) : json(recording);
      body["participant_list"] = json::array();
      for (const ParticipantInfo& p : calls_->Participants(name)) {
        body["participant_list"].push_back(ParticipantJson(p));
      }
      return Reply{200, body};
    })(request, response);
  });

  server_->Patch(R"(/v1/rooms/([^/]+))",
                 [this, on_loop, body_of, count_in](const httplib::Request& request,
                                                    httplib::Response& response) {
                   const std::string name = request.matches[1];
                   const std::optional<json> body = body_of(request.body);
                   on_loop([this, name, body, count_in] {
                     const RoomConfig* existing = rooms_->Find(name);
                     if (existing == nullptr) return Error(404, StrCat("no room \"", name, "\""));
                     if (!body) return Error(400, "the body must be a JSON object");
                     RoomConfig room = *existing;
                     if (std::optional<std::string> fault = ApplyRoomFields(*body, &room)) {
                       return Error(400, *fault);
                     }
                     rooms_->Update(room);
                     LogInfo("api", "room updated").With("room", name).With("locked", room.locked);
                     return Reply{200, RoomJson(room, count_in(name))};
                   })(request, response);
                 });

  server_->Delete(R"(/v1/rooms/([^/]+))",
                  [this, on_loop](const httplib::Request& request, httplib::Response& response) {
                    const std::string name = request.matches[1];
                    on_loop([this, name] {
                      if (rooms_->Find(name) == nullptr)
                        return Error(404, StrCat("no room \"", name, "\""));
                      calls_->EndRoom(name);
                      rooms_->Remove(name);
                      LogInfo("api", "room deleted").With("room", name);
                      return Reply{204, json()};
                    })(request, response);
                  });

  server_->Get(R"(/v1/rooms/([^/]+)/participants)",
               [this, on_loop](const httplib::Request& request, httplib::Response& response) {
                 const std::string name = request.matches[1];
                 on_loop([this, name] {
                   if (rooms_->Find(name) == nullptr) {
                     return Error(404, StrCat("no room \"", name, "\""));
                   }
                   json list = json::array();
                   for (const ParticipantInfo& p : calls_->Participants(name)) {
                     list.push_back(ParticipantJson(p));
                   }
                   return Reply{200, json{{"participants", list}}};
                 })(request, response);
               });

  // POST .../participants/<id>/mute|unmute; DELETE .../participants/<id> kicks.
  auto participant_in_room = [this](const std::string& room, const std::string& id_text,
                                    std::optional<ParticipantInfo>* out) -> std::optional<Reply> {
    if (rooms_->Find(room) == nullptr) return Error(404, StrCat("no room \"", room, "\""));
    const std::optional<uint64_t> id = ParseId(id_text);
    *out = id ? calls_->Participant(*id) : std::nullopt;
    if (!*out || (*out)->room != room) {
      return Error(404, StrCat("no participant ", id_text, " in room \"", room, "\""));
    }
    return std::nullopt;
  };
  server_->Post(R"(/v1/rooms/([^/]+)/participants/([^/]+)/(mute|unmute))",
                [this, on_loop, participant_in_room](const httplib::Request& request,
                                                     httplib::Response& response) {
                  const std::string room = request.matches[1];
                  const std::string id = request.matches[2];
                  const bool mute = request.matches[3] == "mute";
                  on_loop([this, room, id, mute, participant_in_room] {
                    std::optional<ParticipantInfo> participant;
                    if (auto fault = participant_in_room(room, id, &participant)) return *fault;
                    calls_->SetMuted(participant->id, mute);
                    return Reply{200, ParticipantJson(*calls_->Participant(participant->id))};
                  })(request, response);
                });
  server_->Put(R"(/v1/rooms/([^/]+)/participants/([^/]+)/volume)",
               [this, on_loop, body_of, participant_in_room](const httplib::Request& request,
                                                             httplib::Response& response) {
                 const std::string room = request.matches[1];
                 const std::string id = request.matches[2];
                 const std::optional<json> body = body_of(request.body);
                 on_loop([this, room, id, body, participant_in_room] {
                   std::optional<ParticipantInfo> participant;
                   if (auto fault = participant_in_room(room, id, &participant)) return *fault;
                   if (!body) return Error(400, "the body must be a JSON object");
                   int listen = participant->listen_db;
                   int talk = participant->talk_db;
                   for (const auto& [key, value] : body->items()) {
                     if (key != "listen_db" && key != "talk_db") {
                       return Error(400, StrCat("unknown field \"", key, "\""));
                     }
                     if (!value.is_number_integer() || value.get<int64_t>() < -24 ||
                         value.get<int64_t>() > 12) {
                       return Error(400, StrCat(key, " must be an integer from -24 to 12 (dB)"));
                     }
                     (key == "listen_db" ? listen : talk) = value.get<int>();
                   }
                   calls_->SetVolume(participant->id, listen, talk);
                   return Reply{200, ParticipantJson(*calls_->Participant(participant->id))};
                 })(request, response);
               });
  server_->Delete(R"(/v1/rooms/([^/]+)/participants/([^/]+))",
                  [this, on_loop, participant_in_room](const httplib::Request& request,
                                                       httplib::Response& response) {
                    const std::string room = request.matches[1];
                    const std::string id = request.matches[2];
                    on_loop([this, room, id, participant_in_room] {
                      std::optional<ParticipantInfo> participant;
                      if (auto fault = participant_in_room(room, id, &participant)) return *fault;
                      calls_->Kick(participant->id, "removed by operator");
                      return Reply{204, json()};
                    })(request, response);
                  });

  // The prompt a body names, or the error to answer.
  auto prompt_of = [this](const std::optional<json>& body,
                          const media::Prompt** prompt) -> std::optional<Reply> {
    if (!body || !body->contains("prompt") || !(*body)["prompt"].is_string()) {
      return Error(400, "the body must be {\"prompt\": \"<name>\"}");
    }
    const std::string name = (*body)["prompt"].get<std::string>();
    const int index = prompts_ ? prompts_->Find(name) : -1;
    if (index < 0) return Error(404, StrCat("no prompt \"", name, "\" (GET /v1/prompts)"));
    *prompt = &prompts_->at(index);
    return std::nullopt;
  };
  server_->Get("/v1/prompts",
               [this, on_loop](const httplib::Request& request, httplib::Response& response) {
                 on_loop([this] {
                   json names = json::array();
                   if (prompts_) {
                     for (const std::string& name : prompts_->Names()) names.push_back(name);
                   }
                   return Reply{200, json{{"prompts", names}}};
                 })(request, response);
               });
  server_->Post(R"(/v1/rooms/([^/]+)/participants/([^/]+)/play)",
                [this, on_loop, body_of, prompt_of, participant_in_room](
                    const httplib::Request& request, httplib::Response& response) {
                  const std::string room = request.matches[1];
                  const std::string id = request.matches[2];
                  const std::optional<json> body = body_of(request.body);
                  on_loop([this, room, id, body, prompt_of, participant_in_room] {
                    std::optional<ParticipantInfo> participant;
                    if (auto fault = participant_in_room(room, id, &participant)) return *fault;
                    const media::Prompt* prompt = nullptr;
                    if (auto fault = prompt_of(body, &prompt)) return *fault;
                    if (!calls_->Play(participant->id, prompt)) {
                      return Error(409, "the participant has no audio to play into");
                    }
                    return Reply{202, json{{"playing", prompt->name}, {"to", 1}}};
                  })(request, response);
                });
  server_->Post(R"(/v1/rooms/([^/]+)/play)",
                [this, on_loop, body_of, prompt_of](const httplib::Request& request,
                                                    httplib::Response& response) {
                  const std::string room = request.matches[1];
                  const std::optional<json> body = body_of(request.body);
                  on_loop([this, room, body, prompt_of] {
                    if (rooms_->Find(room) == nullptr)
                      return Error(404, StrCat("no room \"", room, "\""));
                    const media::Prompt* prompt = nullptr;
                    if (auto fault = prompt_of(body, &prompt)) return *fault;
                    int played = 0;
                    for (const ParticipantInfo& p : calls_->Participants(room)) {
                      played += calls_->Play(p.id, prompt) ? 1 : 0;
                    }
                    return Reply{202, json{{"playing", prompt->name}, {"to", played}}};
                  })(request, response);
                });

  server_->Post(R"(/v1/rooms/([^/]+)/recording)", [this, on_loop](const httplib::Request& request,
                                                                  httplib::Response& response) {
    const std::string room = request.matches[1];
    json body = request.body.empty() ? json::object() : json::parse(request.body, nullptr, false);
    on_loop([this, room, body] {
      if (body.is_discarded() || !body.is_object()) {
        return Error(400, "the body must be a JSON object (or empty)");
      }
      std::string format = options_.recording_format;
      if (body.contains("format")) {
        if (!body["format"].is_string() || (body["format"] != "ogg" && body["format"] != "wav")) {
          return Error(400, "format must be \"ogg\" or \"wav\"");
        }
        format = body["format"].get<std::string>();
      }
      absl::StatusOr<std::string> path = calls_->StartRecording(
          room, options_.recording_dir,
          format == "wav" ? mixer::RecordingFormat::kWav : mixer::RecordingFormat::kOggOpus);
      if (!path.ok()) {
        const int status = path.status().code() == absl::StatusCode::kNotFound ? 404
                           : path.status().code() == absl::StatusCode::kAlreadyExists ||
                                   path.status().code() == absl::StatusCode::kFailedPrecondition
                               ? 409
                               : 503;
        return Error(status, std::string(path.status().message()));
      }
      return Reply{201, json{{"recording", *path}}};
    })(request, response);
  });
  server_->Delete(R"(/v1/rooms/([^/]+)/recording)",
                  [this, on_loop](const httplib::Request& request, httplib::Response& response) {
                    const std::string room = request.matches[1];
                    on_loop([this, room] {
                      if (rooms_->Find(room) == nullptr)
                        return Error(404, StrCat("no room \"", room, "\""));
                      const std::string path = calls_->RecordingPath(room);
                      if (absl::Status stopped = calls_->StopRecording(room); !stopped.ok()) {
                        return Error(409, std::string(stopped.message()));
                      }
                      return Reply{202, json{{"stopping", path}}};
                    })(request, response);
                  });

  server_->Get("/v1/events", [this](const httplib::Request& request, httplib::Response& response) {
    if (request.get_header_value("Authorization") != "Bearer " + options_.token) {
      response.status = 401;
      response.set_header("WWW-Authenticate", "Bearer realm=\"tutti\"");
      response.set_content(Error(401, "missing or wrong bearer token").body.dump(), kJson);
      return;
    }
    std::shared_ptr<EventHub::Subscription> subscription = events_->Subscribe();
    response.set_header("Cache-Control", "no-cache");
    response.set_chunked_content_provider(
        "text/event-stream",
        [this, subscription](size_t, httplib::DataSink& sink) {
          if (stopping_.load()) return false;
          // A comment line every 15 s keeps proxies from closing the stream.
          const std::string message = subscription->Next(250).value_or("");
          if (message.empty()) {
            static thread_local int idle = 0;
            if (++idle < 60) return true;
            idle = 0;
            return sink.write(": keep-alive\n\n", 14);
          }
          return sink.write(message.data(), message.size());
        },
        [this, subscription](bool) { events_->Unsubscribe(subscription); });
  });
}

absl::Status ControlApi::Start() {
  Routes();
  server_->set_keep_alive_max_count(100);
  server_->set_payload_max_length(64 * 1024);
  int port = options_.port;
  if (port == 0) {
    port = server_->bind_to_any_port(options_.listen.c_str());
    if (port < 0) return absl::UnavailableError("cannot bind the API to any port");
  } else if (!server_->bind_to_port(options_.listen.c_str(), port)) {
    return absl::UnavailableError(StrCat("cannot bind the API to ", options_.listen, ":", port));
  }
  port_ = static_cast<uint16_t>(port);
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // cpp-httplib's stop() does nothing until the server runs: a Stop() (an
  // early SIGTERM) in between would be lost and the join would hang.
  for (int waited_ms = 0; !server_->is_running() && waited_ms < 5000; ++waited_ms) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return absl::OkStatus();
}

void ControlApi::Stop() {
  if (!thread_.joinable()) return;
  stopping_.store(true);
  server_->stop();
  thread_.join();
}

}  // namespace tutti::api
