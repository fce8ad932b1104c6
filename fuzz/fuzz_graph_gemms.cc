// Fuzzes FindGemms on ONNX and TFLite graphs (a TFL3 identifier picks
// TFLite, anything else is read as ONNX): any bytes must give GEMMs or a
// clean error, and every GEMM found must be safe to size and lower.
#include <vector>

#include "tensorpress/gemm.h"
#include "tensorpress/graph.h"
#include "tensorpress/model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const bool tflite = size >= 8 && data[4] == 'T' && data[5] == 'F' && data[6] == 'L' && data[7] == '3';
  tp::ReadOptions options;
  options.format = tflite ? tp::ModelFormat::kTflite : tp::ModelFormat::kOnnx;
  options.allow_external_data = false;
  auto buffer = tp::MakeOwnedBuffer(std::vector<uint8_t>(data, data + size));
  auto model = tp::ReadModelFromBuffer(buffer, tflite ? "fuzz.tflite" : "fuzz.onnx", options);
  if (!model.ok()) return 0;
  auto graph = tp::FindGemmsInFile(*model, buffer->bytes());
  if (!graph.ok()) return 0;
  for (const tp::GemmOp& op : graph->ops) {
    if (op.k <= 0 || op.n <= 0) __builtin_trap();
    const tp::Tensor* w = nullptr;
    for (const tp::Tensor& t : model->tensors)
      if (t.name() == op.weight) w = &t;
    if (!w) __builtin_trap();  // an op names a weight the model has
    if (!op.input_shape.empty()) (void)tp::GemmRows(op, op.input_shape);
    if (w->elements() <= (1u << 16)) (void)tp::GemmWeightMatrix(op, *w);
    // A small zero input of the graph's shape lowers without reading out of bounds.
    auto elements = tp::ElementCount(op.input_shape);
    if (op.geometry.groups == 1 && elements && *elements > 0 && *elements <= (1u << 14) &&
        w->elements() <= (1u << 16)) {
      std::vector<float> zeros(*elements, 0.0f);
      auto x = tp::Tensor::FromValues<float>("x", tp::DType::kF32, op.input_shape, zeros);
      tp::LoweredLayer l;
      if (x.ok()) (void)tp::LowerGemmOp(op, *w, *x, l);
    }
  }
  return 0;
}
