// Forward passes that measure what a lossy setting costs in accuracy: the
// shared MNIST CNN (top-1 on the 10,000 shared digits) and the llama2.c
// stories260K decoder (perplexity and next-token agreement against the float
// model), each with its weights and the input of every GEMM fake-quantized
// the way the integer kernels would see them.
//
// Fake quantization: a value becomes the real number its integer code
// stands for. Asymmetric (Panacea): q = clamp(round(x / s) + z, 0, 255), the
// LO slice truncated to its top 4 bits at DBS width b, x' = s (kept(q) - z);
// ZPM is the same with the manipulated z', which changes only what clips.
// Symmetric (Sibia): x' = s clamp(round(x / s), -(2^(b-1) - 1), 2^(b-1) - 1).
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tensorpress/astc.h"
#include "tensorpress/gemm.h"
#include "tensorpress/model.h"
#include "tensorpress/quant.h"
#include "tensorpress/status.h"

namespace tp::eval {

struct ActivationQuant {
  enum class Kind : uint8_t { kFloat, kAsymmetric, kSymmetric };
  Kind kind = Kind::kFloat;
  float scale = 1.0f;
  int zero_point = 0;  // asymmetric
  int lo_bits = 4;     // asymmetric: DBS LO width (4 = exact 8-bit)
  int bits = 7;        // symmetric
};
void FakeQuantize(const ActivationQuant& q, std::span<float> x);

// Quantizer per GEMM input, by the activation tensor's name in the shared
// activation files ("conv2d_2.input", "layers.0.attention.wqkv.input").
using ActivationQuantMap = std::map<std::string, ActivationQuant>;
// The quantizers a slice analysis chose (its calibration, ZPM zero points
// and DBS widths) for one setting: "float", "asym", "zpm", "zpm_dbs" or
// "sibia".
StatusOr<ActivationQuantMap> QuantMapFromSlices(const std::vector<LayerSliceReport>& reports,
                                                std::string_view setting);

// A copy of `model` whose GEMM weights (rank-2/4 "*.weight" and "*.kernel"
// tensors) are replaced by their symmetric `bits`-bit fake-quantized values,
// per output channel or per tensor (Keras "*.kernel" keep channels last).
StatusOr<Model> FakeQuantizeWeights(const Model& model, int bits, WeightGranularity granularity);

// --- MNIST CNN (the forward pass astc's accuracy-driven planning uses) ---
struct MnistInputQuant {
  ActivationQuant conv1, conv2, dense1, dense2;  // inputs of conv2d_1 .. dense_2
};
MnistInputQuant MnistQuantFromMap(const ActivationQuantMap& map);
void MnistCnnForwardQuantized(const astc::MnistCnnWeights& weights, const MnistInputQuant& quant,
                              const float* image, float* logits);
// Top-1 accuracy over `digits` (all cores).
double MnistCnnAccuracyQuantized(const astc::MnistCnnWeights& weights, const MnistInputQuant& quant,
                                 const astc::MnistDigits& digits);

// --- llama2.c decoder (stories260K) ---
struct LlamaModel {
  int dim = 0, hidden = 0, layers = 0, heads = 0, kv_heads = 0, vocab = 0, seq_len = 0;
  // Views into the model's tensors (row-major [out, in]).
  const float *embedding = nullptr, *final_norm = nullptr;
  struct Layer {
    const float *attention_norm, *wq, *wk, *wv, *wo, *ffn_norm, *w1, *w2, *w3;
  };
  std::vector<Layer> layer;
};
// The model must outlive the result. kInvalidArgument when a tensor is
// missing or has the wrong shape.
StatusOr<LlamaModel> LlamaFromModel(const Model& model);
// Next-token logits ([tokens.size(), vocab]) of one sequence, teacher-forced
// from position 0 (llama2.c's run.c: RMSNorm eps 1e-5, RoPE base 10000,
// grouped-query attention, SwiGLU, classifier tied to the embedding). The
// inputs of wq/wk/wv, wo, w1/w3 and w2 are fake-quantized by `quant` (by
// their activation names) when present.
StatusOr<std::vector<float>> LlamaLogits(const LlamaModel& model, std::span<const int32_t> tokens,
                                         const ActivationQuantMap& quant = {});

// A sequence sampled from the model (no quantization): `length` tokens
// starting with `first_token` (1, BOS, in llama2.c), each next token drawn
// from softmax(logits) at temperature 1 with a seeded, platform-independent
// generator, and the float logits of every position ([length, vocab]), the
// reference a quantized run is scored against. Sequences drawn this way are
// text the calibration activations never saw (held out), from the
// distribution the model was trained to produce.
struct LlamaSample {
  std::vector<int32_t> tokens;
  std::vector<float> logits;
};
StatusOr<LlamaSample> SampleLlama(const LlamaModel& model, int length, uint64_t seed, int32_t first_token = 1);

struct LmScore {
  uint64_t predictions = 0;   // positions scored (all but the last of each sequence)
  double perplexity = 0;      // exp(mean -log p(next token)) over the sequences' own tokens
  double agreement = 0;       // argmax equals the reference logits' argmax
  double max_abs_diff = 0;    // against the reference logits
};
// Scores `logits` of sequences of `length` tokens against `tokens` and the
// reference logits (same layout, [sequences * length, vocab]).
LmScore ScoreLogits(std::span<const float> logits, std::span<const float> reference,
                    std::span<const int32_t> tokens, int length, int vocab);

}  // namespace tp::eval
