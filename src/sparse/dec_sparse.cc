// Decoders of the sparse formats (layouts in sparse_format.h). Every count is
// checked against the bytes present before anything is allocated, and every
// structural rule the encoder follows is enforced, so a decode either
// returns the encoded matrix or a one-line CorruptDataError.
#include <algorithm>
#include <cstring>

#include "io/byte_reader.h"
#include "sparse/sparse_format.h"
#include "tensorpress/sparse.h"

namespace tp::sparse {
namespace {

struct Header {
  int64_t rows = 0, cols = 0;
  int value_bytes = 0;
  uint8_t p0 = 0, p1 = 0;
};

StatusOr<Header> ReadHeader(io::ByteReader& in, const uint8_t magic[4], const char* what) {
  std::span<const uint8_t> m;
  TP_RETURN_IF_ERROR(in.ReadSpan(4, &m, "sparse magic"));
  if (!std::equal(m.begin(), m.end(), magic)) return CorruptDataError(std::string("not a ") + what + " stream (bad magic)");
  uint32_t rows = 0, cols = 0;
  uint8_t vb = 0;
  Header h;
  TP_RETURN_IF_ERROR(in.Read(&rows, "sparse rows"));
  TP_RETURN_IF_ERROR(in.Read(&cols, "sparse cols"));
  TP_RETURN_IF_ERROR(in.Read(&vb, "sparse value width"));
  TP_RETURN_IF_ERROR(in.Read(&h.p0, "sparse parameter"));
  TP_RETURN_IF_ERROR(in.Read(&h.p1, "sparse parameter"));
  if (vb < 1 || vb > 8) return CorruptDataError(std::string(what) + ": value width " + std::to_string(vb) + " not in [1, 8]");
  h.rows = rows, h.cols = cols, h.value_bytes = vb;
  // Each dimension is bounded too: an empty matrix with 2^32 columns
  // decodes to nothing but would cost CSC pointers 16 GiB to re-encode.
  if (rows > format::kMaxDimension || cols > format::kMaxDimension)
    return CorruptDataError(std::string(what) + ": a dimension exceeds 2^24");
  if (uint64_t(rows) * uint64_t(cols) * vb > format::kMaxDenseBytes)
    return CorruptDataError(std::string(what) + ": " + std::to_string(rows) + "x" + std::to_string(cols) +
                            " matrix exceeds the decoder's 1 GiB limit");
  return h;
}

SparseMatrix Empty(const Header& h) {
  SparseMatrix mat;
  mat.rows = h.rows, mat.cols = h.cols, mat.value_bytes = h.value_bytes;
  mat.values.assign(uint64_t(h.rows) * uint64_t(h.cols) * uint64_t(h.value_bytes), 0);
  return mat;
}

uint8_t* At(SparseMatrix& mat, int64_t r, int64_t c) {
  return mat.values.data() + (uint64_t(r) * uint64_t(mat.cols) + uint64_t(c)) * uint64_t(mat.value_bytes);
}

bool AllZero(const uint8_t* p, int n) {
  for (int i = 0; i < n; ++i)
    if (p[i]) return false;
  return true;
}

}  // namespace

StatusOr<SparseMatrix> DecodeNm(std::span<const uint8_t> bytes) {
  io::ByteReader in(bytes);
  TP_ASSIGN_OR_RETURN(Header h, ReadHeader(in, format::kMagicNm, "N:M"));
  const int n = h.p0 + 1, m = h.p1 + 1;
  if (n > m) return CorruptDataError("N:M: N = " + std::to_string(n) + " exceeds M = " + std::to_string(m));
  const uint64_t need = NmEncodedBytes(h.rows, h.cols, h.value_bytes, n, m) - format::kHeaderBytes;
  if (in.remaining() != need)
    return CorruptDataError("N:M: " + std::to_string(in.remaining()) + " payload bytes, expected " + std::to_string(need));
  SparseMatrix mat = Empty(h);
  if (h.rows == 0 || h.cols == 0) return mat;  // no groups: nothing to read per row
  const int vb = h.value_bytes, ib = format::BitsFor(m);
  const int64_t groups = (h.cols + m - 1) / m;
  const uint64_t value_row = uint64_t(groups) * uint64_t(n) * uint64_t(vb);
  const uint64_t bit_row = (uint64_t(groups) * uint64_t(n) * uint64_t(ib) + 7) / 8;
  for (int64_t r = 0; r < h.rows; ++r) {
    std::span<const uint8_t> values, bits;
    TP_RETURN_IF_ERROR(in.ReadSpan(value_row, &values, "N:M values"));
    TP_RETURN_IF_ERROR(in.ReadSpan(bit_row, &bits, "N:M positions"));
    uint64_t bitpos = 0;
    for (int64_t g = 0; g < groups; ++g) {
      const int64_t c0 = g * m;
      const int width = int(std::min<int64_t>(m, h.cols - c0));
      int last = -1;
      for (int s = 0; s < n; ++s) {
        int pos = 0;
        for (int b = 0; b < ib; ++b, ++bitpos) pos |= ((bits[bitpos / 8] >> (bitpos % 8)) & 1) << b;
        const uint8_t* v = values.data() + (uint64_t(g) * uint64_t(n) + uint64_t(s)) * uint64_t(vb);
        if (pos <= last || pos >= m)
          return CorruptDataError("N:M: row " + std::to_string(r) + " group " + std::to_string(g) +
                                  ": positions not strictly increasing below M");
        last = pos;
        if (pos >= width) {
          if (!AllZero(v, vb))
            return CorruptDataError("N:M: row " + std::to_string(r) + ": non-zero value past the last column");
          continue;
        }
        std::memcpy(At(mat, r, c0 + pos), v, size_t(vb));
      }
    }
    // Padding bits must be zero so that every matrix has one encoding.
    for (; bitpos < bit_row * 8; ++bitpos)
      if ((bits[bitpos / 8] >> (bitpos % 8)) & 1) return CorruptDataError("N:M: non-zero padding bits");
  }
  return mat;
}

StatusOr<SparseMatrix> DecodeBlockSparse(std::span<const uint8_t> bytes) {
  io::ByteReader in(bytes);
  TP_ASSIGN_OR_RETURN(Header h, ReadHeader(in, format::kMagicBlock, "block-sparse"));
  const int64_t br = h.p0 + 1, bc = h.p1 + 1;
  const int64_t nbr = (h.rows + br - 1) / br, nbc = (h.cols + bc - 1) / bc;
  const uint64_t tiles = uint64_t(nbr) * uint64_t(nbc);
  std::span<const uint8_t> bitmap;
  TP_RETURN_IF_ERROR(in.ReadSpan((tiles + 7) / 8, &bitmap, "block-sparse bitmap"));
  // The exact payload the bitmap implies, before allocating the output.
  uint64_t need = 0;
  for (uint64_t t = 0; t < bitmap.size() * 8; ++t) {
    const bool set = (bitmap[t / 8] >> (t % 8)) & 1;
    if (t >= tiles) {
      if (set) return CorruptDataError("block-sparse: bitmap padding bit set");
      continue;
    }
    if (!set) continue;
    const int64_t tr = int64_t(t / uint64_t(nbc)), tc = int64_t(t % uint64_t(nbc));
    need += uint64_t(std::min(br, h.rows - tr * br)) * uint64_t(std::min(bc, h.cols - tc * bc)) * uint64_t(h.value_bytes);
  }
  if (in.remaining() != need)
    return CorruptDataError("block-sparse: " + std::to_string(in.remaining()) + " value bytes, bitmap implies " +
                            std::to_string(need));
  SparseMatrix mat = Empty(h);
  for (uint64_t t = 0; t < tiles; ++t) {
    if (!((bitmap[t / 8] >> (t % 8)) & 1)) continue;
    const int64_t tr = int64_t(t / uint64_t(nbc)), tc = int64_t(t % uint64_t(nbc));
    const int64_t r1 = std::min(h.rows, (tr + 1) * br), w = std::min(bc, h.cols - tc * bc);
    for (int64_t r = tr * br; r < r1; ++r) {
      std::span<const uint8_t> v;
      TP_RETURN_IF_ERROR(in.ReadSpan(uint64_t(w) * uint64_t(h.value_bytes), &v, "block-sparse values"));
      std::copy(v.begin(), v.end(), At(mat, r, tc * bc));
    }
  }
  return mat;
}

StatusOr<SparseMatrix> DecodeCompressed(std::span<const uint8_t> bytes) {
  io::ByteReader in(bytes);
  TP_ASSIGN_OR_RETURN(Header h, ReadHeader(in, format::kMagicCompressed, "CSR/CSC"));
  if (h.p0 > 1) return CorruptDataError("CSR/CSC: axis " + std::to_string(h.p0) + " is neither rows nor columns");
  const bool by_rows = h.p0 == 0;
  const int pb = h.p1 >> 4, ib = h.p1 & 15;
  auto valid_width = [](int w) { return w == 1 || w == 2 || w == 4; };
  if (!valid_width(pb) || !valid_width(ib)) return CorruptDataError("CSR/CSC: index widths must be 1, 2 or 4 bytes");
  const int64_t major = by_rows ? h.rows : h.cols, minor = by_rows ? h.cols : h.rows;
  uint32_t nnz = 0;
  TP_RETURN_IF_ERROR(in.Read(&nnz, "CSR/CSC non-zero count"));
  if (uint64_t(nnz) > uint64_t(h.rows) * uint64_t(h.cols))
    return CorruptDataError("CSR/CSC: " + std::to_string(nnz) + " non-zeros in a matrix of fewer elements");
  const uint64_t need = (uint64_t(major) + 1) * uint64_t(pb) + uint64_t(nnz) * uint64_t(ib + h.value_bytes);
  if (in.remaining() != need)
    return CorruptDataError("CSR/CSC: " + std::to_string(in.remaining()) + " payload bytes, expected " +
                            std::to_string(need));
  std::span<const uint8_t> ptrs, idx, values;
  TP_RETURN_IF_ERROR(in.ReadSpan((uint64_t(major) + 1) * uint64_t(pb), &ptrs, "CSR/CSC pointers"));
  TP_RETURN_IF_ERROR(in.ReadSpan(uint64_t(nnz) * uint64_t(ib), &idx, "CSR/CSC indices"));
  TP_RETURN_IF_ERROR(in.ReadSpan(uint64_t(nnz) * uint64_t(h.value_bytes), &values, "CSR/CSC values"));
  if (format::GetUint(ptrs.data(), pb) != 0) return CorruptDataError("CSR/CSC: first pointer is not 0");
  SparseMatrix mat = Empty(h);
  uint64_t begin = 0;
  for (int64_t a = 0; a < major; ++a) {
    const uint64_t end = format::GetUint(ptrs.data() + uint64_t(a + 1) * uint64_t(pb), pb);
    if (end < begin || end > nnz) return CorruptDataError("CSR/CSC: pointer " + std::to_string(a + 1) + " out of order");
    int64_t last = -1;
    for (uint64_t e = begin; e < end; ++e) {
      const int64_t b = int64_t(format::GetUint(idx.data() + e * uint64_t(ib), ib));
      if (b <= last || b >= minor)
        return CorruptDataError("CSR/CSC: index " + std::to_string(b) + " out of order or past " + std::to_string(minor));
      last = b;
      std::memcpy(by_rows ? At(mat, a, b) : At(mat, b, a), values.data() + e * uint64_t(h.value_bytes),
                  size_t(h.value_bytes));
    }
    begin = end;
  }
  if (begin != nnz) return CorruptDataError("CSR/CSC: last pointer is not the non-zero count");
  return mat;
}

}  // namespace tp::sparse
