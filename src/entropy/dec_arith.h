// Internal: decoder of enc_arith's streams. Never includes the encoder.
#pragma once

#include <cstdint>
#include <span>

#include "entropy/arith_common.h"

namespace tp::entropy {

// Decodes out.size() symbols. `table` comes from BuildDecodeTable and must
// have config.precision_bits. Untrusted bytes give symbols or a
// CorruptDataError (stream far too short), never a read out of bounds.
// With `coded_bits`, also reports how many bits the encoder wrote for these
// symbols under ArithTail::kAnyBits: where the fields that follow start.
Status ArithDecode(std::span<const uint8_t> bytes, const DecodeTable& table,
                   const ArithConfig& config, std::span<uint8_t> out, uint64_t* coded_bits = nullptr);

}  // namespace tp::entropy
