// Internal: dequantization of ggml block types, matching ggml (and the gguf
// Python package, the reference shipped as test vectors in
// src/io/testdata/ggml_dequant/) bit for bit.
//
// Bit-exactness needs the same float32 operations in the same order as the
// reference: e.g. Q4_K computes (d * sc) * q - (dmin * m), never a fused or
// reassociated form. Every step below is a single float32 multiply or add,
// so the result is exact as long as the compiler does not contract a*b+c into
// an FMA (the library is built without -ffp-contract=fast targets).
#pragma once

#include <cstdint>

#include "tensorpress/dtype.h"

namespace tp {

// True for every block type whose dequantization is implemented (all ggml
// block types tensorpress knows).
bool CanDequantizeBlocks(DType dtype);

// Dequantizes `blocks` whole blocks of `dtype` starting at `src` into `out`
// (blocks * Traits(dtype).block_elements floats). `dtype` must satisfy
// CanDequantizeBlocks.
void DequantizeBlocks(DType dtype, const uint8_t* src, uint64_t blocks, float* out);

}  // namespace tp
