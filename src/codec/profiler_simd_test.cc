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

// Both of Atalanta's candidates from one cost table, against two separate
// OptimalPartition calls: the same partitions, implied ranges and costs, bit
// for bit, with histograms whose used codes start and end anywhere (and at
// the alphabet's ends), capped and not, flat and serialized costs.
TEST(ProfilerSimd, SharedTableGivesBothPartitionsOfTwoCalls) {
  std::mt19937 rng{77};
  for (int trial = 0; trial < 120; ++trial) {
    std::vector<uint64_t> h = RandomHistogram(rng, 256, trial % 4);
    int first = trial % 5 == 0 ? 0 : int(rng() % 80), last = trial % 7 == 0 ? 255 : 255 - int(rng() % 80);
    for (int v = 0; v < first; ++v) h[v] = 0;
    for (int v = last + 1; v < 256; ++v) h[v] = 0;
    h[first] += 1 + rng() % 50;
    h[last] += 1 + rng() % 50;
    const int k = 1 + int(rng() % 20);
    const int cap = trial % 6 == 0 ? 30 : 4 + int(rng() % 5);
    const int p = 8 + int(rng() % 5);
    const TableCost all = (trial & 1) ? SerializedTableCost(p, 20) : FlatTableCost(18);
    const TableCost used = (trial & 1) ? SerializedTableCost(p, 36) : FlatTableCost(18);
    const Partition want_all = OptimalPartition(h, k, all, cap);
    const Partition want_used =
        OptimalPartition(std::span<const uint64_t>(h).subspan(size_t(first), size_t(last - first + 1)), k, used, cap);
    const auto [got_all, got_used] = OptimalPartitionsAllAndUsed(h, first, last, k, all, used, cap);
    const std::string what = "trial " + std::to_string(trial) + " codes " + std::to_string(first) + ".." +
                             std::to_string(last) + " cap " + std::to_string(cap);
    EXPECT_EQ(got_all.starts, want_all.starts) << what;
    EXPECT_EQ(got_all.implied, want_all.implied) << what;
    EXPECT_EQ(got_used.starts, want_used.starts) << what;
    EXPECT_EQ(got_used.implied, want_used.implied) << what;
    if (std::isinf(want_all.cost_bits)) {
      EXPECT_TRUE(std::isinf(got_all.cost_bits)) << what;
    } else {
      EXPECT_EQ(got_all.cost_bits, want_all.cost_bits) << what;
    }
    if (std::isinf(want_used.cost_bits)) {
      EXPECT_TRUE(std::isinf(got_used.cost_bits)) << what;
    } else {
      EXPECT_EQ(got_used.cost_bits, want_used.cost_bits) << what;
    }
  }
}

}  // namespace
}  // namespace tp::codec
