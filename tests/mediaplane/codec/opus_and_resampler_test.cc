#include <vector>

#include "gtest/gtest.h"
#include "mediaplane/codec/audio_codec.h"
#include "mediaplane/codec/opus_codec.h"
#include "mediaplane/codec/resampler.h"
#include "tests/mediaplane/codec/test_signals.h"

namespace tutti::media {
namespace {

TEST(OpusCodecTest, EncodesAndDecodesATone) {
  const CodecFormat format{CodecKind::kOpus, 48000, 20};
  auto encoder = MakeEncoder(format);
  auto decoder = MakeDecoder(format);
  const std::vector<int16_t> decoded = ToneThrough(*encoder, *decoder, format, 600, 25);
  EXPECT_GT(Rms(decoded), 3000);
  EXPECT_GT(ToneShare(decoded, 600, 48000), 0.8);
}

TEST(OpusCodecTest, DtxSendsNothingInSilence) {
  const CodecFormat format{CodecKind::kOpus, 48000, 20};
  auto encoder = std::make_unique<OpusAudioEncoder>(format, /*dtx=*/true);
  std::vector<uint8_t> payload(kMaxPayloadBytes);
  std::vector<int16_t> silence(960, 0);
  int sent = 0;
  for (int frame = 0; frame < 50; ++frame) sent += encoder->Encode(silence, payload) > 0 ? 1 : 0;
  EXPECT_LT(sent, 25);  // DTX: an occasional comfort-noise update, not 50 frames
}

TEST(OpusCodecTest, CostLevelsStepComplexityDownThenFecForCleanPaths) {
  const CodecFormat format{CodecKind::kOpus, 48000, 20};
  OpusAudioEncoder encoder(format);
  encoder.SetExpectedLossPercent(5);  // a little loss: FEC planned for it
  EXPECT_EQ(encoder.complexity(), 5);
  EXPECT_TRUE(encoder.fec());
  EXPECT_EQ(encoder.packet_loss_percent(), 5);
  encoder.SetCostLevel(1);
  EXPECT_EQ(encoder.complexity(), 3);
  encoder.SetCostLevel(2);
  EXPECT_EQ(encoder.complexity(), 1);
  EXPECT_TRUE(encoder.fec());
  encoder.SetCostLevel(3);  // 5% is a clean enough path: no FEC
  EXPECT_EQ(encoder.complexity(), 1);
  EXPECT_FALSE(encoder.fec());
  EXPECT_EQ(encoder.packet_loss_percent(), 0);
  encoder.SetExpectedLossPercent(OpusAudioEncoder::kFecMinLossPercent);  // a lossy path keeps it
  EXPECT_TRUE(encoder.fec());
  EXPECT_EQ(encoder.packet_loss_percent(), OpusAudioEncoder::kFecMinLossPercent);
  encoder.SetExpectedLossPercent(2);
  EXPECT_FALSE(encoder.fec());
  encoder.SetCostLevel(0);  // back to full quality, FEC for the 2% again
  EXPECT_EQ(encoder.complexity(), 5);
  EXPECT_TRUE(encoder.fec());
  EXPECT_EQ(encoder.packet_loss_percent(), 2);
  encoder.SetCostLevel(9);  // clamped to the top level
  EXPECT_EQ(encoder.complexity(), 1);
  EXPECT_FALSE(encoder.fec());
}

TEST(OpusCodecTest, ShedEncoderStillCarriesATone) {
  const CodecFormat format{CodecKind::kOpus, 48000, 20};
  auto encoder = MakeEncoder(format);
  encoder->SetCostLevel(3);
  auto decoder = MakeDecoder(format);
  const std::vector<int16_t> decoded = ToneThrough(*encoder, *decoder, format, 600, 25);
  EXPECT_GT(Rms(decoded), 3000);
  EXPECT_GT(ToneShare(decoded, 600, 48000), 0.8);
}

TEST(OpusCodecTest, FecRecoversALostFrame) {
  const CodecFormat format{CodecKind::kOpus, 48000, 20};
  auto encoder = MakeEncoder(format);
  encoder->SetExpectedLossPercent(10);  // a receiver reported loss
  auto decoder = MakeDecoder(format);
  std::vector<std::vector<uint8_t>> packets;
  for (int frame = 0; frame < 20; ++frame) {
    std::vector<uint8_t> payload(kMaxPayloadBytes);
    payload.resize(encoder->Encode(Tone(500, 48000, 960, frame), payload));
    packets.push_back(payload);
  }
  std::vector<int16_t> pcm(960);
  for (int frame = 0; frame < 10; ++frame)
    decoder->Decode(packets[static_cast<size_t>(frame)], pcm);
  // Frame 10 is lost: recover it from frame 11's FEC.
  EXPECT_EQ(decoder->DecodeFec(packets[11], pcm), 960);
  EXPECT_GT(Rms(pcm), 1000);
  EXPECT_EQ(decoder->Decode(packets[11], pcm), 960);
  // And plain concealment produces a frame too.
  EXPECT_EQ(decoder->Conceal(pcm), 960);
}

TEST(G711CodecTest, ConcealmentFadesOut) {
  const CodecFormat format{CodecKind::kPcma, 8000, 20};
  auto encoder = MakeEncoder(format);
  auto decoder = MakeDecoder(format);
  std::vector<uint8_t> payload(160);
  std::vector<int16_t> pcm(160);
  ASSERT_EQ(encoder->Encode(Tone(400, 8000, 160, 0), payload), 160u);
  ASSERT_EQ(decoder->Decode(payload, pcm), 160);
  const double original = Rms(pcm);
  decoder->Conceal(pcm);
  EXPECT_NEAR(Rms(pcm), original * 0.75, original * 0.05);
  for (int i = 0; i < 3; ++i) decoder->Conceal(pcm);
  EXPECT_EQ(Rms(pcm), 0);
}

TEST(ResamplerTest, UpAndDownKeepFrameSizesAndTone) {
  Resampler up(8000, 48000);
  Resampler down(48000, 8000);
  std::vector<int16_t> wide(960), narrow(160);
  for (int frame = 0; frame < 10; ++frame) {
    ASSERT_EQ(up.Process(Tone(440, 8000, 160, frame), wide), 960);
    ASSERT_EQ(down.Process(wide, narrow), 160);
  }
  EXPECT_GT(ToneShare(wide, 440, 48000), 0.9);
  EXPECT_GT(ToneShare(narrow, 440, 8000), 0.9);
  EXPECT_NEAR(Rms(narrow), 8000 / std::sqrt(2.0), 600);
}

}  // namespace
}  // namespace tutti::media
