#include "signaling/sdp/offer_answer.h"

#include "common/strings.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tutti::sdp {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

LocalMedia Local(std::vector<AudioCodec> codecs = {AudioCodec::kOpus, AudioCodec::kPcmu,
                                                   AudioCodec::kPcma}) {
  return LocalMedia{"192.0.2.10", 20000, std::move(codecs), 77, 1, 20};
}

SessionDescription Parse(std::string_view text) {
  auto sdp = ParseSdp(text);
  EXPECT_TRUE(sdp.ok()) << sdp.status();
  return sdp.ok() ? *sdp : SessionDescription{};
}

constexpr std::string_view kG711Offer =
    "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
    "m=audio 4000 RTP/AVP 8 0 101\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n";

TEST(AnswerOfferTest, ChoosesTheOfferersFirstCommonCodec) {
  auto result = AnswerOffer(Parse(kG711Offer), Local());
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->audio.codec, AudioCodec::kPcma);
  EXPECT_EQ(result->audio.payload_type, 8);
  EXPECT_EQ(result->audio.telephone_event_pt, 101);
  EXPECT_EQ(result->audio.remote_address, "192.0.2.1");
  EXPECT_EQ(result->audio.remote_rtp_port, 4000);
  EXPECT_EQ(result->audio.remote_rtcp_port, 4001);
  EXPECT_EQ(result->audio.direction, Direction::kSendRecv);
  const std::string answer = WriteSdp(result->answer);
  EXPECT_THAT(answer, HasSubstr("c=IN IP4 192.0.2.10\r\n"));
  EXPECT_THAT(answer, HasSubstr("m=audio 20000 RTP/AVP 8 101\r\n"));
  EXPECT_THAT(answer, HasSubstr("a=rtpmap:8 PCMA/8000\r\n"));
  EXPECT_THAT(answer, HasSubstr("a=rtpmap:101 telephone-event/8000\r\n"));
  EXPECT_THAT(answer, HasSubstr("a=ptime:20\r\n"));
  EXPECT_THAT(answer, HasSubstr("o=tutti 77 1 IN IP4 192.0.2.10\r\n"));
}

TEST(AnswerOfferTest, RoomCodecListRestrictsTheChoice) {
  auto result = AnswerOffer(Parse(kG711Offer), Local({AudioCodec::kPcmu}));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->audio.codec, AudioCodec::kPcmu);
  EXPECT_EQ(result->audio.payload_type, 0);
}

TEST(AnswerOfferTest, OpusWithDynamicPayloadTypeAndFecFlags) {
  auto result = AnswerOffer(
      Parse("v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 10.0.0.5\r\nt=0 0\r\n"
            "m=audio 5000 RTP/AVP 96 0 97\r\na=rtpmap:96 opus/48000/2\r\n"
            "a=fmtp:96 useinbandfec=1; usedtx=1\r\na=rtpmap:97 telephone-event/48000\r\n"
            "a=rtcp-mux\r\n"),
      Local());
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->audio.codec, AudioCodec::kOpus);
  EXPECT_EQ(result->audio.payload_type, 96);
  EXPECT_EQ(result->audio.clock_rate, 48000);
  EXPECT_EQ(result->audio.channels, 2);
  EXPECT_TRUE(result->audio.opus_fec);
  EXPECT_TRUE(result->audio.opus_dtx);
  EXPECT_EQ(result->audio.telephone_event_pt, 97);
  EXPECT_TRUE(result->audio.rtcp_mux);
  EXPECT_EQ(result->audio.remote_rtcp_port, 5000);
  const std::string answer = WriteSdp(result->answer);
  EXPECT_THAT(answer, HasSubstr("m=audio 20000 RTP/AVP 96 97\r\n"));
  EXPECT_THAT(answer,
              HasSubstr("a=rtpmap:96 opus/48000/2\r\na=fmtp:96 useinbandfec=1;usedtx=1\r\n"));
  EXPECT_THAT(answer, HasSubstr("a=rtcp-mux\r\n"));
}

// RFC 4733 §7.1.1: telephone-event runs at the clock of the audio it goes
// with, so only an event format at the chosen codec's rate is answered.
TEST(AnswerOfferTest, TelephoneEventAtAnotherClockRateIsNotAnswered) {
  auto result = AnswerOffer(Parse("v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 10.0.0.5\r\nt=0 0\r\n"
                                  "m=audio 5000 RTP/AVP 96 101\r\na=rtpmap:96 opus/48000/2\r\n"
                                  "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n"),
                            Local());
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->audio.codec, AudioCodec::kOpus);
  EXPECT_EQ(result->audio.telephone_event_pt, -1);
  const std::string answer = WriteSdp(result->answer);
  EXPECT_THAT(answer, HasSubstr("m=audio 20000 RTP/AVP 96\r\n"));
  EXPECT_THAT(answer, Not(HasSubstr("telephone-event")));
}

// Both event rates offered: each codec gets its own, whichever is listed first.
TEST(AnswerOfferTest, OpusTakesTheTelephoneEventAt48kHz) {
  auto result = AnswerOffer(Parse("v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 10.0.0.5\r\nt=0 0\r\n"
                                  "m=audio 5000 RTP/AVP 96 0 101 97\r\na=rtpmap:96 opus/48000/2\r\n"
                                  "a=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
                                  "a=rtpmap:97 telephone-event/48000\r\n"),
                            Local());
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->audio.codec, AudioCodec::kOpus);
  EXPECT_EQ(result->audio.telephone_event_pt, 97);
  const std::string answer = WriteSdp(result->answer);
  EXPECT_THAT(answer, HasSubstr("m=audio 20000 RTP/AVP 96 97\r\n"));
  EXPECT_THAT(answer, HasSubstr("a=rtpmap:97 telephone-event/48000\r\n"));
  EXPECT_THAT(answer, Not(HasSubstr("telephone-event/8000")));
}

TEST(AnswerOfferTest, PcmuTakesTheTelephoneEventAt8kHz) {
  auto result = AnswerOffer(Parse("v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 10.0.0.5\r\nt=0 0\r\n"
                                  "m=audio 5000 RTP/AVP 96 0 97 101\r\na=rtpmap:96 opus/48000/2\r\n"
                                  "a=rtpmap:0 PCMU/8000\r\na=rtpmap:97 telephone-event/48000\r\n"
                                  "a=rtpmap:101 telephone-event/8000\r\n"),
                            Local({AudioCodec::kPcmu}));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->audio.codec, AudioCodec::kPcmu);
  EXPECT_EQ(result->audio.telephone_event_pt, 101);
  const std::string answer = WriteSdp(result->answer);
  EXPECT_THAT(answer, HasSubstr("m=audio 20000 RTP/AVP 0 101\r\n"));
  EXPECT_THAT(answer, HasSubstr("a=rtpmap:101 telephone-event/8000\r\n"));
  EXPECT_THAT(answer, Not(HasSubstr("telephone-event/48000")));
}

TEST(AnswerOfferTest, NoCommonCodecIsFailedPrecondition) {
  auto result = AnswerOffer(
      Parse("v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 h\r\nt=0 0\r\nm=audio 5000 RTP/AVP 18\r\n"),
      Local({AudioCodec::kOpus}));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("offered: G729"));
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("accepted: opus"));
}

TEST(AnswerOfferTest, DeclinesVideoSecondAudioAndSrtp) {
  auto result = AnswerOffer(Parse("v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
                                  "m=audio 3000 RTP/SAVP 0\r\n"
                                  "m=video 3002 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n"
                                  "m=audio 3004 RTP/AVP 0\r\n"
                                  "m=audio 3006 RTP/AVP 8\r\n"
                                  "m=message 3010 TCP/MSRP *\r\n"
                                  "m=video 0 RTP/AVP 97\r\n"),
                            Local());
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->answer.media.size(), 6u);
  EXPECT_EQ(result->answer.media[0].port, 0);
  EXPECT_EQ(result->answer.media[1].port, 0);
  EXPECT_EQ(result->answer.media[1].media, "video");
  EXPECT_EQ(result->answer.media[2].port, 20000);
  EXPECT_EQ(result->answer.media[3].port, 0);
  EXPECT_EQ(result->answer.media[4].port, 0);
  EXPECT_EQ(result->answer.media[5].port, 0);
  EXPECT_EQ(result->audio.remote_rtp_port, 3004);
  EXPECT_THAT(WriteSdp(result->answer), HasSubstr("m=video 0 RTP/AVP 96\r\n"));
  // Each says why, for the log; the last video line the offerer disabled itself.
  ASSERT_EQ(result->declined.size(), 4u);
  EXPECT_EQ(result->declined[0].media, "audio");
  EXPECT_THAT(result->declined[0].why, HasSubstr("SRTP is off"));
  EXPECT_EQ(result->declined[1].media, "video");
  EXPECT_EQ(result->declined[1].why, "video is not taken here");
  EXPECT_EQ(result->declined[2].media, "audio");
  EXPECT_EQ(result->declined[2].why, "one audio stream per call, and an earlier one was taken");
  EXPECT_EQ(result->declined[3].media, "message");
  EXPECT_EQ(result->declined[3].why, "chat is not served here");
  auto plain = AnswerOffer(Parse(kG711Offer), Local());
  ASSERT_TRUE(plain.ok());
  EXPECT_TRUE(plain->declined.empty());
}

TEST(AnswerOfferTest, SrtpOnlyIsRefusedWithTheReason) {
  auto result = AnswerOffer(
      Parse("v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 h\r\nt=0 0\r\nm=audio 5000 RTP/SAVP 0\r\n"),
      Local());
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("SRTP is off"));
}

TEST(AnswerOfferTest, HoldAndResume) {
  const std::string base = "v=0\r\no=- 1 2 IN IP4 h\r\ns=-\r\nc=IN IP4 ";
  auto sendonly = AnswerOffer(
      Parse(base + "10.0.0.1\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\na=sendonly\r\n"), Local());
  ASSERT_TRUE(sendonly.ok());
  EXPECT_EQ(sendonly->audio.direction, Direction::kRecvOnly);
  EXPECT_THAT(WriteSdp(sendonly->answer), HasSubstr("a=recvonly\r\n"));

  auto inactive = AnswerOffer(
      Parse(base + "10.0.0.1\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\na=inactive\r\n"), Local());
  ASSERT_TRUE(inactive.ok());
  EXPECT_EQ(inactive->audio.direction, Direction::kInactive);

  auto old_style = AnswerOffer(Parse(base + "0.0.0.0\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n"),
                               Local(), OfferKind::kReOffer);
  ASSERT_TRUE(old_style.ok());
  EXPECT_EQ(old_style->audio.direction, Direction::kRecvOnly);

  auto resumed =
      AnswerOffer(Parse(base + "10.0.0.1\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n"), Local());
  ASSERT_TRUE(resumed.ok());
  EXPECT_EQ(resumed->audio.direction, Direction::kSendRecv);
}

TEST(AnswerOfferTest, RefusesAddressesThatAreNotOnePeer) {
  auto offer = [](std::string_view connection, std::string_view media_connection = {}) {
    std::string text = StrCat("v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=", connection,
                              "\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n");
    if (!media_connection.empty()) StrAppend(&text, "c=", media_connection, "\r\n");
    return Parse(text);
  };
  struct Case {
    std::string_view connection;
    std::string_view media_connection;
    int warn_code;
  };
  const Case refused[] = {
      {"IN IP4 224.0.0.1", "", 330},
      {"IN IP4 239.255.255.250/127", "", 330},
      {"IN IP4 192.0.2.1", "IN IP4 233.1.2.3", 330},  // the media-level c= counts
      {"IN IP6 ff02::1", "", 330},
      {"IN IP4 255.255.255.255", "", 301},
      {"IN IP4 0.0.0.0", "", 301},
      {"IN IP6 ::", "", 301},
  };
  for (const Case& c : refused) {
    auto result = AnswerOffer(offer(c.connection, c.media_connection), Local());
    ASSERT_FALSE(result.ok()) << c.connection << " " << c.media_connection;
    EXPECT_EQ(result.status().code(), absl::StatusCode::kPermissionDenied);
    EXPECT_EQ(WarnCodeFor(result.status()), c.warn_code) << c.connection;
  }
  // Inside a call 0.0.0.0 is RFC 2543 hold; multicast stays refused.
  auto hold = AnswerOffer(offer("IN IP4 0.0.0.0"), Local(), OfferKind::kReOffer);
  ASSERT_TRUE(hold.ok()) << hold.status();
  EXPECT_EQ(hold->audio.direction, Direction::kRecvOnly);
  EXPECT_FALSE(AnswerOffer(offer("IN IP4 224.0.0.1"), Local(), OfferKind::kReOffer).ok());
  EXPECT_TRUE(AnswerOffer(offer("IN IP4 223.255.255.255"), Local()).ok());  // unicast
  EXPECT_TRUE(AnswerOffer(offer("IN IP4 240.0.0.1"), Local()).ok());
  EXPECT_EQ(WarnCodeFor(AnswerOffer(offer("IN IP4 h"), Local({AudioCodec::kOpus})).status()), 399);
}

TEST(AcceptAnswerTest, RefusesAMulticastAnswerButTakesHold) {
  const SessionDescription offer = MakeOffer(Local());
  auto answer = [&](std::string_view address) {
    return AcceptAnswer(offer, Parse(StrCat("v=0\r\no=- 5 5 IN IP4 h\r\ns=-\r\nc=IN IP4 ", address,
                                            "\r\nt=0 0\r\nm=audio 7000 RTP/AVP 0\r\n")));
  };
  EXPECT_EQ(answer("224.0.0.1").status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(answer("255.255.255.255").status().code(), absl::StatusCode::kPermissionDenied);
  ASSERT_TRUE(answer("0.0.0.0").ok());
  EXPECT_EQ(answer("0.0.0.0")->audio.direction, Direction::kRecvOnly);
}

TEST(AnswerOfferTest, MissingConnectionAddressIsInvalid) {
  auto result = AnswerOffer(
      Parse("v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n"), Local());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(MakeOfferTest, OffersRoomCodecsWithTelephoneEvents) {
  const std::string offer = WriteSdp(MakeOffer(Local()));
  EXPECT_THAT(offer, HasSubstr("m=audio 20000 RTP/AVP 111 0 8 101 100\r\n"));
  EXPECT_THAT(offer,
              HasSubstr("a=rtpmap:111 opus/48000/2\r\na=fmtp:111 useinbandfec=1;usedtx=1\r\n"));
  EXPECT_THAT(offer, HasSubstr("a=rtpmap:101 telephone-event/48000\r\n"));
  EXPECT_THAT(offer, HasSubstr("a=rtpmap:100 telephone-event/8000\r\n"));
  EXPECT_THAT(offer, HasSubstr("a=rtcp-mux\r\n"));
  EXPECT_TRUE(ParseSdp(offer).ok());
}

TEST(AcceptAnswerTest, ReadsTheAnswerToOurOffer) {
  const SessionDescription offer = MakeOffer(Local());
  auto audio = AcceptAnswer(offer, Parse("v=0\r\no=- 5 5 IN IP4 h\r\ns=-\r\nc=IN IP4 10.1.1.1\r\n"
                                         "t=0 0\r\nm=audio 7000 RTP/AVP 0 100\r\n"
                                         "a=rtpmap:100 telephone-event/8000\r\n"));
  ASSERT_TRUE(audio.ok()) << audio.status();
  EXPECT_EQ(audio->audio.codec, AudioCodec::kPcmu);
  EXPECT_EQ(audio->audio.telephone_event_pt, 100);
  EXPECT_EQ(audio->audio.remote_address, "10.1.1.1");
  EXPECT_EQ(audio->audio.remote_rtp_port, 7000);
}

TEST(AcceptAnswerTest, TelephoneEventMustRunAtTheCodecsClockRate) {
  const SessionDescription offer = MakeOffer(Local());  // events 101/48000 and 100/8000
  auto only_48k =
      AcceptAnswer(offer, Parse("v=0\r\no=- 5 5 IN IP4 h\r\ns=-\r\nc=IN IP4 10.1.1.1\r\n"
                                "t=0 0\r\nm=audio 7000 RTP/AVP 0 101\r\n"
                                "a=rtpmap:101 telephone-event/48000\r\n"));
  ASSERT_TRUE(only_48k.ok()) << only_48k.status();
  EXPECT_EQ(only_48k->audio.codec, AudioCodec::kPcmu);
  EXPECT_EQ(only_48k->audio.telephone_event_pt, -1);
  auto both = AcceptAnswer(offer, Parse("v=0\r\no=- 5 5 IN IP4 h\r\ns=-\r\nc=IN IP4 10.1.1.1\r\n"
                                        "t=0 0\r\nm=audio 7000 RTP/AVP 0 100 101\r\n"
                                        "a=rtpmap:100 telephone-event/8000\r\n"
                                        "a=rtpmap:101 telephone-event/48000\r\n"));
  ASSERT_TRUE(both.ok()) << both.status();
  EXPECT_EQ(both->audio.telephone_event_pt, 100);
}

// RFC 6464 client-to-mixer audio level (a=extmap, RFC 8285): answered under
// the offerer's id, so quiet frames need not be decoded.
TEST(AnswerOfferTest, AnswersTheAudioLevelExtensionUnderTheOfferersId) {
  constexpr std::string_view kHead =
      "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 10.0.0.5\r\nt=0 0\r\n"
      "m=audio 5000 RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\n";
  auto result = AnswerOffer(
      Parse(StrCat(kHead,
                   "a=extmap:3 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
                   "a=extmap:5 urn:ietf:params:rtp-hdrext:ssrc-audio-level vad=on\r\n")),
      Local());
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->audio.audio_level_id, 5);
  std::string answer = WriteSdp(result->answer);
  EXPECT_THAT(answer, HasSubstr("a=extmap:5 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"));
  EXPECT_THAT(answer, Not(HasSubstr("sdes:mid")));  // only what we use is answered

  // The offerer only sends it: we only receive it.
  result = AnswerOffer(
      Parse(StrCat(kHead, "a=extmap:2/sendonly urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n")),
      Local());
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->audio.audio_level_id, 2);
  EXPECT_THAT(WriteSdp(result->answer),
              HasSubstr("a=extmap:2/recvonly urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"));

  // Not sent by the offerer, a bad id, or not offered at all: not agreed.
  for (const std::string_view line :
       {"a=extmap:2/recvonly urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n",
        "a=extmap:15 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n",
        "a=extmap:0 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n",
        "a=extmap:x urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n",
        "a=extmap:4 urn:ietf:params:rtp-hdrext:csrc-audio-level\r\n", ""}) {
    result = AnswerOffer(Parse(StrCat(kHead, line)), Local());
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(result->audio.audio_level_id, 0) << line;
    EXPECT_THAT(WriteSdp(result->answer), Not(HasSubstr("a=extmap"))) << line;
  }
}

TEST(MakeOfferTest, OffersTheAudioLevelAndReadsTheAnswersId) {
  const SessionDescription offer = MakeOffer(Local());
  EXPECT_THAT(WriteSdp(offer),
              HasSubstr("a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"));
  constexpr std::string_view kAnswer =
      "v=0\r\no=- 5 5 IN IP4 h\r\ns=-\r\nc=IN IP4 10.1.1.1\r\nt=0 0\r\n"
      "m=audio 7000 RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\n";
  auto accepted = AcceptAnswer(
      offer, Parse(StrCat(kAnswer, "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n")));
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  EXPECT_EQ(accepted->audio.audio_level_id, 1);
  accepted = AcceptAnswer(offer, Parse(kAnswer));  // the answer leaves it out
  ASSERT_TRUE(accepted.ok());
  EXPECT_EQ(accepted->audio.audio_level_id, 0);
}

TEST(AcceptAnswerTest, RejectsAnswersThatDoNotFit) {
  const SessionDescription offer = MakeOffer(Local({AudioCodec::kPcmu}));
  EXPECT_FALSE(AcceptAnswer(offer, Parse("v=0\r\no=- 5 5 IN IP4 h\r\ns=-\r\nc=IN IP4 h\r\n"
                                         "t=0 0\r\nm=audio 7000 RTP/AVP 8\r\n"))
                   .ok());  // PCMA was not offered
  EXPECT_FALSE(AcceptAnswer(offer, Parse("v=0\r\no=- 5 5 IN IP4 h\r\ns=-\r\nc=IN IP4 h\r\n"
                                         "t=0 0\r\nm=audio 0 RTP/AVP 0\r\n"))
                   .ok());  // declined
  EXPECT_FALSE(
      AcceptAnswer(offer, Parse("v=0\r\no=- 5 5 IN IP4 h\r\ns=-\r\nc=IN IP4 h\r\nt=0 0\r\n"))
          .ok());  // no m= line
}

std::vector<AudioCodec> AllCodecs() {
  return {AudioCodec::kOpus, AudioCodec::kG722, AudioCodec::kPcmu, AudioCodec::kPcma,
          AudioCodec::kG729};
}

// A desk phone's offer: G.722 first, on its static payload type (RFC 3551
// §6), which is /8000 although the audio is 16 kHz; its events are /8000 too.
TEST(AnswerOfferTest, TakesG722OnItsStaticPayloadType) {
  auto result =
      AnswerOffer(Parse("v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 10.0.0.7\r\nt=0 0\r\n"
                        "m=audio 5000 RTP/AVP 9 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\n"),
                  Local(AllCodecs()));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->audio.codec, AudioCodec::kG722);
  EXPECT_EQ(result->audio.payload_type, 9);
  EXPECT_EQ(result->audio.clock_rate, 8000);
  EXPECT_EQ(result->audio.telephone_event_pt, 101);
  const std::string answer = WriteSdp(result->answer);
  EXPECT_THAT(answer, HasSubstr("m=audio 20000 RTP/AVP 9 101\r\n"));
  EXPECT_THAT(answer, HasSubstr("a=rtpmap:9 G722/8000\r\n"));
}

// A trunk's offer: G.729, Annex B as the offerer likes it; our answer says
// annexb=no (we send no SID and ask for none).
TEST(AnswerOfferTest, TakesG729AndAnswersAnnexBOff) {
  for (std::string_view fmtp : {"", "a=fmtp:18 annexb=yes\r\n", "a=fmtp:18 annexb=no\r\n"}) {
    auto result =
        AnswerOffer(Parse(StrCat("v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 10.0.0.7\r\nt=0 0\r\n"
                                 "m=audio 5000 RTP/AVP 18 8 101\r\na=rtpmap:18 G729/8000\r\n",
                                 fmtp, "a=rtpmap:101 telephone-event/8000\r\n")),
                    Local(AllCodecs()));
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->audio.codec, AudioCodec::kG729);
    EXPECT_EQ(result->audio.payload_type, 18);
    const std::string answer = WriteSdp(result->answer);
    EXPECT_THAT(answer, HasSubstr("m=audio 20000 RTP/AVP 18 101\r\n"));
    EXPECT_THAT(answer, HasSubstr("a=rtpmap:18 G729/8000\r\na=fmtp:18 annexb=no\r\n"));
  }
}

TEST(AnswerOfferTest, G722AndG729OnlyWhereTheRoomTakesThem) {
  const SessionDescription offer = Parse(
      "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 10.0.0.7\r\nt=0 0\r\n"
      "m=audio 5000 RTP/AVP 18 9 0\r\n");
  auto narrow = AnswerOffer(offer, Local({AudioCodec::kPcmu, AudioCodec::kG722}));
  ASSERT_TRUE(narrow.ok());
  EXPECT_EQ(narrow->audio.codec, AudioCodec::kG722);
  auto plain = AnswerOffer(offer, Local({AudioCodec::kPcma, AudioCodec::kPcmu}));
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->audio.codec, AudioCodec::kPcmu);
  // The clock rate is part of the codec: a G722/16000 rtpmap is someone else's.
  auto wrong_clock =
      AnswerOffer(Parse("v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 10.0.0.7\r\nt=0 0\r\n"
                        "m=audio 5000 RTP/AVP 96\r\na=rtpmap:96 G722/16000\r\n"),
                  Local(AllCodecs()));
  EXPECT_FALSE(wrong_clock.ok());
}

TEST(MakeOfferTest, OffersG722AndG729OnStaticPayloadTypes) {
  const std::string offer = WriteSdp(MakeOffer(Local({AudioCodec::kG729, AudioCodec::kG722})));
  EXPECT_THAT(offer, HasSubstr("m=audio 20000 RTP/AVP 18 9 100\r\n"));
  EXPECT_THAT(offer, HasSubstr("a=rtpmap:18 G729/8000\r\na=fmtp:18 annexb=no\r\n"));
  EXPECT_THAT(offer, HasSubstr("a=rtpmap:9 G722/8000\r\n"));
  EXPECT_THAT(offer, HasSubstr("a=rtpmap:100 telephone-event/8000\r\n"));
  EXPECT_THAT(offer, Not(HasSubstr("telephone-event/48000")));
  EXPECT_TRUE(ParseSdp(offer).ok());
}

TEST(AcceptAnswerTest, ReadsG729AndG722Answers) {
  const SessionDescription offer = MakeOffer(Local(AllCodecs()));
  for (const auto& [format, codec] :
       {std::pair{"18", AudioCodec::kG729}, std::pair{"9", AudioCodec::kG722}}) {
    auto accepted =
        AcceptAnswer(offer, Parse(StrCat("v=0\r\no=- 5 5 IN IP4 h\r\ns=-\r\nc=IN IP4 10.1.1.1\r\n"
                                         "t=0 0\r\nm=audio 7000 RTP/AVP ",
                                         format, " 100\r\na=rtpmap:100 telephone-event/8000\r\n")));
    ASSERT_TRUE(accepted.ok()) << accepted.status();
    EXPECT_EQ(accepted->audio.codec, codec);
    EXPECT_EQ(accepted->audio.clock_rate, 8000);
    EXPECT_EQ(accepted->audio.telephone_event_pt, 100);
  }
}

TEST(AudioCodecNamesTest, NamesReadBackAndOrdersApply) {
  for (AudioCodec codec : AllCodecs()) EXPECT_EQ(AudioCodecNamed(AudioCodecName(codec)), codec);
  EXPECT_EQ(AudioCodecNamed("g722"), AudioCodec::kG722);
  EXPECT_EQ(AudioCodecNamed("G723"), std::nullopt);
  EXPECT_EQ(AudioCodecsNamed({"G729", "bogus", "PCMA", "g729"}),
            (std::vector<AudioCodec>{AudioCodec::kG729, AudioCodec::kPcma}));
  const std::vector<AudioCodec> room = {AudioCodec::kOpus, AudioCodec::kPcmu, AudioCodec::kPcma};
  // A trunk's order, within what the room takes.
  EXPECT_EQ(ApplyCodecOrder(room, {"G729", "PCMA", "PCMU"}),
            (std::vector<AudioCodec>{AudioCodec::kPcma, AudioCodec::kPcmu}));
  EXPECT_EQ(ApplyCodecOrder(room, {}), room);
  EXPECT_EQ(ApplyCodecOrder(room, {"G729"}), room);  // nothing in common: the room's
}

}  // namespace
}  // namespace tutti::sdp
