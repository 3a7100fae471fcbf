#include "bench/tutti_load/g711_level.h"

#include <array>

#include "mediaplane/codec/g711.h"

namespace tutti::load {
namespace {

using EnergyTable = std::array<int32_t, 256>;

EnergyTable MakeTable(bool alaw) {
  std::array<uint8_t, 256> bytes{};
  for (int i = 0; i < 256; ++i) bytes[static_cast<size_t>(i)] = static_cast<uint8_t>(i);
  std::array<int16_t, 256> pcm{};
  if (alaw) {
    media::DecodeAlaw(bytes, pcm.data());
  } else {
    media::DecodeUlaw(bytes, pcm.data());
  }
  EnergyTable table{};
  for (size_t i = 0; i < 256; ++i) table[i] = int32_t{pcm[i]} * pcm[i];
  return table;
}

}  // namespace

bool G711Loud(std::span<const uint8_t> payload, bool alaw) {
  static const EnergyTable kUlaw = MakeTable(false);
  static const EnergyTable kAlaw = MakeTable(true);
  const EnergyTable& table = alaw ? kAlaw : kUlaw;
  int64_t energy = 0;
  for (uint8_t byte : payload) energy += table[byte];
  return energy > static_cast<int64_t>(payload.size()) * 100 * 100;
}

}  // namespace tutti::load
