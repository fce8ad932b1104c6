// Internal: constants of the .tpz container (layout in include/tensorpress/tpz.h).
#pragma once

#include <cstdint>

#include "tensorpress/dtype.h"

namespace tp::tpz {

inline constexpr char kMagic[4] = {'T', 'P', 'Z', '1'};
inline constexpr uint32_t kVersion = 2;
inline constexpr uint64_t kPrefixBytes = 4 + 4 + 8 + 8;
// A plane's stream is at least 1/kMaxExpansion of its values: the reader
// rejects a header claiming more before allocating, and the writer never
// picks a codec that would exceed it.
inline constexpr uint64_t kMaxExpansion = uint64_t(1) << 16;

// Bytes per plane element: whole-byte element types are split by byte;
// packed and block-quantized types travel as one plane of raw bytes.
inline int PlaneCount(DType dtype) {
  const DTypeTraits& t = Traits(dtype);
  if (t.block_elements != 1 || t.bits % 8 != 0) return 1;
  return t.bits / 8;
}

}  // namespace tp::tpz
