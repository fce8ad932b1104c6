#include <gtest/gtest.h>

#include <cstring>

#include "tensorpress/model.h"
#include "testing/malformed.h"
#include "testing/test_util.h"

namespace tp {
namespace {

TEST(Llama2c, ReadsStories260K) {
  auto model = ReadModel(testing::SharedModel("stories260k/stories260K.bin"));
  ASSERT_TRUE(model.ok()) << model.status().message();
  EXPECT_EQ(model->format, ModelFormat::kLlama2c);
  // dim 64, hidden 172, 5 layers, 8 heads, 4 KV heads -> kv_dim 32.
  const Tensor* wk = nullptr;
  const Tensor* w2 = nullptr;
  for (const auto& t : model->tensors) {
    if (t.name() == "layers.4.attention.wk.weight") wk = &t;
    if (t.name() == "layers.0.feed_forward.w2.weight") w2 = &t;
  }
  ASSERT_NE(wk, nullptr);
  ASSERT_NE(w2, nullptr);
  EXPECT_EQ(wk->shape(), (Shape{32, 64}));
  EXPECT_EQ(w2->shape(), (Shape{64, 172}));
  // 1 embedding + 9 arrays x 5 layers + final norm + 2 RoPE tables.
  EXPECT_EQ(model->tensors.size(), 1u + 9 * 5 + 1 + 2);
}

// Builds a tiny valid checkpoint: dim 8, hidden 12, 1 layer, 2 heads, 1 kv
// head, vocab v, seq 4.
std::vector<uint8_t> Tiny(int32_t vocab, int32_t heads = 2, size_t trim = 0) {
  int32_t cfg[7] = {8, 12, 1, heads, 1, vocab, 4};
  int64_t v = vocab < 0 ? -vocab : vocab;
  int64_t floats = v * 8 + 8 + 64 + 2 * 32 + 64 + 8 + 3 * 96 + 8 + 2 * 4 * 2 + (vocab < 0 ? v * 8 : 0);
  std::vector<uint8_t> b(28 + floats * 4 - trim, 0);
  std::memcpy(b.data(), cfg, 28);
  return b;
}

TEST(Llama2c, UnsharedClassifierAddsOutputMatrix) {
  testing::TempDir dir;
  testing::WriteBytes(dir.File("s.bin"), Tiny(10));
  testing::WriteBytes(dir.File("u.bin"), Tiny(-10));
  auto s = ReadModel(dir.File("s.bin"));
  auto u = ReadModel(dir.File("u.bin"));
  ASSERT_TRUE(s.ok()) << s.status().message();
  ASSERT_TRUE(u.ok()) << u.status().message();
  EXPECT_EQ(u->tensors.size(), s->tensors.size() + 1);
  EXPECT_EQ(u->tensors.back().name(), "output.weight");
}

testing::MalformedRegistrar kLlama2cCases("llama2c", [] {
  using testing::MalformedCase;
  auto with = [](std::vector<uint8_t> b, int field, int32_t v) {
    std::memcpy(b.data() + 4 * field, &v, 4);
    return b;
  };
  return std::vector<MalformedCase>{
      {"short config", "a.bin", {1, 0, 0, 0, 2}},
      {"truncated mid-tensor", "b.bin", Tiny(10, 2, 6)},
      {"trailing bytes", "c.bin", [] { auto b = Tiny(10); b.push_back(0); return b; }()},
      {"zero dim", "d.bin", with(Tiny(10), 0, 0)},
      {"negative layers", "e.bin", with(Tiny(10), 2, -1)},
      {"heads do not divide dim", "f.bin", Tiny(10, 3)},
      {"huge dimensions", "g.bin", with(with(Tiny(10), 1, 1 << 24), 2, 1 << 24)},
      {"versioned export magic", "h.bin", with(Tiny(10), 0, 0x616b3432)},
  };
});

}  // namespace
}  // namespace tp
