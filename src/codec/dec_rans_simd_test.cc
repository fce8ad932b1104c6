// Every atalanta-rans SIMD loop this CPU runs (AVX2, AVX-512VL) against the
// scalar one (the reference): same values on valid streams, same verdict on
// corrupted ones.
#include "codec/dec_rans_simd.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "tensorpress/codec.h"
#include "tensorpress/model.h"
#include "testing/test_util.h"

namespace tp {
namespace {

struct ForceKernel {
  explicit ForceKernel(codec::RansKernel k) { codec::SetRansKernelForTesting(k); }
  ~ForceKernel() { codec::SetRansKernelForTesting(codec::RansKernel::kBest); }
};

StatusOr<std::vector<uint8_t>> Decode(std::span<const uint8_t> stream, size_t n, codec::RansKernel kernel) {
  std::vector<uint8_t> out(n);
  ForceKernel force(kernel);
  Status st = DecodeCodes(stream, out);
  if (!st.ok()) return st;
  return out;
}

// The SIMD kernels this CPU runs (the scalar reference excluded).
std::vector<codec::RansKernel> SimdKernels() {
  std::vector<codec::RansKernel> k = codec::SupportedRansKernels();
  k.erase(k.begin());
  return k;
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

// Encodes `codes`, decodes with every loop, and checks each gives the codes.
void ExpectBothDecode(const std::vector<uint8_t>& codes, const CodecOptions& o, const std::string& what) {
  auto enc = EncodeCodes(Codec::kAtalantaRans, codes, o);
  ASSERT_TRUE(enc.ok()) << enc.status().message();
  for (codec::RansKernel k : codec::SupportedRansKernels()) {
    auto got = Decode(enc->bytes, codes.size(), k);
    ASSERT_TRUE(got.ok()) << what << " (" << codec::RansKernelName(k) << "): " << got.status().message();
    EXPECT_EQ(*got, codes) << what << " (" << codec::RansKernelName(k) << ")";
  }
}

TEST(RansSimd, KernelsListedBestLast) {
  const auto k = codec::SupportedRansKernels();
  ASSERT_FALSE(k.empty());
  EXPECT_EQ(k.front(), codec::RansKernel::kScalar);
  EXPECT_EQ(k.size(), 1u + codec::HaveRansAvx2() + codec::HaveRansAvx512());
  EXPECT_EQ(codec::ActiveRansKernel(), k.back());
}

TEST(RansSimd, MatchesScalarDecoder) {
  if (!codec::HaveRansAvx2()) GTEST_SKIP() << "no AVX2 on this CPU";
  uint32_t seed = 1;
  // Every P the variant allows for each K (ranges of at most 2^(16-P) codes
  // must tile 256 codes: P <= 12 at K = 16, <= 14 at K = 64; larger P are
  // lowered by the encoder, so 15 is covered too); K > 16 runs the scalar
  // loop only. Tail lengths around the 32-value groups.
  for (int ranges : {1, 4, 8, 16, 40, 64}) {
    for (int precision = 8; precision <= 15; ++precision) {
      for (size_t n : {size_t(0), size_t(5), size_t(31), size_t(33), size_t(500), size_t(4099), size_t(70001)}) {
        for (double p : {0.02, 0.2, 0.7}) {
          CodecOptions o = DefaultCodecOptions();
          o.atalanta_ranges = ranges;
          o.precision_bits = precision;
          o.register_bits = std::max(16, precision + 2);
          o.chunk_values = 20000;
          ExpectBothDecode(Laplace(n, p, seed++), o,
                           std::to_string(ranges) + " ranges, P=" + std::to_string(precision) + ", n=" +
                               std::to_string(n));
        }
      }
    }
  }
}

// One symbol holding all 2^P slots (f = 2^P: the multiply is the identity),
// and one code in a one-code range (no raw bits at all).
TEST(RansSimd, DegenerateOneSymbolTables) {
  if (!codec::HaveRansAvx2()) GTEST_SKIP() << "no AVX2 on this CPU";
  std::mt19937 rng(9);
  for (int precision : {8, 10, 12}) {
    CodecOptions o = DefaultCodecOptions();
    o.precision_bits = precision;
    o.atalanta_ranges = 1;  // one range of 256 codes, 8 raw bits: P is lowered to 8
    std::vector<uint8_t> uniform(50000);
    for (auto& x : uniform) x = static_cast<uint8_t>(rng());
    ExpectBothDecode(uniform, o, "one range, P=" + std::to_string(precision));
    o.atalanta_ranges = 16;
    ExpectBothDecode(std::vector<uint8_t>(40000, 77), o, "one value, P=" + std::to_string(precision));
  }
}

// Real int8 weights of the MNIST CNN, every tensor.
TEST(RansSimd, MatchesScalarOnRealWeights) {
  auto model = ReadModel(testing::SharedModel("mnist-cnn/mnist_cnn.safetensors"));
  ASSERT_TRUE(model.ok()) << model.status().message();
  PrepareOptions prep;
  prep.quantize_int8 = true;
  prep.keras_safetensors = true;
  int coded = 0;
  for (const Tensor& t : model->tensors) {
    auto codes = PrepareCodes(t, prep);
    if (!codes.ok()) continue;
    CodecOptions o = DefaultCodecOptions();
    o.signed_codes = codes->signed_codes;
    ExpectBothDecode(codes->codes, o, t.name());
    ++coded;
  }
  EXPECT_GT(coded, 3);
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
  for (int trial = 0; trial < 600; ++trial) {
    std::vector<uint8_t> bad = enc->bytes;
    const size_t at = std::uniform_int_distribution<size_t>(0, bad.size() - 1)(rng);
    bad[at] ^= static_cast<uint8_t>(1 + rng() % 255);
    auto scalar = Decode(bad, codes.size(), codec::RansKernel::kScalar);
    for (codec::RansKernel k : SimdKernels()) {
      auto fast = Decode(bad, codes.size(), k);
      ASSERT_EQ(fast.ok(), scalar.ok()) << "byte " << at << " (" << codec::RansKernelName(k) << ")";
      if (fast.ok()) {
        EXPECT_EQ(*fast, *scalar) << codec::RansKernelName(k);
      } else {
        EXPECT_EQ(fast.status().code(), StatusCode::kCorruptData);
      }
    }
    rejected += !scalar.ok();
  }
  EXPECT_GT(rejected, 300);
}

}  // namespace
}  // namespace tp
