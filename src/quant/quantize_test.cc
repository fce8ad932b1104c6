#include <gtest/gtest.h>

#include "tensorpress/quant.h"

namespace tp {
namespace {

TEST(Quant, SymmetricPerChannelByHand) {
  // Two output channels (axis 0): max|w| = 2 and 0.5; 8 bits -> qmax 127.
  std::vector<float> w = {2.0f, -1.0f, 0.0f, 0.5f, -0.25f, 0.125f};
  auto t = *Tensor::FromValues<float>("w", DType::kF32, {2, 3}, w);
  auto q = QuantizeWeightsSymmetric(t, {.bits = 8, .channel_axis = 0});
  ASSERT_TRUE(q.ok()) << q.status().message();
  auto v = q->values<int8_t>();
  EXPECT_EQ(v[0], 127);
  EXPECT_EQ(v[1], -64);   // -63.5 rounds half to even -> -64
  EXPECT_EQ(v[2], 0);
  EXPECT_EQ(v[3], 127);
  EXPECT_EQ(v[4], -64);
  EXPECT_EQ(v[5], 32);    // 31.75 -> 32
  EXPECT_FLOAT_EQ(q->quant()->scale[0], 2.0f / 127);
  auto back = Dequantize(*q);
  ASSERT_TRUE(back.ok());
  EXPECT_NEAR(back->values<float>()[1], -1.0f, 2.0f / 127 / 2 + 1e-6);
}

TEST(Quant, SevenBitRangeIsSymmetric) {
  std::vector<float> w = {-3.0f, 3.0f, 1.0f};
  auto q = QuantizeWeightsSymmetric(*Tensor::FromValues<float>("w", DType::kF32, {3}, w),
                                    {.bits = 7, .channel_axis = -1});
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->values<int8_t>()[0], -63);
  EXPECT_EQ(q->values<int8_t>()[1], 63);
  EXPECT_EQ(q->values<int8_t>()[2], 21);
}

TEST(Quant, AsymmetricMinMaxByHand) {
  // min -1, max 1.55: s = 2.55/255 = 0.01, z = round(100) = 100.
  std::vector<float> x = {-1.0f, 0.0f, 1.55f, 0.004f};
  auto q = QuantizeActivationsMinMax(*Tensor::FromValues<float>("x", DType::kF32, {4}, x));
  ASSERT_TRUE(q.ok());
  EXPECT_NEAR(q->quant()->scale[0], 0.01f, 1e-7);
  EXPECT_EQ(q->quant()->zero_point[0], 100);
  auto v = q->values<uint8_t>();
  EXPECT_EQ(v[0], 0);
  EXPECT_EQ(v[1], 100);
  EXPECT_EQ(v[2], 255);
  EXPECT_EQ(v[3], 100);
}

TEST(Quant, ReluActivationsHaveZeroPointZero) {
  std::vector<float> x = {0.0f, 2.0f, 5.1f};
  auto q = QuantizeActivationsMinMax(*Tensor::FromValues<float>("x", DType::kF32, {3}, x));
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->quant()->zero_point[0], 0);
  EXPECT_EQ(q->values<uint8_t>()[2], 255);
}

}  // namespace
}  // namespace tp
