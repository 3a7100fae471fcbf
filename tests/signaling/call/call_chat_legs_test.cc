// Call control's MSRP legs against a real MSRP service on a loopback port
// (its sessions counted in its stats; a SEND over TCP to the path we
// answered with is taken): chat-only calls and chat beside audio, chat
// added and removed by re-INVITE, members' and strangers' file offers, every
// end of a call removing its session, and a chat-only call ended with BYE
// when its stream ends. Fake transactions and workers, a manual clock.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "common/event_hub.h"
#include "common/strings.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "signaling/call/call_controller.h"
#include "signaling/msrp/file_store.h"
#include "signaling/msrp/msrp_service.h"
#include "tests/signaling/call/call_fakes.h"
#include "tests/support/temp_path.h"

namespace tutti {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kHead[] =
    "v=0\r\no=m 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n";
constexpr char kAudio[] = "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";
std::string ChatLine(int n) {
  return StrCat("m=message 7394 TCP/MSRP *\r\na=accept-types:message/cpim text/plain\r\n",
                "a=path:msrp://192.0.2.10:7394/peer", n, ";tcp\r\n");
}
constexpr char kDisabledChat[] = "m=message 0 TCP/MSRP *\r\n";
constexpr char kFileLine[] =
    "m=message 7394 TCP/MSRP *\r\na=sendonly\r\na=accept-types:*\r\n"
    "a=path:msrp://192.0.2.10:7394/fileFromMember;tcp\r\n"
    "a=file-selector:name:\"notes.txt\" type:text/plain size:12\r\n"
    "a=file-transfer-id:xfer1\r\n";

// A request of member `n` in its dialog `dialog` (Call-ID, tags, branch).
std::string Request(std::string_view method, std::string_view room, int n, std::string_view dialog,
                    int cseq, std::string_view to_tag = {}, std::string_view body = {}) {
  return StrCat(method, " sip:", room, "@198.51.100.1 SIP/2.0\r\n",
                "Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK-", dialog, method, cseq, "\r\n",
                "From: \"Member ", n, "\" <sip:member", n, "@example.com>;tag=f", dialog, "\r\n",
                "To: <sip:", room, "@198.51.100.1>",
                to_tag.empty() ? std::string() : StrCat(";tag=", to_tag), "\r\n", "Call-ID: chat-",
                dialog, "\r\n", "CSeq: ", cseq, " ", method, "\r\n", "Contact: <sip:member", n,
                "@192.0.2.10:5062>\r\nMax-Forwards: 70\r\n",
                body.empty() ? std::string() : "Content-Type: application/sdp\r\n",
                "Content-Length: ", body.size(), "\r\n\r\n", body);
}

// The value of `attribute` in an SDP body ("" when none).
std::string Attribute(const std::string& message, std::string_view attribute) {
  const std::string key = StrCat("\r\na=", attribute, ":");
  const size_t at = message.find(key);
  if (at == std::string::npos) return {};
  const size_t start = at + key.size();
  return message.substr(start, message.find("\r\n", start) - start);
}

// One MSRP request over a fresh TCP connection to 127.0.0.1:`port`: the
// status of its answer (0: closed or nothing within the socket's deadline).
int SendOverMsrp(uint16_t port, const std::string& to_path, const std::string& from_path) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  timeval deadline{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &deadline, sizeof(deadline));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
  int status = 0;
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0) {
    const std::string send =
        StrCat("MSRP tr0001 SEND\r\nTo-Path: ", to_path, "\r\nFrom-Path: ", from_path,
               "\r\nMessage-ID: msg0001\r\nByte-Range: 1-2/2\r\nContent-Type: text/plain\r\n"
               "\r\nhi\r\n-------tr0001$\r\n");
    (void)!write(fd, send.data(), send.size());
    std::string got;
    char buffer[512];
    while (got.find("\r\n") == std::string::npos) {
      const ssize_t n = read(fd, buffer, sizeof(buffer));
      if (n <= 0) break;
      got.append(buffer, static_cast<size_t>(n));
    }
    if (got.starts_with("MSRP tr0001 ")) status = std::atoi(got.c_str() + 12);
  }
  close(fd);
  return status;
}

class CallChatLegsTest : public fakes::ControllerBase {
 protected:
  CallChatLegsTest() {
    // 1000 open, 2000 with a PIN, 3000 for one member.
    std::vector<RoomConfig> rooms(3);
    for (size_t i = 0; i < rooms.size(); ++i) rooms[i].name = StrCat((i + 1) * 1000);
    rooms[1].pin = "1234";
    rooms[2].max_participants = 1;
    rooms_ = std::make_unique<RoomDirectory>(std::move(rooms));
    msrp::MsrpOptions msrp_options;
    msrp_options.listen_address = "127.0.0.1";
    msrp_options.port = 0;
    msrp_ = std::make_unique<msrp::MsrpService>(msrp_options, &files_, [](msrp::MsrpEvent) {});
    EXPECT_TRUE(files_.Open().ok());
    EXPECT_TRUE(msrp_->Start().ok());
    MakeController(Options());
  }
  ~CallChatLegsTest() override {
    controller_.reset();
    msrp_->Stop();
    std::filesystem::remove_all(dir_);
  }
  void MakeController(CallControllerOptions options) {
    options.ivr_number = "500";
    controller_ = std::make_unique<CallController>(&timers_, &signaling_, rooms_.get(), &ports_,
                                                   &overload_, &workers_, options);
    controller_->set_event_hub(&events_);
    controller_->set_msrp(msrp_.get(), &files_);
    subscription_ = events_.Subscribe();
  }
  // The events published since the last call, as SSE text.
  std::string Events() {
    std::string out;
    while (std::optional<std::string> event = subscription_->Next(0)) out += *event;
    return out;
  }

  // Member `n`'s INVITE in dialog `dialog` with `sdp`: the final status;
  // answered ones are ACKed.
  int Invite(std::string_view room, int n, std::string_view dialog, const std::string& sdp) {
    Send(Request("INVITE", room, n, dialog, 1, {}, sdp));
    const fakes::FakeSignaling::Response& response = signaling_.responses.back();
    if (response.status == 200) {
      tags_[std::string(dialog)] = fakes::ToTag(response.bytes);
      answers_[std::string(dialog)] = response.bytes;
      controller_->OnAck(
          fakes::Parse(Request("ACK", room, n, dialog, 1, tags_[std::string(dialog)])), source_);
    }
    return response.status;
  }
  int ReInvite(std::string_view room, int n, std::string_view dialog, int cseq,
               const std::string& sdp) {
    const std::string& tag = tags_[std::string(dialog)];
    Send(Request("INVITE", room, n, dialog, cseq, tag, sdp));
    const fakes::FakeSignaling::Response& response = signaling_.responses.back();
    if (response.status == 200) {
      answers_[std::string(dialog)] = response.bytes;
      controller_->OnAck(fakes::Parse(Request("ACK", room, n, dialog, cseq, tag)), source_);
    }
    return response.status;
  }
  void Bye(std::string_view room, int n, std::string_view dialog, int cseq) {
    Send(Request("BYE", room, n, dialog, cseq, tags_[std::string(dialog)]));
  }
  std::string OurPath(std::string_view dialog) {
    return Attribute(answers_[std::string(dialog)], "path");
  }
  static std::string SessionIdOf(const std::string& path) {
    const size_t slash = path.rfind('/');
    return path.substr(slash + 1, path.find(';', slash) - slash - 1);
  }
  bool SessionsBecome(int64_t n) { return fakes::MsrpSessionsBecome(*msrp_, n); }

  fakes::FakeTimers timers_;
  fakes::FakeWorkers workers_;
  EventHub events_;
  std::shared_ptr<EventHub::Subscription> subscription_;
  const std::string dir_ = testing_support::UniqueTempPath("files");
  msrp::FileStore files_{msrp::FileStoreOptions{dir_}};
  std::unique_ptr<msrp::MsrpService> msrp_;
  std::map<std::string, std::string> tags_;
  std::map<std::string, std::string> answers_;
};

TEST_F(CallChatLegsTest, ChatOnlyInviteIsAnsweredWithOurPathAndRegistered) {
  ASSERT_EQ(Invite("1000", 1, "a", StrCat(kHead, ChatLine(1))), 200);
  const std::string& answer = answers_["a"];
  EXPECT_THAT(answer, HasSubstr(StrCat("m=message ", msrp_->port(), " TCP/MSRP *\r\n")));
  EXPECT_THAT(answer, HasSubstr("a=setup:passive\r\n"));  // no a=setup: the offerer connects
  EXPECT_THAT(answer, Not(HasSubstr("m=audio")));
  const std::string path = OurPath("a");
  EXPECT_EQ(path, msrp_->LocalPath(SessionIdOf(path)));
  // No audio: no participant on a worker, but a member of the room.
  EXPECT_TRUE(workers_.SentOf<mixer::AddParticipant>().empty());
  const std::vector<ParticipantInfo> members = controller_->Participants("1000");
  ASSERT_EQ(members.size(), 1u);
  EXPECT_EQ(members[0].codec, "");
  EXPECT_EQ(controller_->participants(), 1);
  EXPECT_THAT(Events(), HasSubstr("participant_joined"));
  ASSERT_TRUE(SessionsBecome(1));
  // The service takes the member's connection to the path we answered with.
  EXPECT_EQ(SendOverMsrp(msrp_->port(), path, "msrp://192.0.2.10:7394/peer1;tcp"), 200);
  EXPECT_EQ(SendOverMsrp(msrp_->port(), msrp_->LocalPath("notOurs12345"),
                         "msrp://192.0.2.10:7394/peer1;tcp"),
            481);
}

TEST_F(CallChatLegsTest, ChatBesideAudioKeepsBoth) {
  ASSERT_EQ(Invite("1000", 1, "a", StrCat(kHead, kAudio, ChatLine(1))), 200);
  EXPECT_THAT(answers_["a"], HasSubstr("m=audio 400"));
  EXPECT_THAT(answers_["a"], HasSubstr(" RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"));
  EXPECT_THAT(answers_["a"], HasSubstr(StrCat("m=message ", msrp_->port(), " TCP/MSRP *")));
  EXPECT_EQ(workers_.SentOf<mixer::AddParticipant>().size(), 1u);
  ASSERT_TRUE(SessionsBecome(1));
}

TEST_F(CallChatLegsTest, ReInviteAddsAndRemovesTheChatStream) {
  ASSERT_EQ(Invite("1000", 1, "a", StrCat(kHead, kAudio)), 200);
  ASSERT_EQ(ReInvite("1000", 1, "a", 2, StrCat(kHead, kAudio, ChatLine(1))), 200);
  const std::string first = OurPath("a");
  ASSERT_FALSE(first.empty());
  ASSERT_TRUE(SessionsBecome(1));
  // Repeated unchanged: the same path, still one session.
  ASSERT_EQ(ReInvite("1000", 1, "a", 3, StrCat(kHead, kAudio, ChatLine(1))), 200);
  EXPECT_EQ(OurPath("a"), first);
  ASSERT_EQ(ReInvite("1000", 1, "a", 4, StrCat(kHead, kAudio, kDisabledChat)), 200);
  ASSERT_TRUE(SessionsBecome(0));
  EXPECT_EQ(controller_->Participants("1000").size(), 1u);  // its audio stays
  // Added again: a fresh session-id.
  ASSERT_EQ(ReInvite("1000", 1, "a", 5, StrCat(kHead, kAudio, ChatLine(1))), 200);
  EXPECT_NE(OurPath("a"), first);
  EXPECT_FALSE(OurPath("a").empty());
  ASSERT_TRUE(SessionsBecome(1));
}

TEST_F(CallChatLegsTest, AReInviteWithoutOfferEndsTheChatOurOfferLeavesOut) {
  ASSERT_EQ(Invite("1000", 1, "a", StrCat(kHead, kAudio, ChatLine(1))), 200);
  ASSERT_TRUE(SessionsBecome(1));
  Send(Request("INVITE", "1000", 1, "a", 2, tags_["a"]));
  ASSERT_EQ(signaling_.responses.back().status, 200);
  EXPECT_THAT(signaling_.responses.back().bytes, Not(HasSubstr("m=message")));
  ASSERT_TRUE(SessionsBecome(0));
  // A chat-only call has no offer of ours to make.
  ASSERT_EQ(Invite("1000", 2, "b", StrCat(kHead, ChatLine(2))), 200);
  Send(Request("INVITE", "1000", 2, "b", 2, tags_["b"]));
  EXPECT_EQ(signaling_.responses.back().status, 488);
}

TEST_F(CallChatLegsTest, AudioCannotComeOrGoByReInvite) {
  ASSERT_EQ(Invite("1000", 1, "a", StrCat(kHead, ChatLine(1))), 200);
  EXPECT_EQ(ReInvite("1000", 1, "a", 2, StrCat(kHead, kAudio, ChatLine(1))), 488);
  ASSERT_EQ(Invite("1000", 2, "b", StrCat(kHead, kAudio, ChatLine(2))), 200);
  EXPECT_EQ(ReInvite("1000", 2, "b", 2, StrCat(kHead, ChatLine(2))), 488);
  ASSERT_TRUE(SessionsBecome(2));  // both streams as they were
}

TEST_F(CallChatLegsTest, AStrangersFileOfferIsRefused) {
  ASSERT_EQ(Invite("1000", 1, "a", StrCat(kHead, kAudio)), 200);
  // Member 2 has no call in the room.
  EXPECT_EQ(Invite("1000", 2, "file", StrCat(kHead, kFileLine)), 403);
}

TEST_F(CallChatLegsTest, AMembersFileOfferIsTakenWithoutASeat) {
  ASSERT_EQ(Invite("1000", 1, "a", StrCat(kHead, kAudio)), 200);
  ASSERT_EQ(Invite("1000", 1, "file", StrCat(kHead, kFileLine)), 200);
  const std::string& answer = answers_["file"];
  EXPECT_THAT(answer, HasSubstr("a=recvonly\r\n"));
  EXPECT_THAT(answer, HasSubstr("a=file-selector:name:\"notes.txt\" type:text/plain size:12\r\n"));
  EXPECT_THAT(answer, HasSubstr("a=file-transfer-id:xfer1\r\n"));
  ASSERT_TRUE(SessionsBecome(1));
  // It only brings a file: not a participant, no worker, no seat.
  EXPECT_EQ(controller_->Participants("1000").size(), 1u);
  EXPECT_EQ(controller_->participants(), 1);
  EXPECT_EQ(workers_.SentOf<mixer::AddParticipant>().size(), 1u);
  Bye("1000", 1, "file", 2);
  EXPECT_EQ(signaling_.Statuses().back(), 200);
  ASSERT_TRUE(SessionsBecome(0));
  EXPECT_EQ(controller_->Participants("1000").size(), 1u);
}

TEST_F(CallChatLegsTest, AFullRoomStillTakesAMembersFileAndTheFileTakesNoSeat) {
  ASSERT_EQ(Invite("3000", 1, "a", StrCat(kHead, ChatLine(1))), 200);
  EXPECT_EQ(Invite("3000", 2, "b", StrCat(kHead, ChatLine(2))), 486);  // full
  ASSERT_EQ(Invite("3000", 1, "file", StrCat(kHead, kFileLine)), 200);
  Bye("3000", 1, "a", 2);
  // The file call still runs, yet the room has its seat free again.
  ASSERT_EQ(Invite("3000", 2, "c", StrCat(kHead, ChatLine(2))), 200);
}

TEST_F(CallChatLegsTest, AChatOnlyMemberMayOfferAFile) {
  ASSERT_EQ(Invite("1000", 1, "a", StrCat(kHead, ChatLine(1))), 200);
  ASSERT_EQ(Invite("1000", 1, "file", StrCat(kHead, kFileLine)), 200);
  ASSERT_TRUE(SessionsBecome(2));
  EXPECT_EQ(controller_->Participants("1000").size(), 1u);
}

TEST_F(CallChatLegsTest, AFileOfferToAPinRoomNeedsAMemberToo) {
  // Nobody in room 2000: even the right PIN would not matter, the file is refused.
  EXPECT_EQ(Invite("2000", 1, "file", StrCat(kHead, kFileLine)), 403);
  // A chat line before the PIN (dial-in) is declined; the audio goes on.
  ASSERT_EQ(Invite("2000", 1, "a", StrCat(kHead, kAudio, ChatLine(1))), 200);
  EXPECT_THAT(answers_["a"], HasSubstr("m=message 0 TCP/MSRP"));
}

TEST_F(CallChatLegsTest, ChatIsDeclinedWhereNotServed) {
  // Through the IVR the room is not known yet.
  EXPECT_EQ(Invite("500", 1, "ivr", StrCat(kHead, ChatLine(1))), 488);
  EXPECT_THAT(signaling_.responses.back().bytes, HasSubstr("chat is not served here"));
  CallControllerOptions options = Options();
  options.messaging.enabled = false;
  MakeController(options);
  EXPECT_EQ(Invite("1000", 1, "off", StrCat(kHead, ChatLine(1))), 488);
  ASSERT_EQ(Invite("1000", 2, "off2", StrCat(kHead, kAudio, ChatLine(2))), 200);
  EXPECT_THAT(answers_["off2"], HasSubstr("m=message 0 TCP/MSRP"));
}

TEST_F(CallChatLegsTest, EveryEndOfACallRemovesItsSession) {
  ASSERT_EQ(Invite("1000", 1, "a", StrCat(kHead, ChatLine(1))), 200);
  ASSERT_EQ(Invite("1000", 2, "b", StrCat(kHead, kAudio, ChatLine(2))), 200);
  ASSERT_EQ(Invite("1000", 3, "c", StrCat(kHead, ChatLine(3))), 200);
  ASSERT_EQ(Invite("1000", 4, "d", StrCat(kHead, ChatLine(4))), 200);
  ASSERT_TRUE(SessionsBecome(4));
  Bye("1000", 1, "a", 2);  // BYE
  ASSERT_TRUE(SessionsBecome(3));
  const std::vector<ParticipantInfo> members = controller_->Participants("1000");
  ASSERT_EQ(members.size(), 3u);
  ASSERT_TRUE(controller_->Kick(members[0].id, "kicked"));  // kick
  ASSERT_TRUE(SessionsBecome(2));
  controller_->EndRoom("1000");  // the room removed
  ASSERT_TRUE(SessionsBecome(0));
  ASSERT_EQ(Invite("1000", 5, "e", StrCat(kHead, ChatLine(5))), 200);
  ASSERT_TRUE(SessionsBecome(1));
  controller_->Shutdown([] {});  // shutdown
  ASSERT_TRUE(SessionsBecome(0));
}

TEST_F(CallChatLegsTest, AChatOnlyCallEndsWithByeWhenItsStreamEnds) {
  ASSERT_EQ(Invite("1000", 1, "a", StrCat(kHead, ChatLine(1))), 200);
  ASSERT_EQ(Invite("1000", 2, "b", StrCat(kHead, kAudio, ChatLine(2))), 200);
  const std::vector<ParticipantInfo> members = controller_->Participants("1000");
  ASSERT_EQ(members.size(), 2u);
  const size_t sent = signaling_.sent.size();
  // An old stream's end says nothing about the one in use.
  controller_->OnMsrpEvent(msrp::SessionEnded{members[0].id, "notItsSession", "closed", false});
  EXPECT_EQ(signaling_.sent.size(), sent);
  controller_->OnMsrpEvent(
      msrp::SessionEnded{members[0].id, SessionIdOf(OurPath("a")), "connection \"closed\"", false});
  ASSERT_EQ(signaling_.sent.size(), sent + 1);
  EXPECT_THAT(signaling_.sent.back().bytes, HasSubstr("BYE sip:member1@"));
  EXPECT_THAT(signaling_.sent.back().bytes,
              HasSubstr("Reason: SIP;cause=200;text=\"chat stream ended: connection  closed \""));
  // The member with audio keeps its call when its chat is dropped.
  controller_->OnMsrpEvent(
      msrp::SessionEnded{members[1].id, SessionIdOf(OurPath("b")), "too slow", true});
  EXPECT_EQ(signaling_.sent.size(), sent + 1);
  const std::vector<ParticipantInfo> left = controller_->Participants("1000");
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].id, members[1].id);
}

}  // namespace
}  // namespace tutti
