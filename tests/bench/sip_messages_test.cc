#include "bench/tutti_load/sip_messages.h"

#include <gtest/gtest.h>

#include <array>
#include <optional>

#include "bench/tutti_load/audio_level.h"
#include "bench/tutti_load/server_api.h"
#include "signaling/sdp/session_description.h"
#include "signaling/sip/sip_parser.h"

namespace tutti::load {
namespace {

LoadCall MakeCall() {
  LoadCall call;
  call.index = 7;
  call.call_id = "tl1x2-7";
  call.from_tag = "t7";
  call.branch = NewBranch(call, 1);
  return call;
}

UacEndpoint Endpoint() {
  UacEndpoint endpoint;
  endpoint.sip_port = 5071;
  endpoint.rtp_port = 40000;
  endpoint.server_port = 5060;
  return endpoint;
}

// What tutti-load sends must pass tutti's own strict parser.
TEST(SipMessagesTest, InviteParsesAndOffersOneCodecWithTelephoneEvents) {
  const std::string text = InviteText(MakeCall(), "load-3", Endpoint(), Codec::kOpus);
  sip::ParseOutcome parsed = sip::ParseSipMessage(text);
  ASSERT_TRUE(parsed.ok()) << parsed.reject_reason;
  EXPECT_EQ(parsed.message.method(), sip::Method::kInvite);
  EXPECT_EQ(parsed.message.request_uri().user, "load-3");
  EXPECT_EQ(parsed.message.call_id(), "tl1x2-7");
  EXPECT_EQ(parsed.message.top_via().branch, "z9hG4bK-tl1x2-7-1");
  absl::StatusOr<sdp::SessionDescription> offer = sdp::ParseSdp(parsed.message.body());
  ASSERT_TRUE(offer.ok()) << offer.status();
  ASSERT_EQ(offer->media.size(), 1u);
  EXPECT_EQ(offer->media[0].port, 40000);
  EXPECT_TRUE(offer->media[0].rtcp_mux);
  ASSERT_NE(offer->media[0].FindRtpMap(111), nullptr);
  EXPECT_EQ(offer->media[0].FindRtpMap(111)->encoding, "opus");
  EXPECT_EQ(offer->media[0].FindRtpMap(101)->clock_rate, 48000);
}

// tutti-load offers the RFC 6464 audio level and, when the answer takes it,
// writes each frame's level in a one-byte header extension.
TEST(SipMessagesTest, OffersTheAudioLevelAndSendsItUnderTheAnswersId) {
  const std::string text = InviteText(MakeCall(), "load-3", Endpoint(), Codec::kPcmu);
  sip::ParseOutcome parsed = sip::ParseSipMessage(text);
  ASSERT_TRUE(parsed.ok()) << parsed.reject_reason;
  absl::StatusOr<sdp::SessionDescription> offer = sdp::ParseSdp(parsed.message.body());
  ASSERT_TRUE(offer.ok()) << offer.status();
  EXPECT_EQ(AudioLevelIdOf(offer->media[0]), 1);

  sdp::MediaDescription answer;
  EXPECT_EQ(AudioLevelIdOf(answer), 0);  // not answered: plain headers
  answer.other_attributes = {{"extmap", "3 urn:ietf:params:rtp-hdrext:sdes:mid"},
                             {"extmap", "4/recvonly urn:ietf:params:rtp-hdrext:ssrc-audio-level"}};
  EXPECT_EQ(AudioLevelIdOf(answer), 4);
  answer.other_attributes = {{"extmap", "40 urn:ietf:params:rtp-hdrext:ssrc-audio-level"}};
  EXPECT_EQ(AudioLevelIdOf(answer), 0);  // beyond the one-byte form we write

  std::array<uint8_t, 64> packet{};
  EXPECT_EQ(WriteHeader({.payload_type = 0, .sequence = 9}, 0, 30, packet.data()),
            media::kRtpHeaderSize);
  EXPECT_EQ(WriteHeader({.payload_type = 0, .sequence = 9}, 4, 30, packet.data()),
            media::kRtpAudioLevelHeaderSize);
  const std::optional<media::RtpView> rtp = media::ParseRtp(packet);
  ASSERT_TRUE(rtp.has_value());
  const std::optional<media::AudioLevel> level = media::FindAudioLevel(*rtp, 4);
  ASSERT_TRUE(level.has_value());
  EXPECT_EQ(level->level, 30);
  EXPECT_TRUE(level->voice);
}

TEST(SipMessagesTest, AVideoCallOffersVp8WithTheFeedbackAForwarderNeeds) {
  UacEndpoint endpoint = Endpoint();
  endpoint.video_rtp_port = 40002;
  endpoint.video_kbps = 1500;
  sip::ParseOutcome parsed =
      sip::ParseSipMessage(InviteText(MakeCall(), "load-3", endpoint, Codec::kPcmu));
  ASSERT_TRUE(parsed.ok()) << parsed.reject_reason;
  absl::StatusOr<sdp::SessionDescription> offer = sdp::ParseSdp(parsed.message.body());
  ASSERT_TRUE(offer.ok()) << offer.status();
  ASSERT_EQ(offer->media.size(), 2u);
  EXPECT_EQ(offer->media[0].media, "audio");
  const sdp::MediaDescription& video = offer->media[1];
  EXPECT_EQ(video.media, "video");
  EXPECT_EQ(video.port, 40002);
  EXPECT_EQ(video.proto, "RTP/AVPF");
  EXPECT_TRUE(video.rtcp_mux);
  ASSERT_NE(video.FindRtpMap(96), nullptr);
  EXPECT_EQ(video.FindRtpMap(96)->encoding, "VP8");
  EXPECT_EQ(video.FindRtpMap(96)->clock_rate, 90000);
  std::vector<std::string> feedback;
  for (const sdp::RtcpFeedback& line : video.rtcp_feedback) {
    feedback.push_back(absl::StrCat(line.payload_type, " ", line.type,
                                    line.parameter.empty() ? "" : " ", line.parameter));
  }
  EXPECT_EQ(feedback,
            (std::vector<std::string>{"96 nack", "96 nack pli", "96 ccm fir", "96 goog-remb"}));
  EXPECT_NE(parsed.message.body().find("b=AS:1500\r\n"), std::string::npos);
  // Without a video port the offer is audio only, as before.
  absl::StatusOr<sdp::SessionDescription> audio_only =
      sdp::ParseSdp(sip::ParseSipMessage(InviteText(MakeCall(), "load-3", Endpoint(), Codec::kPcmu))
                        .message.body());
  ASSERT_TRUE(audio_only.ok());
  EXPECT_EQ(audio_only->media.size(), 1u);
}

TEST(SipMessagesTest, AckAndByeFollowTheDialog) {
  LoadCall call = MakeCall();
  call.to_tag = "srv";
  call.remote_target = "sip:load-3@127.0.0.1:5060";
  sip::ParseOutcome ack = sip::ParseSipMessage(AckText(call, "load-3", Endpoint(), true));
  ASSERT_TRUE(ack.ok()) << ack.reject_reason;
  EXPECT_EQ(ack.message.to().tag, "srv");
  EXPECT_NE(ack.message.top_via().branch, call.branch);  // a 2xx ACK is its own transaction
  sip::ParseOutcome failed_ack = sip::ParseSipMessage(AckText(call, "load-3", Endpoint(), false));
  EXPECT_EQ(failed_ack.message.top_via().branch, call.branch);

  call.cseq = 2;
  sip::ParseOutcome bye = sip::ParseSipMessage(ByeText(call, "load-3", Endpoint()));
  ASSERT_TRUE(bye.ok()) << bye.reject_reason;
  EXPECT_EQ(bye.message.request_uri_text(), "sip:load-3@127.0.0.1:5060");
  EXPECT_EQ(bye.message.cseq().number, 2u);
  EXPECT_EQ(bye.message.cseq().method, sip::Method::kBye);
}

TEST(SipMessagesTest, ReInviteIsAnsweredWithTheOfferAgain) {
  const LoadCall call = MakeCall();
  const std::string reinvite =
      "INVITE sip:load7@127.0.0.1:5071 SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKsrv1\r\n"
      "From: <sip:load-3@127.0.0.1>;tag=srv\r\nTo: <sip:load7@127.0.0.1>;tag=t7\r\n"
      "Call-ID: tl1x2-7\r\nCSeq: 5 INVITE\r\nMax-Forwards: 70\r\n"
      "Content-Type: application/sdp\r\nContent-Length: 4\r\n\r\nv=0\n";
  sip::ParseOutcome request = sip::ParseSipMessage(reinvite);
  ASSERT_TRUE(request.ok()) << request.reject_reason;
  sip::ParseOutcome ok =
      sip::ParseSipMessage(OkText(request.message, call, Endpoint(), Codec::kPcmu));
  ASSERT_TRUE(ok.ok()) << ok.reject_reason;
  EXPECT_EQ(ok.message.status_code(), 200);
  EXPECT_EQ(ok.message.cseq().number, 5u);
  EXPECT_TRUE(sdp::ParseSdp(ok.message.body()).ok());
}

TEST(ServerApiTest, SumsEveryLabelSetOfOneMetricOnly) {
  const std::string text =
      "# TYPE tutti_worker_late_ticks_total counter\n"
      "tutti_worker_late_ticks_total{worker=\"0\"} 3\n"
      "tutti_worker_late_ticks_total{worker=\"1\"} 4\n"
      "tutti_worker_late_ticks_total_extra 100\n"
      "process_cpu_seconds_total 12.5\n";
  EXPECT_EQ(SumOfMetric(text, "tutti_worker_late_ticks_total"), 7);
  EXPECT_EQ(SumOfMetric(text, "process_cpu_seconds_total"), 12.5);
  EXPECT_EQ(SumOfMetric(text, "absent"), 0);
}

TEST(ServerApiTest, TheBusiestWorkersLoadIsTheLargestSample) {
  const std::string text =
      "tutti_worker_load_ratio{worker=\"0\"} 0.25\n"
      "tutti_worker_load_ratio{worker=\"1\"} 0.75\n"
      "tutti_worker_load_ratio_extra 9\n";
  EXPECT_EQ(MaxOfMetric(text, "tutti_worker_load_ratio"), 0.75);
  EXPECT_FALSE(MaxOfMetric(text, "absent").has_value());
}

// On the DPDK path the RTP goes to the DPDK port's address, not to the
// address SIP uses.
TEST(SipMessagesTest, TheOffersConnectionAddressIsTheMediaAddress) {
  UacEndpoint endpoint = Endpoint();
  endpoint.local_address = "127.0.0.1";
  endpoint.media_address = "10.9.0.2";
  const std::string text = InviteText(MakeCall(), "load-3", endpoint, Codec::kPcmu);
  sip::ParseOutcome parsed = sip::ParseSipMessage(text);
  ASSERT_TRUE(parsed.ok()) << parsed.reject_reason;
  EXPECT_EQ(parsed.message.top_via().host, "127.0.0.1");
  absl::StatusOr<sdp::SessionDescription> offer = sdp::ParseSdp(parsed.message.body());
  ASSERT_TRUE(offer.ok()) << offer.status();
  EXPECT_EQ(offer->connection_address, "10.9.0.2");
}

}  // namespace
}  // namespace tutti::load
