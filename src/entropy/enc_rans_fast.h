// Internal: the fast encoder of enc_rans's interleaved rANS streams, driven
// by one table entry per *code* (byte value), so that a caller's mapping of
// codes to symbols and raw bits (Atalanta's ranges and offsets) costs no
// separate pass. Its output is byte-for-byte RansEncode's for the same
// symbols, frequencies and raw bits (enc_rans_fast_test.cc checks this);
// RansEncode stays the readable reference.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "entropy/rans_common.h"
#include "tensorpress/status.h"

namespace tp::entropy {

// Everything one encode step of code c needs, in one 24-byte load. With
// x1 = (x << raw_bits) | raw and f the symbol's frequency, the step is
// x' = x1 + floor(x1 / f) * (2^P - f) + start. The quotient is the high half
// of x1 * rcp with rcp = floor(2^64 / f) + 1: exact because x1 < 2^32 and
// rcp * f - 2^64 <= f <= 2^15, so the error term x1 * (rcp * f - 2^64) / f
// stays below 2^64 / f and cannot carry the fraction x1 / f - q past 1 (the
// Granlund-Montgomery round-up argument). f = 1 has no such rcp; there
// rcp = 2^64 - 1 gives q = x1 - 1, and its bias takes the missing 2^P - 1.
struct RansCodeEntry {
  uint64_t rcp = 0;
  uint32_t x_max = 0;  // emit a word first when x >= x_max = f << (32 - P - raw_bits)
  uint32_t bias = 0;   // the symbol's start (+ 2^P - 1 when f = 1)
  uint16_t complement = 0;  // 2^P - f
  uint8_t raw_bits = 0, raw = 0;
  uint8_t usable = 0;  // the code has a symbol of non-zero frequency
};
static_assert(sizeof(RansCodeEntry) == 24);

// The same steps in the form the SIMD kernels (enc_rans_fast_x86.cc) fetch
// per lane: `packed` = (f - 1) | start << 16 and `raw` = raw_bits | raw << 8
// (the quotient is computed there, not looked up). Unusable codes keep
// zeros: their steps are garbage, but stay inside the output.
struct RansCodeSimd {
  alignas(64) uint32_t packed[256];
  alignas(64) uint32_t raw[256];
  // With P <= 12: f - 1 (low byte), start (low byte), their high nibbles,
  // and the raw value and width (all 0 without raw bits): the tables of the
  // VBMI kernel's vpermi2b lookups.
  alignas(64) uint8_t byte_lookup[5][256];
  bool has_raw = false;  // some code carries raw bits (atalanta-rans)
  bool has_byte_lookup = false;
};

struct RansCodeEncoder {
  int precision_bits = 0;
  RansCodeEntry entry[256];
  RansCodeSimd simd;
};

// Encoder kernels, chosen at run time like the decoder's (dec_rans_byte.h):
//   kScalar  the portable loop below, one lane at a time;
//   kHighway the same steps in Highway vectors (enc_rans_fast_hwy.cc), the
//            best target of this build and CPU chosen by
//            HWY_DYNAMIC_DISPATCH (never kBest: slower than kScalar on the
//            x86 targets measured below AVX-512, see SupportedRansEncodeKernels);
//   kAvx512  16 lanes per zmm vector, two vectors per group, entries by
//            vpgatherdd (needs AVX-512F/BW/VL/DQ);
//   kAvx512Vbmi  the same steps with the entries looked up in registers by
//            vpermi2b (AVX-512 VBMI) where the table allows (P <= 12: the
//            `rans` codec, and atalanta-rans at its default P), else
//            kAvx512's gathers.
// All are bit-exact with kScalar (same output bytes).
enum class RansEncodeKernel : uint8_t { kScalar = 0, kHighway = 1, kAvx512 = 2, kAvx512Vbmi = 3, kBest = 255 };
// The kernels this CPU runs (kHighway and kScalar always), best last.
std::vector<RansEncodeKernel> SupportedRansEncodeKernels();
const char* RansEncodeKernelName(RansEncodeKernel k);

// Builds the entries. Without `symbol_of`, code c is symbol c (order-0 over
// bytes; freqs then has 256 entries or fewer). With it, code c is symbol
// symbol_of[c] followed by offset_of[c] in raw_bits[symbol] raw bits (the
// same contract as RansEncode's raw bits).
Status BuildRansCodeEncoder(std::span<const uint32_t> freqs, int precision_bits, RansCodeEncoder* enc,
                            std::span<const uint8_t> symbol_of = {}, std::span<const uint8_t> offset_of = {},
                            std::span<const uint8_t> raw_bits = {});

// InvalidArgumentError if a code counted in `histogram` is not usable.
Status CheckRansCodesUsable(const RansCodeEncoder& enc, std::span<const uint64_t> histogram);

// Appends the rANS stream of `codes` to `out`. Precondition: every code is
// usable (CheckRansCodesUsable on their histogram; the codecs build the
// table from that histogram). The loop does not check it (a check per value
// cost 17% of its speed): an unusable code gives a stream that fails to
// decode, never a write outside `out`.
Status RansEncodeCodes(const RansCodeEncoder& enc, std::span<const uint8_t> codes, std::vector<uint8_t>& out,
                       RansEncodeKernel kernel = RansEncodeKernel::kBest);

// The SIMD group loop (enc_rans_fast_x86.cc): encodes the `groups` whole
// groups of kRansLanes codes at `in`, last group first, moving `states` and
// `pos` exactly as the scalar loop would. Call only when CpuHasAvx512Encode().
// `use_vbmi` selects kAvx512Vbmi's lookups (call only when
// CpuHasAvx512VbmiEncode()).
void EncodeRansGroupsAvx512(const RansCodeEncoder& enc, uint32_t* states, uint8_t*& pos, const uint8_t* in,
                            size_t groups, bool use_vbmi);
bool CpuHasAvx512Encode();
bool CpuHasAvx512VbmiEncode();
// The Highway group loop, same contract; false (nothing done) where the
// chosen target cannot run it (no double lanes).
bool EncodeRansGroupsHighway(const RansCodeEncoder& enc, uint32_t* states, uint8_t*& pos, const uint8_t* in,
                             size_t groups);
// The Highway target HWY_DYNAMIC_DISPATCH picks now (for test messages).
const char* RansEncodeHighwayTarget();

}  // namespace tp::entropy
