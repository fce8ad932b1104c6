// Building a Workload from a model file and its recorded activations.
#include <algorithm>
#include <map>

#include "tensorpress/graph.h"
#include "tensorpress/quant.h"
#include "tensorpress/sim.h"

namespace tp::sim {
namespace {

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

// M (rows of the GEMM) from the layer's recorded input, with the graph's
// stride and padding (graph.h); found by name, stride 1 and no padding.
StatusOr<uint64_t> RowsFromInput(const GemmOp& op, const Tensor& x) {
  auto rows = GemmRows(op, x.shape());
  if (!rows.ok()) return InvalidArgumentError("activation '" + x.name() + "': " + std::string(rows.status().message()));
  return *rows;
}

}  // namespace

StatusOr<Workload> BuildWorkload(const Model& model, const Model* activations, const Measurers& measurers,
                                 uint64_t default_rows) {
  if (default_rows == 0 || default_rows > (uint64_t{1} << 40))
    return InvalidArgumentError("default rows must be in 1..2^40");
  Workload wl;
  wl.model = model.path;
  // The same input feeds several layers (wq/wk/wv): quantize and measure it once.
  std::map<std::string, OperandStats> measured_inputs;

  TP_ASSIGN_OR_RETURN(GemmGraph graph, FindGemms(model));
  wl.skipped = graph.skipped;
  std::map<std::string, const Tensor*> by_name;
  for (const Tensor& t : model.tensors) by_name.emplace(t.name(), &t);
  for (const GemmOp& op : graph.ops) {
    auto found = by_name.find(op.weight);
    if (found == by_name.end()) return InternalError("GEMM weight '" + op.weight + "' is not in the model");
    const Tensor& t = *found->second;
    GemmLayer layer;
    layer.name = op.layer;
    layer.k = uint64_t(op.k);
    layer.n = uint64_t(op.n);
    TP_ASSIGN_OR_RETURN(Tensor wf, AsFloat(t));
    TP_ASSIGN_OR_RETURN(Tensor wq, QuantizeWeightsSymmetric(
                                       wf, {.bits = 8,
                                            .channel_axis = measurers.weight_granularity == WeightGranularity::kTensor
                                                                ? -1
                                                                : OutputAxis(op.layout)}));
    TP_RETURN_IF_ERROR(Measure(wq, true, measurers, &layer.weights).WithContext("weights '" + t.name() + "'"));

    const Tensor* x = activations ? FindGemmInput(op, *activations) : nullptr;
    if (x) {
      TP_ASSIGN_OR_RETURN(layer.m, RowsFromInput(op, *x));
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
    } else if (!op.input_shape.empty()) {
      // The graph gives the input's shape (TFLite): M is exact for its batch.
      auto rows = GemmRows(op, op.input_shape);
      if (!rows.ok()) return CorruptDataError(model.path + ": layer '" + op.layer + "': " + std::string(rows.status().message()));
      layer.m = *rows;
      layer.m_source = "graph";
      layer.activations.elements = layer.activations.int8_bytes = layer.m * layer.k;
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
