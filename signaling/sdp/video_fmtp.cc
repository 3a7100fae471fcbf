#include "signaling/sdp/video_fmtp.h"

#include <algorithm>
#include <array>
#include <charconv>

#include "common/strings.h"

namespace tutti::sdp {
namespace {

// Our default H.264 offer: Constrained Baseline, level 3.1 (720p at 30 fps).
constexpr std::string_view kDefaultH264Profile = "42e01f";

std::optional<uint32_t> ParseUnsigned(std::string_view text) {
  uint32_t value = 0;
  if (text.empty()) return std::nullopt;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<uint8_t> HexByte(std::string_view two) {
  uint8_t value = 0;
  auto [end, error] = std::from_chars(two.data(), two.data() + two.size(), value, 16);
  if (error != std::errc() || end != two.data() + two.size()) return std::nullopt;
  return value;
}

// One row of the profile table: profile_idc and a pattern over the eight
// constraint flags, most significant first ('x': either).
struct ProfilePattern {
  uint8_t profile_idc;
  std::string_view flags;
  H264Profile profile;
};
constexpr std::array<ProfilePattern, 9> kProfiles = {{
    {0x42, "x1xx0000", H264Profile::kConstrainedBaseline},
    {0x4d, "1xxx0000", H264Profile::kConstrainedBaseline},
    {0x58, "11xx0000", H264Profile::kConstrainedBaseline},
    {0x42, "x0xx0000", H264Profile::kBaseline},
    {0x58, "10xx0000", H264Profile::kBaseline},
    {0x4d, "0x0x0000", H264Profile::kMain},
    {0x64, "00000000", H264Profile::kHigh},
    {0x64, "00001100", H264Profile::kConstrainedHigh},
    {0xf4, "00000000", H264Profile::kPredictiveHigh444},
}};

bool FlagsMatch(uint8_t iop, std::string_view pattern) {
  for (int bit = 0; bit < 8; ++bit) {
    const char want = pattern[static_cast<size_t>(bit)];
    const bool set = (iop & (0x80 >> bit)) != 0;
    if ((want == '1' && !set) || (want == '0' && set)) return false;
  }
  return true;
}

// Profiles whose constraint_set3 flag at level_idc 11 means level 1b.
bool LevelOneBBySet3(uint8_t profile_idc) {
  return profile_idc == 0x42 || profile_idc == 0x4d || profile_idc == 0x58;
}

// Levels in order: level_idc * 10, with 1b (level_idc 9, or 11 with
// constraint_set3 in the Baseline, Main and Extended profiles) between 1 and 1.1.
int LevelRank(const H264ProfileLevel& value) {
  if (value.level_idc == 9) return 105;
  if (value.level_idc == 11 && LevelOneBBySet3(value.profile_idc) &&
      (value.profile_iop & 0x10) != 0) {
    return 105;
  }
  return value.level_idc * 10;
}

// `offered` at `ours`'s level, written the way `offered`'s profile writes it.
H264ProfileLevel AtLevelOf(H264ProfileLevel offered, const H264ProfileLevel& ours) {
  const bool set3 = LevelOneBBySet3(offered.profile_idc);
  if (LevelRank(ours) == 105) {
    offered.level_idc = set3 ? 11 : 9;
    if (set3) offered.profile_iop |= 0x10;
    return offered;
  }
  offered.level_idc = ours.level_idc;
  if (set3) offered.profile_iop &= static_cast<uint8_t>(~0x10);
  return offered;
}

std::optional<std::string> AnswerH264(std::string_view offered, std::string_view ours) {
  // §8.1: no packetization-mode is mode 0 in an offer; ours without one is mode 1.
  const std::string_view offered_mode_text = FmtpParameter(offered, "packetization-mode");
  const std::string_view our_mode_text = FmtpParameter(ours, "packetization-mode");
  const std::optional<uint32_t> offered_mode =
      offered_mode_text.empty() ? 0u : ParseUnsigned(offered_mode_text);
  const std::optional<uint32_t> our_mode =
      our_mode_text.empty() ? 1u : ParseUnsigned(our_mode_text);
  if (!offered_mode || !our_mode || *our_mode > 1 || *offered_mode != *our_mode) {
    return std::nullopt;
  }
  const std::optional<H264ProfileLevel> theirs =
      ParseH264ProfileLevel(FmtpParameter(offered, "profile-level-id"));
  if (!theirs || H264ProfileOf(*theirs) == H264Profile::kUnknown) return std::nullopt;
  H264ProfileLevel answered = *theirs;
  const std::string_view our_text = FmtpParameter(ours, "profile-level-id");
  if (!our_text.empty()) {
    const std::optional<H264ProfileLevel> our_level = ParseH264ProfileLevel(our_text);
    if (!our_level || !H264ProfilesCompatible(H264ProfileOf(*theirs), H264ProfileOf(*our_level))) {
      return std::nullopt;
    }
    // §8.2.2: the answer's level may be lower than the offer's, never higher.
    if (LevelRank(*our_level) < LevelRank(*theirs)) answered = AtLevelOf(*theirs, *our_level);
  }
  return StrCat("profile-level-id=", WriteH264ProfileLevel(answered),
                ";packetization-mode=", *our_mode);
}

// max-fr and max-fs (and VP9's profile-id): the lower of both sides, each
// where either side gives it.
std::optional<std::string> AnswerVpx(media::VideoCodec codec, std::string_view offered,
                                     std::string_view ours) {
  std::string answered;
  if (codec == media::VideoCodec::kVp9) {
    const std::string_view theirs = FmtpParameter(offered, "profile-id");
    const std::string_view our = FmtpParameter(ours, "profile-id");
    const std::optional<uint32_t> their_profile = theirs.empty() ? 0u : ParseUnsigned(theirs);
    const std::optional<uint32_t> our_profile = our.empty() ? 0u : ParseUnsigned(our);
    if (!their_profile || !our_profile || *their_profile != *our_profile) return std::nullopt;
    if (*our_profile != 0) StrAppend(&answered, "profile-id=", *our_profile);
  }
  for (std::string_view name : {std::string_view("max-fr"), std::string_view("max-fs")}) {
    const std::optional<uint32_t> theirs = ParseUnsigned(FmtpParameter(offered, name));
    const std::optional<uint32_t> our = ParseUnsigned(FmtpParameter(ours, name));
    std::optional<uint32_t> lower = theirs;
    if (our && (!lower || *our < *lower)) lower = our;
    if (lower && *lower > 0) StrAppend(&answered, answered.empty() ? "" : ";", name, "=", *lower);
  }
  return answered;
}

}  // namespace

std::string_view FmtpParameter(std::string_view fmtp, std::string_view name) {
  for (std::string_view part : SplitNonEmpty(fmtp, ';')) {
    const size_t equals = part.find('=');
    if (equals != std::string_view::npos &&
        EqualsIgnoreCase(StripWhitespace(part.substr(0, equals)), name)) {
      return StripWhitespace(part.substr(equals + 1));
    }
  }
  return {};
}

std::optional<H264ProfileLevel> ParseH264ProfileLevel(std::string_view text) {
  if (text.empty()) return H264ProfileLevel{};
  if (text.size() != 6) return std::nullopt;
  const std::optional<uint8_t> profile_idc = HexByte(text.substr(0, 2));
  const std::optional<uint8_t> profile_iop = HexByte(text.substr(2, 2));
  const std::optional<uint8_t> level_idc = HexByte(text.substr(4, 2));
  if (!profile_idc || !profile_iop || !level_idc) return std::nullopt;
  return H264ProfileLevel{*profile_idc, *profile_iop, *level_idc};
}

std::string WriteH264ProfileLevel(const H264ProfileLevel& value) {
  constexpr std::string_view kHex = "0123456789abcdef";
  std::string out;
  for (uint8_t byte : {value.profile_idc, value.profile_iop, value.level_idc}) {
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 0xf]);
  }
  return out;
}

H264Profile H264ProfileOf(const H264ProfileLevel& value) {
  for (const ProfilePattern& pattern : kProfiles) {
    if (pattern.profile_idc == value.profile_idc && FlagsMatch(value.profile_iop, pattern.flags)) {
      return pattern.profile;
    }
  }
  return H264Profile::kUnknown;
}

bool H264ProfilesCompatible(H264Profile a, H264Profile b) {
  if (a == H264Profile::kUnknown || b == H264Profile::kUnknown) return false;
  const auto family = [](H264Profile profile) {
    return profile == H264Profile::kConstrainedBaseline ? H264Profile::kBaseline : profile;
  };
  return family(a) == family(b);
}

std::optional<std::string> AnswerVideoFmtp(media::VideoCodec codec, std::string_view offered,
                                           std::string_view ours) {
  switch (codec) {
    case media::VideoCodec::kH264:
      return AnswerH264(offered, ours);
    case media::VideoCodec::kVp8:
    case media::VideoCodec::kVp9:
      return AnswerVpx(codec, offered, ours);
  }
  return std::nullopt;
}

std::string OfferVideoFmtp(media::VideoCodec codec, std::string_view ours) {
  if (codec != media::VideoCodec::kH264) return std::string(ours);
  const std::string_view profile = FmtpParameter(ours, "profile-level-id");
  const std::string_view mode = FmtpParameter(ours, "packetization-mode");
  return StrCat("profile-level-id=", profile.empty() ? kDefaultH264Profile : profile,
                ";packetization-mode=", mode.empty() ? "1" : mode);
}

}  // namespace tutti::sdp
