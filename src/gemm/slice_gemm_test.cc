#include <gtest/gtest.h>

#include <random>

#include "tensorpress/gemm.h"

namespace tp {
namespace {

TEST(ReferenceGemm, ByHand) {
  // [1 2 3; -4 5 6] x [7 8; 9 10; 11 12] = [58 64; 83 90].
  std::vector<int32_t> w = {1, 2, 3, -4, 5, 6}, x = {7, 8, 9, 10, 11, 12}, y(4);
  ReferenceGemm(w, x, 2, 3, 2, y);
  EXPECT_EQ(y, (std::vector<int32_t>{58, 64, 83, 90}));
}

TEST(AqsGemm, CountersByHand) {
  // Four rows of small weights (HO all zero) times one k of four tokens all
  // at the zero point's HO slice: both HO vectors are compressed, so only
  // W_L x X_L runs (16 multiplies of 64), and X_H is compensated.
  std::vector<int32_t> w = {1, -2, 3, -4};       // M = 4, K = 1
  std::vector<uint8_t> x = {0x50, 0x51, 0x5F, 0x55};  // K = 1, N = 4
  SliceGemmCounters c;
  auto y = AqsGemm(w, x, 4, 1, 4, 7, /*zero_point=*/0x58, 4, &c);
  ASSERT_TRUE(y.ok()) << y.status().message();
  EXPECT_EQ((*y)[0], 0x50);
  EXPECT_EQ((*y)[5], -2 * 0x51);
  EXPECT_EQ((*y)[15], -4 * 0x55);
  EXPECT_EQ(c.multiplies, 16u);
  EXPECT_EQ(c.dense_multiplies, 64u);
  EXPECT_EQ(c.compensation_ops, 0u);  // no uncompressed X_H vector to compensate
  EXPECT_DOUBLE_EQ(c.weights.ho_vector_sparsity, 1.0);
  EXPECT_DOUBLE_EQ(c.activations.ho_slice_sparsity, 1.0);
  EXPECT_EQ(c.weights.ho_bytes_dense, 2u);
  EXPECT_EQ(c.weights.ho_bytes_compressed, 0u);
  EXPECT_EQ(c.weights.lo_bytes, 2u);
}

// One random problem: shapes, zero point and sparsity drawn from rng; the
// slice GEMMs must equal the reference exactly.
struct Problem {
  int m, k, n, bits, z, lo_bits;
  std::vector<int32_t> w;
  std::vector<uint8_t> x;
};

Problem RandomProblem(std::mt19937& rng) {
  Problem p;
  auto dim = [&] { return 1 + int(rng() % (rng() % 8 == 0 ? 40 : 13)); };
  p.m = dim(), p.k = dim(), p.n = dim();
  const int bits_choice[] = {4, 7, 7, 10};
  p.bits = bits_choice[rng() % 4];
  const int z_choice = rng() % 6;
  p.z = z_choice == 0 ? 0 : z_choice == 1 ? 255 : int(rng() % 256);
  p.lo_bits = rng() % 3 == 0 ? 4 + int(rng() % 3) : 4;
  // Sparsity extremes: 0 (dense), 1 (everything skippable) and in between.
  const double sparse_choice[] = {0.0, 1.0, 0.5, 0.9, 0.97};
  const double pw = sparse_choice[rng() % 5], px = sparse_choice[rng() % 5];
  std::uniform_real_distribution<double> u(0, 1);
  const int wmax = (1 << (p.bits - 1)) - 1;
  p.w.resize(size_t(p.m) * p.k);
  for (auto& v : p.w)
    v = u(rng) < pw ? int(rng() % 16) - 8 : int(rng() % (2 * wmax + 2)) - wmax - 1;
  p.x.resize(size_t(p.k) * p.n);
  const int zh = p.z >> p.lo_bits, span = 1 << p.lo_bits;
  for (auto& v : p.x) v = static_cast<uint8_t>(u(rng) < px ? zh * span + int(rng() % span) : int(rng() % 256));
  return p;
}

TEST(AqsGemm, TenThousandRandomProblemsMatchTheReferenceExactly) {
  std::mt19937 rng(20250101);
  int mismatches = 0, problems = 0;
  SliceGemmCounters total;
  for (; problems < 12000; ++problems) {
    Problem p = RandomProblem(rng);
    // With DBS the kernel multiplies the DBS-rounded activations exactly.
    std::vector<int32_t> xr(p.x.size());
    for (size_t i = 0; i < p.x.size(); ++i)
      xr[i] = ActJoin(ActHighSlice(p.x[i], p.lo_bits), ActLowSlice(p.x[i], p.lo_bits), p.lo_bits);
    std::vector<int32_t> want(size_t(p.m) * p.n);
    ReferenceGemm(p.w, xr, p.m, p.k, p.n, want);
    auto got = AqsGemm(p.w, p.x, p.m, p.k, p.n, p.bits, p.z, p.lo_bits, &total);
    ASSERT_TRUE(got.ok()) << got.status().message();
    if (*got != want) {
      ++mismatches;
      ADD_FAILURE() << "mismatch: m=" << p.m << " k=" << p.k << " n=" << p.n << " bits=" << p.bits
                    << " z=" << p.z << " lo_bits=" << p.lo_bits;
      if (mismatches > 5) break;
    }
  }
  EXPECT_EQ(mismatches, 0);
  EXPECT_GE(problems, 10000);
  // The sparse problems must actually have skipped work, and the dense ones
  // must not have skipped everything.
  EXPECT_LT(total.multiplies, total.dense_multiplies);
  EXPECT_GT(total.multiplies, 0u);
  EXPECT_GT(total.compensation_ops, 0u);
}

TEST(SibiaGemm, TenThousandRandomProblemsMatchTheReferenceExactly) {
  std::mt19937 rng(77);
  int mismatches = 0;
  std::uniform_real_distribution<double> u(0, 1);
  for (int problem = 0; problem < 10000 && mismatches < 5; ++problem) {
    const int m = 1 + rng() % 13, k = 1 + rng() % 13, n = 1 + rng() % 13;
    const double pw = (rng() % 3) / 2.0, px = (rng() % 3) / 2.0;
    std::vector<int32_t> w(size_t(m) * k), x(size_t(k) * n);
    for (auto& v : w) v = u(rng) < pw ? int(rng() % 16) - 8 : int(rng() % 127) - 63;
    for (auto& v : x) v = u(rng) < px ? int(rng() % 16) - 8 : int(rng() % 128) - 64;
    std::vector<int32_t> want(size_t(m) * n);
    ReferenceGemm(w, x, m, k, n, want);
    auto got = SibiaGemm(w, x, m, k, n, 7, 7);
    ASSERT_TRUE(got.ok()) << got.status().message();
    if (*got != want) ++mismatches, ADD_FAILURE() << "m=" << m << " k=" << k << " n=" << n;
  }
  EXPECT_EQ(mismatches, 0);
}

TEST(AqsGemm, LongRunsOfCompressedVectorsStayExact) {
  // K = 100 with every activation HO vector compressed but a few: runs far
  // longer than 15 force the escape vectors, which must still be exact.
  const int m = 5, k = 100, n = 6, z = 200;
  std::vector<int32_t> w(size_t(m) * k);
  std::vector<uint8_t> x(size_t(k) * n, 200);
  for (size_t i = 0; i < w.size(); ++i) w[i] = int(i * 37 % 127) - 63;
  x[17 * n + 2] = 3;
  x[90 * n + 5] = 255;
  std::vector<int32_t> xr(x.begin(), x.end()), want(size_t(m) * n);
  ReferenceGemm(w, xr, m, k, n, want);
  SliceGemmCounters c;
  auto got = AqsGemm(w, x, m, k, n, 7, z, 4, &c);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, want);
  EXPECT_GT(c.activations.ho_vector_sparsity, 0.98);
}

TEST(SliceGemm, RejectsMismatchedOperands) {
  auto w = SliceWeightsSbr(std::vector<int32_t>(6, 1), 2, 3, 7);
  auto x = SliceActivationsUnsigned(std::vector<uint8_t>(8, 1), 4, 2, 0);
  ASSERT_TRUE(w.ok() && x.ok());
  SliceGemmOperand wo = PrepareSliceOperand(*w), xo = PrepareSliceOperand(*x);
  std::vector<int32_t> bias(2), y(4);
  EXPECT_EQ(SliceGemmScalar(wo, xo, bias, y).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tp
