// Video offer/answer on real offers: baresip 1.0 (vp8, vp9, avcodec),
// linphone 5.1 (VP8 and H.264 with AVPF feedback), Poly/Yealink-shaped
// H.264 (Baseline 42801f/428016, packetization modes 0 and 1, a content
// line), and what tutti answers: one codec of the room's, the feedback it
// supports, bandwidth, rtcp-mux, a=content, SRTP like the audio; declined
// lines keep the call's audio.
#include <string>

#include "common/strings.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "signaling/sdp/offer_answer.h"

namespace tutti::sdp {
namespace {

using media::VideoCodec;
using media::VideoFeedback;
using ::testing::HasSubstr;
using ::testing::Not;

const VideoCodecChoice kVp8{VideoCodec::kVp8, ""};
const VideoCodecChoice kVp9{VideoCodec::kVp9, ""};
const VideoCodecChoice kH264{VideoCodec::kH264, ""};

LocalMedia Local(std::vector<VideoCodecChoice> video = {kVp8, kH264, kVp9}) {
  LocalMedia local{"192.0.2.10", 20000, {AudioCodec::kOpus, AudioCodec::kPcmu}, 77, 1, 20};
  local.video_rtp_port = 20002;
  local.slides_rtp_port = 20004;
  local.video_codecs = std::move(video);
  return local;
}

SessionDescription Parse(std::string_view text) {
  auto sdp = ParseSdp(text);
  EXPECT_TRUE(sdp.ok()) << sdp.status();
  return sdp.ok() ? *sdp : SessionDescription{};
}

CryptoKey Filled(uint8_t value) {
  CryptoKey key{};
  key.fill(value);
  return key;
}

// A VP8 room that requires SRTP, SDES allowed, with a key of ours per stream:
// 0xa1... for the audio, 0xb2... the camera, 0xc3... the content.
LocalMedia SdesRequired() {
  LocalMedia local = Local({kVp8});
  local.security.policy = SrtpPolicy::kRequired;
  local.security.sdes_allowed = true;
  local.security.fresh_key = Filled(0xa1);
  local.security.fresh_video_key = Filled(0xb2);
  local.security.fresh_slides_key = Filled(0xc3);
  return local;
}

// baresip 1.0.0 with g711, opus, fakevideo, vp8, vp9 and avcodec (captured).
constexpr std::string_view kBaresipOffer =
    "v=0\r\no=- 3883132120 71919832 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "a=tool:baresip 1.0.0\r\n"
    "m=audio 6304 RTP/AVP 0 8 96 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:96 opus/48000/2\r\na=fmtp:96 stereo=1;sprop-stereo=1\r\n"
    "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=sendrecv\r\na=label:1\r\n"
    "a=rtcp-rsize\r\na=ssrc:3598705251 cname:sip:alice@127.0.0.1\r\na=minptime:20\r\n"
    "a=ptime:20\r\n"
    "m=video 6924 RTP/AVP 96 97 98 99 34 100 101\r\na=rtpmap:96 VP8/90000\r\n"
    "a=fmtp:96 max-fs=3600\r\na=rtpmap:97 VP9/90000\r\na=fmtp:97 max-fs=3600\r\n"
    "a=rtpmap:98 H264/90000\r\na=fmtp:98 packetization-mode=0;profile-level-id=42e01f\r\n"
    "a=rtpmap:99 H264/90000\r\na=fmtp:99 packetization-mode=1;profile-level-id=42e01f\r\n"
    "a=rtpmap:34 H263/90000\r\na=fmtp:34 CIF=1;CIF4=1\r\na=rtpmap:100 MP4V-ES/90000\r\n"
    "a=fmtp:100 profile-level-id=3\r\na=rtpmap:101 H265/90000\r\na=fmtp:101 profile-id=1\r\n"
    "a=sendrecv\r\na=label:2\r\na=rtcp-rsize\r\na=ssrc:1545655825 cname:sip:alice@127.0.0.1\r\n"
    "a=framerate:25.00\r\na=rtcp-fb:* nack pli\r\na=content:main\r\n";

// linphone 5.1 (captured), its profile switched to AVPF as with avpf=1 and rtcp-mux added.
constexpr std::string_view kLinphoneOffer =
    "v=0\r\no=linphone 105 1245 IN IP4 192.0.2.2\r\ns=Talk\r\nc=IN IP4 192.0.2.2\r\nt=0 0\r\n"
    "a=rtcp-xr:rcvr-rtt=all:10000 stat-summary=loss,dup,jitt,TTL voip-metrics\r\n"
    "m=audio 35090 RTP/AVPF 96 97 98 0 8 18 99 100 101\r\na=rtpmap:96 opus/48000/2\r\n"
    "a=fmtp:96 useinbandfec=1\r\na=rtpmap:97 speex/16000\r\na=fmtp:97 vbr=on\r\n"
    "a=rtpmap:98 speex/8000\r\na=fmtp:98 vbr=on\r\na=fmtp:18 annexb=yes\r\n"
    "a=rtpmap:99 telephone-event/48000\r\na=rtpmap:100 telephone-event/16000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\na=rtcp-fb:* trr-int 5000\r\na=rtcp-fb:* ccm tmmbr\r\n"
    "m=video 35092 RTP/AVPF 96 97\r\na=rtpmap:96 VP8/90000\r\na=rtpmap:97 H264/90000\r\n"
    "a=fmtp:97 profile-level-id=42801F\r\na=rtcp-mux\r\na=rtcp-fb:* trr-int 5000\r\n"
    "a=rtcp-fb:* ccm tmmbr\r\na=rtcp-fb:96 nack pli\r\na=rtcp-fb:96 nack sli\r\n"
    "a=rtcp-fb:96 ack rpsi\r\na=rtcp-fb:96 ccm fir\r\na=rtcp-fb:97 nack pli\r\n"
    "a=rtcp-fb:97 ccm fir\r\n";

// Shaped like a Poly/Yealink room phone's offer: H.264 Baseline in both
// packetization modes, bandwidth lines, FIR and TMMBR only, and a content
// line for its presentation (RFC 4796) on a port of its own.
std::string RoomPhoneOffer(std::string_view profile = "42801f") {
  return StrCat(
      "v=0\r\no=Poly 1 1 IN IP4 198.51.100.20\r\ns=-\r\nc=IN IP4 198.51.100.20\r\n"
      "b=AS:2048\r\nt=0 0\r\n"
      "m=audio 2226 RTP/AVP 9 0 8 101\r\na=rtpmap:9 G722/8000\r\n"
      "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=sendrecv\r\n"
      "m=video 2236 RTP/AVP 109 110 34\r\nb=AS:1024\r\nb=TIAS:1000000\r\n"
      "a=rtpmap:109 H264/90000\r\na=fmtp:109 profile-level-id=",
      profile,
      "; max-mbps=108000; max-fs=3600; sar=13\r\n"
      "a=rtpmap:110 H264/90000\r\na=fmtp:110 profile-level-id=",
      profile,
      "; packetization-mode=1; max-mbps=108000; max-fs=3600; sar=13\r\n"
      "a=rtpmap:34 H263/90000\r\na=fmtp:34 CIF=1;QCIF=1\r\n"
      "a=rtcp-fb:* ccm fir\r\na=rtcp-fb:* ccm tmmbr\r\na=sendrecv\r\na=label:1\r\n"
      "m=video 2240 RTP/AVP 109 110\r\nb=AS:512\r\n"
      "a=rtpmap:109 H264/90000\r\na=fmtp:109 profile-level-id=",
      profile, "\r\na=rtpmap:110 H264/90000\r\na=fmtp:110 profile-level-id=", profile,
      "; packetization-mode=1\r\n"
      "a=rtcp-fb:* ccm fir\r\na=sendrecv\r\na=content:slides\r\na=label:3\r\n");
}

TEST(VideoAnswerTest, BaresipGetsTheRoomsFirstCodecWithItsFeedback) {
  auto result = AnswerOffer(Parse(kBaresipOffer), Local());
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_TRUE(result->video);
  EXPECT_FALSE(result->slides);
  const NegotiatedVideo& video = *result->video;
  EXPECT_EQ(video.codec, VideoCodec::kVp8);
  EXPECT_EQ(video.payload_type, 96);
  EXPECT_EQ(video.fmtp, "max-fs=3600");
  // baresip's "* nack pli" is PLI alone: no generic NACK, no FIR.
  EXPECT_EQ(video.feedback, (VideoFeedback{.pli = true}));
  EXPECT_EQ(video.direction, Direction::kSendRecv);
  EXPECT_EQ(video.remote_address, "127.0.0.1");
  EXPECT_EQ(video.remote_rtp_port, 6924);
  EXPECT_EQ(video.remote_rtcp_port, 6925);
  EXPECT_FALSE(video.rtcp_mux);
  EXPECT_FALSE(video.slides);
  EXPECT_EQ(video.max_receive_bps, 0u);
  EXPECT_FALSE(video.encrypted());
  EXPECT_TRUE(result->declined.empty());
  const std::string answer = WriteSdp(result->answer);
  EXPECT_THAT(answer, HasSubstr("m=video 20002 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n"
                                "a=fmtp:96 max-fs=3600\r\na=rtcp-fb:96 nack pli\r\n"
                                "a=sendrecv\r\na=content:main\r\n"));
  EXPECT_THAT(answer, Not(HasSubstr("b=")));
  EXPECT_THAT(answer, Not(HasSubstr("H264")));
  EXPECT_TRUE(ParseSdp(answer).ok());
  // The audio is answered as before.
  EXPECT_EQ(result->audio.codec, AudioCodec::kPcmu);
}

TEST(VideoAnswerTest, TheRoomsPreferenceDecidesNotTheOfferers) {
  auto h264 = AnswerOffer(Parse(kBaresipOffer), Local({kH264, kVp8}));
  ASSERT_TRUE(h264.ok() && h264->video);
  // Mode 1 (PT 99), not the offer's first H.264 (PT 98, mode 0).
  EXPECT_EQ(h264->video->codec, VideoCodec::kH264);
  EXPECT_EQ(h264->video->payload_type, 99);
  EXPECT_EQ(h264->video->fmtp, "profile-level-id=42e01f;packetization-mode=1");
  EXPECT_THAT(WriteSdp(h264->answer),
              HasSubstr("m=video 20002 RTP/AVP 99\r\na=rtpmap:99 H264/90000\r\n"
                        "a=fmtp:99 profile-level-id=42e01f;packetization-mode=1\r\n"));
  auto vp9 = AnswerOffer(Parse(kBaresipOffer), Local({kVp9}));
  ASSERT_TRUE(vp9.ok() && vp9->video);
  EXPECT_EQ(vp9->video->codec, VideoCodec::kVp9);
  EXPECT_EQ(vp9->video->payload_type, 97);
}

TEST(VideoAnswerTest, LinphoneAvpfKeepsOnlyTheFeedbackTuttiSupports) {
  auto result = AnswerOffer(Parse(kLinphoneOffer), Local());
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_TRUE(result->video);
  EXPECT_EQ(result->video->codec, VideoCodec::kVp8);
  EXPECT_EQ(result->video->payload_type, 96);
  EXPECT_EQ(result->video->fmtp, "");
  EXPECT_EQ(result->video->feedback, (VideoFeedback{.pli = true, .fir = true, .tmmbr = true}));
  EXPECT_TRUE(result->video->rtcp_mux);
  EXPECT_EQ(result->video->remote_rtcp_port, 35092);
  const std::string answer = WriteSdp(result->answer);
  EXPECT_THAT(answer, HasSubstr("m=video 20002 RTP/AVPF 96\r\na=rtpmap:96 VP8/90000\r\n"
                                "a=rtcp-fb:96 nack pli\r\na=rtcp-fb:96 ccm fir\r\n"
                                "a=rtcp-fb:96 ccm tmmbr\r\na=sendrecv\r\na=rtcp-mux\r\n"));
  EXPECT_THAT(answer, Not(HasSubstr("sli")));
  EXPECT_THAT(answer, Not(HasSubstr("rpsi")));
  EXPECT_THAT(answer, Not(HasSubstr("trr-int")));
  EXPECT_THAT(answer, Not(HasSubstr("a=content")));  // the offer had none
}

TEST(VideoAnswerTest, FeedbackOfAnotherPayloadTypeIsNotTheChosenOnes) {
  auto result = AnswerOffer(
      Parse("v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
            "m=audio 3000 RTP/AVP 0\r\n"
            "m=video 3002 RTP/AVPF 97 96\r\na=rtpmap:96 VP8/90000\r\na=rtpmap:97 H264/90000\r\n"
            "a=rtcp-fb:97 goog-remb\r\na=rtcp-fb:97 nack\r\na=rtcp-fb:96 ccm fir\r\n"
            "a=rtcp-fb:* nack pli\r\n"),
      Local({kVp8}));
  ASSERT_TRUE(result.ok() && result->video);
  EXPECT_EQ(result->video->payload_type, 96);
  EXPECT_EQ(result->video->feedback, (VideoFeedback{.pli = true, .fir = true}));
  EXPECT_THAT(WriteSdp(result->answer),
              HasSubstr("a=rtcp-fb:96 nack pli\r\na=rtcp-fb:96 ccm fir\r\na=sendrecv\r\n"));
}

TEST(VideoAnswerTest, LinphonesH264WithoutAModeIsModeZeroAndNeedsARoomThatNamesIt) {
  auto mode1 = AnswerOffer(Parse(kLinphoneOffer), Local({kH264}));
  ASSERT_TRUE(mode1.ok()) << mode1.status();  // the audio is kept
  EXPECT_FALSE(mode1->video);
  EXPECT_EQ(mode1->answer.media[1].port, 0);
  ASSERT_EQ(mode1->declined.size(), 1u);
  EXPECT_EQ(mode1->declined[0].media, "video");
  EXPECT_EQ(mode1->declined[0].why, "no common video codec (offered: VP8 H264; accepted: H264)");

  auto mode0 =
      AnswerOffer(Parse(kLinphoneOffer), Local({{VideoCodec::kH264, "packetization-mode=0"}}));
  ASSERT_TRUE(mode0.ok() && mode0->video);
  EXPECT_EQ(mode0->video->payload_type, 97);
  EXPECT_EQ(mode0->video->fmtp, "profile-level-id=42801f;packetization-mode=0");
  EXPECT_EQ(mode0->video->feedback, (VideoFeedback{.pli = true, .fir = true, .tmmbr = true}));
}

TEST(VideoAnswerTest, ARoomPhoneGetsItsCameraAndItsContentLine) {
  auto result = AnswerOffer(Parse(RoomPhoneOffer()), Local({kH264}));
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_TRUE(result->video);
  ASSERT_TRUE(result->slides);
  EXPECT_EQ(result->video->payload_type, 110);  // mode 1
  EXPECT_EQ(result->video->fmtp, "profile-level-id=42801f;packetization-mode=1");
  EXPECT_EQ(result->video->feedback, (VideoFeedback{.fir = true, .tmmbr = true}));
  EXPECT_EQ(result->video->max_receive_bps, 1000000u);  // b=TIAS before b=AS
  EXPECT_FALSE(result->video->slides);
  EXPECT_EQ(result->slides->remote_rtp_port, 2240);
  EXPECT_EQ(result->slides->payload_type, 110);
  EXPECT_EQ(result->slides->max_receive_bps, 512000u);  // b=AS in kb/s
  EXPECT_EQ(result->slides->feedback, (VideoFeedback{.fir = true}));
  EXPECT_TRUE(result->slides->slides);
  ASSERT_EQ(result->answer.media.size(), 3u);
  EXPECT_EQ(result->answer.media[1].port, 20002);
  EXPECT_EQ(result->answer.media[2].port, 20004);
  const std::string answer = WriteSdp(result->answer);
  EXPECT_THAT(answer, HasSubstr("m=video 20004 RTP/AVP 110\r\n"));
  EXPECT_THAT(answer, HasSubstr("a=content:slides\r\n"));
  // Mode 0 where the room names it; Yealink's level 2.2 is answered as offered.
  auto yealink =
      AnswerOffer(Parse(RoomPhoneOffer("428016")),
                  Local({{VideoCodec::kH264, "profile-level-id=42e01f;packetization-mode=0"}}));
  ASSERT_TRUE(yealink.ok() && yealink->video && yealink->slides);
  EXPECT_EQ(yealink->video->payload_type, 109);
  EXPECT_EQ(yealink->video->fmtp, "profile-level-id=428016;packetization-mode=0");
}

TEST(VideoAnswerTest, ARoomLockedToAProfileTakesOnlyThatProfile) {
  // The room was locked by a Constrained Baseline 3.1 caller.
  const VideoCodecChoice lock{VideoCodec::kH264, "profile-level-id=42e01f;packetization-mode=1"};
  auto poly = AnswerOffer(Parse(RoomPhoneOffer("42801f")), Local({lock}));
  ASSERT_TRUE(poly.ok() && poly->video);
  EXPECT_EQ(poly->video->fmtp, "profile-level-id=42801f;packetization-mode=1");
  auto high = AnswerOffer(Parse(RoomPhoneOffer("640028")), Local({lock}));
  ASSERT_TRUE(high.ok()) << high.status();
  EXPECT_FALSE(high->video);
  EXPECT_FALSE(high->slides);
  ASSERT_EQ(high->declined.size(), 2u);
  EXPECT_THAT(high->declined[0].why, HasSubstr("no common video codec (offered: H264 H263; "
                                               "accepted: H264 (profile-level-id=42e01f;"));
  // A lower level lock answers its own level in the offer's profile.
  auto lower =
      AnswerOffer(Parse(RoomPhoneOffer("42801f")),
                  Local({{VideoCodec::kH264, "profile-level-id=42e016;packetization-mode=1"}}));
  ASSERT_TRUE(lower.ok() && lower->video);
  EXPECT_EQ(lower->video->fmtp, "profile-level-id=428016;packetization-mode=1");
}

TEST(VideoAnswerTest, TheContentLineSharesTheCamerasCodec) {
  auto result = AnswerOffer(
      Parse("v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
            "m=audio 3000 RTP/AVP 0\r\n"
            "m=video 3002 RTP/AVP 96 99\r\na=rtpmap:96 VP8/90000\r\na=rtpmap:99 H264/90000\r\n"
            "a=fmtp:99 packetization-mode=1;profile-level-id=42e01f\r\n"
            "m=video 3004 RTP/AVP 99\r\na=rtpmap:99 H264/90000\r\n"
            "a=fmtp:99 packetization-mode=1;profile-level-id=42e01f\r\na=content:slides\r\n"),
      Local());
  ASSERT_TRUE(result.ok() && result->video);
  EXPECT_EQ(result->video->codec, VideoCodec::kVp8);
  EXPECT_FALSE(result->slides);  // H.264 only: not the call's codec
  ASSERT_EQ(result->declined.size(), 1u);
  EXPECT_EQ(result->declined[0].why, "no common video codec (offered: H264; accepted: VP8)");
}

TEST(VideoAnswerTest, OurBandwidthLimitIsSaidOnEveryVideoLine) {
  LocalMedia local = Local({kH264});
  local.video_max_bps = 1'500'000;
  auto result = AnswerOffer(Parse(RoomPhoneOffer()), local);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->answer.media[1].bandwidth, (Bandwidth{1500, 1500000}));
  EXPECT_EQ(result->answer.media[2].bandwidth, (Bandwidth{1500, 1500000}));
  EXPECT_EQ(result->answer.media[0].bandwidth, Bandwidth{});  // audio: none
  EXPECT_THAT(WriteSdp(result->answer),
              HasSubstr("m=video 20002 RTP/AVP 110\r\nb=AS:1500\r\nb=TIAS:1500000\r\n"));
  // Only a session-level b=AS from the peer: taken as the upper bound.
  auto session_only = AnswerOffer(
      Parse("v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nb=AS:384\r\nt=0 0\r\n"
            "m=audio 3000 RTP/AVP 0\r\nm=video 3002 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n"),
      Local());
  ASSERT_TRUE(session_only.ok() && session_only->video);
  EXPECT_EQ(session_only->video->max_receive_bps, 384000u);
}

TEST(VideoAnswerTest, DeclinedVideoKeepsTheAudio) {
  const std::string audio = "m=audio 3000 RTP/AVP 0\r\n";
  const auto answer = [&](std::string_view video, LocalMedia local = Local()) {
    return AnswerOffer(
        Parse(StrCat("v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n", audio,
                     video)),
        local);
  };
  struct Case {
    std::string video;
    LocalMedia local;
    std::string why;
  };
  LocalMedia no_port = Local();
  no_port.video_rtp_port = 0;
  no_port.no_video_why = "the room is audio-only";
  const Case cases[] = {
      {"m=video 3002 RTP/AVP 34\r\na=rtpmap:34 H263/90000\r\n", Local(),
       "no common video codec (offered: H263; accepted: VP8 H264 VP9)"},
      {"m=video 3002 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n", no_port, "the room is audio-only"},
      {"m=video 3002 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\na=content:alt\r\n", Local(),
       "a=content:alt is not taken (a camera and slides are)"},
      {"m=video 3002 RTP/AVP 96\r\na=rtpmap:96 VP8/8000\r\n", Local(),
       "no common video codec (offered: VP8; accepted: VP8 H264 VP9)"},
      {"m=video 3002 RTP/AVP 96\r\nc=IN IP4 224.2.2.2\r\na=rtpmap:96 VP8/90000\r\n", Local(),
       "multicast connection address 224.2.2.2"},
      {"m=video 3002 RTP/SAVP 96\r\na=rtpmap:96 VP8/90000\r\n", Local(), "SRTP is off here"},
      {"m=video 3002 TCP/BFCP *\r\n", Local(), "unsupported transport TCP/BFCP"},
  };
  for (const Case& c : cases) {
    auto result = answer(c.video, c.local);
    ASSERT_TRUE(result.ok()) << c.video << result.status();
    EXPECT_FALSE(result->video) << c.video;
    EXPECT_EQ(result->answer.media[0].port, 20000) << c.video;
    ASSERT_EQ(result->answer.media.size(), 2u);
    EXPECT_EQ(result->answer.media[1].port, 0) << c.video;
    ASSERT_EQ(result->declined.size(), 1u) << c.video;
    EXPECT_EQ(result->declined[0].why, c.why) << c.video;
  }
  // A line the offerer disabled itself is declined without a word.
  auto disabled = answer("m=video 0 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n");
  ASSERT_TRUE(disabled.ok());
  EXPECT_FALSE(disabled->video);
  EXPECT_TRUE(disabled->declined.empty());
  // A second camera line: one camera per call.
  auto two = answer(
      "m=video 3002 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n"
      "m=video 3004 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\na=content:main\r\n");
  ASSERT_TRUE(two.ok() && two->video);
  EXPECT_EQ(two->video->remote_rtp_port, 3002);
  ASSERT_EQ(two->declined.size(), 1u);
  EXPECT_EQ(two->declined[0].why, "one camera stream per call, and an earlier one was taken");
  // Video alone is no call: the audio decides.
  auto video_only =
      AnswerOffer(Parse("v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
                        "m=video 3002 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n"),
                  Local());
  EXPECT_EQ(video_only.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(VideoAnswerTest, SdesGivesEachVideoLineAContextOfItsOwn) {
  LocalMedia local = SdesRequired();
  const std::string crypto =
      "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd\r\n";
  const std::string offer = StrCat(
      "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
      "m=audio 3000 RTP/SAVP 0\r\n",
      crypto, "m=video 3002 RTP/SAVP 96\r\na=rtpmap:96 VP8/90000\r\n", crypto,
      "m=video 3004 RTP/SAVP 96\r\na=rtpmap:96 VP8/90000\r\na=content:slides\r\n", crypto,
      "m=video 3006 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\na=content:slides\r\n");
  auto result = AnswerOffer(Parse(offer), local);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_TRUE(result->video && result->video->sdes);
  ASSERT_TRUE(result->slides && result->slides->sdes);
  EXPECT_EQ(result->audio.sdes->local, Filled(0xa1));
  EXPECT_EQ(result->video->sdes->local, Filled(0xb2));
  EXPECT_EQ(result->slides->sdes->local, Filled(0xc3));
  EXPECT_EQ(result->video->sdes->remote, result->audio.sdes->remote);
  const std::string answer = WriteSdp(result->answer);
  EXPECT_THAT(answer, HasSubstr("m=video 20002 RTP/SAVP 96\r\n"));
  // Three a=crypto lines, three keys of ours.
  size_t lines = 0;
  for (size_t at = answer.find("a=crypto:1 "); at != std::string::npos;
       at = answer.find("a=crypto:1 ", at + 1)) {
    ++lines;
  }
  EXPECT_EQ(lines, 3u);
  // The plain slides line after the taken one is declined (one content stream).
  EXPECT_EQ(result->answer.media[3].port, 0);

  // A re-offer repeating the video's key keeps our key for it; the slides
  // line's new key gets a fresh one.
  local.security.current_video = result->video->sdes;
  local.security.fresh_video_key = Filled(0xd4);
  auto again = AnswerOffer(Parse(offer), local, OfferKind::kReOffer);
  ASSERT_TRUE(again.ok() && again->video && again->video->sdes);
  EXPECT_EQ(again->video->sdes->local, Filled(0xb2));
}

TEST(VideoAnswerTest, DtlsVideoIsAnsweredPassiveWithOurFingerprint) {
  LocalMedia local = Local({kVp8});
  local.security.policy = SrtpPolicy::kOptional;
  local.security.dtls_fingerprint = {"sha-256", std::vector<uint8_t>(32, 0xab)};
  const std::string fingerprint =
      "a=fingerprint:sha-256 "
      "11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:"
      "EE:FF:00\r\na=setup:actpass\r\n";
  auto result = AnswerOffer(
      Parse(StrCat("v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n", fingerprint,
                   "m=audio 3000 UDP/TLS/RTP/SAVPF 0\r\n"
                   "m=video 3002 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n"
                   "a=rtcp-fb:96 goog-remb\r\na=rtcp-fb:96 transport-cc\r\n")),
      local);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_TRUE(result->video && result->video->dtls);
  EXPECT_TRUE(result->video->dtls->server);
  EXPECT_EQ(result->video->dtls, result->audio.dtls);
  EXPECT_EQ(result->video->feedback, (VideoFeedback{.remb = true}));
  const std::string answer = WriteSdp(result->answer);
  const std::string video = answer.substr(answer.find("m=video"));
  EXPECT_THAT(video, HasSubstr("a=rtcp-fb:96 goog-remb\r\n"));
  EXPECT_THAT(video, Not(HasSubstr("transport-cc")));
  EXPECT_THAT(video, HasSubstr("a=setup:passive\r\n"));
  EXPECT_THAT(video, HasSubstr("a=fingerprint:sha-256 AB:AB"));
}

TEST(VideoAnswerTest, ReOffersHoldResumeAndRemoveTheVideo) {
  const auto offer = [](std::string_view video) {
    return Parse(StrCat("v=0\r\no=- 1 2 IN IP4 h\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n",
                        "m=audio 3000 RTP/AVP 0\r\na=sendonly\r\n", video));
  };
  auto hold =
      AnswerOffer(offer("m=video 3002 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\na=sendonly\r\n"),
                  Local(), OfferKind::kReOffer);
  ASSERT_TRUE(hold.ok() && hold->video);
  EXPECT_EQ(hold->audio.direction, Direction::kRecvOnly);
  EXPECT_EQ(hold->video->direction, Direction::kRecvOnly);
  EXPECT_THAT(WriteSdp(hold->answer), HasSubstr("a=rtpmap:96 VP8/90000\r\na=recvonly\r\n"));
  auto inactive =
      AnswerOffer(offer("m=video 3002 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\na=inactive\r\n"),
                  Local(), OfferKind::kReOffer);
  ASSERT_TRUE(inactive.ok() && inactive->video);
  EXPECT_EQ(inactive->video->direction, Direction::kInactive);
  // Old-style hold on the video line's own c=.
  auto zero =
      AnswerOffer(offer("m=video 3002 RTP/AVP 96\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:96 VP8/90000\r\n"),
                  Local(), OfferKind::kReOffer);
  ASSERT_TRUE(zero.ok() && zero->video);
  EXPECT_EQ(zero->video->direction, Direction::kRecvOnly);
  // ... which an initial offer may not do: the video is declined, the call kept.
  auto initial_zero = AnswerOffer(
      offer("m=video 3002 RTP/AVP 96\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:96 VP8/90000\r\n"), Local());
  ASSERT_TRUE(initial_zero.ok());
  EXPECT_FALSE(initial_zero->video);
  // Removed: port 0, or the line gone.
  auto removed = AnswerOffer(offer("m=video 0 RTP/AVP 96\r\n"), Local(), OfferKind::kReOffer);
  ASSERT_TRUE(removed.ok());
  EXPECT_FALSE(removed->video);
  auto gone = AnswerOffer(offer(""), Local(), OfferKind::kReOffer);
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->video);
}

TEST(VideoOfferTest, OffersTheRoomsCodecsAndReadsTheAnswer) {
  LocalMedia local = Local({kVp8, kH264});
  local.slides_rtp_port = 0;
  local.video_max_bps = 2'000'000;
  const SessionDescription offer = MakeOffer(local);
  const std::string text = WriteSdp(offer);
  EXPECT_THAT(text, HasSubstr("m=video 20002 RTP/AVP 96 97\r\nb=AS:2000\r\nb=TIAS:2000000\r\n"
                              "a=rtpmap:96 VP8/90000\r\na=rtpmap:97 H264/90000\r\n"
                              "a=fmtp:97 profile-level-id=42e01f;packetization-mode=1\r\n"
                              "a=rtcp-fb:* nack\r\na=rtcp-fb:* nack pli\r\na=rtcp-fb:* ccm fir\r\n"
                              "a=rtcp-fb:* ccm tmmbr\r\na=rtcp-fb:* goog-remb\r\n"
                              "a=sendrecv\r\na=rtcp-mux\r\n"));
  EXPECT_THAT(text, Not(HasSubstr("a=content")));
  EXPECT_EQ(offer.media.size(), 2u);

  // baresip answering with H.264 and PLI only.
  auto accepted = AcceptAnswer(
      offer, Parse("v=0\r\no=- 5 5 IN IP4 h\r\ns=-\r\nc=IN IP4 10.1.1.1\r\nt=0 0\r\n"
                   "m=audio 7000 RTP/AVP 0\r\n"
                   "m=video 7002 RTP/AVP 97\r\nb=TIAS:800000\r\na=rtpmap:97 H264/90000\r\n"
                   "a=fmtp:97 packetization-mode=1;profile-level-id=42e01f\r\n"
                   "a=rtcp-fb:* nack pli\r\na=sendonly\r\n"));
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  EXPECT_EQ(accepted->audio.codec, AudioCodec::kPcmu);
  ASSERT_TRUE(accepted->video);
  EXPECT_FALSE(accepted->slides);
  EXPECT_EQ(accepted->video->codec, VideoCodec::kH264);
  EXPECT_EQ(accepted->video->payload_type, 97);
  EXPECT_EQ(accepted->video->fmtp, "profile-level-id=42e01f;packetization-mode=1");
  EXPECT_EQ(accepted->video->feedback, (VideoFeedback{.pli = true}));
  EXPECT_EQ(accepted->video->max_receive_bps, 800000u);
  EXPECT_EQ(accepted->video->direction, Direction::kRecvOnly);
  EXPECT_EQ(accepted->video->remote_rtp_port, 7002);
  EXPECT_EQ(accepted->video->remote_rtcp_port, 7003);

  // Declined, or answered with nothing we take: no video, the audio stays.
  for (std::string_view video : {"m=video 0 RTP/AVP 96\r\n",
                                 "m=video 7002 RTP/AVP 97\r\na=rtpmap:97 H264/90000\r\na=fmtp:97 "
                                 "profile-level-id=42e01f\r\n",
                                 "m=video 7002 RTP/AVP 98\r\na=rtpmap:98 VP9/90000\r\n"}) {
    auto without = AcceptAnswer(
        offer, Parse(StrCat("v=0\r\no=- 5 5 IN IP4 h\r\ns=-\r\nc=IN IP4 10.1.1.1\r\nt=0 0\r\n"
                            "m=audio 7000 RTP/AVP 0\r\n",
                            video)));
    ASSERT_TRUE(without.ok()) << video << without.status();
    EXPECT_FALSE(without->video) << video;
  }
}

TEST(VideoOfferTest, AnAnswerThatLeavesOutTheVideoLineKeepsTheAudio) {
  const SessionDescription offer = MakeOffer(Local({kVp8}));
  ASSERT_EQ(offer.media.size(), 3u);
  auto accepted =
      AcceptAnswer(offer, Parse("v=0\r\no=- 5 5 IN IP4 h\r\ns=-\r\nc=IN IP4 10.1.1.1\r\nt=0 0\r\n"
                                "m=audio 7000 RTP/AVP 0\r\n"));
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  EXPECT_EQ(accepted->audio.remote_rtp_port, 7000);
  EXPECT_FALSE(accepted->video);
  EXPECT_FALSE(accepted->slides);
  // More lines than offered is no answer to this offer.
  EXPECT_FALSE(AcceptAnswer(MakeOffer(Local({})),
                            Parse("v=0\r\no=- 5 5 IN IP4 h\r\ns=-\r\nc=IN IP4 10.1.1.1\r\nt=0 0\r\n"
                                  "m=audio 7000 RTP/AVP 0\r\nm=video 0 RTP/AVP 96\r\n"))
                   .ok());
}

TEST(VideoOfferTest, ContentLineAndSdesAsTheAudioHas) {
  LocalMedia local = SdesRequired();
  const SessionDescription offer = MakeOffer(local);
  ASSERT_EQ(offer.media.size(), 3u);
  EXPECT_EQ(offer.media[1].content, "main");
  EXPECT_EQ(offer.media[2].content, "slides");
  EXPECT_EQ(offer.media[2].port, 20004);
  EXPECT_EQ(offer.media[1].proto, "RTP/SAVP");
  const std::string their_crypto =
      "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd\r\n";
  const auto answer = [&](std::string_view video_proto) {
    return AcceptAnswer(
        offer,
        Parse(StrCat("v=0\r\no=- 5 5 IN IP4 h\r\ns=-\r\nc=IN IP4 10.1.1.1\r\nt=0 0\r\n"
                     "m=audio 7000 RTP/SAVP 0\r\n",
                     their_crypto, "m=video 7002 ", video_proto, " 96\r\na=rtpmap:96 VP8/90000\r\n",
                     their_crypto, "m=video 7004 ", video_proto,
                     " 96\r\na=rtpmap:96 VP8/90000\r\na=content:slides\r\n", their_crypto)));
  };
  auto accepted = answer("RTP/SAVP");
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  ASSERT_TRUE(accepted->video && accepted->video->sdes);
  ASSERT_TRUE(accepted->slides && accepted->slides->sdes);
  EXPECT_EQ(accepted->video->sdes->local, Filled(0xb2));
  EXPECT_EQ(accepted->slides->sdes->local, Filled(0xc3));
  EXPECT_TRUE(accepted->slides->slides);
  // SRTP offered, plain answered: never in the clear, the video is off.
  auto plain = answer("RTP/AVP");
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_FALSE(plain->video);
  EXPECT_FALSE(plain->slides);
}

TEST(VideoOfferTest, NoVideoPortOrCodecNoVideoLine) {
  LocalMedia local = Local();
  local.video_rtp_port = 0;
  local.slides_rtp_port = 0;
  EXPECT_EQ(MakeOffer(local).media.size(), 1u);
  LocalMedia no_codecs = Local({});
  EXPECT_EQ(MakeOffer(no_codecs).media.size(), 1u);
}

}  // namespace
}  // namespace tutti::sdp
