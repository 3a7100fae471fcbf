// The controller's routing through a fake transaction layer: no sockets, no
// workers (signaling only), nothing waits on wall time.
#include "signaling/call/call_controller.h"

#include <string>

#include "common/strings.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/signaling/call/call_fakes.h"

namespace tutti {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kOffer[] =
    "v=0\r\no=alice 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
    "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n";

std::string Request(std::string_view method, std::string_view room, int cseq,
                    std::string_view to_tag = {}, std::string_view body = {}) {
  return StrCat(method, " sip:", room, "@198.51.100.1 SIP/2.0\r\n",
                "Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK-", method, cseq, "\r\n",
                "From: <sip:alice@example.com>;tag=alice\r\n", "To: <sip:", room, "@198.51.100.1>",
                to_tag.empty() ? std::string() : StrCat(";tag=", to_tag), "\r\n",
                "Call-ID: controller-1\r\n", "CSeq: ", cseq, " ", method, "\r\n",
                "Contact: <sip:alice@192.0.2.10:5062>\r\nMax-Forwards: 70\r\n",
                body.empty() ? std::string() : "Content-Type: application/sdp\r\n",
                "Content-Length: ", body.size(), "\r\n\r\n", body);
}

// The To tag our response gave the dialog.
std::string ToTag(const std::string& response) {
  const size_t to = response.find("\r\nTo: ");
  const size_t tag = response.find(";tag=", to);
  return response.substr(tag + 5, response.find("\r\n", tag) - tag - 5);
}

class CallControllerTest : public ::testing::Test {
 protected:
  CallControllerTest() {
    RoomConfig room;
    room.name = "1000";
    rooms_ = std::make_unique<RoomDirectory>(std::vector<RoomConfig>{room});
    CallControllerOptions options;
    options.local = {"198.51.100.1", 5060, 5061};
    options.media_address = "198.51.100.1";
    controller_ = std::make_unique<CallController>(&loop_, &signaling_, rooms_.get(), &ports_,
                                                   &overload_, nullptr, options);
  }

  // Hands a request to the controller as the transaction layer would.
  sip::TransactionId Send(const std::string& text) {
    const sip::TransactionId id = signaling_.Receive(text);
    controller_->OnRequest(id, *signaling_.Request(id), source_);
    return id;
  }

  EventLoop loop_;
  fakes::FakeSignaling signaling_;
  std::unique_ptr<RoomDirectory> rooms_;
  media::PortAllocator ports_{"198.51.100.1", 40000, 40007,
                              media::PortAllocator::Mode::kNumbersOnly};
  OverloadGuard overload_{OverloadLimits{}};
  const sip::MessageSource source_{sip::TransportKind::kUdp,
                                   *sip::SocketAddress::FromIpPort("192.0.2.10", 5062), 0};
  std::unique_ptr<CallController> controller_;
};

TEST_F(CallControllerTest, InviteIsAnsweredConfirmedByAckAndEndedByBye) {
  const sip::TransactionId invite = Send(Request("INVITE", "1000", 1, {}, kOffer));
  ASSERT_THAT(signaling_.Statuses(), ElementsAre(200));
  const std::string& ok = signaling_.responses[0].bytes;
  EXPECT_EQ(signaling_.responses[0].id, invite);
  EXPECT_THAT(ok, HasSubstr("m=audio 4000"));  // our port from the allocator
  EXPECT_THAT(ok, HasSubstr("PCMU/8000"));
  EXPECT_EQ(controller_->active_calls(), 1);
  EXPECT_EQ(controller_->calls_answered(), 1u);
  const std::string tag = ToTag(ok);

  controller_->OnAck(fakes::Parse(Request("ACK", "1000", 1, tag)), source_);
  ASSERT_EQ(controller_->Participants("1000").size(), 1u);

  const sip::TransactionId bye = Send(Request("BYE", "1000", 2, tag));
  EXPECT_THAT(signaling_.Statuses(), ElementsAre(200, 200));
  EXPECT_EQ(signaling_.responses[1].id, bye);
  EXPECT_EQ(controller_->active_calls(), 0);
  EXPECT_TRUE(signaling_.stateless.empty());
}

TEST_F(CallControllerTest, UnknownRoomIs404AndUnknownDialog481) {
  Send(Request("INVITE", "9999", 1, {}, kOffer));
  Send(Request("BYE", "1000", 2, "nobody"));
  EXPECT_THAT(signaling_.Statuses(), ElementsAre(404, 481));
  EXPECT_EQ(controller_->active_calls(), 0);
}

TEST_F(CallControllerTest, KickSendsByeInsideTheDialog) {
  Send(Request("INVITE", "1000", 1, {}, kOffer));
  const std::string tag = ToTag(signaling_.responses[0].bytes);
  controller_->OnAck(fakes::Parse(Request("ACK", "1000", 1, tag)), source_);
  const uint64_t id = controller_->Participants("1000").at(0).id;
  EXPECT_TRUE(controller_->Kick(id, "removed"));
  ASSERT_EQ(signaling_.sent.size(), 1u);
  EXPECT_THAT(signaling_.sent[0].bytes, HasSubstr("BYE sip:alice@192.0.2.10:5062"));
  EXPECT_THAT(signaling_.sent[0].bytes,
              HasSubstr(StrCat("From: <sip:1000@198.51.100.1>;tag=", tag)));
  EXPECT_EQ(controller_->active_calls(), 0);
}

}  // namespace
}  // namespace tutti
