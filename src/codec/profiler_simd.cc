// The profiler's inner step (profiler_simd.h): candidates for 16-64
// consecutive cells j are independent, so the kernel takes a vector of them
// at a time, doing exactly the scalar reference's double additions in the
// same order and keeping the same minima, hence the same cells bit for bit.
// The scalar form is a chain of dependent selects per cell, the whole cost
// of the profiler on small tensors (figures in profiler.cc).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "codec/profiler_simd.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include <algorithm>
#include <atomic>
#include <cmath>

#include "codec/profiler_simd.h"

HWY_BEFORE_NAMESPACE();
namespace tp::codec {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

HWY_INLINE void RelaxCells(double b0s, double b1s, const double* rc, const double* fb, size_t count, double* m0p,
                           double* m1p) {
  const hn::ScalableTag<double> d;
  const size_t N = hn::Lanes(d);
  const auto b0 = hn::Set(d, b0s), b1 = hn::Set(d, b1s);
  const auto inf = hn::Set(d, HUGE_VAL);
  for (size_t k = 0; k < count; k += N) {
    const auto valid = hn::FirstN(d, count - k);
    const auto c = hn::IfThenElse(valid, hn::LoadU(d, rc + k), inf);
    const auto f = hn::LoadU(d, fb + k);
    const auto implied_here = hn::Add(b0, c);
    const auto with_freq = hn::Add(implied_here, f);
    const auto implied_before = hn::Add(hn::Add(b1, c), f);
    const auto m0 = hn::Min(hn::LoadU(d, m0p + k), with_freq);
    const auto m1 = hn::Min(hn::Min(hn::LoadU(d, m1p + k), implied_here), implied_before);
    hn::BlendedStore(m0, valid, d, m0p + k);
    hn::BlendedStore(m1, valid, d, m1p + k);
  }
}

void RelaxRowsK(const ProfilerRows& r) {
  const double inf = HUGE_VAL;
  for (int k = 1; k <= r.kmax; ++k) {
    const double* b0 = r.best0 + size_t(k - 1) * r.stride;
    const double* b1 = r.best1 + size_t(k - 1) * r.stride;
    const size_t row = size_t(k) * r.stride;
    const int j_last = static_cast<int>(std::min<int64_t>(r.a, int64_t(k) * r.span));
    for (int i = k - 1; i < j_last; ++i) {
      if (b0[i] == inf && b1[i] == inf) continue;  // every candidate through i is inf
      const size_t at = size_t(i) * size_t(r.span), j0 = row + size_t(i) + 1;
      RelaxCells(b0[i], b1[i], r.cost + at, r.freq_bits + at, size_t(std::min(r.span, j_last - i)), r.best0 + j0,
                 r.best1 + j0);
    }
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace tp::codec
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace tp::codec {
HWY_EXPORT(RelaxRowsK);

void RelaxRows(const ProfilerRows& r) { HWY_DYNAMIC_DISPATCH(RelaxRowsK)(r); }

namespace {
std::atomic<bool> simd_enabled{true};
}  // namespace
bool ProfilerSimdEnabled() { return simd_enabled.load(std::memory_order_relaxed); }
void SetProfilerSimdForTesting(bool enabled) { simd_enabled.store(enabled); }

void RelaxRowsScalar(const ProfilerRows& r) {
  const double inf = HUGE_VAL;
  for (int k = 1; k <= r.kmax; ++k) {
    const double* b0 = r.best0 + size_t(k - 1) * r.stride;
    const double* b1 = r.best1 + size_t(k - 1) * r.stride;
    double* m0 = r.best0 + size_t(k) * r.stride;
    double* m1 = r.best1 + size_t(k) * r.stride;
    const int j_last = static_cast<int>(std::min<int64_t>(r.a, int64_t(k) * r.span));
    for (int i = k - 1; i < j_last; ++i) {
      if (b0[i] == inf && b1[i] == inf) continue;
      const double* rc = r.cost + size_t(i) * size_t(r.span);
      const double* fb = r.freq_bits + size_t(i) * size_t(r.span);
      for (int d = 0; d < std::min(r.span, j_last - i); ++d) {
        const int j = i + 1 + d;
        const double c = rc[d], f = fb[d];
        const double with_freq = b0[i] + c + f, implied_here = b0[i] + c, implied_before = b1[i] + c + f;
        m0[j] = std::min(m0[j], with_freq);
        m1[j] = std::min(std::min(m1[j], implied_here), implied_before);
      }
    }
  }
}
}  // namespace tp::codec
#endif  // HWY_ONCE
