// Internal: AVX2 decoder of atalanta-rans chunks, bit-exact with the scalar
// loop in dec_codec.cc (DecodeAtalantaRansChunk), which also finishes what
// this one leaves and is the reference in dec_rans_simd_test.cc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "entropy/dec_rans.h"

namespace tp::codec {

// Whether this CPU runs DecodeRansGroupsAvx2 (checked once).
bool HaveRansAvx2();

// On by default; tests turn it off to get the scalar reference decoder.
bool RansSimdEnabled();
void SetRansSimdEnabledForTesting(bool enabled);

// The AVX2 loop's table: one 32-bit entry per slot, (freq - 1) | bias << P |
// symbol << 28, so one load serves a step; each symbol's range (start, last
// code, offset mask, offset width) comes from 16 entries held in two vectors.
// Holds for P <= 14 and at most 16 symbols (atalanta-rans's defaults: P = 10,
// K = 16).
struct RansPackedTable {
  int precision_bits = 0;
  std::vector<uint32_t> slots;
  uint32_t info[16] = {};  // start | last << 8 | (2^width - 1) << 16 | width << 24
};
// False when `table` does not fit (the scalar loop then does everything).
// The slots' user bytes must be (range start, range size - 1).
bool BuildRansPackedTable(const entropy::RansDecodeTable& table, RansPackedTable* packed);

// Decodes whole groups of kRansLanes values into out[0..) while n and the
// rANS bytes left (end - p) allow one without bounds checks, advancing the
// states and p exactly as the scalar loop does. Sets *bad when an offset
// fell outside its range. Returns the number of values decoded (a multiple
// of kRansLanes).
size_t DecodeRansGroupsAvx2(const RansPackedTable& table, uint32_t* states, const uint8_t*& p,
                            const uint8_t* end, uint8_t* out, size_t n, bool* bad);

}  // namespace tp::codec
