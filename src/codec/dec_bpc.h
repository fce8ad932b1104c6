// Internal: Bit-Plane Compression decoder (the format is described in
// enc_bpc.h). Never includes the encoder's implementation.
#pragma once

#include <cstdint>

#include "entropy/bit_io.h"
#include "tensorpress/status.h"

namespace tp::codec {

inline constexpr int kBpcBlockValues = 32;

// Decodes one block of 32 values; values outside the width's range, runs past
// the last plane and impossible positions are CorruptDataError.
Status BpcDecodeBlock(entropy::BitReader& in, bool is_signed, int32_t* values);

}  // namespace tp::codec
