#include "signaling/sip/transaction_layer.h"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "common/strings.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "signaling/sip/sip_parser.h"
#include "signaling/sip/sip_transports.h"
#include "tests/signaling/sip/sip_test_peer.h"

namespace tutti::sip {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using testing::UdpPeer;

// The test plays the transaction user: it records what the layer hands up.
class RecordingUser : public TransactionUser {
 public:
  void OnRequest(TransactionId id, const SipMessage& request, const MessageSource&) override {
    requests.push_back({id, std::string(request.method_name())});
  }
  void OnAck(const SipMessage& ack, const MessageSource&) override { acks.emplace_back(ack.raw()); }
  void OnCancel(TransactionId id) override { cancelled.push_back(id); }

  std::vector<std::pair<TransactionId, std::string>> requests;
  std::vector<std::string> acks;
  std::vector<TransactionId> cancelled;
};

std::string Request(std::string_view method, uint16_t peer_port, std::string_view branch,
                    int cseq = 1, std::string_view cseq_method = {}, std::string_view to_tag = {}) {
  return StrCat(
      method, " sip:1000@127.0.0.1 SIP/2.0\r\n", "Via: SIP/2.0/UDP 127.0.0.1:", peer_port,
      ";branch=", branch, "\r\n", "From: <sip:a@127.0.0.1>;tag=aa\r\n", "To: <sip:1000@127.0.0.1>",
      to_tag.empty() ? std::string() : StrCat(";tag=", to_tag), "\r\n", "Call-ID: txn-test\r\n",
      "CSeq: ", cseq, " ", cseq_method.empty() ? method : cseq_method, "\r\n",
      "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n");
}

int StatusOf(const std::string& response) { return std::stoi(response.substr(8, 3)); }

class TransactionLayerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TransportOptions options;
    options.port = 0;
    options.tcp = false;
    ASSERT_TRUE(transports_.Start(options).ok());
    server_port_ = transports_.port();
  }

  TimerSettings FastTimers() {
    TimerSettings timers;
    timers.t1 = absl::Milliseconds(20);
    timers.t2 = absl::Milliseconds(80);
    timers.t4 = absl::Milliseconds(100);
    timers.trying_delay = absl::Milliseconds(20);
    return timers;
  }

  EventLoop loop_;
  RecordingUser user_;
  TransactionLayer* layer_ = nullptr;
  SipTransports transports_{&loop_, [this](ReceivedBytes received) {
                              ParseOutcome parsed = ParseSipMessage(std::move(received.bytes));
                              ASSERT_TRUE(parsed.ok()) << parsed.reject_reason;
                              layer_->OnMessage(parsed.message,
                                                MessageSource{received.transport, received.source,
                                                              received.connection_id});
                            }};
  TransactionLayer layer_storage_{&loop_, &transports_, &user_, FastTimers()};
  uint16_t server_port_ = 0;
  UdpPeer peer_;

 public:
  TransactionLayerTest() { layer_ = &layer_storage_; }
};

TEST_F(TransactionLayerTest, NonInviteRetransmissionGetsTheSameResponseAndReachesTuOnce) {
  const std::string options = Request("OPTIONS", peer_.port(), "z9hG4bKopt1");
  peer_.SendTo(server_port_, options);
  peer_.RunFor(loop_, absl::Milliseconds(30));
  ASSERT_EQ(user_.requests.size(), 1u);
  const TransactionId id = user_.requests[0].first;
  ASSERT_TRUE(layer_->Respond(id, 200, layer_->ResponseFor(id, 200, {}, "srv").Finish()));
  ASSERT_TRUE(peer_.WaitFor(loop_, 1));
  peer_.SendTo(server_port_, options);  // retransmission
  ASSERT_TRUE(peer_.WaitFor(loop_, 2));
  EXPECT_EQ(peer_.received()[0], peer_.received()[1]);
  EXPECT_EQ(user_.requests.size(), 1u);
  EXPECT_EQ(layer_->retransmissions_absorbed(), 1u);
  // A second final response is refused: one transaction, one final.
  EXPECT_FALSE(layer_->Respond(id, 500, layer_->ResponseFor(id, 500).Finish()));
}

TEST_F(TransactionLayerTest, InviteGets100TryingWhenTuIsSlow) {
  peer_.SendTo(server_port_, Request("INVITE", peer_.port(), "z9hG4bKinv1"));
  ASSERT_TRUE(peer_.WaitFor(loop_, 1));
  EXPECT_THAT(peer_.received()[0], StartsWith("SIP/2.0 100 Trying\r\n"));
  ASSERT_EQ(user_.requests.size(), 1u);
  EXPECT_TRUE(layer_->IsPending(user_.requests[0].first));
}

TEST_F(TransactionLayerTest, InviteErrorIsRetransmittedUntilAckThenTransactionEnds) {
  peer_.SendTo(server_port_, Request("INVITE", peer_.port(), "z9hG4bKinv2"));
  peer_.RunFor(loop_, absl::Milliseconds(5));
  ASSERT_EQ(user_.requests.size(), 1u);
  const TransactionId id = user_.requests[0].first;
  layer_->Respond(id, 486, layer_->ResponseFor(id, 486, {}, "srv").Finish());
  // Timer G: 486 again and again while no ACK comes. (A 100 Trying may come
  // first when the machine was slow to let the test answer within trying_delay.)
  const auto finals = [&] {
    return std::count_if(peer_.received().begin(), peer_.received().end(),
                         [](const std::string& response) { return StatusOf(response) != 100; });
  };
  const absl::Time retransmitted_by = absl::Now() + absl::Seconds(5);
  while (finals() < 3 && absl::Now() < retransmitted_by) peer_.RunFor(loop_, absl::ZeroDuration());
  ASSERT_GE(finals(), 3);
  for (const std::string& response : peer_.received()) {
    EXPECT_THAT(StatusOf(response), AnyOf(100, 486));
  }
  // The ACK for a non-2xx reuses the INVITE's branch; it is absorbed, not handed up.
  // The INVITE sent again after the ACK marks when the ACK has been taken
  // (both come in order over loopback): from then on the INVITE is absorbed
  // without an answer, and no timer G fires. Waiting on that rather than on
  // wall time keeps a loaded machine from reading a 486 of before the ACK as
  // one after it.
  const uint64_t absorbed = layer_->retransmissions_absorbed();
  peer_.SendTo(server_port_, Request("ACK", peer_.port(), "z9hG4bKinv2", 1, "ACK", "srv"));
  peer_.SendTo(server_port_, Request("INVITE", peer_.port(), "z9hG4bKinv2"));
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (layer_->retransmissions_absorbed() == absorbed && absl::Now() < deadline) {
    loop_.RunOnce(absl::Milliseconds(5));
  }
  ASSERT_GT(layer_->retransmissions_absorbed(), absorbed);
  peer_.Drain();  // a 486 sent before the ACK is already queued on loopback
  const size_t after_ack = peer_.received().size();
  // Timer I ends the transaction; until then nothing more is sent.
  while (layer_->server_transactions() != 0 && absl::Now() < deadline) {
    loop_.RunOnce(absl::Milliseconds(5));
    peer_.Drain();
  }
  EXPECT_EQ(peer_.received().size(), after_ack);
  EXPECT_TRUE(user_.acks.empty());
  EXPECT_EQ(layer_->server_transactions(), 0u);
}

// A retransmitted INVITE (same branch) belongs to the first one's
// transaction: the TU sees one request, the caller gets the last response
// again. Timers too slow to fire here, so every message is one the test made.
class InviteRetransmissionTest : public TransactionLayerTest {
 protected:
  static TimerSettings SlowTimers() {
    TimerSettings timers;
    timers.t1 = absl::Seconds(30);
    timers.t2 = absl::Seconds(60);
    timers.t4 = absl::Seconds(60);
    timers.trying_delay = absl::Seconds(30);
    return timers;
  }
  InviteRetransmissionTest() { layer_ = &slow_layer_; }

  // Runs the loop until `done` (or a generous deadline).
  template <typename Predicate>
  bool RunUntil(Predicate done) {
    const absl::Time deadline = absl::Now() + absl::Seconds(5);
    while (!done() && absl::Now() < deadline) loop_.RunOnce(absl::Milliseconds(5));
    return done();
  }

  TransactionLayer slow_layer_{&loop_, &transports_, &user_, SlowTimers()};
};

TEST_F(InviteRetransmissionTest, AbsorbedAndAnsweredWithTheLastResponse) {
  const std::string invite = Request("INVITE", peer_.port(), "z9hG4bKretx1");
  peer_.SendTo(server_port_, invite);
  ASSERT_TRUE(RunUntil([&] { return !user_.requests.empty(); }));
  const TransactionId id = user_.requests[0].first;
  ASSERT_TRUE(slow_layer_.Respond(id, 180, slow_layer_.ResponseFor(id, 180, {}, "srv").Finish()));
  ASSERT_TRUE(peer_.WaitFor(loop_, 1));
  ASSERT_EQ(StatusOf(peer_.received()[0]), 180);

  peer_.SendTo(server_port_, invite);
  ASSERT_TRUE(peer_.WaitFor(loop_, 2));
  EXPECT_EQ(peer_.received()[1], peer_.received()[0]);  // the 180 again, byte for byte
  EXPECT_EQ(user_.requests.size(), 1u);
  EXPECT_EQ(slow_layer_.retransmissions_absorbed(), 1u);

  ASSERT_TRUE(slow_layer_.Respond(id, 486, slow_layer_.ResponseFor(id, 486, {}, "srv").Finish()));
  ASSERT_TRUE(peer_.WaitFor(loop_, 3));
  ASSERT_EQ(StatusOf(peer_.received()[2]), 486);
  peer_.SendTo(server_port_, invite);
  ASSERT_TRUE(peer_.WaitFor(loop_, 4));
  EXPECT_EQ(peer_.received()[3], peer_.received()[2]);  // now the final one
  EXPECT_EQ(user_.requests.size(), 1u);
  EXPECT_EQ(slow_layer_.retransmissions_absorbed(), 2u);
}

TEST_F(InviteRetransmissionTest, AfterA2xxItIsAbsorbedWithoutReachingTheTu) {
  const std::string invite = Request("INVITE", peer_.port(), "z9hG4bKretx2");
  peer_.SendTo(server_port_, invite);
  ASSERT_TRUE(RunUntil([&] { return !user_.requests.empty(); }));
  const TransactionId id = user_.requests[0].first;
  ASSERT_TRUE(slow_layer_.Respond(id, 200, slow_layer_.ResponseFor(id, 200, {}, "srv").Finish()));
  ASSERT_TRUE(peer_.WaitFor(loop_, 1));

  peer_.SendTo(server_port_, invite);
  ASSERT_TRUE(RunUntil([&] { return slow_layer_.retransmissions_absorbed() == 1; }));
  EXPECT_EQ(user_.requests.size(), 1u);
  // RFC 6026: 2xx retransmissions are the TU's business, not the layer's.
  peer_.Drain();
  EXPECT_EQ(peer_.received().size(), 1u);
}

TEST_F(TransactionLayerTest, AckForA2xxGoesToTheTu) {
  peer_.SendTo(server_port_, Request("INVITE", peer_.port(), "z9hG4bKinv3"));
  peer_.RunFor(loop_, absl::Milliseconds(5));
  const TransactionId id = user_.requests.at(0).first;
  layer_->Respond(id, 200, layer_->ResponseFor(id, 200, {}, "srv").Finish());
  peer_.SendTo(server_port_, Request("ACK", peer_.port(), "z9hG4bKack3", 1, "ACK", "srv"));
  peer_.RunFor(loop_, absl::Milliseconds(30));
  ASSERT_EQ(user_.acks.size(), 1u);
  EXPECT_THAT(user_.acks[0], HasSubstr("branch=z9hG4bKack3"));
}

TEST_F(TransactionLayerTest, CancelMatchesThePendingInvite) {
  peer_.SendTo(server_port_, Request("INVITE", peer_.port(), "z9hG4bKinv4"));
  peer_.RunFor(loop_, absl::Milliseconds(5));
  const TransactionId invite = user_.requests.at(0).first;
  peer_.SendTo(server_port_, Request("CANCEL", peer_.port(), "z9hG4bKinv4"));
  peer_.RunFor(loop_, absl::Milliseconds(30));
  ASSERT_EQ(user_.cancelled, std::vector<TransactionId>{invite});
  EXPECT_EQ(user_.requests.size(), 1u);  // CANCEL is the layer's, not the TU's
  bool cancel_ok = false;
  for (const std::string& response : peer_.received()) {
    if (StatusOf(response) == 200 && response.find("CSeq: 1 CANCEL") != std::string::npos) {
      cancel_ok = true;
    }
  }
  EXPECT_TRUE(cancel_ok);
}

TEST_F(TransactionLayerTest, CancelWithoutInviteGets481) {
  peer_.SendTo(server_port_, Request("CANCEL", peer_.port(), "z9hG4bKnothing"));
  ASSERT_TRUE(peer_.WaitFor(loop_, 1));
  EXPECT_EQ(StatusOf(peer_.received()[0]), 481);
  EXPECT_TRUE(user_.cancelled.empty());
}

TEST_F(TransactionLayerTest, ClientNonInviteRetransmitsUntilAnswered) {
  Destination to_peer{TransportKind::kUdp, *SocketAddress::FromIpPort("127.0.0.1", peer_.port())};
  std::vector<int> statuses;
  const std::string branch = TransactionLayer::NewBranch();
  layer_->SendRequest(to_peer, Request("BYE", server_port_, branch),
                      [&](const SipMessage* response) {
                        statuses.push_back(response ? response->status_code() : 0);
                      });
  ASSERT_TRUE(peer_.WaitFor(loop_, 3));  // the BYE and two retransmissions (timer E)
  EXPECT_EQ(peer_.received()[0], peer_.received()[2]);
  ParseOutcome bye = ParseSipMessage(peer_.received()[0]);
  ASSERT_TRUE(bye.ok());
  // Answer it: the callback sees the 200 and retransmissions stop.
  const std::string ok =
      StrCat("SIP/2.0 200 OK\r\nVia: ", bye.message.HeaderValue(HeaderId::kVia),
             "\r\nFrom: <sip:a@127.0.0.1>;tag=aa\r\nTo: <sip:1000@127.0.0.1>;tag=b\r\n",
             "Call-ID: txn-test\r\nCSeq: 1 BYE\r\nContent-Length: 0\r\n\r\n");
  peer_.SendTo(server_port_, ok);
  peer_.RunFor(loop_, absl::Milliseconds(30));
  ASSERT_EQ(statuses, std::vector<int>{200});
  const size_t after = peer_.received().size();
  peer_.RunFor(loop_, absl::Milliseconds(200));
  EXPECT_EQ(peer_.received().size(), after);
}

TEST_F(TransactionLayerTest, ClientTransactionTimesOutWithNull) {
  Destination to_peer{TransportKind::kUdp, *SocketAddress::FromIpPort("127.0.0.1", peer_.port())};
  std::vector<int> statuses;
  layer_->SendRequest(to_peer, Request("BYE", server_port_, TransactionLayer::NewBranch()),
                      [&](const SipMessage* response) {
                        statuses.push_back(response ? response->status_code() : 0);
                      });
  // 64*T1 = 1.28 s with these timers.
  for (int i = 0; i < 400 && statuses.empty(); ++i) loop_.RunOnce(absl::Milliseconds(10));
  EXPECT_EQ(statuses, std::vector<int>{0});
  EXPECT_EQ(layer_->client_transactions(), 0u);
}

TEST_F(TransactionLayerTest, ClientInviteFailureIsAckedWithTheInvitesBranch) {
  Destination to_peer{TransportKind::kUdp, *SocketAddress::FromIpPort("127.0.0.1", peer_.port())};
  const std::string branch = TransactionLayer::NewBranch();
  std::vector<int> statuses;
  layer_->SendRequest(
      to_peer, Request("INVITE", server_port_, branch),
      [&](const SipMessage* response) { statuses.push_back(response->status_code()); });
  ASSERT_TRUE(peer_.WaitFor(loop_, 1));
  const std::string busy = StrCat(
      "SIP/2.0 486 Busy Here\r\nVia: SIP/2.0/UDP 127.0.0.1:", server_port_, ";branch=", branch,
      "\r\nFrom: <sip:a@127.0.0.1>;tag=aa\r\nTo: <sip:1000@127.0.0.1>;tag=callee\r\n",
      "Call-ID: txn-test\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n");
  peer_.SendTo(server_port_, busy);
  peer_.RunFor(loop_, absl::Milliseconds(30));
  EXPECT_EQ(statuses, std::vector<int>{486});
  std::string ack;
  for (const std::string& message : peer_.received()) {
    if (message.starts_with("ACK ")) ack = message;
  }
  ASSERT_FALSE(ack.empty());
  EXPECT_THAT(ack, HasSubstr(StrCat("branch=", branch)));
  EXPECT_THAT(ack, HasSubstr("To: <sip:1000@127.0.0.1>;tag=callee"));
  EXPECT_THAT(ack, HasSubstr("CSeq: 1 ACK"));
  // The 486 retransmitted: the same ACK again, and the TU is not told twice.
  peer_.SendTo(server_port_, busy);
  peer_.RunFor(loop_, absl::Milliseconds(30));
  EXPECT_EQ(statuses.size(), 1u);
}

// Our INVITEs as a UAC of trunks (issue 18): a dial-out rings for a minute
// or more, so a 1xx must take the transaction out of timer B's reach; the
// TU ends it by CANCEL. Each test runs its own layer with short timers
// (64*T1 = 320 ms) and the proceeding limit it needs.
class ClientInviteTest : public TransactionLayerTest {
 protected:
  TimerSettings Timers(absl::Duration proceeding_limit) {
    TimerSettings timers = FastTimers();
    timers.t1 = absl::Milliseconds(5);
    timers.t2 = absl::Milliseconds(20);
    timers.invite_proceeding_limit = proceeding_limit;
    return timers;
  }
  // A layer of the test's own with `proceeding_limit`: the one the
  // transports feed from now on.
  TransactionLayer& Layer(absl::Duration proceeding_limit = absl::Minutes(5)) {
    own_layer_ =
        std::make_unique<TransactionLayer>(&loop_, &transports_, &user_, Timers(proceeding_limit));
    layer_ = own_layer_.get();
    return *own_layer_;
  }
  // Sends a request as Send does and has the peer answer it `provisional`:
  // its branch.
  std::string SendAnswered(TransactionLayer& layer, int provisional,
                           std::string_view method = "INVITE") {
    const std::string branch = Send(layer, method);
    EXPECT_TRUE(peer_.WaitFor(loop_, 1));
    peer_.SendTo(server_port_, Response(provisional, branch, method));
    return branch;
  }
  // Sends an INVITE (or, with `method`, another request) to the peer;
  // statuses land in statuses_ (0: timed out).
  std::string Send(TransactionLayer& layer, std::string_view method = "INVITE") {
    const std::string branch = TransactionLayer::NewBranch();
    layer.SendRequest(to_peer_, Request(method, server_port_, branch),
                      [this](const SipMessage* response) {
                        statuses_.push_back(response ? response->status_code() : 0);
                      });
    return branch;
  }
  // The peer's response `status` to our request with `branch`.
  std::string Response(int status, std::string_view branch, std::string_view method = "INVITE") {
    return StrCat("SIP/2.0 ", status, " X\r\nVia: SIP/2.0/UDP 127.0.0.1:", server_port_,
                  ";branch=", branch,
                  "\r\nFrom: <sip:a@127.0.0.1>;tag=aa\r\nTo: <sip:1000@127.0.0.1>;tag=callee\r\n",
                  "Call-ID: txn-test\r\nCSeq: 1 ", method, "\r\nContent-Length: 0\r\n\r\n");
  }
  // Runs the loop until the TU heard `count` responses (or 5 s pass).
  bool WaitForStatuses(size_t count) {
    const absl::Time deadline = absl::Now() + absl::Seconds(5);
    while (statuses_.size() < count && absl::Now() < deadline) loop_.RunOnce(absl::Milliseconds(5));
    return statuses_.size() >= count;
  }

  Destination to_peer_{TransportKind::kUdp, *SocketAddress::FromIpPort("127.0.0.1", peer_.port())};
  std::vector<int> statuses_;
  std::unique_ptr<TransactionLayer> own_layer_;
};

TEST_F(ClientInviteTest, RingingOutlivesTimerBAndItsAnswerReachesTheTu) {
  TransactionLayer& layer = Layer();
  const std::string branch = SendAnswered(layer, 180);
  ASSERT_TRUE(WaitForStatuses(1));
  // Well past timer B (64*T1): still ringing, nothing reported.
  peer_.RunFor(loop_, absl::Milliseconds(600));
  EXPECT_EQ(statuses_, std::vector<int>{180});
  EXPECT_EQ(layer.client_transactions(), 1u);
  peer_.SendTo(server_port_, Response(200, branch));
  ASSERT_TRUE(WaitForStatuses(2));
  EXPECT_EQ(statuses_, (std::vector<int>{180, 200}));
  // A 2xx retransmission reaches the TU too (it ACKs again).
  peer_.SendTo(server_port_, Response(200, branch));
  ASSERT_TRUE(WaitForStatuses(3));
  EXPECT_EQ(statuses_.back(), 200);
}

TEST_F(ClientInviteTest, WithNoResponseTimerBStillEndsIt) {
  TransactionLayer& layer = Layer();
  Send(layer);
  ASSERT_TRUE(WaitForStatuses(1));
  EXPECT_EQ(statuses_, std::vector<int>{0});
  EXPECT_EQ(layer.client_transactions(), 0u);
}

TEST_F(ClientInviteTest, CancelledInviteEndsWhenNo487Comes) {
  TransactionLayer& layer = Layer();
  const std::string branch = SendAnswered(layer, 180);
  ASSERT_TRUE(WaitForStatuses(1));
  // Our CANCEL (the INVITE's branch) is answered 200, but the INVITE never
  // gets its 487: §9.1 lets us consider it over 64*T1 later.
  std::vector<int> cancel_statuses;
  layer.SendRequest(to_peer_, Request("CANCEL", server_port_, branch),
                    [&](const SipMessage* response) {
                      cancel_statuses.push_back(response ? response->status_code() : 0);
                    });
  peer_.SendTo(server_port_, Response(200, branch, "CANCEL"));
  ASSERT_TRUE(WaitForStatuses(2));
  EXPECT_EQ(statuses_, (std::vector<int>{180, 0}));
  EXPECT_EQ(cancel_statuses, std::vector<int>{200});
}

TEST_F(ClientInviteTest, A2xxCrossingOurCancelReachesTheTu) {
  TransactionLayer& layer = Layer();
  const std::string branch = SendAnswered(layer, 183);
  ASSERT_TRUE(WaitForStatuses(1));
  layer.SendRequest(to_peer_, Request("CANCEL", server_port_, branch), [](const SipMessage*) {});
  peer_.SendTo(server_port_, Response(200, branch));
  ASSERT_TRUE(WaitForStatuses(2));
  EXPECT_EQ(statuses_, (std::vector<int>{183, 200}));
}

TEST_F(ClientInviteTest, ATuThatNeverCancelsMeetsTheProceedingLimit) {
  TransactionLayer& layer = Layer(absl::Milliseconds(700));
  SendAnswered(layer, 180);
  ASSERT_TRUE(WaitForStatuses(2));
  EXPECT_EQ(statuses_, (std::vector<int>{180, 0}));
  EXPECT_EQ(layer.client_transactions(), 0u);
}

TEST_F(ClientInviteTest, NonInviteEndsOnTimerFEvenAfterA1xx) {
  TransactionLayer& layer = Layer();
  SendAnswered(layer, 100, "OPTIONS");
  ASSERT_TRUE(WaitForStatuses(2));
  EXPECT_EQ(statuses_, (std::vector<int>{100, 0}));
  EXPECT_EQ(layer.client_transactions(), 0u);
}

TEST(ViaStampTest, ReceivedAndRportFollowTheSource) {
  ParseOutcome parsed = ParseSipMessage(
      "OPTIONS sip:x@127.0.0.1 SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 10.0.0.5:5070;rport;branch=z9hG4bKabc;received=1.1.1.1\r\n"
      "Via: SIP/2.0/UDP 10.0.0.9\r\n"
      "From: <sip:a@b>;tag=1\r\nTo: <sip:x@127.0.0.1>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n"
      "Content-Length: 0\r\n\r\n");
  ASSERT_TRUE(parsed.ok()) << parsed.reject_reason;
  MessageSource source{TransportKind::kUdp, *SocketAddress::FromIpPort("192.0.2.7", 40001), 0};
  EXPECT_EQ(StampedTopVia(parsed.message, source),
            "SIP/2.0/UDP 10.0.0.5:5070;rport=40001;branch=z9hG4bKabc;received=192.0.2.7");
  Destination destination = ResponseDestination(parsed.message, source);
  EXPECT_EQ(destination.address.ToString(), "192.0.2.7:40001");  // rport: the source port
}

TEST(ViaStampTest, Ipv6SentByIsComparedAsAnAddressAndReceivedIsBare) {
  const std::string request =
      "OPTIONS sip:x@[::1] SIP/2.0\r\n"
      "Via: SIP/2.0/UDP [2001:DB8:0::9]:5070;branch=z9hG4bKabc\r\n"
      "From: <sip:a@[::1]>;tag=1\r\nTo: <sip:x@[::1]>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n"
      "Content-Length: 0\r\n\r\n";
  ParseOutcome parsed = ParseSipMessage(request);
  ASSERT_TRUE(parsed.ok()) << parsed.reject_reason;
  // The same address written otherwise: nothing to add.
  MessageSource same{TransportKind::kUdp, *SocketAddress::FromIpPort("2001:db8::9", 40001), 0};
  EXPECT_EQ(StampedTopVia(parsed.message, same),
            "SIP/2.0/UDP [2001:DB8:0::9]:5070;branch=z9hG4bKabc");
  EXPECT_EQ(ResponseDestination(parsed.message, same).address.ToString(), "[2001:db8::9]:5070");
  // Another source: received= without brackets (RFC 3261 via-received, RFC 5118 §4.5).
  MessageSource other{TransportKind::kUdp, *SocketAddress::FromIpPort("2001:db8::10", 40001), 0};
  EXPECT_EQ(StampedTopVia(parsed.message, other),
            "SIP/2.0/UDP [2001:DB8:0::9]:5070;branch=z9hG4bKabc;received=2001:db8::10");
}

TEST(ViaStampTest, WithoutRportResponsesGoToTheSentByPort) {
  ParseOutcome parsed = ParseSipMessage(
      "OPTIONS sip:x@127.0.0.1 SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 192.0.2.7:5070;branch=z9hG4bKabc\r\n"
      "From: <sip:a@b>;tag=1\r\nTo: <sip:x@127.0.0.1>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n"
      "Content-Length: 0\r\n\r\n");
  ASSERT_TRUE(parsed.ok());
  MessageSource source{TransportKind::kUdp, *SocketAddress::FromIpPort("192.0.2.7", 40001), 0};
  // Same host as sent-by and no rport: nothing to add.
  EXPECT_EQ(StampedTopVia(parsed.message, source), "SIP/2.0/UDP 192.0.2.7:5070;branch=z9hG4bKabc");
  EXPECT_EQ(ResponseDestination(parsed.message, source).address.ToString(), "192.0.2.7:5070");
}

// What a transaction holds once answered: only what answers a retransmission
// (issue 13: 250,000 answered INFOs kept whole for timer J took 700 MB).
TEST_F(TransactionLayerTest, AnsweredTransactionKeepsOnlyWhatAnswersRetransmissions) {
  const std::string info = Request("INFO", peer_.port(), "z9hG4bKinfo1");
  peer_.SendTo(server_port_, info);
  peer_.RunFor(loop_, absl::Milliseconds(20));
  ASSERT_EQ(user_.requests.size(), 1u);
  const TransactionId id = user_.requests[0].first;
  ASSERT_NE(layer_->Request(id), nullptr);
  const size_t pending_bytes = layer_->server_transaction_bytes();
  ASSERT_TRUE(layer_->Respond(id, 200, layer_->ResponseFor(id, 200).Finish()));
  EXPECT_EQ(layer_->Request(id), nullptr);
  EXPECT_LT(layer_->server_transaction_bytes(), pending_bytes);
  EXPECT_TRUE(layer_->Matches(ParseSipMessage(info).message));
  ASSERT_TRUE(peer_.WaitFor(loop_, 1));
  peer_.SendTo(server_port_, info);  // still answered from what was kept
  ASSERT_TRUE(peer_.WaitFor(loop_, 2));
  EXPECT_EQ(peer_.received()[0], peer_.received()[1]);
}

class LimitedTransactionLayerTest : public TransactionLayerTest {
 protected:
  LimitedTransactionLayerTest() { layer_->set_limits({/*max_transactions=*/3, 1 << 20, 9}); }
};

TEST_F(LimitedTransactionLayerTest, AtTheLimitTheOldestAnsweredTransactionMakesRoom) {
  for (int i = 0; i < 3; ++i) {
    peer_.SendTo(server_port_, Request("OPTIONS", peer_.port(), StrCat("z9hG4bKlim", i)));
    peer_.RunFor(loop_, absl::Milliseconds(5));
    ASSERT_EQ(user_.requests.size(), static_cast<size_t>(i + 1));
    const TransactionId id = user_.requests.back().first;
    ASSERT_TRUE(layer_->Respond(id, 200, layer_->ResponseFor(id, 200).Finish()));
  }
  const std::string fourth = Request("OPTIONS", peer_.port(), "z9hG4bKlim3");
  peer_.SendTo(server_port_, fourth);
  peer_.RunFor(loop_, absl::Milliseconds(10));
  ASSERT_EQ(user_.requests.size(), 4u);  // admitted
  EXPECT_EQ(layer_->transactions_evicted(), 1u);
  EXPECT_EQ(layer_->server_transactions(), 3u);
  // The first one is gone: its retransmission is new work again.
  EXPECT_FALSE(
      layer_->Matches(ParseSipMessage(Request("OPTIONS", peer_.port(), "z9hG4bKlim0")).message));
  EXPECT_TRUE(layer_->Matches(ParseSipMessage(fourth).message));
}

TEST_F(LimitedTransactionLayerTest, AtTheLimitWithNothingAnsweredNewRequestsGet503) {
  for (int i = 0; i < 3; ++i) {
    peer_.SendTo(server_port_, Request("INVITE", peer_.port(), StrCat("z9hG4bKpend", i)));
  }
  peer_.RunFor(loop_, absl::Milliseconds(10));
  ASSERT_EQ(user_.requests.size(), 3u);  // all pending: the TU has not answered
  UdpPeer other;
  other.SendTo(server_port_, Request("OPTIONS", other.port(), "z9hG4bKover"));
  ASSERT_TRUE(other.WaitFor(loop_, 1));
  const std::string& refused = other.received()[0];
  EXPECT_EQ(StatusOf(refused), 503);
  EXPECT_THAT(refused, HasSubstr("Retry-After: 9\r\n"));
  EXPECT_EQ(user_.requests.size(), 3u);  // never reached the TU
  EXPECT_EQ(layer_->transactions_refused(), 1u);
  EXPECT_EQ(layer_->server_transactions(), 3u);
}

}  // namespace
}  // namespace tutti::sip
