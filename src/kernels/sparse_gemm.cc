// Sparse GEMM kernels: the packers, the scalar references and the dispatch
// to the Highway bodies (sparse_gemm_simd.cc). The scalar kernels are the
// specification: one accumulator per output, products added in increasing k.
#include <algorithm>
#include <limits>

#include "kernels/sparse_gemm_simd.h"
#include "tensorpress/sparse.h"

namespace tp::sparse {
namespace {

// Wrap-around int32 arithmetic for int8 (as ReferenceGemm), plain float.
inline float MulAdd(float acc, float w, float x) { return acc + w * x; }
inline int32_t MulAdd(int32_t acc, int32_t w, int32_t x) {
  return int32_t(uint32_t(acc) + uint32_t(w) * uint32_t(x));
}

Status CheckSizes(uint64_t w_have, uint64_t w_need, uint64_t x_have, uint64_t x_need, uint64_t y_have,
                  uint64_t y_need) {
  if (w_have != w_need || x_have != x_need || y_have != y_need)
    return InvalidArgumentError("sparse GEMM: operand sizes do not match the shapes");
  return Status::Ok();
}

template <typename T>
Status CheckCompressed(const CompressedMatrix<T>& w, uint64_t x_size, int n, uint64_t y_size) {
  const uint64_t major = uint64_t(w.by_rows ? w.rows : w.cols);
  if (w.rows < 0 || w.cols < 0 || n < 0 || w.ptr.size() != major + 1 || w.ptr.back() != w.idx.size() ||
      w.idx.size() != w.values.size())
    return InvalidArgumentError("sparse GEMM: malformed compressed matrix");
  return CheckSizes(0, 0, x_size, uint64_t(w.cols) * uint64_t(n), y_size, uint64_t(w.rows) * uint64_t(n));
}

}  // namespace

template <typename T>
CompressedMatrix<T> Compress(std::span<const T> w, int rows, int cols, bool by_rows) {
  CompressedMatrix<T> c;
  c.rows = rows, c.cols = cols, c.by_rows = by_rows;
  const int major = by_rows ? rows : cols, minor = by_rows ? cols : rows;
  c.ptr.assign(size_t(major) + 1, 0);
  for (int a = 0; a < major; ++a) {
    for (int b = 0; b < minor; ++b) {
      const T v = by_rows ? w[size_t(a) * size_t(cols) + size_t(b)] : w[size_t(b) * size_t(cols) + size_t(a)];
      if (v != T(0)) c.idx.push_back(uint32_t(b)), c.values.push_back(v);
    }
    c.ptr[size_t(a) + 1] = uint32_t(c.idx.size());
  }
  return c;
}

template <typename T>
StatusOr<NmMatrix<T>> CompressNm(std::span<const T> w, int rows, int cols, int n, int m) {
  if (m < 1 || m > 256 || n < 1 || n > m) return InvalidArgumentError("N:M needs 1 <= N <= M <= 256");
  if (w.size() != uint64_t(rows) * uint64_t(cols)) return InvalidArgumentError("N:M: size does not match the shape");
  NmMatrix<T> c;
  c.rows = rows, c.cols = cols, c.n = n, c.m = m;
  const int groups = (cols + m - 1) / m;
  c.values.reserve(size_t(rows) * size_t(groups) * size_t(n));
  std::vector<int> slots;
  for (int r = 0; r < rows; ++r)
    for (int g = 0; g < groups; ++g) {
      slots.clear();
      const int width = std::min(m, cols - g * m);
      for (int i = 0; i < width; ++i)
        if (w[size_t(r) * size_t(cols) + size_t(g * m + i)] != T(0)) slots.push_back(i);
      if (int(slots.size()) > n)
        return InvalidArgumentError("row " + std::to_string(r) + " has " + std::to_string(slots.size()) +
                                    " non-zeros in a group of " + std::to_string(m) + ", more than " + std::to_string(n));
      for (int i = 0; int(slots.size()) < n; ++i)
        if (std::find(slots.begin(), slots.end(), i) == slots.end()) slots.push_back(i);
      std::sort(slots.begin(), slots.end());
      for (int s : slots) {
        c.pos.push_back(uint8_t(s));
        c.values.push_back(s < width ? w[size_t(r) * size_t(cols) + size_t(g * m + s)] : T(0));
      }
    }
  return c;
}

template <typename T>
BlockMatrix<T> CompressBlocks(std::span<const T> w, int rows, int cols, int br, int bc) {
  BlockMatrix<T> c;
  c.rows = rows, c.cols = cols, c.br = br, c.bc = bc;
  const int nbr = (rows + br - 1) / br, nbc = (cols + bc - 1) / bc;
  c.ptr.assign(size_t(nbr) + 1, 0);
  for (int rb = 0; rb < nbr; ++rb) {
    for (int cb = 0; cb < nbc; ++cb) {
      bool any = false;
      for (int r = rb * br; r < std::min(rows, (rb + 1) * br) && !any; ++r)
        for (int k = cb * bc; k < std::min(cols, (cb + 1) * bc) && !any; ++k) any = w[size_t(r) * size_t(cols) + size_t(k)] != T(0);
      if (!any) continue;
      c.bcol.push_back(uint32_t(cb));
      for (int r = rb * br; r < (rb + 1) * br; ++r)
        for (int k = cb * bc; k < (cb + 1) * bc; ++k)
          c.values.push_back(r < rows && k < cols ? w[size_t(r) * size_t(cols) + size_t(k)] : T(0));
    }
    c.ptr[size_t(rb) + 1] = uint32_t(c.bcol.size());
  }
  return c;
}

template <typename T>
Status DenseGemm(std::span<const T> w, std::span<const T> x, int m, int k, int n, std::span<Acc<T>> y, KernelPath path) {
  if (m < 0 || k < 0 || n < 0) return InvalidArgumentError("sparse GEMM: negative shape");
  TP_RETURN_IF_ERROR(CheckSizes(w.size(), uint64_t(m) * uint64_t(k), x.size(), uint64_t(k) * uint64_t(n), y.size(),
                                uint64_t(m) * uint64_t(n)));
  if (path == KernelPath::kBest) {
    if constexpr (std::is_same_v<T, float>) simd::DenseF32(w.data(), x.data(), m, k, n, y.data());
    else simd::DenseI8(w.data(), x.data(), m, k, n, y.data());
    return Status::Ok();
  }
  for (int r = 0; r < m; ++r)
    for (int j = 0; j < n; ++j) {
      Acc<T> acc = 0;
      for (int kk = 0; kk < k; ++kk) acc = MulAdd(acc, w[size_t(r) * size_t(k) + size_t(kk)], x[size_t(kk) * size_t(n) + size_t(j)]);
      y[size_t(r) * size_t(n) + size_t(j)] = acc;
    }
  return Status::Ok();
}

template <typename T>
Status CsrGemm(const CompressedMatrix<T>& w, std::span<const T> x, int n, std::span<Acc<T>> y, KernelPath path) {
  if (!w.by_rows) return InvalidArgumentError("CsrGemm needs a CSR matrix");
  TP_RETURN_IF_ERROR(CheckCompressed(w, x.size(), n, y.size()));
  if (path == KernelPath::kBest) {
    if constexpr (std::is_same_v<T, float>) simd::RowRunsF32(w.rows, w.ptr.data(), w.idx.data(), w.values.data(), x.data(), n, y.data());
    else simd::RowRunsI8(w.rows, w.ptr.data(), w.idx.data(), w.values.data(), x.data(), n, y.data());
    return Status::Ok();
  }
  for (int r = 0; r < w.rows; ++r)
    for (int j = 0; j < n; ++j) {
      Acc<T> acc = 0;
      for (uint32_t e = w.ptr[size_t(r)]; e < w.ptr[size_t(r) + 1]; ++e)
        acc = MulAdd(acc, w.values[e], x[size_t(w.idx[e]) * size_t(n) + size_t(j)]);
      y[size_t(r) * size_t(n) + size_t(j)] = acc;
    }
  return Status::Ok();
}

template <typename T>
Status CscGemm(const CompressedMatrix<T>& w, std::span<const T> x, int n, std::span<Acc<T>> y) {
  if (w.by_rows) return InvalidArgumentError("CscGemm needs a CSC matrix");
  TP_RETURN_IF_ERROR(CheckCompressed(w, x.size(), n, y.size()));
  // EIE's order: per token, walk the non-zero activations in increasing k
  // and broadcast each to its weight column; each output still sees its
  // products in increasing k.
  std::vector<Acc<T>> column(size_t(w.rows));
  for (int j = 0; j < n; ++j) {
    std::fill(column.begin(), column.end(), Acc<T>(0));
    for (int k = 0; k < w.cols; ++k) {
      const T a = x[size_t(k) * size_t(n) + size_t(j)];
      if (a == T(0)) continue;
      for (uint32_t e = w.ptr[size_t(k)]; e < w.ptr[size_t(k) + 1]; ++e)
        column[w.idx[e]] = MulAdd(column[w.idx[e]], w.values[e], a);
    }
    for (int r = 0; r < w.rows; ++r) y[size_t(r) * size_t(n) + size_t(j)] = column[size_t(r)];
  }
  return Status::Ok();
}

template <typename T>
Status NmGemm(const NmMatrix<T>& w, std::span<const T> x, int n, std::span<Acc<T>> y, KernelPath path) {
  const uint64_t groups = (uint64_t(w.cols) + uint64_t(w.m) - 1) / uint64_t(w.m);
  const uint64_t slots = uint64_t(w.rows) * groups * uint64_t(w.n);
  if (w.m < 1 || w.m > 256 || w.n < 1 || w.n > w.m || w.values.size() != slots || w.pos.size() != slots ||
      std::any_of(w.pos.begin(), w.pos.end(), [&](uint8_t p) { return p >= w.m; }))
    return InvalidArgumentError("sparse GEMM: malformed N:M matrix");
  TP_RETURN_IF_ERROR(CheckSizes(0, 0, x.size(), uint64_t(w.cols) * uint64_t(n), y.size(), uint64_t(w.rows) * uint64_t(n)));
  if (path == KernelPath::kBest) {
    if constexpr (std::is_same_v<T, float>) simd::NmF32(w.rows, w.cols, w.n, w.m, w.pos.data(), w.values.data(), x.data(), n, y.data());
    else simd::NmI8(w.rows, w.cols, w.n, w.m, w.pos.data(), w.values.data(), x.data(), n, y.data());
    return Status::Ok();
  }
  const size_t per_row = size_t(groups) * size_t(w.n);
  for (int r = 0; r < w.rows; ++r)
    for (int j = 0; j < n; ++j) {
      Acc<T> acc = 0;
      for (size_t e = 0; e < per_row; ++e) {
        const size_t k = (e / size_t(w.n)) * size_t(w.m) + w.pos[size_t(r) * per_row + e];
        if (k < size_t(w.cols)) acc = MulAdd(acc, w.values[size_t(r) * per_row + e], x[k * size_t(n) + size_t(j)]);
      }
      y[size_t(r) * size_t(n) + size_t(j)] = acc;
    }
  return Status::Ok();
}

template <typename T>
Status BlockGemm(const BlockMatrix<T>& w, std::span<const T> x, int n, std::span<Acc<T>> y, KernelPath path) {
  const int nbr = w.br > 0 ? (w.rows + w.br - 1) / w.br : 0, nbc = w.bc > 0 ? (w.cols + w.bc - 1) / w.bc : 0;
  if (w.br < 1 || w.bc < 1 || w.ptr.size() != size_t(nbr) + 1 || w.ptr.back() != w.bcol.size() ||
      w.values.size() != w.bcol.size() * size_t(w.br) * size_t(w.bc) ||
      std::any_of(w.bcol.begin(), w.bcol.end(), [&](uint32_t c) { return c >= uint32_t(nbc); }))
    return InvalidArgumentError("sparse GEMM: malformed block matrix");
  TP_RETURN_IF_ERROR(CheckSizes(0, 0, x.size(), uint64_t(w.cols) * uint64_t(n), y.size(), uint64_t(w.rows) * uint64_t(n)));
  if (path == KernelPath::kBest) {
    if constexpr (std::is_same_v<T, float>)
      simd::BlocksF32(w.rows, w.cols, w.br, w.bc, w.ptr.data(), w.bcol.data(), w.values.data(), x.data(), n, y.data());
    else
      simd::BlocksI8(w.rows, w.cols, w.br, w.bc, w.ptr.data(), w.bcol.data(), w.values.data(), x.data(), n, y.data());
    return Status::Ok();
  }
  for (int r = 0; r < w.rows; ++r) {
    const int rb = r / w.br, rr = r % w.br;
    for (int j = 0; j < n; ++j) {
      Acc<T> acc = 0;
      for (uint32_t b = w.ptr[size_t(rb)]; b < w.ptr[size_t(rb) + 1]; ++b)
        for (int c = 0; c < w.bc; ++c) {
          const size_t k = size_t(w.bcol[b]) * size_t(w.bc) + size_t(c);
          if (k >= size_t(w.cols)) break;
          acc = MulAdd(acc, w.values[(size_t(b) * size_t(w.br) + size_t(rr)) * size_t(w.bc) + size_t(c)],
                       x[k * size_t(n) + size_t(j)]);
        }
      y[size_t(r) * size_t(n) + size_t(j)] = acc;
    }
  }
  return Status::Ok();
}

#define TP_SPARSE_GEMM_INSTANTIATE(T)                                                                          \
  template CompressedMatrix<T> Compress<T>(std::span<const T>, int, int, bool);                               \
  template StatusOr<NmMatrix<T>> CompressNm<T>(std::span<const T>, int, int, int, int);                       \
  template BlockMatrix<T> CompressBlocks<T>(std::span<const T>, int, int, int, int);                          \
  template Status DenseGemm<T>(std::span<const T>, std::span<const T>, int, int, int, std::span<Acc<T>>,      \
                               KernelPath);                                                                   \
  template Status CsrGemm<T>(const CompressedMatrix<T>&, std::span<const T>, int, std::span<Acc<T>>,          \
                             KernelPath);                                                                     \
  template Status CscGemm<T>(const CompressedMatrix<T>&, std::span<const T>, int, std::span<Acc<T>>);         \
  template Status NmGemm<T>(const NmMatrix<T>&, std::span<const T>, int, std::span<Acc<T>>, KernelPath);     \
  template Status BlockGemm<T>(const BlockMatrix<T>&, std::span<const T>, int, std::span<Acc<T>>, KernelPath);
TP_SPARSE_GEMM_INSTANTIATE(float)
TP_SPARSE_GEMM_INSTANTIATE(int8_t)

}  // namespace tp::sparse
