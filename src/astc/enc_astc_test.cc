// Encoder quality against the Arm reference encoder on the shared sources:
// at every footprint in the manifest our RMSE must not exceed the RMSE of
// the reference's own decode (both measured on decode_float16 output).
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "astc/enc_astc_block.h"
#include "tensorpress/astc.h"
#include "tensorpress/half.h"
#include "testing/test_util.h"

namespace tp::astc {
namespace {

std::string VectorDir() { return tp::testing::SharedDir() + "/vectors/astc/"; }

std::vector<float> ReadF32(const std::string& path) {
  std::vector<uint8_t> bytes = tp::testing::ReadBytes(path);
  std::vector<float> out(bytes.size() / 4);
  std::memcpy(out.data(), bytes.data(), out.size() * 4);
  return out;
}

// Weight-domain values of a decoded image: R for luminance, RGBA for packed.
std::vector<float> Channels(const std::vector<uint16_t>& rgba, int channels) {
  std::vector<float> out;
  for (size_t i = 0; i < rgba.size(); i += 4)
    for (int c = 0; c < channels; ++c) out.push_back(HalfToFloat(rgba[i + static_cast<size_t>(c)]));
  return out;
}

TEST(AstcEncoder, RmseAtOrBelowReferenceOnEverySharedVector) {
  std::ifstream f(VectorDir() + "manifest.json");
  nlohmann::json manifest = nlohmann::json::parse(f);
  for (const auto& v : manifest) {
    SCOPED_TRACE(v["astc"].get<std::string>());
    const int channels = v["channels_per_texel"];
    std::vector<float> source = ReadF32(VectorDir() + v["source"].get<std::string>());
    std::vector<uint8_t> ref_bytes = tp::testing::ReadBytes(VectorDir() + v["decoded_f16_rgba"].get<std::string>());
    std::vector<uint16_t> ref(ref_bytes.size() / 2);
    std::memcpy(ref.data(), ref_bytes.data(), ref.size() * 2);
    ErrorStats reference = CompareValues(source, Channels(ref, channels));

    EncodeOptions options;
    options.block_x = v["block"][0];
    options.block_y = v["block"][1];
    auto start = std::chrono::steady_clock::now();
    auto image = EncodeImage(source, v["width"], v["height"], channels, options);
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ASSERT_TRUE(image.ok()) << image.status().message();
    auto decoded = DecodeFloat16(*image);
    ASSERT_TRUE(decoded.ok());
    ErrorStats ours = CompareValues(source, Channels(*decoded, channels));
    BlockCensus census = CountBlocks(*image);
    EXPECT_EQ(census.error, 0u);
    std::printf("%-36s %2dx%-2d  reference RMSE %.6f (q%d)  tensorpress %.6f  ratio %.3f  (%.2f s, "
                "partitions 1:%llu 2:%llu 3:%llu 4:%llu, dual %llu)\n",
                v["astc"].get<std::string>().c_str(), options.block_x, options.block_y, reference.rmse,
                v["quality"].get<int>(), ours.rmse, ours.rmse / reference.rmse, seconds,
                (unsigned long long)census.partitions[1], (unsigned long long)census.partitions[2],
                (unsigned long long)census.partitions[3], (unsigned long long)census.partitions[4],
                (unsigned long long)census.dual_plane);
    EXPECT_LE(ours.rmse, reference.rmse);
  }
}

}  // namespace
}  // namespace tp::astc

namespace tp::astc::internal {
namespace {

TEST(AstcEncoderBlock, PredictedErrorIsTheDecodedError) {
  // The encoder's own error model must agree with the real decoder, or its
  // search would optimise the wrong thing.
  for (auto [bx, by] : std::vector<std::pair<int, int>>{{4, 4}, {6, 5}, {10, 8}, {12, 12}}) {
    FootprintContext ctx(bx, by);
    for (int channels : {1, 4}) {
      for (int quality : {0, 60}) {
        BlockTarget target;
        target.channels = channels;
        uint32_t rng = static_cast<uint32_t>(bx * 131 + channels + quality);
        for (int i = 0; i < bx * by; ++i) {
          target.valid[i] = (i % bx) < bx - 1 || quality == 0;  // a partial block when quality is 60
          for (int c = 0; c < 4; ++c) {
            rng = rng * 1664525u + 1013904223u;
            target.value[i][c] = float((rng >> 8) & 0xffff) / 65535.0f * 0.5f + 0.25f * float(i % bx) / bx;
          }
        }
        uint8_t block[16];
        double predicted = EncodeBlock(ctx, target, EffortForQuality(quality, channels), block);
        double actual = BlockError(ctx, target, block);
        EXPECT_NEAR(predicted, actual, 1e-9 + 1e-9 * actual) << bx << "x" << by << " channels " << channels;
      }
    }
  }
}

}  // namespace
}  // namespace tp::astc::internal
