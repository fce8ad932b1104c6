#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "tensorpress/quant.h"

namespace tp {
namespace {

// Index of the channel of each element for a given axis, computed from
// strides: element i belongs to channel (i / inner) % channels.
struct ChannelMap {
  uint64_t inner = 1, channels = 1;
  uint64_t ChannelOf(uint64_t i) const { return (i / inner) % channels; }
};

StatusOr<ChannelMap> MapFor(const Tensor& t, int axis) {
  ChannelMap m;
  if (axis < 0) return m;
  if (axis >= t.rank())
    return InvalidArgumentError("tensor '" + t.name() + "': channel axis " + std::to_string(axis) +
                                " out of range for rank " + std::to_string(t.rank()));
  m.channels = static_cast<uint64_t>(t.shape()[axis]);
  for (int d = axis + 1; d < t.rank(); ++d) m.inner *= static_cast<uint64_t>(t.shape()[d]);
  return m;
}

std::vector<float> AsFloats(const Tensor& t) {
  std::vector<double> d(t.elements());
  ElementsAsDouble(t, 0, t.elements(), d.data());
  return std::vector<float>(d.begin(), d.end());
}

}  // namespace

StatusOr<Tensor> QuantizeWeightsSymmetric(const Tensor& weights, const WeightQuantOptions& options) {
  if (options.bits < 2 || options.bits > 16)
    return InvalidArgumentError("weight bits must be 2..16, got " + std::to_string(options.bits));
  if (!Traits(weights.dtype()).is_float)
    return InvalidArgumentError("tensor '" + weights.name() + "' is not a float tensor");
  TP_ASSIGN_OR_RETURN(ChannelMap map, MapFor(weights, options.channel_axis));
  const std::vector<float> w = AsFloats(weights);
  const int qmax = (1 << (options.bits - 1)) - 1;
  std::vector<float> absmax(map.channels, 0.0f);
  for (uint64_t i = 0; i < w.size(); ++i)
    if (std::isfinite(w[i])) absmax[map.ChannelOf(i)] = std::max(absmax[map.ChannelOf(i)], std::abs(w[i]));
  QuantParams q;
  q.axis = options.channel_axis;
  q.scale.resize(map.channels);
  q.zero_point.assign(map.channels, 0);
  // An all-zero channel keeps scale 1 so that dequantization stays finite.
  for (uint64_t c = 0; c < map.channels; ++c) q.scale[c] = absmax[c] > 0 ? absmax[c] / qmax : 1.0f;
  const bool wide = options.bits > 8;
  std::vector<uint8_t> out(w.size() * (wide ? 2 : 1));
  for (uint64_t i = 0; i < w.size(); ++i) {
    float x = std::isfinite(w[i]) ? w[i] / q.scale[map.ChannelOf(i)] : 0.0f;
    int v = static_cast<int>(std::clamp(std::nearbyint(x), float(-qmax), float(qmax)));
    if (wide) {
      int16_t s = static_cast<int16_t>(v);
      std::memcpy(out.data() + 2 * i, &s, 2);
    } else {
      out[i] = static_cast<uint8_t>(static_cast<int8_t>(v));
    }
  }
  TP_ASSIGN_OR_RETURN(Tensor t, Tensor::FromBytes(weights.name(), wide ? DType::kI16 : DType::kI8,
                                                  weights.shape(), std::move(out)));
  t.set_quant(std::move(q));
  return t;
}

QuantParams AsymmetricU8Params(ActivationRange r) {
  float lo = std::min(r.min, 0.0f), hi = std::max(r.max, 0.0f);
  QuantParams q;
  q.axis = -1;
  float s = (hi - lo) / 255.0f;
  if (!(s > 0) || !std::isfinite(s)) s = 1.0f;
  q.scale = {s};
  q.zero_point = {static_cast<int64_t>(std::clamp(std::nearbyint(-lo / s), 0.0f, 255.0f))};
  return q;
}

StatusOr<Tensor> QuantizeActivationsAsymmetric(const Tensor& x, const QuantParams& params) {
  if (params.scale.size() != 1 || params.zero_point.size() != 1)
    return InvalidArgumentError("activation quantization is per tensor");
  const std::vector<float> v = AsFloats(x);
  const float s = params.scale[0];
  const float z = static_cast<float>(params.zero_point[0]);
  std::vector<uint8_t> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    float q = std::isfinite(v[i]) ? std::nearbyint(v[i] / s) + z : z;
    out[i] = static_cast<uint8_t>(std::clamp(q, 0.0f, 255.0f));
  }
  TP_ASSIGN_OR_RETURN(Tensor t, Tensor::FromBytes(x.name(), DType::kU8, x.shape(), std::move(out)));
  t.set_quant(params);
  return t;
}

StatusOr<Tensor> QuantizeActivationsMinMax(const Tensor& x) {
  if (!Traits(x.dtype()).is_float)
    return InvalidArgumentError("tensor '" + x.name() + "' is not a float tensor");
  const std::vector<float> v = AsFloats(x);
  ActivationRange r{0, 0};
  for (float f : v)
    if (std::isfinite(f)) r.min = std::min(r.min, f), r.max = std::max(r.max, f);
  return QuantizeActivationsAsymmetric(x, AsymmetricU8Params(r));
}

StatusOr<Tensor> Dequantize(const Tensor& quantized) {
  if (!quantized.quant()) return InvalidArgumentError("tensor '" + quantized.name() + "' has no quantization parameters");
  const QuantParams& q = *quantized.quant();
  TP_ASSIGN_OR_RETURN(ChannelMap map, MapFor(quantized, q.axis));
  if (q.scale.size() != map.channels || q.zero_point.size() != map.channels)
    return CorruptDataError("tensor '" + quantized.name() + "': " + std::to_string(q.scale.size()) +
                            " scales for " + std::to_string(map.channels) + " channels");
  std::vector<double> d(quantized.elements());
  ElementsAsDouble(quantized, 0, d.size(), d.data());
  std::vector<float> out(d.size());
  for (uint64_t i = 0; i < d.size(); ++i) {
    uint64_t c = map.ChannelOf(i);
    out[i] = static_cast<float>(q.scale[c] * (d[i] - static_cast<double>(q.zero_point[c])));
  }
  return Tensor::FromValues<float>(quantized.name(), DType::kF32, quantized.shape(), out);
}

int OutputChannelAxis(const Tensor& weights, bool keras_layout) {
  if (weights.rank() <= 1) return -1;
  return keras_layout ? weights.rank() - 1 : 0;
}

}  // namespace tp
