// Lossless field split of ggml quantized blocks.
//
// A GGUF tensor of a block type is a run of fixed-size blocks, each an
// interleaving of unlike fields: fp16 scales (smooth, highly redundant from
// block to block), packed 6-bit sub-scales, 4-bit and 2-bit quantized values
// (close to incompressible), high-bit masks, sign bytes. A byte-oriented
// coder sees them mixed and models none well. SplitBlockFields gathers each
// field of every block into its own plane -- byte k of the field in block i
// goes to plane[i * field_size + k] -- and splits every fp16 (or f32) scale
// into one plane per byte, so the exponent-carrying high byte is coded apart
// from the noisy low byte. MergeBlockFields is the exact inverse: together
// they are a permutation of the tensor's bytes, so any lossless coder of the
// planes restores the identical blocks.
//
// Field layouts (offset, size in bytes) follow src/common/blocks.h; docs/gguf.md
// tabulates them.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tensorpress/dtype.h"
#include "tensorpress/status.h"

namespace tp {

// One field of a block: `segments` (offset, size) pairs inside the block,
// gathered in order (most fields are one segment; IQ2_XXS interleaves its
// grid indices with its scale/sign words, two fields of 8 segments).
struct BlockFieldSegment {
  uint16_t offset;
  uint16_t size;
};
struct BlockField {
  std::string_view name;  // "d.lo", "d.hi", "scales", "qs", "qh", ...
  std::vector<BlockFieldSegment> segments;
  uint32_t bytes_per_block() const;
};

// True for the ggml block types (every dtype with is_quantized_block).
bool HasBlockFields(DType dtype);
// The fields of one block of `dtype`, covering each of its bytes exactly
// once; empty when !HasBlockFields(dtype).
const std::vector<BlockField>& BlockFieldsOf(DType dtype);

struct FieldPlane {
  std::string name;
  std::vector<uint8_t> bytes;
};

// `blocks` must hold a whole number of blocks of `dtype`.
StatusOr<std::vector<FieldPlane>> SplitBlockFields(DType dtype, std::span<const uint8_t> blocks);
// Exact inverse: `planes` in BlockFieldsOf order (names checked), each
// holding blocks * field size bytes, `out` blocks * block bytes.
Status MergeBlockFields(DType dtype, std::span<const FieldPlane> planes, std::span<uint8_t> out);

// Order-0 entropy of each field plane of `blocks`, for reports.
struct FieldEntropy {
  std::string name;
  uint64_t bytes = 0;
  double bits_per_byte = 0;  // order-0 empirical entropy
};
StatusOr<std::vector<FieldEntropy>> BlockFieldEntropy(DType dtype, std::span<const uint8_t> blocks);

}  // namespace tp
