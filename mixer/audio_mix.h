// Mixing arithmetic: 32-bit accumulation of talker frames, mix-minus, and a
// soft limiter that leaves normal speech untouched and bends peaks smoothly
// towards full scale instead of clipping them.
#pragma once

#include <cstdint>
#include <span>

namespace tutti::mixer {

// acc[i] += in[i]
void Accumulate(std::span<int32_t> acc, std::span<const int16_t> in);

// out[i] = Limit(mix[i] - own[i]): what a talker hears (everyone but itself).
void MixMinus(std::span<const int32_t> mix, std::span<const int16_t> own, std::span<int16_t> out);

// out[i] = Limit(mix[i]).
void Limit(std::span<const int32_t> mix, std::span<int16_t> out);

// The limiter's curve: identity up to the knee (-3 dBFS), then a smooth
// compression that approaches but never reaches full scale.
int16_t SoftLimit(int32_t sample);

}  // namespace tutti::mixer
