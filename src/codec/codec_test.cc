#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "codec/dec_bpc.h"
#include "codec/atalanta_table.h"
#include "codec/codec_format.h"
#include "codec/enc_bpc.h"
#include "codec/profiler.h"
#include "entropy/bit_io.h"
#include "entropy/enc_huffman.h"
#include "tensorpress/codec.h"

namespace tp {
namespace {

enum class Dist { kUniform, kLaplace, kSparse, kConstant, kTwo };

std::vector<uint8_t> Sample(Dist d, size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> u(0, 255);
  std::geometric_distribution<int> geo(0.2);
  std::bernoulli_distribution coin(0.5), dense(0.1);
  std::vector<uint8_t> v(n);
  for (auto& x : v) {
    switch (d) {
      case Dist::kUniform: x = static_cast<uint8_t>(u(rng)); break;
      case Dist::kLaplace: {
        int m = std::min(geo(rng), 127);
        x = static_cast<uint8_t>(128 + (coin(rng) ? m : -m));
        break;
      }
      case Dist::kSparse: x = dense(rng) ? static_cast<uint8_t>(u(rng)) : 128; break;
      case Dist::kConstant: x = 128; break;
      case Dist::kTwo: x = coin(rng) ? 3 : 250; break;
    }
  }
  return v;
}

std::vector<uint64_t> Histogram(std::span<const uint8_t> v, int alphabet = 256) {
  std::vector<uint64_t> h(alphabet, 0);
  for (uint8_t x : v) ++h[x % alphabet];
  return h;
}

TEST(Codec, NamesRoundTrip) {
  EXPECT_EQ(AllCodecs().size(), 13u);
  for (Codec c : AllCodecs()) EXPECT_EQ(CodecFromName(CodecName(c)), c);
  EXPECT_FALSE(CodecFromName("gzip").has_value());
}

TEST(Codec, ValidatesOptions) {
  CodecOptions o = DefaultCodecOptions();
  EXPECT_TRUE(ValidateCodecOptions(o).ok());
  o.precision_bits = 15;
  EXPECT_EQ(ValidateCodecOptions(o).code(), StatusCode::kInvalidArgument);  // needs W >= 17
  o.register_bits = 17;
  EXPECT_TRUE(ValidateCodecOptions(o).ok());
  o = DefaultCodecOptions();
  o.atalanta_ranges = 0;
  EXPECT_FALSE(ValidateCodecOptions(o).ok());
  o = DefaultCodecOptions();
  o.chunk_values = 0;
  EXPECT_FALSE(ValidateCodecOptions(o).ok());
}

TEST(Codec, SignedToCodesAddsOneHundredTwentyEight) {
  std::vector<int8_t> v = {-128, -1, 0, 1, 127};
  std::vector<uint8_t> c(5);
  SignedToCodes(v, c);
  EXPECT_EQ(c, (std::vector<uint8_t>{0, 127, 128, 129, 255}));
}

TEST(Codec, EveryCodecRoundTripsRandomTensors) {
  const size_t sizes[] = {0, 1, 31, 32, 33, 1000, 70001};
  const uint32_t chunk_sizes[] = {32768, 1000, 7};
  uint32_t seed = 1;
  for (Codec codec : AllCodecs())
    for (Dist d : {Dist::kUniform, Dist::kLaplace, Dist::kSparse, Dist::kConstant, Dist::kTwo})
      for (size_t n : sizes)
        for (uint32_t chunk : chunk_sizes)
          for (bool is_signed : {false, true}) {
            if (chunk < 100 && n > 1000) continue;  // 10^4 tiny zstd-19 chunks only cost time
            auto v = Sample(d, n, seed++);
            CodecOptions o;
            o.chunk_values = chunk;
            o.signed_codes = is_signed;
            o.atalanta_ranges = (seed % 2) ? 16 : 8;
            o.rows = n == 1000 ? 25 : (n == 0 ? 1 : n);
            o.threads = 2;
            auto enc = EncodeCodes(codec, v, o);
            ASSERT_TRUE(enc.ok()) << CodecName(codec) << ": " << enc.status().message();
            EXPECT_LE(enc->payload_bits, 8 * enc->bytes.size()) << CodecName(codec);
            std::vector<uint8_t> back(n, 0x5a);
            Status st = DecodeCodes(enc->bytes, back, 2);
            ASSERT_TRUE(st.ok()) << CodecName(codec) << " n=" << n << " chunk=" << chunk << ": " << st.message();
            ASSERT_EQ(back, v) << CodecName(codec) << " n=" << n << " chunk=" << chunk;
            EXPECT_EQ(*StreamCodec(enc->bytes), codec);
          }
}

TEST(Codec, Kequals8AndOtherPrecisionsRoundTrip) {
  auto v = Sample(Dist::kLaplace, 50000, 3);
  for (int k : {1, 2, 8, 16, 64})
    for (auto [p, w] : {std::pair{8, 16}, {10, 16}, {14, 16}, {15, 17}, {12, 32}}) {
      CodecOptions o;
      o.atalanta_ranges = k;
      o.precision_bits = p;
      o.register_bits = w;
      for (Codec c : {Codec::kAtalanta, Codec::kAtalantaRans}) {
        auto enc = EncodeCodes(c, v, o);
        ASSERT_TRUE(enc.ok()) << enc.status().message();
        std::vector<uint8_t> back(v.size());
        ASSERT_TRUE(DecodeCodes(enc->bytes, back).ok());
        ASSERT_EQ(back, v) << "K=" << k << " P=" << p;
      }
      auto table = ProfileAtalanta(v, o);
      ASSERT_TRUE(table.ok());
      EXPECT_LE(table->range_start.size(), size_t(k));
    }
}

TEST(Codec, SizesMatchTheirDefinitions) {
  // 10 values, zero code 0: 0 0 0 5 0 7 7 0 0 0.
  std::vector<uint8_t> v = {0, 0, 0, 5, 0, 7, 7, 0, 0, 0};
  CodecOptions o;
  o.rows = 2;  // [[0 0 0 5 0], [7 7 0 0 0]]
  // zero-RLE: (0,3) 5 (0,1) 7 7 (0,3) = 9 symbols.
  EXPECT_EQ(EncodeCodes(Codec::kZeroRle, v, o)->payload_bits, 9u * 8);
  // ZVC: 10 mask bits + 3 values.
  EXPECT_EQ(EncodeCodes(Codec::kZvc, v, o)->payload_bits, 10u + 3 * 8);
  // CSR: 3 values, column indices of 3 bits (5 columns), 3 pointers of 2 bits.
  EXPECT_EQ(EncodeCodes(Codec::kCsr, v, o)->payload_bits, 3u * 8 + 3 * 3 + 3 * 2);
  // CSC: 3 values, row indices of 1 bit (2 rows), 6 pointers of 2 bits.
  EXPECT_EQ(EncodeCodes(Codec::kCsc, v, o)->payload_bits, 3u * 8 + 3 * 1 + 6 * 2);
}

TEST(Codec, AtalantaMatchesItsEstimateAndOrder0TheEntropy) {
  auto v = Sample(Dist::kLaplace, 1 << 18, 11);
  CodecOptions o;
  auto table = ProfileAtalanta(v, o);
  ASSERT_TRUE(table.ok());
  auto enc = EncodeCodes(Codec::kAtalanta, v, o);
  ASSERT_TRUE(enc.ok());
  const double total_bits = 8.0 * enc->bytes.size();
  // The estimate counts ideal symbol costs; the P-bit table and the coder add a little.
  EXPECT_LT(total_bits, table->estimated_bits * 1.01);
  auto order0 = EncodeCodes(Codec::kAtalantaOrder0, v, o);
  const double entropy = EntropyBitsPerValue(v) * v.size();
  EXPECT_LT(8.0 * order0->bytes.size(), entropy * 1.005);
  EXPECT_GT(8.0 * order0->bytes.size(), entropy);
}

TEST(Codec, ChunkSpansTileTheStream) {
  auto v = Sample(Dist::kLaplace, 10000, 21);
  CodecOptions o;
  o.chunk_values = 3000;
  for (Codec c : AllCodecs()) {
    auto enc = EncodeCodes(c, v, o);
    ASSERT_TRUE(enc.ok());
    auto spans = StreamChunkSpans(enc->bytes);
    ASSERT_TRUE(spans.ok()) << spans.status().message();
    const bool whole = c == Codec::kCsr || c == Codec::kCsc;
    ASSERT_EQ(spans->size(), whole ? 2u : 5u) << CodecName(c);  // header + 4 chunks
    uint64_t next = 0;
    for (const auto& s : *spans) {
      EXPECT_EQ(s.offset, next);
      next += s.size;
    }
    EXPECT_EQ(next, enc->bytes.size());
  }
}

// --- The profiler ---

// Greedy boundary sliding from K uniform ranges: move any boundary by one
// code while that lowers the cost.
double GreedyCost(std::span<const uint64_t> hist, int k, const codec::TableCost& table_bits) {
  const int a = static_cast<int>(hist.size());
  k = std::min(k, a);
  std::vector<int> starts(k);
  for (int i = 0; i < k; ++i) starts[i] = i * a / k;
  double cost = codec::PartitionCost(hist, starts, table_bits);
  for (bool improved = true; improved;) {
    improved = false;
    for (int i = 1; i < k; ++i)
      for (int step : {-1, 1}) {
        std::vector<int> s = starts;
        s[i] += step;
        const int lo = s[i - 1], hi = i + 1 < k ? s[i + 1] : a;
        if (s[i] <= lo || s[i] >= hi) continue;
        const double c = codec::PartitionCost(hist, s, table_bits);
        if (c < cost - 1e-9) {
          cost = c;
          starts = s;
          improved = true;
        }
      }
  }
  return cost;
}

TEST(Profiler, NeverWorseThanGreedyBoundarySliding) {
  uint32_t seed = 40;
  for (const codec::TableCost& table : {codec::FlatTableCost(18), codec::SerializedTableCost(10, 2)})
    for (Dist d : {Dist::kUniform, Dist::kLaplace, Dist::kSparse, Dist::kTwo})
      for (size_t n : {300, 20000})
        for (int k : {2, 8, 16}) {
          auto h = Histogram(Sample(d, n, seed++));
          auto p = codec::OptimalPartition(h, k, table);
          EXPECT_NEAR(p.cost_bits, codec::PartitionCost(h, p.starts, table), 1e-6);
          EXPECT_LE(p.cost_bits, GreedyCost(h, k, table) + 1e-6) << "K=" << k;
          // Fewer ranges are taken whenever they are cheaper: K=1 is a candidate.
          EXPECT_LE(p.cost_bits, codec::PartitionCost(h, std::vector<int>{0}, table) + 1e-6);
        }
}

TEST(Profiler, MatchesBruteForceOnSmallAlphabets) {
  std::mt19937 rng(5);
  for (int trial = 0; trial < 40; ++trial) {
    const int a = 3 + trial % 9;  // alphabets of 3..11 codes
    std::vector<uint64_t> h(a);
    for (auto& c : h) c = rng() % 3 == 0 ? 0 : rng() % 1000;
    const int k = 1 + trial % 4;
    const codec::TableCost table_bits = trial % 3 == 0   ? codec::FlatTableCost(18)
                                        : trial % 3 == 1 ? codec::FlatTableCost(0)
                                                         : codec::SerializedTableCost(8 + trial % 8, 18);
    double best = INFINITY;
    // Every set of cut points (bit i: a range starts at code i+1).
    for (uint32_t mask = 0; mask < (1u << (a - 1)); ++mask) {
      if (std::popcount(mask) + 1 > k) continue;
      std::vector<int> starts = {0};
      for (int i = 0; i < a - 1; ++i)
        if (mask >> i & 1) starts.push_back(i + 1);
      best = std::min(best, codec::PartitionCost(h, starts, table_bits));
    }
    auto p = codec::OptimalPartition(h, k, table_bits);
    if (std::isinf(best)) {  // every code empty: no range can hold a value
      EXPECT_TRUE(std::isinf(p.cost_bits));
      continue;
    }
    EXPECT_NEAR(p.cost_bits, best, 1e-6) << "A=" << a << " K=" << k;
    EXPECT_LE(p.starts.size(), size_t(k));
  }
}

// The offset-width cap of atalanta-rans: the capped DP equals brute force
// over the partitions whose ranges all fit, and costs at least the uncapped.
TEST(Profiler, CappedOffsetWidthsMatchBruteForce) {
  std::mt19937 rng(15);
  for (int trial = 0; trial < 40; ++trial) {
    const int a = 4 + trial % 8;  // alphabets of 4..11 codes
    std::vector<uint64_t> h(a);
    for (auto& c : h) c = rng() % 4 == 0 ? 0 : rng() % 1000;
    const int k = 2 + trial % 4;
    const int cap = trial % 3;  // ranges of at most 1, 2 or 4 codes
    if (k << cap < a) continue;  // infeasible: tested below
    double best = INFINITY;
    for (uint32_t mask = 0; mask < (1u << (a - 1)); ++mask) {
      if (std::popcount(mask) + 1 > k) continue;
      std::vector<int> starts = {0};
      for (int i = 0; i < a - 1; ++i)
        if (mask >> i & 1) starts.push_back(i + 1);
      bool fits = true;
      for (size_t r = 0; r < starts.size(); ++r)
        fits = fits && (r + 1 < starts.size() ? starts[r + 1] : a) - starts[r] <= (1 << cap);
      if (fits) best = std::min(best, codec::PartitionCost(h, starts, codec::FlatTableCost(18)));
    }
    auto p = codec::OptimalPartition(h, k, codec::FlatTableCost(18), cap);
    if (best == INFINITY) {  // every capped cut leaves a range without values
      EXPECT_TRUE(p.starts.empty());
      continue;
    }
    EXPECT_NEAR(p.cost_bits, best, 1e-6) << "A=" << a << " K=" << k << " cap=" << cap;
    EXPECT_GE(p.cost_bits + 1e-6, codec::OptimalPartition(h, k, codec::FlatTableCost(18)).cost_bits);
  }
  std::vector<uint64_t> h(256, 1);
  EXPECT_TRUE(codec::OptimalPartition(h, 3, codec::FlatTableCost(18), 6).starts.empty());  // 3 x 64 < 256 codes
}

// The table of a one-chunk Atalanta stream, parsed by the layout in
// docs/lossless.md.
codec::AtalantaTableFields StreamAtalantaTable(std::span<const uint8_t> stream, uint64_t values) {
  io::ByteReader r(stream);
  uint8_t id = 0, version = 0, flags = 0, zero = 0;
  uint64_t count = 0, params_size = 0;
  EXPECT_TRUE(r.Read(&id, "id").ok() && r.Read(&version, "version").ok() && r.Read(&flags, "flags").ok());
  if (flags & codec::kFlagZeroCode) {
    EXPECT_TRUE(r.Read(&zero, "zero").ok());
  }
  EXPECT_TRUE(codec::ReadVarint(r, &count, "count").ok());
  EXPECT_EQ(count, values);
  EXPECT_TRUE(flags & codec::kFlagOneChunk);
  EXPECT_TRUE(codec::ReadVarint(r, &params_size, "params").ok());
  std::span<const uint8_t> params;
  EXPECT_TRUE(r.ReadSpan(params_size, &params, "params").ok());
  codec::AtalantaTableFields t;
  EXPECT_TRUE(codec::ReadAtalantaTable(params, values, &t).ok());
  return t;
}

TEST(Codec, AtalantaRansKeepsOffsetsWithinTheStateBudget) {
  auto v = Sample(Dist::kUniform, 20000, 8);
  for (int k : {4, 8, 16, 64})
    for (int p = 8; p <= 15; ++p) {
      const int used = codec::AtalantaRansPrecision(p, k);
      EXPECT_LE(used, p);
      EXPECT_GE(uint64_t(k) << codec::AtalantaRansMaxOffsetBits(used), 256u) << "K=" << k << " P=" << p;
      CodecOptions o;
      o.atalanta_ranges = k;
      o.precision_bits = p;
      o.register_bits = std::max(16, p + 2);
      auto enc = EncodeCodes(Codec::kAtalantaRans, v, o);
      ASSERT_TRUE(enc.ok()) << enc.status().message();
      EXPECT_EQ(StreamAtalantaTable(enc->bytes, v.size()).precision_bits, used);
    }
  EXPECT_EQ(codec::AtalantaRansPrecision(10, 16), 10);
  EXPECT_EQ(codec::AtalantaRansPrecision(15, 16), 12);  // 16 ranges of 16 codes
  EXPECT_EQ(codec::AtalantaRansPrecision(15, 64), 14);  // 64 ranges of 4 codes
  EXPECT_EQ(codec::AtalantaRansPrecision(12, 1), 8);
}

// --- Bit-Plane Compression golden blocks, computed by hand from the codes ---

std::vector<uint8_t> BpcBlockBytes(const std::vector<int32_t>& block) {
  entropy::BitWriter w;
  codec::BpcEncodeBlock(block.data(), /*is_signed=*/true, w);
  return w.Finish();
}

std::vector<int32_t> Block(int32_t first, int32_t rest) {
  std::vector<int32_t> b(32, rest);
  b[0] = first;
  return b;
}

TEST(Bpc, GoldenBlocks) {
  // 5, 6 x31: base 5 = 001+0101; deltas: d1 = +1 -> DBX_8..1 zero (run of 8:
  // 01+00110), DBX_0 = a single one at 0: 00011+00000. 24 bits.
  EXPECT_EQ(BpcBlockBytes(Block(5, 6)), (std::vector<uint8_t>{0x2A, 0x98, 0x60}));
  // 0, -1 x31: base 000; d1 = -1 = 111111111 -> every DBP has bit 0, so DBX_8
  // = single one 00011+00000, then 8 zero planes 01+00110. 20 bits.
  EXPECT_EQ(BpcBlockBytes(Block(0, -1)), (std::vector<uint8_t>{0x03, 0x02, 0x60}));
  // 0, 2 x31: base 000; d1 = 2: DBX_8..2 zero (run of 7: 01+00101), DBX_1 =
  // single one 00011+00000, DBX_0 = DBP_1 while DBP_0 = 0: 00001. 25 bits.
  EXPECT_EQ(BpcBlockBytes(Block(0, 2)), (std::vector<uint8_t>{0x09, 0x46, 0x00, 0x80}));
  for (auto block : {Block(5, 6), Block(0, -1), Block(0, 2)}) {
    auto bytes = BpcBlockBytes(block);
    entropy::BitReader r(bytes);
    int32_t back[32];
    ASSERT_TRUE(codec::BpcDecodeBlock(r, true, back).ok());
    EXPECT_EQ(std::vector<int32_t>(back, back + 32), block);
  }
}

TEST(Bpc, RoundTripsRandomBlocks) {
  std::mt19937 rng(8);
  for (int trial = 0; trial < 2000; ++trial) {
    const bool is_signed = trial % 2;
    std::vector<int32_t> b(32);
    const int spread = 1 << (trial % 9);
    for (auto& x : b) {
      int v = static_cast<int>(rng() % spread);
      x = is_signed ? std::clamp(v - spread / 2, -128, 127) : std::min(v, 255);
    }
    entropy::BitWriter w;
    codec::BpcEncodeBlock(b.data(), is_signed, w);
    auto bytes = w.Finish();
    entropy::BitReader r(bytes);
    int32_t back[32];
    ASSERT_TRUE(codec::BpcDecodeBlock(r, is_signed, back).ok());
    ASSERT_EQ(std::vector<int32_t>(back, back + 32), b);
  }
}

// --- Hostile streams ---

TEST(Codec, HostileStreamsGiveCleanErrors) {
  std::mt19937 rng(99);
  auto v = Sample(Dist::kSparse, 3000, 4);
  CodecOptions o;
  o.chunk_values = 1000;
  o.rows = 30;
  std::vector<uint8_t> out(v.size());
  for (Codec c : AllCodecs()) {
    auto enc = EncodeCodes(c, v, o);
    ASSERT_TRUE(enc.ok());
    auto expect_clean = [&](const std::vector<uint8_t>& bytes) {
      Status st = DecodeCodes(bytes, out);
      if (!st.ok()) {
        EXPECT_EQ(st.code(), StatusCode::kCorruptData) << CodecName(c) << ": " << st.message();
        EXPECT_EQ(st.message().find('\n'), std::string::npos);
      }
    };
    for (int trial = 0; trial < 300; ++trial) {
      auto b = enc->bytes;
      switch (trial % 3) {
        case 0: b.resize(rng() % b.size()); break;
        case 1: b[rng() % b.size()] ^= static_cast<uint8_t>(1u << (rng() % 8)); break;
        default:
          for (int i = 0; i < 4; ++i) b[rng() % b.size()] = static_cast<uint8_t>(rng());
      }
      expect_clean(b);
    }
    // Truncation is always detected.
    auto b = enc->bytes;
    b.pop_back();
    EXPECT_EQ(DecodeCodes(b, out).code(), StatusCode::kCorruptData) << CodecName(c);
    // A wrong expected count is rejected before anything is decoded.
    std::vector<uint8_t> small(10);
    EXPECT_EQ(DecodeCodes(enc->bytes, small).code(), StatusCode::kCorruptData);
  }
}

}  // namespace
}  // namespace tp

namespace tp {
namespace {

// Version-2 huffman streams (one bit stream per chunk) and version-3 ones
// (four streams) still decode; the writer emits version 4 (eight
// interleaved streams in chunks of 16384 values or more); versions 3 and 4
// mean nothing to other codecs. (A version-3 payload relabelled as version 2 may decode to garbage:
// the old single-stream format has no check of its own against that.) The version-2 stream is assembled by hand from the single-stream
// encoder, following codec_format.h.
TEST(Codec, HuffmanVersionTwoStreamsStillDecode) {
  std::vector<uint8_t> codes(3000);
  std::mt19937 rng(8);
  std::geometric_distribution<int> geo(0.1);
  for (auto& c : codes) c = static_cast<uint8_t>(std::min(geo(rng), 255));
  std::vector<uint64_t> hist(256, 0);
  for (uint8_t c : codes) ++hist[c];
  auto lengths = entropy::HuffmanCodeLengths(hist);
  ASSERT_TRUE(lengths.ok());
  auto bits = entropy::HuffmanEncode(codes, *lengths);
  ASSERT_TRUE(bits.ok());
  std::vector<uint8_t> v2 = {static_cast<uint8_t>(Codec::kHuffman), 2, codec::kFlagOneChunk};
  codec::PutVarint(v2, codes.size());
  codec::PutVarint(v2, 128);
  for (int s = 0; s < 256; s += 2) v2.push_back(static_cast<uint8_t>((*lengths)[s] | (*lengths)[s + 1] << 4));
  v2.insert(v2.end(), bits->begin(), bits->end());
  std::vector<uint8_t> back(codes.size());
  Status st = DecodeCodes(v2, back);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(back, codes);

  // Version 3: the same header, one four-stream chunk.
  std::vector<uint8_t> v3 = {static_cast<uint8_t>(Codec::kHuffman), codec::kHuffmanFourStreamVersion,
                             codec::kFlagOneChunk};
  codec::PutVarint(v3, codes.size());
  codec::PutVarint(v3, 128);
  for (int s = 0; s < 256; s += 2) v3.push_back(static_cast<uint8_t>((*lengths)[s] | (*lengths)[s + 1] << 4));
  ASSERT_TRUE(entropy::HuffmanEncode4(codes, *lengths, v3).ok());
  std::fill(back.begin(), back.end(), 0);
  st = DecodeCodes(v3, back);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(back, codes);

  // Version 4 (the writer's): four streams below kHuffmanInterleavedMinSymbols
  // values a chunk, eight interleaved from there on.
  CodecOptions o;
  o.signed_codes = false;
  auto v4 = EncodeCodes(Codec::kHuffman, codes, o);
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->bytes[1], codec::kHuffmanStreamVersion);
  std::fill(back.begin(), back.end(), 0);
  ASSERT_TRUE(DecodeCodes(v4->bytes, back).ok());
  EXPECT_EQ(back, codes);
  std::vector<uint8_t> many(5 * entropy::kHuffmanInterleavedMinSymbols / 2);
  for (auto& c : many) c = static_cast<uint8_t>(std::min(geo(rng), 255));
  o.chunk_values = entropy::kHuffmanInterleavedMinSymbols;  // two eight-stream chunks, one four-stream
  auto v4many = EncodeCodes(Codec::kHuffman, many, o);
  ASSERT_TRUE(v4many.ok());
  std::vector<uint8_t> many_back(many.size());
  st = DecodeCodes(v4many->bytes, many_back);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(many_back, many);
  // Relabelled as version 3, its eight-stream chunks are cut into four
  // streams at the wrong places: refused.
  v4many->bytes[1] = codec::kHuffmanFourStreamVersion;
  EXPECT_EQ(DecodeCodes(v4many->bytes, many_back).code(), StatusCode::kCorruptData);
  auto r = EncodeCodes(Codec::kRans, codes, o);
  ASSERT_TRUE(r.ok());
  for (uint8_t v : {codec::kHuffmanFourStreamVersion, codec::kHuffmanStreamVersion}) {
    r->bytes[1] = v;
    EXPECT_EQ(DecodeCodes(r->bytes, back).code(), StatusCode::kCorruptData);
  }
}

}  // namespace
}  // namespace tp
