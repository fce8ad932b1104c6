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
StatusOr<std::vector<uint8_t>> RansEncode(std::span<const uint8_t> symbols,
                                          std::span<const uint32_t> freqs, int precision_bits);

}  // namespace tp::entropy
