// Shared helpers of the sparse formats and the size comparison with the
// entropy limit.
#include <algorithm>
#include <cmath>

#include "sparse/sparse_format.h"
#include "tensorpress/sparse.h"

namespace tp::sparse {

bool SparseMatrix::IsZero(int64_t r, int64_t c) const {
  const uint8_t* p = values.data() + (uint64_t(r) * uint64_t(cols) + uint64_t(c)) * uint64_t(value_bytes);
  for (int i = 0; i < value_bytes; ++i)
    if (p[i]) return false;
  return true;
}

int IndexBytesFor(uint64_t limit) {
  if (limit <= (uint64_t(1) << 8)) return 1;
  if (limit <= (uint64_t(1) << 16)) return 2;
  return 4;
}

uint64_t NmEncodedBytes(int64_t rows, int64_t cols, int value_bytes, int n, int m) {
  const uint64_t groups = uint64_t((cols + m - 1) / m);
  const uint64_t per_row = groups * uint64_t(n) * uint64_t(value_bytes) +
                           (groups * uint64_t(n) * uint64_t(format::BitsFor(m)) + 7) / 8;
  return format::kHeaderBytes + uint64_t(rows) * per_row;
}

StatusOr<FormatSizes> MeasureFormats(const SparseMatrix& mat) {
  FormatSizes s;
  s.elements = uint64_t(mat.rows) * uint64_t(mat.cols);
  for (int64_t r = 0; r < mat.rows; ++r)
    for (int64_t c = 0; c < mat.cols; ++c) s.nonzeros += !mat.IsZero(r, c);
  s.dense = s.elements * uint64_t(mat.value_bytes);
  s.value_bytes = s.nonzeros * uint64_t(mat.value_bytes);
  TP_ASSIGN_OR_RETURN(std::vector<uint8_t> csr, EncodeCompressed(mat, CompressedAxis::kRows));
  TP_ASSIGN_OR_RETURN(std::vector<uint8_t> csc, EncodeCompressed(mat, CompressedAxis::kColumns));
  TP_ASSIGN_OR_RETURN(std::vector<uint8_t> block, EncodeBlockSparse(mat, 4, 4));
  s.csr = csr.size(), s.csc = csc.size(), s.block4x4 = block.size();
  auto nm = EncodeNm(mat, 2, 4);
  s.nm24 = nm.ok() ? nm->size() : 0;
  if (s.elements && s.nonzeros && s.nonzeros < s.elements) {
    const double p = double(s.nonzeros) / double(s.elements);
    s.map_entropy_bits = double(s.elements) * -(p * std::log2(p) + (1 - p) * std::log2(1 - p));
  }
  return s;
}

StatusOr<SparseMatrix> SparseMatrixOf(const Tensor& tensor, WeightLayout layout) {
  const DTypeTraits& tr = Traits(tensor.dtype());
  if (tr.is_quantized_block || tr.bits % 8 != 0 || tr.bits == 0)
    return UnsupportedError(tensor.name() + ": dtype " + std::string(tr.name) + " has no whole-byte elements");
  TP_ASSIGN_OR_RETURN(WeightMatrix w, MatrixOf(tensor.shape(), layout));
  SparseMatrix mat;
  mat.rows = w.rows, mat.cols = w.cols, mat.value_bytes = tr.bits / 8;
  const uint64_t vb = uint64_t(mat.value_bytes);
  if (layout == WeightLayout::kOutputFirst) {
    mat.values.assign(tensor.bytes().begin(), tensor.bytes().end());
    return mat;
  }
  mat.values.resize(tensor.nbytes());
  const uint8_t* src = tensor.bytes().data();
  for (int64_t o = 0; o < w.rows; ++o)
    for (int64_t k = 0; k < w.cols; ++k)
      std::copy_n(src + w.Index(o, k) * vb, vb, mat.values.data() + (uint64_t(o) * uint64_t(w.cols) + uint64_t(k)) * vb);
  return mat;
}

}  // namespace tp::sparse
