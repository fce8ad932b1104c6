// Internal: the GEMMs of an ONNX or TFLite graph (graph.h). `file` holds the
// model's bytes; weights are looked up among model.tensors by name.
#pragma once

#include <span>

#include "tensorpress/graph.h"

namespace tp::io {

StatusOr<GemmGraph> OnnxGemms(const Model& model, std::span<const uint8_t> file);
StatusOr<GemmGraph> TfliteGemms(const Model& model, std::span<const uint8_t> file);

}  // namespace tp::io
