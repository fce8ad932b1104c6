// Internal: classic integer arithmetic encoder with a static frequency table.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "entropy/arith_common.h"

namespace tp::entropy {

// Encodes `symbols` (each < freqs.size(), each with a non-zero frequency)
// under `freqs` (sum 2^P). The stream holds no length: the decoder is told
// how many symbols to produce.
StatusOr<std::vector<uint8_t>> ArithEncode(std::span<const uint8_t> symbols,
                                           std::span<const uint32_t> freqs, const ArithConfig& config);

}  // namespace tp::entropy
