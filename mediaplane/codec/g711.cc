#include "mediaplane/codec/g711.h"

#include <array>
#include <bit>

namespace tutti::media {
namespace {

constexpr int kUlawBias = 0x84;
constexpr int kUlawClip = 32635;

constexpr int16_t DecodeUlawSlow(uint8_t code) {
  code = static_cast<uint8_t>(~code);
  const int sign = code & 0x80;
  const int exponent = (code >> 4) & 0x07;
  const int mantissa = code & 0x0f;
  const int magnitude = (((mantissa << 3) + kUlawBias) << exponent) - kUlawBias;
  return static_cast<int16_t>(sign ? -magnitude : magnitude);
}

constexpr int16_t DecodeAlawSlow(uint8_t code) {
  code ^= 0x55;
  const int sign = code & 0x80;
  const int exponent = (code >> 4) & 0x07;
  const int mantissa = code & 0x0f;
  int magnitude = (mantissa << 4) + 8;
  if (exponent != 0) magnitude = (magnitude + 0x100) << (exponent - 1);
  return static_cast<int16_t>(sign ? magnitude : -magnitude);
}

template <typename Decode>
constexpr std::array<int16_t, 256> MakeTable(Decode decode) {
  std::array<int16_t, 256> table{};
  for (int i = 0; i < 256; ++i) table[i] = decode(static_cast<uint8_t>(i));
  return table;
}

constexpr std::array<int16_t, 256> kUlawTable = MakeTable(DecodeUlawSlow);
constexpr std::array<int16_t, 256> kAlawTable = MakeTable(DecodeAlawSlow);

}  // namespace

uint8_t LinearToUlaw(int16_t sample) {
  int value = sample;
  const int sign = value < 0 ? 0x80 : 0;
  if (value < 0) value = -value;
  if (value > kUlawClip) value = kUlawClip;
  value += kUlawBias;
  // The segment is the position of the highest set bit above bit 7.
  const int exponent = std::bit_width(static_cast<unsigned>(value >> 7)) - 1;
  const int mantissa = (value >> (exponent + 3)) & 0x0f;
  return static_cast<uint8_t>(~(sign | (exponent << 4) | mantissa));
}

int16_t UlawToLinear(uint8_t code) { return kUlawTable[code]; }

uint8_t LinearToAlaw(int16_t sample) {
  int value = sample;
  const int sign = value >= 0 ? 0x80 : 0;
  if (value < 0) value = -value - 1;
  if (value > 32767) value = 32767;
  int code;
  if (value < 256) {
    code = value >> 4;
  } else {
    const int exponent = std::bit_width(static_cast<unsigned>(value >> 8));
    code = (exponent << 4) | ((value >> (exponent + 3)) & 0x0f);
  }
  return static_cast<uint8_t>((sign | code) ^ 0x55);
}

int16_t AlawToLinear(uint8_t code) { return kAlawTable[code]; }

void EncodeUlaw(std::span<const int16_t> in, uint8_t* out) {
  for (size_t i = 0; i < in.size(); ++i) out[i] = LinearToUlaw(in[i]);
}

void DecodeUlaw(std::span<const uint8_t> in, int16_t* out) {
  for (size_t i = 0; i < in.size(); ++i) out[i] = kUlawTable[in[i]];
}

void EncodeAlaw(std::span<const int16_t> in, uint8_t* out) {
  for (size_t i = 0; i < in.size(); ++i) out[i] = LinearToAlaw(in[i]);
}

void DecodeAlaw(std::span<const uint8_t> in, int16_t* out) {
  for (size_t i = 0; i < in.size(); ++i) out[i] = kAlawTable[in[i]];
}

}  // namespace tutti::media
