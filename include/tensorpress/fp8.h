// 8-bit floating point as the OCP "8-bit Floating Point Specification (OFP8)"
// rev. 1.0 defines it (the formats of IBM's hybrid FP8 training, 1-4-3 and
// 1-5-2, standardized by Arm, Intel and NVIDIA):
//   E4M3: sign, 4 exponent bits (bias 7), 3 mantissa bits. No infinities;
//         S.1111.111 is NaN, so the largest magnitude is S.1111.110 = 448.
//         Subnormals down to 2^-9.
//   E5M2: sign, 5 exponent bits (bias 15), 2 mantissa bits, IEEE 754 rules:
//         S.11111.00 is infinity, S.11111.{01,10,11} NaN; largest finite
//         57344; subnormals down to 2^-16.
// Casts from float round to nearest, ties to even, including at the top of
// the range: a value that rounds past the largest finite magnitude overflows
// (E4M3: NaN, E5M2: infinity) unless `saturate` is set, which clamps it (and
// infinities) to the largest finite value of its sign, the OCP "SAT" mode.
// NaN in gives NaN out (sign kept) in both modes.
#pragma once

#include <cstdint>
#include <span>

namespace tp {

enum class Fp8Format : uint8_t { kE4M3, kE5M2 };

float Fp8ToFloat(uint8_t code, Fp8Format format);
uint8_t FloatToFp8(float value, Fp8Format format, bool saturate = false);

void CastToFp8(std::span<const float> in, Fp8Format format, bool saturate, std::span<uint8_t> out);
void CastFromFp8(std::span<const uint8_t> in, Fp8Format format, std::span<float> out);

// The error of storing `values` as FP8 with one per-tensor f32 scale, the
// usual FP8 inference/training recipe: scale = max|v| / largest finite FP8
// value (1 when every value is 0 or non-finite), codes = FP8(v / scale)
// (saturating), decoded = FP8toFloat(code) * scale.
struct Fp8Error {
  float scale = 1;
  double rmse = 0;
  double snr_db = 0;          // 10 log10(sum v^2 / sum e^2); +inf when exact
  uint64_t flushed_to_zero = 0;  // non-zero values that became 0
};
Fp8Error MeasureFp8Error(std::span<const float> values, Fp8Format format);

}  // namespace tp
