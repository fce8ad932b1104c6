// Internal: a chunk's elements to planes and back, for the version-3 frame
// layouts (tpz3_format.h). The same permutations of bits as the reference
// SplitFloatFields / MergeFloatFields (src/codec/float_fields.h) and the
// byte planes of the version-2 container, written for speed: caller-owned
// plane buffers, no allocation, and loops specialised for f32, bf16 and f16
// that the compiler vectorises. plane_split_test.cc checks them against the
// reference bit for bit.
#pragma once

#include <cstdint>
#include <span>

#include "container/tpz3_format.h"
#include "tensorpress/dtype.h"

namespace tp::tpz3 {

// Planes a chunk of `n` elements of `dtype` has under `layout`, and the
// bytes of each; 0 planes when the layout does not apply to the dtype.
int PlaneCount(Layout layout, DType dtype);
uint64_t PlaneBytes(Layout layout, DType dtype, int plane, uint64_t n);
// Human name of a plane for reports: "exponent", "byte2", "codes"...
const char* PlaneName(Layout layout, DType dtype, int plane);

// Splits n elements (`in`, n * element bytes) into planes[0..PlaneCount).
void SplitPlanes(Layout layout, DType dtype, std::span<const uint8_t> in, uint64_t n, uint8_t* const* planes);
// The inverse; false when a plane byte does not fit its field (corrupt).
bool MergePlanes(Layout layout, DType dtype, const uint8_t* const* planes, uint64_t n, std::span<uint8_t> out);

}  // namespace tp::tpz3
