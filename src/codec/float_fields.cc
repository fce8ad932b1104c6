// The float field split (layout in float_fields.h).
#include "codec/float_fields.h"

#include <cstring>

namespace tp::tpz {
namespace {

uint32_t LoadElement(const uint8_t* p, int bytes) {
  uint32_t x = 0;
  for (int b = 0; b < bytes; ++b) x |= uint32_t(p[b]) << (8 * b);
  return x;
}

}  // namespace

std::optional<FloatFormat> FieldFormatOf(DType dtype) {
  switch (dtype) {
    case DType::kF32: return FloatFormat{4, 8, 23};
    case DType::kF16: return FloatFormat{2, 5, 10};
    case DType::kBF16: return FloatFormat{2, 8, 7};
    default: return std::nullopt;
  }
}

std::string FieldPlaneName(const FloatFormat& f, int plane) {
  if (plane == 0) return "sign";
  if (plane == 1) return "exponent";
  if (plane == 2 && f.HighMantissaBits() > 0) return "mantissa-high";
  const int first_low = 2 + (f.HighMantissaBits() > 0);
  return "mantissa-byte" + std::to_string(f.LowMantissaBytes() - 1 - (plane - first_low));
}

uint64_t FieldPlaneBytes(int plane, uint64_t n) { return plane == 0 ? n / 8 + (n % 8 != 0) : n; }

void SplitFloatFields(const FloatFormat& f, std::span<const uint8_t> elements, uint64_t n,
                      std::vector<std::vector<uint8_t>>& planes) {
  const int count = f.PlaneCount(), high = f.HighMantissaBits(), low = f.LowMantissaBytes();
  planes.assign(size_t(count), {});
  for (int k = 0; k < count; ++k) planes[size_t(k)].assign(FieldPlaneBytes(k, n), 0);
  const int sign_shift = 8 * f.bytes - 1;
  const uint32_t exp_mask = (uint32_t(1) << f.exponent_bits) - 1, high_mask = (uint32_t(1) << high) - 1;
  for (uint64_t i = 0; i < n; ++i) {
    const uint8_t* e = elements.data() + i * uint64_t(f.bytes);
    const uint32_t x = LoadElement(e, f.bytes);
    planes[0][i / 8] |= uint8_t((x >> sign_shift) << (i % 8));
    planes[1][i] = uint8_t((x >> f.mantissa_bits) & exp_mask);
    int k = 2;
    if (high > 0) planes[size_t(k++)][i] = uint8_t((x >> (8 * low)) & high_mask);
    for (int b = low - 1; b >= 0; --b) planes[size_t(k++)][i] = e[b];
  }
}

bool MergeFloatFields(const FloatFormat& f, std::span<const std::span<const uint8_t>> planes, uint64_t begin,
                      uint64_t n, std::span<uint8_t> out) {
  const int high = f.HighMantissaBits(), low = f.LowMantissaBytes();
  const int sign_shift = 8 * f.bytes - 1;
  const uint32_t exp_limit = uint32_t(1) << f.exponent_bits, high_limit = uint32_t(1) << high;
  const uint64_t bit0 = begin % 8;
  for (uint64_t i = 0; i < n; ++i) {
    const uint64_t s = bit0 + i;
    const uint32_t sign = (planes[0][s / 8] >> (s % 8)) & 1;
    const uint32_t exponent = planes[1][i];
    if (exponent >= exp_limit) return false;
    uint32_t x = sign << sign_shift | exponent << f.mantissa_bits;
    int k = 2;
    if (high > 0) {
      const uint32_t h = planes[size_t(k++)][i];
      if (h >= high_limit) return false;
      x |= h << (8 * low);
    }
    for (int b = low - 1; b >= 0; --b) x |= uint32_t(planes[size_t(k++)][i]) << (8 * b);
    uint8_t* e = out.data() + i * uint64_t(f.bytes);
    for (int b = 0; b < f.bytes; ++b) e[b] = uint8_t(x >> (8 * b));
  }
  return true;
}

}  // namespace tp::tpz
