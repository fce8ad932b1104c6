#include "tensorpress/tensor.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "tensorpress/half.h"
#include "tensorpress/stats.h"

namespace tp {
namespace {

TEST(DType, TraitsTableRoundTripsNames) {
  for (int i = 0; i < kNumDTypes; ++i) {
    DType d = static_cast<DType>(i);
    EXPECT_EQ(DTypeFromName(DTypeName(d)), d);
    if (!Traits(d).safetensors.empty()) {
      EXPECT_EQ(DTypeFromSafetensors(Traits(d).safetensors), d);
    }
  }
}

TEST(DType, StorageBytes) {
  EXPECT_EQ(StorageBytes(DType::kF32, 10), 40u);
  EXPECT_EQ(StorageBytes(DType::kI4, 5), 3u);  // two a byte, rounded up
  EXPECT_EQ(StorageBytes(DType::kQ8_0, 64), 68u);
  EXPECT_EQ(StorageBytes(DType::kQ4_0, 33), std::nullopt);  // not whole blocks
  EXPECT_EQ(StorageBytes(DType::kF64, UINT64_MAX / 4), std::nullopt);  // overflow
}

TEST(Tensor, ViewChecksSize) {
  std::vector<uint8_t> bytes(12);
  EXPECT_TRUE(Tensor::FromBytes("a", DType::kF32, {3}, bytes).ok());
  auto bad = Tensor::FromBytes("a", DType::kF32, {4}, bytes);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kCorruptData);
  EXPECT_FALSE(Tensor::FromBytes("a", DType::kF32, {-1}, bytes).ok());
  EXPECT_FALSE(Tensor::FromBytes("a", DType::kF32, {INT64_MAX, INT64_MAX}, bytes).ok());
}

TEST(Tensor, PackedNibblesDecodeLowFirst) {
  // bytes 0x21, 0xF3: elements 1, 2, 3, 15 (u4) / 1, 2, 3, -1 (i4)
  std::vector<uint8_t> bytes = {0x21, 0xF3};
  double out[4];
  auto u = Tensor::FromBytes("u", DType::kU4, {4}, bytes);
  ElementsAsDouble(*u, 0, 4, out);
  EXPECT_EQ(out[0], 1); EXPECT_EQ(out[1], 2); EXPECT_EQ(out[2], 3); EXPECT_EQ(out[3], 15);
  auto s = Tensor::FromBytes("s", DType::kI4, {4}, bytes);
  ElementsAsDouble(*s, 0, 4, out);
  EXPECT_EQ(out[3], -1);
}

TEST(Tensor, Q8_0BlockDequantizes) {
  // One block: scale 0.5 (f16 0x3800), values -4..27.
  std::vector<uint8_t> block = {0x00, 0x38};
  for (int i = 0; i < 32; ++i) block.push_back(static_cast<uint8_t>(static_cast<int8_t>(i - 4)));
  auto t = Tensor::FromBytes("q", DType::kQ8_0, {32}, block);
  ASSERT_TRUE(t.ok());
  double out[32];
  ElementsAsDouble(*t, 0, 32, out);
  for (int i = 0; i < 32; ++i) EXPECT_EQ(out[i], 0.5 * (i - 4));
}

TEST(Tensor, Q4_0AndQ4_1BlocksDequantize) {
  // Q4_0: scale 2 (0x4000); qs[k] = k | (15-k)<<4 -> element k = 2*(k-8),
  // element k+16 = 2*(7-k).
  std::vector<uint8_t> q40 = {0x00, 0x40};
  for (int k = 0; k < 16; ++k) q40.push_back(static_cast<uint8_t>(k | (15 - k) << 4));
  auto a = Tensor::FromBytes("a", DType::kQ4_0, {32}, q40);
  double out[32];
  ElementsAsDouble(*a, 0, 32, out);
  for (int k = 0; k < 16; ++k) {
    EXPECT_EQ(out[k], 2.0 * (k - 8));
    EXPECT_EQ(out[k + 16], 2.0 * (7 - k));
  }
  // Q4_1: scale 0.5 (0x3800), min -1 (0xBC00): element = 0.5*nib - 1.
  std::vector<uint8_t> q41 = {0x00, 0x38, 0x00, 0xBC};
  for (int k = 0; k < 16; ++k) q41.push_back(static_cast<uint8_t>(k | (15 - k) << 4));
  auto b = Tensor::FromBytes("b", DType::kQ4_1, {32}, q41);
  ElementsAsDouble(*b, 0, 32, out);
  for (int k = 0; k < 16; ++k) {
    EXPECT_EQ(out[k], 0.5 * k - 1);
    EXPECT_EQ(out[k + 16], 0.5 * (15 - k) - 1);
  }
}

TEST(Half, RoundTripsEveryHalf) {
  for (uint32_t h = 0; h < 65536; ++h) {
    float f = HalfToFloat(static_cast<uint16_t>(h));
    if (std::isnan(f)) continue;
    EXPECT_EQ(FloatToHalf(f), h) << h;
  }
}

TEST(Half, KnownValuesAndRounding) {
  EXPECT_EQ(HalfToFloat(0x3C00), 1.0f);
  EXPECT_EQ(HalfToFloat(0xC000), -2.0f);
  EXPECT_EQ(HalfToFloat(0x0001), std::ldexp(1.0f, -24));  // smallest subnormal
  EXPECT_EQ(HalfToFloat(0x7BFF), 65504.0f);
  EXPECT_EQ(FloatToHalf(65520.0f), 0x7C00);  // rounds up to inf
  EXPECT_EQ(FloatToHalf(1.0f + std::ldexp(1.0f, -11)), 0x3C00);  // tie to even
  EXPECT_EQ(FloatToHalf(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3C02);  // tie to even (up)
  EXPECT_EQ(FloatToBf16(1.0f), 0x3F80);
  EXPECT_EQ(Bf16ToFloat(0xC040), -3.0f);
}

TEST(Stats, HandComputedValues) {
  std::vector<int8_t> v = {0, 0, 1, -1, 2, 2, 2, 2};
  auto t = Tensor::FromValues<int8_t>("t", DType::kI8, {8}, v);
  TensorStats s = ComputeStats(*t);
  EXPECT_EQ(s.min, -1);
  EXPECT_EQ(s.max, 2);
  EXPECT_DOUBLE_EQ(s.mean, 1.0);
  // variance: (1+1+0+4+1+1+1+1)/8 = 10/8
  EXPECT_NEAR(s.std, std::sqrt(10.0 / 8), 1e-12);
  EXPECT_DOUBLE_EQ(s.zero_fraction, 0.25);
  // p = {1/4, 1/8, 1/8, 1/2}: H = 0.5 + 0.375 + 0.375 + 0.5 = 1.75
  EXPECT_NEAR(s.entropy_bits, 1.75, 1e-12);
  EXPECT_EQ(s.entropy_domain, EntropyDomain::kValues);
}

TEST(Stats, FloatEntropyIsOverBytes) {
  std::vector<float> v(1000, 0.0f);
  auto t = Tensor::FromValues<float>("t", DType::kF32, {1000}, v);
  TensorStats s = ComputeStats(*t);
  EXPECT_EQ(s.entropy_domain, EntropyDomain::kBytes);
  EXPECT_EQ(s.entropy_bits, 0.0);
  EXPECT_EQ(s.zero_fraction, 1.0);
}

}  // namespace
}  // namespace tp

namespace tp {
namespace {

TEST(Stats, HugeValuesDoNotOverflowStd) {
  // {-1e300, 1e300}: mean 0, population std 1e300.
  std::vector<double> v = {-1e300, 1e300};
  TensorStats s = ComputeStats(*Tensor::FromValues<double>("h", DType::kF64, {2}, v));
  EXPECT_DOUBLE_EQ(s.std, 1e300);
  EXPECT_EQ(s.mean, 0);
}

}  // namespace
}  // namespace tp
