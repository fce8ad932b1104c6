// Internal: layout of the interleaved rANS streams shared by enc_rans and
// dec_rans. Read enc_rans.cc first.
#pragma once

#include <cstdint>

namespace tp::entropy {

// Symbol i is coded by state i % kRansLanes; independent states let the
// decoder's multiplies and table loads of neighbouring symbols overlap. 32
// lanes are four 8-lane AVX2 vectors: enough independent chains to hide the
// latency of one step (table load, multiply, shift, refill).
inline constexpr int kRansLanes = 32;
// States live in [kRansLow, 2^32) between symbols; renormalisation moves
// 16-bit words (little-endian), at most one per symbol and lane.
inline constexpr uint32_t kRansLow = uint32_t(1) << 16;
// A symbol may carry raw bits folded into the same state: P + raw bits must
// not exceed this, so that one word still restores a state (enc_rans.cc).
inline constexpr int kRansMaxPrecisionPlusRawBits = 16;
// The order-0 byte coder (codec `rans`, dec_rans_byte.h) packs a slot's
// frequency - 1, bias and symbol into 12 + 12 + 8 bits: P <= 12.
inline constexpr int kRansByteMaxPrecisionBits = 12;

}  // namespace tp::entropy
