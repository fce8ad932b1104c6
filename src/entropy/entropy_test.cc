#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "entropy/dec_arith.h"
#include "entropy/dec_huffman.h"
#include "entropy/dec_rans.h"
#include "entropy/enc_arith.h"
#include "entropy/enc_huffman.h"
#include "entropy/enc_rans.h"
#include "entropy/frequency.h"

namespace tp::entropy {
namespace {

enum class Dist { kUniform, kLaplace, kSkewed, kSingle, kTwo, kSparseAlphabet };

std::vector<uint8_t> Sample(Dist d, size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> v(n);
  std::uniform_int_distribution<int> u(0, 255);
  std::geometric_distribution<int> geo(0.15);
  std::bernoulli_distribution rare(0.002), coin(0.5);
  for (auto& x : v) {
    switch (d) {
      case Dist::kUniform: x = static_cast<uint8_t>(u(rng)); break;
      case Dist::kLaplace: {
        int m = std::min(geo(rng), 127);
        x = static_cast<uint8_t>(128 + (coin(rng) ? m : -m));
        break;
      }
      case Dist::kSkewed: x = rare(rng) ? static_cast<uint8_t>(u(rng)) : 7; break;
      case Dist::kSingle: x = 200; break;
      case Dist::kTwo: x = coin(rng) ? 0 : 255; break;
      case Dist::kSparseAlphabet: x = static_cast<uint8_t>(u(rng) & 0x90); break;
    }
  }
  return v;
}

std::vector<uint64_t> Histogram(std::span<const uint8_t> v) {
  std::vector<uint64_t> h(256, 0);
  for (uint8_t x : v) ++h[x];
  return h;
}

const Dist kDists[] = {Dist::kUniform, Dist::kLaplace, Dist::kSkewed, Dist::kSingle, Dist::kTwo,
                       Dist::kSparseAlphabet};
const size_t kSizes[] = {1, 2, 3, 5, 7, 8, 9, 100, 4097, 70001};

TEST(Frequency, NormalizesToExactTotalWithEveryPresentSymbolCodable) {
  for (Dist d : kDists)
    for (int p = 8; p <= 15; ++p) {
      auto v = Sample(d, 5000, 3);
      auto h = Histogram(v);
      auto f = NormalizeFrequencies(h, p);
      ASSERT_TRUE(f.ok()) << f.status().message();
      EXPECT_TRUE(ValidateFrequencies(*f, p).ok());
      for (int s = 0; s < 256; ++s) EXPECT_EQ(h[s] > 0, (*f)[s] > 0) << s;
    }
}

TEST(Frequency, RejectsBadTables) {
  std::vector<uint32_t> f = {100, 100};
  EXPECT_EQ(ValidateFrequencies(f, 8).code(), StatusCode::kCorruptData);
  f = {128, 128};
  EXPECT_TRUE(ValidateFrequencies(f, 8).ok());
  EXPECT_FALSE(ValidateFrequencies(f, 16).ok());
  std::vector<uint64_t> none(4, 0);
  EXPECT_FALSE(NormalizeFrequencies(none, 10).ok());
}

TEST(Arith, RoundTripsManyDistributionsSizesAndWidths) {
  const ArithConfig configs[] = {{16, 8}, {16, 10}, {16, 14}, {24, 12}, {17, 15}, {32, 15}};
  uint32_t seed = 1;
  for (const auto& cfg : configs)
    for (Dist d : kDists)
      for (size_t n : kSizes) {
        auto v = Sample(d, n, seed++);
        auto freqs = NormalizeFrequencies(Histogram(v), cfg.precision_bits);
        ASSERT_TRUE(freqs.ok());
        auto enc = ArithEncode(v, *freqs, cfg);
        ASSERT_TRUE(enc.ok()) << enc.status().message();
        auto table = BuildDecodeTable(*freqs, cfg.precision_bits);
        ASSERT_TRUE(table.ok());
        std::vector<uint8_t> back(n);
        Status st = ArithDecode(*enc, *table, cfg, back);
        ASSERT_TRUE(st.ok()) << st.message() << " W=" << cfg.register_bits << " P=" << cfg.precision_bits
                             << " n=" << n << " dist=" << int(d);
        ASSERT_EQ(back, v) << "W=" << cfg.register_bits << " P=" << cfg.precision_bits << " n=" << n;
      }
}

TEST(Arith, SizeIsCloseToTheTablesIdealCost) {
  auto v = Sample(Dist::kLaplace, 200000, 9);
  auto h = Histogram(v);
  ArithConfig cfg{16, 12};
  auto freqs = NormalizeFrequencies(h, cfg.precision_bits);
  auto enc = ArithEncode(v, *freqs, cfg);
  ASSERT_TRUE(enc.ok());
  double ideal = IdealCodedBits(h, *freqs, cfg.precision_bits);
  double actual = 8.0 * enc->size();
  // A 16-bit register truncates the interval by < 2^-(W-2-P) relative per symbol.
  EXPECT_LT(actual, ideal * 1.005 + 32);
  EXPECT_GT(actual, ideal - 32);
}

TEST(Arith, RejectsPrecisionTooWideForTheRegister) {
  std::vector<uint32_t> f(2, 1u << 14);
  std::vector<uint8_t> v = {0, 1};
  EXPECT_EQ(ArithEncode(v, f, {16, 15}).status().code(), StatusCode::kInvalidArgument);
}

TEST(Rans, RoundTripsManyDistributionsSizesAndPrecisions) {
  uint32_t seed = 100;
  for (int p : {8, 10, 12, 15})
    for (Dist d : kDists)
      for (size_t n : kSizes) {
        auto v = Sample(d, n, seed++);
        auto freqs = NormalizeFrequencies(Histogram(v), p);
        ASSERT_TRUE(freqs.ok());
        auto enc = RansEncode(v, *freqs, p);
        ASSERT_TRUE(enc.ok()) << enc.status().message();
        auto table = BuildRansDecodeTable(*freqs, p);
        ASSERT_TRUE(table.ok());
        std::vector<uint8_t> back(n);
        Status st = RansDecode(*enc, *table, back);
        ASSERT_TRUE(st.ok()) << st.message() << " P=" << p << " n=" << n;
        ASSERT_EQ(back, v);
      }
}

TEST(Rans, EmptyInputRoundTrips) {
  std::vector<uint32_t> f = {256};
  auto enc = RansEncode({}, f, 8);
  ASSERT_TRUE(enc.ok());
  EXPECT_EQ(enc->size(), 4u * kRansLanes);
  auto table = BuildRansDecodeTable(f, 8);
  EXPECT_TRUE(RansDecode(*enc, *table, {}).ok());
}

// Hand computation from the invariant in enc_rans.cc: P = 8, symbols 0 and 1
// with frequency 128 each (symbol 1 starts at slot 128), one raw bit after
// each. Coding value (symbol 1, raw 1) into lane 0 at L = 65536: the bound
// f * 2^(32-P-w) = 128 * 2^23 = 2^30 needs no word; x1 = 65536 * 2 + 1 =
// 131073; x = (131073 / 128) * 256 + 131073 % 128 + 128 = 262144 + 1 + 128 =
// 262273 = 0x00040081. The other lanes stay at 2^16.
TEST(Rans, RawBitsGoldenOneValue) {
  const std::vector<uint32_t> f = {128, 128};
  const std::vector<uint8_t> widths = {1, 1};
  const std::vector<uint8_t> symbols = {1}, raw = {1};
  auto enc = RansEncode(symbols, f, 8, raw, widths);
  ASSERT_TRUE(enc.ok()) << enc.status().message();
  std::vector<uint8_t> expected = {0x81, 0x00, 0x04, 0x00};
  for (int lane = 1; lane < kRansLanes; ++lane) expected.insert(expected.end(), {0x00, 0x00, 0x01, 0x00});
  EXPECT_EQ(*enc, expected);
  auto table = BuildRansDecodeTable(f, 8, widths);
  ASSERT_TRUE(table.ok());
  std::vector<std::pair<int, uint32_t>> got;
  ASSERT_TRUE(RansDecodeWith(*enc, *table, 1, [&](size_t, const RansSlot& e, uint32_t r) {
                got.push_back({e.symbol, r});
              }).ok());
  EXPECT_EQ(got, (std::vector<std::pair<int, uint32_t>>{{1, 1}}));
}

TEST(Rans, RawBitsRoundTripAtEveryPrecision) {
  uint32_t seed = 900;
  for (int p = 8; p <= 15; ++p)
    for (Dist d : kDists)
      for (size_t n : kSizes) {
        // Four symbols; widths up to the 16 - P the coder allows, one of them 0.
        const int wmax = std::min(8, kRansMaxPrecisionPlusRawBits - p);
        const std::vector<uint8_t> widths = {uint8_t(wmax), 0, uint8_t(wmax / 2), uint8_t(std::max(0, wmax - 1))};
        auto v = Sample(d, n, seed++);
        std::vector<uint8_t> symbols(n), raw(n);
        for (size_t i = 0; i < n; ++i) {
          symbols[i] = v[i] % 4;
          raw[i] = static_cast<uint8_t>((v[i] >> 2) & ((1u << widths[symbols[i]]) - 1));
        }
        std::vector<uint64_t> h(4, 0);
        for (uint8_t s : symbols) ++h[s];
        if (n == 0) h[0] = 1;
        auto freqs = NormalizeFrequencies(h, p);
        ASSERT_TRUE(freqs.ok());
        auto enc = RansEncode(symbols, *freqs, p, raw, widths);
        ASSERT_TRUE(enc.ok()) << enc.status().message();
        auto table = BuildRansDecodeTable(*freqs, p, widths);
        ASSERT_TRUE(table.ok());
        std::vector<uint8_t> back_s(n), back_r(n);
        Status st = RansDecodeWith(*enc, *table, n, [&](size_t i, const RansSlot& e, uint32_t r) {
          back_s[i] = e.symbol;
          back_r[i] = static_cast<uint8_t>(r);
        });
        ASSERT_TRUE(st.ok()) << st.message() << " P=" << p << " n=" << n;
        ASSERT_EQ(back_s, symbols) << "P=" << p << " n=" << n;
        ASSERT_EQ(back_r, raw) << "P=" << p << " n=" << n;
      }
}

TEST(Rans, RejectsRawBitsBeyondTheStateBudget) {
  const std::vector<uint32_t> f = {512, 512};
  const std::vector<uint8_t> widths = {7, 6};  // P = 10: 10 + 7 > 16
  const std::vector<uint8_t> symbols = {1}, raw = {3};
  EXPECT_EQ(RansEncode(symbols, f, 10, raw, widths).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(BuildRansDecodeTable(f, 10, widths).status().code(), StatusCode::kInvalidArgument);
  const std::vector<uint8_t> ok_widths = {6, 6}, too_big = {64};
  EXPECT_EQ(RansEncode(symbols, f, 10, too_big, ok_widths).status().code(), StatusCode::kInvalidArgument);
}

TEST(Huffman, RoundTripsAndRespectsTheLengthLimit) {
  uint32_t seed = 500;
  for (Dist d : kDists)
    for (size_t n : kSizes) {
      auto v = Sample(d, n, seed++);
      auto lengths = HuffmanCodeLengths(Histogram(v));
      ASSERT_TRUE(lengths.ok());
      for (uint8_t l : *lengths) EXPECT_LE(l, kHuffmanMaxBits);
      auto enc = HuffmanEncode(v, *lengths);
      ASSERT_TRUE(enc.ok()) << enc.status().message();
      auto table = BuildHuffmanDecodeTable(*lengths);
      ASSERT_TRUE(table.ok()) << table.status().message();
      std::vector<uint8_t> back(n);
      ASSERT_TRUE(HuffmanDecode(*enc, *table, back).ok());
      ASSERT_EQ(back, v);
    }
}

TEST(Huffman, LimitsLengthsOfAFibonacciDistribution) {
  // Fibonacci counts make a maximally deep Huffman tree (depth n-1).
  std::vector<uint64_t> counts(30);
  counts[0] = counts[1] = 1;
  for (int i = 2; i < 30; ++i) counts[i] = counts[i - 1] + counts[i - 2];
  auto lengths = HuffmanCodeLengths(counts);
  ASSERT_TRUE(lengths.ok());
  uint64_t kraft = 0;
  for (uint8_t l : *lengths) {
    ASSERT_GE(l, 1);
    ASSERT_LE(l, kHuffmanMaxBits);
    kraft += uint64_t(1) << (kHuffmanMaxBits - l);
  }
  EXPECT_LE(kraft, uint64_t(1) << kHuffmanMaxBits);
  EXPECT_TRUE(CanonicalCodes(*lengths).ok());
}

TEST(Huffman, CanonicalCodesMatchHandComputation) {
  // Lengths A=2 B=1 C=3 D=3 -> B=0, A=10, C=110, D=111 (RFC 1951 3.2.2).
  std::vector<uint8_t> lengths = {2, 1, 3, 3};
  auto codes = CanonicalCodes(lengths);
  ASSERT_TRUE(codes.ok());
  EXPECT_EQ(*codes, (std::vector<uint32_t>{0b10, 0b0, 0b110, 0b111}));
  std::vector<uint8_t> over = {1, 1, 1};
  EXPECT_EQ(CanonicalCodes(over).status().code(), StatusCode::kCorruptData);
}

// Hostile input: random bytes, truncations and bit flips of real streams
// must give symbols or a clean CorruptDataError, never a crash (ASan runs).
TEST(EntropyDecoders, SurviveHostileInput) {
  std::mt19937 rng(77);
  auto v = Sample(Dist::kLaplace, 3000, 5);
  auto h = Histogram(v);
  auto freqs = *NormalizeFrequencies(h, 12);
  ArithConfig cfg{16, 12};
  auto arith = *ArithEncode(v, freqs, cfg);
  auto rans = *RansEncode(v, freqs, 12);
  auto lengths = *HuffmanCodeLengths(h);
  auto huff = *HuffmanEncode(v, lengths);
  auto at = *BuildDecodeTable(freqs, 12);
  auto rt = *BuildRansDecodeTable(freqs, 12);
  auto ht = *BuildHuffmanDecodeTable(lengths);
  std::vector<uint8_t> out(v.size());
  auto check = [&](const std::vector<uint8_t>& a, const std::vector<uint8_t>& r, const std::vector<uint8_t>& hh) {
    for (Status st : {ArithDecode(a, at, cfg, out), RansDecode(r, rt, out), HuffmanDecode(hh, ht, out)})
      if (!st.ok()) {
        EXPECT_EQ(st.code(), StatusCode::kCorruptData) << st.message();
      }
  };
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<uint8_t> junk(rng() % 4000);
    for (auto& b : junk) b = static_cast<uint8_t>(rng());
    check(junk, junk, junk);
    auto a = arith, r = rans, hh = huff;
    a.resize(rng() % (a.size() + 1));
    r.resize(rng() % (r.size() + 1));
    hh.resize(rng() % (hh.size() + 1));
    check(a, r, hh);
  }
  // Truncation is detected, not silently decoded.
  auto r = rans;
  r.pop_back();
  EXPECT_EQ(RansDecode(r, rt, out).code(), StatusCode::kCorruptData);
  auto hh = huff;
  hh.resize(hh.size() / 2);
  EXPECT_EQ(HuffmanDecode(hh, ht, out).code(), StatusCode::kCorruptData);
  auto a = arith;
  a.resize(a.size() / 2);
  EXPECT_EQ(ArithDecode(a, at, cfg, out).code(), StatusCode::kCorruptData);
  // Single flipped bits in rANS are caught by the final-state check almost always.
  int caught = 0;
  for (int i = 0; i < 100; ++i) {
    auto f = rans;
    f[rng() % f.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
    std::vector<uint8_t> o(v.size());
    Status st = RansDecode(f, rt, o);
    caught += !st.ok() || o != v;
  }
  EXPECT_EQ(caught, 100);
}

}  // namespace
}  // namespace tp::entropy
