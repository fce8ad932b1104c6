// The four-stream Huffman layout (huffman_common.h): a hand-computed chunk,
// every stream equal to the single-stream encoder's output for its segment,
// round trips at every length around the segment and refill boundaries, and
// corrupt chunks.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "entropy/dec_huffman.h"
#include "entropy/enc_huffman.h"

namespace tp::entropy {
namespace {

std::vector<uint64_t> Counts(const std::vector<uint8_t>& v) {
  std::vector<uint64_t> h(256, 0);
  for (uint8_t x : v) ++h[x];
  if (v.empty()) h[0] = 1;
  return h;
}

std::vector<uint8_t> Sample(size_t n, double p, uint32_t seed) {
  std::mt19937 rng(seed);
  std::geometric_distribution<int> geo(p);
  std::vector<uint8_t> v(n);
  for (auto& x : v) x = static_cast<uint8_t>(std::min(geo(rng), 255));
  return v;
}

TEST(Huffman4, HandComputedChunk) {
  // Lengths A:1 B:2 C:2 give the canonical codes A = 0, B = 10, C = 11.
  // Eight symbols make four segments of two:
  //   [A B] = 0 10 -> 0100 0000; [C A] = 11 0 -> 1100 0000;
  //   [B B] = 10 10 -> 1010 0000; [C C] = 11 11 -> 1111 0000.
  const std::vector<uint8_t> lengths = {1, 2, 2};
  const std::vector<uint8_t> symbols = {0, 1, 2, 0, 1, 1, 2, 2};
  const std::vector<uint8_t> want = {1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0x40, 0xC0, 0xA0, 0xF0};
  std::vector<uint8_t> got = {0x77};  // appends after what is there
  ASSERT_TRUE(HuffmanEncode4(symbols, lengths, got).ok());
  ASSERT_EQ(got[0], 0x77);
  EXPECT_EQ(std::vector<uint8_t>(got.begin() + 1, got.end()), want);
  auto table = BuildHuffmanDecodeTable(lengths);
  ASSERT_TRUE(table.ok());
  std::vector<uint8_t> back(symbols.size());
  ASSERT_TRUE(HuffmanDecode4(want, *table, back).ok());
  EXPECT_EQ(back, symbols);
}

// Every length 0..4 x 4 x 4 + 1 and a few large ones, skewed and flat: each
// stream is the single-stream encoding of its segment, and decodes back.
TEST(Huffman4, StreamsAreTheSegmentsSingleStreamCodes) {
  std::vector<size_t> sizes;
  for (size_t n = 0; n <= 4 * 4 * 4 + 1; ++n) sizes.push_back(n);
  for (size_t n : {1000u, 4099u, 65536u, 100003u}) sizes.push_back(n);
  for (double p : {0.9, 0.1, 0.005})
    for (size_t n : sizes) {
      const std::vector<uint8_t> v = Sample(n, p, uint32_t(n * 7 + 1));
      auto lengths = HuffmanCodeLengths(Counts(v));
      ASSERT_TRUE(lengths.ok());
      std::vector<uint8_t> chunk;
      uint64_t code_bits = 5, want_bits = 5;  // adds to what is there
      for (uint8_t x : v) want_bits += (*lengths)[x];
      ASSERT_TRUE(HuffmanEncode4(v, *lengths, chunk, &code_bits).ok());
      ASSERT_EQ(code_bits, want_bits) << "n=" << n;
      ASSERT_GE(chunk.size(), kHuffmanStreamSizesBytes);
      size_t at = kHuffmanStreamSizesBytes;
      for (int s = 0; s < kHuffmanStreams; ++s) {
        size_t b, e;
        HuffmanSegment(n, s, &b, &e);
        auto single = HuffmanEncode(std::span<const uint8_t>(v).subspan(b, e - b), *lengths);
        ASSERT_TRUE(single.ok());
        const size_t bytes = s + 1 < kHuffmanStreams ? size_t(chunk[4 * s]) | size_t(chunk[4 * s + 1]) << 8 |
                                                           size_t(chunk[4 * s + 2]) << 16 | size_t(chunk[4 * s + 3]) << 24
                                                     : chunk.size() - at;
        ASSERT_EQ(bytes, single->size()) << "n=" << n << " stream " << s;
        ASSERT_TRUE(std::equal(single->begin(), single->end(), chunk.begin() + std::ptrdiff_t(at)))
            << "n=" << n << " stream " << s;
        at += bytes;
      }
      auto table = BuildHuffmanDecodeTable(*lengths);
      ASSERT_TRUE(table.ok());
      std::vector<uint8_t> back(n, 0xEE);
      Status st = HuffmanDecode4(chunk, *table, back);
      ASSERT_TRUE(st.ok()) << "n=" << n << ": " << st.message();
      ASSERT_EQ(back, v) << "n=" << n;
    }
}

// The eight-stream interleaved layout: every length 0..8 x 4 x 4 + 1 and a
// few large ones, skewed and flat: stream s is the single-stream encoding of
// symbols s, s + 8, ..., and the chunk decodes back.
TEST(Huffman8, StreamsAreTheInterleavedSingleStreamCodes) {
  constexpr int S = kHuffmanInterleavedStreams;
  std::vector<size_t> sizes;
  for (size_t n = 0; n <= S * 4 * 4 + 1; ++n) sizes.push_back(n);
  for (size_t n : {1000u, 4099u, 65536u, 100003u}) sizes.push_back(n);
  for (double p : {0.9, 0.1, 0.005})
    for (size_t n : sizes) {
      const std::vector<uint8_t> v = Sample(n, p, uint32_t(n * 5 + 3));
      auto lengths = HuffmanCodeLengths(Counts(v));
      ASSERT_TRUE(lengths.ok());
      std::vector<uint8_t> chunk = {0x55};  // appends after what is there
      uint64_t code_bits = 3, want_bits = 3;
      for (uint8_t x : v) want_bits += (*lengths)[x];
      ASSERT_TRUE(HuffmanEncode8(v, *lengths, chunk, &code_bits).ok());
      ASSERT_EQ(chunk[0], 0x55);
      chunk.erase(chunk.begin());
      ASSERT_EQ(code_bits, want_bits) << "n=" << n;
      ASSERT_GE(chunk.size(), kHuffmanInterleavedSizesBytes);
      size_t at = kHuffmanInterleavedSizesBytes;
      for (int s = 0; s < S; ++s) {
        std::vector<uint8_t> part;
        for (size_t i = size_t(s); i < n; i += S) part.push_back(v[i]);
        ASSERT_EQ(part.size(), HuffmanInterleavedCount(n, s));
        auto single = HuffmanEncode(part, *lengths);
        ASSERT_TRUE(single.ok());
        const size_t bytes = s + 1 < S ? size_t(chunk[4 * s]) | size_t(chunk[4 * s + 1]) << 8 |
                                             size_t(chunk[4 * s + 2]) << 16 | size_t(chunk[4 * s + 3]) << 24
                                       : chunk.size() - at;
        ASSERT_EQ(bytes, single->size()) << "n=" << n << " stream " << s;
        ASSERT_TRUE(std::equal(single->begin(), single->end(), chunk.begin() + std::ptrdiff_t(at)))
            << "n=" << n << " stream " << s;
        at += bytes;
      }
      auto table = BuildHuffmanDecodeTable(*lengths);
      ASSERT_TRUE(table.ok());
      std::vector<uint8_t> back(n, 0xEE);
      Status st = HuffmanDecode8(chunk, *table, back);
      ASSERT_TRUE(st.ok()) << "n=" << n << ": " << st.message();
      ASSERT_EQ(back, v) << "n=" << n;
    }
}

TEST(Huffman8, LengthLimitAndCorruptChunks) {
  std::vector<uint8_t> v;
  for (int s = 0; s < 256; ++s)
    for (int k = 0; k < 1 + (s < 20 ? (1 << (20 - s)) / 64 : 0); ++k) v.push_back(static_cast<uint8_t>(s));
  std::shuffle(v.begin(), v.end(), std::mt19937(4));
  auto lengths = HuffmanCodeLengths(Counts(v));
  ASSERT_TRUE(lengths.ok());
  EXPECT_EQ(*std::max_element(lengths->begin(), lengths->end()), kHuffmanMaxBits);
  std::vector<uint8_t> chunk;
  ASSERT_TRUE(HuffmanEncode8(v, *lengths, chunk).ok());
  auto table = BuildHuffmanDecodeTable(*lengths);
  ASSERT_TRUE(table.ok());
  std::vector<uint8_t> out(v.size());
  ASSERT_TRUE(HuffmanDecode8(chunk, *table, out).ok());
  EXPECT_EQ(out, v);
  auto decode = [&](const std::vector<uint8_t>& bytes) { return HuffmanDecode8(bytes, *table, out).code(); };
  // Shorter than the sizes; a size beyond the chunk; truncated; extended; a
  // boundary moved by one byte.
  EXPECT_EQ(decode(std::vector<uint8_t>(chunk.begin(), chunk.begin() + 27)), StatusCode::kCorruptData);
  std::vector<uint8_t> big = chunk;
  big[3] = 0x7f;
  EXPECT_EQ(decode(big), StatusCode::kCorruptData);
  EXPECT_EQ(decode(std::vector<uint8_t>(chunk.begin(), chunk.end() - 1)), StatusCode::kCorruptData);
  std::vector<uint8_t> longer = chunk;
  longer.push_back(0);
  EXPECT_EQ(decode(longer), StatusCode::kCorruptData);
  std::vector<uint8_t> moved = chunk;
  ++moved[8];
  EXPECT_EQ(decode(moved), StatusCode::kCorruptData);
  // An unused code in a long chunk (lengths {1, 2} leave 11 unused).
  const std::vector<uint8_t> partial = {1, 2};
  auto t2 = BuildHuffmanDecodeTable(partial);
  ASSERT_TRUE(t2.ok());
  std::vector<uint8_t> ab(5000);
  for (size_t i = 0; i < ab.size(); ++i) ab[i] = static_cast<uint8_t>(i % 3 == 0);
  std::vector<uint8_t> c2;
  ASSERT_TRUE(HuffmanEncode8(ab, partial, c2).ok());
  std::vector<uint8_t> o2(ab.size());
  ASSERT_TRUE(HuffmanDecode8(c2, *t2, o2).ok());
  EXPECT_EQ(o2, ab);
  c2[kHuffmanInterleavedSizesBytes + 20] = 0xff;  // 11 11 11 11: unused codes in stream 0
  EXPECT_EQ(HuffmanDecode8(c2, *t2, o2).code(), StatusCode::kCorruptData);
}

TEST(Huffman4, AllSymbolsAndTheLengthLimit) {
  // 256 symbols with Fibonacci-like skew: lengths up to the 12-bit limit.
  std::vector<uint8_t> v;
  for (int s = 0; s < 256; ++s)
    for (int k = 0; k < 1 + (s < 20 ? (1 << (20 - s)) / 64 : 0); ++k) v.push_back(static_cast<uint8_t>(s));
  std::shuffle(v.begin(), v.end(), std::mt19937(3));
  auto lengths = HuffmanCodeLengths(Counts(v));
  ASSERT_TRUE(lengths.ok());
  int longest = 0;
  for (uint8_t l : *lengths) longest = std::max<int>(longest, l);
  EXPECT_EQ(longest, kHuffmanMaxBits);
  std::vector<uint8_t> chunk;
  ASSERT_TRUE(HuffmanEncode4(v, *lengths, chunk).ok());
  auto table = BuildHuffmanDecodeTable(*lengths);
  std::vector<uint8_t> back(v.size());
  ASSERT_TRUE(HuffmanDecode4(chunk, *table, back).ok());
  EXPECT_EQ(back, v);
  // A lone symbol (length 1, code 0).
  const std::vector<uint8_t> one(777, 9);
  auto l1 = HuffmanCodeLengths(Counts(one));
  ASSERT_TRUE(l1.ok());
  chunk.clear();
  ASSERT_TRUE(HuffmanEncode4(one, *l1, chunk).ok());
  auto t1 = BuildHuffmanDecodeTable(*l1);
  std::vector<uint8_t> back1(one.size());
  ASSERT_TRUE(HuffmanDecode4(chunk, *t1, back1).ok());
  EXPECT_EQ(back1, one);
}

TEST(Huffman4, EncoderRejectsSymbolsWithoutCode) {
  const std::vector<uint8_t> lengths = {1, 1};
  std::vector<uint8_t> out;
  EXPECT_EQ(HuffmanEncode4(std::vector<uint8_t>{0, 1, 2, 0}, lengths, out).code(), StatusCode::kInvalidArgument);
}

TEST(Huffman4, CorruptChunksAreErrors) {
  const std::vector<uint8_t> v = Sample(5000, 0.05, 11);
  auto lengths = HuffmanCodeLengths(Counts(v));
  ASSERT_TRUE(lengths.ok());
  auto table = BuildHuffmanDecodeTable(*lengths);
  ASSERT_TRUE(table.ok());
  std::vector<uint8_t> chunk;
  ASSERT_TRUE(HuffmanEncode4(v, *lengths, chunk).ok());
  std::vector<uint8_t> out(v.size());
  auto decode = [&](const std::vector<uint8_t>& bytes) { return HuffmanDecode4(bytes, *table, out); };
  // Shorter than the sizes; a size beyond the chunk; truncated; extended.
  EXPECT_EQ(decode(std::vector<uint8_t>(chunk.begin(), chunk.begin() + 11)).code(), StatusCode::kCorruptData);
  std::vector<uint8_t> big = chunk;
  big[3] = 0x7f;
  EXPECT_EQ(decode(big).code(), StatusCode::kCorruptData);
  EXPECT_EQ(decode(std::vector<uint8_t>(chunk.begin(), chunk.end() - 1)).code(), StatusCode::kCorruptData);
  std::vector<uint8_t> longer = chunk;
  longer.push_back(0);
  EXPECT_EQ(decode(longer).code(), StatusCode::kCorruptData);
  // Stream 0 one byte longer, stream 1 one shorter: the same bytes, cut wrongly.
  std::vector<uint8_t> moved = chunk;
  ++moved[0];
  EXPECT_EQ(decode(moved).code(), StatusCode::kCorruptData);
  // Every single bit flip: an error or some output, never a crash (ASan).
  for (size_t i = 0; i < chunk.size(); i += 7) {
    std::vector<uint8_t> flipped = chunk;
    flipped[i] ^= static_cast<uint8_t>(1u << (i % 8));
    (void)decode(flipped);
  }
  // An unused code: lengths {1, 2} leave the pattern 11 unused.
  const std::vector<uint8_t> partial = {1, 2};
  auto t2 = BuildHuffmanDecodeTable(partial);
  ASSERT_TRUE(t2.ok());
  const std::vector<uint8_t> bad = {1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0xC0, 0x00, 0x00, 0x00};
  std::vector<uint8_t> four(4);
  EXPECT_EQ(HuffmanDecode4(bad, *t2, four).code(), StatusCode::kCorruptData);
}

// The interleaved loop, plain and with BMI2 (where the CPU has it), against
// the single-stream decoder of each segment (the reference): same symbols on
// valid chunks of complete and incomplete codes, same verdict on damaged ones.
struct NoBmi2 {
  NoBmi2() { SetHuffmanBmi2ForTesting(false); }
  ~NoBmi2() { SetHuffmanBmi2ForTesting(true); }
};

StatusOr<std::vector<uint8_t>> DecodeBySegments(const std::vector<uint8_t>& chunk, const HuffmanDecodeTable& t,
                                                 size_t n) {
  std::vector<uint8_t> out(n);
  if (chunk.size() < kHuffmanStreamSizesBytes) return CorruptDataError("short");
  size_t at = kHuffmanStreamSizesBytes;
  for (int s = 0; s < kHuffmanStreams; ++s) {
    size_t b, e;
    HuffmanSegment(n, s, &b, &e);
    const size_t bytes = s + 1 < kHuffmanStreams ? size_t(chunk[4 * s]) | size_t(chunk[4 * s + 1]) << 8 |
                                                       size_t(chunk[4 * s + 2]) << 16 | size_t(chunk[4 * s + 3]) << 24
                                                 : chunk.size() - std::min(at, chunk.size());
    if (bytes > chunk.size() - std::min(at, chunk.size())) return CorruptDataError("overrun");
    TP_RETURN_IF_ERROR(HuffmanDecode(std::span<const uint8_t>(chunk).subspan(at, bytes), t,
                                     std::span<uint8_t>(out).subspan(b, e - b)));
    at += bytes;
  }
  return out;
}

// The eight-stream interleaved chunk decoded stream by stream with the
// single-stream decoder (the reference of HuffmanDecode8).
StatusOr<std::vector<uint8_t>> DecodeByInterleave(const std::vector<uint8_t>& chunk, const HuffmanDecodeTable& t,
                                                  size_t n) {
  constexpr int S = kHuffmanInterleavedStreams;
  std::vector<uint8_t> out(n);
  if (chunk.size() < kHuffmanInterleavedSizesBytes) return CorruptDataError("short");
  size_t at = kHuffmanInterleavedSizesBytes;
  for (int s = 0; s < S; ++s) {
    const size_t bytes = s + 1 < S ? size_t(chunk[4 * s]) | size_t(chunk[4 * s + 1]) << 8 |
                                         size_t(chunk[4 * s + 2]) << 16 | size_t(chunk[4 * s + 3]) << 24
                                   : chunk.size() - std::min(at, chunk.size());
    if (bytes > chunk.size() - std::min(at, chunk.size())) return CorruptDataError("overrun");
    std::vector<uint8_t> part(HuffmanInterleavedCount(n, s));
    TP_RETURN_IF_ERROR(HuffmanDecode(std::span<const uint8_t>(chunk).subspan(at, bytes), t, part));
    for (size_t k = 0; k < part.size(); ++k) out[s + k * S] = part[k];
    at += bytes;
  }
  return out;
}

TEST(Huffman4, PlainAndBmi2LoopsMatchTheSingleStreamDecoder) {
  for (const bool eight : {false, true})
  for (const bool complete : {true, false}) {
    for (size_t n : {size_t(0), size_t(17), size_t(4099), size_t(100003), size_t(100000)}) {
      std::vector<uint8_t> v = Sample(n, 0.05, uint32_t(n + 3));
      std::vector<uint8_t> lengths;
      if (complete) {
        auto l = HuffmanCodeLengths(Counts(v));
        ASSERT_TRUE(l.ok());
        lengths = *l;
      } else {
        // Every symbol 11 bits long but symbol 0 at 10: Kraft sum below 1,
        // so the table has unused entries and the checking loop runs.
        lengths.assign(256, 11);
        lengths[0] = 10;
      }
      auto table = BuildHuffmanDecodeTable(lengths);
      ASSERT_TRUE(table.ok());
      if (n > 100) EXPECT_EQ(table->complete, complete);  // (a lone symbol's code is incomplete)
      std::vector<uint8_t> chunk;
      ASSERT_TRUE((eight ? HuffmanEncode8(v, lengths, chunk) : HuffmanEncode4(v, lengths, chunk)).ok());
      const size_t sizes_bytes = eight ? kHuffmanInterleavedSizesBytes : kHuffmanStreamSizesBytes;
      auto decode = [&](const std::vector<uint8_t>& c, std::vector<uint8_t>& o) {
        return eight ? HuffmanDecode8(c, *table, o) : HuffmanDecode4(c, *table, o);
      };
      std::mt19937 rng{static_cast<uint32_t>(n)};
      for (int trial = 0; trial < 40; ++trial) {
        std::vector<uint8_t> c = chunk;
        if (trial > 0 && c.size() > sizes_bytes) {
          const size_t at = std::uniform_int_distribution<size_t>(sizes_bytes, c.size() - 1)(rng);
          c[at] = trial % 2 ? uint8_t(0xff) : static_cast<uint8_t>(c[at] ^ (1 + rng() % 255));
        }
        auto want = eight ? DecodeByInterleave(c, *table, n) : DecodeBySegments(c, *table, n);
        std::vector<uint8_t> fast(n), plain(n);
        const Status st_fast = decode(c, fast);
        Status st_plain;
        {
          NoBmi2 off;
          st_plain = decode(c, plain);
        }
        const std::string what =
            std::string(eight ? "eight" : "four") + " streams, n=" + std::to_string(n) + " trial " + std::to_string(trial);
        // The four-stream decoder checks more (stream sizes, unused bytes):
        // it may reject what segment-wise decoding accepts, never the reverse.
        if (!want.ok()) {
          EXPECT_FALSE(st_fast.ok()) << what;
        } else if (st_fast.ok()) {
          EXPECT_EQ(fast, *want) << what;
        }
        ASSERT_EQ(st_fast.ok(), st_plain.ok()) << what;
        if (st_fast.ok()) EXPECT_EQ(fast, plain) << what;
        if (trial == 0) ASSERT_TRUE(st_fast.ok()) << what << ": " << st_fast.message();
      }
    }
  }
}

}  // namespace
}  // namespace tp::entropy
