// The MSRP service's test fixture: the service on a port the kernel picks,
// its events collected, and members that connect to it as MSRP peers.
// Every wait is for a condition, with a deadline; nothing sleeps.
#pragma once

#include <gtest/gtest.h>

#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "signaling/msrp/msrp_service.h"
#include "tests/signaling/msrp/msrp_test_peer.h"
#include "tests/support/temp_path.h"

namespace tutti::msrp::testing {

class MsrpServiceTest : public ::testing::Test {
 protected:
  void StartService() {
    options_.listen_address = "127.0.0.1";
    options_.port = 0;
    service_ = std::make_unique<MsrpService>(options_, store_.get(), [this](MsrpEvent event) {
      std::lock_guard<std::mutex> lock(mutex_);
      events_.push_back(std::move(event));
      changed_.notify_all();
    });
    ASSERT_TRUE(service_->Start().ok());
  }

  void OpenStore() {
    FileStoreOptions options;
    options.directory = testing_support::UniqueTempPath("files");
    std::filesystem::remove_all(options.directory);
    store_ = std::make_unique<FileStore>(options);
    ASSERT_TRUE(store_->Open().ok());
  }

  void TearDown() override {
    if (service_) service_->Stop();
    if (store_) std::filesystem::remove_all(store_->options().directory);
  }

  // Waits until `done` holds (polling the service's stats, or the events).
  bool WaitUntil(const std::function<bool()>& done) {
    const auto deadline = Deadline();
    std::unique_lock<std::mutex> lock(mutex_);
    while (!done()) {
      if (changed_.wait_until(
              lock, std::min(deadline, testing::Clock::now() + std::chrono::milliseconds(5))) ==
              std::cv_status::timeout &&
          testing::Clock::now() >= deadline) {
        return done();
      }
    }
    return true;
  }

  template <typename Event>
  std::optional<Event> WaitEvent(const std::function<bool(const Event&)>& match = nullptr) {
    std::optional<Event> found;
    WaitUntil([&] {
      for (const MsrpEvent& event : events_) {
        const Event* e = std::get_if<Event>(&event);
        if (e != nullptr && (!match || match(*e))) {
          found = *e;
          return true;
        }
      }
      return false;
    });
    return found;
  }

  template <typename Event>
  int CountEvents() {
    std::lock_guard<std::mutex> lock(mutex_);
    int count = 0;
    for (const MsrpEvent& event : events_) count += std::holds_alternative<Event>(event) ? 1 : 0;
    return count;
  }

  struct Member {
    MsrpSession session;
    MsrpTestPeer peer;
    std::string uri;  // the peer's own MSRP URI (its From-Path)
    std::vector<MsrpMessage> received;
  };

  MsrpSession NewSession(uint64_t call_id, std::string name, SessionRole role = SessionRole::kChat,
                         bool cpim = false) {
    MsrpSession session;
    session.call_id = call_id;
    session.room = "1000";
    session.local_session_id = NewSessionId();
    session.remote_path = {"msrp://127.0.0.1:9/peer" + std::to_string(call_id) + ";tcp"};
    session.member_uri = "sip:" + name + "@example.com";
    session.member_name = name;
    session.accept_types = cpim ? std::vector<std::string>{"message/cpim", "text/plain"}
                                : std::vector<std::string>{"text/plain"};
    session.accepts_cpim = cpim;
    session.role = role;
    return session;
  }

  void AddAndWait(const MsrpSession& session) {
    const int64_t before = service_->stats().sessions.load();
    service_->AddSession(session);
    ASSERT_TRUE(WaitUntil([&] { return service_->stats().sessions.load() > before; }));
  }

  // A member connected and bound by an empty SEND (answered 200).
  Member Join(uint64_t call_id, std::string name, bool cpim = false, int receive_buffer = 0) {
    Member member{NewSession(call_id, std::move(name), SessionRole::kChat, cpim), {}, {}, {}};
    member.uri = member.session.remote_path.back();
    AddAndWait(member.session);
    member.peer = MsrpTestPeer::Connect(service_->port(), receive_buffer);
    EXPECT_TRUE(member.peer.ok());
    EXPECT_TRUE(member.peer.Send(WriteMessage(Request(member, ""))));
    std::optional<MsrpMessage> answer = member.peer.Read();
    EXPECT_TRUE(answer && !answer->is_request && answer->status_code == 200);
    return member;
  }

  MsrpMessage Request(const Member& from, std::string body,
                      Continuation flag = Continuation::kEnd) {
    MsrpMessage m;
    m.transaction_id = NewTransactionId();
    m.method = "SEND";
    m.to_path = {service_->LocalPath(from.session.local_session_id)};
    m.from_path = {from.uri};
    m.message_id = NewMessageId();
    if (!body.empty()) {
      m.content_type = "text/plain";
      m.byte_range = ByteRange{1, body.size(), body.size()};
    }
    m.body = std::move(body);
    m.continuation = flag;
    return m;
  }

  // Sends `text` from `from` and reads its 200; requests that come first
  // (REPORTs, relayed messages) are kept in `from.received`.
  void Say(Member& from, const std::string& text) {
    ASSERT_TRUE(from.peer.Send(WriteMessage(Request(from, text))));
    std::optional<MsrpMessage> answer;
    while ((answer = from.peer.Read()) && answer->is_request) from.received.push_back(*answer);
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->status_code, 200);
  }

  // Sends bytes [from, to) of `bytes` as chunks of `chunk` of the message
  // `head` names, reading each chunk's 200.
  void SendInChunks(Member& member, MsrpMessage& head, const std::string& bytes, size_t from,
                    size_t to, size_t chunk) {
    for (size_t start = from; start < to; start += chunk) {
      const size_t length = std::min(chunk, bytes.size() - start);
      head.transaction_id = NewTransactionId();
      head.byte_range = ByteRange{start + 1, start + length, bytes.size()};
      head.body = bytes.substr(start, length);
      head.continuation = start + length < bytes.size() ? Continuation::kMore : Continuation::kEnd;
      ASSERT_TRUE(member.peer.Send(WriteMessage(head)));
      std::optional<MsrpMessage> answer = member.peer.Read();
      ASSERT_TRUE(answer && !answer->is_request);
      ASSERT_EQ(answer->status_code, 200);
    }
  }

  // The next request `peer` receives (a SEND, answered 200) carries `body`.
  void ExpectNext(MsrpTestPeer& peer, const std::string& body) {
    std::optional<MsrpMessage> got = peer.ReadRequest();
    ASSERT_TRUE(got);
    EXPECT_EQ(got->body, body);
  }

  MsrpOptions options_;
  std::unique_ptr<FileStore> store_;
  std::unique_ptr<MsrpService> service_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<MsrpEvent> events_;
};

}  // namespace tutti::msrp::testing
