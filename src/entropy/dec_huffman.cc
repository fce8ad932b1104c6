#include "entropy/dec_huffman.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <string>

#include "entropy/bit_io.h"

namespace tp::entropy {

StatusOr<HuffmanDecodeTable> BuildHuffmanDecodeTable(std::span<const uint8_t> lengths) {
  if (lengths.size() > 256) return CorruptDataError("Huffman alphabet above 256 symbols");
  TP_ASSIGN_OR_RETURN(std::vector<uint32_t> codes, CanonicalCodes(lengths));
  HuffmanDecodeTable t;
  t.entries.assign(size_t(1) << kHuffmanMaxBits, 0);
  for (size_t s = 0; s < lengths.size(); ++s) {
    const int len = lengths[s];
    if (len == 0) continue;
    const uint32_t first = codes[s] << (kHuffmanMaxBits - len);
    const uint32_t span = uint32_t(1) << (kHuffmanMaxBits - len);
    for (uint32_t i = 0; i < span; ++i) t.entries[first + i] = static_cast<uint16_t>(len | s << 8);
  }
  t.complete = std::find(t.entries.begin(), t.entries.end(), uint16_t(0)) == t.entries.end();
  return t;
}

Status HuffmanDecode(std::span<const uint8_t> bytes, const HuffmanDecodeTable& table,
                     std::span<uint8_t> out) {
  if (table.entries.size() != (size_t(1) << kHuffmanMaxBits))
    return InvalidArgumentError("Huffman decoder: invalid table");
  BitReader in(bytes);
  for (uint8_t& sym : out) {
    const uint16_t e = table.entries[in.Peek(kHuffmanMaxBits)];
    const int len = e & 0xff;
    if (len == 0) return CorruptDataError("Huffman stream holds an unused code");
    in.Skip(len);
    sym = static_cast<uint8_t>(e >> 8);
    if (in.overrun() > 0) return CorruptDataError("Huffman stream is truncated");
  }
  return Status::Ok();
}

namespace {

// One stream's reader: the 64 bits of the chunk from byte `pos` on (big-
// endian, so the stream's next bit is the top one) and how many of them the
// symbols used (< 8 after a refill; four codes of <= 12 bits then fit). A
// load may reach past the stream's own end into the next stream, or, in the
// safe refill near the chunk's end, read zeros: only bits the symbols used
// count, and they are checked against the stream's size at the end.
struct Reader {
  size_t pos = 0;
  uint64_t container = 0;
  uint32_t used = 0;
  // The caller ensures pos + used / 8 + 8 <= chunk size.
  inline __attribute__((always_inline)) void RefillFast(const uint8_t* chunk) {
    pos += used >> 3;
    used &= 7;
    uint64_t word;
    std::memcpy(&word, chunk + pos, 8);
    container = __builtin_bswap64(word);
  }
  void RefillSafe(const uint8_t* chunk, size_t size) {
    pos += used >> 3;
    used &= 7;
    container = 0;
    for (int b = 0; b < 8; ++b)
      if (pos + b < size) container |= uint64_t(chunk[pos + b]) << (56 - 8 * b);
  }
  // An unused bit pattern's entry is 0, so entry - 1 wraps around and sets
  // bit 31 of `bad` (one subtract and one or per symbol).
  inline __attribute__((always_inline)) uint8_t Decode(const uint16_t* table, uint32_t& bad) {
    const uint32_t e = table[(container << used) >> (64 - kHuffmanMaxBits)];
    bad |= e - 1;
    used += e & 0xff;
    return static_cast<uint8_t>(e >> 8);
  }
  uint64_t BitsUsedSince(size_t start) const { return 8 * uint64_t(pos - start) + used; }
};

inline uint64_t LoadBigEndian64(const uint8_t* p) {
  uint64_t word;
  std::memcpy(&word, p, 8);
  return __builtin_bswap64(word);
}

// The interleaved loop: four symbols of every stream per round (the last
// segment is the shortest); returns the symbols decoded per segment. A
// round moves a reader at most 6 bytes, so the loop runs the rounds that
// fit in the chunk without a check each, then looks again. Compiled twice,
// plain and with BMI2 (shlx/shrx shift by any register; the plain shifts
// tie up the count register).
//
// Inside, a reader is a byte pointer and `bits`: the 64 bits from the
// pointer on with the last one replaced by a 1 (a sentinel), shifted left
// by the bits already used. Each symbol shifts its code out, so the
// sentinel's position, ctz(bits), is the count of bits used since the
// pointer: no separate counter to add to, and per symbol a chain of only
// shift -> table load -> shift. The entry holds the length in its low bits,
// where shlx takes its count from (the symbol, above bit 5, is ignored).
// With a counter per reader the four readers' state and the output
// pointers outgrew x86's registers and spilled (0.94 GB/s on MiniLM int8).
// A refill keeps >= 56 bits, enough for four codes of <= 12 bits.
//
// kCheck: whether the table has unused entries (0) to flag. Without the
// check the loop holds fewer values: with it, the compiler kept the 16
// entries of a round on the stack to OR them together at its end.
template <bool kCheck>
inline __attribute__((always_inline)) size_t DecodeRounds(const uint8_t* chunk, size_t size, const uint16_t* t,
                                                          Reader* r, uint8_t* out, const size_t* begin,
                                                          size_t together, uint32_t& bad) {
  uint8_t* const o0 = out + begin[0];
  const size_t m = begin[1] - begin[0];
  uint32_t b = 0;
  size_t i = 0;
  while (i + 4 <= together) {
    const size_t furthest = std::max(std::max(r[0].pos, r[1].pos), std::max(r[2].pos, r[3].pos)) + 8;
    if (furthest + 16 > size) break;  // +16: the refill's used / 8 (< 8) plus slack
    const size_t rounds = std::min((size - furthest - 16) / 6 + 1, (together - i) / 4);
    // Each reader's used < 8 here (a refill or the start left it so).
    const uint8_t* p0 = chunk + r[0].pos + (r[0].used >> 3);
    const uint8_t* p1 = chunk + r[1].pos + (r[1].used >> 3);
    const uint8_t* p2 = chunk + r[2].pos + (r[2].used >> 3);
    const uint8_t* p3 = chunk + r[3].pos + (r[3].used >> 3);
    uint64_t b0 = (LoadBigEndian64(p0) | 1) << (r[0].used & 7);
    uint64_t b1 = (LoadBigEndian64(p1) | 1) << (r[1].used & 7);
    uint64_t b2 = (LoadBigEndian64(p2) | 1) << (r[2].used & 7);
    uint64_t b3 = (LoadBigEndian64(p3) | 1) << (r[3].used & 7);
    uint8_t* o = o0 + i;
    uint8_t* const o_end = o + 4 * rounds;
    auto step = [&](uint64_t& bits) __attribute__((always_inline)) {
      const uint32_t e = t[bits >> (64 - kHuffmanMaxBits)];
      bits <<= (e & 63);
      if constexpr (kCheck) b |= e - 1;
      return static_cast<uint8_t>(e >> 8);
    };
    auto refill = [](const uint8_t*& p, uint64_t& bits) __attribute__((always_inline)) {
      const int used = __builtin_ctzll(bits);
      p += used >> 3;
      bits = (LoadBigEndian64(p) | 1) << (used & 7);
    };
    // The last round's refill loads where the next round would start: at
    // most 6 bytes further than the round-count bound above allows for a
    // round's own load, which its 16 bytes of slack cover.
    for (; o != o_end; o += 4) {
#pragma GCC unroll 4
      for (int k = 0; k < 4; ++k) {
        o[k] = step(b0);
        o[m + k] = step(b1);
        o[2 * m + k] = step(b2);
        o[3 * m + k] = step(b3);
      }
      refill(p0, b0);
      refill(p1, b1);
      refill(p2, b2);
      refill(p3, b3);
    }
    i += 4 * rounds;
    r[0].pos = size_t(p0 - chunk), r[0].used = uint32_t(__builtin_ctzll(b0));
    r[1].pos = size_t(p1 - chunk), r[1].used = uint32_t(__builtin_ctzll(b1));
    r[2].pos = size_t(p2 - chunk), r[2].used = uint32_t(__builtin_ctzll(b2));
    r[3].pos = size_t(p3 - chunk), r[3].used = uint32_t(__builtin_ctzll(b3));
  }
  bad |= b;
  return i;
}

// The eight-stream interleaved loop: per round, four symbols of every
// stream into 32 consecutive output bytes (symbol 8k + s of the round from
// stream s); the readers work as in DecodeRounds. Returns the symbols
// decoded (a multiple of 32).
template <bool kCheck>
inline __attribute__((always_inline)) size_t DecodeRounds8(const uint8_t* chunk, size_t size, const uint16_t* t,
                                                           Reader* r, uint8_t* out, size_t n, uint32_t& bad) {
  constexpr int S = kHuffmanInterleavedStreams;
  uint32_t b = 0;
  size_t i = 0;
  while (i + 4 * S <= n) {
    size_t furthest = 0;
    for (int s = 0; s < S; ++s) furthest = std::max(furthest, r[s].pos);
    furthest += 8;
    if (furthest + 16 > size) break;  // +16: the refill's used / 8 (< 8) plus slack
    const size_t rounds = std::min((size - furthest - 16) / 6 + 1, (n - i) / (4 * S));
    const uint8_t* p[S];
    uint64_t bits[S];
#pragma GCC unroll 8
    for (int s = 0; s < S; ++s) {
      p[s] = chunk + r[s].pos + (r[s].used >> 3);
      bits[s] = (LoadBigEndian64(p[s]) | 1) << (r[s].used & 7);
    }
    uint8_t* o = out + i;
    uint8_t* const o_end = o + 4 * S * rounds;
    for (; o != o_end; o += 4 * S) {
#pragma GCC unroll 4
      for (int k = 0; k < 4; ++k) {
#pragma GCC unroll 8
        for (int s = 0; s < S; ++s) {
          const uint32_t e = t[bits[s] >> (64 - kHuffmanMaxBits)];
          bits[s] <<= (e & 63);
          if constexpr (kCheck) b |= e - 1;
          o[k * S + s] = static_cast<uint8_t>(e >> 8);
        }
      }
#pragma GCC unroll 8
      for (int s = 0; s < S; ++s) {
        const int used = __builtin_ctzll(bits[s]);
        p[s] += used >> 3;
        bits[s] = (LoadBigEndian64(p[s]) | 1) << (used & 7);
      }
    }
    i += 4 * S * rounds;
#pragma GCC unroll 8
    for (int s = 0; s < S; ++s) {
      r[s].pos = size_t(p[s] - chunk);
      r[s].used = uint32_t(__builtin_ctzll(bits[s]));
    }
  }
  bad |= b;
  return i;
}

template <bool kCheck>
size_t DecodeRounds8Plain(const uint8_t* chunk, size_t size, const uint16_t* t, Reader* r, uint8_t* out, size_t n,
                          uint32_t& bad) {
  return DecodeRounds8<kCheck>(chunk, size, t, r, out, n, bad);
}

template <bool kCheck>
size_t DecodeRoundsPlain(const uint8_t* chunk, size_t size, const uint16_t* t, Reader* r, uint8_t* out,
                         const size_t* begin, size_t together, uint32_t& bad) {
  return DecodeRounds<kCheck>(chunk, size, t, r, out, begin, together, bad);
}

#if defined(__x86_64__)
template <bool kCheck>
__attribute__((target("bmi2"))) size_t DecodeRoundsBmi2(const uint8_t* chunk, size_t size, const uint16_t* t,
                                                         Reader* r, uint8_t* out, const size_t* begin,
                                                         size_t together, uint32_t& bad) {
  return DecodeRounds<kCheck>(chunk, size, t, r, out, begin, together, bad);
}
template <bool kCheck>
__attribute__((target("bmi2"))) size_t DecodeRounds8Bmi2(const uint8_t* chunk, size_t size, const uint16_t* t,
                                                          Reader* r, uint8_t* out, size_t n, uint32_t& bad) {
  return DecodeRounds8<kCheck>(chunk, size, t, r, out, n, bad);
}
bool CpuHasBmi2() {
  static const bool have = __builtin_cpu_supports("bmi2");
  return have;
}
#else
template <bool kCheck>
size_t DecodeRounds8Bmi2(const uint8_t* chunk, size_t size, const uint16_t* t, Reader* r, uint8_t* out, size_t n,
                         uint32_t& bad) {
  return DecodeRounds8Plain<kCheck>(chunk, size, t, r, out, n, bad);
}
template <bool kCheck>
size_t DecodeRoundsBmi2(const uint8_t* chunk, size_t size, const uint16_t* t, Reader* r, uint8_t* out,
                        const size_t* begin, size_t together, uint32_t& bad) {
  return DecodeRoundsPlain<kCheck>(chunk, size, t, r, out, begin, together, bad);
}
bool CpuHasBmi2() { return false; }
#endif

std::atomic<bool> bmi2_allowed{true};

}  // namespace

bool HuffmanBmi2Enabled() { return CpuHasBmi2() && bmi2_allowed.load(std::memory_order_relaxed); }
void SetHuffmanBmi2ForTesting(bool allowed) { bmi2_allowed.store(allowed, std::memory_order_relaxed); }

Status HuffmanDecode4(std::span<const uint8_t> bytes, const HuffmanDecodeTable& table, std::span<uint8_t> out) {
  if (table.entries.size() != (size_t(1) << kHuffmanMaxBits))
    return InvalidArgumentError("Huffman decoder: invalid table");
  if (bytes.size() < kHuffmanStreamSizesBytes)
    return CorruptDataError("four-stream Huffman chunk of " + std::to_string(bytes.size()) +
                            " bytes is shorter than its stream sizes");
  const uint8_t* chunk = bytes.data();
  const size_t size = bytes.size();
  size_t stream_begin[kHuffmanStreams + 1];
  stream_begin[0] = kHuffmanStreamSizesBytes;
  for (int s = 0; s + 1 < kHuffmanStreams; ++s) {
    const uint64_t n = uint64_t(chunk[4 * s]) | uint64_t(chunk[4 * s + 1]) << 8 | uint64_t(chunk[4 * s + 2]) << 16 |
                       uint64_t(chunk[4 * s + 3]) << 24;
    if (n > size - stream_begin[s])
      return CorruptDataError("four-stream Huffman chunk: stream " + std::to_string(s) + " of " + std::to_string(n) +
                              " bytes overruns the chunk");
    stream_begin[s + 1] = stream_begin[s] + static_cast<size_t>(n);
  }
  stream_begin[kHuffmanStreams] = size;
  const size_t n = out.size();
  size_t begin[kHuffmanStreams], end[kHuffmanStreams];
  for (int s = 0; s < kHuffmanStreams; ++s) HuffmanSegment(n, s, &begin[s], &end[s]);
  Reader r[kHuffmanStreams];
  for (int s = 0; s < kHuffmanStreams; ++s) r[s].pos = stream_begin[s];
  const uint16_t* t = table.entries.data();
  uint8_t* o = out.data();
  uint32_t bad = 0;
  const size_t together = end[kHuffmanStreams - 1] - begin[kHuffmanStreams - 1];
  static_assert(kHuffmanStreams == 4, "DecodeRounds runs four readers");
  size_t i = 0;
  const bool bmi2 = HuffmanBmi2Enabled();
  if (table.complete) {
    i = bmi2 ? DecodeRoundsBmi2<false>(chunk, size, t, r, o, begin, together, bad)
             : DecodeRoundsPlain<false>(chunk, size, t, r, o, begin, together, bad);
  } else {
    i = bmi2 ? DecodeRoundsBmi2<true>(chunk, size, t, r, o, begin, together, bad)
             : DecodeRoundsPlain<true>(chunk, size, t, r, o, begin, together, bad);
  }
  for (int s = 0; s < kHuffmanStreams; ++s) {
    Reader& rs = r[s];
    for (size_t k = begin[s] + i; k < end[s]; ++k) {
      if (k == begin[s] + i || rs.used > 64 - kHuffmanMaxBits) rs.RefillSafe(chunk, size);
      o[k] = rs.Decode(t, bad);
    }
  }
  if (bad >> 31) return CorruptDataError("Huffman stream holds an unused code");
  for (int s = 0; s < kHuffmanStreams; ++s) {
    const uint64_t stream_bytes = stream_begin[s + 1] - stream_begin[s];
    const uint64_t used = r[s].BitsUsedSince(stream_begin[s]);
    if (used > 8 * stream_bytes) return CorruptDataError("Huffman stream " + std::to_string(s) + " is truncated");
    if ((used + 7) / 8 != stream_bytes)
      return CorruptDataError("Huffman stream " + std::to_string(s) + " has bytes it does not use");
  }
  return Status::Ok();
}

Status HuffmanDecode8(std::span<const uint8_t> bytes, const HuffmanDecodeTable& table, std::span<uint8_t> out) {
  constexpr int S = kHuffmanInterleavedStreams;
  if (table.entries.size() != (size_t(1) << kHuffmanMaxBits))
    return InvalidArgumentError("Huffman decoder: invalid table");
  if (bytes.size() < kHuffmanInterleavedSizesBytes)
    return CorruptDataError("eight-stream Huffman chunk of " + std::to_string(bytes.size()) +
                            " bytes is shorter than its stream sizes");
  const uint8_t* chunk = bytes.data();
  const size_t size = bytes.size();
  size_t stream_begin[S + 1];
  stream_begin[0] = kHuffmanInterleavedSizesBytes;
  for (int s = 0; s + 1 < S; ++s) {
    const uint64_t n = uint64_t(chunk[4 * s]) | uint64_t(chunk[4 * s + 1]) << 8 | uint64_t(chunk[4 * s + 2]) << 16 |
                       uint64_t(chunk[4 * s + 3]) << 24;
    if (n > size - stream_begin[s])
      return CorruptDataError("eight-stream Huffman chunk: stream " + std::to_string(s) + " of " +
                              std::to_string(n) + " bytes overruns the chunk");
    stream_begin[s + 1] = stream_begin[s] + static_cast<size_t>(n);
  }
  stream_begin[S] = size;
  const size_t n = out.size();
  Reader r[S];
  for (int s = 0; s < S; ++s) r[s].pos = stream_begin[s];
  const uint16_t* t = table.entries.data();
  uint8_t* o = out.data();
  uint32_t bad = 0;
  size_t i = 0;
  const bool bmi2 = HuffmanBmi2Enabled();
  if (table.complete) {
    i = bmi2 ? DecodeRounds8Bmi2<false>(chunk, size, t, r, o, n, bad)
             : DecodeRounds8Plain<false>(chunk, size, t, r, o, n, bad);
  } else {
    i = bmi2 ? DecodeRounds8Bmi2<true>(chunk, size, t, r, o, n, bad)
             : DecodeRounds8Plain<true>(chunk, size, t, r, o, n, bad);
  }
  // The rest (fewer than 32 symbols, or the chunk's last bytes), each
  // stream's symbols with the checked refill.
  for (int s = 0; s < S; ++s) {
    Reader& rs = r[s];
    for (size_t k = i + size_t(s); k < n; k += S) {
      if (k == i + size_t(s) || rs.used > 64 - kHuffmanMaxBits) rs.RefillSafe(chunk, size);
      o[k] = rs.Decode(t, bad);
    }
  }
  if (bad >> 31) return CorruptDataError("Huffman stream holds an unused code");
  for (int s = 0; s < S; ++s) {
    const uint64_t stream_bytes = stream_begin[s + 1] - stream_begin[s];
    const uint64_t used = r[s].BitsUsedSince(stream_begin[s]);
    if (used > 8 * stream_bytes) return CorruptDataError("Huffman stream " + std::to_string(s) + " is truncated");
    if ((used + 7) / 8 != stream_bytes)
      return CorruptDataError("Huffman stream " + std::to_string(s) + " has bytes it does not use");
  }
  return Status::Ok();
}

}  // namespace tp::entropy
