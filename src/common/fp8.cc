// OFP8 casts (include/tensorpress/fp8.h). Scaling a float by a power of two
// is exact in double, so rounding reduces to one nearbyint() (ties to even
// under the default rounding mode) on a value whose integer part is the
// mantissa code.
#include "tensorpress/fp8.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace tp {
namespace {

struct Fp8Layout {
  int exp_bits, man_bits, bias;
  uint8_t max_finite;  // largest finite magnitude code
  uint8_t nan;         // canonical NaN magnitude code
  bool has_inf;
};
constexpr Fp8Layout kE4M3{4, 3, 7, 0x7E, 0x7F, false};
constexpr Fp8Layout kE5M2{5, 2, 15, 0x7B, 0x7E, true};
const Fp8Layout& LayoutOf(Fp8Format f) { return f == Fp8Format::kE4M3 ? kE4M3 : kE5M2; }

}  // namespace

float Fp8ToFloat(uint8_t code, Fp8Format format) {
  const Fp8Layout& l = LayoutOf(format);
  const bool negative = code & 0x80;
  const int mag = code & 0x7F;
  const int exp = mag >> l.man_bits, man = mag & ((1 << l.man_bits) - 1);
  const int exp_all_ones = (1 << l.exp_bits) - 1;
  float v;
  if (l.has_inf && exp == exp_all_ones) {
    v = man == 0 ? std::numeric_limits<float>::infinity() : std::numeric_limits<float>::quiet_NaN();
  } else if (!l.has_inf && mag == 0x7F) {
    v = std::numeric_limits<float>::quiet_NaN();
  } else if (exp == 0) {
    v = std::ldexp(float(man), 1 - l.bias - l.man_bits);
  } else {
    v = std::ldexp(float((1 << l.man_bits) | man), exp - l.bias - l.man_bits);
  }
  return negative ? -v : v;
}

uint8_t FloatToFp8(float value, Fp8Format format, bool saturate) {
  const Fp8Layout& l = LayoutOf(format);
  const uint8_t sign = std::signbit(value) ? 0x80 : 0x00;
  if (std::isnan(value)) return sign | l.nan;
  const uint8_t overflow = saturate ? l.max_finite : l.has_inf ? uint8_t(0x7C) : l.nan;
  if (std::isinf(value)) return sign | overflow;
  const double a = std::fabs(double(value));
  const int emin = 1 - l.bias;  // exponent of the smallest normal
  int code;
  if (a < std::ldexp(1.0, emin)) {
    // Subnormal: the code is the value in units of the smallest subnormal;
    // rounding up to 2^man_bits lands exactly on the smallest normal's code.
    code = int(std::nearbyint(std::ldexp(a, l.man_bits - emin)));
  } else {
    int e = std::ilogb(a);
    int man = int(std::nearbyint(std::ldexp(a, l.man_bits - e))) - (1 << l.man_bits);
    if (man == (1 << l.man_bits)) man = 0, ++e;
    const int biased = e + l.bias;
    if (biased > (1 << l.exp_bits) - 1) return sign | overflow;
    code = (biased << l.man_bits) | man;
  }
  if (code > l.max_finite) return sign | overflow;
  return sign | uint8_t(code);
}

void CastToFp8(std::span<const float> in, Fp8Format format, bool saturate, std::span<uint8_t> out) {
  const size_t n = std::min(in.size(), out.size());
  for (size_t i = 0; i < n; ++i) out[i] = FloatToFp8(in[i], format, saturate);
}

void CastFromFp8(std::span<const uint8_t> in, Fp8Format format, std::span<float> out) {
  const size_t n = std::min(in.size(), out.size());
  for (size_t i = 0; i < n; ++i) out[i] = Fp8ToFloat(in[i], format);
}

Fp8Error MeasureFp8Error(std::span<const float> values, Fp8Format format) {
  Fp8Error r;
  float maxabs = 0;
  for (float v : values)
    if (std::isfinite(v)) maxabs = std::max(maxabs, std::fabs(v));
  const float largest = Fp8ToFloat(LayoutOf(format).max_finite, format);
  if (maxabs > 0) r.scale = maxabs / largest;
  double signal = 0, noise = 0;
  for (float v : values) {
    if (!std::isfinite(v)) continue;
    const float back = Fp8ToFloat(FloatToFp8(v / r.scale, format, true), format) * r.scale;
    const double e = double(v) - double(back);
    signal += double(v) * double(v);
    noise += e * e;
    if (v != 0 && back == 0) ++r.flushed_to_zero;
  }
  r.rmse = values.empty() ? 0 : std::sqrt(noise / double(values.size()));
  r.snr_db = noise > 0 ? 10 * std::log10(signal / noise) : std::numeric_limits<double>::infinity();
  return r;
}

}  // namespace tp
