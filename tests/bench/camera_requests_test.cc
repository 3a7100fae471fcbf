#include "bench/tutti_load/camera_requests.h"

#include <gtest/gtest.h>

#include <vector>

namespace tutti::load {
namespace {

using Bytes = std::vector<uint8_t>;

constexpr uint32_t kCamera = 0x11223344;

Bytes Cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}

// The packets below are written out byte by byte from RFC 3550 §6.4.2,
// RFC 4585 §6.1 and §6.3.1, RFC 5104 §4.2.1 and §4.3.1 and
// draft-alvestrand-rmcat-remb §2.
const Bytes kReceiverReport = {0x80, 201, 0x00, 0x01, 0xAA, 0xBB, 0xCC, 0xDD};
const Bytes kPli = {0x81, 206, 0x00, 0x02, 0xAA, 0xBB, 0xCC, 0xDD, 0x11, 0x22, 0x33, 0x44};
const Bytes kPliOther = {0x81, 206, 0x00, 0x02, 0xAA, 0xBB, 0xCC, 0xDD, 0x55, 0x22, 0x33, 0x44};
// FIR: media SSRC 0, then FCI entries: SSRC, seq nr, 3 reserved.
const Bytes kFir = {0x84, 206,  0x00, 0x06, 0xAA, 0xBB, 0xCC, 0xDD, 0, 0,
                    0,    0,    0x55, 0x55, 0x55, 0x55, 0x01, 0,    0, 0,  //
                    0x11, 0x22, 0x33, 0x44, 0x02, 0,    0,    0};
// REMB 300,000 b/s = 75,000 << 2 (exp 2, mantissa 75,000 = 0x124F8) for two SSRCs.
const Bytes kRemb = {0x8F, 206,  0x00, 0x06, 0xAA, 0xBB, 0xCC, 0xDD, 0,    0,
                     0,    0,    'R',  'E',  'M',  'B',  0x02, 0x09, 0x24, 0xF8,
                     0x55, 0x55, 0x55, 0x55, 0x11, 0x22, 0x33, 0x44};
// TMMBR 256,000 b/s = 1000 << 8 (exp 8, mantissa 1000), overhead 40.
// Word: exp(6) | mantissa(17) | overhead(9) = 8<<26 | 1000<<9 | 40.
const Bytes kTmmbr = {0x83, 205, 0x00, 0x04, 0xAA, 0xBB, 0xCC, 0xDD, 0,    0,
                      0,    0,   0x11, 0x22, 0x33, 0x44, 0x20, 0x07, 0xD0, 0x28};

TEST(CameraRequestsTest, PliInACompoundAfterAReceiverReport) {
  const std::optional<CameraRequests> requests =
      ReadCameraRequests(Cat({kReceiverReport, kPli}), kCamera);
  ASSERT_TRUE(requests.has_value());
  EXPECT_EQ(requests->plis, 1);
  EXPECT_TRUE(requests->wants_keyframe());
  EXPECT_FALSE(requests->remb_bps.has_value());
}

TEST(CameraRequestsTest, ReducedSizeFeedbackAloneIsRead) {
  const std::optional<CameraRequests> requests = ReadCameraRequests(kPli, kCamera);
  ASSERT_TRUE(requests.has_value());
  EXPECT_EQ(requests->plis, 1);
}

TEST(CameraRequestsTest, FeedbackForAnotherCameraIsNotOurs) {
  const std::optional<CameraRequests> requests =
      ReadCameraRequests(Cat({kReceiverReport, kPliOther}), kCamera);
  ASSERT_TRUE(requests.has_value());
  EXPECT_FALSE(requests->wants_keyframe());
}

TEST(CameraRequestsTest, FirFindsItsEntryAmongOthers) {
  const std::optional<CameraRequests> requests = ReadCameraRequests(kFir, kCamera);
  ASSERT_TRUE(requests.has_value());
  EXPECT_EQ(requests->firs, 1);
  EXPECT_EQ(requests->plis, 0);
}

TEST(CameraRequestsTest, RembAndTmmbrBitratesAreDecoded) {
  const std::optional<CameraRequests> requests =
      ReadCameraRequests(Cat({kReceiverReport, kRemb, kTmmbr}), kCamera);
  ASSERT_TRUE(requests.has_value());
  ASSERT_TRUE(requests->remb_bps.has_value());
  EXPECT_EQ(*requests->remb_bps, 300'000u);
  ASSERT_TRUE(requests->tmmbr_bps.has_value());
  EXPECT_EQ(*requests->tmmbr_bps, 256'000u);
  EXPECT_FALSE(requests->wants_keyframe());
}

TEST(CameraRequestsTest, MalformedCompoundsAreRefused) {
  Bytes long_length = kPli;
  long_length[3] = 0x05;  // says 24 bytes, has 12
  EXPECT_FALSE(ReadCameraRequests(long_length, kCamera).has_value());
  Bytes version_one = kPli;
  version_one[0] = 0x41;
  EXPECT_FALSE(ReadCameraRequests(version_one, kCamera).has_value());
  EXPECT_FALSE(ReadCameraRequests(Bytes{0x81, 206}, kCamera).has_value());
  // A REMB that claims more SSRCs than it holds.
  Bytes short_remb = kRemb;
  short_remb[16] = 9;
  EXPECT_FALSE(ReadCameraRequests(short_remb, kCamera).has_value());
}

}  // namespace
}  // namespace tutti::load
