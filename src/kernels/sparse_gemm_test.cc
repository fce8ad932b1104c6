#include <gtest/gtest.h>

#include <bit>
#include <cstring>
#include <random>
#include <vector>

#include "tensorpress/gemm.h"
#include "tensorpress/sparse.h"

namespace tp::sparse {
namespace {

template <typename T>
std::vector<T> RandomSparse(std::mt19937& rng, size_t count, double density) {
  std::vector<T> v(count, T(0));
  std::uniform_real_distribution<double> u(0, 1);
  for (auto& e : v)
    if (u(rng) < density) {
      if constexpr (std::is_same_v<T, float>) e = std::normal_distribution<float>(0, 1)(rng);
      else e = int8_t(int(rng() % 255) - 127);
    }
  return v;
}

template <typename A>
bool BitEqual(const std::vector<A>& a, const std::vector<A>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(A)) == 0;
}

// Hand example: W = [1 0 2; 0 3 0], X = [1 2; 3 4; 5 6] -> Y = [11 14; 9 12].
TEST(SparseGemm, HandExample) {
  const std::vector<float> w = {1, 0, 2, 0, 3, 0}, x = {1, 2, 3, 4, 5, 6}, want = {11, 14, 9, 12};
  std::vector<float> y(4);
  for (KernelPath p : {KernelPath::kScalar, KernelPath::kBest}) {
    ASSERT_TRUE(DenseGemm<float>(w, x, 2, 3, 2, y, p).ok());
    EXPECT_EQ(y, want);
    ASSERT_TRUE(CsrGemm<float>(Compress<float>(w, 2, 3, true), x, 2, y, p).ok());
    EXPECT_EQ(y, want);
    ASSERT_TRUE(BlockGemm<float>(CompressBlocks<float>(w, 2, 3, 2, 2), x, 2, y, p).ok());
    EXPECT_EQ(y, want);
    auto nm = CompressNm<float>(w, 2, 3, 1, 2);  // [1 0 | 2], [0 3 | 0]: 1:2
    ASSERT_TRUE(nm.ok());
    ASSERT_TRUE(NmGemm<float>(*nm, x, 2, y, p).ok());
    EXPECT_EQ(y, want);
  }
  ASSERT_TRUE(CscGemm<float>(Compress<float>(w, 2, 3, false), x, 2, y).ok());
  EXPECT_EQ(y, want);
}

// Every sparse kernel, scalar and SIMD, equals the dense scalar reference
// bit for bit on random shapes (token counts around the vector widths) and
// densities, including zero activations for EIE's input skipping.
template <typename T>
void CheckAllKernels(uint32_t seed) {
  std::mt19937 rng(seed);
  for (int trial = 0; trial < 60; ++trial) {
    const int m = 1 + int(rng() % 37), k = 1 + int(rng() % 70), n = 1 + int(rng() % 70);
    const double density = (1 + rng() % 10) / 10.0;
    std::vector<T> w = RandomSparse<T>(rng, size_t(m) * size_t(k), density);
    const std::vector<T> x = RandomSparse<T>(rng, size_t(k) * size_t(n), 0.7);
    std::vector<Acc<T>> want(size_t(m) * size_t(n)), got(want.size());
    ASSERT_TRUE(DenseGemm<T>(w, x, m, k, n, want, KernelPath::kScalar).ok());
    for (KernelPath p : {KernelPath::kScalar, KernelPath::kBest}) {
      SCOPED_TRACE(::testing::Message() << m << "x" << k << "x" << n << " density " << density << " path " << int(p));
      ASSERT_TRUE(DenseGemm<T>(w, x, m, k, n, got, p).ok());
      EXPECT_TRUE(BitEqual(got, want));
      ASSERT_TRUE(CsrGemm<T>(Compress<T>(w, m, k, true), x, n, got, p).ok());
      EXPECT_TRUE(BitEqual(got, want));
      const int br = 1 + int(rng() % 8), bc = 1 + int(rng() % 8);
      ASSERT_TRUE(BlockGemm<T>(CompressBlocks<T>(w, m, k, br, bc), x, n, got, p).ok());
      EXPECT_TRUE(BitEqual(got, want));
    }
    ASSERT_TRUE(CscGemm<T>(Compress<T>(w, m, k, false), x, n, got).ok());
    EXPECT_TRUE(BitEqual(got, want));
    // N:M: thin W to N:M (keep the first N non-zeros of each group) first.
    const int mm = 1 + int(rng() % 8), nn = 1 + int(rng() % mm);
    for (int r = 0; r < m; ++r)
      for (int g = 0; g < k; g += mm) {
        int kept = 0;
        for (int c = g; c < std::min(k, g + mm); ++c)
          if (w[size_t(r) * size_t(k) + size_t(c)] != T(0) && ++kept > nn) w[size_t(r) * size_t(k) + size_t(c)] = T(0);
      }
    ASSERT_TRUE(DenseGemm<T>(w, x, m, k, n, want, KernelPath::kScalar).ok());
    auto nm = CompressNm<T>(w, m, k, nn, mm);
    ASSERT_TRUE(nm.ok()) << nm.status().message();
    for (KernelPath p : {KernelPath::kScalar, KernelPath::kBest}) {
      ASSERT_TRUE(NmGemm<T>(*nm, x, n, got, p).ok());
      EXPECT_TRUE(BitEqual(got, want)) << nn << ":" << mm;
    }
  }
}

TEST(SparseGemm, F32KernelsEqualTheDenseReference) { CheckAllKernels<float>(1); }
TEST(SparseGemm, Int8KernelsEqualTheDenseReference) { CheckAllKernels<int8_t>(2); }

// The int8 dense reference agrees with the project's ReferenceGemm.
TEST(SparseGemm, Int8DenseMatchesProjectReference) {
  std::mt19937 rng(3);
  const int m = 9, k = 33, n = 17;
  auto w = RandomSparse<int8_t>(rng, m * k, 0.8), x = RandomSparse<int8_t>(rng, k * n, 0.8);
  std::vector<int32_t> w32(w.begin(), w.end()), x32(x.begin(), x.end()), want(m * n), got(m * n);
  ReferenceGemm(w32, x32, m, k, n, want);
  ASSERT_TRUE(DenseGemm<int8_t>(w, x, m, k, n, got, KernelPath::kBest).ok());
  EXPECT_EQ(got, want);
}

TEST(SparseGemm, RejectsMismatchedShapes) {
  std::vector<float> w(6), x(5), y(4);
  EXPECT_FALSE(DenseGemm<float>(w, x, 2, 3, 2, y).ok());
  EXPECT_FALSE(CsrGemm<float>(Compress<float>(w, 2, 3, false), std::vector<float>(6), 2, y).ok());
  NmMatrix<float> bad;
  bad.rows = 1, bad.cols = 4, bad.values = {1, 2}, bad.pos = {0, 7};
  std::vector<float> x4(4), y1(1);
  EXPECT_FALSE(NmGemm<float>(bad, x4, 1, y1).ok());
  EXPECT_FALSE(CompressNm<float>(std::vector<float>{1, 1, 1, 0}, 1, 4, 2, 4).ok());
}

}  // namespace
}  // namespace tp::sparse
