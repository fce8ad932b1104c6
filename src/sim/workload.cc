// Building a Workload from a model file and its recorded activations.
#include <algorithm>
#include <map>

#include "tensorpress/quant.h"
#include "tensorpress/sim.h"

namespace tp::sim {
namespace {

bool EndsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool Contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

struct WeightLayout {
  std::string layer;   // name without ".weight" / ".kernel" / "/kernel"
  bool keras = false;  // [in,out] and HWIO rather than [out,in] and OIHW
  bool ohwi = false;   // TFLite convolution filters: [out, kh, kw, in]
  bool conv = false;
  uint64_t k = 0, n = 0;
  int64_t kh = 1, kw = 1, in_channels = 0;
};

// Which tensors are GEMM weights and how they lie. Embeddings (looked up,
// not multiplied), norms, biases and depthwise kernels (one small filter
// per channel, not a GEMM) are not.
std::optional<WeightLayout> LayoutOf(const Tensor& t) {
  const std::string& name = t.name();
  WeightLayout w;
  if (EndsWith(name, "depthwise_kernel")) return std::nullopt;
  if (EndsWith(name, "/kernel") || EndsWith(name, ".kernel")) {
    w.keras = true;
    w.layer = name.substr(0, name.size() - 7);
  } else if (EndsWith(name, ".weight")) {
    w.layer = name.substr(0, name.size() - 7);
  } else if (EndsWith(name, "/Conv2D") && t.rank() == 4) {
    // TFLite names a filter after the op that reads it; rank-1 biases fused
    // into the same op carry the op's name too and are left out by rank.
    w.ohwi = true;
    w.layer = name.substr(0, name.size() - 7);
  } else if (EndsWith(name, "/MatMul") && t.rank() == 2) {  // TFLite [out, in]
    w.layer = name.substr(0, name.size() - 7);
  } else {
    return std::nullopt;
  }
  if (Contains(name, "embed") || Contains(name, "norm")) return std::nullopt;
  const Shape& s = t.shape();
  for (int64_t d : s)
    if (d <= 0) return std::nullopt;
  if (s.size() == 2) {
    w.k = uint64_t(w.keras ? s[0] : s[1]);
    w.n = uint64_t(w.keras ? s[1] : s[0]);
    w.in_channels = int64_t(w.k);
    return w;
  }
  if (s.size() == 4) {
    w.conv = true;
    if (w.keras) {  // HWIO
      w.kh = s[0], w.kw = s[1], w.in_channels = s[2];
      w.n = uint64_t(s[3]);
    } else if (w.ohwi) {
      w.n = uint64_t(s[0]);
      w.kh = s[1], w.kw = s[2], w.in_channels = s[3];
    } else {  // OIHW
      w.n = uint64_t(s[0]);
      w.in_channels = s[1], w.kh = s[2], w.kw = s[3];
    }
    w.k = uint64_t(w.kh * w.kw * w.in_channels);
    return w;
  }
  return std::nullopt;
}

// Names under which a layer's input may be recorded (../shared/README.md).
std::vector<std::string> InputNames(const std::string& layer) {
  std::vector<std::string> names = {layer + ".input"};
  // llama.cpp-style fused inputs: wq/wk/wv share one input, as do w1/w3.
  for (auto [from, to] : {std::pair{".attention.wq", ".attention.wqkv"}, {".attention.wk", ".attention.wqkv"},
                          {".attention.wv", ".attention.wqkv"}, {".feed_forward.w1", ".feed_forward.w1w3"},
                          {".feed_forward.w3", ".feed_forward.w1w3"}})
    if (EndsWith(layer, from)) names.push_back(layer.substr(0, layer.size() - std::string_view(from).size()) + to + ".input");
  // Keras HDF5 paths repeat the layer name ("dense/dense").
  if (auto slash = layer.find('/'); slash != std::string::npos) names.push_back(layer.substr(0, slash) + ".input");
  return names;
}

StatusOr<Tensor> AsFloat(const Tensor& t) {
  if (Traits(t.dtype()).is_float && t.dtype() != DType::kF64) return t;
  return ToF32(t);
}

// Fills int8 size, zero fraction, lossless ratio and slice sparsities.
Status Measure(const Tensor& quantized, bool is_weight, const Measurers& measurers, OperandStats* s) {
  s->elements = quantized.elements();
  s->int8_bytes = quantized.elements();
  int64_t zero = 0;
  if (!is_weight) {
    if (!quantized.quant() || quantized.quant()->zero_point.size() != 1)
      return InternalError("activation quantization lacks its zero point");
    zero = quantized.quant()->zero_point[0];
  }
  uint64_t zeros = 0;
  if (quantized.dtype() == DType::kI8) {
    for (int8_t v : quantized.values<int8_t>()) zeros += v == zero;
  } else if (quantized.dtype() == DType::kU8) {
    for (uint8_t v : quantized.values<uint8_t>()) zeros += v == zero;
  } else {
    return InternalError("expected an 8-bit quantized tensor");
  }
  s->zero_fraction = s->elements ? double(zeros) / double(s->elements) : 0;
  s->quant_measured = true;
  if (measurers.lossless_ratio) {
    TP_ASSIGN_OR_RETURN(s->compressed_ratio, measurers.lossless_ratio(quantized));
    if (!(s->compressed_ratio > 0) || s->compressed_ratio > 2)
      return InternalError("lossless ratio out of range for '" + quantized.name() + "'");
    s->ratio_measured = true;
  }
  if (measurers.slice_sparsity) {
    for (int i = 0; i < kNumSliceSettings; ++i) {
      TP_ASSIGN_OR_RETURN(SliceSparsity sp, measurers.slice_sparsity(quantized, static_cast<SliceSetting>(i),
                                                                     is_weight, measurers.vector_length));
      if (!(sp.ho_slice >= 0 && sp.ho_slice <= 1 && sp.ho_vector >= 0 && sp.ho_vector <= 1))
        return InternalError("slice sparsity outside [0, 1] for '" + quantized.name() + "'");
      s->slices[i] = sp;
    }
    s->slices_measured = true;
  }
  return Status::Ok();
}

// M (rows of the GEMM) from the layer's recorded input.
StatusOr<uint64_t> RowsFromInput(const WeightLayout& w, const Tensor& x) {
  const std::string where = "activation '" + x.name() + "' " + ShapeToString(x.shape());
  if (!w.conv) {
    if (x.rank() < 1 || x.shape().back() != int64_t(w.k))
      return InvalidArgumentError(where + ": last dimension is not the layer's " + std::to_string(w.k) + " inputs");
    return x.elements() / w.k;
  }
  // Only stride 1 and no padding follow from the input alone (the shared
  // models use exactly that); the layout follows the weights' convention.
  if (x.rank() != 4) return InvalidArgumentError(where + ": a convolution input must have rank 4");
  const Shape& s = x.shape();
  const bool nhwc = w.keras || w.ohwi;  // TFLite activations are NHWC too
  int64_t b = s[0], h = nhwc ? s[1] : s[2], wd = nhwc ? s[2] : s[3], c = nhwc ? s[3] : s[1];
  if (c != w.in_channels)
    return InvalidArgumentError(where + ": has " + std::to_string(c) + " channels, the kernel expects " +
                                std::to_string(w.in_channels));
  if (h < w.kh || wd < w.kw) return InvalidArgumentError(where + ": smaller than the kernel");
  return uint64_t(b) * uint64_t(h - w.kh + 1) * uint64_t(wd - w.kw + 1);
}

}  // namespace

StatusOr<Workload> BuildWorkload(const Model& model, const Model* activations, const Measurers& measurers,
                                 uint64_t default_rows) {
  if (default_rows == 0 || default_rows > (uint64_t{1} << 40))
    return InvalidArgumentError("default rows must be in 1..2^40");
  Workload wl;
  wl.model = model.path;
  std::map<std::string, const Tensor*> inputs;
  if (activations)
    for (const Tensor& t : activations->tensors) inputs[t.name()] = &t;
  // The same input feeds several layers (wq/wk/wv): quantize and measure it once.
  std::map<std::string, OperandStats> measured_inputs;

  for (const Tensor& t : model.tensors) {
    if (EndsWith(t.name(), "depthwise_kernel")) wl.skipped.push_back(t.name());
    std::optional<WeightLayout> w = LayoutOf(t);
    if (!w) continue;
    GemmLayer layer;
    layer.name = w->layer;
    layer.k = w->k;
    layer.n = w->n;
    TP_ASSIGN_OR_RETURN(Tensor wf, AsFloat(t));
    TP_ASSIGN_OR_RETURN(Tensor wq, QuantizeWeightsSymmetric(
                                       wf, {.bits = 8,
                                            .channel_axis = measurers.weight_granularity == WeightGranularity::kTensor
                                                                ? -1
                                                                : OutputChannelAxis(wf, w->keras)}));
    TP_RETURN_IF_ERROR(Measure(wq, true, measurers, &layer.weights).WithContext("weights '" + t.name() + "'"));

    const Tensor* x = nullptr;
    for (const std::string& name : InputNames(w->layer))
      if (auto it = inputs.find(name); it != inputs.end()) {
        x = it->second;
        break;
      }
    if (x) {
      TP_ASSIGN_OR_RETURN(layer.m, RowsFromInput(*w, *x));
      layer.m_source = "activations";
      auto it = measured_inputs.find(x->name());
      if (it == measured_inputs.end()) {
        TP_ASSIGN_OR_RETURN(Tensor xf, AsFloat(*x));
        TP_ASSIGN_OR_RETURN(Tensor xq, QuantizeActivationsMinMax(xf));
        OperandStats s;
        TP_RETURN_IF_ERROR(Measure(xq, false, measurers, &s).WithContext("activation '" + x->name() + "'"));
        it = measured_inputs.emplace(x->name(), s).first;
      }
      layer.activations = it->second;
    } else {
      layer.m = default_rows;
      layer.activations.elements = layer.activations.int8_bytes = layer.m * layer.k;
    }
    wl.layers.push_back(std::move(layer));
  }

  // llama2.c ties the classifier to the token embedding: logits = x · E^T,
  // a [tokens, dim] × [dim, vocab] GEMM on the final norm's output, which
  // the activation file does not record (its statistics stay defaults). A
  // GGUF Llama model without output.weight does the same (gemm_weights.h
  // marks it shared and names its embedding so).
  bool shared = false;
  for (const auto& [k, v] : model.metadata) shared = shared || (k == "shared_classifier" && v == "true");
  if ((model.format == ModelFormat::kLlama2c || model.format == ModelFormat::kGguf) && shared) {
    for (const Tensor& t : model.tensors) {
      if (t.name() != "tok_embeddings.weight" || t.rank() != 2) continue;
      GemmLayer layer;
      layer.name = "classifier (tok_embeddings.weight)";
      layer.n = uint64_t(t.shape()[0]);
      layer.k = uint64_t(t.shape()[1]);
      TP_ASSIGN_OR_RETURN(Tensor wq, QuantizeWeightsSymmetric(
          t, {.bits = 8, .channel_axis = measurers.weight_granularity == WeightGranularity::kTensor ? -1 : 0}));
      TP_RETURN_IF_ERROR(Measure(wq, true, measurers, &layer.weights));
      layer.m = default_rows;
      for (const GemmLayer& l : wl.layers)
        if (l.m_source == "activations") {
          layer.m = l.m;  // every layer of a decoder sees the same tokens
          layer.m_source = "tokens";
        }
      layer.activations.elements = layer.activations.int8_bytes = layer.m * layer.k;
      wl.layers.push_back(std::move(layer));
    }
  }
  if (wl.layers.empty())
    return UnsupportedError(model.path + ": no GEMM weights found (expected *.weight or *kernel tensors of rank 2 or 4)");
  return wl;
}

}  // namespace tp::sim
