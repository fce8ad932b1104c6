// The encoder's Highway kernels against their scalar references: equal bit
// for bit, kernel by kernel and for whole encodes.
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "astc/enc_astc_block.h"
#include "tensorpress/astc.h"
#include "tensorpress/model.h"
#include "testing/test_util.h"

namespace tp::astc {
namespace {

TEST(AstcSimd, SeedScoresEqualTheScalarReferenceOnEveryFootprint) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  size_t checked = 0;
  for (const Footprint& fp : AllFootprints()) {
    const internal::FootprintContext ctx(fp.x, fp.y);
    for (int channels : {1, 4}) {
      for (int trial = 0; trial < 3; ++trial) {
        internal::BlockTarget target;
        target.channels = channels;
        // Trial 0: a full block; 1: a partial edge block; 2: few distinct values (ties).
        for (int i = 0; i < ctx.texels(); ++i) {
          target.valid[i] = trial != 1 || (i % fp.x < fp.x - 2 && i / fp.x < fp.y - 1);
          for (int c = 0; c < 4; ++c) target.value[i][c] = trial == 2 ? float(rng() % 3) / 2 : unit(rng);
        }
        for (int count = 2; count <= 4; ++count) {
          double simd[1024], scalar[1024];
          uint8_t simd_empty[1024], scalar_empty[1024];
          internal::SeedScores(ctx, target, count, simd, simd_empty);
          internal::SeedScoresScalar(ctx, target, count, scalar, scalar_empty);
          ASSERT_EQ(std::memcmp(simd_empty, scalar_empty, sizeof simd_empty), 0) << fp.Name() << " " << count;
          for (int s = 0; s < 1024; ++s)
            if (!scalar_empty[s]) {
              ASSERT_EQ(simd[s], scalar[s]) << fp.Name() << " count " << count << " seed " << s;
            }
          ++checked;
        }
      }
    }
  }
  EXPECT_EQ(checked, 14u * 2 * 3 * 3);
}

TEST(AstcSimd, WholeEncodesAreByteIdenticalWithAndWithoutSimd) {
  auto kernel_or = tp::testing::SharedTensor("mnist-cnn/mnist_cnn.safetensors", "conv2d_2.kernel");
  ASSERT_TRUE(kernel_or.ok()) << kernel_or.status().message();
  const Tensor* kernel = &*kernel_or;
  auto f32 = ToF32(*kernel);
  ASSERT_TRUE(f32.ok());
  // A 64 x 48 corner of the [288, 64] matrix, mapped to [0, 1].
  std::vector<float> texels;
  auto v = f32->values<float>();
  for (int r = 0; r < 48; ++r)
    for (int c = 0; c < 64; ++c) texels.push_back(std::clamp(0.5f + 2 * v[size_t(r) * 64 + size_t(c)], 0.0f, 1.0f));
  for (int channels : {1, 4}) {
    for (Footprint fp : {Footprint{4, 4}, Footprint{6, 5}, Footprint{8, 8}, Footprint{12, 12}}) {
      EncodeOptions o;
      o.block_x = fp.x;
      o.block_y = fp.y;
      o.quality = 60;
      double e_simd = 0, e_scalar = 0;
      auto a = EncodeImage(texels, 64 / channels, 48, channels, o, &e_simd);
      o.simd = false;
      auto b = EncodeImage(texels, 64 / channels, 48, channels, o, &e_scalar);
      ASSERT_TRUE(a.ok() && b.ok());
      EXPECT_EQ(a->blocks, b->blocks) << fp.Name() << " channels " << channels;
      EXPECT_EQ(e_simd, e_scalar);
    }
  }
}

}  // namespace
}  // namespace tp::astc
