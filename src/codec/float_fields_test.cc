#include "codec/float_fields.h"

#include <gtest/gtest.h>

#include <random>

namespace tp::tpz {
namespace {

std::vector<uint8_t> LittleEndian(const std::vector<uint32_t>& values, int bytes) {
  std::vector<uint8_t> out;
  for (uint32_t v : values)
    for (int b = 0; b < bytes; ++b) out.push_back(uint8_t(v >> (8 * b)));
  return out;
}

// Split, then merge every value back, whole and from an unaligned start.
void ExpectRoundTrip(DType dtype, const std::vector<uint32_t>& values) {
  const FloatFormat f = *FieldFormatOf(dtype);
  const std::vector<uint8_t> bytes = LittleEndian(values, f.bytes);
  const uint64_t n = values.size();
  std::vector<std::vector<uint8_t>> planes;
  SplitFloatFields(f, bytes, n, planes);
  ASSERT_EQ(planes.size(), size_t(f.PlaneCount()));
  uint64_t total_bits = 0;
  for (int k = 0; k < f.PlaneCount(); ++k) {
    ASSERT_EQ(planes[size_t(k)].size(), FieldPlaneBytes(k, n));
    total_bits += planes[size_t(k)].size() * 8;
  }
  // One sign bit per value, one byte per value for every other plane.
  EXPECT_EQ(total_bits, 8 * ((n + 7) / 8) + n * 8 * uint64_t(f.PlaneCount() - 1));
  std::vector<std::span<const uint8_t>> views(planes.begin(), planes.end());
  std::vector<uint8_t> back(bytes.size());
  ASSERT_TRUE(MergeFloatFields(f, views, 0, n, back));
  ASSERT_EQ(back, bytes);
  for (uint64_t begin : {uint64_t(1), uint64_t(7), uint64_t(8), uint64_t(13)}) {
    if (begin >= n) continue;
    const uint64_t count = (n - begin) / 2 + 1;
    std::vector<std::span<const uint8_t>> part;
    for (int k = 0; k < f.PlaneCount(); ++k)
      part.push_back(k == 0 ? std::span<const uint8_t>(planes[0]).subspan(begin / 8)
                            : std::span<const uint8_t>(planes[size_t(k)]).subspan(begin));
    std::vector<uint8_t> some(count * uint64_t(f.bytes));
    ASSERT_TRUE(MergeFloatFields(f, part, begin, count, some));
    ASSERT_TRUE(std::equal(some.begin(), some.end(), bytes.begin() + std::ptrdiff_t(begin * uint64_t(f.bytes))))
        << begin;
  }
}

TEST(FloatFields, EveryF16AndBf16BitPatternRoundTrips) {
  std::vector<uint32_t> all(65536);
  for (uint32_t i = 0; i < all.size(); ++i) all[i] = i;
  ExpectRoundTrip(DType::kF16, all);
  ExpectRoundTrip(DType::kBF16, all);
}

TEST(FloatFields, RandomAndSpecialF32RoundTrip) {
  std::vector<uint32_t> v = {0x00000000, 0x80000000,  // +0, -0
                             0x00000001, 0x807fffff,  // smallest and largest subnormals
                             0x7f800000, 0xff800000,  // +-inf
                             0x7fc00000, 0xffc12345, 0x7f800001, 0x7fbfffff,  // quiet/signalling NaNs with payloads
                             0x3f800000, 0x7f7fffff, 0x00800000};
  std::mt19937 rng(7);
  for (int i = 0; i < 100003; ++i) v.push_back(uint32_t(rng()));
  ExpectRoundTrip(DType::kF32, v);
  for (size_t n : {0, 1, 7, 8, 9}) ExpectRoundTrip(DType::kF32, std::vector<uint32_t>(v.begin(), v.begin() + n));
}

// Field values worked out by hand from the IEEE layouts.
TEST(FloatFields, PlanesHoldTheFieldsByHand) {
  std::vector<std::vector<uint8_t>> p;
  // f32: -0.0, 1.0, a NaN with payload 0x412345, the smallest subnormal.
  SplitFloatFields(*FieldFormatOf(DType::kF32), LittleEndian({0x80000000, 0x3f800000, 0x7fc12345, 0x00000001}, 4), 4,
                   p);
  ASSERT_EQ(p.size(), 5u);
  EXPECT_EQ(p[0], std::vector<uint8_t>({0x01}));
  EXPECT_EQ(p[1], std::vector<uint8_t>({0, 127, 255, 0}));
  EXPECT_EQ(p[2], std::vector<uint8_t>({0, 0, 0x41, 0}));
  EXPECT_EQ(p[3], std::vector<uint8_t>({0, 0, 0x23, 0}));
  EXPECT_EQ(p[4], std::vector<uint8_t>({0, 0, 0x45, 1}));
  // f16: 1.0 (0x3c00), a NaN 0x7e01 (exponent 31, mantissa 0x201), -2.0 (0xc000).
  SplitFloatFields(*FieldFormatOf(DType::kF16), LittleEndian({0x3c00, 0x7e01, 0xc000}, 2), 3, p);
  ASSERT_EQ(p.size(), 4u);
  EXPECT_EQ(p[0], std::vector<uint8_t>({0x04}));
  EXPECT_EQ(p[1], std::vector<uint8_t>({15, 31, 16}));
  EXPECT_EQ(p[2], std::vector<uint8_t>({0, 2, 0}));
  EXPECT_EQ(p[3], std::vector<uint8_t>({0, 1, 0}));
  // bf16: -2.0 (0xc000), 1.5 (0x3fc0).
  SplitFloatFields(*FieldFormatOf(DType::kBF16), LittleEndian({0xc000, 0x3fc0}, 2), 2, p);
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0], std::vector<uint8_t>({0x01}));
  EXPECT_EQ(p[1], std::vector<uint8_t>({128, 127}));
  EXPECT_EQ(p[2], std::vector<uint8_t>({0, 0x40}));
  const FloatFormat f32 = *FieldFormatOf(DType::kF32);
  EXPECT_EQ(FieldPlaneName(f32, 1), "exponent");
  EXPECT_EQ(FieldPlaneName(f32, 3), "mantissa-byte1");
  EXPECT_EQ(FieldPlaneName(*FieldFormatOf(DType::kF16), 3), "mantissa-byte0");
  EXPECT_FALSE(FieldFormatOf(DType::kF64).has_value());
  EXPECT_FALSE(FieldFormatOf(DType::kI32).has_value());
}

TEST(FloatFields, OutOfRangeFieldsAreRejected) {
  const FloatFormat f16 = *FieldFormatOf(DType::kF16);
  std::vector<uint8_t> sign = {0}, exponent = {32}, high = {0}, low = {0};
  std::vector<std::span<const uint8_t>> planes = {sign, exponent, high, low};
  std::vector<uint8_t> out(2);
  EXPECT_FALSE(MergeFloatFields(f16, planes, 0, 1, out));
  exponent[0] = 31;
  high[0] = 4;  // 2 bits
  EXPECT_FALSE(MergeFloatFields(f16, planes, 0, 1, out));
  high[0] = 3;
  EXPECT_TRUE(MergeFloatFields(f16, planes, 0, 1, out));
  EXPECT_EQ(out, std::vector<uint8_t>({0x00, 0x7f}));
}

}  // namespace
}  // namespace tp::tpz
