// The profiler's vector kernel against its scalar reference: the same
// partition, implied range and cost (bit for bit) on every Highway target
// this build has and this CPU runs, on random, sparse, skewed and
// adversarial histograms, flat and serialized costs, capped and not.
#include <gtest/gtest.h>
#include <hwy/targets.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "codec/profiler.h"
#include "codec/profiler_simd.h"

namespace tp::codec {
namespace {

std::vector<uint64_t> RandomHistogram(std::mt19937& rng, int a, int mode) {
  std::vector<uint64_t> h(a);
  for (int v = 0; v < a; ++v) {
    switch (mode) {
      case 0: h[v] = rng() % 1000; break;
      case 1: h[v] = rng() % 3 == 0 ? 0 : rng() % 50; break;                  // gaps
      case 2: h[v] = rng() % 10 == 0 ? rng() % 100000 : 0; break;             // sparse
      default: h[v] = uint64_t(1e6 * std::exp(-0.05 * std::abs(v - a / 2))); // a bell
    }
  }
  return h;
}

TEST(ProfilerSimd, SamePartitionsAsTheScalarLoopOnEveryTarget) {
  for (int64_t target : hwy::SupportedAndGeneratedTargets()) {
    hwy::SetSupportedTargetsForTest(target);
    std::mt19937 rng{static_cast<uint32_t>(target)};
    for (int trial = 0; trial < 150; ++trial) {
      const int a = trial % 3 == 0 ? 256 : 1 + int(rng() % 256);
      const std::vector<uint64_t> h = RandomHistogram(rng, a, trial % 4);
      const int k = 1 + int(rng() % 20);
      const TableCost table = (trial & 1) ? SerializedTableCost(8 + int(rng() % 5), 20 + int(rng() % 5))
                                          : FlatTableCost(18);
      const int cap = trial % 5 == 0 ? 30 : 1 + int(rng() % 8);
      SetProfilerSimdForTesting(false);
      const Partition want = OptimalPartition(h, k, table, cap);
      SetProfilerSimdForTesting(true);
      const Partition got = OptimalPartition(h, k, table, cap);
      const std::string what = std::string(hwy::TargetName(target)) + " trial " + std::to_string(trial);
      EXPECT_EQ(got.starts, want.starts) << what;
      EXPECT_EQ(got.implied, want.implied) << what;
      if (std::isinf(want.cost_bits)) {
        EXPECT_TRUE(std::isinf(got.cost_bits)) << what;
      } else {
        EXPECT_EQ(got.cost_bits, want.cost_bits) << what;
      }
    }
  }
  hwy::SetSupportedTargetsForTest(0);
  SetProfilerSimdForTesting(true);
}

}  // namespace
}  // namespace tp::codec
