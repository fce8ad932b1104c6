// Internal: layout of the interleaved rANS streams shared by enc_rans and
// dec_rans. Read enc_rans.cc first.
#pragma once

#include <cstdint>

namespace tp::entropy {

// Symbol i is coded by state i % kRansLanes; independent states let the
// decoder's multiplies and table loads of neighbouring symbols overlap.
inline constexpr int kRansLanes = 4;
// States live in [kRansLow, kRansLow << 8) between symbols; byte-wise
// renormalisation keeps them there.
inline constexpr uint32_t kRansLow = uint32_t(1) << 23;

}  // namespace tp::entropy
