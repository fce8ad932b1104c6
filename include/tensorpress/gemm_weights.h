// A model's weights as the GEMM tools (slices, simulate) see them.
//
// GGUF files of the Llama family name their tensors the llama.cpp way
// (blk.N.attn_q.weight, blk.N.ffn_gate.weight, token_embd.weight,
// output.weight) and store most of them block-quantized, while activations
// are recorded under the names of Meta's and llama2.c's checkpoints
// (layers.N.attention.wqkv.input, ...: ../shared stories260K). For such a
// GGUF file PrepareGemmWeights renames the tensors to those names and
// dequantizes block-quantized ones to f32 (ggml's values, bit for bit), so
// that both tools pair weights with activations and quantize them the way
// they do for an f32 checkpoint; `notes` says what it did, one line each.
// Any other model passes through unchanged.
#pragma once

#include <string>
#include <vector>

#include "tensorpress/model.h"

namespace tp {

struct GemmWeights {
  Model model;
  std::vector<std::string> notes;
};

// The Meta/llama2.c name of a llama.cpp GGUF tensor name
// ("blk.3.attn_q.weight" -> "layers.3.attention.wq.weight"), or the name
// unchanged when it has none.
std::string LlamaNameOfGgufTensor(const std::string& gguf_name);

StatusOr<GemmWeights> PrepareGemmWeights(Model model);

}  // namespace tp
