// Fakes for the call-control unit tests: a transaction layer that keeps
// what it was asked to send, timers on a manual clock (time moves only
// when the test says so), and media workers that keep the commands and hand
// back the events a test queues.
#pragma once

#include <chrono>
#include <deque>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/event_hub.h"
#include "common/strings.h"
#include "gtest/gtest.h"
#include "mediaplane/port_allocator.h"
#include "mixer/media_workers.h"
#include "nlohmann/json.hpp"
#include "signaling/call/call_controller.h"
#include "signaling/call/call_timers.h"
#include "signaling/call/overload_guard.h"
#include "signaling/call/room_directory.h"
#include "signaling/msrp/msrp_service.h"
#include "signaling/sip/call_signaling.h"
#include "signaling/sip/sip_parser.h"
#include "signaling/sip/transaction_layer.h"

namespace tutti::fakes {

inline sip::SipMessage Parse(const std::string& text) {
  sip::ParseOutcome outcome = sip::ParseSipMessage(text);
  EXPECT_TRUE(outcome.ok()) << outcome.reject_reason << "\n" << text;
  return outcome.message;
}

// The JSON lines of a file (call records), in order.
inline std::vector<nlohmann::json> JsonLines(const std::string& path) {
  std::vector<nlohmann::json> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
  return out;
}

// The To tag our response gave the dialog.
inline std::string ToTag(const std::string& response) {
  const size_t to = response.find("\r\nTo: ");
  const size_t tag = response.find(";tag=", to);
  return response.substr(tag + 5, response.find("\r\n", tag) - tag - 5);
}

// The MSRP thread takes and drops sessions in its own time: waits (bounded,
// not a sleep before an assertion) until `msrp` counts `sessions`.
inline bool MsrpSessionsBecome(const msrp::MsrpService& msrp, int64_t sessions) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (msrp.stats().sessions.load() != sessions) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// A PCMU offer from 192.0.2.10.
inline constexpr char kPcmuOffer[] =
    "v=0\r\no=c 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
    "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n";

// A request of caller `n` from 192.0.2.10:5062 ("Caller n"
// <sip:callern@example.com>, Call-ID `<call_id_prefix>-n`, its own tags and
// branch) to `room`; `extra` are whole header lines.
inline std::string CallerRequest(std::string_view method, std::string_view room, int n, int cseq,
                                 std::string_view to_tag = {}, std::string_view body = {},
                                 std::string_view call_id_prefix = "caller",
                                 std::string_view content_type = "application/sdp",
                                 std::string_view extra = {}) {
  return StrCat(method, " sip:", room, "@198.51.100.1 SIP/2.0\r\n",
                "Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK-", call_id_prefix, n, method, cseq,
                "\r\n", "From: \"Caller ", n, "\" <sip:caller", n, "@example.com>;tag=c", n, "\r\n",
                "To: <sip:", room, "@198.51.100.1>",
                to_tag.empty() ? std::string() : StrCat(";tag=", to_tag), "\r\n",
                "Call-ID: ", call_id_prefix, "-", n, "\r\n", "CSeq: ", cseq, " ", method, "\r\n",
                "Contact: <sip:caller", n, "@192.0.2.10:5062>\r\nMax-Forwards: 70\r\n", extra,
                body.empty() ? std::string() : StrCat("Content-Type: ", content_type, "\r\n"),
                "Content-Length: ", body.size(), "\r\n\r\n", body);
}

class FakeSignaling : public sip::CallSignaling {
 public:
  struct Response {
    sip::TransactionId id;
    int status;
    std::string bytes;
  };
  struct Sent {
    sip::Destination next_hop;
    std::string bytes;
    ResponseCallback callback;
  };

  // A request as the transaction layer would hand it up: a new server transaction.
  sip::TransactionId Receive(const std::string& text) {
    const sip::TransactionId id = next_id_++;
    requests_[id] = std::make_unique<sip::SipMessage>(Parse(text));
    return id;
  }

  const sip::SipMessage* Request(sip::TransactionId id) const override {
    auto it = requests_.find(id);
    return it == requests_.end() || finals_.contains(id) ? nullptr : it->second.get();
  }
  sip::MessageWriter ResponseFor(sip::TransactionId id, int status_code, std::string_view reason,
                                 std::string_view to_tag) const override {
    return sip::ResponseTo(*requests_.at(id), status_code, reason, to_tag);
  }
  bool Respond(sip::TransactionId id, int status_code, std::string bytes) override {
    if (finals_.contains(id)) return false;
    if (status_code >= 200) finals_.insert({id, status_code});
    responses.push_back({id, status_code, std::move(bytes)});
    return true;
  }
  sip::TransactionId SendRequest(const sip::Destination& next_hop, std::string bytes,
                                 ResponseCallback callback) override {
    if (refuse_requests) return 0;  // as the transaction layer does with bytes it cannot parse
    sent.push_back({next_hop, std::move(bytes), std::move(callback)});
    return next_id_++;
  }
  void SendStateless(const sip::Destination&, std::string_view bytes) override {
    stateless.emplace_back(bytes);
  }
  const sip::TimerSettings& timers() const override { return settings; }

  // The status codes sent, in order.
  std::vector<int> Statuses() const {
    std::vector<int> out;
    for (const Response& response : responses) out.push_back(response.status);
    return out;
  }

  sip::TimerSettings settings;
  bool refuse_requests = false;
  std::vector<Response> responses;
  std::vector<Sent> sent;
  std::vector<std::string> stateless;

 private:
  sip::TransactionId next_id_ = 1;
  std::map<sip::TransactionId, std::unique_ptr<sip::SipMessage>> requests_;
  std::map<sip::TransactionId, int> finals_;
};

class FakeTimers : public CallTimers {
 public:
  TimerId Add(absl::Duration delay, std::function<void()> callback) override {
    const TimerId id = next_id_++;
    timers_[{now_ + delay, id}] = std::move(callback);
    return id;
  }
  void Cancel(TimerId id) override {
    for (auto it = timers_.begin(); it != timers_.end(); ++it) {
      if (it->first.second == id) {
        timers_.erase(it);
        return;
      }
    }
  }
  absl::Time Now() const override { return now_; }

  // Moves the clock on by `by`, running each timer due on the way at its time.
  void Advance(absl::Duration by) {
    const absl::Time until = now_ + by;
    while (!timers_.empty() && timers_.begin()->first.first <= until) {
      auto it = timers_.begin();
      now_ = it->first.first;
      std::function<void()> callback = std::move(it->second);
      timers_.erase(it);
      callback();
    }
    now_ = until;
  }
  size_t pending() const { return timers_.size(); }

 private:
  absl::Time now_ = absl::UnixEpoch() + absl::Hours(1);
  TimerId next_id_ = 1;
  std::map<std::pair<absl::Time, TimerId>, std::function<void()>> timers_;
};

class FakeWorkers : public mixer::MediaWorkers {
 public:
  struct Sent {
    uint32_t conference_id;
    mixer::WorkerCommand command;
  };

  bool Send(uint32_t conference_id, mixer::WorkerCommand command) override {
    if (full) return false;
    if (release_recorders) {
      if (const auto* set = std::get_if<mixer::SetRecorder>(&command);
          set != nullptr && set->recorder == nullptr) {
        events.push_back(mixer::RecorderReleased{set->conference_id});
      }
    }
    sent.push_back({conference_id, std::move(command)});
    return true;
  }
  void DrainEvents(const std::function<void(mixer::WorkerEvent&)>& handle) override {
    ++drains;
    while (!events.empty()) {
      mixer::WorkerEvent event = std::move(events.front());
      events.pop_front();
      handle(event);
    }
  }
  int WorkerIndexFor(uint32_t conference_id) override {
    return static_cast<int>(conference_id % 2);
  }
  // Admission by load: what a test set, and what was asked.
  mixer::Admission AdmitNew(uint32_t conference_id) override {
    admit_new_asked.push_back(conference_id);
    return admit_new;
  }
  mixer::Admission AdmitMove(uint32_t from, uint32_t to) override {
    admit_move_asked.emplace_back(from, to);
    return admit_move;
  }

  // The commands of one kind, in the order sent.
  template <typename Kind>
  std::vector<const Kind*> SentOf() const {
    std::vector<const Kind*> out;
    for (const Sent& one : sent) {
      if (const Kind* kind = std::get_if<Kind>(&one.command)) out.push_back(kind);
    }
    return out;
  }

  std::vector<Sent> sent;
  std::deque<mixer::WorkerEvent> events;  // handed out by the next DrainEvents
  bool full = false;                      // every command ring is full
  bool release_recorders = false;         // a worker that lets go of a recorder at once
  int drains = 0;
  mixer::Admission admit_new = mixer::Admission::kAdmit;
  mixer::Admission admit_move = mixer::Admission::kAdmit;
  std::vector<uint32_t> admit_new_asked;
  std::vector<std::pair<uint32_t, uint32_t>> admit_move_asked;
};

// The requests of `method` we sent, in order.
inline std::vector<FakeSignaling::Sent*> SentOf(FakeSignaling& signaling, std::string_view method) {
  std::vector<FakeSignaling::Sent*> out;
  for (FakeSignaling::Sent& sent : signaling.sent) {
    if (sent.bytes.starts_with(StrCat(method, " "))) out.push_back(&sent);
  }
  return out;
}

// The peer's response to a request we sent: `status` with its To tag (none
// for a 100), `extra` whole header lines, an SDP `body` when given. The
// parsed response (what the callback was handed).
inline sip::SipMessage Respond(FakeSignaling::Sent& sent, int status, std::string_view to_tag,
                               std::string_view extra = {}, std::string_view body = {}) {
  const sip::SipMessage request = Parse(sent.bytes);
  std::string response =
      sip::ResponseTo(request, status, {}, status == 100 ? std::string_view() : to_tag)
          .Finish(body, body.empty() ? "" : "application/sdp");
  if (!extra.empty()) response.insert(response.find("Content-Length:"), extra);
  sip::SipMessage parsed = Parse(response);
  sent.callback(&parsed);
  return parsed;
}

// The events published on `subscription` since last asked, "type data" each.
inline std::vector<std::string> Events(EventHub::Subscription& subscription) {
  std::vector<std::string> out;
  while (std::optional<std::string> event = subscription.Next(0)) {
    const size_t type = event->find("event: ") + 7;
    const size_t data = event->find("data: ") + 6;
    out.push_back(StrCat(event->substr(type, event->find('\n', type) - type), " ",
                         event->substr(data, event->find('\n', data) - data)));
  }
  return out;
}

// What a call controller under test stands on besides its timers and
// workers: the fake transaction layer, the rooms, media ports, limits and
// the caller's address. Each fixture makes the controller (and resets it
// before its own timers go).
class ControllerBase : public ::testing::Test {
 protected:
  static CallControllerOptions Options() {
    CallControllerOptions options;
    options.local = {"198.51.100.1", 5060, 5061};
    options.media.ipv4 = "198.51.100.1";
    return options;
  }
  // Rooms "1000" (open) and "2000" (PIN 4321, so its callers meet the IVR).
  static std::unique_ptr<RoomDirectory> OpenAndPinRooms() {
    return std::make_unique<RoomDirectory>(
        std::vector<RoomConfig>{{.name = "1000"}, {.name = "2000", .pin = "4321"}});
  }
  // Hands a request to the controller as the transaction layer would.
  sip::TransactionId Send(const std::string& text) { return SendFrom(text, source_); }
  sip::TransactionId SendFrom(const std::string& text, const sip::MessageSource& source) {
    const sip::TransactionId id = signaling_.Receive(text);
    controller_->OnRequest(id, *signaling_.Request(id), source);
    return id;
  }
  // Caller `n` (CallerRequest's, Call-ID `<call_id_prefix>-n`) answered:
  // INVITE with a PCMU offer, 200, ACK. The dialog's To tag.
  std::string ConnectCaller(std::string_view room, int n, std::string_view call_id_prefix) {
    Send(CallerRequest("INVITE", room, n, 1, {}, kPcmuOffer, call_id_prefix));
    EXPECT_EQ(signaling_.Statuses().back(), 200);
    const std::string tag = ToTag(signaling_.responses.back().bytes);
    controller_->OnAck(Parse(CallerRequest("ACK", room, n, 1, tag, {}, call_id_prefix)), source_);
    return tag;
  }

  FakeSignaling signaling_;
  std::unique_ptr<RoomDirectory> rooms_;
  media::PortAllocator ports_{"198.51.100.1", 40000, 40007,
                              media::PortAllocator::Mode::kNumbersOnly};
  OverloadGuard overload_{OverloadLimits{}};
  const sip::MessageSource source_{sip::TransportKind::kUdp,
                                   *sip::SocketAddress::FromIpPort("192.0.2.10", 5062), 0};
  std::unique_ptr<CallController> controller_;
};

}  // namespace tutti::fakes
