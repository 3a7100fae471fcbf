#include "signaling/sdp/session_description.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tutti::sdp {
namespace {

using ::testing::HasSubstr;

// As baresip 1.0 offers it.
constexpr std::string_view kBaresipOffer =
    "v=0\r\n"
    "o=- 1553213384 3294658532 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "c=IN IP4 127.0.0.1\r\n"
    "t=0 0\r\n"
    "m=audio 10226 RTP/AVP 96 0 8 101\r\n"
    "b=AS:64\r\n"
    "a=rtpmap:96 opus/48000/2\r\n"
    "a=fmtp:96 stereo=1;sprop-stereo=1\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-15\r\n"
    "a=sendrecv\r\n"
    "a=label:1\r\n"
    "a=ssrc:1418330126 cname:1c0aff5c-5c2f\r\n";

TEST(ParseSdpTest, BaresipOffer) {
  auto sdp = ParseSdp(kBaresipOffer);
  ASSERT_TRUE(sdp.ok()) << sdp.status();
  EXPECT_EQ(sdp->origin.session_id, 1553213384u);
  EXPECT_EQ(sdp->origin.address, "127.0.0.1");
  EXPECT_EQ(sdp->connection_address, "127.0.0.1");
  ASSERT_EQ(sdp->media.size(), 1u);
  const MediaDescription& audio = sdp->media[0];
  EXPECT_EQ(audio.media, "audio");
  EXPECT_EQ(audio.port, 10226);
  EXPECT_EQ(audio.proto, "RTP/AVP");
  EXPECT_THAT(audio.formats, ::testing::ElementsAre("96", "0", "8", "101"));
  const RtpMap* opus = audio.FindRtpMap(96);
  ASSERT_NE(opus, nullptr);
  EXPECT_EQ(opus->encoding, "opus");
  EXPECT_EQ(opus->clock_rate, 48000);
  EXPECT_EQ(opus->channels, 2);
  EXPECT_EQ(opus->fmtp, "stereo=1;sprop-stereo=1");
  // Static payload types without rtpmap come from RFC 3551.
  ASSERT_NE(audio.FindRtpMap(0), nullptr);
  EXPECT_EQ(audio.FindRtpMap(0)->encoding, "PCMU");
  EXPECT_EQ(audio.FindRtpMap(8)->encoding, "PCMA");
  EXPECT_EQ(audio.FindRtpMap(101)->fmtp, "0-15");
  EXPECT_EQ(audio.direction, Direction::kSendRecv);
  EXPECT_EQ(audio.other_attributes.size(), 2u);
  EXPECT_EQ(audio.other_attributes[1].first, "ssrc");
}

TEST(ParseSdpTest, MediaLevelConnectionDirectionAndRtcp) {
  auto sdp = ParseSdp(
      "v=0\no=alice 1 2 IN IP6 2001:db8::1\ns=call\nt=0 0\na=sendonly\n"
      "m=audio 4000 RTP/AVPF 0\nc=IN IP6 2001:db8::2\na=rtcp:4005 IN IP6 2001:db8::2\n"
      "a=ptime:30\na=maxptime:60\n"
      "m=video 5000 RTP/AVP 31\na=inactive\na=rtcp-mux\n");
  ASSERT_TRUE(sdp.ok()) << sdp.status();
  EXPECT_TRUE(sdp->connection_address.empty());
  EXPECT_EQ(sdp->direction, Direction::kSendOnly);
  ASSERT_EQ(sdp->media.size(), 2u);
  EXPECT_EQ(sdp->media[0].connection_address, "2001:db8::2");
  EXPECT_EQ(sdp->media[0].rtcp_port, 4005);
  EXPECT_EQ(sdp->media[0].ptime, 30);
  EXPECT_EQ(sdp->media[0].maxptime, 60);
  EXPECT_EQ(sdp->media[0].direction, Direction::kSendOnly);  // inherited
  EXPECT_EQ(sdp->media[1].direction, Direction::kInactive);
  EXPECT_TRUE(sdp->media[1].rtcp_mux);
}

TEST(ParseSdpTest, FmtpBeforeRtpmapAndUnknownFormats) {
  auto sdp = ParseSdp(
      "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 10.0.0.1/127\r\nt=0 0\r\n"
      "m=audio 4000 RTP/AVP 97 98\r\na=fmtp:97 mode=20\r\na=rtpmap:97 iLBC/8000\r\n"
      "a=fmtp:98 x=y\r\n");
  ASSERT_TRUE(sdp.ok()) << sdp.status();
  EXPECT_EQ(sdp->connection_address, "10.0.0.1");
  const MediaDescription& audio = sdp->media[0];
  ASSERT_NE(audio.FindRtpMap(97), nullptr);
  EXPECT_EQ(audio.FindRtpMap(97)->fmtp, "mode=20");
  EXPECT_EQ(audio.FindRtpMap(98), nullptr);  // dynamic type without rtpmap: unknown
}

TEST(ParseSdpTest, ErrorsNameTheLine) {
  struct Case {
    std::string text;
    std::string error;
  };
  const Case cases[] = {
      {"", "no v= line"},
      {"v=0\r\ns=-\r\nc=IN IP4 h\r\n", "no o= line"},
      {"o=- 1 1 IN IP4 h\r\n", "line 1"},
      {"v=0\r\nbogus\r\n", "line 2: not a type=value line"},
      {"v=0\r\nm=audio x RTP/AVP 0\r\n", "line 2: m= port is not a number"},
      {"v=0\r\nm=audio 70000 RTP/AVP 0\r\n", "line 2"},
      {"v=0\r\nm=audio 4000 RTP/AVP\r\n", "line 2: m= needs"},
      {"v=0\r\nc=IN IP5 h\r\n", "line 2: c= must be"},
      {"v=0\r\nm=audio 1 RTP/AVP 0\r\na=rtpmap:x PCMU/8000\r\n", "line 3: rtpmap payload type"},
      {"v=0\r\nm=audio 1 RTP/AVP 0\r\na=rtpmap:0 PCMU/fast\r\n", "line 3: rtpmap clock rate"},
      {"v=0\r\nm=audio 1 RTP/AVP 0\r\na=ptime:-5\r\n", "line 3: ptime"},
      {"v=0\r\no=- 1 1 XX IP4 h\r\n", "line 2: o= network type"},
  };
  for (const Case& c : cases) {
    auto sdp = ParseSdp(c.text);
    ASSERT_FALSE(sdp.ok()) << c.text;
    EXPECT_THAT(std::string(sdp.status().message()), HasSubstr(c.error)) << c.text;
  }
}

TEST(ParseSdpTest, TooManyMediaLinesIsAnError) {
  std::string text = "v=0\r\n";
  for (int i = 0; i < 70; ++i) text += "m=audio 4000 RTP/AVP 0\r\n";
  EXPECT_FALSE(ParseSdp(text).ok());
}

TEST(WriteSdpTest, RoundTrip) {
  auto parsed = ParseSdp(kBaresipOffer);
  ASSERT_TRUE(parsed.ok());
  const std::string written = WriteSdp(*parsed);
  EXPECT_THAT(written, HasSubstr("m=audio 10226 RTP/AVP 96 0 8 101\r\n"));
  EXPECT_THAT(written,
              HasSubstr("a=rtpmap:96 opus/48000/2\r\na=fmtp:96 stereo=1;sprop-stereo=1\r\n"));
  EXPECT_THAT(written, HasSubstr("a=label:1\r\n"));
  auto again = ParseSdp(written);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->media[0].formats, parsed->media[0].formats);
  EXPECT_EQ(again->media[0].rtpmaps.size(), parsed->media[0].rtpmaps.size());
  EXPECT_EQ(WriteSdp(*again), written);
}

// As linphone 5.1 offers its video, with bandwidth lines and a content line
// added; LF line ends, as some phones send them.
constexpr std::string_view kVideoOffer = R"(v=0
o=linphone 105 1245 IN IP4 192.0.2.2
s=Talk
c=IN IP4 192.0.2.2
b=AS:2048
t=0 0
m=video 35092 RTP/AVPF 96 97
b=AS:1000
b=TIAS:950000
b=RR:0
b=AS:junk
a=rtpmap:96 VP8/90000
a=rtpmap:97 H264/90000
a=fmtp:97 profile-level-id=42801F
a=rtcp-fb:* trr-int 5000
a=rtcp-fb:* ccm tmmbr
a=rtcp-fb:96 nack pli
a=rtcp-fb:96 nack sli
a=rtcp-fb:96 ack rpsi
a=rtcp-fb:96 ccm fir
a=rtcp-fb:97 nack
a=rtcp-fb:wb nack
a=rtcp-fb:97
a=content:main,alt
)";

TEST(ParseSdpTest, BandwidthFeedbackAndContentOfAVideoLine) {
  auto sdp = ParseSdp(kVideoOffer);
  ASSERT_TRUE(sdp.ok()) << sdp.status();
  EXPECT_EQ(sdp->bandwidth, (Bandwidth{2048, 0}));
  ASSERT_EQ(sdp->media.size(), 1u);
  const MediaDescription& video = sdp->media[0];
  // b=AS:junk is ignored (it cannot refuse an offer), RR is not kept.
  EXPECT_EQ(video.bandwidth, (Bandwidth{1000, 950000}));
  EXPECT_THAT(
      video.rtcp_feedback,
      ::testing::ElementsAre(RtcpFeedback{-1, "trr-int", "5000"}, RtcpFeedback{-1, "ccm", "tmmbr"},
                             RtcpFeedback{96, "nack", "pli"}, RtcpFeedback{96, "nack", "sli"},
                             RtcpFeedback{96, "ack", "rpsi"}, RtcpFeedback{96, "ccm", "fir"},
                             RtcpFeedback{97, "nack", ""}));
  // A line of another form stays an attribute as it came.
  ASSERT_EQ(video.other_attributes.size(), 2u);
  EXPECT_EQ(video.other_attributes[0].second, "wb nack");
  EXPECT_EQ(video.other_attributes[1].second, "97");
  EXPECT_EQ(video.content, "main,alt");
  EXPECT_TRUE(video.HasContent("main"));
  EXPECT_TRUE(video.HasContent("alt"));
  EXPECT_FALSE(video.HasContent("slides"));
}

TEST(WriteSdpTest, VideoLineRoundTrip) {
  auto parsed = ParseSdp(kVideoOffer);
  ASSERT_TRUE(parsed.ok());
  const std::string written = WriteSdp(*parsed);
  EXPECT_THAT(written, HasSubstr("c=IN IP4 192.0.2.2\r\nb=AS:2048\r\nt=0 0\r\n"));
  EXPECT_THAT(written, HasSubstr("m=video 35092 RTP/AVPF 96 97\r\nb=AS:1000\r\nb=TIAS:950000\r\n"
                                 "a=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 nack pli\r\n"));
  EXPECT_THAT(written, HasSubstr("a=fmtp:97 profile-level-id=42801F\r\na=rtcp-fb:97 nack\r\n"
                                 "a=rtcp-fb:* trr-int 5000\r\na=rtcp-fb:* ccm tmmbr\r\n"));
  EXPECT_THAT(written, HasSubstr("a=content:main,alt\r\n"));
  auto again = ParseSdp(written);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->bandwidth, parsed->bandwidth);
  EXPECT_EQ(again->media[0].bandwidth, parsed->media[0].bandwidth);
  EXPECT_EQ(again->media[0].content, parsed->media[0].content);
  EXPECT_EQ(WriteSdp(*again), written);
}

}  // namespace
}  // namespace tutti::sdp
