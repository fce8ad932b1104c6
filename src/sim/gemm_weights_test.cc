// GGUF Llama models for slices/simulate: stories260K (../shared) exported to
// GGUF under llama.cpp's tensor names, in f32 and with Q8_0 weights, must
// pair with the activations recorded under the llama2.c names and, in f32,
// give exactly what the llama2.c checkpoint gives.
#include "tensorpress/gemm_weights.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "tensorpress/gemm.h"
#include "tensorpress/half.h"
#include "tensorpress/sim.h"
#include "testing/test_util.h"

namespace tp {
namespace {

TEST(GemmWeights, LlamaCppNamesMapToLlamaCheckpointNames) {
  EXPECT_EQ(LlamaNameOfGgufTensor("blk.3.attn_q.weight"), "layers.3.attention.wq.weight");
  EXPECT_EQ(LlamaNameOfGgufTensor("blk.0.attn_output.weight"), "layers.0.attention.wo.weight");
  EXPECT_EQ(LlamaNameOfGgufTensor("blk.12.ffn_gate.weight"), "layers.12.feed_forward.w1.weight");
  EXPECT_EQ(LlamaNameOfGgufTensor("blk.12.ffn_down.weight"), "layers.12.feed_forward.w2.weight");
  EXPECT_EQ(LlamaNameOfGgufTensor("blk.12.ffn_up.weight"), "layers.12.feed_forward.w3.weight");
  EXPECT_EQ(LlamaNameOfGgufTensor("blk.1.attn_norm.weight"), "layers.1.attention_norm.weight");
  EXPECT_EQ(LlamaNameOfGgufTensor("token_embd.weight"), "tok_embeddings.weight");
  EXPECT_EQ(LlamaNameOfGgufTensor("output_norm.weight"), "norm.weight");
  // Unknown parts, other layouts and non-numeric blocks are left alone.
  EXPECT_EQ(LlamaNameOfGgufTensor("blk.1.attn_q_norm.weight"), "blk.1.attn_q_norm.weight");
  EXPECT_EQ(LlamaNameOfGgufTensor("blk.x.attn_q.weight"), "blk.x.attn_q.weight");
  EXPECT_EQ(LlamaNameOfGgufTensor("blk..attn_q.weight"), "blk..attn_q.weight");
  EXPECT_EQ(LlamaNameOfGgufTensor("encoder.layer.0.weight"), "encoder.layer.0.weight");
}

// The inverse mapping, for the export below.
std::string GgufNameOf(const std::string& llama) {
  if (llama == "tok_embeddings.weight") return "token_embd.weight";
  if (llama == "norm.weight") return "output_norm.weight";
  const std::pair<const char*, const char*> parts[] = {
      {"attention_norm", "attn_norm"}, {"attention.wq", "attn_q"},   {"attention.wk", "attn_k"},
      {"attention.wv", "attn_v"},      {"attention.wo", "attn_output"}, {"ffn_norm", "ffn_norm"},
      {"feed_forward.w1", "ffn_gate"}, {"feed_forward.w2", "ffn_down"}, {"feed_forward.w3", "ffn_up"}};
  const size_t dot = llama.find('.', 7);
  for (auto [meta, gguf] : parts)
    if (llama == llama.substr(0, dot + 1) + meta + ".weight")
      return "blk." + llama.substr(7, dot - 7) + "." + gguf + ".weight";
  return "";
}

// ggml's reference Q8_0 quantizer (quantize_row_q8_0_ref): d = amax / 127,
// q = round(x / d), d stored as fp16.
Tensor QuantizeQ8_0(const Tensor& t) {
  const auto x = t.values<float>();
  std::vector<uint8_t> out(x.size() / 32 * 34);
  for (size_t b = 0; b < x.size() / 32; ++b) {
    float amax = 0;
    for (size_t i = 0; i < 32; ++i) amax = std::max(amax, std::abs(x[b * 32 + i]));
    const float d = amax / 127.f, id = d ? 1.f / d : 0.f;
    const uint16_t h = FloatToHalf(d);
    std::memcpy(&out[b * 34], &h, 2);
    for (size_t i = 0; i < 32; ++i) out[b * 34 + 2 + i] = uint8_t(int8_t(std::lround(x[b * 32 + i] * id)));
  }
  return *Tensor::FromBytes(t.name(), DType::kQ8_0, t.shape(), std::move(out));
}

// stories260K as a GGUF file: llama.cpp names, no RoPE tables, every matrix
// whose rows hold whole blocks in Q8_0 when `q8`.
std::string ExportGguf(const Model& llama, bool q8, const testing::TempDir& dir) {
  std::vector<Tensor> tensors;
  for (Tensor t : llama.tensors) {
    const std::string name = GgufNameOf(t.name());
    if (name.empty()) continue;
    if (q8 && t.rank() == 2 && t.shape()[1] % 32 == 0) t = QuantizeQ8_0(t);
    t.set_name(name);
    tensors.push_back(std::move(t));
  }
  const std::string path = dir.File(q8 ? "stories_q8_0.gguf" : "stories_f32.gguf");
  EXPECT_TRUE(WriteGguf(path, tensors, {{"general.architecture", "llama"}}).ok());
  return path;
}

TEST(GemmWeights, GgufExportPairsWithLlamaActivationsLikeTheCheckpoint) {
  auto llama = ReadModel(testing::SharedModel("stories260k/stories260K.bin"));
  auto acts = ReadModel(testing::SharedModel("stories260k/activations_4x128.safetensors"));
  if (!llama.ok() || !acts.ok()) GTEST_SKIP() << "../shared stories260K not present";
  testing::TempDir dir;
  auto reference = AnalyzeSlices(*llama, *acts);
  ASSERT_TRUE(reference.ok()) << reference.status().message();
  ASSERT_EQ(reference->size(), 35u);  // 5 layers x wq wk wv wo w1 w2 w3

  auto f32 = ReadModel(ExportGguf(*llama, false, dir));
  ASSERT_TRUE(f32.ok()) << f32.status().message();
  auto view = PrepareGemmWeights(std::move(*f32));
  ASSERT_TRUE(view.ok()) << view.status().message();
  ASSERT_EQ(view->notes.size(), 1u);  // renamed; nothing to dequantize
  auto same = AnalyzeSlices(view->model, *acts);
  ASSERT_TRUE(same.ok());
  ASSERT_EQ(same->size(), reference->size());
  for (size_t i = 0; i < same->size(); ++i) {
    EXPECT_EQ((*same)[i].weight, (*reference)[i].weight);
    EXPECT_EQ((*same)[i].weights.ho_slice_sparsity, (*reference)[i].weights.ho_slice_sparsity);
    EXPECT_EQ((*same)[i].zpm_dbs.counters.mac_reduction(), (*reference)[i].zpm_dbs.counters.mac_reduction());
  }

  auto q8 = ReadModel(ExportGguf(*llama, true, dir));
  ASSERT_TRUE(q8.ok()) << q8.status().message();
  size_t blocks = 0;
  for (const Tensor& t : q8->tensors) blocks += t.dtype() == DType::kQ8_0;
  EXPECT_EQ(blocks, 1u + 5 * 6);  // the embedding and all but w2 (rows of 172)
  auto qview = PrepareGemmWeights(std::move(*q8));
  ASSERT_TRUE(qview.ok());
  ASSERT_EQ(qview->notes.size(), 2u);
  EXPECT_NE(qview->notes[1].find("31 q8_0"), std::string::npos) << qview->notes[1];
  auto close = AnalyzeSlices(qview->model, *acts);
  ASSERT_TRUE(close.ok());
  ASSERT_EQ(close->size(), reference->size());
  for (size_t i = 0; i < close->size(); ++i)
    EXPECT_NEAR((*close)[i].weights.ho_slice_sparsity, (*reference)[i].weights.ho_slice_sparsity, 0.05);

  // simulate's workload without activations: the same GEMMs, and the
  // classifier tied to the embedding as in the checkpoint.
  auto wl_llama = sim::BuildWorkload(*llama, nullptr, {}, 1);
  auto wl_gguf = sim::BuildWorkload(qview->model, nullptr, {}, 1);
  ASSERT_TRUE(wl_llama.ok() && wl_gguf.ok());
  ASSERT_EQ(wl_gguf->layers.size(), wl_llama->layers.size());
  EXPECT_EQ(wl_gguf->layers.size(), 36u);  // 35 + the classifier tied to the embedding
  for (size_t i = 0; i < wl_gguf->layers.size(); ++i) {
    EXPECT_EQ(wl_gguf->layers[i].name, wl_llama->layers[i].name);
    EXPECT_EQ(wl_gguf->layers[i].k, wl_llama->layers[i].k);
    EXPECT_EQ(wl_gguf->layers[i].n, wl_llama->layers[i].n);
  }
}

TEST(GemmWeights, SlicesAndSimulateAcceptGgufAndSaySo) {
  auto llama = ReadModel(testing::SharedModel("stories260k/stories260K.bin"));
  if (!llama.ok()) GTEST_SKIP() << "../shared stories260K not present";
  testing::TempDir dir;
  const std::string gguf = ExportGguf(*llama, true, dir);
  auto r = testing::RunCli("slices '" + gguf + "' --activations '" +
                               testing::SharedModel("stories260k/activations_4x128.safetensors") + "'",
                           dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("35 layers"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("dequantized to f32 first"), std::string::npos) << r.err;
  r = testing::RunCli("simulate '" + gguf + "'", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("renamed to Llama checkpoint names"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace tp
