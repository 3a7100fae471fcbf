// G.711 µ-law and A-law (ITU-T G.711), 8 kHz, one byte per sample.
// Decoding is a table lookup; encoding finds the segment with a bit scan.
#pragma once

#include <cstdint>
#include <span>

namespace tutti::media {

uint8_t LinearToUlaw(int16_t sample);
int16_t UlawToLinear(uint8_t code);
uint8_t LinearToAlaw(int16_t sample);
int16_t AlawToLinear(uint8_t code);

// Whole frames; `out` must be as long as `in`.
void EncodeUlaw(std::span<const int16_t> in, uint8_t* out);
void DecodeUlaw(std::span<const uint8_t> in, int16_t* out);
void EncodeAlaw(std::span<const int16_t> in, uint8_t* out);
void DecodeAlaw(std::span<const uint8_t> in, int16_t* out);

}  // namespace tutti::media
