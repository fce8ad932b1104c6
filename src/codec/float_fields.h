// Internal: the field split of IEEE-style floats used by the .tpz "fields"
// layout (include/tensorpress/tpz.h), shared by its writer and reader.
//
// Trained weights keep most of their redundancy in the exponent: a bell of
// magnitudes spans a few octaves, so the 8 exponent bits of an f32 carry
// ~2.5-3 bits of information, while the low mantissa bits are noise. Byte
// planes blur this: the top byte of an f32 holds the sign and the exponent's
// 7 high bits, and the exponent's lowest bit lands in the next byte beside 7
// mantissa bits. The field split puts each field in a plane of its own:
//
//   plane 0  sign            1 bit per value, packed 8 a byte (value i is bit
//                            i % 8 of byte i / 8, LSB first; unused bits 0)
//   plane 1  exponent        one byte per value (E bits, E <= 8)
//   plane 2  mantissa high   one byte per value: the mantissa bits above its
//                            whole low bytes (M % 8 bits); absent if M % 8 == 0
//   then     mantissa bytes  M / 8 planes of one byte per value, the element's
//                            little-endian bytes M/8-1 .. 0 (most significant
//                            first), which are exactly the low mantissa bits
//
// f32 (E 8, M 23): sign, exponent, 7 mantissa bits, byte 1, byte 0.
// bf16 (E 8, M 7): sign, exponent, 7 mantissa bits.
// f16 (E 5, M 10): sign, exponent, 2 mantissa bits, byte 0.
// Every bit pattern (NaN payloads, -0, subnormals, inf) maps to planes and
// back unchanged: the split is a permutation of bits, not a reinterpretation.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tensorpress/dtype.h"

namespace tp::tpz {

struct FloatFormat {
  int bytes = 0;           // bytes per element (2 or 4)
  int exponent_bits = 0;   // E
  int mantissa_bits = 0;   // M; 1 + E + M = 8 * bytes
  int HighMantissaBits() const { return mantissa_bits % 8; }
  int LowMantissaBytes() const { return mantissa_bits / 8; }
  int PlaneCount() const { return 2 + (HighMantissaBits() > 0) + LowMantissaBytes(); }
};

// f32, f16 and bf16; nullopt for every other dtype.
std::optional<FloatFormat> FieldFormatOf(DType dtype);

// "sign", "exponent", "mantissa-high", "mantissa-byte1", "mantissa-byte0".
std::string FieldPlaneName(const FloatFormat& f, int plane);

// Bytes of plane `plane` for `n` values: ceil(n / 8) for the sign, n otherwise.
uint64_t FieldPlaneBytes(int plane, uint64_t n);

// Splits n elements (n * f.bytes little-endian bytes) into f.PlaneCount()
// planes of FieldPlaneBytes(k, n) bytes each. Reference scalar code.
void SplitFloatFields(const FloatFormat& f, std::span<const uint8_t> elements, uint64_t n,
                      std::vector<std::vector<uint8_t>>& planes);

// The inverse for elements [begin, begin + n) of a tensor, given the planes
// restricted to them: the sign plane starting at byte begin / 8, every other
// plane at value begin. Writes n * f.bytes bytes to `out`. False if an
// exponent or mantissa-high byte does not fit its field (a corrupt plane).
bool MergeFloatFields(const FloatFormat& f, std::span<const std::span<const uint8_t>> planes, uint64_t begin,
                      uint64_t n, std::span<uint8_t> out);

}  // namespace tp::tpz
