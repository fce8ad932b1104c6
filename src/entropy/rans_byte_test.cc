// The fast rANS encoder against RansEncode (the reference) byte for byte,
// and every decoder kernel this CPU has against the scalar loop, on real
// and adversarial inputs.
#include <gtest/gtest.h>
#include <hwy/targets.h>

#include <random>
#include <string>
#include <vector>

#include "entropy/dec_rans.h"
#include "entropy/dec_rans_byte.h"
#include "entropy/enc_rans.h"
#include "entropy/enc_rans_fast.h"
#include "entropy/frequency.h"

namespace tp::entropy {
namespace {

std::vector<uint8_t> Geometric(size_t n, double p, uint32_t seed) {
  std::mt19937 rng(seed);
  std::geometric_distribution<int> geo(p);
  std::vector<uint8_t> v(n);
  for (auto& x : v) x = static_cast<uint8_t>(std::min(geo(rng), 255));
  return v;
}

std::vector<uint64_t> Hist(std::span<const uint8_t> codes) {
  std::vector<uint64_t> h(256, 0);
  for (uint8_t c : codes) ++h[c];
  if (codes.empty()) h[7] = 1;
  return h;
}

// Encodes with both encoders (must agree), decodes with every kernel (must
// give the codes back).
void RoundTrip(const std::vector<uint8_t>& codes, int P, const std::string& what) {
  auto freqs = NormalizeFrequencies(Hist(codes), P);
  ASSERT_TRUE(freqs.ok()) << what << ": " << freqs.status().message();
  auto reference = RansEncode(codes, *freqs, P);
  ASSERT_TRUE(reference.ok()) << what;
  RansCodeEncoder enc;
  ASSERT_TRUE(BuildRansCodeEncoder(*freqs, P, &enc).ok()) << what;
  for (RansEncodeKernel k : SupportedRansEncodeKernels()) {
    std::vector<uint8_t> fast = {0xAB};  // appends after what is there
    ASSERT_TRUE(RansEncodeCodes(enc, codes, fast, k).ok()) << what;
    ASSERT_EQ(fast[0], 0xAB);
    ASSERT_EQ(std::vector<uint8_t>(fast.begin() + 1, fast.end()), *reference) << what << " " << RansEncodeKernelName(k);
  }
  RansByteTable table;
  ASSERT_TRUE(BuildRansByteTable(*freqs, P, &table).ok()) << what;
  for (RansByteKernel k : SupportedRansByteKernels()) {
    std::vector<uint8_t> out(codes.size(), 0x5A);
    Status st = DecodeRansBytes(*reference, table, out, k);
    ASSERT_TRUE(st.ok()) << what << " " << RansByteKernelName(k) << ": " << st.message();
    ASSERT_EQ(out, codes) << what << " " << RansByteKernelName(k);
  }
}

TEST(RansByte, FastEncoderAndEveryKernelRoundTrip) {
  for (int P : {8, 10, 12})
    for (double p : {0.02, 0.2, 0.7})
      RoundTrip(Geometric(100000 + P, p, P), P, "geometric " + std::to_string(p) + " P=" + std::to_string(P));
}

TEST(RansByte, EveryLengthUpToFourGroups) {
  // 0 .. 4 x 32 lanes + 1, around the SIMD loops' group and byte thresholds.
  for (size_t n = 0; n <= 4 * kRansLanes + 1; ++n) RoundTrip(Geometric(n, 0.1, uint32_t(n)), 12, "n=" + std::to_string(n));
  for (size_t n : {1000u, 1023u, 4097u, 65536u, 65537u}) RoundTrip(Geometric(n, 0.05, uint32_t(n)), 11, "n=" + std::to_string(n));
}

TEST(RansByte, AdversarialAlphabets) {
  RoundTrip(std::vector<uint8_t>(5000, 200), 12, "one symbol");  // f = 2^P: the state never moves
  std::vector<uint8_t> all(256 * 40);
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<uint8_t>(i * 97);
  RoundTrip(all, 8, "all 256 symbols, uniform at P=8");
  RoundTrip(all, 12, "all 256 symbols, uniform");
  // Maximal skew at the largest table: one symbol takes 4096 - 255 slots.
  std::vector<uint8_t> skew(300000, 3);
  for (int s = 0; s < 256; ++s) skew[size_t(s) * 1000] = static_cast<uint8_t>(s);
  RoundTrip(skew, 12, "skewed 256 symbols");
  std::mt19937 rng(5);
  std::vector<uint8_t> random(200000);
  for (auto& x : random) x = static_cast<uint8_t>(rng());
  RoundTrip(random, 12, "random bytes");
}

TEST(RansByte, MappedEncoderMatchesReferenceWithRawBits) {
  // Atalanta-like: 16 ranges of 16 codes, offsets of 4 raw bits, P = 12.
  const std::vector<uint8_t> codes = Geometric(70001, 0.03, 9);
  std::vector<uint8_t> symbol_of(256), offset_of(256), symbols, raw;
  for (int c = 0; c < 256; ++c) {
    symbol_of[c] = static_cast<uint8_t>(c / 16);
    offset_of[c] = static_cast<uint8_t>(c % 16);
  }
  std::vector<uint64_t> counts(16, 0);
  for (uint8_t c : codes) {
    symbols.push_back(symbol_of[c]);
    raw.push_back(offset_of[c]);
    ++counts[symbol_of[c]];
  }
  const std::vector<uint8_t> widths(16, 4);
  for (uint64_t& c : counts) c += 1;
  auto freqs = NormalizeFrequencies(counts, 12);
  ASSERT_TRUE(freqs.ok());
  auto reference = RansEncode(symbols, *freqs, 12, raw, widths);
  ASSERT_TRUE(reference.ok());
  RansCodeEncoder enc;
  ASSERT_TRUE(BuildRansCodeEncoder(*freqs, 12, &enc, symbol_of, offset_of, widths).ok());
  for (RansEncodeKernel k : SupportedRansEncodeKernels()) {
    std::vector<uint8_t> fast;
    ASSERT_TRUE(RansEncodeCodes(enc, codes, fast, k).ok());
    EXPECT_EQ(fast, *reference) << RansEncodeKernelName(k);
  }
}

TEST(RansByte, EncoderKernelsWithRawBitsAtEveryWidthAndLength) {
  // Raw widths 0..4 mixed in one table (P + w <= 16 at P = 12), every length
  // around the group size, every encoder kernel against RansEncode.
  std::vector<uint8_t> symbol_of(256), offset_of(256);
  const std::vector<uint8_t> widths = {0, 1, 2, 3, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4};
  int c = 0;
  for (size_t s = 0; s < widths.size() && c < 256; ++s)
    for (int o = 0; o < (1 << widths[s]) && c < 256; ++o, ++c) {
      symbol_of[c] = static_cast<uint8_t>(s);
      offset_of[c] = static_cast<uint8_t>(o);
    }
  ASSERT_EQ(c, 256);
  for (size_t n : {size_t(0), size_t(1), size_t(31), size_t(32), size_t(33), size_t(4 * kRansLanes + 1), size_t(50001)}) {
    const std::vector<uint8_t> codes = Geometric(n, 0.02, uint32_t(n) + 1);
    std::vector<uint8_t> symbols, raw;
    std::vector<uint64_t> counts(widths.size(), 1);
    for (uint8_t v : codes) {
      symbols.push_back(symbol_of[v]);
      raw.push_back(offset_of[v]);
      ++counts[symbol_of[v]];
    }
    auto freqs = NormalizeFrequencies(counts, 12);
    ASSERT_TRUE(freqs.ok());
    auto reference = RansEncode(symbols, *freqs, 12, raw, widths);
    ASSERT_TRUE(reference.ok());
    RansCodeEncoder enc;
    ASSERT_TRUE(BuildRansCodeEncoder(*freqs, 12, &enc, symbol_of, offset_of, widths).ok());
    for (RansEncodeKernel k : SupportedRansEncodeKernels()) {
      std::vector<uint8_t> fast;
      ASSERT_TRUE(RansEncodeCodes(enc, codes, fast, k).ok());
      EXPECT_EQ(fast, *reference) << "n=" << n << " " << RansEncodeKernelName(k);
    }
  }
}

// atalanta-rans's default shape: P = 10 and raw widths up to 6 (P + w <=
// 16), every precision the VBMI lookups take (8..12) and one above (13,
// gathers), every encoder kernel against RansEncode.
TEST(RansByte, EncoderKernelsWithWideRawBitsAtEveryPrecision) {
  std::vector<uint8_t> symbol_of(256), offset_of(256);
  const std::vector<uint8_t> widths = {0, 1, 2, 3, 4, 5, 6, 6, 3, 6, 5, 0, 6, 4, 7, 7};
  int c = 0;
  for (size_t s = 0; s < widths.size() && c < 256; ++s)
    for (int o = 0; o < (1 << widths[s]) && c < 256; ++o, ++c) {
      symbol_of[c] = static_cast<uint8_t>(s);
      offset_of[c] = static_cast<uint8_t>(o);
    }
  ASSERT_EQ(c, 256);
  for (int P : {8, 9, 10, 12, 13}) {
    std::vector<uint8_t> w = widths;
    for (uint8_t& x : w) x = static_cast<uint8_t>(std::min<int>(x, kRansMaxPrecisionPlusRawBits - P));
    std::vector<uint8_t> sym_of = symbol_of, off_of = offset_of;
    for (int v = 0; v < 256; ++v) off_of[v] = static_cast<uint8_t>(off_of[v] & ((1 << w[sym_of[v]]) - 1));
    for (size_t n : {size_t(33), size_t(4 * kRansLanes + 1), size_t(30011)}) {
      const std::vector<uint8_t> codes = Geometric(n, 0.02, uint32_t(n * P));
      std::vector<uint8_t> symbols, raw;
      std::vector<uint64_t> counts(w.size(), 1);
      for (uint8_t v : codes) {
        symbols.push_back(sym_of[v]);
        raw.push_back(off_of[v]);
        ++counts[sym_of[v]];
      }
      auto freqs = NormalizeFrequencies(counts, P);
      ASSERT_TRUE(freqs.ok());
      auto reference = RansEncode(symbols, *freqs, P, raw, w);
      ASSERT_TRUE(reference.ok()) << reference.status().message();
      RansCodeEncoder enc;
      ASSERT_TRUE(BuildRansCodeEncoder(*freqs, P, &enc, sym_of, off_of, w).ok());
      for (RansEncodeKernel k : SupportedRansEncodeKernels()) {
        std::vector<uint8_t> fast;
        ASSERT_TRUE(RansEncodeCodes(enc, codes, fast, k).ok());
        EXPECT_EQ(fast, *reference) << "P=" << P << " n=" << n << " " << RansEncodeKernelName(k);
      }
    }
  }
}

// The Highway loop on every target this build has and this CPU runs
// (hwy::SetSupportedTargetsForTest makes HWY_DYNAMIC_DISPATCH pick each),
// against RansEncode: byte codes at every P, raw bits, every length around
// the group size.
TEST(RansByte, HighwayEncoderOnEveryTarget) {
  std::vector<uint8_t> symbol_of(256), offset_of(256);
  for (int c = 0; c < 256; ++c) {
    symbol_of[c] = static_cast<uint8_t>(c / 16);
    offset_of[c] = static_cast<uint8_t>(c % 16);
  }
  const std::vector<uint8_t> widths(16, 4);
  for (int64_t target : hwy::SupportedAndGeneratedTargets()) {
    hwy::SetSupportedTargetsForTest(target);
    const std::string name = RansEncodeHighwayTarget();
    for (size_t n : {size_t(0), size_t(1), size_t(33), size_t(4 * kRansLanes + 1), size_t(20011)}) {
      for (int P : {8, 12}) {
        std::vector<uint8_t> codes = Geometric(n, 0.02, uint32_t(n + P));
        auto freqs = NormalizeFrequencies(Hist(codes), P);
        ASSERT_TRUE(freqs.ok());
        auto reference = RansEncode(codes, *freqs, P);
        ASSERT_TRUE(reference.ok());
        RansCodeEncoder enc;
        ASSERT_TRUE(BuildRansCodeEncoder(*freqs, P, &enc).ok());
        std::vector<uint8_t> fast;
        ASSERT_TRUE(RansEncodeCodes(enc, codes, fast, RansEncodeKernel::kHighway).ok());
        EXPECT_EQ(fast, *reference) << name << " n=" << n << " P=" << P;
      }
      const std::vector<uint8_t> codes = Geometric(n, 0.01, uint32_t(n) + 7);
      std::vector<uint8_t> symbols, raw;
      std::vector<uint64_t> counts(16, 1);
      for (uint8_t c : codes) symbols.push_back(symbol_of[c]), raw.push_back(offset_of[c]), ++counts[symbol_of[c]];
      auto freqs = NormalizeFrequencies(counts, 12);
      ASSERT_TRUE(freqs.ok());
      auto reference = RansEncode(symbols, *freqs, 12, raw, widths);
      ASSERT_TRUE(reference.ok());
      RansCodeEncoder enc;
      ASSERT_TRUE(BuildRansCodeEncoder(*freqs, 12, &enc, symbol_of, offset_of, widths).ok());
      std::vector<uint8_t> fast;
      ASSERT_TRUE(RansEncodeCodes(enc, codes, fast, RansEncodeKernel::kHighway).ok());
      EXPECT_EQ(fast, *reference) << name << " raw bits, n=" << n;
    }
    // One symbol (f = 2^P) and all 256 uniform.
    std::vector<uint8_t> all(256 * 9);
    for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<uint8_t>(i * 97);
    for (const std::vector<uint8_t>& codes : {std::vector<uint8_t>(999, 200), all}) {
      auto freqs = NormalizeFrequencies(Hist(codes), 12);
      ASSERT_TRUE(freqs.ok());
      auto reference = RansEncode(codes, *freqs, 12);
      ASSERT_TRUE(reference.ok());
      RansCodeEncoder enc;
      ASSERT_TRUE(BuildRansCodeEncoder(*freqs, 12, &enc).ok());
      std::vector<uint8_t> fast;
      ASSERT_TRUE(RansEncodeCodes(enc, codes, fast, RansEncodeKernel::kHighway).ok());
      EXPECT_EQ(fast, *reference) << name;
    }
  }
  hwy::SetSupportedTargetsForTest(0);
}

TEST(RansByte, UnusableCodesAreFoundFromTheHistogram) {
  std::vector<uint32_t> freqs(256, 0);
  freqs[1] = 4096;
  RansCodeEncoder enc;
  ASSERT_TRUE(BuildRansCodeEncoder(freqs, 12, &enc).ok());
  std::vector<uint64_t> hist(256, 0);
  hist[1] = 5;
  EXPECT_TRUE(CheckRansCodesUsable(enc, hist).ok());
  hist[2] = 1;
  EXPECT_FALSE(CheckRansCodesUsable(enc, hist).ok());
  // Unchecked, an unusable code still stays inside the output.
  for (RansEncodeKernel k : SupportedRansEncodeKernels()) {
    std::vector<uint8_t> out;
    EXPECT_TRUE(RansEncodeCodes(enc, std::vector<uint8_t>(1000, 2), out, k).ok());
    EXPECT_LE(out.size(), 2 * 1000 + 4 * kRansLanes);
  }
}

TEST(RansByte, CorruptStreamsGiveErrorsOnEveryKernel) {
  const std::vector<uint8_t> codes = Geometric(20000, 0.1, 3);
  auto freqs = NormalizeFrequencies(Hist(codes), 12);
  RansCodeEncoder enc;
  ASSERT_TRUE(BuildRansCodeEncoder(*freqs, 12, &enc).ok());
  std::vector<uint8_t> stream;
  ASSERT_TRUE(RansEncodeCodes(enc, codes, stream).ok());
  RansByteTable table;
  ASSERT_TRUE(BuildRansByteTable(*freqs, 12, &table).ok());
  std::mt19937 rng(11);
  for (RansByteKernel k : SupportedRansByteKernels()) {
    std::vector<uint8_t> out(codes.size());
    for (size_t cut : {size_t(0), size_t(100), stream.size() / 2, stream.size() - 1}) {
      EXPECT_FALSE(DecodeRansBytes(std::span(stream).first(cut), table, out, k).ok()) << cut;
    }
    std::vector<uint8_t> longer = stream;
    longer.push_back(0);
    EXPECT_FALSE(DecodeRansBytes(longer, table, out, k).ok());
    // Flipped bytes: any verdict, but the same one as the scalar loop.
    for (int trial = 0; trial < 20; ++trial) {
      std::vector<uint8_t> bad = stream;
      bad[rng() % bad.size()] ^= static_cast<uint8_t>(1 + rng() % 255);
      std::vector<uint8_t> a(codes.size()), b(codes.size());
      const bool ok_k = DecodeRansBytes(bad, table, a, k).ok();
      const bool ok_s = DecodeRansBytes(bad, table, b, RansByteKernel::kScalar).ok();
      EXPECT_EQ(ok_k, ok_s);
      if (ok_k) EXPECT_EQ(a, b);
    }
  }
}

TEST(RansByte, TableRejectsBadFrequencies) {
  RansByteTable t;
  EXPECT_FALSE(BuildRansByteTable(std::vector<uint32_t>(256, 16), 13, &t).ok());
  EXPECT_FALSE(BuildRansByteTable(std::vector<uint32_t>(256, 15), 12, &t).ok());
  EXPECT_TRUE(BuildRansByteTable(std::vector<uint32_t>(256, 16), 12, &t).ok());
}

}  // namespace
}  // namespace tp::entropy
