// G.722 (16 kHz audio on an 8 kHz RTP clock) and G.729 Annex A (10 ms
// frames of 10 octets): a tone through each, their concealment, and
// payloads a stranger could send.
#include <vector>

#include "gtest/gtest.h"
#include "mediaplane/codec/audio_codec.h"
#include "mediaplane/codec/g729.h"
#include "tests/mediaplane/codec/test_signals.h"

namespace tutti::media {
namespace {

constexpr CodecFormat kG722{CodecKind::kG722, 8000, 20};
constexpr CodecFormat kG729{CodecKind::kG729, 8000, 20};

TEST(CodecFormatTest, G722SeparatesThePcmRateFromTheRtpClock) {
  EXPECT_EQ(kG722.pcm_rate(), 16000);
  EXPECT_EQ(kG722.samples_per_frame(), 320);
  EXPECT_EQ(kG722.timestamps_per_frame(), 160);
  EXPECT_EQ(kG729.pcm_rate(), 8000);
  EXPECT_EQ(kG729.samples_per_frame(), 160);
  EXPECT_EQ(kG729.timestamps_per_frame(), 160);
  const CodecFormat opus{CodecKind::kOpus, 48000, 20};
  EXPECT_EQ(opus.samples_per_frame(), 960);
  EXPECT_EQ(opus.timestamps_per_frame(), 960);
}

// A 6 kHz tone is above what any 8 kHz codec carries: heard through G.722
// it shows the audio really is wideband.
TEST(G722CodecTest, CarriesAWidebandToneIn160Octets) {
  auto encoder = MakeEncoder(kG722);
  auto decoder = MakeDecoder(kG722);
  const std::vector<int16_t> decoded = ToneThrough(*encoder, *decoder, kG722, 6000, 25, 160);
  EXPECT_GT(Rms(decoded), 3000);
  EXPECT_GT(ToneShare(decoded, 6000, 16000), 0.8);
}

TEST(G722CodecTest, CarriesASpeechBandTone) {
  auto encoder = MakeEncoder(kG722);
  auto decoder = MakeDecoder(kG722);
  const std::vector<int16_t> decoded = ToneThrough(*encoder, *decoder, kG722, 700, 25, 160);
  EXPECT_NEAR(Rms(decoded), 8000 / std::sqrt(2.0), 600);
  EXPECT_GT(ToneShare(decoded, 700, 16000), 0.9);
}

TEST(G722CodecTest, ConcealmentRepeatsTheLastFrameFading) {
  auto encoder = MakeEncoder(kG722);
  auto decoder = MakeDecoder(kG722);
  std::vector<int16_t> pcm = ToneThrough(*encoder, *decoder, kG722, 500, 10);
  const double original = Rms(pcm);
  ASSERT_EQ(decoder->Conceal(pcm), 320);
  EXPECT_NEAR(Rms(pcm), original * 0.75, original * 0.05);
  EXPECT_GT(ToneShare(pcm, 500, 16000), 0.9);
  for (int i = 0; i < 3; ++i) decoder->Conceal(pcm);
  EXPECT_EQ(Rms(pcm), 0);
}

// Every octet string is a G.722 stream: garbage decodes to noise, never an
// error, and a packet longer than agreed fills one frame and no more.
TEST(G722CodecTest, AnyPayloadDecodesWithinTheFrame) {
  auto decoder = MakeDecoder(kG722);
  std::vector<uint8_t> garbage(400);
  for (size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<uint8_t>(i * 37 + 11);
  std::vector<int16_t> pcm(320 + 8, 0x55);
  EXPECT_EQ(decoder->Decode(garbage, std::span(pcm.data(), 320)), 320);
  EXPECT_EQ(pcm[320], 0x55);  // nothing past the frame
  EXPECT_EQ(decoder->Decode(std::span(garbage.data(), 0), std::span(pcm.data(), 320)), 0);
  EXPECT_EQ(decoder->Decode(std::span(garbage.data(), 3), std::span(pcm.data(), 320)), 6);
}

TEST(G729CodecTest, CarriesAToneInTwoFramesOfTenOctets) {
  auto encoder = MakeEncoder(kG729);
  auto decoder = MakeDecoder(kG729);
  const std::vector<int16_t> decoded = ToneThrough(*encoder, *decoder, kG729, 800, 25, 20);
  EXPECT_GT(Rms(decoded), 2000);
  EXPECT_GT(ToneShare(decoded, 800, 8000), 0.7);
}

TEST(G729CodecTest, RefusesPayloadsThatAreNotWholeFrames) {
  auto decoder = MakeDecoder(kG729);
  std::vector<uint8_t> payload(30, 0x5a);
  std::vector<int16_t> pcm(160);
  EXPECT_EQ(decoder->Decode(std::span(payload.data(), 0), pcm), -1);
  EXPECT_EQ(decoder->Decode(std::span(payload.data(), 7), pcm), -1);
  EXPECT_EQ(decoder->Decode(std::span(payload.data(), 15), pcm), -1);
  EXPECT_EQ(decoder->Decode(std::span(payload.data(), 10), pcm), 80);
  // Three frames where two fit: the first two are heard.
  EXPECT_EQ(decoder->Decode(payload, pcm), 160);
}

// Annex B is off on our side, but a peer may still send a SID frame (2
// octets, alone or after its speech frames): comfort noise, not an error.
TEST(G729CodecTest, TakesASidFrameFromAPeerWithAnnexB) {
  auto encoder = MakeEncoder(kG729);
  auto decoder = MakeDecoder(kG729);
  std::vector<int16_t> pcm = ToneThrough(*encoder, *decoder, kG729, 800, 5);
  std::vector<uint8_t> payload(kMaxPayloadBytes);
  encoder->Encode(Tone(800, 8000, 160, 5), payload);
  payload[10] = 0x40;  // a frame, then a SID
  payload[11] = 0x80;
  EXPECT_EQ(decoder->Decode(std::span(payload.data(), 12), pcm), 160);
  EXPECT_EQ(decoder->Decode(std::span(payload.data() + 10, 2), pcm), 80);
}

TEST(G729CodecTest, ConcealmentContinuesThenDecays) {
  auto encoder = MakeEncoder(kG729);
  auto decoder = MakeDecoder(kG729);
  std::vector<int16_t> pcm = ToneThrough(*encoder, *decoder, kG729, 800, 20);
  const double original = Rms(pcm);
  ASSERT_EQ(decoder->Conceal(pcm), 160);
  const double first = Rms(pcm);
  EXPECT_GT(first, original * 0.3);  // the first lost frame is bridged, not silenced
  for (int i = 0; i < 20; ++i) decoder->Conceal(pcm);
  EXPECT_LT(Rms(pcm), first * 0.5);  // a long gap fades
}

}  // namespace
}  // namespace tutti::media
