// Internal: interleaved rANS encoder with a static frequency table.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "entropy/frequency.h"
#include "entropy/rans_common.h"

namespace tp::entropy {

// Encodes `symbols` under `freqs` (sum 2^precision_bits, P in 8..15). The
// stream starts with the kRansLanes final states; the count is not stored.
//
// Raw bits: when `raw_bits` is given (one width per symbol of the alphabet),
// symbol i is followed by raw[i], a uniform value of raw_bits[symbols[i]]
// bits, coded in the same state (exactly that many bits, like a raw bit
// field, but without a second stream). Every used symbol needs
// P + raw_bits[s] <= kRansMaxPrecisionPlusRawBits and raw[i] < 2^raw_bits[s].
StatusOr<std::vector<uint8_t>> RansEncode(std::span<const uint8_t> symbols,
                                          std::span<const uint32_t> freqs, int precision_bits,
                                          std::span<const uint8_t> raw = {},
                                          std::span<const uint8_t> raw_bits = {});

}  // namespace tp::entropy
