// The slice GEMM on Highway SIMD (dynamic dispatch), bit-identical to
// SliceGemmScalar. Tokens run along the vector lanes: activation slices are
// re-laid as [k][token] rows, pre-shifted, with compressed HO positions
// zeroed (X_H^U) and a 0/1 mask of uncompressed positions (M_U); weights stay
// 4 rows per block and are broadcast one slice value at a time. Per k, a lane
// group skips the X_H products and the compensation when every activation
// vector it covers is compressed, and a row block skips its HO slice when the
// weight vector is compressed. int32 lanes wrap like the reference.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "gemm/slice_gemm_simd.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include <algorithm>
#include <cstring>

#include "gemm/slice_gemm_plan.h"
#include "tensorpress/gemm.h"

HWY_BEFORE_NAMESPACE();
namespace tp {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

void RunSlicePlan(const SlicePlan& p, int32_t* out /* blocks*4 x npad */) {
  const hn::ScalableTag<int32_t> d;
  const size_t lanes = hn::Lanes(d);
  const size_t blocks_per_group = lanes / 4;
  const size_t row_stride = p.npad;
  for (int rb = 0; rb < p.w_blocks; ++rb) {
    for (size_t g = 0; g < p.npad; g += lanes) {
      auto a0 = hn::Zero(d), a1 = hn::Zero(d), a2 = hn::Zero(d), a3 = hn::Zero(d);
      auto c0 = hn::Zero(d), c1 = hn::Zero(d), c2 = hn::Zero(d), c3 = hn::Zero(d);
      for (int k = 0; k < p.depth; ++k) {
        const uint8_t* xs = p.x_stored.data() + size_t(k) * p.x_blocks_pad + g / 4;
        bool any_x = false;
        for (size_t b = 0; b < blocks_per_group; ++b) any_x |= xs[b] != 0;
        const bool w_ho = p.w_ho_stored[size_t(rb) * p.depth + k] != 0;
        const auto xh = hn::LoadU(d, p.x.data() + (size_t(k)) * row_stride + g);
        // Every activation format has a LO slice except 4-bit SBR; that one
        // multiplies a zero row kept in the plan for the purpose.
        const auto xl1 = hn::LoadU(d, p.x.data() + (size_t(p.x_slices > 1 ? 1 : p.x_slices) * p.depth + k) * row_stride + g);
        // Loaded weight slices summed per row (scalar): the compensation then
        // costs one multiply-add per row per k instead of one per slice.
        int32_t wsum[4] = {0, 0, 0, 0};
        for (int s = w_ho ? 0 : 1; s < p.w_slices; ++s) {
          const int32_t* wv = p.w.data() + ((size_t(rb) * p.depth + k) * p.w_slices + s) * 4;
          const auto w0 = hn::Set(d, wv[0]), w1 = hn::Set(d, wv[1]), w2 = hn::Set(d, wv[2]), w3 = hn::Set(d, wv[3]);
          if (any_x) {
            a0 = hn::Add(a0, hn::Mul(w0, xh));
            a1 = hn::Add(a1, hn::Mul(w1, xh));
            a2 = hn::Add(a2, hn::Mul(w2, xh));
            a3 = hn::Add(a3, hn::Mul(w3, xh));
            for (int lane = 0; lane < 4; ++lane) wsum[lane] += wv[lane];
          }
          a0 = hn::Add(a0, hn::Mul(w0, xl1));
          a1 = hn::Add(a1, hn::Mul(w1, xl1));
          a2 = hn::Add(a2, hn::Mul(w2, xl1));
          a3 = hn::Add(a3, hn::Mul(w3, xl1));
          for (int t = 2; t < p.x_slices; ++t) {
            const auto xl = hn::LoadU(d, p.x.data() + (size_t(t) * p.depth + k) * row_stride + g);
            a0 = hn::Add(a0, hn::Mul(w0, xl));
            a1 = hn::Add(a1, hn::Mul(w1, xl));
            a2 = hn::Add(a2, hn::Mul(w2, xl));
            a3 = hn::Add(a3, hn::Mul(w3, xl));
          }
        }
        if (any_x && p.compensate) {
          const auto um = hn::LoadU(d, p.umask.data() + size_t(k) * row_stride + g);
          c0 = hn::Add(c0, hn::Mul(hn::Set(d, wsum[0]), um));
          c1 = hn::Add(c1, hn::Mul(hn::Set(d, wsum[1]), um));
          c2 = hn::Add(c2, hn::Mul(hn::Set(d, wsum[2]), um));
          c3 = hn::Add(c3, hn::Mul(hn::Set(d, wsum[3]), um));
        }
      }
      const auto zh = hn::Set(d, p.zh_shifted);
      int32_t* o = out + size_t(rb) * 4 * row_stride + g;
      hn::StoreU(hn::Sub(a0, hn::Mul(zh, c0)), d, o);
      hn::StoreU(hn::Sub(a1, hn::Mul(zh, c1)), d, o + row_stride);
      hn::StoreU(hn::Sub(a2, hn::Mul(zh, c2)), d, o + 2 * row_stride);
      hn::StoreU(hn::Sub(a3, hn::Mul(zh, c3)), d, o + 3 * row_stride);
    }
  }
}

size_t SliceLanes() { return hn::Lanes(hn::ScalableTag<int32_t>()); }

}  // namespace HWY_NAMESPACE
}  // namespace tp
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace tp {

HWY_EXPORT(RunSlicePlan);
HWY_EXPORT(SliceLanes);

Status SliceGemmSimd(const SliceGemmOperand& w, const SliceGemmOperand& x, std::span<const int32_t> bias,
                     std::span<int32_t> y) {
  const size_t lanes = HWY_DYNAMIC_DISPATCH(SliceLanes)();
  // A target narrower than one 1x4 vector (HWY_SCALAR) has nothing to gain.
  if (lanes % 4 != 0) return SliceGemmScalar(w, x, bias, y);
  TP_ASSIGN_OR_RETURN(SlicePlan plan, MakeSlicePlan(w, x, bias, y, lanes));
  std::vector<int32_t> out(size_t(plan.w_blocks) * 4 * plan.npad);
  HWY_DYNAMIC_DISPATCH(RunSlicePlan)(plan, out.data());
  const int m = w.sliced.lanes, n = x.sliced.lanes;
  for (int r = 0; r < m; ++r)
    for (int c = 0; c < n; ++c)
      y[size_t(r) * n + c] = static_cast<int32_t>(static_cast<uint32_t>(out[size_t(r) * plan.npad + c]) +
                                                  static_cast<uint32_t>(bias[r]));
  return Status::Ok();
}

}  // namespace tp
#endif  // HWY_ONCE
