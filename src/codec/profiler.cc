#include "codec/profiler.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "codec/codec_format.h"

namespace tp::codec {
namespace {

double CLog2C(uint64_t c) { return c ? double(c) * std::log2(double(c)) : 0.0; }

}  // namespace

double PartitionCost(std::span<const uint64_t> hist, std::span<const int> starts,
                     int table_bits_per_range) {
  uint64_t n = 0;
  for (uint64_t c : hist) n += c;
  double cost = CLog2C(n);
  for (size_t r = 0; r < starts.size(); ++r) {
    const int begin = starts[r];
    const int end = r + 1 < starts.size() ? starts[r + 1] : static_cast<int>(hist.size());
    uint64_t c = 0;
    for (int v = begin; v < end; ++v) c += hist[v];
    cost += -CLog2C(c) + double(c) * OffsetBits(static_cast<uint32_t>(end - begin)) + table_bits_per_range;
  }
  return cost;
}

Partition OptimalPartition(std::span<const uint64_t> hist, int max_ranges, int table_bits_per_range,
                           int max_offset_bits) {
  const int a = static_cast<int>(hist.size());
  const int kmax = std::max(1, std::min(max_ranges, a));
  const int max_size = max_offset_bits >= 30 ? a : std::max(1, 1 << std::max(0, max_offset_bits));
  std::vector<uint64_t> prefix(a + 1, 0);
  for (int v = 0; v < a; ++v) prefix[v + 1] = prefix[v] + hist[v];
  // cost(i, j) of range [i, j), computed once for all K (A^2/2 logarithms).
  std::vector<double> cost(size_t(a + 1) * (a + 1), 0.0);
  for (int i = 0; i < a; ++i)
    for (int j = i + 1; j <= a; ++j) {
      const uint64_t c = prefix[j] - prefix[i];
      cost[size_t(i) * (a + 1) + j] =
          -CLog2C(c) + double(c) * OffsetBits(static_cast<uint32_t>(j - i)) + table_bits_per_range;
    }
  auto range_cost = [&](int i, int j) { return cost[size_t(i) * (a + 1) + j]; };
  const double inf = std::numeric_limits<double>::infinity();
  // best[k][j], from[k][j]: k ranges covering [0, j).
  std::vector<std::vector<double>> best(kmax + 1, std::vector<double>(a + 1, inf));
  std::vector<std::vector<int>> from(kmax + 1, std::vector<int>(a + 1, -1));
  best[0][0] = 0;
  for (int k = 1; k <= kmax; ++k)
    for (int j = k; j <= a; ++j)
      for (int i = std::max(k - 1, j - max_size); i < j; ++i) {
        if (best[k - 1][i] == inf) continue;
        const double c = best[k - 1][i] + range_cost(i, j);
        if (c < best[k][j]) {
          best[k][j] = c;
          from[k][j] = i;
        }
      }
  int k_best = 1;
  for (int k = 2; k <= kmax; ++k)
    if (best[k][a] < best[k_best][a]) k_best = k;
  Partition p;
  if (best[k_best][a] == inf) {
    p.cost_bits = inf;
    return p;
  }
  p.cost_bits = best[k_best][a] + CLog2C(prefix[a]);
  p.starts.resize(k_best);
  for (int k = k_best, j = a; k > 0; --k) {
    j = from[k][j];
    p.starts[k - 1] = j;
  }
  return p;
}

}  // namespace tp::codec
