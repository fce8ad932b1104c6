// Highway bodies of the sparse GEMMs, bit-identical to the scalar kernels in
// sparse_gemm.cc: tokens run along the lanes, and each output keeps adding
// w * x in increasing k with a separate multiply and add (no fused
// multiply-add, whose single rounding would differ from the reference).
// Outputs are held in registers four vectors at a time across a whole
// weight row, so X is the only operand streamed from memory.
// GCC would otherwise fuse Mul + Add into FMA on targets that have it.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("fp-contract=off")
#endif
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/sparse_gemm_simd.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include "kernels/sparse_gemm_simd.h"

HWY_BEFORE_NAMESPACE();
namespace tp::sparse::simd {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Lane loads of X as accumulator vectors.
struct F32Ops {
  using T = float;
  using A = float;
  hn::ScalableTag<float> d;
  HWY_INLINE auto Load(const float* p) const { return hn::LoadU(d, p); }
  static A Mul(A w, T x) { return w * x; }
  static A Add(A a, A b) { return a + b; }
};
struct I8Ops {
  using T = int8_t;
  using A = int32_t;
  hn::ScalableTag<int32_t> d;
  hn::Rebind<int8_t, hn::ScalableTag<int32_t>> d8;
  HWY_INLINE auto Load(const int8_t* p) const { return hn::PromoteTo(d, hn::LoadU(d8, p)); }
  static A Mul(A w, T x) { return A(uint32_t(w) * uint32_t(int32_t(x))); }
  static A Add(A a, A b) { return A(uint32_t(a) + uint32_t(b)); }
};

// One output row: y[0..n) = sum over the row's entries of w_e * x[k_e, :].
// `entry(e, &k, &w)` yields the e-th entry of the row.
template <class Ops, class Entry>
HWY_INLINE void OutputRow(const Ops& ops, size_t entries, const Entry& entry, const typename Ops::T* x, int n,
                          typename Ops::A* y) {
  const auto& d = ops.d;
  const size_t lanes = hn::Lanes(d);
  size_t j = 0;
  for (; j + 4 * lanes <= size_t(n); j += 4 * lanes) {
    auto a0 = hn::Zero(d), a1 = hn::Zero(d), a2 = hn::Zero(d), a3 = hn::Zero(d);
    for (size_t e = 0; e < entries; ++e) {
      size_t k;
      typename Ops::A w;
      if (!entry(e, &k, &w)) continue;
      const auto vw = hn::Set(d, w);
      const typename Ops::T* xr = x + k * size_t(n) + j;
      a0 = hn::Add(a0, hn::Mul(vw, ops.Load(xr)));
      a1 = hn::Add(a1, hn::Mul(vw, ops.Load(xr + lanes)));
      a2 = hn::Add(a2, hn::Mul(vw, ops.Load(xr + 2 * lanes)));
      a3 = hn::Add(a3, hn::Mul(vw, ops.Load(xr + 3 * lanes)));
    }
    hn::StoreU(a0, d, y + j);
    hn::StoreU(a1, d, y + j + lanes);
    hn::StoreU(a2, d, y + j + 2 * lanes);
    hn::StoreU(a3, d, y + j + 3 * lanes);
  }
  for (; j + lanes <= size_t(n); j += lanes) {
    auto a = hn::Zero(d);
    for (size_t e = 0; e < entries; ++e) {
      size_t k;
      typename Ops::A w;
      if (entry(e, &k, &w)) a = hn::Add(a, hn::Mul(hn::Set(d, w), ops.Load(x + k * size_t(n) + j)));
    }
    hn::StoreU(a, d, y + j);
  }
  for (; j < size_t(n); ++j) {
    typename Ops::A a = 0;
    for (size_t e = 0; e < entries; ++e) {
      size_t k;
      typename Ops::A w;
      if (entry(e, &k, &w)) a = Ops::Add(a, Ops::Mul(w, x[k * size_t(n) + j]));
    }
    y[j] = a;
  }
}

template <class Ops>
void RowRuns(int rows, const uint32_t* ptr, const uint32_t* idx, const typename Ops::T* values,
             const typename Ops::T* x, int n, typename Ops::A* y) {
  const Ops ops;
  for (int r = 0; r < rows; ++r) {
    const uint32_t b = ptr[r];
    auto entry = [&](size_t e, size_t* k, typename Ops::A* w) {
      *k = idx[b + e];
      *w = values[b + e];
      return true;
    };
    OutputRow(ops, ptr[r + 1] - b, entry, x, n, y + size_t(r) * size_t(n));
  }
}

template <class Ops>
void Dense(const typename Ops::T* w, const typename Ops::T* x, int m, int k, int n, typename Ops::A* y) {
  const Ops ops;
  for (int r = 0; r < m; ++r) {
    const typename Ops::T* wr = w + size_t(r) * size_t(k);
    auto entry = [&](size_t e, size_t* kk, typename Ops::A* wv) {
      *kk = e;
      *wv = wr[e];
      return true;
    };
    OutputRow(ops, size_t(k), entry, x, n, y + size_t(r) * size_t(n));
  }
}

template <class Ops>
void Blocks(int rows, int cols, int br, int bc, const uint32_t* ptr, const uint32_t* bcol,
            const typename Ops::T* values, const typename Ops::T* x, int n, typename Ops::A* y) {
  const Ops ops;
  for (int r = 0; r < rows; ++r) {
    const int rb = r / br, rr = r % br;
    const uint32_t b0 = ptr[rb], nb = ptr[rb + 1] - b0;
    // Entry e: block b0 + e / bc, column e % bc of its row rr; columns past
    // the matrix edge (zero padding) are skipped.
    auto entry = [&](size_t e, size_t* k, typename Ops::A* w) {
      const size_t blk = b0 + e / size_t(bc), c = e % size_t(bc);
      *k = size_t(bcol[blk]) * size_t(bc) + c;
      if (*k >= size_t(cols)) return false;
      *w = values[(blk * size_t(br) + size_t(rr)) * size_t(bc) + c];
      return true;
    };
    OutputRow(ops, size_t(nb) * size_t(bc), entry, x, n, y + size_t(r) * size_t(n));
  }
}

template <class Ops>
void NmRows(int rows, int cols, int nn, int mm, const uint8_t* pos, const typename Ops::T* values,
            const typename Ops::T* x, int n, typename Ops::A* y) {
  const Ops ops;
  const size_t groups = (size_t(cols) + size_t(mm) - 1) / size_t(mm), per_row = groups * size_t(nn);
  for (int r = 0; r < rows; ++r) {
    const size_t b = size_t(r) * per_row;
    // Slots past a clipped tail group hold zero and have no X row.
    auto entry = [&](size_t e, size_t* k, typename Ops::A* w) {
      *k = (e / size_t(nn)) * size_t(mm) + pos[b + e];
      if (*k >= size_t(cols)) return false;
      *w = values[b + e];
      return true;
    };
    OutputRow(ops, per_row, entry, x, n, y + size_t(r) * size_t(n));
  }
}
void NmF32K(int rows, int cols, int nn, int mm, const uint8_t* pos, const float* v, const float* x, int n, float* y) {
  NmRows<F32Ops>(rows, cols, nn, mm, pos, v, x, n, y);
}
void NmI8K(int rows, int cols, int nn, int mm, const uint8_t* pos, const int8_t* v, const int8_t* x, int n,
           int32_t* y) {
  NmRows<I8Ops>(rows, cols, nn, mm, pos, v, x, n, y);
}

void RowRunsF32K(int rows, const uint32_t* ptr, const uint32_t* idx, const float* v, const float* x, int n, float* y) {
  RowRuns<F32Ops>(rows, ptr, idx, v, x, n, y);
}
void RowRunsI8K(int rows, const uint32_t* ptr, const uint32_t* idx, const int8_t* v, const int8_t* x, int n,
                int32_t* y) {
  RowRuns<I8Ops>(rows, ptr, idx, v, x, n, y);
}
void DenseF32K(const float* w, const float* x, int m, int k, int n, float* y) { Dense<F32Ops>(w, x, m, k, n, y); }
void DenseI8K(const int8_t* w, const int8_t* x, int m, int k, int n, int32_t* y) { Dense<I8Ops>(w, x, m, k, n, y); }
void BlocksF32K(int rows, int cols, int br, int bc, const uint32_t* ptr, const uint32_t* bcol, const float* v,
                const float* x, int n, float* y) {
  Blocks<F32Ops>(rows, cols, br, bc, ptr, bcol, v, x, n, y);
}
void BlocksI8K(int rows, int cols, int br, int bc, const uint32_t* ptr, const uint32_t* bcol, const int8_t* v,
               const int8_t* x, int n, int32_t* y) {
  Blocks<I8Ops>(rows, cols, br, bc, ptr, bcol, v, x, n, y);
}

}  // namespace HWY_NAMESPACE
}  // namespace tp::sparse::simd
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace tp::sparse::simd {
HWY_EXPORT(RowRunsF32K);
HWY_EXPORT(RowRunsI8K);
HWY_EXPORT(DenseF32K);
HWY_EXPORT(DenseI8K);
HWY_EXPORT(BlocksF32K);
HWY_EXPORT(BlocksI8K);
HWY_EXPORT(NmF32K);
HWY_EXPORT(NmI8K);

void NmF32(int rows, int cols, int nn, int mm, const uint8_t* pos, const float* v, const float* x, int n, float* y) {
  HWY_DYNAMIC_DISPATCH(NmF32K)(rows, cols, nn, mm, pos, v, x, n, y);
}
void NmI8(int rows, int cols, int nn, int mm, const uint8_t* pos, const int8_t* v, const int8_t* x, int n,
          int32_t* y) {
  HWY_DYNAMIC_DISPATCH(NmI8K)(rows, cols, nn, mm, pos, v, x, n, y);
}

void RowRunsF32(int rows, const uint32_t* ptr, const uint32_t* idx, const float* v, const float* x, int n, float* y) {
  HWY_DYNAMIC_DISPATCH(RowRunsF32K)(rows, ptr, idx, v, x, n, y);
}
void RowRunsI8(int rows, const uint32_t* ptr, const uint32_t* idx, const int8_t* v, const int8_t* x, int n,
               int32_t* y) {
  HWY_DYNAMIC_DISPATCH(RowRunsI8K)(rows, ptr, idx, v, x, n, y);
}
void DenseF32(const float* w, const float* x, int m, int k, int n, float* y) {
  HWY_DYNAMIC_DISPATCH(DenseF32K)(w, x, m, k, n, y);
}
void DenseI8(const int8_t* w, const int8_t* x, int m, int k, int n, int32_t* y) {
  HWY_DYNAMIC_DISPATCH(DenseI8K)(w, x, m, k, n, y);
}
void BlocksF32(int rows, int cols, int br, int bc, const uint32_t* ptr, const uint32_t* bcol, const float* v,
               const float* x, int n, float* y) {
  HWY_DYNAMIC_DISPATCH(BlocksF32K)(rows, cols, br, bc, ptr, bcol, v, x, n, y);
}
void BlocksI8(int rows, int cols, int br, int bc, const uint32_t* ptr, const uint32_t* bcol, const int8_t* v,
              const int8_t* x, int n, int32_t* y) {
  HWY_DYNAMIC_DISPATCH(BlocksI8K)(rows, cols, br, bc, ptr, bcol, v, x, n, y);
}
}  // namespace tp::sparse::simd
#endif  // HWY_ONCE
