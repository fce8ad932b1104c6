// Internal: the Highway bodies of the sparse GEMMs (sparse_gemm_simd.cc).
// Raw pointers; shapes already validated by the public wrappers.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tp::sparse::simd {

// Rows [0, rows) of Y = W X for a W given as per-row runs of (k, value):
// entries ptr[r]..ptr[r+1] of idx/values. Covers dense (idx = 0..K-1), CSR
// and N:M (fixed runs, k precomputed).
void RowRunsF32(int rows, const uint32_t* ptr, const uint32_t* idx, const float* values, const float* x, int n,
                float* y);
void RowRunsI8(int rows, const uint32_t* ptr, const uint32_t* idx, const int8_t* values, const int8_t* x, int n,
               int32_t* y);
// N:M: rows * ceil(cols/mm) * nn slots with positions inside their group.
void NmF32(int rows, int cols, int nn, int mm, const uint8_t* pos, const float* values, const float* x, int n,
           float* y);
void NmI8(int rows, int cols, int nn, int mm, const uint8_t* pos, const int8_t* values, const int8_t* x, int n,
          int32_t* y);
void DenseF32(const float* w, const float* x, int m, int k, int n, float* y);
void DenseI8(const int8_t* w, const int8_t* x, int m, int k, int n, int32_t* y);
// BSR: block rows of br x bc blocks.
void BlocksF32(int rows, int cols, int br, int bc, const uint32_t* ptr, const uint32_t* bcol, const float* values,
               const float* x, int n, float* y);
void BlocksI8(int rows, int cols, int br, int bc, const uint32_t* ptr, const uint32_t* bcol, const int8_t* values,
              const int8_t* x, int n, int32_t* y);

}  // namespace tp::sparse::simd
