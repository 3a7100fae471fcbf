#include "mediaplane/codec/g711.h"

#include <cmath>
#include <cstdlib>

#include "gtest/gtest.h"

namespace tutti::media {
namespace {

// Reference values from ITU-T G.711 tables: silence codes and full scale.
TEST(G711Test, KnownCodes) {
  EXPECT_EQ(LinearToUlaw(0), 0xff);
  EXPECT_EQ(UlawToLinear(0xff), 0);
  EXPECT_EQ(UlawToLinear(0x7f), 0);
  EXPECT_EQ(UlawToLinear(0x80), 32124);
  EXPECT_EQ(UlawToLinear(0x00), -32124);
  EXPECT_EQ(LinearToAlaw(0), 0xd5);
  EXPECT_EQ(AlawToLinear(0xd5), 8);
  EXPECT_EQ(AlawToLinear(0x55), -8);
  EXPECT_EQ(AlawToLinear(0xaa), 32256);
  EXPECT_EQ(AlawToLinear(0x2a), -32256);
}

// Every code decodes to a value that encodes back to the same code.
TEST(G711Test, EveryCodeRoundTrips) {
  for (int code = 0; code < 256; ++code) {
    const auto byte = static_cast<uint8_t>(code);
    if (byte != 0x7f) {  // µ-law has two zeros; 0x7f (-0) encodes as 0xff (+0)
      EXPECT_EQ(LinearToUlaw(UlawToLinear(byte)), byte) << code;
    }
    EXPECT_EQ(LinearToAlaw(AlawToLinear(byte)), byte) << code;
  }
}

// Quantisation error stays within half a step of the segment: logarithmic,
// so relative error is bounded for large samples.
TEST(G711Test, ErrorIsBoundedAcrossTheRange) {
  for (int value = -32768; value <= 32767; value += 7) {
    const auto sample = static_cast<int16_t>(value);
    const int ulaw_error = std::abs(UlawToLinear(LinearToUlaw(sample)) - value);
    const int alaw_error = std::abs(AlawToLinear(LinearToAlaw(sample)) - value);
    const int bound = std::max(16, std::abs(value) / 16);
    EXPECT_LE(ulaw_error, bound + 1) << value;  // clipping near full scale
    EXPECT_LE(alaw_error, bound + 1) << value;
  }
}

TEST(G711Test, FrameHelpersMatchSampleFunctions) {
  int16_t pcm[160];
  for (int i = 0; i < 160; ++i) {
    pcm[i] = static_cast<int16_t>(10000 * std::sin(2 * M_PI * 440 * i / 8000.0));
  }
  uint8_t ulaw[160], alaw[160];
  int16_t back[160];
  EncodeUlaw(pcm, ulaw);
  EncodeAlaw(pcm, alaw);
  DecodeUlaw(ulaw, back);
  for (int i = 0; i < 160; ++i) {
    EXPECT_EQ(ulaw[i], LinearToUlaw(pcm[i]));
    EXPECT_EQ(alaw[i], LinearToAlaw(pcm[i]));
    EXPECT_EQ(back[i], UlawToLinear(ulaw[i]));
  }
}

}  // namespace
}  // namespace tutti::media
