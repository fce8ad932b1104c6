// The AVX-512 group loop of the fast rANS encoder (enc_rans_fast.h), behind
// a run-time CPU check; bit-exact with the scalar loop of enc_rans_fast.cc
// (rans_byte_test.cc and fuzz_rans_byte compare every kernel the CPU has).
//
// A group is kRansLanes = 32 codes: lanes 0-15 in one zmm vector of states,
// lanes 16-31 in another. Per vector and step: the codes' entries by
// vpgatherdd ((f - 1) | start << 16, and raw_bits | raw << 8 when the table
// has raw bits); lanes whose state reached f << (32 - P - raw_bits) emit its
// low 16 bits. The scalar loop writes them downwards from lane 31 to lane 0,
// i.e. in lane order upwards in memory, so the upper vector's words are
// packed (vpcompressd in a register, then vpmovdw) and stored with a masked
// store below the previous output, then the lower vector's below those.
// (vpcompressd with a memory operand is microcoded and slow on Zen 4.) The
// quotient floor(x1 / f) is a double multiply by the biased reciprocal of
// RansCodeSimd (exact, see there), eight lanes per vpgatherqpd/vcvtudq2pd.
#include "entropy/enc_rans_fast.h"

#if defined(__x86_64__)
#include <immintrin.h>

namespace tp::entropy {
namespace {

#define TP_AVX512_ENC_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,popcnt")))

template <bool kRaw>
TP_AVX512_ENC_TARGET __attribute__((always_inline)) inline void Step16(const RansCodeSimd& t, __m512i& x,
                                                                       __m512i codes, __m512i compare_shift,
                                                                       __m512i slots_minus_1, __m512i iota,
                                                                       uint8_t*& pos) {
  const __m512i e = _mm512_i32gather_epi32(codes, t.packed, 4);
  const __m512i f_minus_1 = _mm512_and_si512(e, _mm512_set1_epi32(0xffff));
  __m512i width, raw;
  if constexpr (kRaw) {
    const __m512i r = _mm512_i32gather_epi32(codes, t.raw, 4);
    width = _mm512_and_si512(r, _mm512_set1_epi32(0xff));
    raw = _mm512_srli_epi32(r, 8);
    compare_shift = _mm512_sub_epi32(compare_shift, width);
  }
  // x >> (32 - P - w) > f - 1 is x >= f << (32 - P - w), without overflow.
  const __mmask16 need = _mm512_cmpgt_epu32_mask(_mm512_srlv_epi32(x, compare_shift), f_minus_1);
  const unsigned count = static_cast<unsigned>(_mm_popcnt_u32(need));
  // The emitted words at the top of a 16-word vector (lane l takes packed
  // lane (l + count) mod 16), stored whole so that they end at pos: the
  // bytes below the new pos are garbage that later words or the final
  // states overwrite (the buffer keeps 4 x kRansLanes bytes below every
  // word). Unmasked: Zen 4's masked narrowing store is slow.
  pos -= 2 * count;
  const __m256i words = _mm512_cvtepi32_epi16(_mm512_maskz_compress_epi32(need, x));
  _mm256_mask_storeu_epi16(pos, static_cast<__mmask16>((1u << count) - 1), words);
  x = _mm512_mask_srli_epi32(x, need, x, 16);
  if constexpr (kRaw) x = _mm512_or_si512(_mm512_sllv_epi32(x, width), raw);
  const __m512d r_lo = _mm512_i32gather_pd(_mm512_castsi512_si256(codes), t.rcp, 8);
  const __m512d r_hi = _mm512_i32gather_pd(_mm512_extracti64x4_epi64(codes, 1), t.rcp, 8);
  const __m256i q_lo = _mm512_cvttpd_epu32(_mm512_mul_pd(_mm512_cvtepu32_pd(_mm512_castsi512_si256(x)), r_lo));
  const __m256i q_hi = _mm512_cvttpd_epu32(_mm512_mul_pd(_mm512_cvtepu32_pd(_mm512_extracti64x4_epi64(x, 1)), r_hi));
  const __m512i q = _mm512_inserti64x4(_mm512_castsi256_si512(q_lo), q_hi, 1);
  // x' = x1 + q (2^P - f) + start
  const __m512i complement = _mm512_sub_epi32(slots_minus_1, f_minus_1);
  x = _mm512_add_epi32(_mm512_add_epi32(x, _mm512_mullo_epi32(q, complement)), _mm512_srli_epi32(e, 16));
}

template <bool kRaw>
TP_AVX512_ENC_TARGET void Groups(const RansCodeEncoder& enc, uint32_t* states, uint8_t*& pos_io, const uint8_t* in,
                                 size_t groups) {
  static_assert(kRansLanes == 32, "two 16-lane vectors per group");
  const int P = enc.precision_bits;
  const __m512i compare_shift = _mm512_set1_epi32(32 - P);
  const __m512i slots_minus_1 = _mm512_set1_epi32((1 << P) - 1);
  const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  __m512i lo = _mm512_loadu_si512(states);
  __m512i hi = _mm512_loadu_si512(states + 16);
  uint8_t* pos = pos_io;
  for (size_t g = groups; g-- > 0;) {
    const uint8_t* group = in + g * kRansLanes;
    const __m512i codes_lo = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(group)));
    const __m512i codes_hi = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(group + 16)));
    Step16<kRaw>(enc.simd, hi, codes_hi, compare_shift, slots_minus_1, iota, pos);
    Step16<kRaw>(enc.simd, lo, codes_lo, compare_shift, slots_minus_1, iota, pos);
  }
  _mm512_storeu_si512(states, lo);
  _mm512_storeu_si512(states + 16, hi);
  pos_io = pos;
}

}  // namespace

bool CpuHasAvx512Encode() {
  static const bool have = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
                           __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt");
  return have;
}

void EncodeRansGroupsAvx512(const RansCodeEncoder& enc, uint32_t* states, uint8_t*& pos, const uint8_t* in,
                            size_t groups) {
  if (enc.simd.has_raw) {
    Groups<true>(enc, states, pos, in, groups);
  } else {
    Groups<false>(enc, states, pos, in, groups);
  }
}

}  // namespace tp::entropy
#else
namespace tp::entropy {
bool CpuHasAvx512Encode() { return false; }
void EncodeRansGroupsAvx512(const RansCodeEncoder&, uint32_t*, uint8_t*&, const uint8_t*, size_t) {}
}  // namespace tp::entropy
#endif
