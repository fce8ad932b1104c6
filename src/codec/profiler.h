// Internal: Atalanta's profiler — the choice of contiguous ranges.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace tp::codec {

// The cost, in bits, of coding values with histogram `hist` (alphabet of
// hist.size() codes) when the alphabet is cut into ranges starting at
// `starts` (starts[0] == 0, increasing): for every range, the symbol's ideal
// cost -c*log2(c/N), c raw offsets of ceil(log2(size)) bits and
// `table_bits_per_range` bits of table.
double PartitionCost(std::span<const uint64_t> hist, std::span<const int> starts,
                     int table_bits_per_range);

struct Partition {
  std::vector<int> starts;
  double cost_bits = 0;
};
// The partition into at most `max_ranges` ranges of least PartitionCost, by
// dynamic programming over range boundaries: best[k][j] is the cheapest cut of
// codes [0, j) into k ranges, best[k][j] = min_i best[k-1][i] + cost(i, j).
// Symbol costs add up per range (-c log2 c, plus N log2 N once), so the
// recurrence is exact and the result optimal. O(max_ranges * A^2).
// `max_offset_bits` caps every range's offset width (atalanta-rans folds the
// offsets into 32-bit rANS states, which holds P + width <= 16): only ranges
// of at most 2^max_offset_bits codes are considered. The caller keeps the cut
// feasible (max_ranges << max_offset_bits >= hist.size()); otherwise starts
// is empty and cost_bits infinite.
Partition OptimalPartition(std::span<const uint64_t> hist, int max_ranges, int table_bits_per_range,
                           int max_offset_bits = 8);

}  // namespace tp::codec
