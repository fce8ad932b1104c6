#include <gtest/gtest.h>
#include <hwy/targets.h>

#include <cstdio>
#include <random>

#include "tensorpress/gemm.h"

namespace tp {
namespace {

// Every compiled-in SIMD target this CPU supports must equal the scalar
// kernel bit for bit, on AQS (asymmetric, DBS) and Sibia problems.
TEST(SliceGemmSimd, EveryTargetEqualsTheScalarKernel) {
  std::mt19937 rng(99);
  std::uniform_real_distribution<double> u(0, 1);
  int targets_run = 0;
  for (int64_t target : hwy::SupportedAndGeneratedTargets()) {
    hwy::SetSupportedTargetsForTest(target);
    ++targets_run;
    std::printf("  SIMD target %s\n", hwy::TargetName(target));
    for (int problem = 0; problem < 600; ++problem) {
      const int m = 1 + rng() % 19, k = 1 + rng() % 45, n = 1 + rng() % 37;
      const int bits = problem % 5 == 0 ? 4 : problem % 7 == 0 ? 10 : 7;
      const int wmax = (1 << (bits - 1)) - 1;
      const double pw = (rng() % 3) / 2.0, px = (rng() % 3) / 2.0;
      std::vector<int32_t> w(size_t(m) * k);
      for (auto& v : w) v = u(rng) < pw ? int(rng() % 16) - 8 : int(rng() % (2 * wmax + 1)) - wmax;
      auto wsl = SliceWeightsSbr(w, m, k, bits);
      ASSERT_TRUE(wsl.ok());
      SliceGemmOperand wo = PrepareSliceOperand(*wsl);
      StatusOr<SlicedOperand> xsl = Status(StatusCode::kInternal, "unset");
      if (problem % 3 == 2) {
        std::vector<int32_t> x(size_t(k) * n);
        const int xbits = problem % 2 ? 7 : 4;  // 4-bit SBR activations have no LO slice
        for (auto& v : x) v = u(rng) < px || xbits == 4 ? int(rng() % 16) - 8 : int(rng() % 127) - 63;
        xsl = SliceActivationsSbr(x, k, n, xbits);
      } else {
        const int z = rng() % 256, lo_bits = 4 + (problem % 4 == 1 ? int(rng() % 3) : 0);
        std::vector<uint8_t> x(size_t(k) * n);
        for (auto& v : x)
          v = static_cast<uint8_t>(u(rng) < px ? ((z >> lo_bits) << lo_bits) + int(rng() % (1 << lo_bits)) : rng() % 256);
        xsl = SliceActivationsUnsigned(x, k, n, z, lo_bits);
      }
      ASSERT_TRUE(xsl.ok());
      SliceGemmOperand xo = PrepareSliceOperand(*xsl);
      std::vector<int32_t> bias = CompensationBias(wo, xo), want(size_t(m) * n), got(want.size());
      ASSERT_TRUE(SliceGemmScalar(wo, xo, bias, want).ok());
      ASSERT_TRUE(SliceGemmSimd(wo, xo, bias, got).ok());
      ASSERT_EQ(got, want) << hwy::TargetName(target) << " m=" << m << " k=" << k << " n=" << n;
    }
  }
  hwy::SetSupportedTargetsForTest(0);
  EXPECT_GE(targets_run, 1);
}

}  // namespace
}  // namespace tp
