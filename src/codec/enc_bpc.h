// Internal: Bit-Plane Compression (Kim et al., ISCA 2016), encoder side.
//
// A block of 32 values of element width w (8 here): the first value is the
// base, coded with the shortest of `000` (zero), `001`+4, `010`+8, `011`+16
// bits sign-extended, or `1`+w bits raw. The 31 deltas v[i]-v[i-1] take w+1
// bits; bit k of every delta forms the 31-bit delta plane DBP_k (delta i at
// bit i). Every plane but the top one is XORed with its more significant
// neighbour (DBX_k = DBP_k ^ DBP_{k+1}, DBX_w = DBP_w), and the DBX planes are
// coded from the most significant:
//   01 + 5 bits  a run of 2..33 all-zero planes (run - 2)
//   001          one all-zero plane
//   00000        an all-ones plane
//   00001        DBP_k == 0 while DBX_k != 0 (so DBX_k equals DBP_{k+1})
//   00010 + 5    two consecutive ones, at the given position and the next
//   00011 + 5    a single one at the given position
//   1 + 31 bits  the plane raw
// A short last block is padded by repeating its last value (zero deltas).
#pragma once

#include <cstdint>

#include "entropy/bit_io.h"

namespace tp::codec {

inline constexpr int kBpcBlock = 32;
inline constexpr int kBpcWidth = 8;

// values: the block's 32 values as integers of width kBpcWidth (signed
// -128..127 or unsigned 0..255 as `is_signed` says).
void BpcEncodeBlock(const int32_t* values, bool is_signed, entropy::BitWriter& out);

}  // namespace tp::codec
