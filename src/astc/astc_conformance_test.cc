// Bit-exactness against the Arm reference decoder: every vector in
// ../shared/vectors/astc/manifest.json, in both decode modes.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tensorpress/astc.h"
#include "testing/test_util.h"

namespace tp::astc {
namespace {

std::string VectorDir() { return tp::testing::SharedDir() + "/vectors/astc/"; }

nlohmann::json Manifest() {
  std::ifstream f(VectorDir() + "manifest.json");
  return nlohmann::json::parse(f);
}

TEST(AstcConformance, EveryVectorBitExactInBothModes) {
  nlohmann::json manifest = Manifest();
  ASSERT_GE(manifest.size(), 8u);
  for (const auto& v : manifest) {
    std::string name = v["astc"];
    SCOPED_TRACE(name);
    auto image = ReadAstcFile(VectorDir() + name);
    ASSERT_TRUE(image.ok()) << image.status().message();
    EXPECT_EQ(image->width, v["width"].get<int>());
    EXPECT_EQ(image->height, v["height"].get<int>());
    EXPECT_EQ(image->block_x, v["block"][0].get<int>());
    EXPECT_EQ(image->block_y, v["block"][1].get<int>());

    auto f16 = DecodeFloat16(*image);
    ASSERT_TRUE(f16.ok()) << f16.status().message();
    std::vector<uint8_t> want_f16 = tp::testing::ReadBytes(VectorDir() + v["decoded_f16_rgba"].get<std::string>());
    ASSERT_EQ(want_f16.size(), f16->size() * 2);
    size_t f16_mismatch = 0;
    for (size_t i = 0; i < f16->size(); ++i) {
      uint16_t want = static_cast<uint16_t>(want_f16[2 * i] | want_f16[2 * i + 1] << 8);
      if ((*f16)[i] != want) {
        if (f16_mismatch < 5)
          ADD_FAILURE() << "f16 texel " << i / 4 << " channel " << i % 4 << ": got " << (*f16)[i] << " want "
                        << want;
        ++f16_mismatch;
      }
    }
    EXPECT_EQ(f16_mismatch, 0u) << "decode_float16 mismatches";

    auto u8 = DecodeUnorm8(*image);
    ASSERT_TRUE(u8.ok()) << u8.status().message();
    std::vector<uint8_t> want_u8 = tp::testing::ReadBytes(VectorDir() + v["decoded_u8_rgba"].get<std::string>());
    ASSERT_EQ(want_u8.size(), u8->size());
    size_t u8_mismatch = 0;
    for (size_t i = 0; i < u8->size(); ++i) {
      if ((*u8)[i] != want_u8[i]) {
        if (u8_mismatch < 5)
          ADD_FAILURE() << "u8 texel " << i / 4 << " channel " << i % 4 << ": got " << int((*u8)[i]) << " want "
                        << int(want_u8[i]);
        ++u8_mismatch;
      }
    }
    EXPECT_EQ(u8_mismatch, 0u) << "decode_unorm8 mismatches";

    BlockCensus census = CountBlocks(*image);
    std::printf("%-40s blocks %llu normal, %llu void, %llu error; partitions 1:%llu 2:%llu 3:%llu 4:%llu; "
                "dual plane %llu; mismatches f16 %zu u8 %zu\n",
                name.c_str(), (unsigned long long)census.normal, (unsigned long long)census.void_extent,
                (unsigned long long)census.error, (unsigned long long)census.partitions[1],
                (unsigned long long)census.partitions[2], (unsigned long long)census.partitions[3],
                (unsigned long long)census.partitions[4], (unsigned long long)census.dual_plane, f16_mismatch,
                u8_mismatch);
  }
}

}  // namespace
}  // namespace tp::astc
