// Internal: SIMD decoders of atalanta-rans chunks (AVX2, and AVX-512VL on the
// same 8-lane vectors), bit-exact with the scalar loop in dec_codec.cc
// (DecodeAtalantaRansChunk), which also finishes what they leave and is the
// reference in dec_rans_simd_test.cc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "entropy/dec_rans.h"

namespace tp::codec {

// Whether this CPU runs DecodeRansGroupsAvx2 / DecodeRansGroupsAvx512
// (checked once).
bool HaveRansAvx2();
bool HaveRansAvx512();

// The group loops, chosen at run time: kBest is the fastest this CPU has
// (kAvx512 where AVX-512VL/BW is there, measured faster in dec_rans_simd.cc);
// tests force each supported one and compare it with kScalar bit for bit.
enum class RansKernel : uint8_t { kScalar = 0, kAvx2 = 1, kAvx512 = 2, kBest = 255 };
// The kernels this CPU runs (kScalar always), best last.
std::vector<RansKernel> SupportedRansKernels();
const char* RansKernelName(RansKernel k);
// The kernel DecodeRansGroups uses (kBest by default); a kernel the CPU lacks
// falls back to the scalar loop.
RansKernel ActiveRansKernel();
void SetRansKernelForTesting(RansKernel k);
// Shorthands: false = kScalar, true = kBest.
bool RansSimdEnabled();
void SetRansSimdEnabledForTesting(bool enabled);

// The SIMD loops' table: one 32-bit entry per slot, symbol | bias << 4 |
// (freq - 1) << (32 - P), so one load serves a step and the symbol sits where
// a permute reads its index (no shift); each symbol's range (start, last
// code, offset mask, offset width) comes from 16 entries held in two vectors.
// Holds for P <= 14 and at most 16 symbols (atalanta-rans's defaults: P = 10,
// K = 16).
struct RansPackedTable {
  int precision_bits = 0;
  std::vector<uint32_t> slots;
  uint32_t info[16] = {};  // start | last << 8 | (2^width - 1) << 16 | width << 24
  // The same fields apart, for the AVX-512 loop's one-permute lookups.
  uint32_t offset_info[16] = {};  // (2^width - 1) | width << 24
  uint32_t start[16] = {};
  uint32_t last[16] = {};
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
size_t DecodeRansGroupsAvx512(const RansPackedTable& table, uint32_t* states, const uint8_t*& p,
                              const uint8_t* end, uint8_t* out, size_t n, bool* bad);
// The active kernel's loop (0 values for kScalar).
size_t DecodeRansGroups(const RansPackedTable& table, uint32_t* states, const uint8_t*& p, const uint8_t* end,
                        uint8_t* out, size_t n, bool* bad);

}  // namespace tp::codec
