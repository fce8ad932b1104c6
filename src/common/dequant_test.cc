// The dequantizer against the gguf package's own dequantization of the same
// blocks (src/io/testdata/ggml_dequant/*.bin, written by scripts/gguf-vectors:
// random blocks with sane fp16 scales, plus blocks cut from the real gemma-3
// and SmolLM2 files for the types they use), compared bit for bit.
#include "common/dequant.h"

#include <gtest/gtest.h>

#include <cstring>

#include "common/blocks.h"
#include "tensorpress/half.h"
#include "tensorpress/tensor.h"
#include "testing/test_util.h"

namespace tp {
namespace {

struct Vectors {
  uint32_t ggml_type = 0, blocks = 0, block_bytes = 0;
  std::vector<uint8_t> raw;
  std::vector<float> want;
};

Vectors Load(const std::string& name) {
  std::vector<uint8_t> f = testing::ReadBytes(testing::SourceDir() + "/src/io/testdata/ggml_dequant/" + name + ".bin");
  Vectors v;
  if (f.size() < 16 || std::memcmp(f.data(), "GQDV", 4) != 0) return v;
  std::memcpy(&v.ggml_type, f.data() + 4, 4);
  std::memcpy(&v.blocks, f.data() + 8, 4);
  std::memcpy(&v.block_bytes, f.data() + 12, 4);
  const size_t raw_bytes = size_t{v.blocks} * v.block_bytes;
  v.raw.assign(f.begin() + 16, f.begin() + 16 + static_cast<std::ptrdiff_t>(raw_bytes));
  v.want.resize((f.size() - 16 - raw_bytes) / 4);
  std::memcpy(v.want.data(), f.data() + 16 + raw_bytes, v.want.size() * 4);
  return v;
}

uint32_t Bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

class DequantVectors : public ::testing::TestWithParam<DType> {};

TEST_P(DequantVectors, MatchTheGgufPackageBitForBit) {
  const DType dtype = GetParam();
  const DTypeTraits& t = Traits(dtype);
  Vectors v = Load(std::string(t.name));
  ASSERT_GT(v.blocks, 0u) << "missing vectors for " << t.name << " (run scripts/gguf-vectors)";
  ASSERT_EQ(v.block_bytes, static_cast<uint32_t>(t.block_bytes));
  ASSERT_EQ(v.want.size(), size_t{v.blocks} * t.block_elements);
  ASSERT_TRUE(CanDequantizeBlocks(dtype));
  std::vector<float> got(v.want.size());
  DequantizeBlocks(dtype, v.raw.data(), v.blocks, got.data());
  int mismatches = 0;
  for (size_t i = 0; i < got.size() && mismatches < 10; ++i)
    if (Bits(got[i]) != Bits(v.want[i]))
      ADD_FAILURE() << t.name << " element " << i << " (block " << i / t.block_elements << "): got " << got[i]
                    << ", gguf gives " << v.want[i] << (++mismatches == 10 ? " (stopping)" : "");
  // The same values through the tensor API, from an unaligned start.
  auto tensor = Tensor::FromBytes("x", dtype, {static_cast<int64_t>(got.size())}, v.raw);
  ASSERT_TRUE(tensor.ok()) << tensor.status().message();
  std::vector<double> mid(t.block_elements + 7);
  ElementsAsDouble(*tensor, 5, mid.size(), mid.data());
  for (size_t i = 0; i < mid.size(); ++i) EXPECT_EQ(mid[i], static_cast<double>(v.want[5 + i])) << i;
}

INSTANTIATE_TEST_SUITE_P(
    EveryType, DequantVectors,
    ::testing::Values(DType::kQ4_0, DType::kQ4_1, DType::kQ5_0, DType::kQ5_1, DType::kQ8_0, DType::kQ2_K,
                      DType::kQ3_K, DType::kQ4_K, DType::kQ5_K, DType::kQ6_K, DType::kIQ2_XXS, DType::kIQ2_XS,
                      DType::kIQ2_S, DType::kIQ3_XXS, DType::kIQ3_S, DType::kIQ1_S, DType::kIQ1_M, DType::kIQ4_NL,
                      DType::kIQ4_XS, DType::kTQ1_0, DType::kTQ2_0, DType::kMXFP4),
    [](const ::testing::TestParamInfo<DType>& info) { return std::string(DTypeName(info.param)); });

// Q8_1 and Q8_K have no dequantizer in the gguf package (ggml uses them only
// as dot-product operands): checked by hand. Q8_1 = f16 d, f16 s (ignored),
// 32 x i8; Q8_K = f32 d, 256 x i8, 16 x i16 block sums (ignored).
TEST(Dequant, Q8_1AndQ8_KByHand) {
  blocks::Q8_1 a{};
  const uint16_t d = FloatToHalf(0.5f), s = FloatToHalf(123.0f);
  std::memcpy(a.d, &d, 2);
  std::memcpy(a.s, &s, 2);
  for (int j = 0; j < 32; ++j) a.qs[j] = static_cast<int8_t>(j - 16);
  float y[256];
  DequantizeBlocks(DType::kQ8_1, reinterpret_cast<const uint8_t*>(&a), 1, y);
  for (int j = 0; j < 32; ++j) EXPECT_EQ(y[j], 0.5f * (j - 16)) << j;

  blocks::Q8_K k{};
  const float dk = 0.25f;
  std::memcpy(k.d, &dk, 4);
  for (int j = 0; j < 256; ++j) k.qs[j] = static_cast<int8_t>(j - 128);
  std::memset(k.bsums, 0x7f, sizeof k.bsums);
  DequantizeBlocks(DType::kQ8_K, reinterpret_cast<const uint8_t*>(&k), 1, y);
  for (int j = 0; j < 256; ++j) EXPECT_EQ(y[j], 0.25f * (j - 128)) << j;
}

TEST(Dequant, TraitsSizesMatchTheBlockStructs) {
  EXPECT_EQ(Traits(DType::kQ4_K).block_bytes, int{sizeof(blocks::Q4_K)});
  EXPECT_EQ(Traits(DType::kQ6_K).block_bytes, int{sizeof(blocks::Q6_K)});
  EXPECT_EQ(Traits(DType::kIQ1_M).block_bytes, int{sizeof(blocks::IQ1_M)});
  EXPECT_EQ(Traits(DType::kTQ1_0).block_bytes, int{sizeof(blocks::TQ1_0)});
  EXPECT_EQ(Traits(DType::kMXFP4).block_bytes, int{sizeof(blocks::MXFP4)});
  for (int i = 0; i < kNumDTypes; ++i) {
    const DTypeTraits& t = Traits(static_cast<DType>(i));
    if (t.is_quantized_block) EXPECT_TRUE(CanDequantizeBlocks(t.dtype)) << t.name;
  }
}

}  // namespace
}  // namespace tp
