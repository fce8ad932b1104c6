// Internal: AVX2 decoder of atalanta-rans chunks, bit-exact with the scalar
// loop in dec_codec.cc (DecodeRansWithOffsets), which also finishes what this
// one leaves and is the reference in dec_rans_simd_test.cc.
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

// Where the raw offsets are read: bit `bitpos` of `raw` (MSB first), which
// holds raw_size bytes followed by at least kRansRawPadding readable bytes.
struct RansOffsetCursor {
  const uint8_t* raw = nullptr;
  size_t raw_size = 0;
  uint64_t bitpos = 0;
  bool bad = false;  // an offset fell outside its range
};
inline constexpr size_t kRansRawPadding = 64;

// The AVX2 loop's table: one 32-bit entry per slot, (freq - 1) | bias << P |
// symbol << 28, so one gather serves a step; each symbol's user bytes
// (range start, offset width, size-1) come from 16 entries held in two
// vectors. Holds for P <= 14 and at most 16 symbols, Atalanta's defaults.
struct RansPackedTable {
  int precision_bits = 0;
  std::vector<uint32_t> slots;
  uint32_t info[16] = {};  // symbol | start << 8 | width << 16 | (size-1) << 24
};
// False when `table` does not fit (the scalar loop then does everything).
bool BuildRansPackedTable(const entropy::RansDecodeTable& table, RansPackedTable* packed);

// Decodes whole groups of kRansLanes values into out[0..) while n, the rANS
// bytes left (end - p) and the offsets left allow one without bounds checks,
// advancing states, p and the cursor exactly as the scalar loop does, each
// slot's user bytes being (range start, offset width, range size - 1).
// Returns the number of values decoded (a multiple of kRansLanes).
size_t DecodeRansGroupsAvx2(const RansPackedTable& table, uint32_t* states, const uint8_t*& p,
                            const uint8_t* end, RansOffsetCursor& cursor, uint8_t* out, size_t n);

}  // namespace tp::codec
