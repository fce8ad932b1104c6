// Weight sparsity: magnitude pruning, sparse storage formats and sparse GEMMs.
//
// Read me first. Every weight tensor is seen as a matrix W of `rows` output
// channels by `cols` reduction elements (the dimension a GEMM sums over). How
// that matrix lies in memory depends on the model's convention:
//   - output-first (PyTorch/llama2.c/GGUF `[out, in]`): W[o, k] at o*cols + k;
//   - output-last (Keras dense `[in, out]`, conv HWIO `[h, w, in, out]`):
//     W[o, k] at k*rows + o, the leading dimensions flattened into k.
// N:M groups run along k (the hardware's reduction dimension, as in Ampere's
// 2:4 and ARM's density-bound STA blocks), blocks tile the (o, k) matrix,
// "row" pruning removes whole output channels and "column" pruning whole
// reduction elements (input channels/taps) of every output.
//
// Ties in magnitude are broken by position (the earlier element survives),
// so a pruning is a pure function of its input.
//
// The formats (NmPacked, BlockSparse, Compressed CSR/CSC) are exact: the
// decode of an encode is the input, bit for bit, for any tensor that meets
// the format's constraint (at most N non-zeros in each group of M for N:M;
// anything for the others). Their byte sizes are what a serialized buffer
// takes, header included, so they can be compared with the entropy limit.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "tensorpress/status.h"
#include "tensorpress/tensor.h"

namespace tp::sparse {

// --- Matrix view of a weight tensor -----------------------------------------

enum class WeightLayout : uint8_t { kOutputFirst, kOutputLast };

struct WeightMatrix {
  int64_t rows = 0;  // output channels
  int64_t cols = 0;  // reduction length
  WeightLayout layout = WeightLayout::kOutputFirst;
  uint64_t Index(int64_t o, int64_t k) const {
    return layout == WeightLayout::kOutputFirst ? uint64_t(o) * uint64_t(cols) + uint64_t(k)
                                                : uint64_t(k) * uint64_t(rows) + uint64_t(o);
  }
};

// The matrix view of a tensor of rank >= 2 under `layout`.
StatusOr<WeightMatrix> MatrixOf(const Shape& shape, WeightLayout layout);

// --- Pruning ------------------------------------------------------------------

enum class Granularity : uint8_t {
  kElement,  // unstructured: the smallest |w| of the whole tensor
  kNM,       // keep the N largest |w| of every M consecutive k of a row
  kBlock,    // block_rows x block_cols tiles with the smallest mean square
  kRow,      // whole output channels with the smallest L2 norm
  kColumn,   // whole reduction elements with the smallest L2 norm
};
std::string_view GranularityName(Granularity g);

struct PruneOptions {
  Granularity granularity = Granularity::kElement;
  double sparsity = 0.5;  // fraction of elements/blocks/rows/columns removed (not N:M)
  int n = 2, m = 4;       // N:M: keep n of every m, 1 <= n <= m <= 256
  int block_rows = 4, block_cols = 4;
};
// kInvalidArgument on an out-of-range field.
Status ValidatePruneOptions(const PruneOptions& options);

// Which of `values` (in the tensor's memory order) survive: keep[i] is 1 or
// 0. Elements already zero may be reported kept; pruning never revives one.
StatusOr<std::vector<uint8_t>> MagnitudePruneMask(std::span<const double> values, const WeightMatrix& matrix,
                                                  const PruneOptions& options);

struct PruneReport {
  std::string name;
  Shape shape;
  uint64_t elements = 0;
  uint64_t zeros_before = 0;
  uint64_t zeros_after = 0;
  double rmse = 0;       // root-mean-square change over all elements
  double snr_db = 0;     // 10 log10(sum w^2 / sum (w - w')^2); +inf when nothing changed
  double sparsity() const { return elements ? double(zeros_after) / double(elements) : 0.0; }
};

// A tensor of the same name, dtype and shape with the pruned elements set to
// all-zero bytes (+0 for floats, code 0 for integers), the other elements
// keeping their exact bits, and its report. Floats, and integer tensors
// whose zero point is 0 (TFLite's symmetric int8 weights): those are scored
// and measured in real units, q times the per-tensor or per-channel scale.
struct PrunedTensor {
  Tensor tensor;
  PruneReport report;
};
StatusOr<PrunedTensor> PruneTensor(const Tensor& tensor, WeightLayout layout, const PruneOptions& options);

// The layout a model's weights use, guessed from the tensor names: Keras
// paths ("kernel" in the name) are output-last, everything else output-first.
WeightLayout GuessLayout(const std::string& tensor_name);

// Whether a tensor is a weight matrix PruneTensor can prune: rank >= 2, at
// least 2 outputs and 2 reduction elements, a dtype as above.
bool IsPrunable(const Tensor& tensor, WeightLayout layout);
// Whether a tensor's name marks it as a GEMM/convolution weight, the tensors
// the cost model treats as layers (sim.h): "*.weight", "*kernel" (not
// depthwise), TFLite "*/Conv2D" (rank 4) and "*/MatMul" (rank 2); never norms
// or lookup tables such as llama2.c's RoPE "freq_cis_*".
bool LooksLikeWeight(const std::string& tensor_name, int rank);

// --- Storage formats ----------------------------------------------------------
// Values are stored as raw little-endian elements of `value_bytes` bytes each
// (1 for int8, 2 for f16/bf16, 4 for f32), so every format is lossless for
// every dtype. The matrix is always taken output-first (rows x cols); a
// caller with an output-last tensor transposes first.

struct SparseMatrix {
  int64_t rows = 0, cols = 0;
  int value_bytes = 4;
  std::vector<uint8_t> values;  // rows * cols * value_bytes, row-major
  bool IsZero(int64_t r, int64_t c) const;
};

// The smallest unsigned width (1, 2 or 4 bytes) that holds every value < limit.
int IndexBytesFor(uint64_t limit);

// N:M compressed (cuSPARSELt-style): per row, per group of m columns, exactly
// n value slots (zero-filled when the group has fewer non-zeros) and n
// ceil(log2 m)-bit positions, packed LSB-first into a bitstream per row.
// kInvalidArgument when some group holds more than n non-zeros.
StatusOr<std::vector<uint8_t>> EncodeNm(const SparseMatrix& matrix, int n, int m);
StatusOr<SparseMatrix> DecodeNm(std::span<const uint8_t> bytes);
// Bytes EncodeNm produces, without encoding.
uint64_t NmEncodedBytes(int64_t rows, int64_t cols, int value_bytes, int n, int m);

// Block-sparse: one bit per br x bc tile (set: stored), then every stored
// tile's values densely (edge tiles clipped to the matrix).
StatusOr<std::vector<uint8_t>> EncodeBlockSparse(const SparseMatrix& matrix, int block_rows, int block_cols);
StatusOr<SparseMatrix> DecodeBlockSparse(std::span<const uint8_t> bytes);

// CSR (compressed rows) or CSC (compressed columns): pointers of a width that
// holds nnz, indices of a width that holds the minor dimension, then values.
enum class CompressedAxis : uint8_t { kRows = 0, kColumns = 1 };
StatusOr<std::vector<uint8_t>> EncodeCompressed(const SparseMatrix& matrix, CompressedAxis axis);
StatusOr<SparseMatrix> DecodeCompressed(std::span<const uint8_t> bytes);

// Sizes of every format for one matrix against its entropy limit. The values
// are the same in every format, so the limit keeps them raw and asks what
// the positions cost at best: an i.i.d. zero/non-zero map of the matrix's
// density needs elements * H2(density) bits (H2 the binary entropy), which no
// position coding of a matrix with that density beats on average.
struct FormatSizes {
  uint64_t elements = 0, nonzeros = 0;
  uint64_t dense = 0;            // elements * value_bytes
  uint64_t value_bytes = 0;      // nonzeros * value_bytes, in every format below
  uint64_t csr = 0, csc = 0;     // whole streams, header included
  uint64_t block4x4 = 0;
  uint64_t nm24 = 0;             // 2:4 when every group of 4 has <= 2 non-zeros, else 0
  double map_entropy_bits = 0;   // elements * H2(nonzeros / elements)
  double limit_bytes() const { return double(value_bytes) + map_entropy_bits / 8.0; }
};
StatusOr<FormatSizes> MeasureFormats(const SparseMatrix& matrix);

// A SparseMatrix of a weight tensor (dtype f32/f16/bf16/i8/u8...), transposed
// to output-first when `layout` is output-last.
StatusOr<SparseMatrix> SparseMatrixOf(const Tensor& tensor, WeightLayout layout);

// --- Sparse GEMM kernels ------------------------------------------------------
// Y (M x N) = W (M x K) * X (K x N), all row-major as in gemm.h: W holds
// output rows, X one token per column, so the SIMD paths run along tokens.
// Every kernel adds each output's non-zero products in increasing k, the
// order of DenseGemm, so for finite inputs the results are bit-identical to
// it: f32 because skipped terms are +-0 (adding one never changes a sum that
// started at +0), int8 x int8 -> int32 because wrap-around addition is exact.
// Element types: float (f32 accumulators) and int8_t (int32 accumulators).

enum class KernelPath : uint8_t { kScalar, kBest };  // kBest: Highway, dynamically dispatched

template <typename T> struct Accumulator;
template <> struct Accumulator<float> { using type = float; };
template <> struct Accumulator<int8_t> { using type = int32_t; };
template <typename T> using Acc = typename Accumulator<T>::type;

// CSR (compressed rows) when `by_rows`, else CSC: ptr has major+1 entries,
// idx the minor index of each stored value.
template <typename T>
struct CompressedMatrix {
  int rows = 0, cols = 0;
  bool by_rows = true;
  std::vector<uint32_t> ptr, idx;
  std::vector<T> values;
};
template <typename T>
CompressedMatrix<T> Compress(std::span<const T> w, int rows, int cols, bool by_rows);

// N:M: per row, per group of m columns, exactly n (value, position) slots
// (unused slots: value 0 at a free position), positions increasing.
template <typename T>
struct NmMatrix {
  int rows = 0, cols = 0, n = 2, m = 4;
  std::vector<T> values;        // rows * groups * n
  std::vector<uint8_t> pos;     // the same count, each < m
};
template <typename T>
StatusOr<NmMatrix<T>> CompressNm(std::span<const T> w, int rows, int cols, int n, int m);

// Block-sparse (BSR): per block row, the stored block columns and their
// br x bc values (edge blocks zero-padded).
template <typename T>
struct BlockMatrix {
  int rows = 0, cols = 0, br = 4, bc = 4;
  std::vector<uint32_t> ptr, bcol;  // ptr: block rows + 1
  std::vector<T> values;            // stored blocks * br * bc
};
template <typename T>
BlockMatrix<T> CompressBlocks(std::span<const T> w, int rows, int cols, int br, int bc);

// kInvalidArgument when a span's size does not match the shapes.
template <typename T>
Status DenseGemm(std::span<const T> w, std::span<const T> x, int m, int k, int n, std::span<Acc<T>> y,
               KernelPath path = KernelPath::kBest);
// CSR x dense: row by row, one scaled X row per stored weight.
template <typename T>
Status CsrGemm(const CompressedMatrix<T>& w, std::span<const T> x, int n, std::span<Acc<T>> y,
             KernelPath path = KernelPath::kBest);
// EIE: CSC weights, and per token only the non-zero activations: a zero x
// skips its whole weight column. Scalar (it scatters).
template <typename T>
Status CscGemm(const CompressedMatrix<T>& w, std::span<const T> x, int n, std::span<Acc<T>> y);
template <typename T>
Status NmGemm(const NmMatrix<T>& w, std::span<const T> x, int n, std::span<Acc<T>> y,
            KernelPath path = KernelPath::kBest);
template <typename T>
Status BlockGemm(const BlockMatrix<T>& w, std::span<const T> x, int n, std::span<Acc<T>> y,
               KernelPath path = KernelPath::kBest);

}  // namespace tp::sparse
