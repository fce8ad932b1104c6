// The AVX2 atalanta-rans loop against the scalar one (the reference): same
// values on valid streams, same verdict on corrupted ones.
#include "codec/dec_rans_simd.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "tensorpress/codec.h"

namespace tp {
namespace {

struct ScalarOnly {
  ScalarOnly() { codec::SetRansSimdEnabledForTesting(false); }
  ~ScalarOnly() { codec::SetRansSimdEnabledForTesting(true); }
};

StatusOr<std::vector<uint8_t>> Decode(std::span<const uint8_t> stream, size_t n, bool simd) {
  std::vector<uint8_t> out(n);
  Status st = Status::Ok();
  if (simd) {
    st = DecodeCodes(stream, out);
  } else {
    ScalarOnly scalar;
    st = DecodeCodes(stream, out);
  }
  if (!st.ok()) return st;
  return out;
}

std::vector<uint8_t> Laplace(size_t n, double p, uint32_t seed) {
  std::mt19937 rng(seed);
  std::geometric_distribution<int> geo(p);
  std::bernoulli_distribution coin(0.5);
  std::vector<uint8_t> v(n);
  for (auto& x : v) {
    const int m = std::min(geo(rng), 127);
    x = static_cast<uint8_t>(128 + (coin(rng) ? m : -m));
  }
  return v;
}

TEST(RansSimd, MatchesScalarDecoder) {
  if (!codec::HaveRansAvx2()) GTEST_SKIP() << "no AVX2 on this CPU";
  uint32_t seed = 1;
  for (int ranges : {1, 4, 8, 16, 40}) {
    for (int precision : {8, 10, 14, 15}) {
      for (size_t n : {size_t(0), size_t(5), size_t(31), size_t(500), size_t(4099), size_t(70001)}) {
        for (double p : {0.02, 0.2, 0.7}) {
          CodecOptions o = DefaultCodecOptions();
          o.atalanta_ranges = ranges;
          o.precision_bits = precision;
          o.register_bits = std::max(16, precision + 2);
          o.chunk_values = 20000;
          const std::vector<uint8_t> codes = Laplace(n, p, seed++);
          auto enc = EncodeCodes(Codec::kAtalantaRans, codes, o);
          ASSERT_TRUE(enc.ok()) << enc.status().message();
          auto fast = Decode(enc->bytes, n, true);
          auto scalar = Decode(enc->bytes, n, false);
          ASSERT_TRUE(fast.ok()) << fast.status().message();
          ASSERT_TRUE(scalar.ok()) << scalar.status().message();
          EXPECT_EQ(*fast, codes) << ranges << " ranges, P=" << precision << ", n=" << n;
          EXPECT_EQ(*scalar, codes);
        }
      }
    }
  }
}

// Flipped bytes anywhere (rANS words, offsets): both loops must agree on
// accepting or rejecting, and on the values when they accept.
TEST(RansSimd, AgreesWithScalarOnCorruptStreams) {
  if (!codec::HaveRansAvx2()) GTEST_SKIP() << "no AVX2 on this CPU";
  const std::vector<uint8_t> codes = Laplace(9000, 0.1, 7);
  auto enc = EncodeCodes(Codec::kAtalantaRans, codes, DefaultCodecOptions());
  ASSERT_TRUE(enc.ok());
  std::mt19937 rng(3);
  int rejected = 0;
  for (int trial = 0; trial < 300; ++trial) {
    std::vector<uint8_t> bad = enc->bytes;
    const size_t at = std::uniform_int_distribution<size_t>(0, bad.size() - 1)(rng);
    bad[at] ^= static_cast<uint8_t>(1 + rng() % 255);
    auto fast = Decode(bad, codes.size(), true);
    auto scalar = Decode(bad, codes.size(), false);
    ASSERT_EQ(fast.ok(), scalar.ok()) << "byte " << at;
    if (fast.ok()) {
      EXPECT_EQ(*fast, *scalar);
    } else {
      EXPECT_EQ(fast.status().code(), StatusCode::kCorruptData);
      ++rejected;
    }
  }
  EXPECT_GT(rejected, 150);
}

}  // namespace
}  // namespace tp
