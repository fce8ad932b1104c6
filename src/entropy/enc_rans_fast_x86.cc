// The AVX-512 group loop of the fast rANS encoder (enc_rans_fast.h), behind
// a run-time CPU check; bit-exact with the scalar loop of enc_rans_fast.cc
// (rans_byte_test.cc and fuzz_rans_byte compare every kernel the CPU has).
//
// A group is kRansLanes = 32 codes: lanes 0-15 in one zmm vector of states,
// lanes 16-31 in another. Per vector and step: the codes' entries
// ((f - 1) | start << 16, and raw_bits | raw << 8 when the table has raw
// bits) by vpgatherdd (kAvx512), or, for tables of P <= 12 (three bytes per
// code, five with raw bits), by vpermi2b lookups in twelve (twenty)
// registers, 32 codes at once (kAvx512Vbmi); lanes whose state reached f << (32 - P - raw_bits) emit its
// low 16 bits. The scalar loop writes them downwards from lane 31 to lane 0,
// i.e. in lane order upwards in memory, so the upper vector's words are
// packed (vpcompressd in a register, then vpmovdw) and stored with a masked
// store below the previous output, then the lower vector's below those.
// (vpcompressd with a memory operand is microcoded and slow on Zen 4.)
//
// The quotient floor(x1 / f) is a double division, eight lanes per vdivpd,
// truncated: exact, because x1 < 2^32 and f are exact doubles and the
// division is correctly rounded, so a quotient that is not an integer (its
// fraction at most 1 - 1/f, 1/f >= 2^-16) stays 2^-16 from the next integer,
// far beyond the rounding error (x1 / f < 2^32 has an ulp of at most 2^-20), and an
// integer quotient is exact.
//
// Measured on the AMD Zen 4 this was written on (256 KiB planes of
// geometric, uniform and skewed bytes at P = 12, median of 15 interleaved
// rounds, CPU time, whole RansEncodeCodes calls): scalar loop 450-465 MB/s;
// kAvx512 (gathers) 1.17-1.21 GB/s; kAvx512Vbmi (vpermi2b lookups)
// 1.49-1.54 GB/s. With raw bits (atalanta-rans, two gathers per vector),
// the lookups made whole atalanta-rans encoding 1.24-1.32x faster (CLI
// bench, MiniLM int8 and bf16 planes, MNIST CNN). Tried and dropped: a gathered biased double reciprocal
// with vmulpd instead of vdivpd (0.87-0.91 GB/s: two vgatherdpd per 16 lanes
// cost more than the divider); without any lookup (wrong output, the bound)
// 2.4 GB/s, so what remains is the entry lookup.
#include "entropy/enc_rans_fast.h"

#if defined(__x86_64__)
#include <immintrin.h>

namespace tp::entropy {
namespace {

#define TP_AVX512_ENC_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,popcnt")))
#define TP_AVX512_VBMI_ENC_TARGET \
  __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vbmi,avx2,popcnt")))

// One step of 16 lanes, given each lane's f - 1 and start (and raw bits).
template <bool kRaw>
TP_AVX512_ENC_TARGET __attribute__((always_inline)) inline void Step16(__m512i& x, __m512i f_minus_1, __m512i start,
                                                                       __m512i width, __m512i raw,
                                                                       __m512i compare_shift, __m512i slots_minus_1,
                                                                       uint8_t*& pos) {
  if constexpr (kRaw) compare_shift = _mm512_sub_epi32(compare_shift, width);
  // x >> (32 - P - w) > f - 1 is x >= f << (32 - P - w), without overflow.
  const __mmask16 need = _mm512_cmpgt_epu32_mask(_mm512_srlv_epi32(x, compare_shift), f_minus_1);
  const unsigned count = static_cast<unsigned>(_mm_popcnt_u32(need));
  pos -= 2 * count;
  const __m256i words = _mm512_cvtepi32_epi16(_mm512_maskz_compress_epi32(need, x));
  _mm256_mask_storeu_epi16(pos, static_cast<__mmask16>((1u << count) - 1), words);
  x = _mm512_mask_srli_epi32(x, need, x, 16);
  if constexpr (kRaw) x = _mm512_or_si512(_mm512_sllv_epi32(x, width), raw);
  const __m512i f = _mm512_add_epi32(f_minus_1, _mm512_set1_epi32(1));
  const __m256i q_lo = _mm512_cvttpd_epu32(_mm512_div_pd(_mm512_cvtepu32_pd(_mm512_castsi512_si256(x)),
                                                         _mm512_cvtepu32_pd(_mm512_castsi512_si256(f))));
  const __m256i q_hi = _mm512_cvttpd_epu32(_mm512_div_pd(_mm512_cvtepu32_pd(_mm512_extracti64x4_epi64(x, 1)),
                                                         _mm512_cvtepu32_pd(_mm512_extracti64x4_epi64(f, 1))));
  const __m512i q = _mm512_inserti64x4(_mm512_castsi256_si512(q_lo), q_hi, 1);
  // x' = x1 + q (2^P - f) + start
  const __m512i complement = _mm512_sub_epi32(slots_minus_1, f_minus_1);
  x = _mm512_add_epi32(_mm512_add_epi32(x, _mm512_mullo_epi32(q, complement)), start);
}

// The entries by vpgatherdd: any precision and raw bits.
template <bool kRaw>
TP_AVX512_ENC_TARGET __attribute__((always_inline)) inline void GatherStep16(const RansCodeSimd& t, __m512i& x,
                                                                             __m512i e, __m512i codes,
                                                                             __m512i compare_shift,
                                                                             __m512i slots_minus_1, uint8_t*& pos) {
  __m512i width = _mm512_setzero_si512(), raw = _mm512_setzero_si512();
  if constexpr (kRaw) {
    const __m512i r = _mm512_i32gather_epi32(codes, t.raw, 4);
    width = _mm512_and_si512(r, _mm512_set1_epi32(0xff));
    raw = _mm512_srli_epi32(r, 8);
  }
  Step16<kRaw>(x, _mm512_and_si512(e, _mm512_set1_epi32(0xffff)), _mm512_srli_epi32(e, 16), width, raw,
               compare_shift, slots_minus_1, pos);
}

template <bool kRaw>
TP_AVX512_ENC_TARGET void GatherGroups(const RansCodeEncoder& enc, uint32_t* states, uint8_t*& pos_io,
                                       const uint8_t* in, size_t groups) {
  static_assert(kRansLanes == 32, "two 16-lane vectors per group");
  const int P = enc.precision_bits;
  const __m512i compare_shift = _mm512_set1_epi32(32 - P);
  const __m512i slots_minus_1 = _mm512_set1_epi32((1 << P) - 1);
  __m512i lo = _mm512_loadu_si512(states);
  __m512i hi = _mm512_loadu_si512(states + 16);
  uint8_t* pos = pos_io;
  for (size_t g = groups; g-- > 0;) {
    const uint8_t* group = in + g * kRansLanes;
    const __m512i codes_lo = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(group)));
    const __m512i codes_hi = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(group + 16)));
    // Both groups' gathers first, so that the second does not wait behind
    // the first vector's division (measured 25% faster than one after the other).
    const __m512i e_hi = _mm512_i32gather_epi32(codes_hi, enc.simd.packed, 4);
    const __m512i e_lo = _mm512_i32gather_epi32(codes_lo, enc.simd.packed, 4);
    GatherStep16<kRaw>(enc.simd, hi, e_hi, codes_hi, compare_shift, slots_minus_1, pos);
    GatherStep16<kRaw>(enc.simd, lo, e_lo, codes_lo, compare_shift, slots_minus_1, pos);
  }
  _mm512_storeu_si512(states, lo);
  _mm512_storeu_si512(states + 16, hi);
  pos_io = pos;
}

// Without raw bits and with P <= 12, f - 1 and start fit 12 bits each, i.e.
// three bytes per code: each byte is looked up for 32 codes at once from
// four registers (vpermi2b, AVX-512 VBMI) instead of gathered.
struct ByteTable {
  __m512i quarter[4];
};

TP_AVX512_VBMI_ENC_TARGET __attribute__((always_inline)) inline __m512i Lookup(const ByteTable& t, __m512i codes,
                                                                               __mmask64 high_half) {
  const __m512i low = _mm512_permutex2var_epi8(t.quarter[0], codes, t.quarter[1]);
  const __m512i high = _mm512_permutex2var_epi8(t.quarter[2], codes, t.quarter[3]);
  return _mm512_mask_blend_epi8(high_half, low, high);
}

template <bool kRaw>
TP_AVX512_VBMI_ENC_TARGET void PermuteGroups(const RansCodeEncoder& enc, uint32_t* states, uint8_t*& pos_io,
                                             const uint8_t* in, size_t groups) {
  const auto& bytes = enc.simd.byte_lookup;
  ByteTable f_low, start_low, highs, raws, widths;
  for (int q = 0; q < 4; ++q) {
    f_low.quarter[q] = _mm512_load_si512(bytes[0] + 64 * q);
    start_low.quarter[q] = _mm512_load_si512(bytes[1] + 64 * q);
    highs.quarter[q] = _mm512_load_si512(bytes[2] + 64 * q);
    if constexpr (kRaw) {
      raws.quarter[q] = _mm512_load_si512(bytes[3] + 64 * q);
      widths.quarter[q] = _mm512_load_si512(bytes[4] + 64 * q);
    }
  }
  const int P = enc.precision_bits;
  const __m512i compare_shift = _mm512_set1_epi32(32 - P);
  const __m512i slots_minus_1 = _mm512_set1_epi32((1 << P) - 1);
  const __m512i nibble = _mm512_set1_epi32(0xf);
  const __m512i zero = _mm512_setzero_si512();
  __m512i lo = _mm512_loadu_si512(states);
  __m512i hi = _mm512_loadu_si512(states + 16);
  uint8_t* pos = pos_io;
  for (size_t g = groups; g-- > 0;) {
    const __m512i codes =
        _mm512_castsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(in + g * kRansLanes)));
    const __mmask64 high_half = _mm512_movepi8_mask(codes);
    const __m512i fl = Lookup(f_low, codes, high_half);
    const __m512i sl = Lookup(start_low, codes, high_half);
    const __m512i hb = Lookup(highs, codes, high_half);
    __m512i rb = zero, wb = zero;
    if constexpr (kRaw) {
      rb = Lookup(raws, codes, high_half);
      wb = Lookup(widths, codes, high_half);
    }
    // Lanes 16..31 first (they emit above lanes 0..15), then 0..15.
    const auto step = [&](int quarter, __m512i& x) TP_AVX512_VBMI_ENC_TARGET {
      const auto part = [&](__m512i v) TP_AVX512_VBMI_ENC_TARGET {
        return _mm512_cvtepu8_epi32(quarter ? _mm512_extracti32x4_epi32(v, 1) : _mm512_castsi512_si128(v));
      };
      const __m512i h = part(hb);
      const __m512i f_minus_1 = _mm512_or_si512(part(fl), _mm512_slli_epi32(_mm512_and_si512(h, nibble), 8));
      const __m512i start = _mm512_or_si512(part(sl), _mm512_slli_epi32(_mm512_srli_epi32(h, 4), 8));
      if constexpr (kRaw) {
        Step16<true>(x, f_minus_1, start, part(wb), part(rb), compare_shift, slots_minus_1, pos);
      } else {
        Step16<false>(x, f_minus_1, start, zero, zero, compare_shift, slots_minus_1, pos);
      }
    };
    step(1, hi);
    step(0, lo);
  }
  _mm512_storeu_si512(states, lo);
  _mm512_storeu_si512(states + 16, hi);
  pos_io = pos;
}

}  // namespace

bool CpuHasAvx512VbmiEncode() {
  static const bool have = CpuHasAvx512Encode() && __builtin_cpu_supports("avx512vbmi");
  return have;
}

bool CpuHasAvx512Encode() {
  static const bool have = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
                           __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt");
  return have;
}

void EncodeRansGroupsAvx512(const RansCodeEncoder& enc, uint32_t* states, uint8_t*& pos, const uint8_t* in,
                            size_t groups, bool use_vbmi) {
  if (use_vbmi && enc.simd.has_byte_lookup && CpuHasAvx512VbmiEncode()) {
    if (enc.simd.has_raw) {
      PermuteGroups<true>(enc, states, pos, in, groups);
    } else {
      PermuteGroups<false>(enc, states, pos, in, groups);
    }
  } else if (enc.simd.has_raw) {
    GatherGroups<true>(enc, states, pos, in, groups);
  } else {
    GatherGroups<false>(enc, states, pos, in, groups);
  }
}

}  // namespace tp::entropy
#else
namespace tp::entropy {
bool CpuHasAvx512Encode() { return false; }
bool CpuHasAvx512VbmiEncode() { return false; }
void EncodeRansGroupsAvx512(const RansCodeEncoder&, uint32_t*, uint8_t*&, const uint8_t*, size_t, bool) {}
}  // namespace tp::entropy
#endif
