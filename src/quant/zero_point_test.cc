#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "tensorpress/gemm.h"
#include "tensorpress/quant.h"
#include "tensorpress/slice.h"

namespace tp {
namespace {

// Sparsities of the codes at zero point zp, through the slicing and traffic
// code the GEMMs use (an independent path from the chooser's histograms).
OperandTraffic Sliced(const std::vector<float>& x, int k, int n, float scale, int zp, int lo_bits) {
  std::vector<uint8_t> codes(x.size());
  QuantizeU8(x, scale, zp, codes);
  auto op = SliceActivationsUnsigned(codes, k, n, zp, lo_bits);
  EXPECT_TRUE(op.ok());
  SliceGemmOperand o = PrepareSliceOperand(std::move(*op));
  return MeasureOperand(o.sliced, o.ho);
}

double ClippedFraction(const std::vector<float>& x, float scale, int zp) {
  size_t c = 0;
  for (float v : x) {
    const float q = std::nearbyint(v / scale) + float(zp);
    c += q < 0 || q > 255;
  }
  return double(c) / double(x.size());
}

TEST(SparsityAwareZpm, CentresValuesStraddlingABinBoundaryByHand) {
  // Codes 16 + {-3..3} straddle the boundary between HO bins 0 and 1 (codes
  // 13..15 have HO slice 0, 16..19 have 1): at z = 16 only the vectors whose
  // four values are all >= 0 are skipped. z' = 19 moves every code into
  // 16..22 (bin 1): all vectors skip, and 19 is the nearest such z'.
  const int k = 3, n = 8;
  std::vector<float> x(k * n);
  for (int i = 0; i < k * n; ++i) x[i] = float((i * 5) % 7 - 3);  // -3..3, scale 1
  auto c = ChooseZeroPointBySparsity(x, k, n, 1.0f, 16);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->zero_point, 19);
  EXPECT_EQ(c->ho_slice_sparsity, 1.0);
  EXPECT_EQ(c->ho_vector_sparsity, 1.0);
  EXPECT_LT(c->seed_ho_vector_sparsity, 1.0);
  EXPECT_EQ(c->clipped_fraction, 0.0);
}

TEST(SparsityAwareZpm, KeepsTheZeroPointOfReluInputs) {
  // ReLU outputs: min 0, so z = 0 and every code is >= 0. The fixed formula
  // moves z to 8 and pushes codes 8..15 out of HO bin 0; the sparsity-aware
  // choice keeps z = 0.
  std::mt19937 rng(5);
  std::exponential_distribution<float> e(0.2f);
  const int k = 16, n = 30;
  std::vector<float> x(k * n);
  for (float& v : x) v = rng() % 3 == 0 ? 0.0f : std::min(e(rng), 255.0f);
  auto c = ChooseZeroPointBySparsity(x, k, n, 1.0f, 0);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->zero_point, 0);
  EXPECT_EQ(ManipulatedZeroPoint(0, 4), 8);
  EXPECT_LT(Sliced(x, k, n, 1.0f, 8, 4).ho_slice_sparsity, c->ho_slice_sparsity);
}

TEST(SparsityAwareZpm, MatchesBruteForceOverEveryCandidate) {
  std::mt19937 rng(11);
  for (int trial = 0; trial < 60; ++trial) {
    const int k = 1 + int(rng() % 9), n = 1 + int(rng() % 23);
    const int lo_bits = 4 + int(rng() % 3);
    std::normal_distribution<float> g(float(rng() % 40) - 20.0f, 1.0f + float(rng() % 30));
    std::vector<float> x(size_t(k) * n);
    for (float& v : x) v = g(rng);
    if (trial % 5 == 0) x[0] = NAN;
    const float scale = 0.5f + float(rng() % 4) * 0.5f;
    const int z = int(rng() % 256);
    ZpmOptions o;
    o.lo_bits = lo_bits;
    o.max_extra_clip_fraction = trial % 3 == 0 ? 0.0 : 0.05;
    auto c = ChooseZeroPointBySparsity(x, k, n, scale, z, o);
    ASSERT_TRUE(c.ok());
    // The reported figures are the slicing code's at the chosen z'.
    const OperandTraffic at = Sliced(x, k, n, scale, c->zero_point, lo_bits);
    EXPECT_DOUBLE_EQ(c->ho_slice_sparsity, at.ho_slice_sparsity);
    EXPECT_DOUBLE_EQ(c->ho_vector_sparsity, at.ho_vector_sparsity);
    const OperandTraffic seed = Sliced(x, k, n, scale, z, lo_bits);
    EXPECT_DOUBLE_EQ(c->seed_ho_vector_sparsity, seed.ho_vector_sparsity);
    EXPECT_GE(at.ho_slice_sparsity, seed.ho_slice_sparsity);
    EXPECT_GE(at.ho_vector_sparsity, seed.ho_vector_sparsity);
    // No admissible candidate in the three bins does better.
    const int w = 1 << lo_bits, h = z >> lo_bits;
    const double seed_clip = ClippedFraction(x, scale, z);
    EXPECT_LE(ClippedFraction(x, scale, c->zero_point), seed_clip + o.max_extra_clip_fraction + 1e-12);
    for (int zp = std::max(0, (h - 1) * w); zp <= std::min(255, (h + 2) * w - 1); ++zp) {
      if (ClippedFraction(x, scale, zp) > seed_clip + o.max_extra_clip_fraction + 1e-12) continue;
      const OperandTraffic t = Sliced(x, k, n, scale, zp, lo_bits);
      if (t.ho_slice_sparsity < seed.ho_slice_sparsity || t.ho_vector_sparsity < seed.ho_vector_sparsity) continue;
      EXPECT_LE(t.ho_vector_sparsity, at.ho_vector_sparsity) << "zp " << zp << " beats " << c->zero_point;
      if (t.ho_vector_sparsity == at.ho_vector_sparsity) {
        EXPECT_LE(t.ho_slice_sparsity, at.ho_slice_sparsity);
      }
    }
  }
}

TEST(SparsityAwareZpm, RejectsBadArguments) {
  std::vector<float> x(6, 1.0f);
  EXPECT_FALSE(ChooseZeroPointBySparsity(x, 2, 2, 1.0f, 0).ok());  // not K x N
  EXPECT_FALSE(ChooseZeroPointBySparsity(x, 2, 3, 0.0f, 0).ok());
  EXPECT_FALSE(ChooseZeroPointBySparsity(x, 2, 3, 1.0f, 256).ok());
  EXPECT_FALSE(ChooseZeroPointBySparsity(x, 2, 3, 1.0f, 0, {.lo_bits = 7}).ok());
  EXPECT_TRUE(ChooseZeroPointBySparsity({}, 0, 0, 1.0f, 0).ok());
}

TEST(QuantError, RmseAndSqnrByHand) {
  // Errors 0.1 and -0.1 on values 1 and -1: MSE 0.01, signal 1, 20 dB.
  const std::vector<float> ref = {1.0f, -1.0f}, approx = {1.1f, -1.1f};
  const QuantError e = MeasureQuantError(ref, approx);
  EXPECT_NEAR(e.rmse, 0.1, 1e-6);
  EXPECT_NEAR(e.sqnr_db, 20.0, 1e-4);
  EXPECT_TRUE(std::isinf(MeasureQuantError(ref, ref).sqnr_db));
}

TEST(WeightGranularity, ParsesBothNames) {
  EXPECT_EQ(*ParseWeightGranularity("tensor"), WeightGranularity::kTensor);
  EXPECT_EQ(*ParseWeightGranularity("channel"), WeightGranularity::kChannel);
  EXPECT_FALSE(ParseWeightGranularity("row").ok());
  EXPECT_STREQ(WeightGranularityName(WeightGranularity::kTensor), "tensor");
}

}  // namespace
}  // namespace tp
