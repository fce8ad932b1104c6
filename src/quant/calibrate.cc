// Range calibration, symmetric activations, bias folding, ZPM and DBS (see
// quant.h).
#include <algorithm>
#include <cmath>
#include <string>

#include "tensorpress/quant.h"

namespace tp {
namespace {

std::vector<float> Finite(std::span<const float> x) {
  std::vector<float> v;
  v.reserve(x.size());
  for (float f : x)
    if (std::isfinite(f)) v.push_back(f);
  return v;
}

}  // namespace

void QuantizeU8(std::span<const float> x, float scale, int zero_point, std::span<uint8_t> out) {
  const float z = static_cast<float>(zero_point);
  for (size_t i = 0; i < x.size(); ++i) {
    const float q = std::isfinite(x[i]) ? std::nearbyint(x[i] / scale) + z : z;
    out[i] = static_cast<uint8_t>(std::clamp(q, 0.0f, 255.0f));
  }
}

double AsymmetricRoundTripMse(std::span<const float> x, float scale, int zero_point) {
  double sum = 0;
  uint64_t n = 0;
  const float z = static_cast<float>(zero_point);
  for (float f : x) {
    if (!std::isfinite(f)) continue;
    const float q = std::clamp(std::nearbyint(f / scale) + z, 0.0f, 255.0f);
    const double e = double(scale) * (q - z) - f;
    sum += e * e;
    ++n;
  }
  return n ? sum / double(n) : 0.0;
}

StatusOr<ActivationRange> CalibrateRange(std::span<const float> x, const CalibrationOptions& options) {
  std::vector<float> v = Finite(x);
  if (v.empty()) return ActivationRange{0, 0};
  auto [mn, mx] = std::minmax_element(v.begin(), v.end());
  ActivationRange full{*mn, *mx};
  switch (options.method) {
    case RangeMethod::kMinMax:
      return full;
    case RangeMethod::kPercentile: {
      if (!(options.percentile > 50 && options.percentile <= 100))
        return InvalidArgumentError("percentile must be in (50, 100]");
      auto at = [&](double p) {
        const size_t i = std::min(v.size() - 1, static_cast<size_t>(std::llround(p / 100.0 * double(v.size() - 1))));
        std::nth_element(v.begin(), v.begin() + i, v.end());
        return v[i];
      };
      const float hi = at(options.percentile), lo = at(100.0 - options.percentile);
      return ActivationRange{lo, hi};
    }
    case RangeMethod::kMse: {
      if (options.mse_steps < 1 || !(options.mse_min_fraction > 0 && options.mse_min_fraction <= 1))
        return InvalidArgumentError("MSE search needs steps >= 1 and a fraction in (0, 1]");
      ActivationRange best = full;
      double best_mse = INFINITY;
      for (int i = 0; i <= options.mse_steps; ++i) {
        const double a = 1.0 - double(i) / options.mse_steps * (1.0 - options.mse_min_fraction);
        ActivationRange r{static_cast<float>(full.min * a), static_cast<float>(full.max * a)};
        const QuantParams q = AsymmetricU8Params(r);
        const double mse = AsymmetricRoundTripMse(v, q.scale[0], static_cast<int>(q.zero_point[0]));
        if (mse < best_mse) best_mse = mse, best = r;
      }
      return best;
    }
  }
  return InvalidArgumentError("unknown range method");
}

QuantParams SymmetricParams(float absmax, int bits) {
  QuantParams q;
  const int qmax = (1 << (bits - 1)) - 1;
  float s = absmax / static_cast<float>(qmax);
  if (!(s > 0) || !std::isfinite(s)) s = 1.0f;
  q.scale = {s};
  q.zero_point = {0};
  return q;
}

void QuantizeSymmetric(std::span<const float> x, float scale, int bits, std::span<int32_t> out) {
  const float qmax = static_cast<float>((1 << (bits - 1)) - 1);
  for (size_t i = 0; i < x.size(); ++i) {
    const float q = std::isfinite(x[i]) ? std::nearbyint(x[i] / scale) : 0.0f;
    out[i] = static_cast<int32_t>(std::clamp(q, -qmax, qmax));
  }
}

double SymmetricRoundTripMse(std::span<const float> x, float scale, int bits) {
  const float qmax = static_cast<float>((1 << (bits - 1)) - 1);
  double sum = 0;
  uint64_t n = 0;
  for (float f : x) {
    if (!std::isfinite(f)) continue;
    const double e = double(scale) * std::clamp(std::nearbyint(f / scale), -qmax, qmax) - f;
    sum += e * e;
    ++n;
  }
  return n ? sum / double(n) : 0.0;
}

StatusOr<Tensor> QuantizeActivationsSymmetric(const Tensor& x, int bits) {
  if (bits < 2 || bits > 8) return InvalidArgumentError("symmetric activations need 2..8 bits");
  if (!Traits(x.dtype()).is_float) return InvalidArgumentError("tensor '" + x.name() + "' is not a float tensor");
  TP_ASSIGN_OR_RETURN(Tensor f, ToF32(x));
  std::span<const float> v = f.values<float>();
  float absmax = 0;
  for (float e : v)
    if (std::isfinite(e)) absmax = std::max(absmax, std::abs(e));
  QuantParams q = SymmetricParams(absmax, bits);
  std::vector<int32_t> codes(v.size());
  QuantizeSymmetric(v, q.scale[0], bits, codes);
  std::vector<int8_t> out(codes.begin(), codes.end());
  TP_ASSIGN_OR_RETURN(Tensor t, Tensor::FromValues<int8_t>(x.name(), DType::kI8, x.shape(), out));
  t.set_quant(std::move(q));
  return t;
}

std::vector<int32_t> FoldZeroPointIntoBias(std::span<const int32_t> bias, std::span<const int32_t> w, int m,
                                           int k, int zero_point) {
  std::vector<int32_t> out(size_t(m), 0);
  for (int r = 0; r < m; ++r) {
    int64_t row = 0;
    for (int c = 0; c < k; ++c) row += w[size_t(r) * k + c];
    out[r] = static_cast<int32_t>((bias.empty() ? 0 : int64_t{bias[r]}) - int64_t{zero_point} * row);
  }
  return out;
}

int ManipulatedZeroPoint(int zero_point, int lo_bits) {
  const int width = 1 << lo_bits;
  return std::min(255, zero_point / width * width + width / 2);
}

DbsChoice ChooseDbsWidth(std::span<const uint8_t> codes, double target_sparsity) {
  DbsChoice c;
  if (codes.empty()) return c;
  double sum = 0, sum2 = 0;
  for (uint8_t q : codes) sum += q, sum2 += double(q) * q;
  const double mean = sum / double(codes.size());
  c.sigma_codes = std::sqrt(std::max(0.0, sum2 / double(codes.size()) - mean * mean));
  for (int b = 4; b <= 6; ++b) {
    c.lo_bits = b;
    c.predicted_sparsity = c.sigma_codes > 0 ? std::erf((1 << (b - 1)) / (c.sigma_codes * std::sqrt(2.0))) : 1.0;
    if (c.predicted_sparsity >= target_sparsity) break;
  }
  return c;
}

}  // namespace tp
