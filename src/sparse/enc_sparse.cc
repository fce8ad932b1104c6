// Encoders of the sparse formats (layouts in sparse_format.h).
#include <algorithm>
#include <limits>

#include "sparse/sparse_format.h"
#include "tensorpress/sparse.h"

namespace tp::sparse {
namespace {

Status CheckMatrix(const SparseMatrix& mat) {
  if (mat.rows < 0 || mat.cols < 0 || mat.rows > std::numeric_limits<uint32_t>::max() ||
      mat.cols > std::numeric_limits<uint32_t>::max())
    return InvalidArgumentError("sparse matrix dimensions must lie in [0, 2^32)");
  if (mat.value_bytes < 1 || mat.value_bytes > 8) return InvalidArgumentError("value_bytes must lie in [1, 8]");
  if (mat.values.size() != uint64_t(mat.rows) * uint64_t(mat.cols) * uint64_t(mat.value_bytes))
    return InvalidArgumentError("sparse matrix holds " + std::to_string(mat.values.size()) + " bytes, not rows*cols*" +
                                std::to_string(mat.value_bytes));
  return Status::Ok();
}

std::vector<uint8_t> Header(const uint8_t magic[4], const SparseMatrix& mat, uint8_t p0, uint8_t p1) {
  std::vector<uint8_t> out(format::kHeaderBytes);
  std::copy(magic, magic + 4, out.begin());
  format::PutU32(&out[4], uint32_t(mat.rows));
  format::PutU32(&out[8], uint32_t(mat.cols));
  out[12] = uint8_t(mat.value_bytes);
  out[13] = p0;
  out[14] = p1;
  return out;
}

const uint8_t* At(const SparseMatrix& mat, int64_t r, int64_t c) {
  return mat.values.data() + (uint64_t(r) * uint64_t(mat.cols) + uint64_t(c)) * uint64_t(mat.value_bytes);
}

}  // namespace

StatusOr<std::vector<uint8_t>> EncodeNm(const SparseMatrix& mat, int n, int m) {
  TP_RETURN_IF_ERROR(CheckMatrix(mat));
  if (m < 1 || m > 256 || n < 1 || n > m) return InvalidArgumentError("N:M needs 1 <= N <= M <= 256");
  const int vb = mat.value_bytes, ib = format::BitsFor(m);
  const int64_t groups = (mat.cols + m - 1) / m;
  std::vector<uint8_t> out = Header(format::kMagicNm, mat, uint8_t(n - 1), uint8_t(m - 1));
  out.reserve(NmEncodedBytes(mat.rows, mat.cols, vb, n, m));
  std::vector<uint8_t> bits;  // one row's positions
  std::vector<int> slots;
  for (int64_t r = 0; r < (groups ? mat.rows : 0); ++r) {  // an empty row writes nothing
    bits.assign(size_t((groups * n * ib + 7) / 8), 0);
    uint64_t bitpos = 0;
    for (int64_t g = 0; g < groups; ++g) {
      const int64_t c0 = g * m;
      const int width = int(std::min<int64_t>(m, mat.cols - c0));
      slots.clear();
      for (int i = 0; i < width; ++i)
        if (!mat.IsZero(r, c0 + i)) slots.push_back(i);
      if (int(slots.size()) > n)
        return InvalidArgumentError("row " + std::to_string(r) + " group " + std::to_string(g) + " holds " +
                                    std::to_string(slots.size()) + " non-zeros, more than N = " + std::to_string(n));
      // Unused slots: zero values at the smallest free positions.
      for (int i = 0; int(slots.size()) < n; ++i)
        if (std::find(slots.begin(), slots.end(), i) == slots.end()) slots.push_back(i);
      std::sort(slots.begin(), slots.end());
      for (int s : slots) {
        if (s < width) {
          const uint8_t* v = At(mat, r, c0 + s);
          out.insert(out.end(), v, v + vb);
        } else {
          out.insert(out.end(), size_t(vb), 0);
        }
        for (int b = 0; b < ib; ++b, ++bitpos)
          if ((s >> b) & 1) bits[bitpos / 8] |= uint8_t(1u << (bitpos % 8));
      }
    }
    // Values of the row first, then its positions (cuSPARSELt keeps the two
    // in separate arrays; per row keeps a row decodable on its own).
    out.insert(out.end(), bits.begin(), bits.end());
  }
  return out;
}

StatusOr<std::vector<uint8_t>> EncodeBlockSparse(const SparseMatrix& mat, int br, int bc) {
  TP_RETURN_IF_ERROR(CheckMatrix(mat));
  if (br < 1 || br > 256 || bc < 1 || bc > 256) return InvalidArgumentError("block sides must lie in [1, 256]");
  const int64_t nbr = (mat.rows + br - 1) / br, nbc = (mat.cols + bc - 1) / bc;
  const uint64_t tiles = uint64_t(nbr) * uint64_t(nbc);
  std::vector<uint8_t> out = Header(format::kMagicBlock, mat, uint8_t(br - 1), uint8_t(bc - 1));
  const size_t bitmap_at = out.size();
  out.resize(out.size() + (tiles + 7) / 8, 0);
  for (int64_t tr = 0; tr < nbr; ++tr)
    for (int64_t tc = 0; tc < nbc; ++tc) {
      const int64_t r1 = std::min<int64_t>(mat.rows, (tr + 1) * br), c1 = std::min<int64_t>(mat.cols, (tc + 1) * bc);
      bool any = false;
      for (int64_t r = tr * br; r < r1 && !any; ++r)
        for (int64_t c = tc * bc; c < c1 && !any; ++c) any = !mat.IsZero(r, c);
      if (!any) continue;
      const uint64_t t = uint64_t(tr) * uint64_t(nbc) + uint64_t(tc);
      out[bitmap_at + t / 8] |= uint8_t(1u << (t % 8));
      for (int64_t r = tr * br; r < r1; ++r)
        out.insert(out.end(), At(mat, r, tc * bc), At(mat, r, tc * bc) + (c1 - tc * bc) * mat.value_bytes);
    }
  return out;
}

StatusOr<std::vector<uint8_t>> EncodeCompressed(const SparseMatrix& mat, CompressedAxis axis) {
  TP_RETURN_IF_ERROR(CheckMatrix(mat));
  const bool by_rows = axis == CompressedAxis::kRows;
  const int64_t major = by_rows ? mat.rows : mat.cols, minor = by_rows ? mat.cols : mat.rows;
  std::vector<uint32_t> ptr(size_t(major) + 1, 0), idx;
  for (int64_t a = 0; a < major; ++a) {
    for (int64_t b = 0; b < minor; ++b)
      if (!(by_rows ? mat.IsZero(a, b) : mat.IsZero(b, a))) idx.push_back(uint32_t(b));
    if (idx.size() > std::numeric_limits<uint32_t>::max() - 1u) return UnsupportedError("over 2^32 non-zeros");
    ptr[size_t(a) + 1] = uint32_t(idx.size());
  }
  const uint64_t nnz = idx.size();
  const int pb = IndexBytesFor(nnz + 1), ib = IndexBytesFor(uint64_t(minor));
  std::vector<uint8_t> out =
      Header(format::kMagicCompressed, mat, uint8_t(axis), uint8_t((pb << 4) | ib));
  const size_t at = out.size();
  out.resize(at + 4 + ptr.size() * size_t(pb) + nnz * size_t(ib) + nnz * size_t(mat.value_bytes));
  uint8_t* p = out.data() + at;
  format::PutU32(p, uint32_t(nnz));
  p += 4;
  for (uint32_t v : ptr) format::PutUint(p, v, pb), p += pb;
  for (uint32_t v : idx) format::PutUint(p, v, ib), p += ib;
  uint64_t e = 0;
  for (int64_t a = 0; a < major; ++a)
    for (; e < ptr[size_t(a) + 1]; ++e) {
      const uint8_t* v = by_rows ? At(mat, a, idx[e]) : At(mat, idx[e], a);
      std::copy(v, v + mat.value_bytes, p);
      p += mat.value_bytes;
    }
  return out;
}

}  // namespace tp::sparse
