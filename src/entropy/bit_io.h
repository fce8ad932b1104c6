// Internal: MSB-first bit streams shared by the entropy coders and codecs.
//
// BitWriter appends bits most-significant first into bytes. BitReader reads
// them back and never touches memory past its span: reads beyond the end
// yield zero bits and are counted, so a decoder can reject a stream that
// needed more bits than it carries (overrun()) instead of reading garbage.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

namespace tp::entropy {

class BitWriter {
 public:
  // Appends the low `count` bits of `bits` (count 0..32), MSB first.
  void Write(uint32_t bits, int count) {
    if (count == 0) return;
    acc_ = (acc_ << count) | (uint64_t(bits) & ((uint64_t(1) << count) - 1));
    fill_ += count;
    while (fill_ >= 8) {
      fill_ -= 8;
      bytes_.push_back(static_cast<uint8_t>(acc_ >> fill_));
    }
  }
  void WriteBit(int bit) { Write(static_cast<uint32_t>(bit & 1), 1); }
  uint64_t bit_count() const { return bytes_.size() * 8 + fill_; }
  // Pads the last byte with zeros and returns the bytes.
  std::vector<uint8_t> Finish() {
    if (fill_ > 0) {
      bytes_.push_back(static_cast<uint8_t>(acc_ << (8 - fill_)));
      fill_ = 0;
    }
    acc_ = 0;
    return std::move(bytes_);
  }

 private:
  std::vector<uint8_t> bytes_;
  uint64_t acc_ = 0;
  int fill_ = 0;  // pending bits in acc_ (< 8 between calls)
};

class BitReader {
 public:
  explicit BitReader(std::span<const uint8_t> bytes) : bytes_(bytes) {}

  // Reads `count` bits (0..32), MSB first; zeros past the end.
  uint32_t Read(int count) {
    if (count == 0) return 0;
    Refill();
    uint32_t v = static_cast<uint32_t>(acc_ >> (64 - count));
    acc_ <<= count;
    fill_ -= count;
    consumed_ += static_cast<uint64_t>(count);
    return v;
  }
  // The next `count` bits (1..32) without consuming them.
  uint32_t Peek(int count) {
    Refill();
    return static_cast<uint32_t>(acc_ >> (64 - count));
  }
  void Skip(int count) {
    acc_ <<= count;
    fill_ -= count;
    consumed_ += static_cast<uint64_t>(count);
  }
  int ReadBit() { return static_cast<int>(Read(1)); }

  uint64_t consumed_bits() const { return consumed_; }
  uint64_t total_bits() const { return uint64_t(bytes_.size()) * 8; }
  // Bits consumed beyond the end of the data (zeros were supplied).
  uint64_t overrun() const { return consumed_ > total_bits() ? consumed_ - total_bits() : 0; }

 private:
  // Keeps at least 32 valid (or zero-padding) bits in acc_. Away from the
  // end, one unaligned 8-byte load tops acc_ up to 56..63 bits; the bits
  // loaded beyond the whole bytes counted are the stream's own next bits, so
  // the next load ORs identical values over them.
  void Refill() {
    if (fill_ > 56) return;
    if (pos_ + 8 <= bytes_.size()) {
      uint64_t word;
      std::memcpy(&word, bytes_.data() + pos_, 8);
      if constexpr (std::endian::native == std::endian::little) word = __builtin_bswap64(word);
      acc_ |= word >> fill_;
      pos_ += static_cast<uint64_t>(63 - fill_) >> 3;
      fill_ |= 56;
      return;
    }
    while (fill_ <= 56) {
      uint64_t byte = pos_ < bytes_.size() ? bytes_[pos_] : 0;
      ++pos_;
      acc_ |= byte << (56 - fill_);
      fill_ += 8;
    }
  }
  std::span<const uint8_t> bytes_;
  uint64_t pos_ = 0;
  uint64_t acc_ = 0;  // valid bits are the top fill_ bits
  int fill_ = 0;
  uint64_t consumed_ = 0;
};

}  // namespace tp::entropy
