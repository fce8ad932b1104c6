// Internal: Atalanta's profiler — the choice of contiguous ranges.
#pragma once

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace tp::codec {

// What the table costs. Flat (precision_bits == 0): `bits_per_range` for
// every range, the textbook model. Serialized (precision_bits > 0): the bits
// the stream spends (atalanta_table.h): `fixed_bits` once, gamma(K) and the
// index of the range whose frequency is implied, then a gamma-coded size for
// every range but the last and a gamma-coded frequency (>= 1) for every range
// but the implied one, each frequency estimated as the range's count scaled to
// 2^precision_bits (EstimatedFrequency; the table's own precision).
struct TableCost {
  double bits_per_range = 0;
  int precision_bits = 0;
  double fixed_bits = 0;
};
inline TableCost FlatTableCost(double bits_per_range) { return {bits_per_range, 0, 0}; }
inline TableCost SerializedTableCost(int precision_bits, double fixed_bits) { return {0, precision_bits, fixed_bits}; }

// count * 2^P / total, rounded, at least 1 for a non-empty range: what
// NormalizeFrequencies gives up to its rounding repair.
uint32_t EstimatedFrequency(uint64_t count, uint64_t total, int precision_bits);

// The cost, in bits, of coding values with histogram `hist` (alphabet of
// hist.size() codes) when the alphabet is cut into ranges starting at
// `starts` (starts[0] == 0, increasing; infinite if a range holds no value,
// which the table cannot express): for every range, the symbol's ideal
// cost -c*log2(c/N), c raw offsets of ceil(log2(size)) bits, and the table
// under `table` (serialized: with the best choice of implied frequency).
double PartitionCost(std::span<const uint64_t> hist, std::span<const int> starts, const TableCost& table);

struct Partition {
  std::vector<int> starts;
  int implied = 0;  // serialized cost: the range whose frequency the table implies
  double cost_bits = 0;
};
// The partition into at most `max_ranges` ranges of least PartitionCost, by
// dynamic programming over range boundaries: best[k][j][s] is the cheapest
// cut of codes [0, j) into k ranges (s: one of them is the implied-frequency
// range), best[k][j][s] = min_i best[k-1][i][s'] + cost(i, j). Symbol costs
// add up per range (-c log2 c, plus N log2 N once), and so do the table bits
// (each range's depend only on its own size and count, on whether it ends the
// alphabet and on whether it is the implied one; gamma(K) and the index are
// added per K at the end), so the recurrence is exact and the result
// optimal; fewer ranges win whenever they are cheaper. O(max_ranges * A^2).
// `max_offset_bits` caps every range's offset width (atalanta-rans folds the
// offsets into 32-bit rANS states, which holds P + width <= 16): only ranges
// of at most 2^max_offset_bits codes are considered. When no cut into at most
// max_ranges non-empty ranges that small exists, starts is empty and
// cost_bits infinite (the caller then relaxes the cap).
Partition OptimalPartition(std::span<const uint64_t> hist, int max_ranges, const TableCost& table,
                           int max_offset_bits = 8);

// Both of Atalanta's candidates at once, exactly as two OptimalPartition
// calls would give them: ranges tiling all of `hist` under `all_table`, and
// ranges tiling only codes first..last (those from the first to the last
// that occur) under `used_table`. Where both programmes see the same range
// span (used codes at least the offset cap), the second reuses the first's
// cost table (its rows first..last, the last column rewritten) instead of
// building its own: the table was about half of each call's time.
std::pair<Partition, Partition> OptimalPartitionsAllAndUsed(std::span<const uint64_t> hist, int first, int last,
                                                            int max_ranges, const TableCost& all_table,
                                                            const TableCost& used_table, int max_offset_bits = 8);

}  // namespace tp::codec
