// Internal: static frequency tables shared by the arithmetic and rANS coders.
//
// A table assigns each symbol an integer frequency; frequencies sum to exactly
// 2^P (P = precision bits, 8..15), so coders divide by a shift. Every symbol
// that occurs must have a frequency >= 1, otherwise it cannot be coded.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "tensorpress/status.h"

namespace tp::entropy {

inline constexpr int kMinPrecisionBits = 8;
inline constexpr int kMaxPrecisionBits = 15;

// Scales `counts` to frequencies summing to 2^precision_bits, giving every
// non-zero count at least 1 and spending the rounding slack where it costs
// fewest coded bits. Fails if more symbols occur than 2^precision_bits or no
// symbol occurs at all.
StatusOr<std::vector<uint32_t>> NormalizeFrequencies(std::span<const uint64_t> counts,
                                                     int precision_bits);

// Checks a table read from untrusted bytes: 1..256 symbols, sum 2^P.
Status ValidateFrequencies(std::span<const uint32_t> freqs, int precision_bits);

// Ideal coded size, in bits, of symbols with these counts under this table
// (sum of count * (P - log2 freq)); infinity when a counted symbol has freq 0.
double IdealCodedBits(std::span<const uint64_t> counts, std::span<const uint32_t> freqs,
                      int precision_bits);

// Order-0 empirical entropy of counts, in bits in total.
double EntropyBits(std::span<const uint64_t> counts);

}  // namespace tp::entropy

namespace tp::entropy {

// What a table-driven decoder needs: cumulative starts and, for every slot
// of the 2^P range, the symbol owning it (one lookup instead of a search).
struct DecodeTable {
  int precision_bits = 0;
  std::vector<uint32_t> freq;         // per symbol
  std::vector<uint32_t> start;        // cumulative frequency before each symbol
  std::vector<uint8_t> slot_symbol;   // 2^P entries
};
// Validates `freqs` (as ValidateFrequencies) and builds the lookup.
StatusOr<DecodeTable> BuildDecodeTable(std::span<const uint32_t> freqs, int precision_bits);

}  // namespace tp::entropy
