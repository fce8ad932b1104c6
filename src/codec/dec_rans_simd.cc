// atalanta-rans decoding, 8 lanes per AVX2 vector, kRansLanes / 8 vectors
// per group. Per vector: one gather fetches the packed slots (freq, bias,
// symbol), two in-register permutes the symbols' range start, offset width
// and size, a 32-bit multiply-add advances the states, and the renormalisation expands the next popcount(need) 16-bit
// words into the needing lanes in lane order (a 256-entry permutation table
// indexed by the need mask), which is exactly the order in which the scalar
// loop reads them. The offsets of the 8 values lie back to back in the raw
// stream: an in-vector prefix sum of the widths gives each one's bit
// position, and 64-bit shifts cut each one out of an 8-byte window per half
// vector (a third gather would cost more on the CPUs measured).
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
std::atomic<bool> simd_enabled{true};
}  // namespace

bool RansSimdEnabled() { return simd_enabled.load(std::memory_order_relaxed); }
void SetRansSimdEnabledForTesting(bool enabled) { simd_enabled.store(enabled, std::memory_order_relaxed); }

bool BuildRansPackedTable(const entropy::RansDecodeTable& table, RansPackedTable* packed) {
  const int P = table.precision_bits;
  if (P > 14 || table.slots.size() != (size_t(1) << P)) return false;
  packed->precision_bits = P;
  packed->slots.resize(table.slots.size());
  for (size_t i = 0; i < table.slots.size(); ++i) {
    const entropy::RansSlot& e = table.slots[i];
    if (e.symbol >= 16) return false;
    packed->slots[i] = (uint32_t(e.freq) - 1) | uint32_t(e.bias) << P | uint32_t(e.symbol) << 28;
    packed->info[e.symbol] = uint32_t(e.symbol) | uint32_t(e.user[0]) << 8 | uint32_t(e.user[1]) << 16 |
                             uint32_t(e.user[2]) << 24;
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
  __m256i mask, low_byte, pick_bytes, info_lo, info_hi, seven;
  __m128i precision;
};

// One vector of 8 lanes: decodes 8 values into out, returns the updated state.
__attribute__((target("avx2,popcnt"), always_inline)) inline __m256i DecodeVector(const Lanes& k, const uint32_t* slots,
                                                                   __m256i x, const uint8_t*& p,
                                                                   const uint8_t* raw, uint64_t& bitpos,
                                                                   __m256i& bad, uint8_t* out) {
  const __m256i idx = _mm256_and_si256(x, k.mask);
  // Eight scalar loads beat vpgatherdd on the AMD cores measured.
  alignas(32) uint32_t slot_of[8];
  _mm256_store_si256(reinterpret_cast<__m256i*>(slot_of), idx);
  const __m256i e = _mm256_setr_epi32(int(slots[slot_of[0]]), int(slots[slot_of[1]]), int(slots[slot_of[2]]),
                                      int(slots[slot_of[3]]), int(slots[slot_of[4]]), int(slots[slot_of[5]]),
                                      int(slots[slot_of[6]]), int(slots[slot_of[7]]));
  const __m256i freq = _mm256_add_epi32(_mm256_and_si256(e, k.mask), _mm256_set1_epi32(1));
  const __m256i bias = _mm256_and_si256(_mm256_srl_epi32(e, k.precision), k.mask);
  const __m256i symbol = _mm256_srli_epi32(e, 28);
  const __m256i info = _mm256_blendv_epi8(_mm256_permutevar8x32_epi32(k.info_lo, symbol),
                                          _mm256_permutevar8x32_epi32(k.info_hi, symbol),
                                          _mm256_cmpgt_epi32(symbol, k.seven));
  x = _mm256_add_epi32(_mm256_mullo_epi32(freq, _mm256_srl_epi32(x, k.precision)), bias);

  // Renormalise: lanes below 2^16 take the next words, in lane order.
  const __m256i need = _mm256_cmpeq_epi32(_mm256_srli_epi32(x, 16), _mm256_setzero_si256());
  const unsigned m = static_cast<unsigned>(_mm256_movemask_ps(_mm256_castsi256_ps(need)));
  const __m256i words = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  const __m256i perm = _mm256_cvtepu8_epi32(_mm_cvtsi64_si128(static_cast<long long>(kExpand[m])));
  const __m256i refilled = _mm256_or_si256(_mm256_slli_epi32(x, 16), _mm256_permutevar8x32_epi32(words, perm));
  x = _mm256_blendv_epi8(x, refilled, need);
  p += 2 * _mm_popcnt_u32(m);

  // Offsets: widths w, prefix sums within each half of 4 lanes; each half
  // (at most 32 bits) is cut from one 64-bit big-endian window, in 64-bit lanes.
  const __m256i width = _mm256_and_si256(_mm256_srli_epi32(info, 16), k.low_byte);
  __m256i half_sum = _mm256_add_epi32(width, _mm256_slli_si256(width, 4));
  half_sum = _mm256_add_epi32(half_sum, _mm256_slli_si256(half_sum, 8));
  const uint64_t lower_bits = static_cast<uint32_t>(_mm256_extract_epi32(half_sum, 3));
  const uint64_t upper_bits = static_cast<uint32_t>(_mm256_extract_epi32(half_sum, 7));
  const uint64_t upper_pos = bitpos + lower_bits;
  uint64_t lower_window, upper_window;
  std::memcpy(&lower_window, raw + (bitpos >> 3), 8);
  std::memcpy(&upper_window, raw + (upper_pos >> 3), 8);
  const __m256i in_window = _mm256_add_epi32(
      _mm256_sub_epi32(half_sum, width),
      _mm256_setr_epi32(int(bitpos & 7), int(bitpos & 7), int(bitpos & 7), int(bitpos & 7), int(upper_pos & 7),
                        int(upper_pos & 7), int(upper_pos & 7), int(upper_pos & 7)));
  const __m256i drop = _mm256_sub_epi32(_mm256_set1_epi32(64), width);  // w = 0 shifts everything out
  const __m256i lower = _mm256_srlv_epi64(
      _mm256_sllv_epi64(_mm256_set1_epi64x(static_cast<long long>(__builtin_bswap64(lower_window))),
                        _mm256_cvtepu32_epi64(_mm256_castsi256_si128(in_window))),
      _mm256_cvtepu32_epi64(_mm256_castsi256_si128(drop)));
  const __m256i upper = _mm256_srlv_epi64(
      _mm256_sllv_epi64(_mm256_set1_epi64x(static_cast<long long>(__builtin_bswap64(upper_window))),
                        _mm256_cvtepu32_epi64(_mm256_extracti128_si256(in_window, 1))),
      _mm256_cvtepu32_epi64(_mm256_extracti128_si256(drop, 1)));
  const __m256i even = _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6);
  const __m256i offset = _mm256_blend_epi32(_mm256_permutevar8x32_epi32(lower, even),
                                            _mm256_permutevar8x32_epi32(upper, even), 0xf0);
  bitpos = upper_pos + upper_bits;
  const __m256i size_minus_1 = _mm256_srli_epi32(info, 24);
  bad = _mm256_or_si256(bad, _mm256_cmpgt_epi32(offset, size_minus_1));
  const __m256i value = _mm256_add_epi32(_mm256_and_si256(_mm256_srli_epi32(info, 8), k.low_byte), offset);

  const __m256i packed = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(value, k.pick_bytes),
                                                     _mm256_setr_epi32(0, 4, 0, 0, 0, 0, 0, 0));
  _mm_storel_epi64(reinterpret_cast<__m128i*>(out), _mm256_castsi256_si128(packed));
  return x;
}

__attribute__((target("avx2,popcnt"))) size_t DecodeGroups(const RansPackedTable& table, uint32_t* states,
                                                          const uint8_t*& p_io, const uint8_t* end,
                                                          RansOffsetCursor& cursor, uint8_t* out, size_t n) {
  constexpr int kVectors = entropy::kRansLanes / 8;
  static_assert(entropy::kRansLanes % 8 == 0);
  Lanes k;
  k.mask = _mm256_set1_epi32((1 << table.precision_bits) - 1);
  k.low_byte = _mm256_set1_epi32(0xff);
  k.pick_bytes = _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 4, 8, 12, -1, -1,
                                  -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
  k.precision = _mm_cvtsi32_si128(table.precision_bits);
  k.info_lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(table.info));
  k.info_hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(table.info + 8));
  k.seven = _mm256_set1_epi32(7);
  const uint32_t* slots = table.slots.data();

  __m256i x[kVectors];
  for (int v = 0; v < kVectors; ++v) x[v] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(states + 8 * v));
  __m256i bad = _mm256_setzero_si256();
  const uint8_t* p = p_io;
  uint64_t bitpos = cursor.bitpos;
  // A group reads at most 2 bytes per lane of rANS words (each vector loads
  // 16 bytes from where the last one stopped) and 8 bits per value of
  // offsets, whose 4-byte gathers stay within kRansRawPadding of raw_size.
  // Before the last vector of a group bitpos/8 <= raw_size + kRansLanes - 8,
  // and its windows end at most 4 + 8 bytes further.
  static_assert(kRansRawPadding >= entropy::kRansLanes - 8 + 4 + 8);
  size_t i = 0;
  while (i + entropy::kRansLanes <= n && end - p >= 2 * entropy::kRansLanes && (bitpos >> 3) <= cursor.raw_size) {
#pragma GCC unroll 8
    for (int v = 0; v < kVectors; ++v) x[v] = DecodeVector(k, slots, x[v], p, cursor.raw, bitpos, bad, out + i + 8 * v);
    i += entropy::kRansLanes;
  }
  for (int v = 0; v < kVectors; ++v) _mm256_storeu_si256(reinterpret_cast<__m256i*>(states + 8 * v), x[v]);
  p_io = p;
  cursor.bitpos = bitpos;
  cursor.bad |= !_mm256_testz_si256(bad, bad);
  return i;
}

}  // namespace

bool HaveRansAvx2() {
  static const bool have = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt");
  return have;
}

size_t DecodeRansGroupsAvx2(const RansPackedTable& table, uint32_t* states, const uint8_t*& p,
                            const uint8_t* end, RansOffsetCursor& cursor, uint8_t* out, size_t n) {
  if (!HaveRansAvx2()) return 0;
  return DecodeGroups(table, states, p, end, cursor, out, n);
}

#else

bool HaveRansAvx2() { return false; }
size_t DecodeRansGroupsAvx2(const RansPackedTable&, uint32_t*, const uint8_t*&, const uint8_t*,
                            RansOffsetCursor&, uint8_t*, size_t) {
  return 0;
}

#endif

}  // namespace tp::codec
