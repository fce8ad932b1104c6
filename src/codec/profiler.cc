#include "codec/profiler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "codec/atalanta_table.h"
#include "codec/codec_format.h"
#include "codec/profiler_simd.h"

namespace tp::codec {
namespace {

double CLog2C(uint64_t c) { return c ? double(c) * std::log2(double(c)) : 0.0; }

// CLog2C's values for c < 2^14 (128 KiB, built once): ranges of small
// tensors, where the profiler's table is most of the encoding time, never
// leave it.
constexpr uint64_t kSmallCounts = uint64_t(1) << 14;
const double* CLog2CSmall() {
  static const std::vector<double> table = [] {
    std::vector<double> t(kSmallCounts);
    for (uint64_t v = 0; v < kSmallCounts; ++v) t[v] = CLog2C(v);
    return t;
  }();
  return table.data();
}

bool Serialized(const TableCost& t) { return t.precision_bits > 0; }

// Bits that depend on K alone.
double CountBits(const TableCost& t, int k) {
  return Serialized(t) ? t.fixed_bits + AtalantaCountBits(k) : 0.0;
}

}  // namespace

uint32_t EstimatedFrequency(uint64_t count, uint64_t total, int precision_bits) {
  if (count == 0 || total == 0) return 0;
  const uint64_t scale = uint64_t(1) << precision_bits;
  const auto f = static_cast<uint64_t>(std::llround(double(count) * double(scale) / double(total)));
  return static_cast<uint32_t>(std::clamp<uint64_t>(f, 1, scale));
}

double PartitionCost(std::span<const uint64_t> hist, std::span<const int> starts, const TableCost& table) {
  const int a = static_cast<int>(hist.size());
  uint64_t n = 0;
  for (uint64_t c : hist) n += c;
  double cost = CLog2C(n) + CountBits(table, static_cast<int>(starts.size()));
  int max_freq_bits = 0;
  for (size_t r = 0; r < starts.size(); ++r) {
    const int begin = starts[r];
    const int end = r + 1 < starts.size() ? starts[r + 1] : a;
    uint64_t c = 0;
    for (int v = begin; v < end; ++v) c += hist[v];
    if (c == 0) return std::numeric_limits<double>::infinity();
    cost += -CLog2C(c) + double(c) * OffsetBits(static_cast<uint32_t>(end - begin));
    if (!Serialized(table)) {
      cost += table.bits_per_range;
      continue;
    }
    const int freq_bits = GammaBits(EstimatedFrequency(c, n, table.precision_bits));
    cost += (end == a ? 0 : GammaBits(static_cast<uint32_t>(end - begin))) + freq_bits;
    max_freq_bits = std::max(max_freq_bits, freq_bits);
  }
  return cost - max_freq_bits;  // the costliest frequency is the implied one
}

namespace {

// cost(i, j) of range [i, j) without its frequency, and its frequency's
// bits, computed once for all K, only for ranges of at most `span` codes
// (atalanta-rans caps them at 2^(16-P): 64 codes at P = 10, so A * 64
// logarithms rather than A^2 / 2). Entry (i, j) is at i * span + j - i - 1,
// padded: the vector kernel reads (never writes) up to kProfilerPad cells
// past a row.
struct CostTable {
  int span = 0;
  std::vector<double> cost, freq_bits;
};

// The range [i, j)'s symbol and offset bits, -c log2 c + c * width, as the
// table computes it (the size's gamma bits are added to it separately).
double RangeBits(uint64_t c, int width, const double* clog_small, const double* width_bits) {
  const double clog = c < kSmallCounts ? clog_small[c] : CLog2C(c);
  return -clog + double(c) * width_bits[width];
}

void BuildCostTable(const uint64_t* prefix, int a, int span, const TableCost& table, CostTable* t) {
  const bool serialized = Serialized(table);
  const uint64_t n = prefix[a];
  const double inf = std::numeric_limits<double>::infinity();
  t->span = span;
  t->cost.assign(size_t(a) * size_t(span) + kProfilerPad, inf);
  t->freq_bits.assign(size_t(a) * size_t(span) + kProfilerPad, 0.0);
  // Every term below is the value PartitionCost uses, computed once per
  // distinct argument rather than per cell (the cells' logarithms and
  // divisions were most of a call's time on small tensors): the offset width
  // and the size's gamma bits depend on the width j - i alone; the
  // frequency's gamma bits, 2 bit_width(f) - 1, on how many of the P
  // thresholds 2^b the estimate f = EstimatedFrequency(c) reaches, and f is
  // monotone in c, so each threshold is the least count that reaches it
  // (found by bisection on EstimatedFrequency itself); and c log2 c comes
  // from a table for small c (CLog2CSmall, the same function's values).
  std::vector<double> width_bits(size_t(span) + 1, 0.0), size_bits(size_t(span) + 1, 0.0);
  for (int w = 1; w <= span; ++w) {
    width_bits[w] = OffsetBits(static_cast<uint32_t>(w));
    size_bits[w] = GammaBits(static_cast<uint32_t>(w));
  }
  uint64_t reach[32];  // reach[b - 1]: the least count whose estimate is >= 2^b (n + 1: none)
  const int thresholds = serialized ? table.precision_bits : 0;
  for (int b = 1; b <= thresholds; ++b) {
    uint64_t lo = 1, hi = n + 1;
    while (lo < hi) {
      const uint64_t mid = lo + (hi - lo) / 2;
      if (EstimatedFrequency(mid, n, table.precision_bits) >= (uint32_t(1) << b)) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    reach[b - 1] = lo;
  }
  // Everything the loop reads is hoisted into locals and row pointers: with
  // the table's guard and the lambdas inside, the compiler kept the loop's
  // counters on the stack (a store-to-load chain per cell).
  const double* const clog_small = CLog2CSmall();
  const double bits_per_range = table.bits_per_range;
  const uint64_t* const pre = prefix;
  const double* const wbits = width_bits.data();
  const double* const sbits = size_bits.data();
  for (int i = 0; i < a; ++i) {
    int reached = 0;  // thresholds reached by the count so far; counts grow along the row
    const uint64_t base = pre[i];
    double* const crow = t->cost.data() + size_t(i) * size_t(span);  // cell (i, i + 1 + d) at d
    double* const frow = t->freq_bits.data() + size_t(i) * size_t(span);
    const int d_end = std::min(a, i + span) - i;
    for (int d = 0; d < d_end; ++d) {
      const int w = d + 1, j = i + w;
      const uint64_t c = pre[j] - base;
      if (c == 0) continue;  // a range must hold a value (its frequency is at least 1)
      double x = RangeBits(c, w, clog_small, wbits);
      if (!serialized) {
        x += bits_per_range;
      } else {
        x += j == a ? 0 : sbits[w];
        while (reached < thresholds && c >= reach[reached]) ++reached;
        frow[d] = 2 * (reached + 1) - 1;
      }
      crow[d] = x;
    }
  }
}

// The dynamic programme and the path back, over a table built for an
// alphabet of `a` codes.
// With several tables (all flat or all serialized, differing only in the
// bits that depend on K alone), one programme serves them all: out[t] is
// tables[t]'s partition.
void SolvePartitions(int a, int span, int kmax, const double* cost, const double* freq_bits, uint64_t n,
                     std::span<const TableCost> tables, Partition* out) {
  const bool serialized = Serialized(tables[0]);
  const double inf = std::numeric_limits<double>::infinity();
  const size_t stride = size_t(a) + 1;
  auto at = [&](int i, int j) { return size_t(i) * size_t(span) + size_t(j - i - 1); };
  // best[s][k][j]: the least cost of k ranges covering [0, j); s = 1 once
  // the implied range is among them (always, for the flat cost).
  auto idx = [&](int k, int j) { return size_t(k) * stride + j; };
  const size_t cells = (kmax + 1) * stride + kProfilerPad;
  std::vector<double> best[2] = {std::vector<double>(cells, inf), std::vector<double>(cells, inf)};
  best[serialized ? 0 : 1][idx(0, 0)] = 0;
  // k ranges of at most `span` codes end at most at k * span: the DP visits
  // only those ends (for atalanta-rans's 16-code cap, about half of A * K).
  // Each (k, j) is the minimum over its candidates i. The loops run over i
  // outside and over the cells j inside (profiler_simd.h: a vector of cells
  // at a time), keeping minima only; the path is recovered below. Measured
  // on Zen 4 (a 256-code int8 histogram, K = 16, serialized cost), per call:
  // 87 -> 78 us at a 16-code cap (P = 12), 425 -> 276 us at a 64-code cap
  // (P = 10) with argmin arrays kept beside the minima and the cost table
  // computed per cell; see BM_OptimalPartition for today's figures.
  const ProfilerRows rows{a, span, kmax, stride, cost, freq_bits, best[0].data(), best[1].data()};
  if (ProfilerSimdEnabled()) {
    RelaxRows(rows);
  } else {
    RelaxRowsScalar(rows);
  }
  for (size_t t = 0; t < tables.size(); ++t) {
    const TableCost& table = tables[t];
    Partition& p = out[t];
    int k_best = 1;
    for (int k = 2; k <= kmax; ++k)
      if (best[1][idx(k, a)] + CountBits(table, k) < best[1][idx(k_best, a)] + CountBits(table, k_best)) k_best = k;
    p = Partition{};
    if (best[1][idx(k_best, a)] == inf) {
      p.cost_bits = inf;
      continue;
    }
    p.cost_bits = best[1][idx(k_best, a)] + CountBits(table, k_best) + CLog2C(n);
    p.starts.resize(k_best);
    // Back from (k_best, a, s = 1): the candidate that gave each cell is the
    // first, in the order the rows offered them (i ascending; for s = 1 the
    // implied-here candidate before the implied-before one), whose sum equals
    // the cell, as the same additions in the same order give the same double.
    // That is the one strict-less updates in that order would have kept.
    for (int k = k_best, j = a, s = 1; k > 0; --k) {
      const double target = best[s][idx(k, j)];
      const double* b0 = best[0].data() + idx(k - 1, 0);
      const double* b1 = best[1].data() + idx(k - 1, 0);
      int prev = -1;
      for (int i = std::max(k - 1, j - span); i < j && prev < 0; ++i) {
        const double c = cost[at(i, j)], f = freq_bits[at(i, j)];
        if (s == 0) {
          if (b0[i] + c + f == target) prev = 2 * i;
        } else if (b0[i] + c == target) {
          prev = 2 * i;
        } else if (b1[i] + c + f == target) {
          prev = 2 * i + 1;
        }
      }
      if (prev < 0) {  // cannot happen (the cell is one of its candidates' sums); never a wrong table
        p.starts.clear();
        p.cost_bits = inf;
        break;
      }
      if (s == 1 && (prev & 1) == 0) p.implied = k - 1;
      j = prev >> 1;
      s = prev & 1;
      p.starts[k - 1] = j;
    }
    if (!serialized && !p.starts.empty()) p.implied = k_best - 1;
  }
}

}  // namespace

Partition OptimalPartition(std::span<const uint64_t> hist, int max_ranges, const TableCost& table,
                           int max_offset_bits) {
  const int a = static_cast<int>(hist.size());
  const int kmax = std::max(1, std::min(max_ranges, a));
  const int max_size = max_offset_bits >= 30 ? a : std::max(1, 1 << std::max(0, max_offset_bits));
  std::vector<uint64_t> prefix(a + 1, 0);
  for (int v = 0; v < a; ++v) prefix[v + 1] = prefix[v] + hist[v];
  const uint64_t n = prefix[a];
  if (n == 0) return Partition{{0}, 0, std::numeric_limits<double>::infinity()};
  const int span = std::min(a, max_size);
  CostTable t;
  BuildCostTable(prefix.data(), a, span, table, &t);
  Partition p;
  SolvePartitions(a, span, kmax, t.cost.data(), t.freq_bits.data(), n, std::span<const TableCost>(&table, 1), &p);
  return p;
}

std::pair<Partition, Partition> OptimalPartitionsAllAndUsed(std::span<const uint64_t> hist, int first, int last,
                                                            int max_ranges, const TableCost& all_table,
                                                            const TableCost& used_table, int max_offset_bits) {
  const int a = static_cast<int>(hist.size());
  const int a_used = last - first + 1;
  const int max_size = max_offset_bits >= 30 ? a : std::max(1, 1 << std::max(0, max_offset_bits));
  const int span = std::min(a, max_size);
  // One table serves both when both programmes see the same span and the
  // same per-range costs (the fixed bits differ, which only CountBits adds).
  const bool shared = std::min(a_used, max_size) == span && Serialized(all_table) == Serialized(used_table) &&
                      all_table.precision_bits == used_table.precision_bits &&
                      all_table.bits_per_range == used_table.bits_per_range;
  if (!shared || first < 0 || last >= a || first > last) {
    return {OptimalPartition(hist, max_ranges, all_table, max_offset_bits),
            OptimalPartition(hist.subspan(size_t(first), size_t(a_used)), max_ranges, used_table, max_offset_bits)};
  }
  std::vector<uint64_t> prefix(a + 1, 0);
  for (int v = 0; v < a; ++v) prefix[v + 1] = prefix[v] + hist[v];
  const uint64_t n = prefix[a];
  if (n == 0) {
    const Partition none{{0}, 0, std::numeric_limits<double>::infinity()};
    return {none, none};
  }
  CostTable t;
  BuildCostTable(prefix.data(), a, span, all_table, &t);
  std::pair<Partition, Partition> out;
  const int kmax = std::max(1, std::min(max_ranges, a));
  if (first == 0 && last == a - 1) {
    // The same alphabet twice: one programme, two choices of K and paths.
    const TableCost tables[2] = {all_table, used_table};
    Partition both[2];
    SolvePartitions(a, span, kmax, t.cost.data(), t.freq_bits.data(), n, tables, both);
    return {std::move(both[0]), std::move(both[1])};
  }
  SolvePartitions(a, span, kmax, t.cost.data(), t.freq_bits.data(), n, std::span<const TableCost>(&all_table, 1),
                  &out.first);
  // The used codes' table is rows first..last of this one (same span, same
  // counts, widths and frequencies), except that a range ending at last + 1
  // ends that alphabet and pays no size bits: those cells are rewritten as
  // BuildCostTable writes an alphabet's last column.
  const int end = last + 1;
  if (end < a) {
    const double* const clog_small = CLog2CSmall();
    std::vector<double> width_bits(size_t(span) + 1, 0.0);
    for (int w = 1; w <= span; ++w) width_bits[w] = OffsetBits(static_cast<uint32_t>(w));
    for (int i = std::max(first, end - span); i < end; ++i) {
      const uint64_t c = prefix[end] - prefix[i];
      if (c == 0) continue;
      double x = RangeBits(c, end - i, clog_small, width_bits.data());
      if (!Serialized(all_table)) {
        x += all_table.bits_per_range;
      } else {
        x += 0;
      }
      t.cost[size_t(i) * size_t(span) + size_t(end - i - 1)] = x;
    }
  }
  const size_t offset = size_t(first) * size_t(span);
  SolvePartitions(a_used, span, std::max(1, std::min(max_ranges, a_used)), t.cost.data() + offset,
                  t.freq_bits.data() + offset, n, std::span<const TableCost>(&used_table, 1), &out.second);
  return out;
}

}  // namespace tp::codec
