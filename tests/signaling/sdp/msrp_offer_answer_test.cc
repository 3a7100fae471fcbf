// MSRP streams in offer/answer: RFC 4975 §8's chat offers (alone and
// beside audio), RFC 6135's connection roles, RFC 5547's file offers (its
// §9 example) and file selectors, and tutti's own file offer read back.
#include "signaling/sdp/msrp_offer_answer.h"

#include <string>

#include "common/strings.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "signaling/sdp/offer_answer.h"

namespace tutti::sdp {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::string_view kOurPath = "msrp://192.0.2.10:2855/s3cr3tSessi0n;tcp";

LocalMedia Local(bool chat = true) {
  LocalMedia local{"192.0.2.10", 20000, {AudioCodec::kOpus, AudioCodec::kPcmu}, 77, 1, 20};
  if (chat) local.chat = LocalChat{std::string(kOurPath), 2855};
  return local;
}

SessionDescription Parse(std::string_view text) {
  auto sdp = ParseSdp(text);
  EXPECT_TRUE(sdp.ok()) << sdp.status();
  return sdp.ok() ? *sdp : SessionDescription{};
}

std::string Head(std::string_view connection = "IN IP4 192.0.2.1") {
  return StrCat("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=", connection, "\r\nt=0 0\r\n");
}

constexpr std::string_view kAudio = "m=audio 4000 RTP/AVP 0\r\n";

// RFC 4975 §8's offer (its §7.1 example, Bob's side).
constexpr std::string_view kRfc4975Chat =
    "m=message 7394 TCP/MSRP *\r\n"
    "a=accept-types:message/cpim text/plain text/html\r\n"
    "a=accept-wrapped-types:image/png image/jpeg\r\n"
    "a=path:msrp://bob.example.com:8888/9di4eae923wzd;tcp\r\n";

std::optional<std::string_view> Attribute(const MediaDescription& media, std::string_view name) {
  for (const auto& [key, value] : media.other_attributes) {
    if (key == name) return value;
  }
  return std::nullopt;
}

TEST(MsrpAnswerTest, ChatOnlyOfferIsAnsweredWithOurPathAndWithoutAudio) {
  auto result = AnswerOffer(Parse(Head() + std::string(kRfc4975Chat)), Local());
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_FALSE(result->has_audio);
  ASSERT_TRUE(result->chat.has_value());
  EXPECT_EQ(result->chat->local_path, kOurPath);
  EXPECT_THAT(result->chat->remote_path,
              ElementsAre("msrp://bob.example.com:8888/9di4eae923wzd;tcp"));
  EXPECT_THAT(result->chat->accept_types, ElementsAre("message/cpim", "text/plain", "text/html"));
  EXPECT_THAT(result->chat->accept_wrapped_types, ElementsAre("image/png", "image/jpeg"));
  EXPECT_TRUE(result->chat->accepts_cpim());
  EXPECT_FALSE(result->chat->active);  // no a=setup: the offerer connects (RFC 4975 §5.4)
  EXPECT_EQ(result->chat->direction, Direction::kSendRecv);
  EXPECT_FALSE(result->chat->file.has_value());
  const std::string text = WriteSdp(result->answer);
  EXPECT_THAT(text, HasSubstr("m=message 2855 TCP/MSRP *\r\n"));
  EXPECT_THAT(text, HasSubstr(StrCat("a=path:", kOurPath, "\r\n")));
  EXPECT_THAT(text, HasSubstr("a=accept-types:message/cpim text/plain\r\n"));
  EXPECT_THAT(text, HasSubstr("a=accept-wrapped-types:text/plain\r\n"));
  EXPECT_THAT(text, HasSubstr("a=setup:passive\r\n"));
  EXPECT_THAT(text, HasSubstr("a=sendrecv\r\n"));
  EXPECT_THAT(text, Not(HasSubstr("m=audio")));
  EXPECT_TRUE(result->declined.empty());
}

TEST(MsrpAnswerTest, PlainTextPeerGetsOurTypesItTakesAndNoWrappedTypes) {
  // RFC 4975 §7.1's Alice: text/plain only.
  auto result = AnswerOffer(Parse(Head("IN IP4 atlanta.example.com") +
                                  "m=message 7654 TCP/MSRP *\r\n"
                                  "a=accept-types:text/plain\r\n"
                                  "a=path:msrp://atlanta.example.com:7654/jshA7we;tcp\r\n"),
                            Local());
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_TRUE(result->chat.has_value());
  EXPECT_FALSE(result->chat->accepts_cpim());
  const MediaDescription& line = result->answer.media.at(0);
  EXPECT_EQ(Attribute(line, "accept-types"), "text/plain");
  EXPECT_EQ(Attribute(line, "accept-wrapped-types"), std::nullopt);
}

TEST(MsrpAnswerTest, ChatBesideAudioKeepsBoth) {
  auto result =
      AnswerOffer(Parse(Head() + std::string(kAudio) + std::string(kRfc4975Chat)), Local());
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->has_audio);
  EXPECT_EQ(result->audio.remote_rtp_port, 4000);
  ASSERT_TRUE(result->chat.has_value());
  ASSERT_EQ(result->answer.media.size(), 2u);
  EXPECT_EQ(result->answer.media[0].port, 20000);
  EXPECT_EQ(result->answer.media[1].port, 2855);
}

TEST(MsrpAnswerTest, UnusableAudioBesideChatIsDeclinedWithItsReason) {
  auto result = AnswerOffer(
      Parse(Head() + "m=audio 4000 RTP/AVP 18\r\n" +
            "m=video 4002 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n" + std::string(kRfc4975Chat)),
      [] {
        LocalMedia local = Local();
        local.video_rtp_port = 20002;
        local.video_codecs = {{media::VideoCodec::kVp8, ""}};
        return local;
      }());
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_FALSE(result->has_audio);
  EXPECT_TRUE(result->chat.has_value());
  // Video rides on an audio leg: none without it.
  EXPECT_FALSE(result->video.has_value());
  ASSERT_EQ(result->answer.media.size(), 3u);
  EXPECT_EQ(result->answer.media[0].port, 0);
  EXPECT_EQ(result->answer.media[1].port, 0);
  ASSERT_EQ(result->declined.size(), 2u);
  EXPECT_EQ(result->declined[0].media, "audio");
  EXPECT_THAT(result->declined[0].why, HasSubstr("no common audio codec"));
  EXPECT_EQ(result->declined[1].media, "video");
}

TEST(MsrpAnswerTest, NeitherAudioNorChatIsStillRefused) {
  auto result = AnswerOffer(
      Parse(Head() + "m=audio 4000 RTP/AVP 18\r\nm=message 7394 TCP/MSRP *\r\n"), Local());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("no common audio codec"));
}

TEST(MsrpAnswerTest, ChatIsDeclinedWhereNotServedAndTheCallKeepsItsAudio) {
  auto result = AnswerOffer(Parse(Head() + std::string(kAudio) + std::string(kRfc4975Chat)),
                            Local(/*chat=*/false));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->has_audio);
  EXPECT_FALSE(result->chat.has_value());
  EXPECT_EQ(result->answer.media.at(1).port, 0);
  ASSERT_EQ(result->declined.size(), 1u);
  EXPECT_EQ(result->declined[0].why, "chat is not served here");
}

// Each unusable chat line is declined, with why; the audio beside it stays.
TEST(MsrpAnswerTest, UnusableChatLinesAreDeclinedWithTheReason) {
  const std::string path = "a=path:msrp://10.0.0.1:7000/abc;tcp\r\n";
  const std::string types = "a=accept-types:text/plain\r\n";
  const struct {
    std::string line;
    std::string why;
  } cases[] = {
      {"m=message 7 TCP/TLS/MSRP *\r\n" + types + "a=path:msrps://10.0.0.1:7000/abc;tcp\r\n",
       "MSRP over TLS (TCP/TLS/MSRP) is not served yet"},
      {"m=message 7 TCP/MSRP *\r\n" + types + "a=path:msrps://10.0.0.1:7000/abc;tcp\r\n",
       "MSRP over TLS (msrps) is not served yet"},
      {"m=message 7 TCP/WS *\r\n" + types + path, "unsupported transport TCP/WS"},
      {"m=message 7 TCP/MSRP *\r\n" + types, "no a=path"},
      {"m=message 7 TCP/MSRP *\r\n" + path, "no a=accept-types"},
      {"m=message 7 TCP/MSRP *\r\n" + types + "a=path:http://10.0.0.1/abc;tcp\r\n",
       "a=path holds no msrp URI"},
      {"m=message 7 TCP/MSRP *\r\n" + types + "a=path:msrp://10.0.0.1:7000/;tcp\r\n",
       "a=path holds no msrp URI"},
      {"m=message 7 TCP/MSRP *\r\n" + types + "a=path:msrp://10.0.0.1:7000/abc;udp\r\n",
       "transport other than tcp"},
      {"m=message 7 TCP/MSRP *\r\n" + types + path + "a=setup:holdconn\r\n",
       "a=setup:holdconn is not taken"},
      // We would connect (their passive) to a multicast group.
      {"m=message 7 TCP/MSRP *\r\n" + types + "a=path:msrp://224.0.0.1:7000/abc;tcp\r\n" +
           "a=setup:passive\r\n",
       "multicast"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.line);
    auto result = AnswerOffer(Parse(Head() + std::string(kAudio) + c.line), Local());
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_FALSE(result->chat.has_value());
    EXPECT_EQ(result->answer.media.at(1).port, 0);
    ASSERT_EQ(result->declined.size(), 1u);
    EXPECT_EQ(result->declined[0].media, "message");
    EXPECT_THAT(result->declined[0].why, HasSubstr(c.why));
  }
}

TEST(MsrpAnswerTest, TooManyPathUrisAreDeclined) {
  std::string path = "a=path:";
  for (int i = 0; i < 9; ++i) StrAppend(&path, i ? " " : "", "msrp://10.0.0.1:7000/a", i, ";tcp");
  auto result = AnswerOffer(Parse(Head() + std::string(kAudio) + "m=message 7 TCP/MSRP *\r\n" +
                                  "a=accept-types:text/plain\r\n" + path + "\r\n"),
                            Local());
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_FALSE(result->chat.has_value());
}

TEST(MsrpAnswerTest, SecondChatLineIsDeclined) {
  auto result =
      AnswerOffer(Parse(Head() + std::string(kRfc4975Chat) + std::string(kRfc4975Chat)), Local());
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->answer.media.size(), 2u);
  EXPECT_EQ(result->answer.media[0].port, 2855);
  EXPECT_EQ(result->answer.media[1].port, 0);
  ASSERT_EQ(result->declined.size(), 1u);
  EXPECT_THAT(result->declined[0].why, HasSubstr("one message stream per call"));
}

TEST(MsrpAnswerTest, ReOfferDisablingChatLeavesNoChat) {
  auto result = AnswerOffer(Parse(Head() + std::string(kAudio) +
                                  "m=message 0 TCP/MSRP *\r\na=accept-types:text/plain\r\n"),
                            Local(), OfferKind::kReOffer);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_FALSE(result->chat.has_value());
  EXPECT_TRUE(result->declined.empty());  // the offerer disabled it itself
}

// RFC 6135 §4: the offer's a=setup says who connects; ours answers it.
TEST(MsrpAnswerTest, ConnectionRolesFollowTheOffersSetup) {
  const struct {
    std::string setup;  // as offered; empty: none
    bool session_level;
    bool we_connect;
    std::string answered;
  } cases[] = {
      {"", false, false, "passive"},        {"active", false, false, "passive"},
      {"actpass", false, false, "passive"}, {"passive", false, true, "active"},
      {"passive", true, true, "active"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.setup + (c.session_level ? " (session)" : ""));
    std::string offer = Head();
    if (!c.setup.empty() && c.session_level) StrAppend(&offer, "a=setup:", c.setup, "\r\n");
    StrAppend(&offer, kRfc4975Chat);
    if (!c.setup.empty() && !c.session_level) StrAppend(&offer, "a=setup:", c.setup, "\r\n");
    auto result = AnswerOffer(Parse(offer), Local());
    ASSERT_TRUE(result.ok()) << result.status();
    ASSERT_TRUE(result->chat.has_value());
    EXPECT_EQ(result->chat->active, c.we_connect);
    EXPECT_EQ(Attribute(result->answer.media.at(0), "setup"), c.answered);
  }
}

// RFC 5547 §9.1's offer, as Alice sends it.
constexpr std::string_view kRfc5547FileOffer =
    "m=message 7654 TCP/MSRP *\r\n"
    "i=This is my latest picture\r\n"
    "a=sendonly\r\n"
    "a=accept-types:message/cpim\r\n"
    "a=accept-wrapped-types:*\r\n"
    "a=path:msrp://atlanta.example.com:7654/jshA7we;tcp\r\n"
    "a=file-selector:name:\"My cool picture.jpg\" type:image/jpeg size:32349 "
    "hash:sha-1:72:24:5F:E8:65:3D:DA:F3:71:36:2F:86:D4:71:91:3E:E4:A2:CE:2E\r\n"
    "a=file-transfer-id:vBnG916bdberum2fFEABR1FR3ExZMUrd\r\n"
    "a=file-disposition:attachment\r\n"
    "a=file-date:creation:\"Mon, 15 May 2006 15:01:31 +0300\"\r\n"
    "a=file-icon:cid:id2@alicepc.example.com\r\n"
    "a=file-range:1-32349\r\n";

TEST(MsrpFileAnswerTest, Rfc5547FileOfferIsTakenRecvonly) {
  auto result = AnswerOffer(
      Parse(Head("IN IP4 atlanta.example.com") + std::string(kRfc5547FileOffer)), Local());
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_FALSE(result->has_audio);
  ASSERT_TRUE(result->chat.has_value());
  EXPECT_EQ(result->chat->direction, Direction::kRecvOnly);
  ASSERT_TRUE(result->chat->file.has_value());
  const msrp::FileDescription& file = *result->chat->file;
  EXPECT_EQ(file.name, "My cool picture.jpg");
  EXPECT_EQ(file.type, "image/jpeg");
  EXPECT_EQ(file.size, 32349u);
  EXPECT_EQ(file.sha1, "72245fe8653ddaf371362f86d471913ee4a2ce2e");
  EXPECT_EQ(file.transfer_id, "vBnG916bdberum2fFEABR1FR3ExZMUrd");
  EXPECT_EQ(file.disposition, "attachment");
  const std::string text = WriteSdp(result->answer);
  EXPECT_THAT(text, HasSubstr("m=message 2855 TCP/MSRP *\r\n"));
  EXPECT_THAT(text, HasSubstr("a=recvonly\r\n"));
  // RFC 5547 §8.2.2: the answer repeats the selector and the transfer id.
  EXPECT_THAT(text, HasSubstr("a=file-selector:name:\"My cool picture.jpg\" type:image/jpeg "
                              "size:32349 hash:sha-1:72:24:5F"));
  EXPECT_THAT(text, HasSubstr("a=file-transfer-id:vBnG916bdberum2fFEABR1FR3ExZMUrd\r\n"));
}

TEST(MsrpFileAnswerTest, FileOffersWeDoNotTakeAreDeclinedWithTheReason) {
  const std::string line =
      "m=message 7654 TCP/MSRP *\r\na=accept-types:*\r\n"
      "a=path:msrp://10.0.0.1:7654/jshA7we;tcp\r\n";
  const struct {
    std::string attributes;
    bool files;
    uint64_t max_size;
    std::string why;
  } cases[] = {
      {"a=sendonly\r\na=file-selector:name:\"a.txt\" size:10\r\n", false, 0,
       "files are not taken here"},
      {"a=sendonly\r\na=file-selector:name:\"a.txt\" size:1001\r\n", true, 1000,
       "larger than 1000 bytes"},
      {"a=sendonly\r\na=file-selector:name:\"a.txt\" type:text/plain\r\n", true, 0,
       "must say its size"},
      {"a=sendonly\r\na=file-selector:name:\"a.txt size:10\r\n", true, 0, "malformed"},
      {"a=recvonly\r\na=file-selector:name:\"a.txt\"\r\n", true, 0, "not requests"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.attributes);
    LocalMedia local = Local();
    local.chat->files = c.files;
    local.chat->max_size = c.max_size;
    auto result = AnswerOffer(Parse(Head() + std::string(kAudio) + line + c.attributes), local);
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_FALSE(result->chat.has_value());
    ASSERT_EQ(result->declined.size(), 1u);
    EXPECT_THAT(result->declined[0].why, HasSubstr(c.why));
    // Alone, the offer is refused with that reason (the caller's 488 says it).
    auto alone = AnswerOffer(Parse(Head() + line + c.attributes), local);
    ASSERT_FALSE(alone.ok());
    EXPECT_EQ(alone.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(std::string(alone.status().message()), HasSubstr(c.why));
  }
}

TEST(FileSelectorTest, RoundTripsQuotedNamesTypesAndHash) {
  msrp::FileDescription file;
  file.name = "a \"quoted\" 100% name\r\n.txt";
  file.type = "text/plain;charset=\"UTF 8\"";
  file.size = 5 * 1024 * 1024;
  file.sha1 = "72245fe8653ddaf371362f86d471913ee4a2ce2e";
  const std::string text = WriteFileSelector(file);
  EXPECT_EQ(text,
            "name:\"a %22quoted%22 100%25 name%0D%0A.txt\" type:text/plain;charset=\"UTF 8\" "
            "size:5242880 hash:sha-1:72:24:5F:E8:65:3D:DA:F3:71:36:2F:86:D4:71:91:3E:E4:A2:CE:2E");
  EXPECT_EQ(ParseFileSelector(text), file);
  // Written without what it does not know.
  EXPECT_EQ(WriteFileSelector({"x", "", 3, "", "", ""}), "name:\"x\" size:3");
  EXPECT_EQ(WriteFileSelector({"", "", 3, "", "", ""}), "size:3");
}

TEST(FileSelectorTest, ReadsSelectorsInAnyOrderAndSkipsUnknownOnes) {
  auto file = ParseFileSelector("size:12 foo:\"a b\" name:\"n\" hash:sha-256:AA:BB type:a/b");
  ASSERT_TRUE(file.has_value());
  EXPECT_EQ(file->name, "n");
  EXPECT_EQ(file->size, 12u);
  EXPECT_EQ(file->type, "a/b");
  EXPECT_EQ(file->sha1, "");  // only sha-1 is checked
}

TEST(FileSelectorTest, RefusesMalformedSelectors) {
  for (std::string_view text : {
           "",
           "name",
           "name:unquoted",
           "name:\"open",
           "name:\"\"",
           "name:\"a%2\"",
           "name:\"a%zz\"",
           "name:\"nul%00\"",
           "size:",
           "size:12x",
           "size:99999999999999999999999",
           "type:noslash",
           "type:a/b;x=\"open size:3",
           "hash:sha-1:72:24",
           "hash:sha-1:7224:5F",
           "name:\"a\" name:\"b\"",
       }) {
    SCOPED_TRACE(text);
    EXPECT_EQ(ParseFileSelector(text), std::nullopt);
  }
  EXPECT_EQ(ParseFileSelector(StrCat("name:\"", std::string(1025, 'a'), "\"")), std::nullopt);
}

msrp::FileDescription Picture() {
  return {"My cool picture.jpg",
          "image/jpeg",
          32349,
          "72245fe8653ddaf371362f86d471913ee4a2ce2e",
          "",
          "render"};
}

LocalChat OurFileSide() { return LocalChat{"msrp://192.0.2.10:2855/fileSessi0n;tcp", 2855}; }

std::string MemberAnswer(std::string_view attributes) {
  return Head("IN IP4 10.0.0.7") +
         "m=message 9000 TCP/MSRP *\r\na=recvonly\r\na=accept-types:*\r\n"
         "a=path:msrp://10.0.0.7:9000/memb3r;tcp\r\n" +
         std::string(attributes);
}

TEST(FileOfferTest, OurOfferIsAnRfc5547PushWithActpass) {
  const SessionDescription offer = MakeFileOffer("192.0.2.10", OurFileSide(), Picture(), 42);
  const std::string text = WriteSdp(offer);
  EXPECT_THAT(text, HasSubstr("c=IN IP4 192.0.2.10\r\n"));
  EXPECT_THAT(text, HasSubstr("m=message 2855 TCP/MSRP *\r\n"));
  EXPECT_THAT(text, HasSubstr("a=sendonly\r\n"));
  EXPECT_THAT(text, HasSubstr("a=path:msrp://192.0.2.10:2855/fileSessi0n;tcp\r\n"));
  EXPECT_THAT(text, HasSubstr("a=setup:actpass\r\n"));
  EXPECT_THAT(text, HasSubstr("a=file-selector:name:\"My cool picture.jpg\" type:image/jpeg "
                              "size:32349 hash:sha-1:72:24:5F:E8"));
  // No transfer id given: our session-id (random) is one.
  EXPECT_THAT(text, HasSubstr("a=file-transfer-id:fileSessi0n\r\n"));
  EXPECT_THAT(text, HasSubstr("a=file-disposition:render\r\n"));
  EXPECT_EQ(offer.media.size(), 1u);
}

// Our offer, parsed and answered by an answerer like ours, comes back as
// the same file: the two halves agree.
TEST(FileOfferTest, OurOfferAnsweredByAnAnswererLikeOursRoundTrips) {
  const SessionDescription offer = MakeFileOffer("192.0.2.10", OurFileSide(), Picture(), 42);
  auto answered = AnswerOffer(Parse(WriteSdp(offer)), Local());
  ASSERT_TRUE(answered.ok()) << answered.status();
  ASSERT_TRUE(answered->chat && answered->chat->file);
  msrp::FileDescription expected = Picture();
  expected.transfer_id = "fileSessi0n";
  EXPECT_EQ(*answered->chat->file, expected);
  EXPECT_FALSE(answered->chat->active);  // actpass offered: the answerer waits
  auto accepted = AcceptFileAnswer(offer, Parse(WriteSdp(answered->answer)));
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  EXPECT_TRUE(accepted->active);  // it answered passive: it waits, we connect
}

TEST(FileOfferTest, TheAnswersSetupSaysWhoConnects) {
  const SessionDescription offer = MakeFileOffer("192.0.2.10", OurFileSide(), Picture(), 42);
  const struct {
    std::string setup;
    bool we_connect;
  } cases[] = {{"a=setup:active\r\n", false}, {"a=setup:passive\r\n", true}, {"", true}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.setup);
    auto accepted = AcceptFileAnswer(offer, Parse(MemberAnswer(c.setup)));
    ASSERT_TRUE(accepted.ok()) << accepted.status();
    EXPECT_EQ(accepted->active, c.we_connect);
    EXPECT_EQ(accepted->local_path, "msrp://192.0.2.10:2855/fileSessi0n;tcp");
    EXPECT_THAT(accepted->remote_path, ElementsAre("msrp://10.0.0.7:9000/memb3r;tcp"));
    EXPECT_EQ(accepted->direction, Direction::kSendOnly);
    ASSERT_TRUE(accepted->file.has_value());
    EXPECT_EQ(accepted->file->name, "My cool picture.jpg");
    EXPECT_EQ(accepted->file->transfer_id, "fileSessi0n");
  }
}

TEST(FileOfferTest, DeclinedOrWrongAnswersAreFailedPrecondition) {
  const SessionDescription offer = MakeFileOffer("192.0.2.10", OurFileSide(), Picture(), 42);
  for (const std::string& answer : {
           Head() + "m=message 0 TCP/MSRP *\r\n",
           Head() + "m=audio 9000 RTP/AVP 0\r\n",
           Head(),
           MemberAnswer("a=file-transfer-id:someOtherTransfer\r\n"),
           Head() + "m=message 9000 TCP/MSRP *\r\na=sendonly\r\na=accept-types:*\r\n"
                    "a=path:msrp://10.0.0.7:9000/memb3r;tcp\r\n",
           Head() + "m=message 9000 TCP/MSRP *\r\na=recvonly\r\na=accept-types:*\r\n",
           Head() + "m=message 9000 TCP/TLS/MSRP *\r\na=recvonly\r\na=accept-types:*\r\n"
                    "a=path:msrps://10.0.0.7:9000/memb3r;tcp\r\n",
           Head() + "m=message 9000 TCP/MSRP *\r\na=recvonly\r\na=accept-types:*\r\n"
                    "a=path:msrp://239.1.1.1:9000/memb3r;tcp\r\na=setup:passive\r\n",
       }) {
    SCOPED_TRACE(answer);
    auto accepted = AcceptFileAnswer(offer, Parse(answer));
    ASSERT_FALSE(accepted.ok());
    EXPECT_EQ(accepted.status().code(), absl::StatusCode::kFailedPrecondition);
  }
}

}  // namespace
}  // namespace tutti::sdp
