// Internal: classic integer arithmetic encoder with a static frequency table.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "entropy/arith_common.h"
#include "entropy/bit_io.h"

namespace tp::entropy {

// Encodes `symbols` (each < freqs.size(), each with a non-zero frequency)
// under `freqs` (sum 2^P). The stream holds no length: the decoder is told
// how many symbols to produce. The stream ends with the fewest flush bits for
// a zero tail (ArithFlushBits).
StatusOr<std::vector<uint8_t>> ArithEncode(std::span<const uint8_t> symbols,
                                           std::span<const uint32_t> freqs, const ArithConfig& config);

// The same coding appended to `out`, flushed for `tail`: with
// ArithTail::kAnyBits other fields may follow in the same bit stream, and
// ArithDecode's `coded_bits` tells the decoder where they start.
Status ArithEncodeBits(std::span<const uint8_t> symbols, std::span<const uint32_t> freqs,
                       const ArithConfig& config, ArithTail tail, BitWriter& out);

}  // namespace tp::entropy
