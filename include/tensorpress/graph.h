// GEMMs of a model, found from its graph where the file has one.
//
// Which tensors a layer multiplies, how its weight lies and how a convolution
// slides are facts of the graph, not of tensor names: an ONNX export names a
// linear layer's weight `onnx::MatMul_123`, a TFLite file fuses a layer's
// names into one long string, and neither says a convolution's stride. So:
//   - ONNX: every MatMul / Gemm / Conv node of the main graph whose weight
//     operand (input 1) is an initializer or a Constant, under any name;
//     Gemm's transB, Conv's kernel_shape, strides, pads, auto_pad, dilations
//     and group are read from the node. The input's value name is recorded,
//     so activations captured under it (or under `<weight layer>.input`)
//     match.
//   - TFLite: FULLY_CONNECTED, CONV_2D and DEPTHWISE_CONV_2D with a constant
//     filter, with their options (stride, SAME/VALID padding, dilation, depth
//     multiplier) and the static shape of their input.
//   - Everything else (safetensors, llama2.c, GGUF, npz): by names, as
//     before: rank-2 `*.weight` [out, in] and Keras `*kernel` [in, out],
//     rank-4 OIHW / HWIO convolutions assumed stride 1 and unpadded (a weight
//     file does not say more); embeddings, norms and depthwise kernels are
//     not GEMMs.
// A convolution is lowered by im2col: each output position of each sample is
// a GEMM row, K = kh * kw * C_in / groups and N = C_out, so a grouped or
// depthwise convolution is `groups` GEMMs of N / groups columns whose MACs sum
// to M * K * N.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "tensorpress/model.h"
#include "tensorpress/status.h"
#include "tensorpress/tensor.h"

namespace tp {

// How a GEMM's weight tensor lies in the file.
enum class WeightLayout {
  kOutIn,   // dense [out, in]: PyTorch Linear, Gemm transB=1, TFLite FULLY_CONNECTED, llama2.c
  kInOut,   // dense [in, out]: Keras Dense, ONNX MatMul and Gemm transB=0
  kOIHW,    // conv [out, in/groups, kh, kw], or [out, in/groups, k] in 1-D: PyTorch, ONNX
  kHWIO,    // conv [kh, kw, in, out]: Keras
  kOHWI,    // conv [out, kh, kw, in/groups]: TFLite CONV_2D
  k1HWO,    // depthwise [1, kh, kw, in * multiplier]: TFLite DEPTHWISE_CONV_2D
};
const char* WeightLayoutName(WeightLayout layout);
// The weight's axis that indexes output channels (per-channel scales).
int OutputAxis(WeightLayout layout);

// A convolution's sliding window. One spatial dimension (Conv1d) uses
// index 1 (width) only; index 0 stays 1 / 0.
struct ConvGeometry {
  int spatial_dims = 2;
  std::array<int64_t, 2> kernel{1, 1}, stride{1, 1}, dilation{1, 1};
  std::array<int64_t, 2> pad_begin{0, 0}, pad_end{0, 0};
  // SAME pads so that out = ceil(in / stride), the odd pixel at the end
  // (TFLite SAME, ONNX SAME_UPPER) or the beginning (SAME_LOWER); VALID
  // and explicit pads use the pads above (zero for VALID).
  enum class Padding { kExplicit, kSameUpper, kSameLower } padding = Padding::kExplicit;
  int64_t groups = 1;
};

struct GemmOp {
  std::string layer;   // shown in tables: the weight's name without its suffix, or the node's name
  std::string weight;  // the weight's tensor name in the Model
  std::string op;      // "MatMul", "Gemm", "Conv", "CONV_2D", ... or "name" when found by name
  WeightLayout layout = WeightLayout::kOutIn;
  bool conv = false;
  bool channels_last = false;  // NHWC / NWC activations (Keras, TFLite) rather than NCHW / NCW
  int64_t k = 0;               // GEMM depth: in features, or kh * kw * C_in / groups
  int64_t n = 0;               // GEMM columns: out features or C_out (all groups)
  int64_t in_channels = 0;     // C_in of a convolution (all groups); in features of a dense layer
  ConvGeometry geometry;       // convolutions only
  // Names an activation file may hold this layer's input under, preferred
  // first: the graph value, then `<name>.input` spellings.
  std::vector<std::string> inputs;
  // The input's static shape when the graph gives every dimension (TFLite);
  // empty otherwise.
  Shape input_shape;
};

struct GemmGraph {
  std::vector<GemmOp> ops;
  // Weights left out on purpose, one line each (depthwise kernels by name,
  // 3-D convolutions, transposed Gemm inputs...).
  std::vector<std::string> skipped;
  bool from_graph = false;  // ops come from an ONNX / TFLite graph, not from names
};

// The GEMMs of `model`. ONNX and TFLite files are read again from
// model.path for their graph; FindGemmsInFile takes those bytes directly.
StatusOr<GemmGraph> FindGemms(const Model& model);
StatusOr<GemmGraph> FindGemmsInFile(const Model& model, std::span<const uint8_t> file);

// Output spatial size of a convolution along dimension d (0: height, 1:
// width) for an input extent; fails when the window does not fit.
StatusOr<int64_t> ConvOutputExtent(const ConvGeometry& g, int d, int64_t in);
// {batch, in_h, in_w, out_h, out_w} of a convolution input shape (NCHW/NCW
// or NHWC/NWC per op.channels_last); checks the channel count.
StatusOr<std::array<int64_t, 5>> ConvPositions(const GemmOp& op, const Shape& input);
// M, the GEMM's rows, for an input of this shape: tokens (all leading axes)
// of a dense layer, batch * output positions of a convolution.
StatusOr<uint64_t> GemmRows(const GemmOp& op, const Shape& input);

// The tensor of `activations` that holds op's input: an exact name from
// op.inputs, else (ops found by name) a fused input such as
// `layers.0.attention.wqkv.input` feeding wq, wk and wv (gemm.h). Null when
// none does.
const Tensor* FindGemmInput(const GemmOp& op, const Model& activations);

// The weight as a float GEMM matrix W [n, k] (row = output channel, K in
// im2col order (dy, dx, c) for channels-last layouts, (c, dy, dx) for OIHW),
// group g's rows being n/groups * g onwards. Quantized integer weights are
// dequantized with their QuantParams.
StatusOr<std::vector<float>> GemmWeightMatrix(const GemmOp& op, const Tensor& weight);
// im2col of a convolution input for one group: X [k, rows] with rows ordered
// (sample, out_y, out_x); padding reads as zero. The same K order as
// GemmWeightMatrix.
StatusOr<std::vector<float>> Im2col(const GemmOp& op, const Tensor& input, int64_t group);

}  // namespace tp
