// Internal: the fast decoder of order-0 byte rANS streams (the `rans` codec):
// enc_rans's interleaved format with a 256-symbol alphabet, no raw bits and
// P <= 12, so that one 32-bit entry per slot holds a whole decode step.
// Never includes an encoder header.
//
// Kernels, chosen at run time (DecodeRansBytes picks the best the CPU has;
// tests force each one and compare it with kScalar bit for bit):
//   kScalar  the portable reference loop, one lane at a time;
//   kAvx2    8 lanes per vector, 4 vectors per group;
//   kAvx512  the same vectors with AVX-512VL's vpexpandd refill and vpmovdb
//            narrowing (measured 8% faster than kAvx2, dec_rans_byte_x86.cc).
// Every kernel decodes whole groups of kRansLanes values and leaves the rest
// to the scalar loop, which also checks the stream's end.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "entropy/rans_common.h"
#include "tensorpress/status.h"

namespace tp::entropy {

// slot -> (freq - 1) | bias << 12 | symbol << 24, bias = slot - start.
struct RansByteTable {
  int precision_bits = 0;
  std::vector<uint32_t> slots;
};
// Validates `freqs` (1..256 symbols summing to 2^P, P in 8..12) and fills
// the table, reusing its memory.
Status BuildRansByteTable(std::span<const uint32_t> freqs, int precision_bits, RansByteTable* table);

enum class RansByteKernel : uint8_t { kScalar = 0, kAvx2 = 1, kAvx512 = 2, kBest = 255 };
// The kernels this CPU runs (kScalar always), best last.
std::vector<RansByteKernel> SupportedRansByteKernels();
const char* RansByteKernelName(RansByteKernel k);

// Decodes out.size() symbols. Truncated or corrupt input gives
// CorruptDataError (the final states must be the encoder's initial ones and
// every byte consumed), never a read outside `bytes`.
Status DecodeRansBytes(std::span<const uint8_t> bytes, const RansByteTable& table, std::span<uint8_t> out,
                       RansByteKernel kernel = RansByteKernel::kBest);

// SIMD group loops (dec_rans_byte_x86.cc): decode whole groups while n and
// the bytes left allow one without checks; advance states and p exactly as
// the scalar loop would; return the values decoded. Call only when
// CpuHasAvx2() / CpuHasAvx512() (DecodeRansBytes does; a kernel the CPU
// lacks falls back to the scalar loop there).
size_t DecodeRansByteGroupsAvx2(const RansByteTable& table, uint32_t* states, const uint8_t*& p,
                                const uint8_t* end, uint8_t* out, size_t n);
size_t DecodeRansByteGroupsAvx512(const RansByteTable& table, uint32_t* states, const uint8_t*& p,
                                  const uint8_t* end, uint8_t* out, size_t n);
bool CpuHasAvx2();
bool CpuHasAvx512();

}  // namespace tp::entropy
