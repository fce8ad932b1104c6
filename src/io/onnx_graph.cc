// The GEMMs of an ONNX graph: MatMul, Gemm and Conv nodes of the main graph
// whose weight operand is a constant (an initializer or a Constant node's
// output), whatever it is called. Attribute semantics follow the ONNX
// operator specification (Gemm-13, Conv-11).
#include <climits>
#include <map>
#include <set>

#include <onnx/onnx_pb.h>

#include "io/graph_readers.h"

namespace tp::io {
namespace {

const onnx::AttributeProto* Attr(const onnx::NodeProto& node, std::string_view name) {
  for (const onnx::AttributeProto& a : node.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}

int64_t IntAttr(const onnx::NodeProto& node, std::string_view name, int64_t fallback) {
  const onnx::AttributeProto* a = Attr(node, name);
  return a ? a->i() : fallback;
}

// A list attribute of exactly `want` entries (0: absent), else an error.
StatusOr<std::vector<int64_t>> IntsAttr(const onnx::NodeProto& node, std::string_view name, size_t want) {
  const onnx::AttributeProto* a = Attr(node, name);
  if (!a || a->ints_size() == 0) return std::vector<int64_t>{};
  if (size_t(a->ints_size()) != want)
    return CorruptDataError("attribute " + std::string(name) + " has " + std::to_string(a->ints_size()) +
                            " values, expected " + std::to_string(want));
  std::vector<int64_t> v(a->ints().begin(), a->ints().end());
  for (int64_t x : v)
    if (x < 0 || x > (int64_t{1} << 30))
      return CorruptDataError("attribute " + std::string(name) + " value " + std::to_string(x) + " is out of range");
  return v;
}

// The static shape of a graph value when every dimension is a known number.
Shape StaticShape(const onnx::ValueInfoProto& v) {
  if (!v.has_type() || !v.type().has_tensor_type() || !v.type().tensor_type().has_shape()) return {};
  Shape s;
  for (const auto& d : v.type().tensor_type().shape().dim()) {
    if (!d.has_dim_value() || d.dim_value() <= 0) return {};
    s.push_back(d.dim_value());
  }
  return s;
}

std::string LayerOf(const std::string& weight) {
  return weight.size() > 7 && weight.compare(weight.size() - 7, 7, ".weight") == 0 ? weight.substr(0, weight.size() - 7)
                                                                                    : weight;
}

// Conv's geometry from its attributes and weight [O, I/g, k...].
Status ConvFromNode(const onnx::NodeProto& node, const Tensor& w, GemmOp& op) {
  const int spatial = int(w.rank()) - 2;
  op.geometry.spatial_dims = spatial;
  op.layout = WeightLayout::kOIHW;
  op.conv = true;
  const int64_t groups = IntAttr(node, "group", 1);
  if (groups < 1 || groups > w.shape()[0] || w.shape()[0] % groups != 0)
    return CorruptDataError("group " + std::to_string(groups) + " does not divide " + std::to_string(w.shape()[0]) +
                            " output channels");
  op.geometry.groups = groups;
  op.n = w.shape()[0];
  op.in_channels = w.shape()[1] * groups;
  std::array<int64_t, 2> kernel{1, w.shape()[2]};
  if (spatial == 2) kernel = {w.shape()[2], w.shape()[3]};
  TP_ASSIGN_OR_RETURN(std::vector<int64_t> ks, IntsAttr(node, "kernel_shape", spatial));
  for (int i = 0; i < int(ks.size()); ++i)
    if (ks[i] != kernel[2 - spatial + i])
      return CorruptDataError("kernel_shape disagrees with the weight's shape " + ShapeToString(w.shape()));
  op.geometry.kernel = kernel;
  op.k = kernel[0] * kernel[1] * w.shape()[1];
  TP_ASSIGN_OR_RETURN(std::vector<int64_t> strides, IntsAttr(node, "strides", spatial));
  TP_ASSIGN_OR_RETURN(std::vector<int64_t> dilations, IntsAttr(node, "dilations", spatial));
  TP_ASSIGN_OR_RETURN(std::vector<int64_t> pads, IntsAttr(node, "pads", 2 * spatial));
  for (int i = 0; i < spatial; ++i) {
    const int d = 2 - spatial + i;  // a 1-D convolution lives in index 1
    if (!strides.empty()) op.geometry.stride[d] = strides[i];
    if (!dilations.empty()) op.geometry.dilation[d] = dilations[i];
    if (!pads.empty()) op.geometry.pad_begin[d] = pads[i], op.geometry.pad_end[d] = pads[spatial + i];
    if (op.geometry.stride[d] < 1 || op.geometry.dilation[d] < 1)
      return CorruptDataError("strides and dilations must be positive");
  }
  if (const onnx::AttributeProto* a = Attr(node, "auto_pad")) {
    const std::string& p = a->s();
    if (p == "SAME_UPPER") op.geometry.padding = ConvGeometry::Padding::kSameUpper;
    else if (p == "SAME_LOWER") op.geometry.padding = ConvGeometry::Padding::kSameLower;
    else if (p == "VALID") op.geometry.pad_begin = op.geometry.pad_end = {0, 0};
    else if (p != "NOTSET" && !p.empty()) return CorruptDataError("auto_pad '" + p + "' is not an ONNX value");
  }
  return Status::Ok();
}

}  // namespace

StatusOr<GemmGraph> OnnxGemms(const Model& model, std::span<const uint8_t> file) {
  if (file.size() > size_t(INT_MAX)) return UnsupportedError("ONNX files over 2 GB are not supported");
  onnx::ModelProto proto;
  if (!proto.ParseFromArray(file.data(), int(file.size())))
    return CorruptDataError("not a valid ONNX protobuf (ModelProto did not parse)");
  if (!proto.has_graph()) return CorruptDataError("ONNX model has no graph");
  const onnx::GraphProto& graph = proto.graph();

  std::map<std::string, const Tensor*> weights;
  for (const Tensor& t : model.tensors) weights.emplace(t.name(), &t);
  std::map<std::string, Shape> shapes;
  for (const auto& v : graph.input()) shapes[v.name()] = StaticShape(v);
  for (const auto& v : graph.value_info()) shapes[v.name()] = StaticShape(v);

  GemmGraph g;
  g.from_graph = true;
  std::set<std::string> seen_layers;
  for (const onnx::NodeProto& node : graph.node()) {
    const std::string& type = node.op_type();
    if (!node.domain().empty() && node.domain() != "ai.onnx") continue;
    if (type != "MatMul" && type != "Gemm" && type != "Conv") continue;
    if (node.input_size() < 2 || node.input(0).empty()) continue;
    auto it = weights.find(node.input(1));
    if (it == weights.end()) continue;  // two activations (attention), or a weight computed at run time
    const Tensor& w = *it->second;
    const std::string where = type + " node '" + node.name() + "'";
    GemmOp op;
    op.op = type;
    op.weight = w.name();
    for (int64_t d : w.shape())
      if (d <= 0) return CorruptDataError(where + ": weight '" + w.name() + "' has an empty dimension");
    if (type == "Conv") {
      if (w.rank() != 3 && w.rank() != 4) {
        g.skipped.push_back(w.name() + " (" + std::to_string(w.rank() - 2) + "-D convolution)");
        continue;
      }
      Status s = ConvFromNode(node, w, op);
      if (!s.ok()) return s.WithContext(where);
    } else {
      if (w.rank() != 2) {
        g.skipped.push_back(w.name() + " (" + type + " weight of rank " + std::to_string(w.rank()) + ")");
        continue;
      }
      bool in_first = true;  // MatMul B and Gemm B without transB: [K, N]
      if (type == "Gemm") {
        if (IntAttr(node, "transA", 0) != 0) {
          g.skipped.push_back(w.name() + " (Gemm with transA)");
          continue;
        }
        in_first = IntAttr(node, "transB", 0) == 0;
      }
      op.layout = in_first ? WeightLayout::kInOut : WeightLayout::kOutIn;
      op.k = in_first ? w.shape()[0] : w.shape()[1];
      op.n = in_first ? w.shape()[1] : w.shape()[0];
      op.in_channels = op.k;
    }
    // The node's name reads best ("/encoder/layer.0/attention/self/query/MatMul");
    // a weight read by several nodes gets one row per node.
    op.layer = node.name().empty() ? LayerOf(w.name()) : node.name();
    if (!seen_layers.insert(op.layer).second) op.layer.append("#").append(std::to_string(g.ops.size()));  // append: GCC 12 -Wrestrict
    op.inputs = {node.input(0), node.input(0) + ".input", LayerOf(w.name()) + ".input"};
    if (!node.name().empty()) op.inputs.push_back(node.name() + ".input");
    if (auto s = shapes.find(node.input(0)); s != shapes.end()) op.input_shape = s->second;
    g.ops.push_back(std::move(op));
  }
  return g;
}

}  // namespace tp::io
