// Rate selection on hand-made Pareto tables (answers worked out by hand),
// and footprint measurement against a direct encode/decode.
#include <gtest/gtest.h>

#include <cmath>

#include "tensorpress/astc.h"
#include "tensorpress/model.h"
#include "testing/test_util.h"

namespace tp::astc {
namespace {

// A candidate of `bytes` bytes whose total squared error over `weights` weights is `se`.
FootprintResult Point(uint64_t bytes, double se, uint64_t weights = 100) {
  FootprintResult r;
  r.weights = weights;
  r.bytes = bytes;
  r.error.rmse = std::sqrt(se / double(weights));
  return r;
}

TEST(AstcPlan, ParseFootprints) {
  auto f = ParseFootprints("4x4,12x12,4x4");
  ASSERT_TRUE(f.ok());
  ASSERT_EQ(f->size(), 2u);
  EXPECT_EQ((*f)[1], (Footprint{12, 12}));
  EXPECT_EQ(ParseFootprints("all")->size(), 14u);
  EXPECT_FALSE(ParseFootprints("7x7").ok());
  EXPECT_FALSE(ParseFootprints("6x6x").ok());
  EXPECT_FALSE(ParseFootprints("").ok());
}

TEST(AstcPlan, ToleranceTakesTheFewestBitsThatMeetIt) {
  std::vector<LayerCandidates> layers(2);
  layers[0].candidates = {Point(10, 100), Point(20, 25), Point(40, 1)};   // RMSE 1, 0.5, 0.1
  layers[1].candidates = {Point(10, 400), Point(20, 100), Point(40, 36)};  // RMSE 2, 1, 0.6
  RatePlan plan = PlanForTolerance(layers, 0.5);
  EXPECT_EQ(plan.choice, (std::vector<size_t>{1, 2}));
  EXPECT_TRUE(plan.met[0]);
  EXPECT_FALSE(plan.met[1]);  // nothing reaches 0.5: the most accurate is taken
  EXPECT_EQ(plan.bits, 8u * 60);
  EXPECT_NEAR(plan.rmse, std::sqrt((25.0 + 36.0) / 200.0), 1e-12);
  EXPECT_EQ(PlanForTolerance(layers, 1.0).choice, (std::vector<size_t>{0, 1}));
}

TEST(AstcPlan, BudgetFollowsTheConvexHull) {
  std::vector<LayerCandidates> layers(2);
  // Layer 0: the 20-byte point lies above the chord 10..30, so it is never chosen.
  layers[0].candidates = {Point(10, 100), Point(20, 90), Point(30, 0)};
  // Layer 1: upgrading 10 -> 20 bytes removes 30 (3 per byte); 20 -> 30 removes 5.
  layers[1].candidates = {Point(10, 40), Point(20, 10), Point(30, 5)};
  // 20 bytes for nothing, then: layer 0 hull step (+20 bytes, 5 per byte) beats layer 1 (3 per byte).
  auto plan = PlanForBudget(layers, 8 * 40);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->choice, (std::vector<size_t>{2, 0}));
  plan = PlanForBudget(layers, 8 * 50);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->choice, (std::vector<size_t>{2, 1}));
  EXPECT_EQ(plan->bits, 8u * 50);
  // A budget for 30 bytes cannot afford layer 0's 20-byte hull step; layer 1's 10-byte step fits.
  plan = PlanForBudget(layers, 8 * 30);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->choice, (std::vector<size_t>{0, 1}));
  EXPECT_FALSE(PlanForBudget(layers, 8 * 19).ok());
}

TEST(AstcPlan, MeasureFootprintIsTheRealDecode) {
  auto kernel_or = tp::testing::SharedTensor("mnist-cnn/mnist_cnn.safetensors", "conv2d_2.kernel");
  ASSERT_TRUE(kernel_or.ok()) << kernel_or.status().message();
  const Tensor* kernel = &*kernel_or;
  ASSERT_TRUE(IsWeightMatrix(*kernel));
  auto r = MeasureFootprint(*kernel, {8, 8}, 0);
  ASSERT_TRUE(r.ok());
  // [3,3,32,64] -> 288 x 64 texels -> 8 x 36 blocks of 16 bytes, plus scale and offset.
  EXPECT_EQ(r->bytes, 8u * 36 * 16 + 8);
  EXPECT_NEAR(r->bits_per_weight, 8.0 * (8 * 36 * 16 + 8) / 18432.0, 1e-12);
  TensorEncodeOptions options;
  options.encode.block_x = 8;
  options.encode.block_y = 8;
  options.encode.quality = 0;
  auto enc = EncodeTensor(*kernel, options);
  ASSERT_TRUE(enc.ok());
  auto dec = DecodeTensorValues(*enc);
  auto f32 = ToF32(*kernel);
  ErrorStats direct = CompareValues(f32->values<float>(), *dec);
  EXPECT_DOUBLE_EQ(r->error.rmse, direct.rmse);
  EXPECT_DOUBLE_EQ(r->error.max_abs, direct.max_abs);
  EXPECT_GT(r->error.snr_db, 0);
}

}  // namespace
}  // namespace tp::astc
