// A room's video mode by name, as the config file, the control API and the
// event stream write it, and the mode a room shows once the server's default
// ([video] mode) stands in for a room that sets none.
#pragma once

#include <cstddef>
#include <iterator>
#include <optional>
#include <string_view>

#include "mixer/video_spec.h"

namespace tutti {

// "default" (a room's: the server's mode), "follow_talker", "presenter", "audio_only".
constexpr std::string_view VideoModeName(mixer::VideoMode mode) {
  // In the enum's order.
  constexpr std::string_view kNames[] = {"default", "follow_talker", "presenter", "audio_only"};
  const auto index = static_cast<size_t>(mode);
  return index < std::size(kNames) ? kNames[index] : kNames[0];
}

// Nullopt for any other text. "default" only where `default_ok` (a room's
// own setting; the server's must name a mode).
constexpr std::optional<mixer::VideoMode> ParseVideoMode(std::string_view name, bool default_ok) {
  for (mixer::VideoMode mode : {mixer::VideoMode::kFollowTalker, mixer::VideoMode::kPresenter,
                                mixer::VideoMode::kAudioOnly}) {
    if (name == VideoModeName(mode)) return mode;
  }
  if (default_ok && name == VideoModeName(mixer::VideoMode::kDefault)) {
    return mixer::VideoMode::kDefault;
  }
  return std::nullopt;
}

// What a room with `own` shows when the server's mode is `server_default`.
constexpr mixer::VideoMode EffectiveVideoMode(mixer::VideoMode own,
                                              mixer::VideoMode server_default) {
  return own == mixer::VideoMode::kDefault ? server_default : own;
}

// The longest hold ([video] hold_ms, a room's video_hold_ms) in milliseconds.
inline constexpr int kMaxVideoHoldMs = 60'000;

inline constexpr std::string_view kVideoModeNames = "follow_talker, presenter, audio_only";

}  // namespace tutti
