// Panacea's settings measured on real layers: weights and activations
// matched by name (gemm.h), lowered to GEMM operands, quantized four ways
// (asymmetric, +ZPM, +ZPM+DBS, Sibia's symmetric), sliced and counted.
#include <algorithm>
#include <cmath>
#include <map>
#include <string>

#include "tensorpress/gemm.h"
#include "tensorpress/quant.h"

namespace tp {
namespace {

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// D is one of the fused consumers that C names (see gemm.h).
bool FusedMember(const std::string& c, const std::string& d) {
  if (c == d) return true;
  size_t stem = 0;
  while (stem < c.size() && stem < d.size() && c[stem] == d[stem]) ++stem;
  if (stem == 0) return false;
  const std::string rest_d = d.substr(stem), rest_c = c.substr(stem);
  return rest_d.empty() || rest_c.find(rest_d) != std::string::npos;
}

using Lowered = LoweredLayer;

// im2col multiplies an activation by kh * kw; a layer lowered past 2^28
// values (1 GiB of floats, ~40x the largest shared layer) is refused rather
// than allocated.
constexpr uint64_t kMaxLoweredElements = uint64_t(1) << 28;

std::vector<float> Floats(const Tensor& t) {
  std::vector<double> d(t.elements());
  ElementsAsDouble(t, 0, t.elements(), d.data());
  return std::vector<float>(d.begin(), d.end());
}

Status TooLarge(const std::string& name) { return InvalidArgumentError("layer '" + name + "' is too large to lower"); }

// Dense: returns false (no error) when the shapes do not fit together.
StatusOr<bool> LowerDense(const Tensor& w, const Tensor& a, bool keras, Lowered& out) {
  const int64_t d0 = w.shape()[0], d1 = w.shape()[1];
  const int64_t features = a.shape().back();
  bool in_first = keras;  // [in, out]
  if ((in_first ? d0 : d1) != features) {
    if ((in_first ? d1 : d0) != features) return false;
    in_first = !in_first;  // the shapes win over the naming convention
  }
  const int64_t in = in_first ? d0 : d1, outc = in_first ? d1 : d0;
  const int64_t tokens = static_cast<int64_t>(a.elements()) / features;
  if (in > INT32_MAX || outc > INT32_MAX || tokens > INT32_MAX || uint64_t(in) * uint64_t(tokens) > kMaxLoweredElements)
    return TooLarge(w.name());
  out.m = int(outc), out.k = int(in), out.n = int(tokens);
  const std::vector<float> wf = Floats(w), af = Floats(a);
  out.w.resize(size_t(out.m) * out.k);
  for (int r = 0; r < out.m; ++r)
    for (int c = 0; c < out.k; ++c)
      out.w[size_t(r) * out.k + c] = in_first ? wf[size_t(c) * out.m + r] : wf[size_t(r) * out.k + c];
  out.x.resize(size_t(out.k) * out.n);
  for (int t = 0; t < out.n; ++t)
    for (int c = 0; c < out.k; ++c) out.x[size_t(c) * out.n + t] = af[size_t(t) * out.k + c];
  return true;
}

// Convolution by im2col, stride 1, no padding. Keras: HWIO weights, NHWC
// activations; otherwise OIHW weights, NCHW activations.
StatusOr<bool> LowerConv(const Tensor& w, const Tensor& a, bool keras, Lowered& out) {
  if (a.rank() != 4) return false;
  const Shape& ws = w.shape();
  const int64_t kh = keras ? ws[0] : ws[2], kw = keras ? ws[1] : ws[3];
  const int64_t cin = keras ? ws[2] : ws[1], cout = keras ? ws[3] : ws[0];
  const int64_t batch = a.shape()[0];
  const int64_t h = keras ? a.shape()[1] : a.shape()[2], wd = keras ? a.shape()[2] : a.shape()[3];
  const int64_t ac = keras ? a.shape()[3] : a.shape()[1];
  if (ac != cin || kh > h || kw > wd || kh <= 0 || kw <= 0) return false;
  const int64_t oh = h - kh + 1, ow = wd - kw + 1;
  const int64_t k = kh * kw * cin, n = batch * oh * ow;
  if (k > INT32_MAX || n > INT32_MAX || cout > INT32_MAX || uint64_t(k) * uint64_t(n) > kMaxLoweredElements)
    return TooLarge(w.name());
  out.m = int(cout), out.k = int(k), out.n = int(n);
  const std::vector<float> wf = Floats(w), af = Floats(a);
  // K index: Keras (dy, dx, c); OIHW (c, dy, dx) -- each matching its weight's order.
  auto kidx = [&](int64_t dy, int64_t dx, int64_t c) {
    return keras ? (dy * kw + dx) * cin + c : (c * kh + dy) * kw + dx;
  };
  out.w.resize(size_t(out.m) * out.k);
  for (int64_t o = 0; o < cout; ++o)
    for (int64_t dy = 0; dy < kh; ++dy)
      for (int64_t dx = 0; dx < kw; ++dx)
        for (int64_t c = 0; c < cin; ++c) {
          const size_t src = keras ? size_t(((dy * kw + dx) * cin + c) * cout + o) : size_t(((o * cin + c) * kh + dy) * kw + dx);
          out.w[size_t(o) * out.k + kidx(dy, dx, c)] = wf[src];
        }
  out.x.resize(size_t(out.k) * out.n);
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t y = 0; y < oh; ++y)
      for (int64_t xq = 0; xq < ow; ++xq) {
        const int64_t col = (b * oh + y) * ow + xq;
        for (int64_t dy = 0; dy < kh; ++dy)
          for (int64_t dx = 0; dx < kw; ++dx)
            for (int64_t c = 0; c < cin; ++c) {
              const size_t src = keras ? size_t(((b * h + y + dy) * wd + xq + dx) * cin + c)
                                       : size_t(((b * cin + c) * h + y + dy) * wd + xq + dx);
              out.x[size_t(kidx(dy, dx, c)) * out.n + col] = af[src];
            }
      }
  return true;
}

Status Verify(const SliceGemmOperand& w, const SliceGemmOperand& x, std::span<const int32_t> wq,
              std::span<const int32_t> xq, const Lowered& l, const std::string& what) {
  std::vector<int32_t> bias = CompensationBias(w, x), y(size_t(l.m) * l.n), want(y.size());
  TP_RETURN_IF_ERROR(SliceGemmScalar(w, x, bias, y));
  ReferenceGemm(wq, xq, l.m, l.k, l.n, want);
  if (y != want) return InternalError("slice GEMM differs from the reference on " + what);
  return Status::Ok();
}

// The asymmetric setting with zero point z and LO width b: codes, DBS-rounded
// MSE, counters.
StatusOr<SliceSetting> Asymmetric(const SliceGemmOperand& w, std::span<const int32_t> wq, const Lowered& l,
                                  float scale, int z, int seed_z, int lo_bits, bool verify, const std::string& what) {
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
  TP_ASSIGN_OR_RETURN(SlicedOperand xs, SliceActivationsUnsigned(codes, l.k, l.n, z, lo_bits));
  SliceGemmOperand x = PrepareSliceOperand(std::move(xs));
  s.counters = CountSliceGemm(w, x);
  if (verify) {
    std::vector<int32_t> xr(codes.size());
    for (size_t i = 0; i < codes.size(); ++i)
      xr[i] = ActJoin(ActHighSlice(codes[i], lo_bits), ActLowSlice(codes[i], lo_bits), lo_bits);
    TP_RETURN_IF_ERROR(Verify(w, x, wq, xr, l, what));
  }
  return s;
}

}  // namespace

StatusOr<bool> LowerToGemm(const Tensor& weight, const Tensor& activation, LoweredLayer& out) {
  if (!Traits(weight.dtype()).is_float || !Traits(activation.dtype()).is_float || activation.rank() < 1 ||
      weight.elements() == 0 || activation.elements() == 0)
    return false;
  const bool keras = EndsWith(weight.name(), ".kernel");
  if (weight.rank() == 2) return LowerDense(weight, activation, keras, out);
  if (weight.rank() == 4) return LowerConv(weight, activation, keras, out);
  return false;
}

StatusOr<std::vector<LayerSliceReport>> AnalyzeSlices(const Model& weights, const Model& activations,
                                                      const SliceAnalysisOptions& options) {
  if (SbrSliceCount(options.weight_bits) == 0)
    return InvalidArgumentError("weight bits must be 4, 7, 10 or 13 for SBR");
  std::map<std::string, const Tensor*> by_name;
  for (const Tensor& t : weights.tensors) by_name[t.name()] = &t;
  std::vector<LayerSliceReport> out;
  for (const Tensor& a : activations.tensors) {
    if (!EndsWith(a.name(), ".input") || !Traits(a.dtype()).is_float || a.rank() < 2) continue;
    const std::string p = a.name().substr(0, a.name().size() - 6);
    const size_t dot = p.rfind('.');
    const std::string parent = dot == std::string::npos ? "" : p.substr(0, dot + 1);
    const std::string comp = dot == std::string::npos ? p : p.substr(dot + 1);
    for (const auto& [name, w] : by_name) {
      if (name.compare(0, parent.size(), parent) != 0 || !Traits(w->dtype()).is_float) continue;
      if (!EndsWith(name, ".kernel") && !EndsWith(name, ".weight")) continue;
      const std::string d = name.substr(parent.size(), name.size() - parent.size() - 7);  // ".kernel" and ".weight" are both 7 long
      if (d.find('.') != std::string::npos || !FusedMember(comp, d)) continue;
      Lowered l;
      TP_ASSIGN_OR_RETURN(bool fits, LowerToGemm(*w, a, l));
      if (!fits) continue;
      LayerSliceReport r;
      r.layer = name.substr(0, name.size() - 7);
      r.weight = name;
      r.activation = a.name();
      r.m = l.m, r.k = l.k, r.n = l.n;
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
      TP_ASSIGN_OR_RETURN(SlicedOperand wsl, SliceWeightsSbr(wq, l.m, l.k, options.weight_bits));
      SliceGemmOperand wo = PrepareSliceOperand(std::move(wsl));
      r.weights = MeasureOperand(wo.sliced, wo.ho);
      // Activations: one calibration over the layer input.
      TP_ASSIGN_OR_RETURN(ActivationRange range, CalibrateRange(l.x, options.calibration));
      const QuantParams qp = AsymmetricU8Params(range);
      const float s = qp.scale[0];
      const int z = static_cast<int>(qp.zero_point[0]);
      TP_ASSIGN_OR_RETURN(r.asym, Asymmetric(wo, wq, l, s, z, z, 4, options.verify, what + " (asym)"));
      // ZPM chosen by the measured sparsity (never below asym's), at LO
      // width 4 and again at the DBS width.
      ZpmOptions zo = options.zpm;
      zo.lo_bits = 4;
      TP_ASSIGN_OR_RETURN(ZpmChoice zpm, ChooseZeroPointBySparsity(l.x, l.k, l.n, s, z, zo));
      TP_ASSIGN_OR_RETURN(r.zpm, Asymmetric(wo, wq, l, s, zpm.zero_point, z, 4, options.verify, what + " (zpm)"));
      std::vector<uint8_t> codes(l.x.size());
      QuantizeU8(l.x, s, z, codes);
      const DbsChoice dbs = ChooseDbsWidth(codes, options.dbs_target);
      zo.lo_bits = dbs.lo_bits;
      TP_ASSIGN_OR_RETURN(ZpmChoice zpm_dbs, ChooseZeroPointBySparsity(l.x, l.k, l.n, s, z, zo));
      TP_ASSIGN_OR_RETURN(r.zpm_dbs, Asymmetric(wo, wq, l, s, zpm_dbs.zero_point, z, dbs.lo_bits, options.verify,
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
      TP_ASSIGN_OR_RETURN(SlicedOperand xsl, SliceActivationsSbr(xq, l.k, l.n, 7));
      SliceGemmOperand xo = PrepareSliceOperand(std::move(xsl));
      r.sibia.counters = CountSliceGemm(wo, xo);
      if (options.verify) TP_RETURN_IF_ERROR(Verify(wo, xo, wq, xq, l, what + " (sibia)"));
      r.verified = options.verify;
      out.push_back(std::move(r));
    }
  }
  return out;
}

}  // namespace tp
