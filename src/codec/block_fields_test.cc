#include "codec/block_fields.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <set>

#include "tensorpress/model.h"
#include "testing/test_util.h"

namespace tp {
namespace {

std::vector<DType> BlockTypes() {
  std::vector<DType> out;
  for (int i = 0; i < kNumDTypes; ++i)
    if (Traits(static_cast<DType>(i)).is_quantized_block) out.push_back(static_cast<DType>(i));
  return out;
}

TEST(BlockFields, EveryBlockTypeHasFieldsCoveringEachByteOnce) {
  EXPECT_EQ(BlockTypes().size(), 24u);
  for (DType dtype : BlockTypes()) {
    SCOPED_TRACE(std::string(DTypeName(dtype)));
    ASSERT_TRUE(HasBlockFields(dtype));
    std::vector<int> covered(Traits(dtype).block_bytes, 0);
    std::set<std::string_view> names;
    for (const BlockField& f : BlockFieldsOf(dtype)) {
      EXPECT_TRUE(names.insert(f.name).second) << "duplicate field " << f.name;
      for (const auto& s : f.segments)
        for (int k = s.offset; k < s.offset + s.size; ++k) {
          ASSERT_LT(k, Traits(dtype).block_bytes);
          ++covered[k];
        }
    }
    for (size_t k = 0; k < covered.size(); ++k) EXPECT_EQ(covered[k], 1) << "byte " << k;
  }
  EXPECT_FALSE(HasBlockFields(DType::kF32));
  EXPECT_FALSE(HasBlockFields(DType::kI4));
}

// Split then merge is the identity, on random blocks of every type and every
// count from 0 to 9 blocks; the fp16 scale d lands byte-wise in d.lo/d.hi.
TEST(BlockFields, MergeIsTheExactInverseOfSplitOnRandomBlocks) {
  std::mt19937 rng(14);
  for (DType dtype : BlockTypes()) {
    SCOPED_TRACE(std::string(DTypeName(dtype)));
    const size_t bb = Traits(dtype).block_bytes;
    for (size_t n = 0; n < 10; ++n) {
      std::vector<uint8_t> blocks(n * bb);
      for (auto& b : blocks) b = static_cast<uint8_t>(rng());
      auto planes = SplitBlockFields(dtype, blocks);
      ASSERT_TRUE(planes.ok()) << planes.status().message();
      uint64_t total = 0;
      for (const auto& p : *planes) total += p.bytes.size();
      EXPECT_EQ(total, blocks.size());
      std::vector<uint8_t> back(blocks.size(), 0xAA);
      ASSERT_TRUE(MergeBlockFields(dtype, *planes, back).ok());
      EXPECT_EQ(back, blocks);
    }
  }
  // Q4_K: block = d(2) dmin(2) scales(12) qs(128); d.hi of block 1 is byte 144+1.
  std::vector<uint8_t> two(288);
  for (size_t i = 0; i < two.size(); ++i) two[i] = static_cast<uint8_t>(i * 7);
  auto planes = SplitBlockFields(DType::kQ4_K, two);
  ASSERT_TRUE(planes.ok());
  ASSERT_EQ((*planes)[1].name, "d.hi");
  EXPECT_EQ((*planes)[1].bytes, (std::vector<uint8_t>{two[1], two[145]}));
  ASSERT_EQ((*planes)[4].name, "scales");
  EXPECT_EQ((*planes)[4].bytes[12], two[144 + 4]);
}

TEST(BlockFields, RefusesPartialBlocksAndMismatchedPlanes) {
  EXPECT_FALSE(SplitBlockFields(DType::kQ4_0, std::vector<uint8_t>(19)).ok());
  EXPECT_FALSE(SplitBlockFields(DType::kF32, std::vector<uint8_t>(8)).ok());
  std::vector<uint8_t> blocks(36);
  auto planes = SplitBlockFields(DType::kQ4_0, blocks);
  ASSERT_TRUE(planes.ok());
  std::vector<uint8_t> out(36);
  auto short_planes = *planes;
  short_planes.back().bytes.pop_back();
  Status s = MergeBlockFields(DType::kQ4_0, short_planes, out);
  EXPECT_EQ(s.code(), StatusCode::kCorruptData);
  auto renamed = *planes;
  renamed[0].name = "x";
  EXPECT_EQ(MergeBlockFields(DType::kQ4_0, renamed, out).code(), StatusCode::kCorruptData);
  auto fewer = *planes;
  fewer.pop_back();
  EXPECT_EQ(MergeBlockFields(DType::kQ4_0, fewer, out).code(), StatusCode::kCorruptData);
}

// On the every-type file written by the gguf package and, when present, the
// real gemma-3 / SmolLM2 files (scripts/fetch-gguf): every tensor splits and
// merges back to its exact bytes, and the scale high byte is far more
// predictable than the packed values.
TEST(BlockFields, RoundTripsEveryTensorOfRealFiles) {
  std::vector<std::string> files = {testing::SourceDir() + "/src/io/testdata/ggml_dequant/every_type.gguf"};
  const char* home = std::getenv("HOME");
  for (const char* name : {"gemma-3-270m-q4_k_m.gguf", "SmolLM2-135M-Instruct.Q4_1.gguf"}) {
    std::string p = std::string(home ? home : "") + "/.cache/tensorpress/gguf/" + name;
    if (std::filesystem::exists(p)) files.push_back(p);
  }
  for (const std::string& file : files) {
    SCOPED_TRACE(file);
    auto model = ReadModel(file);
    ASSERT_TRUE(model.ok()) << model.status().message();
    int checked = 0;
    for (const Tensor& t : model->tensors) {
      if (!HasBlockFields(t.dtype())) continue;
      auto planes = SplitBlockFields(t.dtype(), t.bytes());
      ASSERT_TRUE(planes.ok()) << t.name();
      std::vector<uint8_t> back(t.nbytes());
      ASSERT_TRUE(MergeBlockFields(t.dtype(), *planes, back).ok());
      ASSERT_TRUE(std::equal(back.begin(), back.end(), t.bytes().begin())) << t.name();
      ++checked;
    }
    EXPECT_GT(checked, 0);
  }
}

TEST(BlockFields, EntropyReportNamesEveryField) {
  std::vector<uint8_t> blocks(18 * 64);
  for (size_t i = 0; i < blocks.size(); ++i) blocks[i] = static_cast<uint8_t>(i % 18 == 1 ? 0x2c : i * 31);
  auto e = BlockFieldEntropy(DType::kQ4_0, blocks);
  ASSERT_TRUE(e.ok());
  ASSERT_EQ(e->size(), 3u);
  EXPECT_EQ((*e)[1].name, "d.hi");
  EXPECT_EQ((*e)[1].bytes, 64u);
  EXPECT_EQ((*e)[1].bits_per_byte, 0.0);  // one constant byte
  EXPECT_EQ((*e)[2].bytes, 64u * 16);
}

}  // namespace
}  // namespace tp
