// A layer found in a graph (graph.h), lowered to the float GEMM the slice
// analysis runs: W [M = out channels, K] times X [K, N = rows]. Convolutions
// go through im2col with their stride, padding, dilation and groups.
#include <cmath>

#include "tensorpress/gemm.h"
#include "tensorpress/graph.h"
#include "tensorpress/quant.h"

namespace tp {
namespace {

// im2col multiplies an activation by kh * kw; a layer lowered past 2^28
// values (1 GiB of floats, ~40x the largest shared layer) is refused rather
// than allocated.
constexpr uint64_t kMaxLoweredElements = uint64_t(1) << 28;

std::vector<float> Floats(const Tensor& t) {
  std::vector<double> d(t.elements());
  ElementsAsDouble(t, 0, t.elements(), d.data());
  return std::vector<float>(d.begin(), d.end());
}

// Padding before the first window along d for an input extent.
int64_t PadBefore(const ConvGeometry& g, int d, int64_t in, int64_t out) {
  if (g.padding == ConvGeometry::Padding::kExplicit) return g.pad_begin[d];
  const int64_t span = (g.kernel[d] - 1) * g.dilation[d] + 1;
  const int64_t total = std::max<int64_t>((out - 1) * g.stride[d] + span - in, 0);
  return g.padding == ConvGeometry::Padding::kSameUpper ? total / 2 : total - total / 2;
}

int64_t GroupChannels(const GemmOp& op) { return op.in_channels / op.geometry.groups; }

}  // namespace

StatusOr<std::vector<float>> GemmWeightMatrix(const GemmOp& op, const Tensor& weight) {
  Tensor wf = weight;
  if (!Traits(weight.dtype()).is_float) {
    if (weight.quant()) {
      TP_ASSIGN_OR_RETURN(wf, Dequantize(weight));
    } else {
      TP_ASSIGN_OR_RETURN(wf, ToF32(weight));
    }
  }
  if (op.k <= 0 || op.n <= 0 || uint64_t(op.k) * uint64_t(op.n) != wf.elements())
    return InvalidArgumentError("weight '" + weight.name() + "' " + ShapeToString(weight.shape()) + " is not a " +
                                std::to_string(op.n) + " x " + std::to_string(op.k) + " GEMM operand");
  const std::vector<float> v = Floats(wf);
  const int64_t n = op.n, k = op.k;
  std::vector<float> out(size_t(n * k));
  if (!op.conv) {
    for (int64_t o = 0; o < n; ++o)
      for (int64_t i = 0; i < k; ++i)
        out[size_t(o * k + i)] = op.layout == WeightLayout::kInOut ? v[size_t(i * n + o)] : v[size_t(o * k + i)];
    return out;
  }
  const int64_t kh = op.geometry.kernel[0], kw = op.geometry.kernel[1], cg = GroupChannels(op);
  for (int64_t o = 0; o < n; ++o)
    for (int64_t dy = 0; dy < kh; ++dy)
      for (int64_t dx = 0; dx < kw; ++dx)
        for (int64_t c = 0; c < cg; ++c) {
          size_t src = 0, dst = 0;
          switch (op.layout) {
            case WeightLayout::kHWIO: src = size_t(((dy * kw + dx) * cg + c) * n + o); break;
            case WeightLayout::kOHWI: src = size_t(((o * kh + dy) * kw + dx) * cg + c); break;
            case WeightLayout::k1HWO: src = size_t((dy * kw + dx) * n + o); break;
            default: src = size_t(((o * cg + c) * kh + dy) * kw + dx); break;
          }
          dst = op.channels_last ? size_t((dy * kw + dx) * cg + c) : size_t((c * kh + dy) * kw + dx);
          out[size_t(o * k) + dst] = v[src];
        }
  return out;
}

StatusOr<std::vector<float>> Im2col(const GemmOp& op, const Tensor& input, int64_t group) {
  if (!op.conv) return InvalidArgumentError("im2col of a dense layer");
  if (group < 0 || group >= op.geometry.groups) return InvalidArgumentError("group out of range");
  TP_ASSIGN_OR_RETURN(auto p, ConvPositions(op, input.shape()));
  const auto [batch, h, w, oh, ow] = p;
  const ConvGeometry& g = op.geometry;
  const int64_t kh = g.kernel[0], kw = g.kernel[1], cg = GroupChannels(op), cin = op.in_channels;
  const uint64_t rows = uint64_t(batch) * uint64_t(oh) * uint64_t(ow);
  if (rows > kMaxLoweredElements || uint64_t(op.k) * rows > kMaxLoweredElements)
    return InvalidArgumentError("layer '" + op.layer + "' is too large to lower");
  const int64_t top = PadBefore(g, 0, h, oh), left = PadBefore(g, 1, w, ow);
  const std::vector<float> a = Floats(input);
  std::vector<float> x(size_t(op.k) * rows, 0.0f);
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t y = 0; y < oh; ++y)
      for (int64_t xq = 0; xq < ow; ++xq) {
        const size_t col = size_t((b * oh + y) * ow + xq);
        for (int64_t dy = 0; dy < kh; ++dy) {
          const int64_t iy = y * g.stride[0] - top + dy * g.dilation[0];
          if (iy < 0 || iy >= h) continue;
          for (int64_t dx = 0; dx < kw; ++dx) {
            const int64_t ix = xq * g.stride[1] - left + dx * g.dilation[1];
            if (ix < 0 || ix >= w) continue;
            for (int64_t c = 0; c < cg; ++c) {
              const int64_t ch = group * cg + c;
              const size_t src = op.channels_last ? size_t(((b * h + iy) * w + ix) * cin + ch)
                                                  : size_t(((b * cin + ch) * h + iy) * w + ix);
              const size_t kk = op.channels_last ? size_t((dy * kw + dx) * cg + c) : size_t((c * kh + dy) * kw + dx);
              x[kk * rows + col] = a[src];
            }
          }
        }
      }
  return x;
}

StatusOr<bool> LowerGemmOp(const GemmOp& given, const Tensor& weight, const Tensor& activation, LoweredLayer& out) {
  if (!Traits(activation.dtype()).is_float || activation.rank() < 1 || weight.elements() == 0 ||
      activation.elements() == 0)
    return false;
  GemmOp op = given;
  uint64_t rows = 0;
  if (!op.conv) {
    const int64_t features = activation.shape().back();
    if (features != op.k) {
      // The shapes win over a naming convention ([in, out] named like [out, in]).
      if (op.op != "name" || weight.rank() != 2 || features != op.n) return false;
      op.layout = op.layout == WeightLayout::kInOut ? WeightLayout::kOutIn : WeightLayout::kInOut;
      std::swap(op.k, op.n);
    }
    rows = activation.elements() / uint64_t(op.k);
  } else {
    auto r = GemmRows(op, activation.shape());
    if (!r.ok()) return false;
    rows = *r;
  }
  if (op.k > INT32_MAX || op.n > INT32_MAX || rows > INT32_MAX || uint64_t(op.k) * rows > kMaxLoweredElements)
    return InvalidArgumentError("layer '" + op.layer + "' is too large to lower");
  const int64_t groups = op.conv ? op.geometry.groups : 1;
  if (groups < 1 || op.n % groups != 0 || op.in_channels % groups != 0)
    return InvalidArgumentError("layer '" + op.layer + "': " + std::to_string(groups) +
                                " groups do not divide its channels");
  if (uint64_t(groups) * uint64_t(op.k) * rows > kMaxLoweredElements)
    return InvalidArgumentError("layer '" + op.layer + "' is too large to lower");
  TP_ASSIGN_OR_RETURN(out.w, GemmWeightMatrix(op, weight));
  out.m = int(op.n), out.k = int(op.k), out.n = int(rows), out.groups = int(groups);
  if (op.conv) {
    // One im2col block per group, each group's input channels only.
    out.x.clear();
    out.x.reserve(size_t(groups) * size_t(op.k) * rows);
    for (int64_t g = 0; g < groups; ++g) {
      TP_ASSIGN_OR_RETURN(std::vector<float> block, Im2col(op, activation, g));
      out.x.insert(out.x.end(), block.begin(), block.end());
    }
    return true;
  }
  const std::vector<float> af = Floats(activation);
  out.x.resize(size_t(out.k) * out.n);
  for (int t = 0; t < out.n; ++t)
    for (int c = 0; c < out.k; ++c) out.x[size_t(c) * out.n + t] = af[size_t(t) * out.k + c];
  return true;
}

}  // namespace tp
