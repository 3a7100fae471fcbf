// Reads a video bitstream header MSB first, as the H.264 (ITU-T H.264 7.2)
// and VP9 (VP9 bitstream spec 4.9) syntax tables are written: fixed-width
// fields and exp-Golomb codes. For H.264 it can drop the emulation
// prevention bytes (00 00 03 -> 00 00, H.264 7.4.1) on the way, so a NAL
// unit is read as its RBSP without being copied. Every read checks the end
// of the data: a truncated header is an empty optional, never a read past
// the buffer. No allocation; it only views the caller's bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace tutti::media {

class BitReader {
 public:
  enum class Emulation { kKept, kRemoved };

  explicit BitReader(std::span<const uint8_t> data, Emulation emulation = Emulation::kKept)
      : data_(data), remove_emulation_(emulation == Emulation::kRemoved) {}

  // `count` bits (0..32) as an unsigned number.
  std::optional<uint32_t> ReadBits(int count) {
    uint32_t value = 0;
    for (int i = 0; i < count; ++i) {
      if (bits_left_ == 0 && !LoadByte()) return std::nullopt;
      --bits_left_;
      value = (value << 1) | ((current_ >> bits_left_) & 1u);
    }
    return value;
  }

  std::optional<bool> ReadFlag() {
    std::optional<uint32_t> bit = ReadBits(1);
    if (!bit) return std::nullopt;
    return *bit != 0;
  }

  // ue(v), H.264 9.1: up to 31 leading zeros (values below 2^32 - 1); a
  // longer prefix is no valid code of any field tutti reads.
  std::optional<uint32_t> ReadUe() {
    int leading_zeros = 0;
    for (;;) {
      std::optional<uint32_t> bit = ReadBits(1);
      if (!bit) return std::nullopt;
      if (*bit) break;
      if (++leading_zeros > 31) return std::nullopt;
    }
    std::optional<uint32_t> suffix = ReadBits(leading_zeros);
    if (!suffix) return std::nullopt;
    return static_cast<uint32_t>((uint64_t{1} << leading_zeros) - 1 + *suffix);
  }

  // se(v), H.264 9.1.1: 1, -1, 2, -2, ... from ue(v) 1, 2, 3, 4, ...
  std::optional<int64_t> ReadSe() {
    std::optional<uint32_t> code = ReadUe();
    if (!code) return std::nullopt;
    const int64_t magnitude = (int64_t{*code} + 1) / 2;
    return (*code & 1u) ? magnitude : -magnitude;
  }

 private:
  bool LoadByte() {
    if (next_ >= data_.size()) return false;
    uint8_t byte = data_[next_++];
    if (remove_emulation_ && zeros_ >= 2 && byte == 3) {
      zeros_ = 0;
      if (next_ >= data_.size()) return false;
      byte = data_[next_++];
    }
    zeros_ = byte == 0 ? zeros_ + 1 : 0;
    current_ = byte;
    bits_left_ = 8;
    return true;
  }

  std::span<const uint8_t> data_;
  bool remove_emulation_;
  size_t next_ = 0;
  uint8_t current_ = 0;
  int bits_left_ = 0;
  int zeros_ = 0;  // zero bytes just read, for the emulation prevention rule
};

}  // namespace tutti::media
