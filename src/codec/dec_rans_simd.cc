// atalanta-rans decoding, 8 lanes per AVX2 vector, kRansLanes / 8 vectors
// per group. Per vector: two gathers fetch the 8-byte slots (freq | bias,
// then symbol | start | width | size-1), a 32-bit multiply-add advances the
// states, and the renormalisation expands the next popcount(need) 16-bit
// words into the needing lanes in lane order (a 256-entry permutation table
// indexed by the need mask), which is exactly the order in which the scalar
// loop reads them. The offsets of the 8 values lie back to back in the raw
// stream: an in-vector prefix sum of the widths gives each one's bit
// position, a third gather fetches 4 bytes around it, and shifts cut it out.
#include "codec/dec_rans_simd.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define TP_RANS_AVX2 1
#endif

#include <array>
#include <atomic>

namespace tp::codec {

namespace {
std::atomic<bool> simd_enabled{true};
}  // namespace

bool RansSimdEnabled() { return simd_enabled.load(std::memory_order_relaxed); }
void SetRansSimdEnabledForTesting(bool enabled) { simd_enabled.store(enabled, std::memory_order_relaxed); }

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
  __m256i mask, low_byte, bswap, pick_bytes, upper_half, lane3;
  __m128i precision;
};

// One vector of 8 lanes: decodes 8 values into out, returns the updated state.
__attribute__((target("avx2,popcnt"))) inline __m256i DecodeVector(const Lanes& k, const entropy::RansSlot* slots,
                                                                   __m256i x, const uint8_t*& p,
                                                                   const uint8_t* raw, uint64_t& bitpos,
                                                                   __m256i& bad, uint8_t* out) {
  const __m256i idx = _mm256_and_si256(x, k.mask);
  const int* base = reinterpret_cast<const int*>(slots);
  const __m256i fb = _mm256_i32gather_epi32(base, idx, 8);      // freq | bias << 16
  const __m256i info = _mm256_i32gather_epi32(base + 1, idx, 8);  // symbol, start, width, size-1
  const __m256i freq = _mm256_and_si256(fb, _mm256_set1_epi32(0xffff));
  const __m256i bias = _mm256_srli_epi32(fb, 16);
  x = _mm256_add_epi32(_mm256_mullo_epi32(freq, _mm256_srl_epi32(x, k.precision)), bias);

  // Renormalise: lanes below 2^16 take the next words, in lane order.
  const __m256i need = _mm256_cmpeq_epi32(_mm256_srli_epi32(x, 16), _mm256_setzero_si256());
  const unsigned m = static_cast<unsigned>(_mm256_movemask_ps(_mm256_castsi256_ps(need)));
  const __m256i words = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  const __m256i perm = _mm256_cvtepu8_epi32(_mm_cvtsi64_si128(static_cast<long long>(kExpand[m])));
  const __m256i refilled = _mm256_or_si256(_mm256_slli_epi32(x, 16), _mm256_permutevar8x32_epi32(words, perm));
  x = _mm256_blendv_epi8(x, refilled, need);
  p += 2 * _mm_popcnt_u32(m);

  // Offsets: widths w, exclusive prefix sum, then 4 bytes from each position.
  const __m256i width = _mm256_and_si256(_mm256_srli_epi32(info, 16), k.low_byte);
  __m256i sum = _mm256_add_epi32(width, _mm256_slli_si256(width, 4));
  sum = _mm256_add_epi32(sum, _mm256_slli_si256(sum, 8));
  sum = _mm256_add_epi32(sum, _mm256_and_si256(_mm256_permutevar8x32_epi32(sum, k.lane3), k.upper_half));
  const __m256i pos = _mm256_add_epi32(_mm256_sub_epi32(sum, width), _mm256_set1_epi32(int(bitpos & 7)));
  const int* bytes = reinterpret_cast<const int*>(raw + (bitpos >> 3));
  __m256i word = _mm256_i32gather_epi32(bytes, _mm256_srli_epi32(pos, 3), 1);
  word = _mm256_shuffle_epi8(word, k.bswap);  // MSB-first bits now start at bit 31
  word = _mm256_sllv_epi32(word, _mm256_and_si256(pos, _mm256_set1_epi32(7)));
  const __m256i offset = _mm256_srlv_epi32(word, _mm256_sub_epi32(_mm256_set1_epi32(32), width));  // w = 0: 0
  const __m256i size_minus_1 = _mm256_srli_epi32(info, 24);
  bad = _mm256_or_si256(bad, _mm256_cmpgt_epi32(offset, size_minus_1));
  const __m256i value = _mm256_add_epi32(_mm256_and_si256(_mm256_srli_epi32(info, 8), k.low_byte), offset);
  bitpos += static_cast<uint32_t>(_mm256_extract_epi32(sum, 7));

  const __m256i packed = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(value, k.pick_bytes),
                                                     _mm256_setr_epi32(0, 4, 0, 0, 0, 0, 0, 0));
  _mm_storel_epi64(reinterpret_cast<__m128i*>(out), _mm256_castsi256_si128(packed));
  return x;
}

__attribute__((target("avx2,popcnt"))) size_t DecodeGroups(const entropy::RansDecodeTable& table, uint32_t* states,
                                                          const uint8_t*& p_io, const uint8_t* end,
                                                          RansOffsetCursor& cursor, uint8_t* out, size_t n) {
  constexpr int kVectors = entropy::kRansLanes / 8;
  static_assert(entropy::kRansLanes % 8 == 0);
  Lanes k;
  k.mask = _mm256_set1_epi32((1 << table.precision_bits) - 1);
  k.low_byte = _mm256_set1_epi32(0xff);
  k.bswap = _mm256_setr_epi8(3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12, 3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9,
                             8, 15, 14, 13, 12);
  k.pick_bytes = _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 4, 8, 12, -1, -1,
                                  -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
  k.upper_half = _mm256_setr_epi32(0, 0, 0, 0, -1, -1, -1, -1);
  k.lane3 = _mm256_set1_epi32(3);
  k.precision = _mm_cvtsi32_si128(table.precision_bits);
  const entropy::RansSlot* slots = table.slots.data();

  __m256i x[kVectors];
  for (int v = 0; v < kVectors; ++v) x[v] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(states + 8 * v));
  __m256i bad = _mm256_setzero_si256();
  const uint8_t* p = p_io;
  uint64_t bitpos = cursor.bitpos;
  // A group reads at most 2 bytes per lane of rANS words (each vector loads
  // 16 bytes from where the last one stopped) and 8 bits per value of
  // offsets, whose 4-byte gathers stay within kRansRawPadding of raw_size.
  static_assert(kRansRawPadding >= 8 * 8 / 8 + 8 + 4);
  static_assert(kVectors * 8 * 8 / 8 <= 16);
  size_t i = 0;
  while (i + entropy::kRansLanes <= n && end - p >= 2 * entropy::kRansLanes && (bitpos >> 3) <= cursor.raw_size) {
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

size_t DecodeRansGroupsAvx2(const entropy::RansDecodeTable& table, uint32_t* states, const uint8_t*& p,
                            const uint8_t* end, RansOffsetCursor& cursor, uint8_t* out, size_t n) {
  if (!HaveRansAvx2()) return 0;
  return DecodeGroups(table, states, p, end, cursor, out, n);
}

#else

bool HaveRansAvx2() { return false; }
size_t DecodeRansGroupsAvx2(const entropy::RansDecodeTable&, uint32_t*, const uint8_t*&, const uint8_t*,
                            RansOffsetCursor&, uint8_t*, size_t) {
  return 0;
}

#endif

}  // namespace tp::codec
