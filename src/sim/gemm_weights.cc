// GGUF Llama-family models renamed and dequantized for the GEMM tools
// (include/tensorpress/gemm_weights.h).
#include "tensorpress/gemm_weights.h"

#include <map>
#include <string_view>

namespace tp {
namespace {

// llama.cpp's per-block tensor names (gguf-py's constants, MODEL_TENSOR
// names of LLM_ARCH_LLAMA) and Meta's / llama2.c's for the same weight.
constexpr std::pair<std::string_view, std::string_view> kBlockNames[] = {
    {"attn_norm", "attention_norm"},     {"attn_q", "attention.wq"},      {"attn_k", "attention.wk"},
    {"attn_v", "attention.wv"},          {"attn_output", "attention.wo"}, {"ffn_norm", "ffn_norm"},
    {"ffn_gate", "feed_forward.w1"},     {"ffn_down", "feed_forward.w2"}, {"ffn_up", "feed_forward.w3"},
};

std::string_view MetadataValue(const Model& m, std::string_view key) {
  for (const auto& [k, v] : m.metadata)
    if (k == key) return v;
  return {};
}

}  // namespace

std::string LlamaNameOfGgufTensor(const std::string& name) {
  if (name == "token_embd.weight") return "tok_embeddings.weight";
  if (name == "output_norm.weight") return "norm.weight";
  if (name == "output.weight") return "output.weight";
  // blk.N.<part>.weight
  if (name.rfind("blk.", 0) != 0) return name;
  const size_t dot = name.find('.', 4);
  if (dot == std::string::npos || dot == 4) return name;
  const std::string layer = name.substr(4, dot - 4);
  if (layer.find_first_not_of("0123456789") != std::string::npos) return name;
  const std::string rest = name.substr(dot + 1);
  for (const auto& [gguf, meta] : kBlockNames)
    if (rest == std::string(gguf) + ".weight") return "layers." + layer + "." + std::string(meta) + ".weight";
  return name;
}

StatusOr<GemmWeights> PrepareGemmWeights(Model model) {
  GemmWeights out;
  if (model.format != ModelFormat::kGguf) {
    out.model = std::move(model);
    return out;
  }
  const std::string arch(MetadataValue(model, "general.architecture"));
  size_t renamed = 0, dequantized = 0;
  bool has_output = false;
  std::map<std::string, uint64_t> by_type;
  for (Tensor& t : model.tensors) {
    has_output |= t.name() == "output.weight";
    const std::string llama = LlamaNameOfGgufTensor(t.name());
    if (llama != t.name()) ++renamed;
    if (Traits(t.dtype()).is_quantized_block) {
      ++by_type[std::string(DTypeName(t.dtype()))];
      TP_ASSIGN_OR_RETURN(Tensor f, ToF32(t));
      t = std::move(f);
      ++dequantized;
    }
    t.set_name(llama);
  }
  if (renamed)
    out.notes.push_back(std::to_string(renamed) + " GGUF tensors of architecture '" + arch +
                        "' renamed to Llama checkpoint names (blk.N.attn_q -> layers.N.attention.wq, ffn_gate -> "
                        "feed_forward.w1, ...) to pair them with activations");
  if (dequantized) {
    std::string types;
    for (const auto& [name, n] : by_type) types += (types.empty() ? "" : ", ") + std::to_string(n) + " " + name;
    out.notes.push_back(std::to_string(dequantized) + " block-quantized tensors (" + types +
                        ") dequantized to f32 first (ggml's values, bit for bit); the GEMM figures re-quantize them");
  }
  // Without output.weight the classifier reuses the token embedding, as a
  // llama2.c checkpoint with a shared classifier does.
  if (!has_output && renamed) model.metadata.emplace_back("shared_classifier", "true");
  out.model = std::move(model);
  return out;
}

}  // namespace tp
