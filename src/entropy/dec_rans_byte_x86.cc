// SIMD group loops of the order-0 byte rANS decoder (dec_rans_byte.h), with
// x86 intrinsics behind run-time CPU checks; bit-exact with the scalar loop
// in dec_rans_byte.cc (dec_rans_byte_test.cc runs every kernel the CPU has).
//
// A group is kRansLanes values, one per lane, in four vectors of 8 lanes
// (four independent chains hide each step's latency). Per vector: the
// states' low P bits index the packed slots ((freq - 1) | bias << 12 |
// symbol << 24), fetched by eight scalar loads; a 32-bit multiply-add
// advances the states; lanes that fell below 2^16 take the next 16-bit words
// of the stream in lane order (the order in which the scalar loop reads
// them): AVX2 places them with a permutation looked up by the need mask,
// the AVX-512 kernel (AVX-512VL on the same 8-lane vectors) with vpexpandd
// and a mask register, and narrows the symbols with vpmovdb.
//
// Measured on the AMD Zen 4 (EPYC) this was written on, 1 MiB of geometric
// codes, median of 21 interleaved rounds: AVX-512VL 2.00-2.07 GB/s, AVX2
// 1.89-1.91, a 16-lane zmm kernel with vpgatherdd 1.72-1.75 (Zen 4's gather
// is slow; with 16 scalar loads instead, 1.59), so the 8-lane AVX-512VL
// kernel is the one kept. A 64-lane stream (four zmm vectors) decoded only
// 10% faster than 32 lanes (1.98 against 1.80 GB/s), not worth a second
// stream layout.
// Why raw intrinsics rather than Highway: Highway 1.0.3 (Debian's) has no
// Expand, which the refill needs on every step, and its scalar-load vector
// construction goes through memory (measured in dec_rans_simd.cc for the
// atalanta-rans loop: 857 MB/s through Highway against 933 MB/s raw).
#include "entropy/dec_rans_byte.h"

#if defined(__x86_64__)
#include <immintrin.h>

#include <array>

namespace tp::entropy {
namespace {

constexpr std::array<uint64_t, 256> MakeExpandTable() {
  std::array<uint64_t, 256> t{};
  for (int m = 0; m < 256; ++m) {
    uint64_t v = 0;
    int k = 0;
    for (int l = 0; l < 8; ++l)
      if (m >> l & 1) v |= uint64_t(k++) << (8 * l);
    t[m] = v;
  }
  return t;
}
// kExpand[mask]: for each of 8 lanes, the index of the loaded word it takes.
constexpr std::array<uint64_t, 256> kExpand = MakeExpandTable();

#define TP_AVX2_TARGET __attribute__((target("avx2,popcnt")))
#define TP_AVX512_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx2,popcnt")))


// The slots by eight scalar loads (on the AMD Zen 4 measured, vpgatherdd ymm
// is slower), with the indices moved out as four 64-bit halves and split in
// general registers: fewer vector-to-GPR transfers than eight 32-bit
// extracts, 4-5% faster in both kernels (BM_RansByteKernelsInterleaved).
TP_AVX2_TARGET inline __m256i LoadSlots8Via64(const uint32_t* slots, __m256i idx) {
  const __m128i lo = _mm256_castsi256_si128(idx), hi = _mm256_extracti128_si256(idx, 1);
  const uint64_t i01 = static_cast<uint64_t>(_mm_cvtsi128_si64(lo));
  const uint64_t i23 = static_cast<uint64_t>(_mm_extract_epi64(lo, 1));
  const uint64_t i45 = static_cast<uint64_t>(_mm_cvtsi128_si64(hi));
  const uint64_t i67 = static_cast<uint64_t>(_mm_extract_epi64(hi, 1));
  return _mm256_setr_epi32(int(slots[uint32_t(i01)]), int(slots[i01 >> 32]), int(slots[uint32_t(i23)]),
                           int(slots[i23 >> 32]), int(slots[uint32_t(i45)]), int(slots[i45 >> 32]),
                           int(slots[uint32_t(i67)]), int(slots[i67 >> 32]));
}

TP_AVX2_TARGET __attribute__((always_inline)) inline __m256i StepAvx2(const uint32_t* slots, __m256i mask12,
                                                                      __m256i pmask, __m128i shift, __m256i& x,
                                                                      const uint8_t*& p) {
  const __m256i e = LoadSlots8Via64(slots, _mm256_and_si256(x, pmask));
  const __m256i freq = _mm256_add_epi32(_mm256_and_si256(e, mask12), _mm256_set1_epi32(1));
  const __m256i bias = _mm256_and_si256(_mm256_srli_epi32(e, 12), mask12);
  x = _mm256_add_epi32(_mm256_mullo_epi32(freq, _mm256_srl_epi32(x, shift)), bias);
  const __m256i need = _mm256_cmpeq_epi32(_mm256_srli_epi32(x, 16), _mm256_setzero_si256());
  const unsigned m = static_cast<unsigned>(_mm256_movemask_ps(_mm256_castsi256_ps(need)));
  const __m256i words = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  const __m256i perm = _mm256_cvtepu8_epi32(_mm_cvtsi64_si128(static_cast<long long>(kExpand[m])));
  const __m256i refilled = _mm256_or_si256(_mm256_slli_epi32(x, 16), _mm256_permutevar8x32_epi32(words, perm));
  x = _mm256_blendv_epi8(x, refilled, need);
  p += 2 * _mm_popcnt_u32(m);
  return _mm256_srli_epi32(e, 24);
}

TP_AVX512_TARGET __attribute__((always_inline)) inline __m128i StepAvx512(const uint32_t* slots, __m256i mask12,
                                                                          __m256i pmask, __m128i shift,
                                                                          __m256i& x, const uint8_t*& p) {
  const __m256i e = LoadSlots8Via64(slots, _mm256_and_si256(x, pmask));
  const __m256i freq = _mm256_add_epi32(_mm256_and_si256(e, mask12), _mm256_set1_epi32(1));
  const __m256i bias = _mm256_and_si256(_mm256_srli_epi32(e, 12), mask12);
  x = _mm256_add_epi32(_mm256_mullo_epi32(freq, _mm256_srl_epi32(x, shift)), bias);
  const __mmask8 need = _mm256_cmplt_epu32_mask(x, _mm256_set1_epi32(0x10000));
  const __m256i words = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  x = _mm256_mask_or_epi32(x, need, _mm256_slli_epi32(x, 16), _mm256_maskz_expand_epi32(need, words));
  p += 2 * _mm_popcnt_u32(need);
  return _mm256_cvtepi32_epi8(_mm256_srli_epi32(e, 24));
}

}  // namespace

bool CpuHasAvx2() {
  static const bool have = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt");
  return have;
}
bool CpuHasAvx512() {
  static const bool have = CpuHasAvx2() && __builtin_cpu_supports("avx512f") &&
                           __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
  return have;
}

TP_AVX2_TARGET size_t DecodeRansByteGroupsAvx2(const RansByteTable& table, uint32_t* states, const uint8_t*& p_io,
                                               const uint8_t* end, uint8_t* out, size_t n) {
  static_assert(kRansLanes == 32, "four 8-lane vectors per group");
  const __m256i mask12 = _mm256_set1_epi32(0xfff);
  const __m256i pmask = _mm256_set1_epi32((1 << table.precision_bits) - 1);
  const __m128i shift = _mm_cvtsi32_si128(table.precision_bits);
  const uint32_t* slots = table.slots.data();
  __m256i x0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(states));
  __m256i x1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(states + 8));
  __m256i x2 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(states + 16));
  __m256i x3 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(states + 24));
  // packs interleave 128-bit halves; one dword permute restores lane order.
  const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  const uint8_t* p = p_io;
  size_t i = 0;
  // Each vector reads 16 bytes where the last stopped and takes at most 16.
  while (i + kRansLanes <= n && end - p >= 2 * kRansLanes) {
    const __m256i s0 = StepAvx2(slots, mask12, pmask, shift, x0, p);
    const __m256i s1 = StepAvx2(slots, mask12, pmask, shift, x1, p);
    const __m256i s2 = StepAvx2(slots, mask12, pmask, shift, x2, p);
    const __m256i s3 = StepAvx2(slots, mask12, pmask, shift, x3, p);
    const __m256i packed = _mm256_packus_epi16(_mm256_packus_epi32(s0, s1), _mm256_packus_epi32(s2, s3));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i), _mm256_permutevar8x32_epi32(packed, order));
    i += kRansLanes;
  }
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(states), x0);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(states + 8), x1);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(states + 16), x2);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(states + 24), x3);
  p_io = p;
  return i;
}

TP_AVX512_TARGET size_t DecodeRansByteGroupsAvx512(const RansByteTable& table, uint32_t* states,
                                                   const uint8_t*& p_io, const uint8_t* end, uint8_t* out,
                                                   size_t n) {
  static_assert(kRansLanes == 32, "four 8-lane vectors per group");
  const __m256i mask12 = _mm256_set1_epi32(0xfff);
  const __m256i pmask = _mm256_set1_epi32((1 << table.precision_bits) - 1);
  const __m128i shift = _mm_cvtsi32_si128(table.precision_bits);
  const uint32_t* slots = table.slots.data();
  __m256i x[4];
  for (int v = 0; v < 4; ++v) x[v] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(states + 8 * v));
  const uint8_t* p = p_io;
  size_t i = 0;
  while (i + kRansLanes <= n && end - p >= 2 * kRansLanes) {
    const __m128i s0 = StepAvx512(slots, mask12, pmask, shift, x[0], p);
    const __m128i s1 = StepAvx512(slots, mask12, pmask, shift, x[1], p);
    const __m128i s2 = StepAvx512(slots, mask12, pmask, shift, x[2], p);
    const __m128i s3 = StepAvx512(slots, mask12, pmask, shift, x[3], p);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), _mm_unpacklo_epi64(s0, s1));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i + 16), _mm_unpacklo_epi64(s2, s3));
    i += kRansLanes;
  }
  for (int v = 0; v < 4; ++v) _mm256_storeu_si256(reinterpret_cast<__m256i*>(states + 8 * v), x[v]);
  p_io = p;
  return i;
}

}  // namespace tp::entropy

#else  // not x86-64: the scalar loop does everything.

namespace tp::entropy {
bool CpuHasAvx2() { return false; }
bool CpuHasAvx512() { return false; }
size_t DecodeRansByteGroupsAvx2(const RansByteTable&, uint32_t*, const uint8_t*&, const uint8_t*, uint8_t*, size_t) {
  return 0;
}
size_t DecodeRansByteGroupsAvx512(const RansByteTable&, uint32_t*, const uint8_t*&, const uint8_t*, uint8_t*,
                                  size_t) {
  return 0;
}
}  // namespace tp::entropy

#endif
