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

// Layout kSparse: the layout its non-zero elements take (kFloatFields,
// kBytePlanes or kCodes), and whether a dtype can use it at all (whole-byte
// elements, not blocks).
bool SparseApplies(DType dtype);
Layout SparseInnerLayout(DType dtype);
// Elements of the chunk whose bytes are all zero.
uint64_t CountZeroElements(DType dtype, std::span<const uint8_t> in);
// Writes the mask ((n + 7) / 8 bytes) and the non-zero elements compacted
// into `compact` (room for n elements); returns how many there are.
uint64_t SplitSparse(DType dtype, std::span<const uint8_t> in, uint64_t n, uint8_t* mask, uint8_t* compact);
// Population count of a mask of n elements; false when a bit past n is set.
bool CountMask(const uint8_t* mask, uint64_t n, uint64_t& nonzero);
// Scatters `compact` (the mask's population of elements) back into `out`.
void MergeSparse(DType dtype, const uint8_t* mask, uint64_t n, const uint8_t* compact, std::span<uint8_t> out);

// Splits n elements (`in`, n * element bytes) into planes[0..PlaneCount).
void SplitPlanes(Layout layout, DType dtype, std::span<const uint8_t> in, uint64_t n, uint8_t* const* planes);
// The inverse; false when a plane byte does not fit its field (corrupt).
bool MergePlanes(Layout layout, DType dtype, const uint8_t* const* planes, uint64_t n, std::span<uint8_t> out);

}  // namespace tp::tpz3
