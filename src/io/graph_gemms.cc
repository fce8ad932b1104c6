// FindGemms: the graph readers for ONNX and TFLite (onnx_graph.cc,
// tflite_graph.cc), the name conventions for every other format, and the
// convolution arithmetic they share (graph.h).
#include <map>
#include <optional>

#include "io/graph_readers.h"
#include "tensorpress/buffer.h"
#include "tensorpress/graph.h"

namespace tp {
namespace {

bool EndsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
bool Contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

// A weight recognised by its name (the conventions of safetensors exports
// from PyTorch and Keras, llama2.c and the TFLite names of older converters).
std::optional<GemmOp> OpFromName(const Tensor& t) {
  const std::string& name = t.name();
  GemmOp op;
  op.op = "name";
  op.weight = name;
  bool keras = false, ohwi = false;
  if (EndsWith(name, "depthwise_kernel")) return std::nullopt;
  if (EndsWith(name, "/kernel") || EndsWith(name, ".kernel")) {
    keras = true;
    op.layer = name.substr(0, name.size() - 7);
  } else if (EndsWith(name, ".weight")) {
    op.layer = name.substr(0, name.size() - 7);
  } else if (EndsWith(name, "/Conv2D") && t.rank() == 4) {
    // TFLite names a filter after the op that reads it; rank-1 biases fused
    // into the same op carry the op's name too and are left out by rank.
    ohwi = true;
    op.layer = name.substr(0, name.size() - 7);
  } else if (EndsWith(name, "/MatMul") && t.rank() == 2) {  // TFLite [out, in]
    op.layer = name.substr(0, name.size() - 7);
  } else {
    return std::nullopt;
  }
  if (Contains(name, "embed") || Contains(name, "norm")) return std::nullopt;
  const Shape& s = t.shape();
  for (int64_t d : s)
    if (d <= 0) return std::nullopt;
  if (s.size() == 2) {
    op.layout = keras ? WeightLayout::kInOut : WeightLayout::kOutIn;
    op.k = keras ? s[0] : s[1];
    op.n = keras ? s[1] : s[0];
    op.in_channels = op.k;
  } else if (s.size() == 4) {
    op.conv = true;
    int64_t kh, kw;
    if (keras) {
      op.layout = WeightLayout::kHWIO;
      kh = s[0], kw = s[1], op.in_channels = s[2], op.n = s[3];
    } else if (ohwi) {
      op.layout = WeightLayout::kOHWI;
      op.n = s[0], kh = s[1], kw = s[2], op.in_channels = s[3];
    } else {
      op.layout = WeightLayout::kOIHW;
      op.n = s[0], op.in_channels = s[1], kh = s[2], kw = s[3];
    }
    op.channels_last = keras || ohwi;
    op.geometry.kernel = {kh, kw};
    op.k = kh * kw * op.in_channels;
  } else {
    return std::nullopt;
  }
  op.inputs = {op.layer + ".input"};
  // llama.cpp-style fused inputs are matched in FindGemmInput; Keras HDF5
  // paths repeat the layer name ("dense/dense").
  if (auto slash = op.layer.find('/'); slash != std::string::npos) op.inputs.push_back(op.layer.substr(0, slash) + ".input");
  return op;
}

GemmGraph FromNames(const Model& model) {
  GemmGraph g;
  for (const Tensor& t : model.tensors) {
    if (EndsWith(t.name(), "depthwise_kernel")) g.skipped.push_back(t.name());
    if (std::optional<GemmOp> op = OpFromName(t)) g.ops.push_back(std::move(*op));
  }
  return g;
}

// D is one of the fused consumers that C names: C and D share a nonempty
// stem and D's remainder is empty or appears in C's (wqkv feeds wq, wk, wv).
bool FusedMember(const std::string& c, const std::string& d) {
  if (c == d) return true;
  size_t stem = 0;
  while (stem < c.size() && stem < d.size() && c[stem] == d[stem]) ++stem;
  if (stem == 0) return false;
  const std::string rest_d = d.substr(stem), rest_c = c.substr(stem);
  return rest_d.empty() || rest_c.find(rest_d) != std::string::npos;
}

}  // namespace

const char* WeightLayoutName(WeightLayout layout) {
  switch (layout) {
    case WeightLayout::kOutIn: return "[out,in]";
    case WeightLayout::kInOut: return "[in,out]";
    case WeightLayout::kOIHW: return "OIHW";
    case WeightLayout::kHWIO: return "HWIO";
    case WeightLayout::kOHWI: return "OHWI";
    case WeightLayout::k1HWO: return "1HWO";
  }
  return "?";
}

int OutputAxis(WeightLayout layout) {
  switch (layout) {
    case WeightLayout::kInOut: return 1;
    case WeightLayout::kHWIO:
    case WeightLayout::k1HWO: return 3;
    default: return 0;
  }
}

StatusOr<GemmGraph> FindGemmsInFile(const Model& model, std::span<const uint8_t> file) {
  switch (model.format) {
    case ModelFormat::kOnnx: return io::OnnxGemms(model, file);
    case ModelFormat::kTflite: return io::TfliteGemms(model, file);
    default: return FromNames(model);
  }
}

StatusOr<GemmGraph> FindGemms(const Model& model) {
  if (model.format != ModelFormat::kOnnx && model.format != ModelFormat::kTflite) return FromNames(model);
  TP_ASSIGN_OR_RETURN(std::shared_ptr<MappedFile> file, MappedFile::Open(model.path));
  return FindGemmsInFile(model, file->bytes());
}

StatusOr<int64_t> ConvOutputExtent(const ConvGeometry& g, int d, int64_t in) {
  const int64_t k = g.kernel[d], s = g.stride[d], dil = g.dilation[d];
  if (k < 1 || s < 1 || dil < 1 || in < 1 || k > (int64_t{1} << 30) || dil > (int64_t{1} << 30))
    return InvalidArgumentError("convolution window or input extent out of range");
  const int64_t span = (k - 1) * dil + 1;
  if (g.padding != ConvGeometry::Padding::kExplicit) return (in + s - 1) / s;
  const int64_t padded = in + g.pad_begin[d] + g.pad_end[d];
  if (g.pad_begin[d] < 0 || g.pad_end[d] < 0 || padded < span)
    return InvalidArgumentError("input extent " + std::to_string(in) + " is smaller than the " +
                                std::to_string(span) + "-wide window");
  return (padded - span) / s + 1;
}

StatusOr<std::array<int64_t, 5>> ConvPositions(const GemmOp& op, const Shape& x) {
  const int rank = op.geometry.spatial_dims + 2;
  if (x.size() != size_t(rank))
    return InvalidArgumentError("a " + std::to_string(op.geometry.spatial_dims) + "-D convolution input must have rank " +
                                std::to_string(rank) + ", not " + ShapeToString(x));
  const int64_t b = x[0];
  const int64_t c = op.channels_last ? x[rank - 1] : x[1];
  const int64_t h = rank == 4 ? (op.channels_last ? x[1] : x[2]) : 1;
  const int64_t w = op.channels_last ? x[rank - 2] : x[rank - 1];
  if (c != op.in_channels)
    return InvalidArgumentError("input " + ShapeToString(x) + " has " + std::to_string(c) + " channels, the kernel expects " +
                                std::to_string(op.in_channels));
  int64_t oh = 1;
  if (rank == 4) {
    auto e = ConvOutputExtent(op.geometry, 0, h);
    if (!e.ok()) return InvalidArgumentError("input " + ShapeToString(x) + ": " + std::string(e.status().message()));
    oh = *e;
  }
  auto ow = ConvOutputExtent(op.geometry, 1, w);
  if (!ow.ok()) return InvalidArgumentError("input " + ShapeToString(x) + ": " + std::string(ow.status().message()));
  return std::array<int64_t, 5>{b, h, w, oh, *ow};
}

StatusOr<uint64_t> GemmRows(const GemmOp& op, const Shape& x) {
  if (!op.conv) {
    if (x.empty() || x.back() != op.k)
      return InvalidArgumentError("input " + ShapeToString(x) + ": last dimension is not the layer's " +
                                  std::to_string(op.k) + " inputs");
    auto e = ElementCount(x);
    if (!e) return InvalidArgumentError("input shape " + ShapeToString(x) + " overflows");
    return *e / uint64_t(op.k);
  }
  TP_ASSIGN_OR_RETURN(auto p, ConvPositions(op, x));
  const uint64_t rows = uint64_t(p[0]) * uint64_t(p[3]) * uint64_t(p[4]);
  if (p[0] <= 0 || rows / uint64_t(p[0]) != uint64_t(p[3]) * uint64_t(p[4]))
    return InvalidArgumentError("input shape " + ShapeToString(x) + " overflows");
  return rows;
}

const Tensor* FindGemmInput(const GemmOp& op, const Model& activations) {
  for (const std::string& name : op.inputs)
    for (const Tensor& t : activations.tensors)
      if (t.name() == name) return &t;
  if (op.op != "name") return nullptr;
  // A fused input `parent.C.input` feeding `parent.D.weight` (gemm.h).
  const size_t dot = op.layer.rfind('.');
  if (dot == std::string::npos) return nullptr;
  const std::string parent = op.layer.substr(0, dot + 1), d = op.layer.substr(dot + 1);
  for (const Tensor& t : activations.tensors) {
    const std::string& a = t.name();
    if (!EndsWith(a, ".input") || a.compare(0, parent.size(), parent) != 0) continue;
    const std::string c = a.substr(parent.size(), a.size() - parent.size() - 6);
    if (c.find('.') == std::string::npos && FusedMember(c, d)) return &t;
  }
  return nullptr;
}

}  // namespace tp
