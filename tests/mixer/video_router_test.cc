// The conference's video forwarding, through Conference::OnVideo and Tick
// with real participants and real VP8 packets (RFC 7741 built byte by byte):
// keyframe-gated switches, one continuous stream per receiver, and RTCP
// feedback translated to the source a receiver watches.
#include <map>
#include <memory>
#include <vector>

#include "gtest/gtest.h"
#include "mediaplane/port_allocator.h"
#include "mediaplane/rtp/rtcp_feedback.h"
#include "mediaplane/rtp/rtp_packet.h"
#include "mixer/conference.h"

namespace tutti::mixer {
namespace {

constexpr uint8_t kVp8 = 96;

// Collects what the conference sends, by destination port.
class VideoSink : public TickSink {
 public:
  uint8_t* NextBuffer() override { return buffer_.data(); }
  void Commit(uint16_t, const media::Endpoint& remote, uint16_t size) override {
    packets[remote.port].emplace_back(buffer_.begin(), buffer_.begin() + size);
  }
  void TalkingChanged(uint64_t, bool) override {}
  void VideoSourceChanged(uint64_t participant_id, uint64_t source_id, bool slides) override {
    changes.push_back({participant_id, source_id, slides});
  }
  struct Change {
    uint64_t participant = 0;
    uint64_t source = 0;
    bool slides = false;
  };
  std::map<uint16_t, std::vector<std::vector<uint8_t>>> packets;
  std::vector<Change> changes;

 private:
  std::array<uint8_t, media::kMaxDatagramBytes> buffer_{};
};

// The RTP packets among what went to a port (RTCP left out).
std::vector<media::RtpView> RtpTo(const VideoSink& sink, uint16_t port) {
  std::vector<media::RtpView> rtp;
  auto it = sink.packets.find(port);
  if (it == sink.packets.end()) return rtp;
  for (const auto& packet : it->second) {
    if (media::LooksLikeRtcp(packet)) continue;
    if (auto view = media::ParseRtp(packet)) rtp.push_back(*view);
  }
  return rtp;
}

// The feedback among what went to a port.
std::vector<media::RtcpFeedback> FeedbackTo(const VideoSink& sink, uint16_t port) {
  std::vector<media::RtcpFeedback> feedback;
  auto it = sink.packets.find(port);
  if (it == sink.packets.end()) return feedback;
  for (const auto& packet : it->second) {
    if (!media::LooksLikeRtcp(packet)) continue;
    if (auto parsed = media::ParseRtcpFeedback(packet); parsed && parsed->any()) {
      feedback.push_back(*parsed);
    }
  }
  return feedback;
}

int PliCount(const VideoSink& sink, uint16_t port) {
  int count = 0;
  for (const auto& feedback : FeedbackTo(sink, port)) count += feedback.pli_count;
  return count;
}

// One VP8 packet (RFC 7741 §4.2): descriptor with a 15-bit picture id and
// TL0PICIDX; a picture's first packet carries the VP8 payload header, which
// for a key frame holds the start code and the size (RFC 6386 §9.1).
std::vector<uint8_t> Vp8Payload(uint16_t picture_id, bool frame_start, bool keyframe,
                                uint16_t width = 640, uint16_t height = 360) {
  std::vector<uint8_t> payload;
  payload.reserve(128);
  payload.push_back(static_cast<uint8_t>(0x80 | (frame_start ? 0x10 : 0x00)));  // X, S, PID 0
  payload.push_back(0xc0);                                                      // I, L
  payload.push_back(static_cast<uint8_t>(0x80 | (picture_id >> 8)));            // M, 15 bits
  payload.push_back(static_cast<uint8_t>(picture_id & 0xff));
  payload.push_back(0x07);  // TL0PICIDX
  if (frame_start) {
    // Frame tag: P (bit 0) is 0 for a key frame; show_frame set; a size.
    const uint8_t tag[3] = {static_cast<uint8_t>(keyframe ? 0x10 : 0x11), 0x02, 0x00};
    for (uint8_t byte : tag) payload.push_back(byte);
    if (keyframe) {
      const uint8_t header[7] = {0x9d,
                                 0x01,
                                 0x2a,
                                 static_cast<uint8_t>(width & 0xff),
                                 static_cast<uint8_t>(width >> 8),
                                 static_cast<uint8_t>(height & 0xff),
                                 static_cast<uint8_t>(height >> 8)};
      for (uint8_t byte : header) payload.push_back(byte);
    }
  }
  for (int i = 0; i < 100; ++i) payload.push_back(0x55);
  return payload;
}

class VideoRouterTest : public ::testing::Test {
 protected:
  VideoRouterTest() {
    ConferenceOptions options;
    options.video.hold_ms = 1000;
    options.video.keyframe_request_interval_ms = 250;
    options.video.unwatched_bps = 100'000;
    conference_ = std::make_unique<Conference>(1, options);
  }

  static uint16_t VideoPort(uint64_t id) { return static_cast<uint16_t>(50000 + id * 2); }

  // A participant with PCMU audio and a VP8 camera whose peer listens on
  // VideoPort(id), rtcp-mux, taking NACK and PLI (and REMB when asked).
  static uint16_t SlidesPort(uint64_t id) { return static_cast<uint16_t>(55000 + id * 2); }

  // With `slides`, also a content stream (a=content:slides) whose peer
  // listens on SlidesPort(id).
  Participant* Join(uint64_t id, bool remb = false, uint8_t payload_type = kVp8,
                    bool slides = false) {
    ParticipantSpec spec;
    spec.id = id;
    spec.conference_id = 1;
    spec.codec = {media::CodecKind::kPcmu, 8000, 20};
    spec.payload_type = 0;
    spec.remote_rtp = {0x7f000001, static_cast<uint16_t>(40000 + id)};
    spec.remote_rtcp = spec.remote_rtp;
    spec.video.active = true;
    spec.video.codec = media::VideoCodec::kVp8;
    spec.video.payload_type = payload_type;
    spec.video.remote_rtp = {0x7f000001, VideoPort(id)};
    spec.video.remote_rtcp = spec.video.remote_rtp;
    spec.video.rtcp_mux = true;
    spec.video.feedback = {.nack = true, .pli = true, .remb = remb};
    if (slides) {
      spec.slides = spec.video;
      spec.slides.remote_rtp = spec.slides.remote_rtcp = {0x7f000001, SlidesPort(id)};
    }
    auto audio = allocator_.Allocate();
    auto video = allocator_.Allocate();
    auto content = allocator_.Allocate();
    EXPECT_TRUE(audio.ok() && video.ok() && content.ok());
    auto participant =
        std::make_unique<Participant>(spec, std::move(*audio), static_cast<uint32_t>(1000 * id));
    participant->SetVideoPorts(std::move(*video), std::move(*content));
    Participant* raw = participant.get();
    conference_->Add(std::move(participant));
    return raw;
  }

  // A packet from `from`'s peer (its camera's SSRC is 7000 + id).
  void Send(Participant* from, uint16_t sequence, uint32_t timestamp,
            const std::vector<uint8_t>& payload, bool marker = false) {
    std::vector<uint8_t> packet(media::kRtpHeaderSize + payload.size());
    media::WriteRtpHeader({.marker = marker,
                           .payload_type = from->spec().video.payload_type,
                           .sequence = sequence,
                           .timestamp = timestamp,
                           .ssrc = static_cast<uint32_t>(7000 + from->id())},
                          packet.data());
    std::copy(payload.begin(), payload.end(), packet.begin() + media::kRtpHeaderSize);
    Deliver(from, packet, false);
  }

  void Deliver(Participant* from, std::vector<uint8_t>& bytes, bool rtcp,
               std::optional<media::Endpoint> source = std::nullopt, bool slides = false) {
    const VideoStreamSpec& spec = slides ? from->spec().slides : from->spec().video;
    media::Datagram datagram{from->video_stream(slides)->transport().rtp_port(),
                             source.value_or(spec.remote_rtp), bytes.data(),
                             static_cast<uint16_t>(bytes.size())};
    conference_->OnVideo(*from, slides, rtcp, datagram, now_us_, sink_);
  }

  // A keyframe of two packets, then `inter` one-packet inter frames.
  void SendPictures(Participant* from, uint16_t& sequence, uint32_t& timestamp,
                    uint16_t& picture_id, bool keyframe, int inter = 0) {
    if (keyframe) {
      Send(from, sequence++, timestamp, Vp8Payload(picture_id, true, true));
      Send(from, sequence++, timestamp, Vp8Payload(picture_id, false, true), true);
      ++picture_id;
      timestamp += 3000;
    }
    for (int i = 0; i < inter; ++i) {
      Send(from, sequence++, timestamp, Vp8Payload(picture_id++, true, false), true);
      timestamp += 3000;
    }
  }

  void Tick() {
    conference_->Tick(now_us_, sink_);
    now_us_ += 20000;
  }

  void Present(uint64_t presenter) {
    ConferenceSettings settings;
    settings.video_mode = VideoMode::kPresenter;
    settings.presenter_id = presenter;
    conference_->Configure(settings);
  }

  // An RTCP feedback packet from `from`'s peer about the stream we send it.
  void Feedback(Participant* from, size_t (*write)(uint32_t, uint32_t, std::span<uint8_t>)) {
    std::vector<uint8_t> bytes(64);
    const uint32_t ours = from->video_stream(false)->rewriter().ssrc();
    bytes.resize(write(7000 + static_cast<uint32_t>(from->id()), ours, bytes));
    Deliver(from, bytes, true);
  }

  // `a` sends an inter frame, then is made the presenter: everyone else
  // waits for its next keyframe.
  void ShowFirstTo(Participant* a, uint16_t& seq, uint32_t& ts, uint16_t& pid) {
    SendPictures(a, seq, ts, pid, false, 1);
    Present(a->id());
    Tick();
  }

  // A generic NACK from `from`'s peer for one sequence number of the stream we send it.
  void Nack(Participant* from, uint16_t sequence) {
    std::vector<uint8_t> nack(64);
    const media::NackItem item{sequence, 0};
    nack.resize(media::WriteNack(7000 + static_cast<uint32_t>(from->id()),
                                 from->video_stream(false)->rewriter().ssrc(), std::span(&item, 1),
                                 nack));
    Deliver(from, nack, true);
  }

  media::PortAllocator allocator_{"127.0.0.1", 47000, 47999};
  std::unique_ptr<Conference> conference_;
  VideoSink sink_;
  int64_t now_us_ = 1'000'000;
};

TEST_F(VideoRouterTest, AReceiverSwitchesOnlyAtTheNewSourcesKeyframe) {
  Participant* a = Join(1);
  Participant* b = Join(2);
  uint16_t seq = 100, pid = 10;
  uint32_t ts = 90000;
  SendPictures(a, seq, ts, pid, false, 3);  // inter frames: nothing B could decode
  Present(1);
  Tick();
  EXPECT_TRUE(RtpTo(sink_, VideoPort(2)).empty()) << "B got A's inter frames without a keyframe";
  EXPECT_EQ(PliCount(sink_, VideoPort(1)), 1) << "A was not asked for a keyframe";
  SendPictures(a, seq, ts, pid, false, 2);
  EXPECT_TRUE(RtpTo(sink_, VideoPort(2)).empty());
  SendPictures(a, seq, ts, pid, true, 2);
  const std::vector<media::RtpView> got = RtpTo(sink_, VideoPort(2));
  ASSERT_EQ(got.size(), 4u);
  const auto first = media::InspectVideoPayload(media::VideoCodec::kVp8, got[0].payload);
  ASSERT_TRUE(first.has_value());
  EXPECT_TRUE(first->keyframe && first->frame_start) << "the first packet B got is no keyframe";
  EXPECT_EQ(got[0].ssrc, b->video_stream(false)->rewriter().ssrc());
  for (size_t i = 1; i < got.size(); ++i) {
    EXPECT_EQ(got[i].sequence, static_cast<uint16_t>(got[0].sequence + i));
    EXPECT_EQ(got[i].ssrc, got[0].ssrc);
  }
  ASSERT_FALSE(sink_.changes.empty());
  EXPECT_EQ(sink_.changes.back().participant, 2u);
  EXPECT_EQ(sink_.changes.back().source, 1u);
  EXPECT_EQ(b->stats().video_source_id, 1u);
}

TEST_F(VideoRouterTest, OneContinuousStreamAcrossASwitch) {
  Participant* a = Join(1);
  Join(2, false, 100);  // B numbers VP8 differently: its packets must carry its own PT
  Participant* c = Join(3);
  uint16_t seq_a = 65530, pid_a = 32760, seq_c = 4000, pid_c = 5;
  uint32_t ts_a = 4294960000u, ts_c = 1000;
  SendPictures(a, seq_a, ts_a, pid_a, false, 1);
  SendPictures(c, seq_c, ts_c, pid_c, false, 1);
  Present(1);
  Tick();
  SendPictures(a, seq_a, ts_a, pid_a, true, 4);  // wraps A's sequence, timestamp and picture id
  Present(3);
  Tick();
  now_us_ += 100'000;
  SendPictures(a, seq_a, ts_a, pid_a, false, 2);  // still A's until C's keyframe
  SendPictures(c, seq_c, ts_c, pid_c, true, 3);
  const std::vector<media::RtpView> got = RtpTo(sink_, VideoPort(2));
  ASSERT_EQ(got.size(), 6u + 2u + 5u);
  for (size_t i = 1; i < got.size(); ++i) {
    EXPECT_EQ(got[i].sequence, static_cast<uint16_t>(got[i - 1].sequence + 1)) << i;
    EXPECT_EQ(got[i].payload_type, 100);
    EXPECT_EQ(got[i].ssrc, got[0].ssrc);
    EXPECT_GE(static_cast<int32_t>(got[i].timestamp - got[i - 1].timestamp), 0) << i;
    const auto prev = media::InspectVideoPayload(media::VideoCodec::kVp8, got[i - 1].payload);
    const auto info = media::InspectVideoPayload(media::VideoCodec::kVp8, got[i].payload);
    ASSERT_TRUE(prev && info);
    if (info->frame_start) {
      EXPECT_EQ(info->picture_id, (prev->picture_id + 1) % 32768) << i;
    }
  }
  const auto switched = media::InspectVideoPayload(media::VideoCodec::kVp8, got[8].payload);
  ASSERT_TRUE(switched.has_value());
  EXPECT_TRUE(switched->keyframe) << "the switch to C did not start at C's keyframe";
  EXPECT_GT(got[8].timestamp - got[7].timestamp, 0u);
}

TEST_F(VideoRouterTest, ANackIsAnsweredFromTheSourcesCache) {
  Participant* a = Join(1);
  Participant* b = Join(2);
  uint16_t seq = 10, pid = 1;
  uint32_t ts = 0;
  ShowFirstTo(a, seq, ts, pid);
  SendPictures(a, seq, ts, pid, true, 3);
  const std::vector<media::RtpView> got = RtpTo(sink_, VideoPort(2));
  ASSERT_EQ(got.size(), 5u);
  const std::vector<uint8_t> original(got[2].payload.begin(), got[2].payload.end());
  const uint16_t lost = got[2].sequence;
  sink_.packets.clear();
  Nack(b, lost);
  const std::vector<media::RtpView> resent = RtpTo(sink_, VideoPort(2));
  ASSERT_EQ(resent.size(), 1u) << "the NACKed packet was not resent";
  EXPECT_EQ(resent[0].sequence, lost);
  EXPECT_EQ(resent[0].timestamp, got[2].timestamp);
  EXPECT_EQ(std::vector<uint8_t>(resent[0].payload.begin(), resent[0].payload.end()), original);
  EXPECT_TRUE(FeedbackTo(sink_, VideoPort(1)).empty()) << "a cached packet was asked of A again";
  EXPECT_EQ(conference_->TakeVideoTally().nacks_answered, 1u);
}

TEST_F(VideoRouterTest, ANackForWhatTheSourceNeverSentGoesUpToIt) {
  Participant* a = Join(1);
  Participant* b = Join(2);
  uint16_t seq = 10, pid = 1;
  uint32_t ts = 0;
  ShowFirstTo(a, seq, ts, pid);
  SendPictures(a, seq, ts, pid, true, 1);
  ++seq;  // lost on A's way to the bridge
  SendPictures(a, seq, ts, pid, false, 1);
  const std::vector<media::RtpView> got = RtpTo(sink_, VideoPort(2));
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(static_cast<uint16_t>(got[3].sequence - got[2].sequence), 2) << "the gap is not kept";
  Nack(b, static_cast<uint16_t>(got[2].sequence + 1));
  const std::vector<media::RtcpFeedback> up = FeedbackTo(sink_, VideoPort(1));
  ASSERT_FALSE(up.empty());
  ASSERT_EQ(up.back().nack_count, 1);
  EXPECT_EQ(up.back().nack[0].media_ssrc, 7001u);
  EXPECT_EQ(up.back().nack[0].item.packet_id, static_cast<uint16_t>(seq - 2))
      << "the NACK was not mapped back to A's sequence numbers";
}

TEST_F(VideoRouterTest, ReceiversKeyframeRequestsReachTheirSourceThrottled) {
  Participant* a = Join(1);
  Participant* b = Join(2);
  Participant* c = Join(3);
  uint16_t seq = 10, pid = 1;
  uint32_t ts = 0;
  SendPictures(a, seq, ts, pid, false, 1);
  Present(1);
  Tick();
  SendPictures(a, seq, ts, pid, true, 1);
  now_us_ += 1'000'000;
  sink_.packets.clear();
  Feedback(b, media::WritePli);
  Feedback(c, media::WritePli);  // within the interval: the same keyframe serves both
  EXPECT_EQ(PliCount(sink_, VideoPort(1)), 1);
  now_us_ += 300'000;
  Feedback(c, media::WritePli);
  EXPECT_EQ(PliCount(sink_, VideoPort(1)), 2);
}

TEST_F(VideoRouterTest, BitrateRequestsCombineWatchersAndQuietTheUnwatched) {
  Participant* a = Join(1, true);
  Participant* b = Join(2, true);
  Participant* c = Join(3, true);
  uint16_t seq_a = 10, seq_b = 10, seq_c = 10, pid = 1;
  uint32_t ts = 0;
  SendPictures(a, seq_a, ts, pid, true, 1);
  SendPictures(b, seq_b, ts, pid, true, 1);
  SendPictures(c, seq_c, ts, pid, true, 1);
  Present(1);
  for (int i = 0; i < 3; ++i) Tick();
  // Keyframes complete the switches the ticks decided.
  SendPictures(a, seq_a, ts, pid, true, 1);
  SendPictures(b, seq_b, ts, pid, true, 1);
  SendPictures(c, seq_c, ts, pid, true, 1);
  ASSERT_NE(a->stats().video_source_id, 0u);
  std::vector<uint8_t> remb(64);
  const uint32_t ssrc_b[] = {b->video_stream(false)->rewriter().ssrc()};
  remb.resize(media::WriteRemb(7002, 300'000, ssrc_b, remb));
  Deliver(b, remb, true);
  std::vector<uint8_t> remb_c(64);
  const uint32_t ssrc_c[] = {c->video_stream(false)->rewriter().ssrc()};
  remb_c.resize(media::WriteRemb(7003, 800'000, ssrc_c, remb_c));
  Deliver(c, remb_c, true);
  sink_.packets.clear();
  Tick();
  std::vector<media::RtcpFeedback> to_a = FeedbackTo(sink_, VideoPort(1));
  ASSERT_FALSE(to_a.empty());
  EXPECT_TRUE(to_a.back().has_remb);
  EXPECT_LE(to_a.back().remb_bps, 300'000u) << "A may send more than its slowest watcher takes";
  EXPECT_GT(to_a.back().remb_bps, 250'000u);
  // A, the presenter, watches one of B and C; the other is watched by nobody.
  const uint64_t unwatched = a->stats().video_source_id == 2 ? 3 : 2;
  bool quieted = false;
  for (int i = 0; i < 60 && !quieted; ++i) {
    for (const auto& feedback : FeedbackTo(sink_, VideoPort(unwatched))) {
      quieted = quieted || (feedback.has_remb && feedback.remb_bps <= 100'000);
    }
    Tick();
  }
  EXPECT_TRUE(quieted) << "nobody watches " << unwatched << ", yet it was not asked to send less";
}

TEST_F(VideoRouterTest, ContentGoesFromTheOnePresenterToEveryoneWithAContentStream) {
  Participant* a = Join(1, false, kVp8, true);
  Join(2, false, kVp8, true);
  Join(3);  // no content stream: never sent any
  std::vector<uint8_t> key = Vp8Payload(1, true, true, 1920, 1080);
  std::vector<uint8_t> packet(media::kRtpHeaderSize + key.size());
  const auto send_slides = [&](uint16_t sequence) {
    media::WriteRtpHeader({.marker = true,
                           .payload_type = kVp8,
                           .sequence = sequence,
                           .timestamp = sequence * 3000u,
                           .ssrc = 8001},
                          packet.data());
    std::copy(key.begin(), key.end(), packet.begin() + media::kRtpHeaderSize);
    Deliver(a, packet, false, std::nullopt, true);
  };
  send_slides(1);
  Tick();
  EXPECT_TRUE(RtpTo(sink_, SlidesPort(2)).empty()) << "content shown with nobody presenting";
  ConferenceSettings settings;
  settings.slides_presenter_id = 1;
  conference_->Configure(settings);
  Tick();
  send_slides(2);
  const std::vector<media::RtpView> got = RtpTo(sink_, SlidesPort(2));
  ASSERT_EQ(got.size(), 1u) << "B did not get A's content";
  EXPECT_EQ(got[0].ssrc, 2000u + 2) << "content not on B's own content SSRC";
  EXPECT_TRUE(RtpTo(sink_, SlidesPort(1)).empty()) << "A was sent its own content";
  EXPECT_TRUE(RtpTo(sink_, VideoPort(2)).empty()) << "content went to B's camera stream";
  EXPECT_TRUE(RtpTo(sink_, VideoPort(3)).empty());
  ASSERT_FALSE(sink_.changes.empty());
  EXPECT_TRUE(sink_.changes.back().slides);
}

TEST_F(VideoRouterTest, AStrangersVideoIsDroppedAndCounted) {
  Participant* a = Join(1);
  Join(2);
  uint16_t seq = 10, pid = 1;
  uint32_t ts = 0;
  SendPictures(a, seq, ts, pid, true, 1);  // latches A's peer
  Present(1);
  Tick();
  std::vector<uint8_t> packet(media::kRtpHeaderSize + 120);
  media::WriteRtpHeader({.payload_type = kVp8, .sequence = 999, .timestamp = 1, .ssrc = 66},
                        packet.data());
  const std::vector<uint8_t> key = Vp8Payload(1, true, true);
  std::copy(key.begin(), key.end(), packet.begin() + media::kRtpHeaderSize);
  packet.resize(media::kRtpHeaderSize + key.size());
  sink_.packets.clear();
  Deliver(a, packet, false, media::Endpoint{0x7f000001, 6666});
  EXPECT_TRUE(RtpTo(sink_, VideoPort(2)).empty()) << "a stranger's keyframe reached B";
  EXPECT_EQ(a->stats().foreign_source, 1u);
}

}  // namespace
}  // namespace tutti::mixer
