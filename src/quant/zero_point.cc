// Sparsity-aware zero-point manipulation and quantization error (quant.h).
//
// Every candidate z' shifts the same integer offsets u = round(x / s): the
// code is clamp(u + z', 0, 255). So one pass over the data builds a
// histogram of u (for slice sparsity and clipping) and a histogram of each
// vector's (min u, max u) (a vector is skipped when every lane's code lands
// in the skip bin, i.e. when min u and max u both do); every candidate is
// then answered from prefix sums in O(1). u is clamped to [-256, 256]:
// beyond that every z' in [0, 255] saturates the code the same way.
#include <algorithm>
#include <cmath>
#include <limits>

#include "tensorpress/quant.h"

namespace tp {
namespace {

constexpr int kUMin = -256, kUMax = 256, kUSpan = kUMax - kUMin + 1;

int Offset(float x, float scale) {
  if (!std::isfinite(x)) return 0;  // QuantizeU8 maps non-finite values to z
  const float u = std::nearbyint(x / scale);
  return static_cast<int>(std::clamp(u, float(kUMin), float(kUMax)));
}

}  // namespace

StatusOr<ZpmChoice> ChooseZeroPointBySparsity(std::span<const float> x, int k, int n, float scale,
                                              int zero_point, const ZpmOptions& options) {
  if (options.lo_bits < 4 || options.lo_bits > 6) return InvalidArgumentError("ZPM LO width must be 4..6");
  if (options.vector_lanes < 1) return InvalidArgumentError("ZPM vectors need at least one lane");
  if (!(options.max_extra_clip_fraction >= 0 && options.max_extra_clip_fraction <= 1))
    return InvalidArgumentError("ZPM clipping bound must be in [0, 1]");
  if (k < 0 || n < 0 || uint64_t(k) * uint64_t(n) != x.size())
    return InvalidArgumentError("ZPM data is not K x N");
  if (!(scale > 0) || !std::isfinite(scale)) return InvalidArgumentError("ZPM needs a positive scale");
  if (zero_point < 0 || zero_point > 255) return InvalidArgumentError("zero point outside [0, 255]");

  // hist[u]: values with offset u. pairs[a][b]: vectors with min offset a
  // and max offset b, turned into dominance counts below.
  std::vector<uint64_t> hist(kUSpan, 0);
  std::vector<uint64_t> pairs(size_t(kUSpan) * kUSpan, 0);
  const int lanes = options.vector_lanes;
  const int blocks = (n + lanes - 1) / lanes;
  for (int kk = 0; kk < k; ++kk) {
    const float* row = x.data() + size_t(kk) * n;
    for (int b = 0; b < blocks; ++b) {
      int lo = kUMax, hi = kUMin;
      for (int t = b * lanes; t < std::min(n, (b + 1) * lanes); ++t) {
        const int u = Offset(row[t], scale);
        ++hist[u - kUMin];
        lo = std::min(lo, u), hi = std::max(hi, u);
      }
      ++pairs[size_t(lo - kUMin) * kUSpan + (hi - kUMin)];
    }
  }
  // prefix[i] = values with offset < kUMin + i.
  std::vector<uint64_t> prefix(kUSpan + 1, 0);
  for (int i = 0; i < kUSpan; ++i) prefix[i + 1] = prefix[i] + hist[i];
  // dom[a][b] = vectors with min >= a and max <= b (indices into the span):
  // a suffix sum over a, then a prefix sum over b.
  for (int a = kUSpan - 2; a >= 0; --a)
    for (int b = 0; b < kUSpan; ++b) pairs[size_t(a) * kUSpan + b] += pairs[size_t(a + 1) * kUSpan + b];
  for (int a = 0; a < kUSpan; ++a)
    for (int b = 1; b < kUSpan; ++b) pairs[size_t(a) * kUSpan + b] += pairs[size_t(a) * kUSpan + b - 1];

  const uint64_t values = x.size(), vectors = uint64_t(blocks) * k;
  const int width = 1 << options.lo_bits, top_bin = 255 >> options.lo_bits;
  struct Measured {
    double slice = 0, vec = 0, clipped = 0;
  };
  auto measure = [&](int zp) {
    // Offsets whose code lands in zp's HO bin; the lowest and highest bins
    // also catch what clamps into them.
    const int h = zp >> options.lo_bits;
    const int lo = h == 0 ? kUMin : std::max(kUMin, h * width - zp);
    const int hi = h == top_bin ? kUMax : std::min(kUMax, h * width + width - 1 - zp);
    Measured m;
    if (values == 0) return m;
    const uint64_t in_bin = lo <= hi ? prefix[hi - kUMin + 1] - prefix[lo - kUMin] : 0;
    m.slice = double(in_bin) / double(values);
    const uint64_t skipped = lo <= hi ? pairs[size_t(lo - kUMin) * kUSpan + (hi - kUMin)] : 0;
    m.vec = vectors ? double(skipped) / double(vectors) : 0;
    // Codes below 0 (u < -zp) or above 255 (u > 255 - zp).
    const uint64_t below = prefix[std::clamp(-zp, kUMin, kUMax + 1) - kUMin];
    const uint64_t above = values - prefix[std::clamp(255 - zp + 1, kUMin, kUMax + 1) - kUMin];
    m.clipped = double(below + above) / double(values);
    return m;
  };

  ZpmChoice c;
  c.seed_zero_point = c.zero_point = zero_point;
  const Measured seed = measure(zero_point);
  c.seed_ho_slice_sparsity = c.ho_slice_sparsity = seed.slice;
  c.seed_ho_vector_sparsity = c.ho_vector_sparsity = seed.vec;
  c.clipped_fraction = seed.clipped;
  const int h = zero_point >> options.lo_bits;
  const int first = std::max(0, (h - 1) * width), last = std::min(255, (h + 2) * width - 1);
  for (int zp = first; zp <= last; ++zp) {
    ++c.candidates;
    const Measured m = measure(zp);
    if (m.clipped > seed.clipped + options.max_extra_clip_fraction) continue;
    if (m.slice < seed.slice || m.vec < seed.vec) continue;
    const bool better = m.vec > c.ho_vector_sparsity ||
                        (m.vec == c.ho_vector_sparsity &&
                         (m.slice > c.ho_slice_sparsity ||
                          (m.slice == c.ho_slice_sparsity && std::abs(zp - zero_point) < std::abs(c.zero_point - zero_point))));
    if (better) c.zero_point = zp, c.ho_slice_sparsity = m.slice, c.ho_vector_sparsity = m.vec, c.clipped_fraction = m.clipped;
  }
  return c;
}

QuantError QuantErrorFromMse(double mse, double signal_power) {
  QuantError e;
  e.rmse = std::sqrt(std::max(0.0, mse));
  e.signal_power = signal_power;
  e.sqnr_db = mse > 0 ? 10.0 * std::log10(signal_power / mse) : std::numeric_limits<double>::infinity();
  return e;
}

QuantError MeasureQuantError(std::span<const float> reference, std::span<const float> approx) {
  double err = 0, sig = 0;
  uint64_t n = 0;
  for (size_t i = 0; i < reference.size() && i < approx.size(); ++i) {
    if (!std::isfinite(reference[i])) continue;
    const double d = double(approx[i]) - double(reference[i]);
    err += d * d, sig += double(reference[i]) * reference[i], ++n;
  }
  return n ? QuantErrorFromMse(err / double(n), sig / double(n)) : QuantError{};
}

const char* WeightGranularityName(WeightGranularity g) {
  return g == WeightGranularity::kTensor ? "tensor" : "channel";
}

StatusOr<WeightGranularity> ParseWeightGranularity(const std::string& name) {
  if (name == "channel") return WeightGranularity::kChannel;
  if (name == "tensor") return WeightGranularity::kTensor;
  return InvalidArgumentError("granularity must be 'tensor' or 'channel', got '" + name + "'");
}

}  // namespace tp
