// Internal: the inner step of the profiler's dynamic programme
// (profiler.cc), with a scalar reference and a Highway kernel chosen by
// HWY_DYNAMIC_DISPATCH; profiler_simd_test.cc holds them equal on every
// target, result for result.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tp::codec {

// The dynamic programme's rows k = 1..kmax (profiler.cc): every candidate
// range [i, j), i from k - 1 up, j = i + 1 + d for d < min(span, j_last - i)
// with j_last = min(a, k span), offered to the cells of row k: with
// c = cost[i span + d] (the range's cost without its frequency) and
// f = freq_bits[i span + d] (its frequency's bits), b0 = best0[k-1][i] and
// b1 = best1[k-1][i],
//   (b0 + c) + f   to best0[k][j]   the range pays its frequency
//   b0 + c         to best1[k][j]   its frequency is the implied one
//   (b1 + c) + f   to best1[k][j]   an earlier range's is implied
// each cell keeping the minimum. Only the minima are kept: profiler.cc
// finds which candidate gave a cell by recomputing the candidates of the
// few cells on the chosen path (the same additions give the same doubles),
// so the kernels move no argmin arrays. Rows are `stride` cells apart. The
// kernel may read (never write) up to kProfilerPad values past the end of
// cost, freq_bits and the row arrays.
inline constexpr size_t kProfilerPad = 64;
struct ProfilerRows {
  int a, span, kmax;
  size_t stride;
  const double* cost;
  const double* freq_bits;
  double* best0;
  double* best1;
};
void RelaxRowsScalar(const ProfilerRows& r);
void RelaxRows(const ProfilerRows& r);  // the dispatched kernel

// OptimalPartition uses RelaxRows unless a test turns it off (then
// RelaxRowsScalar).
bool ProfilerSimdEnabled();
void SetProfilerSimdForTesting(bool enabled);

}  // namespace tp::codec
