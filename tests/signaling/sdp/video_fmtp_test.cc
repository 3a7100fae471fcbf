// The fmtp side of video offer/answer: H.264 profile-level-id and
// packetization-mode (RFC 6184 §8.1, §8.2.2), VP8/VP9 max-fr/max-fs.
#include "signaling/sdp/video_fmtp.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tutti::sdp {
namespace {

using media::VideoCodec;
using ::testing::Optional;

TEST(H264ProfileLevelTest, ProfilesAsTheConstraintFlagsName) {
  const auto profile = [](std::string_view text) {
    return H264ProfileOf(*ParseH264ProfileLevel(text));
  };
  EXPECT_EQ(profile("42e01f"), H264Profile::kConstrainedBaseline);  // baresip, Chrome
  EXPECT_EQ(profile("42c01e"), H264Profile::kConstrainedBaseline);
  EXPECT_EQ(profile("4d801f"), H264Profile::kConstrainedBaseline);  // Main with set0
  EXPECT_EQ(profile("42801f"), H264Profile::kBaseline);             // linphone, Poly
  EXPECT_EQ(profile("428016"), H264Profile::kBaseline);             // Yealink
  EXPECT_EQ(profile("4d001f"), H264Profile::kMain);
  EXPECT_EQ(profile("640028"), H264Profile::kHigh);
  EXPECT_EQ(profile("640c1f"), H264Profile::kConstrainedHigh);
  EXPECT_EQ(profile("f4001f"), H264Profile::kPredictiveHigh444);
  EXPECT_EQ(profile("6e001f"), H264Profile::kUnknown);  // High 10
  EXPECT_EQ(profile("42e81f"), H264Profile::kUnknown);  // a reserved flag set
  // No profile-level-id is Baseline at level 1 (§8.1).
  EXPECT_THAT(ParseH264ProfileLevel(""), Optional(H264ProfileLevel{0x42, 0x00, 0x0a}));
  EXPECT_FALSE(ParseH264ProfileLevel("42e01"));
  EXPECT_FALSE(ParseH264ProfileLevel("42e01g"));
  EXPECT_FALSE(ParseH264ProfileLevel("+2e01f"));
  EXPECT_EQ(WriteH264ProfileLevel({0x42, 0xe0, 0x1f}), "42e01f");
}

TEST(H264ProfileLevelTest, BaselineAndConstrainedBaselineForwardToEachOther) {
  EXPECT_TRUE(H264ProfilesCompatible(H264Profile::kBaseline, H264Profile::kConstrainedBaseline));
  EXPECT_TRUE(H264ProfilesCompatible(H264Profile::kHigh, H264Profile::kHigh));
  EXPECT_FALSE(H264ProfilesCompatible(H264Profile::kMain, H264Profile::kConstrainedBaseline));
  EXPECT_FALSE(H264ProfilesCompatible(H264Profile::kHigh, H264Profile::kConstrainedHigh));
  EXPECT_FALSE(H264ProfilesCompatible(H264Profile::kUnknown, H264Profile::kUnknown));
}

TEST(AnswerVideoFmtpTest, H264PacketizationModeMustBeTheOneWeName) {
  // No packetization-mode in an offer is mode 0; ours without one is mode 1.
  EXPECT_FALSE(AnswerVideoFmtp(VideoCodec::kH264, "profile-level-id=42801F", ""));
  EXPECT_THAT(
      AnswerVideoFmtp(VideoCodec::kH264, "packetization-mode=1;profile-level-id=42e01f", ""),
      Optional(std::string("profile-level-id=42e01f;packetization-mode=1")));
  EXPECT_THAT(AnswerVideoFmtp(VideoCodec::kH264, "profile-level-id=42801F", "packetization-mode=0"),
              Optional(std::string("profile-level-id=42801f;packetization-mode=0")));
  EXPECT_FALSE(AnswerVideoFmtp(VideoCodec::kH264, "packetization-mode=1", "packetization-mode=0"));
  EXPECT_FALSE(AnswerVideoFmtp(VideoCodec::kH264, "packetization-mode=2", "packetization-mode=2"));
  EXPECT_FALSE(AnswerVideoFmtp(VideoCodec::kH264, "packetization-mode=x", ""));
}

TEST(AnswerVideoFmtpTest, H264AnswersOurProfileFamilyAtTheLowerLevel) {
  constexpr std::string_view ours = "profile-level-id=42e01f;packetization-mode=1";
  // The offer's level is lower: answered as offered.
  EXPECT_THAT(
      AnswerVideoFmtp(VideoCodec::kH264, "profile-level-id=428016; packetization-mode=1", ours),
      Optional(std::string("profile-level-id=428016;packetization-mode=1")));
  // Higher: our level, in the offer's profile.
  EXPECT_THAT(
      AnswerVideoFmtp(VideoCodec::kH264, "profile-level-id=42e028;packetization-mode=1", ours),
      Optional(std::string("profile-level-id=42e01f;packetization-mode=1")));
  // Another profile is not forwarded to ours.
  EXPECT_FALSE(
      AnswerVideoFmtp(VideoCodec::kH264, "profile-level-id=64001f;packetization-mode=1", ours));
  EXPECT_FALSE(
      AnswerVideoFmtp(VideoCodec::kH264, "profile-level-id=4d001f;packetization-mode=1", ours));
  // Nothing of ours to match: any known profile, at its own level.
  EXPECT_THAT(
      AnswerVideoFmtp(VideoCodec::kH264, "profile-level-id=640028;packetization-mode=1", ""),
      Optional(std::string("profile-level-id=640028;packetization-mode=1")));
  EXPECT_FALSE(
      AnswerVideoFmtp(VideoCodec::kH264, "profile-level-id=6e001f;packetization-mode=1", ""));
  EXPECT_FALSE(AnswerVideoFmtp(VideoCodec::kH264, "profile-level-id=zz;packetization-mode=1", ""));
}

TEST(AnswerVideoFmtpTest, H264LevelOneBSitsBetweenOneAndOnePointOne) {
  // 42f00b: Constrained Baseline with constraint_set3 at level_idc 11 is 1b.
  EXPECT_THAT(AnswerVideoFmtp(VideoCodec::kH264, "profile-level-id=42e01f;packetization-mode=1",
                              "profile-level-id=42f00b;packetization-mode=1"),
              Optional(std::string("profile-level-id=42f00b;packetization-mode=1")));
  // Level 1.1 without set3 is above 1b: the offer's 1.1 comes down to our 1b.
  EXPECT_THAT(AnswerVideoFmtp(VideoCodec::kH264, "profile-level-id=42e00b;packetization-mode=1",
                              "profile-level-id=42f00b;packetization-mode=1"),
              Optional(std::string("profile-level-id=42f00b;packetization-mode=1")));
  // Our 1.1 against an offered 1b: the offer is lower and stays.
  EXPECT_THAT(AnswerVideoFmtp(VideoCodec::kH264, "profile-level-id=42f00b;packetization-mode=1",
                              "profile-level-id=42e00b;packetization-mode=1"),
              Optional(std::string("profile-level-id=42f00b;packetization-mode=1")));
  // From 1b down to 1.0 the set3 flag goes.
  EXPECT_THAT(AnswerVideoFmtp(VideoCodec::kH264, "profile-level-id=42f00b;packetization-mode=1",
                              "profile-level-id=42e00a;packetization-mode=1"),
              Optional(std::string("profile-level-id=42e00a;packetization-mode=1")));
}

TEST(AnswerVideoFmtpTest, VpxTakesTheLowerMaxFrameRateAndSize) {
  EXPECT_THAT(AnswerVideoFmtp(VideoCodec::kVp8, "max-fs=3600", ""),
              Optional(std::string("max-fs=3600")));
  EXPECT_THAT(AnswerVideoFmtp(VideoCodec::kVp8, "max-fs=3600; max-fr=60", "max-fr=30;max-fs=8160"),
              Optional(std::string("max-fr=30;max-fs=3600")));
  EXPECT_THAT(AnswerVideoFmtp(VideoCodec::kVp8, "", ""), Optional(std::string()));
  EXPECT_THAT(AnswerVideoFmtp(VideoCodec::kVp8, "max-fs=junk", "max-fs=1200"),
              Optional(std::string("max-fs=1200")));
  // VP9's profile must be ours (none is profile 0).
  EXPECT_THAT(AnswerVideoFmtp(VideoCodec::kVp9, "profile-id=0;max-fs=3600", ""),
              Optional(std::string("max-fs=3600")));
  EXPECT_FALSE(AnswerVideoFmtp(VideoCodec::kVp9, "profile-id=2", ""));
  EXPECT_THAT(AnswerVideoFmtp(VideoCodec::kVp9, "profile-id=2", "profile-id=2"),
              Optional(std::string("profile-id=2")));
}

TEST(OfferVideoFmtpTest, H264AlwaysNamesItsProfileAndMode) {
  EXPECT_EQ(OfferVideoFmtp(VideoCodec::kH264, ""), "profile-level-id=42e01f;packetization-mode=1");
  EXPECT_EQ(OfferVideoFmtp(VideoCodec::kH264, "packetization-mode=0"),
            "profile-level-id=42e01f;packetization-mode=0");
  EXPECT_EQ(OfferVideoFmtp(VideoCodec::kH264, "profile-level-id=640028"),
            "profile-level-id=640028;packetization-mode=1");
  EXPECT_EQ(OfferVideoFmtp(VideoCodec::kVp8, "max-fs=3600"), "max-fs=3600");
}

}  // namespace
}  // namespace tutti::sdp
