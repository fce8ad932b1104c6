// The scalar slice GEMM (AQS-GEMM and Sibia) and its counters; see gemm.h for
// the algebra. Arithmetic is modulo 2^32 (uint32) so that it matches the
// reference bit for bit even where a sum would overflow int32.
#include <algorithm>
#include <string>

#include "tensorpress/gemm.h"

namespace tp {

OperandTraffic MeasureOperand(const SlicedOperand& op, const CompressedHo& ho) {
  OperandTraffic t;
  const uint64_t vectors = uint64_t(op.blocks) * op.depth;
  t.ho_bytes_dense = vectors * 2;  // four 4-bit slices
  t.ho_bytes_compressed = uint64_t(ho.run.size()) * 2;
  t.index_bytes = (uint64_t(ho.run.size()) + 1) / 2;
  t.lo_bytes = uint64_t(op.slice_count() - 1) * vectors * 2;
  uint64_t skip_slices = 0, skip_vectors = 0;
  for (int b = 0; b < op.blocks; ++b) {
    const int real = std::min(4, op.lanes - 4 * b);
    for (int k = 0; k < op.depth; ++k) {
      const int8_t* v = op.Vector(0, b, k);
      int same = 0;
      for (int lane = 0; lane < 4; ++lane) same += v[lane] == op.skip_value && lane < real;
      skip_slices += same;
      skip_vectors += same == real;
    }
  }
  const uint64_t slices = uint64_t(op.lanes) * op.depth;
  t.ho_slice_sparsity = slices ? double(skip_slices) / double(slices) : 0;
  t.ho_vector_sparsity = vectors ? double(skip_vectors) / double(vectors) : 0;
  return t;
}

SliceGemmOperand PrepareSliceOperand(SlicedOperand sliced) {
  SliceGemmOperand op;
  op.ho = CompressHo(sliced);
  op.sliced = std::move(sliced);
  return op;
}

std::vector<int32_t> CompensationBias(const SliceGemmOperand& w, const SliceGemmOperand& x) {
  const SlicedOperand& ws = w.sliced;
  std::vector<int32_t> bias(ws.rows, 0);
  const uint32_t zh = static_cast<uint32_t>(int32_t{x.sliced.skip_value}) << x.sliced.shift[0];
  for (int r = 0; r < ws.rows; ++r) {
    uint32_t sum = 0;
    for (int s = 0; s < ws.slice_count(); ++s)
      for (int k = 0; k < ws.depth; ++k)
        sum += static_cast<uint32_t>(int32_t{ws.Vector(s, r / 4, k)[r % 4]}) << ws.shift[s];
    bias[r] = static_cast<int32_t>(zh * sum);
  }
  return bias;
}

namespace {

Status CheckOperands(const SliceGemmOperand& w, const SliceGemmOperand& x, std::span<const int32_t> bias,
                     std::span<int32_t> y) {
  const SlicedOperand &a = w.sliced, &b = x.sliced;
  if (a.depth != b.depth)
    return InvalidArgumentError("slice GEMM: K differs (" + std::to_string(a.depth) + " vs " +
                                std::to_string(b.depth) + ")");
  if (a.slice_count() < 1 || b.slice_count() < 1 || a.shift.size() != size_t(a.slice_count()) ||
      b.shift.size() != size_t(b.slice_count()))
    return InvalidArgumentError("slice GEMM: operand without slices");
  if (bias.size() != size_t(a.lanes)) return InvalidArgumentError("slice GEMM: bias needs one value per row");
  if (y.size() != size_t(a.lanes) * b.lanes) return InvalidArgumentError("slice GEMM: output has the wrong size");
  if (w.ho.blocks != a.blocks || x.ho.blocks != b.blocks)
    return InvalidArgumentError("slice GEMM: compressed HO vectors do not match the operand");
  return Status::Ok();
}

// Position (k) of every stored HO vector of one block, from the run indices.
void StoredPositions(const CompressedHo& c, int block, std::vector<int>& k_of) {
  k_of.clear();
  int k = 0;
  for (uint32_t i = c.start[block]; i < c.start[block + 1]; ++i) {
    k += c.run[i];
    k_of.push_back(k++);
  }
}

}  // namespace

Status SliceGemmScalar(const SliceGemmOperand& w, const SliceGemmOperand& x, std::span<const int32_t> bias,
                       std::span<int32_t> y, SliceGemmCounters* counters) {
  TP_RETURN_IF_ERROR(CheckOperands(w, x, bias, y));
  const SlicedOperand &ws = w.sliced, &xs = x.sliced;
  const int depth = ws.depth, sw = ws.slice_count(), sx = xs.slice_count();
  const uint32_t skip = static_cast<uint32_t>(int32_t{xs.skip_value});
  SliceGemmCounters c;
  std::vector<int> w_k, x_k;
  // Per-k pointer to the stored weight HO vector (nullptr when compressed).
  std::vector<const int8_t*> w_ho(depth), x_ho(depth);
  for (int rb = 0; rb < ws.blocks; ++rb) {
    std::fill(w_ho.begin(), w_ho.end(), nullptr);
    StoredPositions(w.ho, rb, w_k);
    for (size_t i = 0; i < w_k.size(); ++i) w_ho[w_k[i]] = &w.ho.slices[(w.ho.start[rb] + i) * 4];
    for (int tb = 0; tb < xs.blocks; ++tb) {
      std::fill(x_ho.begin(), x_ho.end(), nullptr);
      StoredPositions(x.ho, tb, x_k);
      for (size_t i = 0; i < x_k.size(); ++i) x_ho[x_k[i]] = &x.ho.slices[(x.ho.start[tb] + i) * 4];
      uint32_t acc[4][4] = {};
      uint32_t comp[4] = {};  // sum of loaded weight slices (shifted) over uncompressed X_H vectors
      bool compensated = false;
      auto outer = [&](const int8_t* wv, const int8_t* xv, int shift) {
        for (int i = 0; i < 4; ++i)
          for (int j = 0; j < 4; ++j)
            acc[i][j] += static_cast<uint32_t>(int32_t{wv[i]} * int32_t{xv[j]}) << shift;
        c.multiplies += 16;
        c.additions += 16;
      };
      for (int k = 0; k < depth; ++k) {
        for (int s = 0; s < sw; ++s) {
          const int8_t* wv = s == 0 ? w_ho[k] : ws.Vector(s, rb, k);
          if (!wv) continue;  // an all-zero weight HO vector multiplies to nothing
          if (x_ho[k]) {
            outer(wv, x_ho[k], ws.shift[s] + xs.shift[0]);
            if (skip != 0) {
              for (int i = 0; i < 4; ++i) comp[i] += static_cast<uint32_t>(int32_t{wv[i]}) << ws.shift[s];
              c.compensation_ops += 4;
              compensated = true;
            }
          }
          for (int t = 1; t < sx; ++t) outer(wv, xs.Vector(t, tb, k), ws.shift[s] + xs.shift[t]);
        }
      }
      const int rows = std::min(4, ws.lanes - 4 * rb), cols = std::min(4, xs.lanes - 4 * tb);
      for (int i = 0; i < rows; ++i) {
        const uint32_t correction = (skip << xs.shift[0]) * comp[i];
        if (compensated) c.compensation_ops += 1 + cols;  // one multiply, a subtract per output
        for (int j = 0; j < cols; ++j)
          y[size_t(4 * rb + i) * xs.lanes + 4 * tb + j] =
              static_cast<int32_t>(acc[i][j] - correction + static_cast<uint32_t>(bias[4 * rb + i]));
      }
      // Partial sums of the sw * sx slice pairs merge by shift-and-add, then the bias.
      c.additions += uint64_t(rows) * cols * (uint64_t(sw) * sx - 1 + (skip != 0));
    }
  }
  c.dense_multiplies = uint64_t(ws.blocks) * xs.blocks * depth * 16 * sw * sx;
  c.weights = MeasureOperand(ws, w.ho);
  c.activations = MeasureOperand(xs, x.ho);
  if (counters) {
    counters->multiplies += c.multiplies;
    counters->dense_multiplies += c.dense_multiplies;
    counters->additions += c.additions;
    counters->compensation_ops += c.compensation_ops;
    counters->weights = c.weights;
    counters->activations = c.activations;
  }
  return Status::Ok();
}

StatusOr<std::vector<int32_t>> AqsGemm(std::span<const int32_t> w, std::span<const uint8_t> x, int m, int k,
                                       int n, int weight_bits, int zero_point, int lo_bits,
                                       SliceGemmCounters* counters) {
  TP_ASSIGN_OR_RETURN(SlicedOperand wsl, SliceWeightsSbr(w, m, k, weight_bits));
  TP_ASSIGN_OR_RETURN(SlicedOperand xsl, SliceActivationsUnsigned(x, k, n, zero_point, lo_bits));
  SliceGemmOperand wo = PrepareSliceOperand(std::move(wsl)), xo = PrepareSliceOperand(std::move(xsl));
  std::vector<int32_t> bias = CompensationBias(wo, xo), y(size_t(m) * n);
  TP_RETURN_IF_ERROR(SliceGemmScalar(wo, xo, bias, y, counters));
  return y;
}

StatusOr<std::vector<int32_t>> SibiaGemm(std::span<const int32_t> w, std::span<const int32_t> x, int m, int k,
                                         int n, int weight_bits, int activation_bits,
                                         SliceGemmCounters* counters) {
  TP_ASSIGN_OR_RETURN(SlicedOperand wsl, SliceWeightsSbr(w, m, k, weight_bits));
  TP_ASSIGN_OR_RETURN(SlicedOperand xsl, SliceActivationsSbr(x, k, n, activation_bits));
  SliceGemmOperand wo = PrepareSliceOperand(std::move(wsl)), xo = PrepareSliceOperand(std::move(xsl));
  std::vector<int32_t> bias(size_t(m), 0), y(size_t(m) * n);
  TP_RETURN_IF_ERROR(SliceGemmScalar(wo, xo, bias, y, counters));
  return y;
}

}  // namespace tp

namespace tp {

SliceGemmCounters CountSliceGemm(const SliceGemmOperand& w, const SliceGemmOperand& x) {
  const SlicedOperand &ws = w.sliced, &xs = x.sliced;
  const int depth = ws.depth, sw = ws.slice_count(), sx = xs.slice_count();
  const bool compensating = xs.skip_value != 0;
  SliceGemmCounters c;
  std::vector<uint64_t> w_stored(depth, 0), x_stored(depth, 0);
  std::vector<int> w_k, x_k;
  std::vector<std::vector<int>> x_positions(xs.blocks);
  for (int b = 0; b < ws.blocks; ++b) {
    StoredPositions(w.ho, b, w_k);
    for (int k : w_k) ++w_stored[k];
  }
  for (int b = 0; b < xs.blocks; ++b) {
    StoredPositions(x.ho, b, x_positions[b]);
    for (int k : x_positions[b]) ++x_stored[k];
  }
  uint64_t outer = 0, comp_loads = 0;
  for (int k = 0; k < depth; ++k) {
    const uint64_t wv = w_stored[k] + uint64_t(ws.blocks) * (sw - 1);
    outer += wv * (x_stored[k] + uint64_t(xs.blocks) * (sx - 1));
    comp_loads += wv * x_stored[k];
  }
  c.multiplies = 16 * outer;
  c.additions = 16 * outer + uint64_t(ws.lanes) * xs.lanes * (uint64_t(sw) * sx - 1 + compensating);
  if (compensating) {
    c.compensation_ops = 4 * comp_loads;
    // A tile pays the final multiply-subtract when it loaded some weight
    // slice for an uncompressed activation HO vector.
    std::vector<uint8_t> w_has(depth);
    for (int rb = 0; rb < ws.blocks; ++rb) {
      std::fill(w_has.begin(), w_has.end(), sw > 1);
      StoredPositions(w.ho, rb, w_k);
      for (int k : w_k) w_has[k] = 1;
      const uint64_t rows = std::min(4, ws.lanes - 4 * rb);
      for (int tb = 0; tb < xs.blocks; ++tb) {
        bool any = false;
        for (int k : x_positions[tb])
          if (w_has[k]) {
            any = true;
            break;
          }
        if (any) c.compensation_ops += rows * (1 + std::min(4, xs.lanes - 4 * tb));
      }
    }
  }
  c.dense_multiplies = uint64_t(ws.blocks) * xs.blocks * depth * 16 * sw * sx;
  c.weights = MeasureOperand(ws, w.ho);
  c.activations = MeasureOperand(xs, x.ho);
  return c;
}

}  // namespace tp
