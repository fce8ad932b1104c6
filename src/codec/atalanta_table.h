// Internal: the tables of Atalanta and atalanta-order0 as a stream stores
// them, shared by the encoder, the decoder and the profiler's cost model.
//
// Atalanta (and atalanta-rans), bit-packed MSB first, padded to a byte:
//   1 bit    the coder settings are the defaults (P = 10, W = 16);
//            else 3 bits P - 8 and 5 bits W - P - 2
//   1 bit    the ranges tile all codes 0..255; else 8 bits first code and
//            8 bits last code (the ranges tile first..last; codes outside
//            never occur)
//   gamma(K)
//   ceil(log2 K) bits: the range whose frequency is implied
//   for each range but the last: gamma(size)
//   for each range but the implied one: gamma(frequency')
// gamma(x) is the Elias gamma code of x >= 1 (floor(log2 x) zeros, then x in
// binary). The last range takes the codes left and the implied range the
// frequency left. Every range has a frequency of at least 1 (a range no value
// falls in is never worth its table bits). Frequencies are stored at the table precision
// P' = clamp(bit_width(values), 8, P) (a tensor of few values needs no finer
// ones) and scaled by 2^(P - P') to sum to 2^P. Offset widths are implied:
// ceil(log2(size)). Raw 8-bit storage (one range of 256 codes) under the
// default settings is the empty table; a constant tensor (one range of one
// code) costs 19 bits.
//
// atalanta-order0: 3 bits P - 8, 5 bits W - P - 2, 1 bit "all codes" (else
// 8 bits first and 8 bits last code with a non-zero frequency), then
// gamma(frequency + 1) for each code from the first to the last.
#pragma once

#include <bit>
#include <cstdint>
#include <span>
#include <vector>

#include "entropy/bit_io.h"
#include "tensorpress/status.h"

namespace tp::codec {

inline constexpr int kDefaultPrecisionBits = 10, kDefaultRegisterBits = 16;
inline constexpr int kOrder0TableHeaderBits = 3 + 5 + 1;

inline int GammaBits(uint32_t x) { return 2 * std::bit_width(x) - 1; }
inline void WriteGamma(entropy::BitWriter& w, uint32_t x) {
  const int n = std::bit_width(x);
  w.Write(0, n - 1);
  w.Write(x, n);
}
// Reads a gamma code of at most `max_bits` significant bits; false if longer
// (or if the stream ran out, which the caller checks with overrun()).
inline bool ReadGamma(entropy::BitReader& r, int max_bits, uint32_t* x) {
  int zeros = 0;
  while (r.ReadBit() == 0) {
    if (++zeros >= max_bits || r.overrun()) return false;
  }
  *x = (uint32_t(1) << zeros) | r.Read(zeros);
  return true;
}

// ceil(log2 x) for x >= 1.
inline int CeilLog2(uint32_t x) { return x <= 1 ? 0 : std::bit_width(x - 1); }

// Table bits that depend on the coder settings and the codes covered.
inline int AtalantaFixedBits(int precision_bits, int register_bits, bool all_codes) {
  const bool defaults = precision_bits == kDefaultPrecisionBits && register_bits == kDefaultRegisterBits;
  return 1 + (defaults ? 0 : 8) + 1 + (all_codes ? 0 : 16);
}
// Table bits that depend on K alone: gamma(K) and the implied range's index.
inline int AtalantaCountBits(int ranges) { return GammaBits(static_cast<uint32_t>(ranges)) + CeilLog2(static_cast<uint32_t>(ranges)); }
// The precision P' at which a table of a tensor of `values` values stores
// its frequencies.
inline int AtalantaTablePrecision(int precision_bits, uint64_t values) {
  const int b = std::bit_width(values);
  return b < 8 ? 8 : b > precision_bits ? precision_bits : b;
}

struct AtalantaTableFields {
  int precision_bits = kDefaultPrecisionBits, register_bits = kDefaultRegisterBits;
  int first_code = 0;                // the ranges tile first_code .. first_code + sum(sizes) - 1
  std::vector<uint16_t> sizes;       // codes per range, >= 1, ending at or before 255
  std::vector<uint32_t> frequency;   // per range, >= 1, sum 2^P, multiples of 2^(P - P')
  int implied = 0;                   // the range whose frequency is not stored
};
// Exact serialized size, in bits (before byte padding), for a tensor of
// `values` values.
uint64_t AtalantaTableBits(const AtalantaTableFields& t, uint64_t values);
// Requires a valid table (as ReadAtalantaTable accepts).
void WriteAtalantaTable(const AtalantaTableFields& t, uint64_t values, entropy::BitWriter& w);
// Parses `bytes` (exactly the table of a tensor of `values` values) and
// checks every field: P and W valid, 1..64 ranges of at least one code
// inside 0..255, frequencies of at least 1 summing to exactly 2^P.
Status ReadAtalantaTable(std::span<const uint8_t> bytes, uint64_t values, AtalantaTableFields* t);

void WriteOrder0Table(int precision_bits, int register_bits, std::span<const uint32_t> freqs,
                      entropy::BitWriter& w);
uint64_t Order0TableBits(std::span<const uint32_t> freqs);
// 256 frequencies; their sum is checked by the decode table built from them.
Status ReadOrder0Table(std::span<const uint8_t> bytes, int* precision_bits, int* register_bits,
                       std::vector<uint32_t>* freqs);

}  // namespace tp::codec
