#include "server/api/control_api.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <string_view>

#include "common/log.h"
#include "common/strings.h"
#include "nlohmann/json.hpp"
#include "server/api/api_token.h"
#include "server/api/metrics_text.h"

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
          {"srtp_replayed", p.srtp_replayed},
          {"max_gap_ms", p.max_gap_ms}};
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

HttpResponse ToResponse(const Reply& reply) {
  HttpResponse response;
  response.status = reply.status;
  if (!reply.text.empty()) {
    response.content_type = reply.content_type;
    response.body = reply.text;
  } else if (reply.status != 204) {
    response.content_type = kJson;
    response.body = reply.body.dump();
  }
  return response;
}

// "/v1/rooms/x" -> {"v1", "rooms", "x"}; a trailing "/" leaves an empty
// last segment, which no pattern matches.
std::vector<std::string> Segments(std::string_view path) {
  std::vector<std::string> segments;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  while (true) {
    const size_t slash = path.find('/');
    segments.emplace_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return segments;
}

// A pattern segment "*" matches any non-empty segment, "a|b" either word;
// both are captured in order.
bool Matches(const std::vector<std::string>& pattern, const std::vector<std::string>& segments,
             std::vector<std::string>* captures) {
  if (pattern.size() != segments.size()) return false;
  captures->clear();
  for (size_t i = 0; i < pattern.size(); ++i) {
    const std::string& want = pattern[i];
    const std::string& got = segments[i];
    if (want == "*") {
      if (got.empty()) return false;
      captures->push_back(got);
    } else if (want.find('|') != std::string::npos) {
      bool any = false;
      for (std::string_view words = want; !any;) {
        const size_t bar = words.find('|');
        any = words.substr(0, bar) == got;
        if (bar == std::string_view::npos) break;
        words.remove_prefix(bar + 1);
      }
      if (!any) return false;
      captures->push_back(got);
    } else if (want != got) {
      return false;
    }
  }
  return true;
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
      server_(nullptr) {}

ControlApi::~ControlApi() { Stop(); }

void ControlApi::Routes() {
  // Runs `work` on the control thread and answers with what it returns.
  auto on_loop = [](std::function<Reply()> work) {
    HttpAction action;
    action.on_loop = [work = std::move(work)] { return ToResponse(work()); };
    return action;
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

  Add("GET", "/v1/health", /*needs_token=*/false, [](const HttpRequest&, const Captures&) {
    HttpAction action;
    action.now = HttpResponse{200, kJson, R"({"status":"ok"})", {}};
    return action;
  });

  Add("GET", "/metrics", [this, on_loop](const HttpRequest&, const Captures&) -> HttpAction {
    return on_loop([this] {
      Reply reply;
      reply.text = metrics_() + ApiMetrics();
      reply.content_type = "text/plain; version=0.0.4";
      return reply;
    });
  });

  Add("GET", "/v1/rooms",
      [this, on_loop, count_in](const HttpRequest&, const Captures&) -> HttpAction {
        return on_loop([this, count_in] {
          json rooms = json::array();
          for (const RoomConfig* room : rooms_->All()) {
            rooms.push_back(RoomJson(*room, count_in(room->name)));
          }
          return Reply{200, json{{"rooms", rooms}}};
        });
      });

  Add("POST", "/v1/rooms",
      [this, on_loop, body_of, count_in](const HttpRequest& request,
                                         const Captures&) -> HttpAction {
        const std::optional<json> body = body_of(request.body);
        return on_loop([this, body, count_in] {
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
        });
      });

  Add("GET", "/v1/rooms/*",
      [this, on_loop, count_in](const HttpRequest&, const Captures& matches) -> HttpAction {
        const std::string name = matches[0];
        return on_loop([this, name, count_in] {
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
        });
      });

  Add("PATCH", "/v1/rooms/*",
      [this, on_loop, body_of, count_in](const HttpRequest& request,
                                         const Captures& matches) -> HttpAction {
        const std::string name = matches[0];
        const std::optional<json> body = body_of(request.body);
        return on_loop([this, name, body, count_in] {
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
        });
      });

  Add("DELETE", "/v1/rooms/*",
      [this, on_loop](const HttpRequest&, const Captures& matches) -> HttpAction {
        const std::string name = matches[0];
        return on_loop([this, name] {
          if (rooms_->Find(name) == nullptr) return Error(404, StrCat("no room \"", name, "\""));
          calls_->EndRoom(name);
          rooms_->Remove(name);
          LogInfo("api", "room deleted").With("room", name);
          return Reply{204, json()};
        });
      });

  Add("GET", "/v1/rooms/*/participants",
      [this, on_loop](const HttpRequest&, const Captures& matches) -> HttpAction {
        const std::string name = matches[0];
        return on_loop([this, name] {
          if (rooms_->Find(name) == nullptr) {
            return Error(404, StrCat("no room \"", name, "\""));
          }
          json list = json::array();
          for (const ParticipantInfo& p : calls_->Participants(name)) {
            list.push_back(ParticipantJson(p));
          }
          return Reply{200, json{{"participants", list}}};
        });
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
  Add("POST", "/v1/rooms/*/participants/*/mute|unmute",
      [this, on_loop, participant_in_room](const HttpRequest&,
                                           const Captures& matches) -> HttpAction {
        const std::string room = matches[0];
        const std::string id = matches[1];
        const bool mute = matches[2] == "mute";
        return on_loop([this, room, id, mute, participant_in_room] {
          std::optional<ParticipantInfo> participant;
          if (auto fault = participant_in_room(room, id, &participant)) return *fault;
          calls_->SetMuted(participant->id, mute);
          return Reply{200, ParticipantJson(*calls_->Participant(participant->id))};
        });
      });
  Add("PUT", "/v1/rooms/*/participants/*/volume",
      [this, on_loop, body_of, participant_in_room](const HttpRequest& request,
                                                    const Captures& matches) -> HttpAction {
        const std::string room = matches[0];
        const std::string id = matches[1];
        const std::optional<json> body = body_of(request.body);
        return on_loop([this, room, id, body, participant_in_room] {
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
        });
      });
  Add("DELETE", "/v1/rooms/*/participants/*",
      [this, on_loop, participant_in_room](const HttpRequest&,
                                           const Captures& matches) -> HttpAction {
        const std::string room = matches[0];
        const std::string id = matches[1];
        return on_loop([this, room, id, participant_in_room] {
          std::optional<ParticipantInfo> participant;
          if (auto fault = participant_in_room(room, id, &participant)) return *fault;
          calls_->Kick(participant->id, "removed by operator");
          return Reply{204, json()};
        });
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
  Add("GET", "/v1/prompts", [this, on_loop](const HttpRequest&, const Captures&) -> HttpAction {
    return on_loop([this] {
      json names = json::array();
      if (prompts_) {
        for (const std::string& name : prompts_->Names()) names.push_back(name);
      }
      return Reply{200, json{{"prompts", names}}};
    });
  });
  Add("POST", "/v1/rooms/*/participants/*/play",
      [this, on_loop, body_of, prompt_of, participant_in_room](
          const HttpRequest& request, const Captures& matches) -> HttpAction {
        const std::string room = matches[0];
        const std::string id = matches[1];
        const std::optional<json> body = body_of(request.body);
        return on_loop([this, room, id, body, prompt_of, participant_in_room] {
          std::optional<ParticipantInfo> participant;
          if (auto fault = participant_in_room(room, id, &participant)) return *fault;
          const media::Prompt* prompt = nullptr;
          if (auto fault = prompt_of(body, &prompt)) return *fault;
          if (!calls_->Play(participant->id, prompt)) {
            return Error(409, "the participant has no audio to play into");
          }
          return Reply{202, json{{"playing", prompt->name}, {"to", 1}}};
        });
      });
  Add("POST", "/v1/rooms/*/play",
      [this, on_loop, body_of, prompt_of](const HttpRequest& request,
                                          const Captures& matches) -> HttpAction {
        const std::string room = matches[0];
        const std::optional<json> body = body_of(request.body);
        return on_loop([this, room, body, prompt_of] {
          if (rooms_->Find(room) == nullptr) return Error(404, StrCat("no room \"", room, "\""));
          const media::Prompt* prompt = nullptr;
          if (auto fault = prompt_of(body, &prompt)) return *fault;
          int played = 0;
          for (const ParticipantInfo& p : calls_->Participants(room)) {
            played += calls_->Play(p.id, prompt) ? 1 : 0;
          }
          return Reply{202, json{{"playing", prompt->name}, {"to", played}}};
        });
      });

  Add("POST", "/v1/rooms/*/recording",
      [this, on_loop](const HttpRequest& request, const Captures& matches) -> HttpAction {
        const std::string room = matches[0];
        json body =
            request.body.empty() ? json::object() : json::parse(request.body, nullptr, false);
        return on_loop([this, room, body] {
          if (body.is_discarded() || !body.is_object()) {
            return Error(400, "the body must be a JSON object (or empty)");
          }
          std::string format = options_.recording_format;
          if (body.contains("format")) {
            if (!body["format"].is_string() ||
                (body["format"] != "ogg" && body["format"] != "wav")) {
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
        });
      });
  Add("DELETE", "/v1/rooms/*/recording",
      [this, on_loop](const HttpRequest&, const Captures& matches) -> HttpAction {
        const std::string room = matches[0];
        return on_loop([this, room] {
          if (rooms_->Find(room) == nullptr) return Error(404, StrCat("no room \"", room, "\""));
          const std::string path = calls_->RecordingPath(room);
          if (absl::Status stopped = calls_->StopRecording(room); !stopped.ok()) {
            return Error(409, std::string(stopped.message()));
          }
          return Reply{202, json{{"stopping", path}}};
        });
      });

  // Served by the HTTP server itself, without a thread of its own.
  Add("GET", "/v1/events", [](const HttpRequest&, const Captures&) {
    HttpAction action;
    action.event_stream = true;
    return action;
  });
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

void ControlApi::Add(std::string method, std::string_view pattern, bool needs_token,
                     Handler handler) {
  routes_.push_back({std::move(method), Segments(pattern), needs_token, std::move(handler)});
}

void ControlApi::Add(std::string method, std::string_view pattern, Handler handler) {
  Add(std::move(method), pattern, /*needs_token=*/true, std::move(handler));
}

HttpAction ControlApi::Dispatch(const HttpRequest& request) {
  // A HEAD is answered as its GET, without the body.
  const std::string_view method =
      request.method == "HEAD" ? std::string_view("GET") : std::string_view(request.method);
  const std::vector<std::string> segments = Segments(request.path);
  Captures captures;
  for (const Route& route : routes_) {
    if (route.method != method || !Matches(route.pattern, segments, &captures)) continue;
    if (route.needs_token && !Authorized(request.authorization)) {
      HttpAction action;
      action.now = ToResponse(Error(401, "missing or wrong bearer token"));
      action.now->headers.emplace_back("WWW-Authenticate", "Bearer realm=\"tutti\"");
      return action;
    }
    return route.handler(request, captures);
  }
  HttpAction action;
  action.now = ToResponse(Error(404, StrCat("no endpoint ", request.method, " ", request.path)));
  return action;
}

bool ControlApi::Authorized(std::string_view authorization) const {
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.substr(0, kBearer.size()) != kBearer) return false;
  return TokenMatches(options_.token, authorization.substr(kBearer.size()));
}

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
  return m.text();
}

}  // namespace tutti::api
