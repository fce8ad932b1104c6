// Panacea's settings measured on real layers: the model's GEMMs found from
// its graph or names (graph.h), each matched to its recorded input, lowered
// to GEMM operands (lower.cc), quantized four ways
// (asymmetric, +ZPM, +ZPM+DBS, Sibia's symmetric), sliced and counted.
#include <algorithm>
#include <cmath>
#include <map>
#include <string>

#include "tensorpress/gemm.h"
#include "tensorpress/graph.h"
#include "tensorpress/quant.h"

namespace tp {
namespace {

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

using Lowered = LoweredLayer;

// One GEMM of a layer (m rows x k by k x n), checked against the reference.
Status Verify(const SliceGemmOperand& w, const SliceGemmOperand& x, std::span<const int32_t> wq,
              std::span<const int32_t> xq, int m, int k, int n, const std::string& what) {
  std::vector<int32_t> bias = CompensationBias(w, x), y(size_t(m) * n), want(y.size());
  TP_RETURN_IF_ERROR(SliceGemmScalar(w, x, bias, y));
  ReferenceGemm(wq, xq, m, k, n, want);
  if (y != want) return InternalError("slice GEMM differs from the reference on " + what);
  return Status::Ok();
}

// A layer's quantized weights cut into its groups' GEMMs (one for a dense
// layer or an ungrouped convolution): group g's rows of the [m, k] matrix.
struct GroupWeights {
  int rows = 0;                              // m / groups
  std::vector<std::vector<int32_t>> q;       // per group, rows x k
  std::vector<SliceGemmOperand> sliced;      // per group
};

// Counters of a grouped layer: the groups' sums. The groups have equal
// shapes, so the layer's sparsities are the mean of theirs.
void AddTraffic(OperandTraffic& sum, const OperandTraffic& t, int groups) {
  sum.ho_bytes_dense += t.ho_bytes_dense;
  sum.ho_bytes_compressed += t.ho_bytes_compressed;
  sum.index_bytes += t.index_bytes;
  sum.lo_bytes += t.lo_bytes;
  sum.ho_slice_sparsity += t.ho_slice_sparsity / groups;
  sum.ho_vector_sparsity += t.ho_vector_sparsity / groups;
}
void AddCounters(SliceGemmCounters& sum, const SliceGemmCounters& c, int groups) {
  sum.multiplies += c.multiplies;
  sum.dense_multiplies += c.dense_multiplies;
  sum.additions += c.additions;
  sum.compensation_ops += c.compensation_ops;
  AddTraffic(sum.weights, c.weights, groups);
  AddTraffic(sum.activations, c.activations, groups);
}

}  // namespace

Status PanaceaActivationRoundTrip(std::span<const float> x, float scale, int zero_point, int lo_bits,
                                  std::span<float> out) {
  if (out.size() != x.size()) return InvalidArgumentError("output size differs from the input's");
  if (!(scale > 0) || !std::isfinite(scale)) return InvalidArgumentError("scale must be a positive finite number");
  if (zero_point < 0 || zero_point > 255) return InvalidArgumentError("zero point must be in 0..255");
  if (lo_bits < 4 || lo_bits > 6) return InvalidArgumentError("LO bits must be 4, 5 or 6");
  std::vector<uint8_t> codes(x.size());
  QuantizeU8(x, scale, zero_point, codes);
  for (size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(x[i])) {
      out[i] = x[i];
      continue;
    }
    const int32_t kept = ActJoin(ActHighSlice(codes[i], lo_bits), ActLowSlice(codes[i], lo_bits), lo_bits);
    out[i] = float(double(scale) * (kept - zero_point));
  }
  return Status::Ok();
}

namespace {

// The asymmetric setting with zero point z and LO width b: codes, DBS-rounded
// MSE, counters.
StatusOr<SliceSetting> Asymmetric(const GroupWeights& gw, const Lowered& l, float scale, int z, int seed_z,
                                  int lo_bits, bool verify, const std::string& what) {
  SliceSetting s;
  s.zero_point = z;
  s.seed_zero_point = seed_z;
  s.scale = scale;
  s.lo_bits = lo_bits;
  std::vector<uint8_t> codes(l.x.size());
  QuantizeU8(l.x, scale, z, codes);
  double err = 0, sig = 0;
  uint64_t n = 0, clipped = 0;
  for (size_t i = 0; i < codes.size(); ++i) {
    if (!std::isfinite(l.x[i])) continue;
    const int32_t kept = ActJoin(ActHighSlice(codes[i], lo_bits), ActLowSlice(codes[i], lo_bits), lo_bits);
    const double e = double(scale) * (kept - z) - l.x[i];
    const float u = std::nearbyint(l.x[i] / scale) + float(z);
    clipped += u < 0 || u > 255;
    err += e * e, sig += double(l.x[i]) * l.x[i], ++n;
  }
  s.quant_mse = n ? err / double(n) : 0;
  s.error = QuantErrorFromMse(s.quant_mse, n ? sig / double(n) : 0);
  s.clipped_fraction = n ? double(clipped) / double(n) : 0;
  const size_t block = size_t(l.k) * l.n;
  for (int g = 0; g < l.groups; ++g) {
    const std::span<const uint8_t> cg = std::span<const uint8_t>(codes).subspan(g * block, block);
    TP_ASSIGN_OR_RETURN(SlicedOperand xs, SliceActivationsUnsigned(cg, l.k, l.n, z, lo_bits));
    SliceGemmOperand x = PrepareSliceOperand(std::move(xs));
    AddCounters(s.counters, CountSliceGemm(gw.sliced[g], x), l.groups);
    if (verify) {
      std::vector<int32_t> xr(block);
      for (size_t i = 0; i < block; ++i)
        xr[i] = ActJoin(ActHighSlice(cg[i], lo_bits), ActLowSlice(cg[i], lo_bits), lo_bits);
      TP_RETURN_IF_ERROR(Verify(gw.sliced[g], x, gw.q[g], xr, gw.rows, l.k, l.n,
                                what + (l.groups > 1 ? ", group " + std::to_string(g) : "")));
    }
  }
  return s;
}

}  // namespace

StatusOr<bool> LowerToGemm(const Tensor& weight, const Tensor& activation, LoweredLayer& out) {
  if (!Traits(weight.dtype()).is_float || !Traits(activation.dtype()).is_float || activation.rank() < 1 ||
      weight.elements() == 0 || activation.elements() == 0)
    return false;
  // Named layouts: `*.kernel` Keras (dense [in, out], conv HWIO on NHWC),
  // anything else [out, in] / OIHW on NCHW; stride 1, no padding.
  const bool keras = EndsWith(weight.name(), ".kernel");
  const Shape& s = weight.shape();
  GemmOp op;
  op.op = "name";
  op.layer = weight.name();
  if (weight.rank() == 2) {
    op.layout = keras ? WeightLayout::kInOut : WeightLayout::kOutIn;
    op.k = keras ? s[0] : s[1];
    op.n = keras ? s[1] : s[0];
    op.in_channels = op.k;
  } else if (weight.rank() == 4) {
    op.conv = true;
    op.channels_last = keras;
    op.layout = keras ? WeightLayout::kHWIO : WeightLayout::kOIHW;
    op.geometry.kernel = keras ? std::array<int64_t, 2>{s[0], s[1]} : std::array<int64_t, 2>{s[2], s[3]};
    op.in_channels = keras ? s[2] : s[1];
    op.n = keras ? s[3] : s[0];
    op.k = op.geometry.kernel[0] * op.geometry.kernel[1] * op.in_channels;
  } else {
    return false;
  }
  return LowerGemmOp(op, weight, activation, out);
}

StatusOr<std::vector<LayerSliceReport>> AnalyzeSlices(const Model& weights, const Model& activations,
                                                      const SliceAnalysisOptions& options) {
  if (SbrSliceCount(options.weight_bits) == 0)
    return InvalidArgumentError("weight bits must be 4, 7, 10 or 13 for SBR");
  TP_ASSIGN_OR_RETURN(GemmGraph graph, FindGemms(weights));
  std::map<std::string, const Tensor*> by_name;
  for (const Tensor& t : weights.tensors) by_name[t.name()] = &t;
  std::vector<LayerSliceReport> out;
  for (const GemmOp& op : graph.ops) {
    const Tensor* a = FindGemmInput(op, activations);
    auto wit = by_name.find(op.weight);
    if (!a || wit == by_name.end() || !Traits(a->dtype()).is_float || a->rank() < 2) continue;
    const Tensor* w = wit->second;
    const std::string& name = w->name();
    {
      Lowered l;
      TP_ASSIGN_OR_RETURN(bool fits, LowerGemmOp(op, *w, *a, l));
      if (!fits) continue;
      LayerSliceReport r;
      r.layer = op.layer;
      r.weight = name;
      r.activation = a->name();
      r.m = l.m, r.k = l.k, r.n = l.n, r.groups = l.groups;
      const std::string what = "layer '" + r.layer + "'";
      // Weights: symmetric per output row (or per tensor), SBR-sliced.
      TP_ASSIGN_OR_RETURN(Tensor wt, Tensor::FromValues<float>(name, DType::kF32, {l.m, l.k}, l.w));
      const int axis = options.weight_granularity == WeightGranularity::kTensor ? -1 : 0;
      TP_ASSIGN_OR_RETURN(Tensor wq8, QuantizeWeightsSymmetric(wt, {.bits = options.weight_bits, .channel_axis = axis}));
      {
        TP_ASSIGN_OR_RETURN(Tensor back, Dequantize(wq8));
        r.weight_error = MeasureQuantError(l.w, back.values<float>());
      }
      std::vector<int32_t> wq(wq8.elements());
      if (wq8.dtype() == DType::kI8) {
        std::copy(wq8.values<int8_t>().begin(), wq8.values<int8_t>().end(), wq.begin());
      } else {
        std::copy(wq8.values<int16_t>().begin(), wq8.values<int16_t>().end(), wq.begin());
      }
      // Quantized as one matrix (per-tensor scales span the groups), sliced
      // per group: each group is its own GEMM.
      GroupWeights gw;
      gw.rows = l.m / l.groups;
      const size_t wblock = size_t(gw.rows) * l.k;
      for (int g = 0; g < l.groups; ++g) {
        gw.q.emplace_back(wq.begin() + g * wblock, wq.begin() + (g + 1) * wblock);
        TP_ASSIGN_OR_RETURN(SlicedOperand wsl, SliceWeightsSbr(gw.q.back(), gw.rows, l.k, options.weight_bits));
        gw.sliced.push_back(PrepareSliceOperand(std::move(wsl)));
        AddTraffic(r.weights, MeasureOperand(gw.sliced.back().sliced, gw.sliced.back().ho), l.groups);
      }
      // Activations: one calibration over the layer input (every group's).
      TP_ASSIGN_OR_RETURN(ActivationRange range, CalibrateRange(l.x, options.calibration));
      const QuantParams qp = AsymmetricU8Params(range);
      const float s = qp.scale[0];
      const int z = static_cast<int>(qp.zero_point[0]);
      TP_ASSIGN_OR_RETURN(r.asym, Asymmetric(gw, l, s, z, z, 4, options.verify, what + " (asym)"));
      // ZPM chosen by the measured sparsity (never below asym's), at LO
      // width 4 and again at the DBS width.
      // The groups' K x N blocks stacked are one (groups * K) x N matrix
      // whose 1x4 vectors are exactly the groups' vectors.
      const int stacked_k = l.k * l.groups;
      ZpmOptions zo = options.zpm;
      zo.lo_bits = 4;
      TP_ASSIGN_OR_RETURN(ZpmChoice zpm, ChooseZeroPointBySparsity(l.x, stacked_k, l.n, s, z, zo));
      TP_ASSIGN_OR_RETURN(r.zpm, Asymmetric(gw, l, s, zpm.zero_point, z, 4, options.verify, what + " (zpm)"));
      std::vector<uint8_t> codes(l.x.size());
      QuantizeU8(l.x, s, z, codes);
      const DbsChoice dbs = ChooseDbsWidth(codes, options.dbs_target);
      zo.lo_bits = dbs.lo_bits;
      TP_ASSIGN_OR_RETURN(ZpmChoice zpm_dbs, ChooseZeroPointBySparsity(l.x, stacked_k, l.n, s, z, zo));
      TP_ASSIGN_OR_RETURN(r.zpm_dbs, Asymmetric(gw, l, s, zpm_dbs.zero_point, z, dbs.lo_bits, options.verify,
                                                what + " (zpm+dbs)"));
      // Sibia: symmetric 7-bit activations, SBR on both operands.
      float absmax = std::max(std::abs(range.min), std::abs(range.max));
      const QuantParams sp = SymmetricParams(absmax, 7);
      std::vector<int32_t> xq(l.x.size());
      QuantizeSymmetric(l.x, sp.scale[0], 7, xq);
      r.sibia.quant_mse = SymmetricRoundTripMse(l.x, sp.scale[0], 7);
      r.sibia.scale = sp.scale[0];
      r.sibia.error = QuantErrorFromMse(r.sibia.quant_mse, r.asym.error.signal_power);
      {
        uint64_t clipped = 0, finite = 0;
        for (float v : l.x)
          if (std::isfinite(v)) ++finite, clipped += std::abs(std::nearbyint(v / sp.scale[0])) > 63;
        r.sibia.clipped_fraction = finite ? double(clipped) / double(finite) : 0;
      }
      const size_t xblock = size_t(l.k) * l.n;
      for (int g = 0; g < l.groups; ++g) {
        const std::span<const int32_t> xg = std::span<const int32_t>(xq).subspan(g * xblock, xblock);
        TP_ASSIGN_OR_RETURN(SlicedOperand xsl, SliceActivationsSbr(xg, l.k, l.n, 7));
        SliceGemmOperand xo = PrepareSliceOperand(std::move(xsl));
        AddCounters(r.sibia.counters, CountSliceGemm(gw.sliced[g], xo), l.groups);
        if (options.verify)
          TP_RETURN_IF_ERROR(Verify(gw.sliced[g], xo, gw.q[g], xg, gw.rows, l.k, l.n,
                                    what + " (sibia" + (l.groups > 1 ? ", group " + std::to_string(g) : "") + ")"));
      }
      r.verified = options.verify;
      out.push_back(std::move(r));
    }
  }
  return out;
}

}  // namespace tp
