#include <gtest/gtest.h>

#include <random>

#include "tensorpress/quant.h"

namespace tp {
namespace {

TEST(Calibrate, PercentileClipsByHand) {
  std::vector<float> x(101);
  for (int i = 0; i <= 100; ++i) x[i] = float(100 - i);  // 0..100, unsorted
  auto r = CalibrateRange(x, {.method = RangeMethod::kPercentile, .percentile = 99});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->max, 99.0f);
  EXPECT_EQ(r->min, 1.0f);
  auto m = CalibrateRange(x, {});
  EXPECT_EQ(m->max, 100.0f);
  EXPECT_EQ(m->min, 0.0f);
  EXPECT_FALSE(CalibrateRange(x, {.method = RangeMethod::kPercentile, .percentile = 40}).ok());
}

TEST(Calibrate, MseSearchBeatsMinMaxOnOutliers) {
  std::mt19937 rng(3);
  std::normal_distribution<float> g(0, 1);
  std::vector<float> x(20000);
  for (auto& v : x) v = g(rng);
  x[0] = 60;  // one outlier stretches min/max
  auto mm = CalibrateRange(x, {});
  auto mse = CalibrateRange(x, {.method = RangeMethod::kMse});
  ASSERT_TRUE(mm.ok() && mse.ok());
  EXPECT_LT(mse->max, mm->max);
  QuantParams a = AsymmetricU8Params(*mm), b = AsymmetricU8Params(*mse);
  EXPECT_LT(AsymmetricRoundTripMse(x, b.scale[0], int(b.zero_point[0])),
            AsymmetricRoundTripMse(x, a.scale[0], int(a.zero_point[0])));
}

TEST(Calibrate, SymmetricActivationsByHand) {
  std::vector<float> x = {-1.0f, 0.25f, -0.1f};
  auto q = QuantizeActivationsSymmetric(*Tensor::FromValues<float>("x", DType::kF32, {3}, x), 7);
  ASSERT_TRUE(q.ok());
  EXPECT_FLOAT_EQ(q->quant()->scale[0], 1.0f / 63);
  EXPECT_EQ(q->values<int8_t>()[0], -63);
  EXPECT_EQ(q->values<int8_t>()[1], 16);  // 15.75
  EXPECT_EQ(q->values<int8_t>()[2], -6);  // -6.3
}

TEST(Calibrate, BiasFoldingByHand) {
  std::vector<int32_t> w = {1, 2, 3, -4}, bias = {5, 0};
  EXPECT_EQ(FoldZeroPointIntoBias(bias, w, 2, 2, 10), (std::vector<int32_t>{-25, 10}));
  // W q + folded bias == W (q - z) + bias.
  std::vector<int32_t> q = {7, 200};
  auto folded = FoldZeroPointIntoBias(bias, w, 2, 2, 10);
  EXPECT_EQ(1 * 7 + 2 * 200 + folded[0], 1 * (7 - 10) + 2 * (200 - 10) + 5);
  EXPECT_EQ(3 * 7 - 4 * 200 + folded[1], 3 * (7 - 10) - 4 * (200 - 10) + 0);
}

TEST(Calibrate, ZeroPointManipulationByHand) {
  EXPECT_EQ(ManipulatedZeroPoint(100, 4), 104);  // 96 + 8
  EXPECT_EQ(ManipulatedZeroPoint(0, 4), 8);
  EXPECT_EQ(ManipulatedZeroPoint(100, 5), 112);  // 96 + 16
  EXPECT_EQ(ManipulatedZeroPoint(100, 6), 96);   // 64 + 32
  EXPECT_EQ(ManipulatedZeroPoint(255, 4), 248);
}

TEST(Calibrate, DbsPicksTheNarrowestWidthReachingTheTarget) {
  // Half 100, half 120: sigma = 10 codes. Predicted sparsity: b=4 erf(0.566)
  // = 0.576, b=5 erf(1.131) = 0.889, b=6 erf(2.263) = 0.9985.
  std::vector<uint8_t> codes(1000, 100);
  std::fill(codes.begin() + 500, codes.end(), 120);
  DbsChoice c = ChooseDbsWidth(codes, 0.9);
  EXPECT_NEAR(c.sigma_codes, 10.0, 1e-9);
  EXPECT_EQ(c.lo_bits, 6);
  EXPECT_NEAR(c.predicted_sparsity, 0.9985, 1e-3);
  EXPECT_EQ(ChooseDbsWidth(codes, 0.85).lo_bits, 5);
  EXPECT_EQ(ChooseDbsWidth(std::vector<uint8_t>(10, 7), 0.9).lo_bits, 4);
}

}  // namespace
}  // namespace tp
