// MsrpService's chat switch and connections over real loopback TCP.
#include "signaling/msrp/msrp_service.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <string>
#include <vector>

#include "signaling/msrp/cpim.h"
#include "tests/signaling/msrp/msrp_service_fixture.h"

namespace tutti::msrp {
namespace {

using testing::MsrpServiceTest;
using testing::MsrpTestPeer;

TEST_F(MsrpServiceTest, TwoMembersSeeEachOthersMessagesInTheTypeTheyAccept) {
  StartService();
  Member alice = Join(1, "alice");
  Member bob = Join(2, "bob");
  Say(alice, "hello bob");
  std::optional<MsrpMessage> got = bob.peer.ReadRequest();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->method, "SEND");
  EXPECT_EQ(got->content_type, "text/plain");  // bob takes no CPIM
  EXPECT_EQ(got->body, "hello bob");
  EXPECT_EQ(got->to_path, std::vector<std::string>{bob.uri});
  EXPECT_EQ(got->from_path,
            std::vector<std::string>{service_->LocalPath(bob.session.local_session_id)});
  std::optional<ChatReceived> heard = WaitEvent<ChatReceived>();
  ASSERT_TRUE(heard);
  EXPECT_EQ(heard->call_id, 1u);
  EXPECT_EQ(heard->message.sender_uri, "sip:alice@example.com");
  EXPECT_EQ(heard->message.body, "hello bob");
  EXPECT_EQ(heard->message.via, ChatVia::kMsrp);
  EXPECT_EQ(service_->stats().messages_received.load(), 1u);
  EXPECT_EQ(service_->stats().messages_relayed.load(), 1u);
}

TEST_F(MsrpServiceTest, ThreeMembersGetCpimNamingTheSenderAndTheSenderNothing) {
  StartService();
  Member alice = Join(1, "alice", /*cpim=*/true);
  Member bob = Join(2, "bob", true);
  Member carol = Join(3, "carol", true);
  Say(alice, "hi all");
  for (Member* member : {&bob, &carol}) {
    std::optional<MsrpMessage> got = member->peer.ReadRequest();
    ASSERT_TRUE(got);
    EXPECT_EQ(got->content_type, "message/cpim");
    std::optional<CpimMessage> cpim = ParseCpim(got->body);
    ASSERT_TRUE(cpim);
    EXPECT_NE(cpim->from.find("<sip:alice@example.com>"), std::string::npos) << cpim->from;
    EXPECT_EQ(cpim->content_type, "text/plain");
    EXPECT_EQ(cpim->body, "hi all");
  }
  // A message from the API afterwards: the first thing alice receives, so
  // her own message never came back to her.
  ChatMessage api;
  api.room = "1000";
  api.sender_uri = "sip:1000@example.com";
  api.body = "from the operator";
  service_->Deliver(api);
  std::optional<MsrpMessage> first = alice.peer.ReadRequest();
  ASSERT_TRUE(first);
  std::optional<CpimMessage> cpim = ParseCpim(first->body);
  ASSERT_TRUE(cpim);
  EXPECT_EQ(cpim->body, "from the operator");
}

TEST_F(MsrpServiceTest, DeliverSkipsTheSendersOwnCall) {
  StartService();
  Member alice = Join(1, "alice");
  Member bob = Join(2, "bob");
  ChatMessage from_bob;
  from_bob.room = "1000";
  from_bob.sender_call = 2;
  from_bob.body = "pager from bob";
  service_->Deliver(from_bob);
  ChatMessage from_alice = from_bob;
  from_alice.sender_call = 1;
  from_alice.body = "pager from alice";
  service_->Deliver(from_alice);
  ExpectNext(alice.peer, "pager from bob");
  ExpectNext(bob.peer, "pager from alice");
}

TEST_F(MsrpServiceTest, ChunkedMessageIsReassembledRechunkedAndReported) {
  options_.chunk_bytes = 1000;
  StartService();
  Member alice = Join(1, "alice");
  Member bob = Join(2, "bob");
  std::string text;
  for (int i = 0; i < 2500; ++i) text.push_back(static_cast<char>('a' + i % 26));
  MsrpMessage chunk = Request(alice, "");
  chunk.content_type = "text/plain";
  chunk.success_report = "yes";
  SendInChunks(alice, chunk, text, 0, text.size(), 900);  // 900, 900, 700
  std::optional<MsrpMessage> report = alice.peer.ReadRequest();
  ASSERT_TRUE(report);
  EXPECT_EQ(report->method, "REPORT");
  EXPECT_EQ(report->message_id, chunk.message_id);
  EXPECT_EQ(report->report_status, 200);
  EXPECT_EQ(report->byte_range, (ByteRange{1, 2500, 2500}));

  std::string received;
  const std::vector<ByteRange> expected = {{1, 1000, 2500}, {1001, 2000, 2500}, {2001, 2500, 2500}};
  for (size_t i = 0; i < expected.size(); ++i) {
    std::optional<MsrpMessage> got = bob.peer.ReadRequest();
    ASSERT_TRUE(got);
    EXPECT_EQ(got->byte_range, expected[i]);
    EXPECT_EQ(got->continuation,
              i + 1 < expected.size() ? Continuation::kMore : Continuation::kEnd);
    EXPECT_NE(got->message_id, chunk.message_id);  // a message of its own
    received += got->body;
  }
  EXPECT_EQ(received, text);
}

TEST_F(MsrpServiceTest, MessageAboveTheLimitGets413AndIsNotRelayed) {
  options_.max_message_bytes = 100;
  StartService();
  Member alice = Join(1, "alice");
  Member bob = Join(2, "bob");
  ASSERT_TRUE(alice.peer.Send(WriteMessage(Request(alice, std::string(101, 'x')))));
  std::optional<MsrpMessage> answer = alice.peer.Read();
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status_code, 413);
  Say(alice, "small");
  ExpectNext(bob.peer, "small");  // the large one never came
}

TEST_F(MsrpServiceTest, UnknownSessionGets481AndTheConnectionCloses) {
  StartService();
  Member known = Join(1, "alice");
  MsrpTestPeer stranger = MsrpTestPeer::Connect(service_->port());
  MsrpMessage guess = Request(known, "let me in");
  guess.to_path = {service_->LocalPath(NewSessionId())};
  ASSERT_TRUE(stranger.Send(WriteMessage(guess)));
  std::optional<MsrpMessage> answer = stranger.Read();
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status_code, 481);
  EXPECT_TRUE(stranger.WaitClosed());
  EXPECT_EQ(service_->stats().connections_refused.load(), 1u);
}

TEST_F(MsrpServiceTest, ConnectionsPastThePerSourceLimitAreClosed) {
  options_.max_connections_per_source = 2;
  StartService();
  MsrpTestPeer first = MsrpTestPeer::Connect(service_->port());
  MsrpTestPeer second = MsrpTestPeer::Connect(service_->port());
  MsrpTestPeer third = MsrpTestPeer::Connect(service_->port());
  EXPECT_TRUE(third.WaitClosed());
  EXPECT_TRUE(WaitUntil([&] { return service_->stats().connections_refused.load() == 1; }));
  EXPECT_EQ(service_->stats().connections_accepted.load(), 2u);
  first.Close();  // a slot frees
  EXPECT_TRUE(WaitUntil([&] { return service_->stats().connections_open.load() == 1; }));
  MsrpTestPeer fourth = MsrpTestPeer::Connect(service_->port());
  EXPECT_TRUE(WaitUntil([&] { return service_->stats().connections_accepted.load() == 3; }));
}

TEST_F(MsrpServiceTest, AMemberThatNeverReadsIsDroppedAndTheOthersGoOn) {
  options_.max_queued_bytes = 64 * 1024;
  StartService();
  Member alice = Join(1, "alice");
  Member sleepy = Join(2, "sleepy", false, /*receive_buffer=*/4096);
  Member carol = Join(3, "carol");
  const std::string text(16000, 'z');
  int sent = 0;
  while (service_->stats().slow_dropped.load() == 0 && sent < 5000) {
    Say(alice, text);
    ++sent;
    std::optional<MsrpMessage> got = carol.peer.ReadRequest();  // carol keeps up
    ASSERT_TRUE(got);
  }
  std::optional<SessionEnded> ended = WaitEvent<SessionEnded>();
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->call_id, 2u);
  EXPECT_TRUE(ended->slow);
  EXPECT_EQ(service_->stats().slow_dropped.load(), 1u);
  // Dropped by its queue's bound, not by the bound on unanswered SENDs
  // (4096): the kernel holds at most tcp_wmem's 4 MB of it, 262 messages.
  EXPECT_LT(sent, 1000);
  EXPECT_GE(service_->stats().delivery_failures.load(), 1u);
  // Alice is told (she did not say Failure-Report: no): a failure REPORT
  // for each of her messages that sleepy never took.
  Say(alice, "still here");  // and carol still gets her messages
  ASSERT_FALSE(alice.received.empty());
  EXPECT_EQ(alice.received.size(), service_->stats().delivery_failures.load());
  for (const MsrpMessage& report : alice.received) {
    EXPECT_EQ(report.method, "REPORT");
    EXPECT_EQ(report.report_status, 413);
  }
  std::optional<MsrpMessage> got;
  while ((got = carol.peer.ReadRequest()) && got->body != "still here") {
  }
  ASSERT_TRUE(got);
  EXPECT_TRUE(sleepy.peer.WaitClosed());
}

TEST_F(MsrpServiceTest, RemoveSessionClosesItsConnection) {
  StartService();
  Member alice = Join(1, "alice");
  service_->RemoveSession(1, alice.session.local_session_id);
  EXPECT_TRUE(alice.peer.WaitClosed());
  EXPECT_TRUE(WaitUntil([&] { return service_->stats().sessions.load() == 0; }));
}

TEST_F(MsrpServiceTest, ASessionNobodyConnectsToEnds) {
  options_.connect_timeout = absl::Milliseconds(20);
  StartService();
  service_->AddSession(NewSession(7, "nobody"));
  std::optional<SessionEnded> ended = WaitEvent<SessionEnded>();
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->call_id, 7u);
  EXPECT_FALSE(ended->slow);
}

TEST_F(MsrpServiceTest, ActiveSessionConnectsAndSendsFirst) {
  StartService();
  Member alice = Join(1, "alice");
  const int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ASSERT_EQ(listen(listener, 4), 0);
  socklen_t length = sizeof(address);
  getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
  MsrpSession bob = NewSession(2, "bob");
  bob.remote_path = {"msrp://127.0.0.1:" + std::to_string(ntohs(address.sin_port)) + "/bob;tcp"};
  bob.active = true;
  service_->AddSession(bob);
  MsrpTestPeer peer(accept(listener, nullptr, nullptr));
  close(listener);
  ASSERT_TRUE(peer.ok());
  std::optional<MsrpMessage> first = peer.ReadRequest();  // answered 200
  ASSERT_TRUE(first);
  EXPECT_EQ(first->method, "SEND");
  EXPECT_TRUE(first->body.empty());
  EXPECT_EQ(first->to_path, bob.remote_path);
  EXPECT_EQ(first->from_path, std::vector<std::string>{service_->LocalPath(bob.local_session_id)});
  Say(alice, "to the active one");
  ExpectNext(peer, "to the active one");
}

TEST_F(MsrpServiceTest, AnAbortedMessageIsNotRelayed) {
  StartService();
  Member alice = Join(1, "alice");
  Member bob = Join(2, "bob");
  MsrpMessage first = Request(alice, "half of a");
  first.byte_range = ByteRange{1, 9, 20};
  first.continuation = Continuation::kMore;
  MsrpMessage abort = first;
  abort.transaction_id = NewTransactionId();
  abort.byte_range = ByteRange{10, 12, 20};
  abort.body = "mes";
  abort.continuation = Continuation::kAbort;
  for (const MsrpMessage& chunk : {first, abort}) {
    ASSERT_TRUE(alice.peer.Send(WriteMessage(chunk)));
    std::optional<MsrpMessage> answer = alice.peer.Read();
    ASSERT_TRUE(answer && answer->status_code == 200);
  }
  Say(alice, "whole");
  ExpectNext(bob.peer, "whole");
  EXPECT_EQ(service_->stats().messages_received.load(), 1u);
}

TEST_F(MsrpServiceTest, FailureReportNoGetsNoResponse) {
  StartService();
  Member alice = Join(1, "alice");
  MsrpMessage quiet = Request(alice, "no answer please");
  quiet.failure_report = "no";
  MsrpMessage loud = Request(alice, "answer this one");
  ASSERT_TRUE(alice.peer.Send(WriteMessage(quiet) + WriteMessage(loud)));
  std::optional<MsrpMessage> answer = alice.peer.Read();
  ASSERT_TRUE(answer && !answer->is_request);
  EXPECT_EQ(answer->transaction_id, loud.transaction_id);
}

TEST_F(MsrpServiceTest, UnknownMethodGets501) {
  StartService();
  Member alice = Join(1, "alice");
  MsrpMessage odd = Request(alice, "");
  odd.method = "FROB";
  ASSERT_TRUE(alice.peer.Send(WriteMessage(odd)));
  std::optional<MsrpMessage> answer = alice.peer.Read();
  ASSERT_TRUE(answer && !answer->is_request);
  EXPECT_EQ(answer->status_code, 501);
}

TEST_F(MsrpServiceTest, BytesThatAreNoMsrpCloseTheConnection) {
  StartService();
  Member alice = Join(1, "alice");
  ASSERT_TRUE(alice.peer.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_TRUE(alice.peer.WaitClosed());
  EXPECT_EQ(service_->stats().malformed.load(), 1u);
  std::optional<SessionEnded> ended = WaitEvent<SessionEnded>();
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->call_id, 1u);
}

TEST_F(MsrpServiceTest, AMemberThatNeverAnswersIsADeliveryFailureReportedToTheSender) {
  options_.transaction_timeout = absl::Milliseconds(20);
  StartService();
  Member alice = Join(1, "alice");
  Member bob = Join(2, "bob");
  Say(alice, "are you there");
  std::optional<MsrpMessage> got = bob.peer.ReadRequest(/*answer=*/false);
  ASSERT_TRUE(got);
  std::optional<MsrpMessage> report = alice.peer.ReadRequest();
  ASSERT_TRUE(report);
  EXPECT_EQ(report->method, "REPORT");
  EXPECT_EQ(report->report_status, 408);
  EXPECT_EQ(service_->stats().delivery_failures.load(), 1u);
}

// A member whose connection is not up yet (its 200 OK still on its way)
// gets what the room said meanwhile once it connects: nothing is lost in
// the moment between the answer and the connection.
TEST_F(MsrpServiceTest, AMessageForAMemberNotConnectedYetWaitsForItsConnection) {
  StartService();
  Member alice = Join(1, "alice");
  Member bob{NewSession(2, "bob"), {}, {}, {}};
  bob.uri = bob.session.remote_path.back();
  AddAndWait(bob.session);
  Say(alice, "said before bob connected");
  ASSERT_TRUE(WaitEvent<ChatReceived>());
  bob.peer = MsrpTestPeer::Connect(service_->port());
  ASSERT_TRUE(bob.peer.ok());
  ASSERT_TRUE(bob.peer.Send(WriteMessage(Request(bob, ""))));
  std::optional<MsrpMessage> got;
  while ((got = bob.peer.Read()) && !got->is_request) {
  }
  ASSERT_TRUE(got);
  EXPECT_EQ(got->method, "SEND");
  EXPECT_EQ(got->body, "said before bob connected");
  EXPECT_TRUE(WaitUntil([&] { return service_->stats().messages_relayed.load() == 1u; }));
}

}  // namespace
}  // namespace tutti::msrp
