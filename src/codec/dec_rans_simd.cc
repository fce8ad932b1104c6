// atalanta-rans decoding, 8 lanes per vector, kRansLanes / 8 vectors per
// group (independent chains that hide each step's latency), in two kernels
// chosen at run time (dec_rans_simd.h). Per vector: the packed slots (symbol,
// bias, freq) are loaded by eight scalar loads, in-register permutes fetch
// the symbols' ranges, a 32-bit multiply-add advances the states, a mask and
// a variable shift split off the offsets (the raw bits folded into the
// state, enc_rans.cc), and the renormalisation expands the next
// popcount(need) 16-bit words into the needing lanes in lane order, which is
// exactly the order in which the scalar loop reads them. AVX2: two permutes
// and a blend per lookup, a 256-entry permutation table indexed by the need
// mask, two saturating packs and one permute to bytes. AVX-512VL (same
// 8-lane vectors): one vpermt2d per range field, vpexpandd under the need
// mask, range checks in a mask register, vpmovdb; measured 1.30x the AVX2
// kernel (BM_AtalantaRansKernelsInterleaved, docs/lossless.md).
//
// Why raw intrinsics rather than Highway (the project's standard): the same
// loop on Highway 1.0.3 (CappedTag<uint32_t, 8>, dynamic dispatch) decoded
// the MNIST CNN's int8 weights at 857 MB/s against 933 MB/s here, and
// MiniLM's at 836 against 922 (same run, AMD EPYC): Highway has no
// lane-by-lane scalar-load constructor (a store + reload of the 8 slots, or
// vpgatherdd at 720-780 MB/s, replaces vmovd/vpinsrd) and its mask bits go
// through memory (StoreMaskBits) on the renormalisation's critical path.
#include "codec/dec_rans_simd.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define TP_RANS_AVX2 1
#endif

#include <array>
#include <atomic>
#include <cstring>

namespace tp::codec {

namespace {
std::atomic<uint8_t> active_kernel{static_cast<uint8_t>(RansKernel::kBest)};
}  // namespace

std::vector<RansKernel> SupportedRansKernels() {
  std::vector<RansKernel> k = {RansKernel::kScalar};
  if (HaveRansAvx2()) k.push_back(RansKernel::kAvx2);
  if (HaveRansAvx512()) k.push_back(RansKernel::kAvx512);
  return k;
}

const char* RansKernelName(RansKernel k) {
  switch (k) {
    case RansKernel::kScalar: return "scalar";
    case RansKernel::kAvx2: return "avx2";
    case RansKernel::kAvx512: return "avx512";
    case RansKernel::kBest: return "best";
  }
  return "unknown";
}

RansKernel ActiveRansKernel() {
  const auto k = static_cast<RansKernel>(active_kernel.load(std::memory_order_relaxed));
  if (k != RansKernel::kBest) return k;
  static const RansKernel best = SupportedRansKernels().back();
  return best;
}
void SetRansKernelForTesting(RansKernel k) { active_kernel.store(static_cast<uint8_t>(k), std::memory_order_relaxed); }
bool RansSimdEnabled() { return ActiveRansKernel() != RansKernel::kScalar; }
void SetRansSimdEnabledForTesting(bool enabled) {
  SetRansKernelForTesting(enabled ? RansKernel::kBest : RansKernel::kScalar);
}

size_t DecodeRansGroups(const RansPackedTable& table, uint32_t* states, const uint8_t*& p, const uint8_t* end,
                        uint8_t* out, size_t n, bool* bad) {
  switch (ActiveRansKernel()) {
    case RansKernel::kAvx512: return DecodeRansGroupsAvx512(table, states, p, end, out, n, bad);
    case RansKernel::kAvx2: return DecodeRansGroupsAvx2(table, states, p, end, out, n, bad);
    default: return 0;
  }
}

bool BuildRansPackedTable(const entropy::RansDecodeTable& table, RansPackedTable* packed) {
  const int P = table.precision_bits;
  if (P > 14 || table.slots.size() != (size_t(1) << P)) return false;
  packed->precision_bits = P;
  packed->slots.resize(table.slots.size());
  for (size_t i = 0; i < table.slots.size(); ++i) {
    const entropy::RansSlot& e = table.slots[i];
    if (e.symbol >= 16 || e.raw_bits > 8) return false;
    packed->slots[i] = uint32_t(e.symbol) | uint32_t(e.bias) << 4 | (uint32_t(e.freq) - 1) << (32 - P);
    const uint32_t start = e.user[0], last = uint32_t(e.user[0]) + e.user[1];
    if (last > 255) return false;
    const uint32_t mask = (uint32_t(1) << e.raw_bits) - 1;
    packed->info[e.symbol] = start | last << 8 | mask << 16 | uint32_t(e.raw_bits) << 24;
    packed->offset_info[e.symbol] = mask | uint32_t(e.raw_bits) << 24;
    packed->start[e.symbol] = start;
    packed->last[e.symbol] = last;
  }
  return true;
}

#if TP_RANS_AVX2

namespace {

// kExpand[mask] lists, for each of 8 lanes, which of the loaded words it
// takes: needing lane l takes word popcount(mask & ((1 << l) - 1)).
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
constexpr std::array<uint64_t, 256> kExpand = MakeExpandTable();

struct Lanes {
  __m256i mask, low_byte, info_lo, info_hi;
  __m128i precision, freq_shift;
};

// One vector of 8 lanes: returns the 8 values (as 32-bit lanes) and advances x.
__attribute__((target("avx2,popcnt"), always_inline)) inline __m256i DecodeVector(const Lanes& k,
                                                                                 const uint32_t* slots,
                                                                                 __m256i& x, const uint8_t*& p,
                                                                                 __m256i& bad) {
  const __m256i idx = _mm256_and_si256(x, k.mask);
#if TP_RANS_GATHER
  const __m256i e = _mm256_i32gather_epi32(reinterpret_cast<const int*>(slots), idx, 4);
#else
  // Eight scalar loads beat vpgatherdd on the AMD cores measured; the
  // indices leave the vector as four 64-bit halves (fewer transfers).
  const __m128i idx_lo = _mm256_castsi256_si128(idx), idx_hi = _mm256_extracti128_si256(idx, 1);
  const uint64_t i01 = static_cast<uint64_t>(_mm_cvtsi128_si64(idx_lo));
  const uint64_t i23 = static_cast<uint64_t>(_mm_extract_epi64(idx_lo, 1));
  const uint64_t i45 = static_cast<uint64_t>(_mm_cvtsi128_si64(idx_hi));
  const uint64_t i67 = static_cast<uint64_t>(_mm_extract_epi64(idx_hi, 1));
  const __m256i e = _mm256_setr_epi32(int(slots[uint32_t(i01)]), int(slots[i01 >> 32]), int(slots[uint32_t(i23)]),
                                      int(slots[i23 >> 32]), int(slots[uint32_t(i45)]), int(slots[i45 >> 32]),
                                      int(slots[uint32_t(i67)]), int(slots[i67 >> 32]));
#endif
  const __m256i freq = _mm256_add_epi32(_mm256_srl_epi32(e, k.freq_shift), _mm256_set1_epi32(1));
  const __m256i bias = _mm256_and_si256(_mm256_srli_epi32(e, 4), k.mask);
  // vpermd reads the symbol's low 3 bits; its bit 3, shifted to the top,
  // picks the table.
  const __m256 high = _mm256_castsi256_ps(_mm256_slli_epi32(e, 28));
  const __m256i info = _mm256_castps_si256(
      _mm256_blendv_ps(_mm256_castsi256_ps(_mm256_permutevar8x32_epi32(k.info_lo, e)),
                       _mm256_castsi256_ps(_mm256_permutevar8x32_epi32(k.info_hi, e)), high));
  const __m256i x1 = _mm256_add_epi32(_mm256_mullo_epi32(freq, _mm256_srl_epi32(x, k.precision)), bias);
  const __m256i offset = _mm256_and_si256(x1, _mm256_and_si256(_mm256_srli_epi32(info, 16), k.low_byte));
  x = _mm256_srlv_epi32(x1, _mm256_srli_epi32(info, 24));

  // Renormalise: lanes below 2^16 take the next words, in lane order.
  const __m256i need = _mm256_cmpeq_epi32(_mm256_srli_epi32(x, 16), _mm256_setzero_si256());
  const unsigned m = static_cast<unsigned>(_mm256_movemask_ps(_mm256_castsi256_ps(need)));
  const __m256i words = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  const __m256i perm = _mm256_cvtepu8_epi32(_mm_cvtsi64_si128(static_cast<long long>(kExpand[m])));
  const __m256i refilled = _mm256_or_si256(_mm256_slli_epi32(x, 16), _mm256_permutevar8x32_epi32(words, perm));
  x = _mm256_blendv_epi8(x, refilled, need);
  p += 2 * _mm_popcnt_u32(m);

  const __m256i value = _mm256_add_epi32(_mm256_and_si256(info, k.low_byte), offset);
  const __m256i last = _mm256_and_si256(_mm256_srli_epi32(info, 8), k.low_byte);
  bad = _mm256_or_si256(bad, _mm256_cmpgt_epi32(value, last));
  return value;
}

__attribute__((target("avx2,popcnt"))) size_t DecodeGroups(const RansPackedTable& table, uint32_t* states,
                                                          const uint8_t*& p_io, const uint8_t* end, uint8_t* out,
                                                          size_t n, bool* bad_out) {
  Lanes k;
  k.mask = _mm256_set1_epi32((1 << table.precision_bits) - 1);
  k.low_byte = _mm256_set1_epi32(0xff);
  k.precision = _mm_cvtsi32_si128(table.precision_bits);
  k.info_lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(table.info));
  k.info_hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(table.info + 8));
  k.freq_shift = _mm_cvtsi32_si128(32 - table.precision_bits);
  const uint32_t* slots = table.slots.data();

  constexpr int kVectors = entropy::kRansLanes / 8;
  static_assert(kVectors == 2 || kVectors == 4, "the packing below takes two or four vectors");
  __m256i x[kVectors];
  for (int v = 0; v < kVectors; ++v) x[v] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(states + 8 * v));
  __m256i bad = _mm256_setzero_si256();
  const uint8_t* p = p_io;
  // packs interleave 128-bit halves: with four vectors the bytes come out as
  // v0[0..3] v1[0..3] v2[0..3] v3[0..3] v0[4..7] ..., (with two, v0[0..3]
  // v1[0..3] twice, then v0[4..7] v1[4..7] twice) and one dword permute
  // restores lane order. Values above 255 (only from corrupt data, already
  // flagged) saturate.
  const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  // Each vector reads 16 bytes where the last one stopped and takes at most
  // 16; with 2 * kRansLanes bytes left a whole group stays inside the stream.
  size_t i = 0;
  while (i + entropy::kRansLanes <= n && end - p >= 2 * entropy::kRansLanes) {
    __m256i v[kVectors];
#pragma GCC unroll 4
    for (int k2 = 0; k2 < kVectors; ++k2) v[k2] = DecodeVector(k, slots, x[k2], p, bad);
    if constexpr (kVectors == 4) {
      const __m256i packed = _mm256_packus_epi16(_mm256_packus_epi32(v[0], v[1]), _mm256_packus_epi32(v[2], v[3]));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i), _mm256_permutevar8x32_epi32(packed, order));
    } else {
      const __m256i words = _mm256_packus_epi32(v[0], v[1]);
      const __m256i packed = _mm256_permutevar8x32_epi32(_mm256_packus_epi16(words, words), order);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), _mm256_castsi256_si128(packed));
    }
    i += entropy::kRansLanes;
  }
  for (int v = 0; v < kVectors; ++v) _mm256_storeu_si256(reinterpret_cast<__m256i*>(states + 8 * v), x[v]);
  p_io = p;
  *bad_out |= !_mm256_testz_si256(bad, bad);
  return i;
}

// The AVX-512VL step on the same 8-lane vectors: the 16 symbols' ranges come
// from one two-table permute (vpermt2d) instead of two permutes and a blend,
// the refill is vpexpandd under the need mask (no permutation table, no
// movemask), range checks accumulate in a mask register, and vpmovdb narrows
// the values (a corrupt value above 255, already flagged, wraps).
#define TP_RANS_AVX512_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx2,popcnt")))
struct Lanes512 {
  __m256i mask, offset_lo, offset_hi, start_lo, start_hi, last_lo, last_hi;
  __m128i precision, freq_shift;
};

TP_RANS_AVX512_TARGET __attribute__((always_inline)) inline __m128i DecodeVector512(const Lanes512& k,
                                                                                    const uint32_t* slots,
                                                                                    __m256i& x, const uint8_t*& p,
                                                                                    __mmask8& bad) {
  const __m256i idx = _mm256_and_si256(x, k.mask);
  // The eight indices as four 64-bit moves to general registers (then
  // split there) rather than eight 32-bit extracts.
  const __m128i idx_lo = _mm256_castsi256_si128(idx), idx_hi = _mm256_extracti128_si256(idx, 1);
  const uint64_t i01 = static_cast<uint64_t>(_mm_cvtsi128_si64(idx_lo));
  const uint64_t i23 = static_cast<uint64_t>(_mm_extract_epi64(idx_lo, 1));
  const uint64_t i45 = static_cast<uint64_t>(_mm_cvtsi128_si64(idx_hi));
  const uint64_t i67 = static_cast<uint64_t>(_mm_extract_epi64(idx_hi, 1));
  const __m256i e = _mm256_setr_epi32(int(slots[uint32_t(i01)]), int(slots[i01 >> 32]), int(slots[uint32_t(i23)]),
                                      int(slots[i23 >> 32]), int(slots[uint32_t(i45)]), int(slots[i45 >> 32]),
                                      int(slots[uint32_t(i67)]), int(slots[i67 >> 32]));
  const __m256i freq = _mm256_add_epi32(_mm256_srl_epi32(e, k.freq_shift), _mm256_set1_epi32(1));
  const __m256i bias = _mm256_and_si256(_mm256_srli_epi32(e, 4), k.mask);
  // vpermt2d reads the symbol from the entry's low 4 bits as it is.
  const __m256i offset_info = _mm256_permutex2var_epi32(k.offset_lo, e, k.offset_hi);
  const __m256i x1 = _mm256_add_epi32(_mm256_mullo_epi32(freq, _mm256_srl_epi32(x, k.precision)), bias);
  // x1 & offset mask & 0xff in one vpternlogd (the width sits above the mask).
  const __m256i offset = _mm256_ternarylogic_epi32(x1, offset_info, _mm256_set1_epi32(0xff), 0x80);
  x = _mm256_srlv_epi32(x1, _mm256_srli_epi32(offset_info, 24));

  const __mmask8 need = _mm256_cmplt_epu32_mask(x, _mm256_set1_epi32(0x10000));
  const __m256i words = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  x = _mm256_mask_or_epi32(x, need, _mm256_slli_epi32(x, 16), _mm256_maskz_expand_epi32(need, words));
  p += 2 * _mm_popcnt_u32(need);

  const __m256i value = _mm256_add_epi32(_mm256_permutex2var_epi32(k.start_lo, e, k.start_hi), offset);
  bad = static_cast<__mmask8>(bad | _mm256_cmpgt_epu32_mask(value, _mm256_permutex2var_epi32(k.last_lo, e, k.last_hi)));
  return _mm256_cvtepi32_epi8(value);
}

TP_RANS_AVX512_TARGET size_t DecodeGroups512(const RansPackedTable& table, uint32_t* states, const uint8_t*& p_io,
                                             const uint8_t* end, uint8_t* out, size_t n, bool* bad_out) {
  Lanes512 k;
  k.mask = _mm256_set1_epi32((1 << table.precision_bits) - 1);
  k.precision = _mm_cvtsi32_si128(table.precision_bits);
  k.freq_shift = _mm_cvtsi32_si128(32 - table.precision_bits);
  k.offset_lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(table.offset_info));
  k.offset_hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(table.offset_info + 8));
  k.start_lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(table.start));
  k.start_hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(table.start + 8));
  k.last_lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(table.last));
  k.last_hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(table.last + 8));
  const uint32_t* slots = table.slots.data();
  static_assert(entropy::kRansLanes == 32, "four 8-lane vectors per group");
  __m256i x[4];
  for (int v = 0; v < 4; ++v) x[v] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(states + 8 * v));
  __mmask8 bad = 0;
  const uint8_t* p = p_io;
  size_t i = 0;
  while (i + entropy::kRansLanes <= n && end - p >= 2 * entropy::kRansLanes) {
    const __m128i v0 = DecodeVector512(k, slots, x[0], p, bad);
    const __m128i v1 = DecodeVector512(k, slots, x[1], p, bad);
    const __m128i v2 = DecodeVector512(k, slots, x[2], p, bad);
    const __m128i v3 = DecodeVector512(k, slots, x[3], p, bad);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), _mm_unpacklo_epi64(v0, v1));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i + 16), _mm_unpacklo_epi64(v2, v3));
    i += entropy::kRansLanes;
  }
  for (int v = 0; v < 4; ++v) _mm256_storeu_si256(reinterpret_cast<__m256i*>(states + 8 * v), x[v]);
  p_io = p;
  *bad_out |= bad != 0;
  return i;
}

}  // namespace

bool HaveRansAvx512() {
  static const bool have = HaveRansAvx2() && __builtin_cpu_supports("avx512f") &&
                           __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
  return have;
}

size_t DecodeRansGroupsAvx512(const RansPackedTable& table, uint32_t* states, const uint8_t*& p,
                              const uint8_t* end, uint8_t* out, size_t n, bool* bad) {
  if (!HaveRansAvx512()) return 0;
  return DecodeGroups512(table, states, p, end, out, n, bad);
}

bool HaveRansAvx2() {
  static const bool have = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt");
  return have;
}

size_t DecodeRansGroupsAvx2(const RansPackedTable& table, uint32_t* states, const uint8_t*& p,
                            const uint8_t* end, uint8_t* out, size_t n, bool* bad) {
  if (!HaveRansAvx2()) return 0;
  return DecodeGroups(table, states, p, end, out, n, bad);
}

#else

bool HaveRansAvx2() { return false; }
bool HaveRansAvx512() { return false; }
size_t DecodeRansGroupsAvx2(const RansPackedTable&, uint32_t*, const uint8_t*&, const uint8_t*, uint8_t*, size_t,
                            bool*) {
  return 0;
}
size_t DecodeRansGroupsAvx512(const RansPackedTable&, uint32_t*, const uint8_t*&, const uint8_t*, uint8_t*,
                              size_t, bool*) {
  return 0;
}

#endif

}  // namespace tp::codec
