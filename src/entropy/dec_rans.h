// Internal: decoder of enc_rans's interleaved streams. Never includes the
// encoder.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "entropy/frequency.h"
#include "entropy/rans_common.h"

namespace tp::entropy {

// One 8-byte entry per slot of the 2^P range: everything a decode step needs
// in a single load.
struct RansSlot {
  uint16_t freq;
  uint16_t bias;  // slot - start of the symbol
  uint8_t symbol;
  uint8_t pad[3];
};
static_assert(sizeof(RansSlot) == 8);

struct RansDecodeTable {
  int precision_bits = 0;
  std::vector<RansSlot> slots;
};
// Validates `freqs` and builds the slot table.
StatusOr<RansDecodeTable> BuildRansDecodeTable(std::span<const uint32_t> freqs, int precision_bits);

// Decodes out.size() symbols. Every byte read is bounds-checked and the final
// states must equal the encoder's initial ones, so truncated or corrupt input
// gives CorruptDataError.
Status RansDecode(std::span<const uint8_t> bytes, const RansDecodeTable& table, std::span<uint8_t> out);

}  // namespace tp::entropy
