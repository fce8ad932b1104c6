// Builds the SIMD layouts of slice_gemm_plan.h from the compressed operands.
#include "gemm/slice_gemm_plan.h"

#include <string>

namespace tp {

StatusOr<SlicePlan> MakeSlicePlan(const SliceGemmOperand& w, const SliceGemmOperand& x,
                                  std::span<const int32_t> bias, std::span<int32_t> y, size_t lanes) {
  const SlicedOperand &ws = w.sliced, &xs = x.sliced;
  if (ws.depth != xs.depth || ws.slice_count() < 1 || xs.slice_count() < 1 ||
      ws.shift.size() != size_t(ws.slice_count()) || xs.shift.size() != size_t(xs.slice_count()) ||
      w.ho.blocks != ws.blocks || x.ho.blocks != xs.blocks)
    return InvalidArgumentError("slice GEMM: operands do not fit together");
  if (bias.size() != size_t(ws.lanes) || y.size() != size_t(ws.lanes) * xs.lanes)
    return InvalidArgumentError("slice GEMM: bias or output has the wrong size");
  SlicePlan p;
  p.depth = ws.depth;
  p.w_blocks = ws.blocks;
  p.w_slices = ws.slice_count();
  p.x_slices = xs.slice_count();
  p.npad = (size_t(xs.blocks) * 4 + lanes - 1) / lanes * lanes;
  p.x_blocks_pad = p.npad / 4;
  p.compensate = xs.skip_value != 0;
  p.zh_shifted = static_cast<int32_t>(static_cast<uint32_t>(int32_t{xs.skip_value}) << xs.shift[0]);
  const size_t depth = size_t(p.depth);
  // One extra all-zero slice row: a single-slice operand's kernel reads it
  // as its (absent) first LO slice.
  p.x.assign(size_t(p.x_slices + 1) * depth * p.npad, 0);
  p.umask.assign(depth * p.npad, 0);
  p.x_stored.assign(depth * p.x_blocks_pad, 0);
  for (int b = 0; b < x.ho.blocks; ++b) {
    int k = 0;
    for (uint32_t i = x.ho.start[b]; i < x.ho.start[b + 1]; ++i) {
      k += x.ho.run[i];
      p.x_stored[size_t(k) * p.x_blocks_pad + b] = 1;
      for (int lane = 0; lane < 4; ++lane) {
        const size_t at = size_t(k) * p.npad + size_t(b) * 4 + lane;
        p.x[at] = int32_t{x.ho.slices[size_t(i) * 4 + lane]} * (int32_t{1} << xs.shift[0]);
        p.umask[at] = 1;
      }
      ++k;
    }
  }
  for (int t = 1; t < p.x_slices; ++t)
    for (int b = 0; b < xs.blocks; ++b)
      for (size_t k = 0; k < depth; ++k) {
        const int8_t* v = xs.Vector(t, b, int(k));
        for (int lane = 0; lane < 4; ++lane)
          p.x[(size_t(t) * depth + k) * p.npad + size_t(b) * 4 + lane] = int32_t{v[lane]} * (int32_t{1} << xs.shift[t]);
      }
  p.w.assign(size_t(p.w_blocks) * depth * p.w_slices * 4, 0);
  p.w_ho_stored.assign(size_t(p.w_blocks) * depth, 0);
  for (int b = 0; b < w.ho.blocks; ++b) {
    int k = 0;
    for (uint32_t i = w.ho.start[b]; i < w.ho.start[b + 1]; ++i) {
      k += w.ho.run[i];
      p.w_ho_stored[size_t(b) * depth + k] = 1;
      for (int lane = 0; lane < 4; ++lane)
        p.w[((size_t(b) * depth + k) * p.w_slices) * 4 + lane] =
            int32_t{w.ho.slices[size_t(i) * 4 + lane]} * (int32_t{1} << ws.shift[0]);
      ++k;
    }
  }
  for (int s = 1; s < p.w_slices; ++s)
    for (int b = 0; b < ws.blocks; ++b)
      for (size_t k = 0; k < depth; ++k) {
        const int8_t* v = ws.Vector(s, b, int(k));
        for (int lane = 0; lane < 4; ++lane)
          p.w[((size_t(b) * depth + k) * p.w_slices + s) * 4 + lane] = int32_t{v[lane]} * (int32_t{1} << ws.shift[s]);
      }
  return p;
}

}  // namespace tp
