// Magnitude pruning at every granularity the lecture covers. Each pruning is
// "remove the `count` lowest-scoring units", so all of them share one
// selection routine; they differ only in what a unit is and how it scores.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>

#include "tensorpress/sparse.h"

namespace tp::sparse {
namespace {

// Marks the `count` units with the smallest score. The order is total
// (score, then position), so the result does not depend on the sort.
std::vector<uint8_t> LowestUnits(const std::vector<double>& scores, uint64_t count) {
  std::vector<uint8_t> pruned(scores.size(), 0);
  if (count == 0) return pruned;
  count = std::min<uint64_t>(count, scores.size());
  std::vector<uint32_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0u);
  // Larger index first among equal scores: pruning the later element keeps
  // the earlier one, as the header promises.
  auto less = [&](uint32_t a, uint32_t b) { return scores[a] < scores[b] || (scores[a] == scores[b] && a > b); };
  std::nth_element(order.begin(), order.begin() + int64_t(count - 1), order.end(), less);
  for (uint64_t i = 0; i < count; ++i) pruned[order[i]] = 1;
  return pruned;
}

uint64_t RoundedCount(double fraction, uint64_t units) {
  return std::min<uint64_t>(units, uint64_t(std::llround(fraction * double(units))));
}

}  // namespace

std::string_view GranularityName(Granularity g) {
  switch (g) {
    case Granularity::kElement: return "element";
    case Granularity::kNM: return "nm";
    case Granularity::kBlock: return "block";
    case Granularity::kRow: return "row";
    case Granularity::kColumn: return "column";
  }
  return "?";
}

StatusOr<WeightMatrix> MatrixOf(const Shape& shape, WeightLayout layout) {
  if (shape.size() < 2) return InvalidArgumentError("a weight matrix needs rank >= 2, got " + ShapeToString(shape));
  auto count = ElementCount(shape);
  if (!count) return InvalidArgumentError("bad shape " + ShapeToString(shape));
  WeightMatrix w;
  w.layout = layout;
  w.rows = layout == WeightLayout::kOutputFirst ? shape.front() : shape.back();
  w.cols = w.rows ? int64_t(*count / uint64_t(w.rows)) : 0;
  if (uint64_t(w.cols) > std::numeric_limits<uint32_t>::max() || uint64_t(w.rows) > std::numeric_limits<uint32_t>::max())
    return UnsupportedError("weight matrix " + ShapeToString(shape) + " has a dimension over 2^32");
  return w;
}

Status ValidatePruneOptions(const PruneOptions& o) {
  if (o.granularity == Granularity::kNM) {
    if (o.m < 1 || o.m > 256 || o.n < 1 || o.n > o.m)
      return InvalidArgumentError("N:M needs 1 <= N <= M <= 256, got " + std::to_string(o.n) + ":" + std::to_string(o.m));
    return Status::Ok();
  }
  if (!(o.sparsity >= 0.0 && o.sparsity <= 1.0))
    return InvalidArgumentError("sparsity must lie in [0, 1], got " + std::to_string(o.sparsity));
  if (o.granularity == Granularity::kBlock && (o.block_rows < 1 || o.block_cols < 1 || o.block_rows > 4096 ||
                                               o.block_cols > 4096))
    return InvalidArgumentError("block sides must lie in [1, 4096]");
  return Status::Ok();
}

StatusOr<std::vector<uint8_t>> MagnitudePruneMask(std::span<const double> values, const WeightMatrix& w,
                                                  const PruneOptions& options) {
  TP_RETURN_IF_ERROR(ValidatePruneOptions(options));
  if (uint64_t(w.rows) * uint64_t(w.cols) != values.size())
    return InvalidArgumentError("pruning " + std::to_string(values.size()) + " values as a " + std::to_string(w.rows) +
                                "x" + std::to_string(w.cols) + " matrix");
  if (values.size() > std::numeric_limits<uint32_t>::max()) return UnsupportedError("tensor over 2^32 elements");
  std::vector<uint8_t> keep(values.size(), 1);
  switch (options.granularity) {
    case Granularity::kElement: {
      std::vector<double> scores(values.size());
      for (size_t i = 0; i < values.size(); ++i) scores[i] = std::fabs(values[i]);
      std::vector<uint8_t> pruned = LowestUnits(scores, RoundedCount(options.sparsity, values.size()));
      for (size_t i = 0; i < values.size(); ++i) keep[i] = !pruned[i];
      break;
    }
    case Granularity::kNM: {
      const int m = options.m, n = options.n;
      std::vector<int64_t> group(size_t(m), 0);
      for (int64_t o = 0; o < w.rows; ++o) {
        for (int64_t k0 = 0; k0 < w.cols; k0 += m) {
          const int r = int(std::min<int64_t>(m, w.cols - k0));
          if (r <= n) continue;  // a short tail group keeps everything it has
          for (int i = 0; i < r; ++i) group[size_t(i)] = k0 + i;
          // Largest |w| first; among equals the earlier k survives.
          std::partial_sort(group.begin(), group.begin() + n, group.begin() + r, [&](int64_t a, int64_t b) {
            const double va = std::fabs(values[w.Index(o, a)]), vb = std::fabs(values[w.Index(o, b)]);
            return va > vb || (va == vb && a < b);
          });
          for (int i = n; i < r; ++i) keep[w.Index(o, group[size_t(i)])] = 0;
        }
      }
      break;
    }
    case Granularity::kBlock: {
      const int64_t br = options.block_rows, bc = options.block_cols;
      const int64_t nbr = (w.rows + br - 1) / br, nbc = (w.cols + bc - 1) / bc;
      // Mean square, not the sum, so clipped edge tiles are not favoured for pruning.
      std::vector<double> scores(size_t(nbr * nbc), 0.0);
      for (int64_t o = 0; o < w.rows; ++o)
        for (int64_t k = 0; k < w.cols; ++k) {
          const double v = values[w.Index(o, k)];
          scores[size_t((o / br) * nbc + k / bc)] += v * v;
        }
      for (int64_t b = 0; b < nbr * nbc; ++b) {
        const int64_t h = std::min(br, w.rows - (b / nbc) * br), wd = std::min(bc, w.cols - (b % nbc) * bc);
        scores[size_t(b)] /= double(h * wd);
      }
      std::vector<uint8_t> pruned = LowestUnits(scores, RoundedCount(options.sparsity, scores.size()));
      for (int64_t o = 0; o < w.rows; ++o)
        for (int64_t k = 0; k < w.cols; ++k)
          if (pruned[size_t((o / br) * nbc + k / bc)]) keep[w.Index(o, k)] = 0;
      break;
    }
    case Granularity::kRow:
    case Granularity::kColumn: {
      const bool rows = options.granularity == Granularity::kRow;
      std::vector<double> scores(size_t(rows ? w.rows : w.cols), 0.0);
      for (int64_t o = 0; o < w.rows; ++o)
        for (int64_t k = 0; k < w.cols; ++k) {
          const double v = values[w.Index(o, k)];
          scores[size_t(rows ? o : k)] += v * v;
        }
      std::vector<uint8_t> pruned = LowestUnits(scores, RoundedCount(options.sparsity, scores.size()));
      for (int64_t o = 0; o < w.rows; ++o)
        for (int64_t k = 0; k < w.cols; ++k)
          if (pruned[size_t(rows ? o : k)]) keep[w.Index(o, k)] = 0;
      break;
    }
  }
  return keep;
}

WeightLayout GuessLayout(const std::string& name) {
  return name.find("kernel") != std::string::npos ? WeightLayout::kOutputLast : WeightLayout::kOutputFirst;
}

bool LooksLikeWeight(const std::string& name, int rank) {
  auto ends = [&](std::string_view tail) {
    return name.size() >= tail.size() && name.compare(name.size() - tail.size(), tail.size(), tail) == 0;
  };
  if (name.find("norm") != std::string::npos || name.find("depthwise") != std::string::npos) return false;
  return ends(".weight") || ends("kernel") || (rank == 4 && ends("/Conv2D")) || (rank == 2 && ends("/MatMul"));
}

namespace {

// Float tensors, and integer tensors whose zero is the code 0 (no quant
// parameters, or every zero point 0: TFLite's symmetric int8 weights), so a
// pruned element is all-zero bytes in either case.
bool PrunableDType(const Tensor& t) {
  const DTypeTraits& tr = Traits(t.dtype());
  if (tr.is_quantized_block || tr.bits % 8 != 0 || tr.bits == 0 || t.dtype() == DType::kBool) return false;
  if (tr.is_float) return true;
  if (!t.quant()) return true;
  for (int64_t z : t.quant()->zero_point)
    if (z != 0) return false;
  return true;
}

// The real values of a tensor: floats as stored, integers times their
// per-tensor or per-channel scale when the tensor carries one.
std::vector<double> RealValues(const Tensor& t) {
  std::vector<double> v(t.elements());
  ElementsAsDouble(t, 0, v.size(), v.data());
  const auto& q = t.quant();
  if (Traits(t.dtype()).is_float || !q || q->scale.empty()) return v;
  if (q->scale.size() == 1 || q->axis < 0 || q->axis >= t.rank()) {
    for (double& x : v) x *= q->scale[0];
    return v;
  }
  uint64_t inner = 1;
  for (int d = q->axis + 1; d < t.rank(); ++d) inner *= uint64_t(t.shape()[size_t(d)]);
  const uint64_t channels = uint64_t(t.shape()[size_t(q->axis)]);
  for (uint64_t i = 0; i < v.size(); ++i) {
    const uint64_t c = (i / inner) % channels;
    v[i] *= c < q->scale.size() ? q->scale[c] : q->scale[0];
  }
  return v;
}

}  // namespace

bool IsPrunable(const Tensor& t, WeightLayout layout) {
  if (!PrunableDType(t) || t.rank() < 2) return false;
  auto w = MatrixOf(t.shape(), layout);
  return w.ok() && w->rows >= 2 && w->cols >= 2;
}

StatusOr<PrunedTensor> PruneTensor(const Tensor& tensor, WeightLayout layout, const PruneOptions& options) {
  const DTypeTraits& tr = Traits(tensor.dtype());
  if (!PrunableDType(tensor))
    return UnsupportedError("cannot prune " + tensor.name() + ": dtype " + std::string(tr.name) +
                            (tr.is_float || tr.is_quantized_block ? "" : " with a non-zero zero point") +
                            " (float tensors, or integers whose zero is code 0)");
  TP_ASSIGN_OR_RETURN(WeightMatrix w, MatrixOf(tensor.shape(), layout));
  const std::vector<double> values = RealValues(tensor);
  TP_ASSIGN_OR_RETURN(std::vector<uint8_t> keep, MagnitudePruneMask(values, w, options));

  const size_t esize = size_t(tr.bits / 8);
  std::vector<uint8_t> bytes(tensor.bytes().begin(), tensor.bytes().end());
  PruneReport r;
  r.name = tensor.name();
  r.shape = tensor.shape();
  r.elements = values.size();
  double signal = 0, noise = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    const double v = values[i];
    signal += v * v;
    if (v == 0.0) ++r.zeros_before;
    if (!keep[i]) {
      std::memset(bytes.data() + i * esize, 0, esize);
      noise += v * v;
    }
    if (!keep[i] || v == 0.0) ++r.zeros_after;
  }
  r.rmse = values.empty() ? 0.0 : std::sqrt(noise / double(values.size()));
  r.snr_db = noise > 0 ? 10.0 * std::log10(signal / noise) : std::numeric_limits<double>::infinity();
  TP_ASSIGN_OR_RETURN(Tensor out, Tensor::FromBytes(tensor.name(), tensor.dtype(), tensor.shape(), std::move(bytes)));
  if (tensor.quant()) out.set_quant(*tensor.quant());
  return PrunedTensor{std::move(out), std::move(r)};
}

}  // namespace tp::sparse
