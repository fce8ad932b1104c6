// GGUF files of every ggml block type, written by tensorpress's own GGUF
// writer, through the CLI as a user runs it: inspect, compress, decompress,
// and the restored file must be identical.
//
// The blocks are synthetic (no quantizer for most types lives here): random
// quantized bytes, as incompressible as real packed values nearly are, and
// weight-sized random fp16 scales (|N(0,1)| * 0.01, the magnitude real files
// have; IQ1_M's spread over its sub-scale words' top nibbles, as ggml puts
// it), so that the scale fields carry the kind of redundancy real files do.
// With TP_GGUF_TABLE_DIR set, the files are kept there for scripts/gguf-table.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <random>

#include "codec/block_fields.h"
#include "tensorpress/half.h"
#include "tensorpress/model.h"
#include "testing/test_util.h"

namespace tp {
namespace {

std::vector<uint8_t> SyntheticBlocks(DType dtype, size_t blocks, std::mt19937& rng) {
  const DTypeTraits& tr = Traits(dtype);
  std::vector<uint8_t> b(blocks * size_t(tr.block_bytes));
  std::uniform_int_distribution<int> byte(0, 255);
  for (uint8_t& x : b) x = uint8_t(byte(rng));
  std::normal_distribution<float> normal(0.f, 1.f);
  for (const BlockField& f : BlockFieldsOf(dtype)) {
    const size_t at = f.segments[0].offset;
    for (size_t i = 0; i < blocks; ++i) {
      uint8_t* block = b.data() + i * size_t(tr.block_bytes);
      const float scale = std::abs(normal(rng)) * 0.01f;
      if (f.name.ends_with(".lo")) {  // an fp16 scale (its .hi byte follows)
        const uint16_t h = FloatToHalf(scale);
        block[at] = uint8_t(h), block[at + 1] = uint8_t(h >> 8);
      } else if (f.name == "d.b0") {  // Q8_K's f32 scale
        std::memcpy(block + at, &scale, 4);
      } else if (dtype == DType::kMXFP4 && f.name == "e") {  // E8M0 exponent near 2^-5
        block[at] = uint8_t(118 + (byte(rng) % 10));
      } else if (dtype == DType::kIQ1_M && f.name == "scales") {
        // IQ1_M has no field of its own for its fp16 scale: ggml puts its
        // four nibbles in the top nibbles of the four u16 sub-scale words.
        const uint16_t h = FloatToHalf(scale);
        for (int k = 0; k < 4; ++k)
          block[at + 2 * k + 1] = uint8_t((block[at + 2 * k + 1] & 0x0f) | (((h >> (4 * k)) & 0xf) << 4));
      }
    }
  }
  return b;
}

TEST(GgufCli, EveryBlockTypeWrittenByUsInspectsCompressesAndRestoresIdentically) {
  testing::TempDir scratch;
  const char* keep = std::getenv("TP_GGUF_TABLE_DIR");
  const std::string dir = keep && *keep ? keep : scratch.path();
  std::mt19937 rng(14);
  const int64_t rows = 256, cols = 1024;
  int types = 0;
  for (int d = 0; d < kNumDTypes; ++d) {
    const DType dtype = DType(d);
    if (!Traits(dtype).is_quantized_block) continue;
    ++types;
    const std::string name(DTypeName(dtype));
    SCOPED_TRACE(name);
    std::vector<Tensor> tensors;
    for (const char* t : {"blk.0.attn_q.weight", "blk.0.ffn_up.weight"}) {
      auto blocks = SyntheticBlocks(dtype, size_t(rows * cols / Traits(dtype).block_elements), rng);
      auto tensor = Tensor::FromBytes(t, dtype, {rows, cols}, std::move(blocks));
      ASSERT_TRUE(tensor.ok()) << tensor.status().message();
      tensors.push_back(*tensor);
    }
    std::vector<float> norm(size_t(cols), 1.0f);
    tensors.push_back(*Tensor::FromValues<float>("blk.0.attn_norm.weight", DType::kF32, {cols}, norm));
    const std::string path = dir + "/every_" + name + ".gguf";
    WriteOptions overwrite;
    overwrite.overwrite = true;
    ASSERT_TRUE(WriteGguf(path, tensors, {{"general.architecture", "llama"}, {"general.name", "every " + name}},
                          overwrite)
                    .ok());
    auto r = testing::RunCli("inspect '" + path + "'", scratch);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find(name), std::string::npos) << r.out;
    r = testing::RunCli("compress -q -f '" + path + "' -o '" + path + ".tpz'", scratch);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = testing::RunCli("decompress -q -f '" + path + ".tpz' -o '" + scratch.File("back.gguf") + "'", scratch);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(testing::ReadBytes(path) == testing::ReadBytes(scratch.File("back.gguf"))) << "restored file differs";
    // The scales are the redundant part: the coded file must be smaller.
    EXPECT_LT(testing::ReadBytes(path + ".tpz").size(), testing::ReadBytes(path).size());
  }
  EXPECT_GE(types, 24);
}

}  // namespace
}  // namespace tp
