// Internal: layout of the interleaved rANS streams shared by enc_rans and
// dec_rans. Read enc_rans.cc first.
#pragma once

#include <cstdint>

namespace tp::entropy {

// Symbol i is coded by state i % kRansLanes; independent states let the
// decoder's multiplies and table loads of neighbouring symbols overlap.
inline constexpr int kRansLanes = 4;
// States live in [kRansLow, 2^32) between symbols; renormalisation moves
// 16-bit words (little-endian), at most one per symbol and lane.
inline constexpr uint32_t kRansLow = uint32_t(1) << 16;

}  // namespace tp::entropy
