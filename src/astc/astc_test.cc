// Unit tests of the ASTC pieces against hand-computed values, the .astc
// reader against malformed files, and the CLI verbs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>

#include "astc/astc_internal.h"
#include "tensorpress/astc.h"
#include "tensorpress/half.h"
#include "testing/test_util.h"

namespace tp::astc {
namespace {

using namespace internal;

TEST(AstcQuant, IseBitCountsMatchSpecificationFormula) {
  // ceil(8N/5) trit bits and ceil(7N/3) quint bits on top of N*bits.
  EXPECT_EQ(IseBitCount(5, kQuant3), 8);
  EXPECT_EQ(IseBitCount(1, kQuant3), 2);
  EXPECT_EQ(IseBitCount(3, kQuant5), 7);
  EXPECT_EQ(IseBitCount(2, kQuant5), 5);
  EXPECT_EQ(IseBitCount(16, kQuant6), 16 + 26);
  EXPECT_EQ(IseBitCount(7, kQuant256), 56);
  EXPECT_EQ(IseBitCount(64, kQuant2), 64);
}

TEST(AstcQuant, UnquantisedLevelsSpanTheRangeEvenly) {
  for (int q = 0; q < kNumQuantLevels; ++q) {
    int n = QuantLevelCount(q);
    for (bool weight : {true, false}) {
      if (weight && q >= kNumWeightQuantLevels) continue;
      if (!weight && q < kQuant6) continue;
      std::vector<int> v;
      for (int c = 0; c < n; ++c) v.push_back(weight ? UnquantizeWeight(q, c) : UnquantizeColor(q, c));
      std::sort(v.begin(), v.end());
      int top = weight ? 64 : 255;
      EXPECT_EQ(v.front(), 0) << q;
      EXPECT_EQ(v.back(), top) << q;
      double step = double(top) / (n - 1);
      for (int i = 0; i < n; ++i) EXPECT_NEAR(v[i], i * step, 1.5) << "quant " << q << " weight " << weight;
    }
  }
}

TEST(AstcQuant, KnownUnquantisedValues) {
  // Specification examples: 3-level weights are 0, 32, 64; 5-level weights
  // 0, 16, 32, 48, 64 (47 and 63 before the > 32 adjustment).
  EXPECT_EQ(UnquantizeWeight(kQuant3, 1), 32);
  EXPECT_EQ(UnquantizeWeight(kQuant3, 2), 64);
  EXPECT_EQ(UnquantizeWeight(kQuant5, 3), 48);
  EXPECT_EQ(UnquantizeWeight(kQuant4, 1), 21);  // 2-bit 01 replicated: 010101
  EXPECT_EQ(UnquantizeColor(kQuant8, 5), 0xb6);  // 101 replicated: 10110110
}

TEST(AstcIse, EncodeDecodeRoundTripsEveryRangeAndLength) {
  uint32_t rng = 12345;
  for (int q = 0; q < kNumQuantLevels; ++q) {
    for (int count = 1; count <= 20; ++count) {
      if (IseBitCount(count, q) > 128) continue;
      uint8_t values[64], back[64];
      for (int i = 0; i < count; ++i) {
        rng = rng * 1664525u + 1013904223u;
        values[i] = static_cast<uint8_t>((rng >> 16) % QuantLevelCount(q));
      }
      Bits128 bits;
      IseEncode(bits, 0, count, q, values);
      IseDecode(bits, 0, count, q, back);
      for (int i = 0; i < count; ++i) ASSERT_EQ(back[i], values[i]) << "quant " << q << " count " << count;
      // Nothing is written past the sequence's bit count.
      int used = IseBitCount(count, q);
      EXPECT_EQ(bits.Read(used, std::min(32, 128 - used)), 0u);
    }
  }
}

TEST(AstcIse, TritPackingMatchesHandExample) {
  // Range 6 (one trit + one bit). Trit byte T = 0b11100011 decodes by the
  // specification's table to trits (0, 0, 2, 1, 2); with low bits
  // (1, 0, 1, 0, 1) the values are (1, 0, 5, 2, 5). Interleaved as
  // m0 T0 T1 m1 T2 T3 m2 T4 m3 T5 T6 m4 T7, that is bits 0,1,2,6,9,10,11,12.
  Bits128 bits;
  bits.Write(0, 13, 1 + 2 + 4 + 64 + 512 + 1024 + 2048 + 4096);
  uint8_t out[5];
  IseDecode(bits, 0, 5, kQuant6, out);
  EXPECT_EQ(out[0], 1);
  EXPECT_EQ(out[1], 0);
  EXPECT_EQ(out[2], 5);
  EXPECT_EQ(out[3], 2);
  EXPECT_EQ(out[4], 5);
}

TEST(AstcBlockMode, EveryEncodableModeDecodesBack) {
  int valid = 0;
  for (int m = 0; m < 2048; ++m) {
    BlockMode bm;
    if (!DecodeBlockMode(m, 12, 12, &bm)) continue;
    ++valid;
    int back = EncodeBlockMode(bm.grid_x, bm.grid_y, bm.dual_plane, bm.weight_quant);
    ASSERT_GE(back, 0);
    BlockMode bm2;
    ASSERT_TRUE(DecodeBlockMode(back, 12, 12, &bm2));
    EXPECT_EQ(bm2.grid_x, bm.grid_x);
    EXPECT_EQ(bm2.grid_y, bm.grid_y);
    EXPECT_EQ(bm2.dual_plane, bm.dual_plane);
    EXPECT_EQ(bm2.weight_quant, bm.weight_quant);
  }
  EXPECT_GT(valid, 500);
  BlockMode bm;
  EXPECT_FALSE(DecodeBlockMode(0x1fc, 12, 12, &bm));  // void extent
  EXPECT_FALSE(DecodeBlockMode(0, 12, 12, &bm));      // reserved
  // A 12x12 grid cannot sit in a 4x4 footprint.
  EXPECT_FALSE(DecodeBlockMode(EncodeBlockMode(6, 6, false, kQuant2), 4, 4, &bm));
}

TEST(AstcPartition, HashIsDeterministicAndCoversEveryPartition) {
  // Every seed's pattern uses only valid partitions; across seeds, every
  // partition index occurs, and one partition always maps to 0.
  std::set<int> seen;
  for (int seed = 0; seed < 1024; ++seed)
    for (int y = 0; y < 6; ++y)
      for (int x = 0; x < 6; ++x) {
        int p = SelectPartition(seed, x, y, 3, false);
        ASSERT_GE(p, 0);
        ASSERT_LT(p, 3);
        seen.insert(p);
        EXPECT_EQ(SelectPartition(seed, x, y, 1, false), 0);
      }
  EXPECT_EQ(seen.size(), 3u);
}

TEST(AstcHalf, Unorm16ToHalfRoundsTowardZero) {
  EXPECT_EQ(Unorm16ToHalf(0xffff), 0x3c00);
  EXPECT_EQ(Unorm16ToHalf(0), 0);
  EXPECT_EQ(Unorm16ToHalf(0x8000), 0x3800);  // exactly 0.5
  EXPECT_EQ(Unorm16ToHalf(1), 0x0100);       // 2^-16, subnormal
  // 0xfffe / 65536 = 0.99997; the largest half below 1 is 0x3bff.
  EXPECT_EQ(Unorm16ToHalf(0xfffe), 0x3bff);
  for (int v = 0; v < 0xffff; ++v) {
    float f = HalfToFloat(Unorm16ToHalf(v));
    ASSERT_LE(f, v / 65536.0f);
    ASSERT_GT(f, v / 65536.0f * (1 - 1.0f / 512) - 1e-7f);
  }
}

// A void-extent block with the given RGBA unorm16 colour.
std::vector<uint8_t> VoidExtent(uint16_t r, uint16_t g, uint16_t b, uint16_t a) {
  std::vector<uint8_t> block(16, 0xff);
  block[0] = 0xfc;
  block[1] = 0xfd;  // bits 8..11: 1 (mode), HDR 0, reserved 11
  uint16_t c[4] = {r, g, b, a};
  for (int i = 0; i < 4; ++i) {
    block[8 + 2 * i] = static_cast<uint8_t>(c[i]);
    block[9 + 2 * i] = static_cast<uint8_t>(c[i] >> 8);
  }
  return block;
}

TEST(AstcDecode, VoidExtentDecodesToItsColourInBothModes) {
  auto block = VoidExtent(0x8000, 0xffff, 0x0000, 0x1234);
  uint16_t f16[16 * 4];
  uint8_t u8[16 * 4];
  EXPECT_EQ(DecodeBlockFloat16(block.data(), 4, 4, f16), BlockKind::kVoidExtent);
  EXPECT_EQ(DecodeBlockUnorm8(block.data(), 4, 4, u8), BlockKind::kVoidExtent);
  EXPECT_EQ(f16[0], 0x3800);
  EXPECT_EQ(f16[1], 0x3c00);
  EXPECT_EQ(f16[2], 0);
  EXPECT_EQ(u8[0], 0x80);
  EXPECT_EQ(u8[1], 0xff);
  EXPECT_EQ(u8[3], 0x12);
  EXPECT_EQ(f16[15 * 4 + 1], 0x3c00);
}

TEST(AstcDecode, IllegalBlocksAreMagentaAndHdrIsRefused) {
  uint8_t u8[36 * 4];
  std::vector<uint8_t> reserved(16, 0);  // block mode 0 is reserved
  EXPECT_EQ(DecodeBlockUnorm8(reserved.data(), 6, 6, u8), BlockKind::kError);
  EXPECT_EQ(u8[0], 255);
  EXPECT_EQ(u8[1], 0);
  EXPECT_EQ(u8[2], 255);
  EXPECT_EQ(u8[3], 255);

  auto bad_extent = VoidExtent(0, 0, 0, 0);
  bad_extent[1] = 0xf5;  // reserved bits 10..11 not 11
  EXPECT_EQ(DecodeBlockUnorm8(bad_extent.data(), 6, 6, u8), BlockKind::kError);

  auto hdr_extent = VoidExtent(0x3c00, 0, 0, 0x3c00);
  hdr_extent[1] = 0xff;  // HDR flag set
  EXPECT_EQ(DecodeBlockUnorm8(hdr_extent.data(), 6, 6, u8), BlockKind::kHdr);

  // A normal block with endpoint mode 2 (HDR luminance): 1 partition, mode
  // for a 2x2 grid.
  Bits128 bits;
  bits.Write(0, 11, static_cast<uint32_t>(EncodeBlockMode(4, 4, false, kQuant4)));
  bits.Write(13, 4, 2);
  uint8_t block[16];
  bits.Store(block);
  EXPECT_EQ(DecodeBlockUnorm8(block, 6, 6, u8), BlockKind::kHdr);
  AstcImage image;
  image.block_x = image.block_y = 6;
  image.width = image.height = 6;
  image.blocks.assign(block, block + 16);
  auto decoded = DecodeUnorm8(image);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().code(), StatusCode::kUnsupported);
}

TEST(AstcDecode, DualPlaneSendsTheSelectedChannelToPlaneTwo) {
  // RGBA direct endpoints 0 and 255 on every channel; plane 1 weights 0,
  // plane 2 weights 64: the plane-2 channel decodes to 1.0, the rest to 0.
  for (int ccs = 0; ccs < 4; ++ccs) {
    int mode = EncodeBlockMode(2, 2, true, kQuant8);
    ASSERT_GE(mode, 0);
    BlockMode bm;
    ASSERT_TRUE(DecodeBlockMode(mode, 4, 4, &bm));
    Bits128 bits;
    bits.Write(0, 11, static_cast<uint32_t>(mode));
    bits.Write(13, 4, 12);
    bits.Write(128 - bm.weight_bits - 2, 2, static_cast<uint32_t>(ccs));
    int avail = 128 - bm.weight_bits - 2 - 17;
    int cq = ColorQuantForBits(8, avail);
    ASSERT_GE(cq, 0);
    uint8_t colors[8];
    int top = 0;
    for (int c = 0; c < QuantLevelCount(cq); ++c)
      if (UnquantizeColor(cq, c) == 255) top = c;
    for (int i = 0; i < 8; ++i) colors[i] = static_cast<uint8_t>(i % 2 ? top : 0);
    IseEncode(bits, 17, 8, cq, colors);
    uint8_t weights[8];
    for (int j = 0; j < 4; ++j) {
      weights[2 * j] = 0;
      weights[2 * j + 1] = 7;  // 3-bit code 7 -> 64
    }
    Bits128 w;
    IseEncode(w, 0, 8, kQuant8, weights);
    Bits128 rev = w.Reversed();
    bits.lo |= rev.lo;
    bits.hi |= rev.hi;
    uint8_t block[16];
    bits.Store(block);
    uint8_t u8[16 * 4];
    ASSERT_EQ(DecodeBlockUnorm8(block, 4, 4, u8), BlockKind::kNormal);
    for (int i = 0; i < 16; ++i)
      for (int c = 0; c < 4; ++c) EXPECT_EQ(u8[4 * i + c], c == ccs ? 255 : 0) << "ccs " << ccs;
  }
}

TEST(AstcEndpoints, BlueContractionAndBaseOffsetByHand) {
  std::array<int, 4> e0, e1;
  // Mode 8 with the second sum below the first: ends swap and blue-contract.
  int direct[6] = {200, 100, 50, 20, 10, 0};
  UnpackLdrEndpoints(8, direct, &e0, &e1);
  EXPECT_EQ(e0, (std::array<int, 4>{(100 + 0) / 2, (20 + 0) / 2, 0, 255}));
  EXPECT_EQ(e1, (std::array<int, 4>{(200 + 10) / 2, (50 + 10) / 2, 10, 255}));
  // Mode 1: L0 = (v0 >> 2) | (v1 & 0xc0), L1 = L0 + (v1 & 0x3f) clamped.
  int lum[2] = {0x40, 0xff};
  UnpackLdrEndpoints(1, lum, &e0, &e1);
  EXPECT_EQ(e0[0], 0x10 | 0xc0);
  EXPECT_EQ(e1[0], 255);
  // Mode 9: bit transfer; offsets +1 each keep the order.
  int bo[6] = {100, 2, 100, 2, 100, 2};
  UnpackLdrEndpoints(9, bo, &e0, &e1);
  EXPECT_EQ(e0, (std::array<int, 4>{50, 50, 50, 255}));
  EXPECT_EQ(e1, (std::array<int, 4>{51, 51, 51, 255}));
  // Mode 6: base * scale / 256.
  int bs[4] = {200, 100, 50, 128};
  UnpackLdrEndpoints(6, bs, &e0, &e1);
  EXPECT_EQ(e0, (std::array<int, 4>{100, 50, 25, 255}));
  EXPECT_EQ(e1, (std::array<int, 4>{200, 100, 50, 255}));
}

// --- the .astc reader against malformed files ---

std::vector<uint8_t> Header(int bx, int by, int bz, uint32_t w, uint32_t h, uint32_t d) {
  std::vector<uint8_t> f = {0x13, 0xab, 0xa1, 0x5c, static_cast<uint8_t>(bx), static_cast<uint8_t>(by),
                            static_cast<uint8_t>(bz)};
  for (uint32_t v : {w, h, d})
    for (int i = 0; i < 3; ++i) f.push_back(static_cast<uint8_t>(v >> (8 * i)));
  return f;
}

std::vector<uint8_t> WithBlocks(std::vector<uint8_t> f, size_t blocks) {
  f.resize(f.size() + blocks * 16, 0);
  return f;
}

TEST(AstcFile, MalformedFilesAreRejectedCleanly) {
  struct Case {
    const char* name;
    std::vector<uint8_t> bytes;
    StatusCode code;
  };
  std::vector<Case> cases = {
      {"empty", {}, StatusCode::kCorruptData},
      {"short header", {0x13, 0xab, 0xa1, 0x5c, 4, 4}, StatusCode::kCorruptData},
      {"bad magic", WithBlocks([] { auto h = Header(4, 4, 1, 4, 4, 1); h[0] = 0x14; return h; }(), 1),
       StatusCode::kCorruptData},
      {"footprint 3x3", WithBlocks(Header(3, 3, 1, 3, 3, 1), 1), StatusCode::kCorruptData},
      {"footprint 7x7", WithBlocks(Header(7, 7, 1, 7, 7, 1), 1), StatusCode::kCorruptData},
      {"footprint 4x5 (not 5x4)", WithBlocks(Header(4, 5, 1, 4, 5, 1), 1), StatusCode::kCorruptData},
      {"zero width", Header(4, 4, 1, 0, 4, 1), StatusCode::kCorruptData},
      {"zero height", Header(4, 4, 1, 4, 0, 1), StatusCode::kCorruptData},
      {"3-D block", WithBlocks(Header(4, 4, 4, 4, 4, 4), 1), StatusCode::kUnsupported},
      {"3-D image", WithBlocks(Header(4, 4, 1, 4, 4, 2), 2), StatusCode::kUnsupported},
      {"zero depth", Header(4, 4, 0, 4, 4, 0), StatusCode::kCorruptData},
      {"truncated blocks", WithBlocks(Header(4, 4, 1, 8, 8, 1), 3), StatusCode::kCorruptData},
      {"trailing bytes", WithBlocks(Header(4, 4, 1, 4, 4, 1), 2), StatusCode::kCorruptData},
      {"huge dims, no blocks", Header(4, 4, 1, 0xffffff, 0xffffff, 1), StatusCode::kCorruptData},
      {"partial block bytes", [] { auto f = WithBlocks(Header(6, 6, 1, 6, 6, 1), 1); f.pop_back(); return f; }(),
       StatusCode::kCorruptData},
  };
  for (const Case& c : cases) {
    auto image = ParseAstcFile(c.bytes);
    ASSERT_FALSE(image.ok()) << c.name;
    EXPECT_EQ(image.status().code(), c.code) << c.name << ": " << image.status().message();
    EXPECT_EQ(image.status().message().find('\n'), std::string::npos) << c.name;
  }
  // And the well-formed neighbour of those cases parses.
  auto ok = ParseAstcFile(WithBlocks(Header(5, 4, 1, 11, 9, 1), 3 * 3));
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(ok->blocks_x(), 3);
  EXPECT_EQ(ok->blocks_y(), 3);
}

TEST(AstcFile, WriteThenReadRoundTrips) {
  tp::testing::TempDir dir;
  AstcImage image;
  image.block_x = 8;
  image.block_y = 5;
  image.width = 17;
  image.height = 6;
  image.blocks.resize(3 * 2 * 16);
  for (size_t i = 0; i < image.blocks.size(); ++i) image.blocks[i] = static_cast<uint8_t>(i * 7);
  ASSERT_TRUE(WriteAstcFile(dir.File("x.astc"), image).ok());
  EXPECT_FALSE(WriteAstcFile(dir.File("x.astc"), image).ok());  // no overwrite by default
  auto back = ReadAstcFile(dir.File("x.astc"));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->width, 17);
  EXPECT_EQ(back->height, 6);
  EXPECT_EQ(back->blocks, image.blocks);
}

// --- encoder round trips ---

TEST(AstcEncode, EveryFootprintDecodesCleanlyAndImprovesWithRate) {
  // Smooth plus noise data, partial edge blocks included: no error blocks,
  // and the error shrinks as the rate grows.
  const int w = 29, h = 23;
  std::vector<float> lum(w * h), rgba(w * h * 4);
  uint32_t rng = 7;
  for (int i = 0; i < w * h; ++i) {
    rng = rng * 1664525u + 1013904223u;
    float noise = ((rng >> 8) & 0xffff) / 65535.0f;
    lum[i] = 0.5f * noise + 0.5f * float(i % w) / w;
    // Packed weights are partly correlated across a texel's channels.
    for (int c = 0; c < 4; ++c)
      rgba[i * 4 + c] = 0.7f * float(i % w) / w + 0.3f * std::fmod(noise * float(2 * c + 1), 1.0f);
  }
  for (int channels : {1, 4}) {
    double prev = 0;
    for (auto [bx, by] : std::vector<std::pair<int, int>>{{12, 12}, {8, 8}, {6, 6}, {4, 4}}) {
      EncodeOptions opt;
      opt.block_x = bx;
      opt.block_y = by;
      opt.quality = 20;
      auto image = EncodeImage(channels == 1 ? lum : rgba, w, h, channels, opt);
      ASSERT_TRUE(image.ok());
      EXPECT_EQ(CountBlocks(*image).error, 0u);
      auto dec = DecodeFloat16(*image);
      ASSERT_TRUE(dec.ok());
      double se = 0;
      const auto& src = channels == 1 ? lum : rgba;
      for (int i = 0; i < w * h; ++i)
        for (int c = 0; c < channels; ++c) {
          double d = HalfToFloat((*dec)[4 * i + c]) - src[i * channels + c];
          se += d * d;
        }
      double rmse = std::sqrt(se / (w * h * channels));
      if (prev > 0) {
        EXPECT_LT(rmse, prev) << bx << "x" << by << " channels " << channels;
      }
      prev = rmse;
    }
    EXPECT_LT(prev, channels == 1 ? 0.01 : 0.1);
  }
}

TEST(AstcEncode, TensorRoundTripKeepsTheAffineMap) {
  std::vector<float> values(64 * 40);
  for (size_t i = 0; i < values.size(); ++i) values[i] = -3.0f + 0.001f * float((i * 37) % 1000);
  auto tensor = Tensor::FromValues<float>("w", DType::kF32, {64, 40}, values);
  ASSERT_TRUE(tensor.ok());
  TensorEncodeOptions opt;
  opt.encode.block_x = opt.encode.block_y = 4;
  opt.encode.quality = 10;
  auto enc = EncodeTensor(*tensor, opt);
  ASSERT_TRUE(enc.ok());
  EXPECT_FLOAT_EQ(enc->offset, -3.0f);
  auto dec = DecodeTensorValues(*enc);
  ASSERT_TRUE(dec.ok());
  ErrorStats err = CompareValues(values, *dec);
  EXPECT_LT(err.max_abs, 0.03);
  opt.rgba = true;
  auto packed = EncodeTensor(*tensor, opt);
  ASSERT_TRUE(packed.ok());
  EXPECT_EQ(packed->image.width, 10);
  opt.normalize = false;
  EXPECT_EQ(EncodeTensor(*tensor, opt).status().code(), StatusCode::kInvalidArgument);
}

TEST(AstcCli, EncodeDecodeAndErrors) {
  tp::testing::TempDir dir;
  std::string model = tp::testing::SharedModel("mnist-cnn/mnist_cnn.safetensors");
  auto r = tp::testing::RunCli("astc encode " + model + " --tensor dense_2.kernel --block 5x5 --quality 10 -o " +
                                   dir.File("d.astc"),
                               dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("RMSE"), std::string::npos);
  r = tp::testing::RunCli("astc decode " + dir.File("d.astc") + " --mode unorm8 -o " + dir.File("d.npy"), dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto npy = tp::testing::ReadBytes(dir.File("d.npy"));
  ASSERT_EQ(npy.size(), 128u + 128 * 10 * 4);
  std::string header(npy.begin() + 10, npy.begin() + 128);
  EXPECT_NE(header.find("'shape': (128, 10, 4)"), std::string::npos) << header;
  // The texels are the decode of the file we wrote.
  auto image = ReadAstcFile(dir.File("d.astc"));
  ASSERT_TRUE(image.ok());
  auto u8 = DecodeUnorm8(*image);
  ASSERT_TRUE(u8.ok());
  EXPECT_TRUE(std::equal(u8->begin(), u8->end(), npy.begin() + 128));

  EXPECT_EQ(tp::testing::RunCli("astc encode " + model + " -o " + dir.File("e.astc"), dir).exit_code, 1);
  EXPECT_EQ(tp::testing::RunCli("astc encode " + model + " --tensor dense_2.kernel --block 7x7 -o " +
                                    dir.File("e.astc"), dir).exit_code, 1);
  tp::testing::WriteBytes(dir.File("bad.astc"), {1, 2, 3});
  r = tp::testing::RunCli("astc decode " + dir.File("bad.astc") + " -o " + dir.File("bad.npy"), dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("truncated ASTC header"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace tp::astc
