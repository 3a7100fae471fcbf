// Mixing arithmetic: 32-bit accumulation of talker frames, mix-minus, gain
// ramps for voices entering or leaving the mix, and a soft limiter that
// leaves normal speech untouched and bends peaks smoothly towards full scale
// instead of clipping them.
#pragma once

#include <cstdint>
#include <span>

namespace tutti::mixer {

// A voice's gain across one frame as it enters or leaves the mix, linear as
// libwebrtc's mixer ramps its sources in and out: kIn rises from 0 at the
// first sample towards 1 at the last, kOut falls from 1 towards 0. At every
// sample the two add up to exactly 1, so a place handed from one voice to
// another of the same level keeps that level throughout.
enum class Ramp : uint8_t { kNone, kIn, kOut };

// acc[i] += in[i]
void Accumulate(std::span<int32_t> acc, std::span<const int16_t> in);
// acc[i] += in[i] * ramp's gain at i (the plain sum for kNone).
void Accumulate(std::span<int32_t> acc, std::span<const int16_t> in, Ramp ramp);

// out[i] = Limit(mix[i] - own[i]): what a talker hears (everyone but itself).
void MixMinus(std::span<const int32_t> mix, std::span<const int16_t> own, std::span<int16_t> out);
// The same for a talker whose frame went into `mix` under `ramp`: exactly
// its ramped contribution comes out again.
void MixMinus(std::span<const int32_t> mix, std::span<const int16_t> own, Ramp ramp,
              std::span<int16_t> out);

// out[i] = Limit(mix[i]).
void Limit(std::span<const int32_t> mix, std::span<int16_t> out);

// The limiter's curve: identity up to the knee (-3 dBFS), then a smooth
// compression that approaches but never reaches full scale.
int16_t SoftLimit(int32_t sample);

}  // namespace tutti::mixer
