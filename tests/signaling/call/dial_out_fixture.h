// What the dial-out and REFER tests share: a controller with one trunk
// ("carrier", UK numbers, digest credentials), rooms 1000 and 2000 (and
// 3000 with a PIN), fake workers, call records in a temp file, the event
// stream, and the callee's side of our INVITEs.
#pragma once

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "common/event_hub.h"
#include "common/strings.h"
#include "gtest/gtest.h"
#include "signaling/call/call_controller.h"
#include "signaling/trunk/trunk_guard.h"
#include "signaling/trunk/trunk_table.h"
#include "tests/signaling/call/call_fakes.h"
#include "tests/support/temp_path.h"

namespace tutti::fakes {

// The callee's SDP answer: PCMU from 203.0.113.9.
inline constexpr char kCalleeAnswer[] =
    "v=0\r\no=callee 7 7 IN IP4 203.0.113.9\r\ns=-\r\nc=IN IP4 203.0.113.9\r\nt=0 0\r\n"
    "m=audio 30000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n";

inline trunk::TrunkConfig CarrierTrunk() {
  trunk::TrunkConfig trunk;
  trunk.name = "carrier";
  trunk.host = "203.0.113.5";
  trunk.domain = "carrier.example";
  trunk.username = "tutti";
  trunk.password = "secret";
  trunk.numbers.country_code = "44";
  trunk.caller_id = "+44 20 7946 0000";
  trunk.dial_out_patterns = {"44XXXXXXXXXX"};
  return trunk;
}

class DialOutFixture : public ControllerBase {
 protected:
  DialOutFixture() {
    // 1000 and 2000 open, 3000 with a PIN, 4000 with a moderator PIN.
    rooms_ = std::make_unique<RoomDirectory>(
        std::vector<RoomConfig>{{.name = "1000"},
                                {.name = "2000"},
                                {.name = "3000", .pin = "4321"},
                                {.name = "4000", .moderator_pin = "8765"}});
    signaling_.sent.reserve(256);  // the tests hold on to requests while more are sent
    subscription_ = events_.Subscribe();
    records_path_ = testing_support::UniqueTempPath("dial_out_records.jsonl");
    std::remove(records_path_.c_str());
    records_ = std::move(*CallRecordWriter::Open(records_path_));
  }
  ~DialOutFixture() override {
    controller_.reset();  // its calls' timers are ours
    std::remove(records_path_.c_str());
  }

  void MakeController(trunk::TrunkConfig trunk = CarrierTrunk()) {
    absl::StatusOr<trunk::TrunkTable> table = trunk::TrunkTable::Make({std::move(trunk)});
    ASSERT_TRUE(table.ok()) << table.status();
    table_ = std::make_shared<const trunk::TrunkTable>(std::move(*table));
    CallControllerOptions options = Options();
    options.moderator_controls = {{"#5", "dial_out"}};
    controller_ = std::make_unique<CallController>(&timers_, &signaling_, rooms_.get(), &ports_,
                                                   &overload_, &workers_, options);
    controller_->set_trunks(table_, nullptr, &guard_, nullptr);
    controller_->set_event_hub(&events_);
    controller_->set_call_records(records_.get());
  }

  absl::StatusOr<uint64_t> DialOut(std::string_view target, std::string_view room = "1000") {
    DialOutRequest request;
    request.room = std::string(room);
    request.target = std::string(target);
    request.requested_by = "api";
    return controller_->DialOut(std::move(request));
  }

  std::vector<FakeSignaling::Sent*> SentOf(std::string_view method) {
    return fakes::SentOf(signaling_, method);
  }
  // The callee answers our (last) INVITE with `status`.
  sip::SipMessage CalleeAnswers(int status, std::string_view extra = {},
                                std::string_view body = {}) {
    return Respond(*SentOf("INVITE").back(), status, "callee-tag", extra, body);
  }
  // 200 with the callee's SDP: a participant in its room.
  void CalleePicksUp() {
    CalleeAnswers(200, "Contact: <sip:callee@203.0.113.9:5060>\r\n", kCalleeAnswer);
  }
  // A request from the callee inside the dialog our INVITE made.
  std::string CalleeRequest(std::string_view method, int cseq, std::string_view extra = {}) {
    const sip::SipMessage invite = Parse(SentOf("INVITE").back()->bytes);
    return StrCat(method, " sip:tutti@198.51.100.1:5060 SIP/2.0\r\n",
                  "Via: SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bK-callee", method, cseq, "\r\n",
                  "From: <", invite.to().uri_text, ">;tag=callee-tag\r\n",
                  "To: ", invite.HeaderValue(sip::HeaderId::kFrom), "\r\n",
                  "Call-ID: ", invite.call_id(), "\r\nCSeq: ", cseq, " ", method,
                  "\r\nMax-Forwards: 70\r\n", extra, "Content-Length: 0\r\n\r\n");
  }
  sip::MessageSource Carrier() const {
    return {sip::TransportKind::kUdp, *sip::SocketAddress::FromIpPort("203.0.113.5", 5060), 0};
  }
  std::vector<std::string> EventsOf(std::string_view type) {
    std::vector<std::string> out;
    for (std::string& event : Events(*subscription_)) {
      if (event.starts_with(StrCat(type, " "))) out.push_back(event.substr(type.size() + 1));
    }
    return out;
  }
  // Keys `keys` pressed by participant `id` (RFC 4733), handled.
  void Press(uint64_t id, std::string_view keys) {
    for (char key : keys) workers_.events.push_back(mixer::Dtmf{id, key});
    DeliverEvents();
  }
  // The participant the worker was last given, handed back by its worker
  // into `room`'s conference (the lobby -> room or room -> room move).
  void HandBack(std::string_view room) {
    std::unique_ptr<mixer::Participant> handed_back;
    for (FakeWorkers::Sent& sent : workers_.sent) {
      if (auto* add = std::get_if<mixer::AddParticipant>(&sent.command)) {
        if (add->participant) handed_back = std::move(add->participant);
      }
    }
    ASSERT_NE(handed_back, nullptr);
    handed_back->set_conference_id(rooms_->ConferenceId(room));
    workers_.events.push_back(mixer::Detached{std::move(handed_back)});
    DeliverEvents();
  }
  std::vector<nlohmann::json> Records() const { return JsonLines(records_path_); }
  void DeliverEvents() { timers_.Advance(absl::Milliseconds(20)); }

  FakeTimers timers_;
  FakeWorkers workers_;
  std::shared_ptr<const trunk::TrunkTable> table_;
  trunk::TrunkGuard guard_;
  EventHub events_;
  std::shared_ptr<EventHub::Subscription> subscription_;
  std::string records_path_;
  std::unique_ptr<CallRecordWriter> records_;
};

}  // namespace tutti::fakes
