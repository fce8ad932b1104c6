#include "tensorpress/fp8.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

namespace tp {
namespace {

constexpr Fp8Format kBoth[] = {Fp8Format::kE4M3, Fp8Format::kE5M2};

// Values from the OCP OFP8 specification's tables.
TEST(Fp8, SpecTableValues) {
  const auto e4 = Fp8Format::kE4M3, e5 = Fp8Format::kE5M2;
  EXPECT_EQ(Fp8ToFloat(0x7E, e4), 448.0f);             // max normal S.1111.110
  EXPECT_EQ(Fp8ToFloat(0x08, e4), std::ldexp(1.f, -6));  // min normal
  EXPECT_EQ(Fp8ToFloat(0x07, e4), 0.875f * std::ldexp(1.f, -6));  // max subnormal
  EXPECT_EQ(Fp8ToFloat(0x01, e4), std::ldexp(1.f, -9));  // min subnormal
  EXPECT_EQ(Fp8ToFloat(0x38, e4), 1.0f);
  EXPECT_EQ(Fp8ToFloat(0xC4, e4), -3.0f);  // 1.1000.100 = -1.5 * 2^1
  EXPECT_TRUE(std::isnan(Fp8ToFloat(0x7F, e4)));
  EXPECT_TRUE(std::isnan(Fp8ToFloat(0xFF, e4)));
  EXPECT_EQ(Fp8ToFloat(0x7B, e5), 57344.0f);  // max normal S.11110.11
  EXPECT_EQ(Fp8ToFloat(0x04, e5), std::ldexp(1.f, -14));
  EXPECT_EQ(Fp8ToFloat(0x03, e5), 0.75f * std::ldexp(1.f, -14));
  EXPECT_EQ(Fp8ToFloat(0x01, e5), std::ldexp(1.f, -16));
  EXPECT_EQ(Fp8ToFloat(0x3C, e5), 1.0f);
  EXPECT_EQ(Fp8ToFloat(0x7C, e5), std::numeric_limits<float>::infinity());
  EXPECT_EQ(Fp8ToFloat(0xFC, e5), -std::numeric_limits<float>::infinity());
  for (uint8_t c : {0x7D, 0x7E, 0x7F, 0xFD, 0xFE, 0xFF}) EXPECT_TRUE(std::isnan(Fp8ToFloat(c, e5)));
  EXPECT_TRUE(std::signbit(Fp8ToFloat(0x80, e4)));
  EXPECT_EQ(Fp8ToFloat(0x80, e4), 0.0f);
}

// All 256 codes: NaN count as the spec gives it, values strictly increasing
// over the positive codes, and every non-NaN code survives a round trip.
TEST(Fp8, EveryCodeDecodesAndRoundTrips) {
  for (Fp8Format f : kBoth) {
    int nans = 0;
    float last = -1;
    for (int c = 0; c < 256; ++c) {
      const float v = Fp8ToFloat(uint8_t(c), f);
      if (std::isnan(v)) {
        ++nans;
        EXPECT_TRUE(std::isnan(Fp8ToFloat(FloatToFp8(v, f), f)));
        continue;
      }
      EXPECT_EQ(FloatToFp8(v, f), uint8_t(c)) << c;
      EXPECT_EQ(Fp8ToFloat(uint8_t(c ^ 0x80), f), -v);
      if (c < 128) {
        EXPECT_GT(v, last) << c;
        last = v;
      }
    }
    EXPECT_EQ(nans, f == Fp8Format::kE4M3 ? 2 : 6);
  }
}

// An independent reference: the nearest finite code by exhaustive search,
// ties to the even code, with the value one step past the largest finite
// one standing for overflow (IEEE 754's rule for rounding to infinity).
uint8_t NearestByScan(float x, Fp8Format f, bool saturate) {
  const uint8_t max_code = f == Fp8Format::kE4M3 ? 0x7E : 0x7B;
  const uint8_t sign = std::signbit(x) ? 0x80 : 0;
  const double a = std::fabs(double(x));
  const double max = Fp8ToFloat(max_code, f);
  const double step = max - Fp8ToFloat(max_code - 1, f);
  // Far past the range, double distances to max and max + step round equal.
  if (a >= 2 * (max + step)) return sign | (saturate ? max_code : f == Fp8Format::kE4M3 ? 0x7F : 0x7C);
  int best = -1;
  double best_d = 0;
  for (int c = 0; c <= max_code + 1; ++c) {
    const double v = c <= max_code ? Fp8ToFloat(uint8_t(c), f) : max + step;
    const double d = std::fabs(v - a);
    if (best < 0 || d < best_d || (d == best_d && c % 2 == 0)) best = c, best_d = d;
  }
  if (best > max_code) return sign | (saturate ? max_code : f == Fp8Format::kE4M3 ? 0x7F : 0x7C);
  return sign | uint8_t(best);
}

TEST(Fp8, TiesRoundToEvenAndNeighboursRoundToNearest) {
  for (Fp8Format f : kBoth)
    for (int c = 0; c < 0x7F; ++c) {
      const float lo = Fp8ToFloat(uint8_t(c), f), hi = Fp8ToFloat(uint8_t(c + 1), f);
      if (std::isnan(hi) || std::isinf(hi)) break;
      const float mid = (lo + hi) / 2;  // exact: 4 significant bits at most
      EXPECT_EQ(FloatToFp8(mid, f), uint8_t(c % 2 == 0 ? c : c + 1)) << c;
      EXPECT_EQ(FloatToFp8(std::nextafter(mid, 0.f), f), uint8_t(c));
      EXPECT_EQ(FloatToFp8(std::nextafter(mid, 1e9f), f), uint8_t(c + 1));
      EXPECT_EQ(FloatToFp8(-mid, f), uint8_t(0x80 | (c % 2 == 0 ? c : c + 1)));
    }
}

TEST(Fp8, OverflowSaturationAndNan) {
  const auto e4 = Fp8Format::kE4M3, e5 = Fp8Format::kE5M2;
  EXPECT_EQ(FloatToFp8(464.f, e4), 0x7E);  // tie between 448 and (absent) 480: even wins
  EXPECT_EQ(FloatToFp8(465.f, e4), 0x7F);  // past it: NaN, E4M3 has no infinity
  EXPECT_EQ(FloatToFp8(465.f, e4, true), 0x7E);
  EXPECT_EQ(FloatToFp8(-1e30f, e4, true), 0xFE);
  EXPECT_EQ(FloatToFp8(std::numeric_limits<float>::infinity(), e4), 0x7F);
  EXPECT_EQ(FloatToFp8(61439.f, e5), 0x7B);
  EXPECT_EQ(FloatToFp8(61440.f, e5), 0x7C);  // the tie goes to the even infinity code
  EXPECT_EQ(FloatToFp8(61440.f, e5, true), 0x7B);
  EXPECT_EQ(FloatToFp8(-std::numeric_limits<float>::infinity(), e5), 0xFC);
  EXPECT_EQ(FloatToFp8(-std::numeric_limits<float>::infinity(), e5, true), 0xFB);
  EXPECT_TRUE(std::isnan(Fp8ToFloat(FloatToFp8(std::nanf(""), e5, true), e5)));
  EXPECT_EQ(FloatToFp8(-std::nanf(""), e4) & 0x80, 0x80);
  // Below half the smallest subnormal: zero of the same sign.
  EXPECT_EQ(FloatToFp8(std::ldexp(1.f, -11), e4), 0x00);
  EXPECT_EQ(FloatToFp8(-std::ldexp(1.f, -11), e4), 0x80);
  EXPECT_EQ(FloatToFp8(std::ldexp(1.f, -10), e4), 0x00);  // exactly half: even (0)
  EXPECT_EQ(FloatToFp8(std::ldexp(3.f, -11), e4), 0x01);
}

// Random floats over the whole range agree with the scan.
TEST(Fp8, MatchesAnExhaustiveScan) {
  std::mt19937 rng(8);
  for (Fp8Format f : kBoth)
    for (bool sat : {false, true})
      for (int i = 0; i < 20000; ++i) {
        const float x = std::bit_cast<float>(uint32_t(rng()));
        if (std::isnan(x) || std::isinf(x)) continue;
        // Concentrate half the draws inside the format's range.
        const float y = i % 2 ? x : std::ldexp(std::uniform_real_distribution<float>(-2, 2)(rng), int(rng() % 36) - 20);
        ASSERT_EQ(FloatToFp8(y, f, sat), NearestByScan(y, f, sat)) << y;
      }
}

TEST(Fp8, SpanCasts) {
  std::vector<float> in = {1.f, -2.5f, 1000.f, 0.f};
  std::vector<uint8_t> codes(4);
  CastToFp8(in, Fp8Format::kE4M3, true, codes);
  std::vector<float> back(4);
  CastFromFp8(codes, Fp8Format::kE4M3, back);
  EXPECT_EQ(back, (std::vector<float>{1.f, -2.5f, 448.f, 0.f}));
}

// scale = 1 / 448 maps 1 to E4M3's largest value; 0.3 * 448 = 134.4 lies
// between the codes 128 and 144 (step 16 in [128, 256)) and rounds to 128.
TEST(Fp8, PerTensorScaledError) {
  const std::vector<float> v = {1.0f, 0.3f};
  Fp8Error e = MeasureFp8Error(v, Fp8Format::kE4M3);
  EXPECT_FLOAT_EQ(e.scale, 1.0f / 448);
  const double err = 0.3 - double(128.0f * (1.0f / 448));
  EXPECT_NEAR(e.rmse, std::sqrt(err * err / 2), 1e-7);
  EXPECT_NEAR(e.snr_db, 10 * std::log10((1 + 0.09) / (err * err)), 1e-3);
  EXPECT_EQ(e.flushed_to_zero, 0u);
  // Exactly representable after scaling: no error.
  e = MeasureFp8Error(std::vector<float>{448.f, -224.f, 1.f}, Fp8Format::kE4M3);
  EXPECT_EQ(e.scale, 1.0f);
  EXPECT_EQ(e.rmse, 0.0);
  EXPECT_TRUE(std::isinf(e.snr_db));
  // 2^-40 of the maximum lies far below E5M2's smallest subnormal (2^-16 of
  // 57344 = 2^-31.8 of the maximum after scaling): flushed to zero.
  e = MeasureFp8Error(std::vector<float>{1.f, std::ldexp(1.f, -40)}, Fp8Format::kE5M2);
  EXPECT_EQ(e.flushed_to_zero, 1u);
}

}  // namespace
}  // namespace tp
