#include "bench/tutti_load/g711_level.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "mediaplane/codec/g711.h"

namespace tutti::load {
namespace {

// A 20 ms frame of a 400 Hz tone at `amplitude`, G.711-encoded.
std::vector<uint8_t> Tone(double amplitude, bool alaw) {
  std::vector<int16_t> pcm(160);
  for (size_t i = 0; i < pcm.size(); ++i) {
    pcm[i] =
        static_cast<int16_t>(amplitude * std::sin(2 * M_PI * 400 * static_cast<double>(i) / 8000));
  }
  std::vector<uint8_t> out(pcm.size());
  if (alaw) {
    media::EncodeAlaw(pcm, out.data());
  } else {
    media::EncodeUlaw(pcm, out.data());
  }
  return out;
}

// The threshold is -50 dBFS RMS (a mean square of 100^2), as for decoded
// PCM: a tone of RMS 200 is loud, of RMS 50 is not, in both laws.
TEST(G711LevelTest, SpeechLevelFromTheBytesInBothLaws) {
  for (bool alaw : {false, true}) {
    SCOPED_TRACE(alaw ? "A-law" : "mu-law");
    EXPECT_TRUE(G711Loud(Tone(200 * std::sqrt(2.0), alaw), alaw));
    EXPECT_TRUE(G711Loud(Tone(20000, alaw), alaw));
    EXPECT_FALSE(G711Loud(Tone(50 * std::sqrt(2.0), alaw), alaw));
    EXPECT_FALSE(G711Loud(Tone(0, alaw), alaw));
  }
}

}  // namespace
}  // namespace tutti::load
