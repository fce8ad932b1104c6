#include <gtest/gtest.h>

#include <random>

#include "tensorpress/slice.h"

namespace tp {
namespace {

TEST(Sbr, ExhaustiveExactReconstruction) {
  for (int bits : {4, 7, 10}) {
    const int count = SbrSliceCount(bits);
    ASSERT_EQ(count, 1 + (bits - 4) / 3);
    for (int32_t w = -(1 << (bits - 1)); w < (1 << (bits - 1)); ++w) {
      int8_t s[8];
      SbrSlice(w, bits, s);
      ASSERT_EQ(SbrJoin(s, count), w) << bits << " bits";
      for (int i = 0; i < count; ++i) {
        ASSERT_GE(s[i], -8);
        ASSERT_LE(s[i], 7);
        // Borrowed sign: every slice is zero or shares the weight's sign.
        ASSERT_TRUE(s[i] == 0 || (s[i] < 0) == (w < 0)) << w;
      }
      // Small weights need no high slices.
      if (w >= -8 && w <= 7) {
        for (int i = 0; i < count - 1; ++i) ASSERT_EQ(s[i], 0) << w;
      }
    }
  }
}

TEST(Sbr, SevenBitByHand) {
  // W = 8 W_H + W_L, W_L = low 3 bits with the sign extended above them.
  struct Case { int w, h, l; } cases[] = {{0, 0, 0}, {7, 0, 7}, {-8, 0, -8}, {8, 1, 0}, {-9, -1, -1},
                                          {63, 7, 7}, {-64, -7, -8}, {-1, 0, -1}, {20, 2, 4}, {-20, -2, -4}};
  for (auto c : cases) {
    int8_t s[2];
    SbrSlice(c.w, 7, s);
    EXPECT_EQ(s[0], c.h) << c.w;
    EXPECT_EQ(s[1], c.l) << c.w;
  }
  EXPECT_EQ(SbrSliceCount(8), 0);
}

TEST(ActSlices, ExactAtFourAndBoundedLossAbove) {
  for (int x = 0; x < 256; ++x) {
    uint8_t v = static_cast<uint8_t>(x);
    EXPECT_EQ(ActJoin(ActHighSlice(v, 4), ActLowSlice(v, 4), 4), x);
    EXPECT_EQ(16 * ActHighSlice(v, 4) + ActLowSlice(v, 4), x);
    for (int b : {5, 6}) {
      int back = ActJoin(ActHighSlice(v, b), ActLowSlice(v, b), b);
      EXPECT_LE(back, x);
      EXPECT_LT(x - back, 1 << (b - 4));
      EXPECT_LE(ActHighSlice(v, b), (1 << (8 - b)) - 1);
      EXPECT_LE(ActLowSlice(v, b), 15);
    }
  }
  EXPECT_EQ(ActHighSlice(200, 6), 3);  // 200 = 0b11'0010'00
  EXPECT_EQ(ActLowSlice(200, 6), 2);
}

TEST(SliceVectors, WeightsGroupFourRowsAtOneK) {
  // 5 x 2 weights, 7-bit: row block 0 holds rows 0..3, block 1 row 4 + padding.
  std::vector<int32_t> w = {9, 0, -9, 1, 0, 2, 63, 3, -64, 4};
  auto op = SliceWeightsSbr(w, 5, 2, 7);
  ASSERT_TRUE(op.ok());
  ASSERT_EQ(op->blocks, 2);
  ASSERT_EQ(op->shift, (std::vector<int>{3, 0}));
  const int8_t* v = op->Vector(0, 0, 0);  // HO of rows 0..3 at k = 0: 9, -9, 0, 63
  EXPECT_EQ(v[0], 1);
  EXPECT_EQ(v[1], -1);
  EXPECT_EQ(v[2], 0);
  EXPECT_EQ(v[3], 7);
  v = op->Vector(1, 1, 0);  // LO of row 4 at k = 0 (-64), then padding
  EXPECT_EQ(v[0], -8);
  EXPECT_EQ(v[1], 0);
  EXPECT_FALSE(SliceWeightsSbr(w, 5, 2, 4).ok());  // 9 does not fit 4 bits
  EXPECT_FALSE(SliceWeightsSbr(w, 4, 2, 7).ok());  // wrong count
}

TEST(SliceVectors, ActivationsGroupFourTokensAtOneK) {
  // K = 2, N = 5 (row-major K x N).
  std::vector<uint8_t> x = {0x12, 0x34, 0x56, 0x78, 0x9A, 0xFF, 0x00, 0x10, 0x20, 0x30};
  auto op = SliceActivationsUnsigned(x, 2, 5, /*zero_point=*/0x31);
  ASSERT_TRUE(op.ok());
  EXPECT_EQ(op->skip_value, 3);
  const int8_t* h = op->Vector(0, 0, 0);
  EXPECT_EQ((std::vector<int>{h[0], h[1], h[2], h[3]}), (std::vector<int>{1, 3, 5, 7}));
  const int8_t* l = op->Vector(1, 0, 1);
  EXPECT_EQ((std::vector<int>{l[0], l[1], l[2], l[3]}), (std::vector<int>{15, 0, 0, 0}));
  h = op->Vector(0, 1, 1);  // token 4 at k = 1 (0x30), padding lanes hold z_H
  EXPECT_EQ((std::vector<int>{h[0], h[1], h[2], h[3]}), (std::vector<int>{3, 3, 3, 3}));
}

TEST(SliceStream, ByHand) {
  // Vectors: skip, stored (1,-1,0,7), skip, skip, stored (0,0,0,-8).
  std::vector<int8_t> v = {0, 0, 0, 0, 1, -1, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -8};
  auto bytes = EncodeSliceStream(v, 0);
  // Nibbles: 1,1,F,0,7 | 2,0,0,0,8 then a 0 pad, low nibble first.
  std::vector<uint8_t> want = {0x11, 0x0F, 0x27, 0x00, 0x80};
  EXPECT_EQ(bytes, want);
  auto back = DecodeSliceStream(bytes, 5, 0, true);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(*back, v);
}

TEST(SliceStream, LongRunsUseTheEscapeAndRoundTrip) {
  // 40 skipped vectors then one stored: indices 15, 15 (explicit skip
  // vectors), then 8 for the stored one.
  std::vector<int8_t> v(41 * 4, 3);
  v[40 * 4] = 4;
  auto bytes = EncodeSliceStream(v, 3);
  EXPECT_EQ(bytes.size(), 8u);  // 3 vectors x 5 nibbles, padded
  EXPECT_EQ(bytes[0] & 15, 15);
  auto back = DecodeSliceStream(bytes, 41, 3, false);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, v);
}

TEST(SliceStream, RandomRoundTripAndCompressHoAgrees) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 300; ++trial) {
    const int m = 1 + rng() % 23, k = 1 + rng() % 70;
    const double p_zero = (rng() % 5) / 4.0;
    std::vector<int32_t> w(size_t(m) * k);
    for (auto& x : w) x = (rng() % 1000) < p_zero * 1000 ? int(rng() % 15) - 7 : int(rng() % 127) - 63;
    auto op = SliceWeightsSbr(w, m, k, 7);
    ASSERT_TRUE(op.ok());
    CompressedHo c = CompressHo(*op);
    EXPECT_EQ(DecompressHo(c), op->slices[0]);
    for (int b = 0; b < op->blocks; ++b) {
      std::span<const int8_t> block(op->Vector(0, b, 0), size_t(k) * 4);
      auto bytes = EncodeSliceStream(block, 0);
      EXPECT_EQ(bytes.size(), (size_t(c.start[b + 1] - c.start[b]) * 5 + 1) / 2);
      auto back = DecodeSliceStream(bytes, k, 0, true);
      ASSERT_TRUE(back.ok());
      EXPECT_TRUE(std::equal(back->begin(), back->end(), block.begin()));
    }
  }
}

TEST(SliceStream, RejectsCorruptStreams) {
  // Run index past the end.
  EXPECT_EQ(DecodeSliceStream(std::vector<uint8_t>{0x05, 0x00, 0x00}, 3, 0, true).status().code(),
            StatusCode::kCorruptData);
  // Truncated inside a vector.
  EXPECT_EQ(DecodeSliceStream(std::vector<uint8_t>{0x00, 0x00}, 3, 0, true).status().code(),
            StatusCode::kCorruptData);
  // Nonzero padding nibble.
  EXPECT_EQ(DecodeSliceStream(std::vector<uint8_t>{0x00, 0x00, 0x10}, 3, 0, true).status().code(),
            StatusCode::kCorruptData);
  // Longer than any stream of that many vectors.
  EXPECT_EQ(DecodeSliceStream(std::vector<uint8_t>(100, 0), 3, 0, true).status().code(),
            StatusCode::kCorruptData);
  EXPECT_TRUE(DecodeSliceStream({}, 0, 0, true).ok());
}

}  // namespace
}  // namespace tp
