// Operand layouts for the SIMD slice GEMM (internal to src/gemm/): tokens
// along the vector lanes, slices pre-shifted so that a kernel only multiplies
// and adds. Built once per call by MakeSlicePlan; see slice_gemm_simd.cc.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "tensorpress/gemm.h"

namespace tp {

struct SlicePlan {
  int depth = 0, w_blocks = 0, w_slices = 0, x_slices = 0;
  size_t npad = 0;          // tokens rounded up to whole vectors
  size_t x_blocks_pad = 0;  // npad / 4
  bool compensate = false;
  int32_t zh_shifted = 0;   // z_H << X_H shift
  // x[t][k][token]: slice t << its shift; slice 0 is X_H^U (compressed vectors
  // zeroed); one extra zero slice after the last.
  std::vector<int32_t> x;
  std::vector<int32_t> umask;     // [k][token]: 1 where the HO vector is stored
  std::vector<uint8_t> x_stored;  // [k][token block]
  // w[block][k][slice][lane]: weight slice << its shift (HO zero when not stored).
  std::vector<int32_t> w;
  std::vector<uint8_t> w_ho_stored;  // [block][k]
};

StatusOr<SlicePlan> MakeSlicePlan(const SliceGemmOperand& w, const SliceGemmOperand& x,
                                  std::span<const int32_t> bias, std::span<int32_t> y, size_t lanes);

}  // namespace tp
