// Internal: layout of the interleaved rANS streams shared by enc_rans and
// dec_rans. Read enc_rans.cc first.
#pragma once

#include <cstdint>

namespace tp::entropy {

// Symbol i is coded by state i % kRansLanes; independent states let the
// decoder's multiplies and table loads of neighbouring symbols overlap. 16
// lanes are two 8-lane AVX2 vectors (or four 4-lane ones), enough
// independent chains to hide a gather's latency.
inline constexpr int kRansLanes = 16;
// States live in [kRansLow, 2^32) between symbols; renormalisation moves
// 16-bit words (little-endian), at most one per symbol and lane.
inline constexpr uint32_t kRansLow = uint32_t(1) << 16;

}  // namespace tp::entropy
