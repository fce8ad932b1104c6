// The GEMMs of a TFLite graph: FULLY_CONNECTED, CONV_2D and
// DEPTHWISE_CONV_2D operators with a constant filter, with their options and
// their input's static shape. Operand layouts and padding follow TFLite's
// reference kernels: FULLY_CONNECTED weights [out, in]; CONV_2D filters
// [out, kh, kw, in / groups] on NHWC inputs; DEPTHWISE_CONV_2D filters
// [1, kh, kw, in * depth_multiplier]; SAME output = ceil(in / stride) with
// the odd padding pixel at the end, VALID output = ceil((in - span + 1) / stride).
#include <flatbuffers/flatbuffers.h>

#include <cstring>
#include <map>
#include <set>

#include "io/graph_readers.h"
#include "tensorpress_gen/tflite_schema_generated.h"

namespace tp::io {
namespace {

namespace fb = tp::tflite_schema;

constexpr int32_t kConv2d = 3, kDepthwiseConv2d = 4, kFullyConnected = 9;

std::string StrOf(const flatbuffers::String* s) { return s ? std::string(s->c_str(), s->size()) : std::string(); }

// The tflite reader renames weights whose names repeat (tflite.cc,
// MakeNamesUnique); these are the spellings it may have used.
const Tensor* FindWeight(const std::map<std::string, const Tensor*>& weights, const std::string& name,
                         uint32_t subgraph, uint32_t index) {
  const std::string sg = "subgraph" + std::to_string(subgraph) + "/" + name;
  const std::string idx = std::string("#").append(std::to_string(index));
  for (const std::string& candidate : {sg + idx, name + idx, sg, name})
    if (auto it = weights.find(candidate); it != weights.end()) return it->second;
  return nullptr;
}

// "model/conv2d_1/Conv2D" -> "model/conv2d_1"; converters fuse several
// names with ';' and the filter's own comes last among them.
std::string LayerOf(std::string name) {
  if (auto semi = name.rfind(';'); semi != std::string::npos) name = name.substr(semi + 1);
  for (std::string_view suffix : {"/Conv2D", "/MatMul", "/depthwise", "/BiasAdd/ReadVariableOp/resource",
                                  "/ReadVariableOp/resource", "/ReadVariableOp"})
    if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
      return name.substr(0, name.size() - suffix.size());
  return name;
}

}  // namespace

StatusOr<GemmGraph> TfliteGemms(const Model& model, std::span<const uint8_t> file) {
  // Accessors read scalars in place: work on an aligned copy when needed.
  std::vector<uint8_t> aligned;
  if (reinterpret_cast<uintptr_t>(file.data()) % 16 != 0) {
    aligned.assign(file.begin(), file.end());
    file = aligned;
  }
  if (file.size() < 8 || std::memcmp(file.data() + 4, fb::ModelIdentifier(), 4) != 0)
    return CorruptDataError("not a TFLite flatbuffer (no \"TFL3\" identifier at byte 4)");
  const size_t fb_size = std::min<uint64_t>(file.size(), FLATBUFFERS_MAX_BUFFER_SIZE - 1);
  flatbuffers::Verifier verifier(file.data(), fb_size);
  if (!fb::VerifyModelBuffer(verifier))
    return CorruptDataError("TFLite flatbuffer failed verification (an offset, length or alignment is invalid)");
  const fb::Model* m = fb::GetModel(file.data());
  std::map<std::string, const Tensor*> weights;
  for (const Tensor& t : model.tensors) weights.emplace(t.name(), &t);

  GemmGraph g;
  g.from_graph = true;
  std::set<std::string> seen_layers;
  const auto* codes = m->operator_codes();
  const auto* subgraphs = m->subgraphs();
  if (!subgraphs) return g;
  for (uint32_t s = 0; s < subgraphs->size(); ++s) {
    const fb::SubGraph* sg = subgraphs->Get(s);
    if (!sg->operators() || !sg->tensors()) continue;
    const auto* tensors = sg->tensors();
    for (uint32_t o = 0; o < sg->operators()->size(); ++o) {
      const fb::Operator* node = sg->operators()->Get(o);
      const std::string where = "subgraph " + std::to_string(s) + " operator " + std::to_string(o);
      if (!codes || node->opcode_index() >= codes->size())
        return CorruptDataError(where + ": opcode index " + std::to_string(node->opcode_index()) + " is out of range");
      const fb::OperatorCode* code = codes->Get(node->opcode_index());
      const int32_t builtin = std::max<int32_t>(code->deprecated_builtin_code(), code->builtin_code());
      if (builtin != kConv2d && builtin != kDepthwiseConv2d && builtin != kFullyConnected) continue;
      const auto* in = node->inputs();
      if (!in || in->size() < 2 || in->Get(0) < 0 || in->Get(1) < 0) continue;
      if (uint32_t(in->Get(0)) >= tensors->size() || uint32_t(in->Get(1)) >= tensors->size())
        return CorruptDataError(where + ": input tensor index is out of range");
      const fb::Tensor* xt = tensors->Get(uint32_t(in->Get(0)));
      const fb::Tensor* wt = tensors->Get(uint32_t(in->Get(1)));
      std::string wname = StrOf(wt->name());
      if (wname.empty()) wname = "tensor" + std::to_string(in->Get(1));
      const Tensor* w = FindWeight(weights, wname, s, uint32_t(in->Get(1)));
      if (!w) continue;  // a filter computed at run time is not a weight
      for (int64_t d : w->shape())
        if (d <= 0) return CorruptDataError(where + ": filter '" + w->name() + "' has an empty dimension");
      GemmOp op;
      op.weight = w->name();
      op.channels_last = true;
      Shape x;
      if (const auto* dims = xt->shape())
        for (int32_t d : *dims) x.push_back(d);
      bool static_shape = !x.empty();
      for (int64_t d : x) static_shape = static_shape && d > 0;
      if (static_shape) op.input_shape = x;
      if (builtin == kFullyConnected) {
        op.op = "FULLY_CONNECTED";
        if (w->rank() != 2) return CorruptDataError(where + ": FULLY_CONNECTED weights must have rank 2");
        op.layout = WeightLayout::kOutIn;
        op.n = w->shape()[0], op.k = w->shape()[1], op.in_channels = op.k;
        // TFLite flattens every leading axis into rows, whatever the rank.
        if (static_shape && (x.back() != op.k)) {
          int64_t total = 1;
          for (int64_t d : x) total *= d;
          if (total % op.k != 0) return CorruptDataError(where + ": input " + ShapeToString(x) + " does not divide into rows of " + std::to_string(op.k));
          op.input_shape = {total / op.k, op.k};
        }
      } else {
        op.conv = true;
        if (w->rank() != 4) return CorruptDataError(where + ": a convolution filter must have rank 4");
        if (x.size() != 4) return CorruptDataError(where + ": a convolution input must have rank 4 (NHWC)");
        const int64_t cin = x[3];
        int pad = 0, sw = 1, sh = 1, dw = 1, dh = 1;
        if (builtin == kConv2d) {
          op.op = "CONV_2D";
          op.layout = WeightLayout::kOHWI;
          const fb::Conv2DOptions* opt = node->builtin_options_as_Conv2DOptions();
          if (!opt) return CorruptDataError(where + ": CONV_2D without Conv2DOptions");
          pad = opt->padding(), sw = opt->stride_w(), sh = opt->stride_h();
          dw = opt->dilation_w_factor(), dh = opt->dilation_h_factor();
          op.n = w->shape()[0];
          op.geometry.kernel = {w->shape()[1], w->shape()[2]};
          const int64_t per_group = w->shape()[3];
          if (cin <= 0 || cin % per_group != 0 || op.n % (cin / per_group) != 0)
            return CorruptDataError(where + ": " + std::to_string(cin) + " input channels do not split into groups of " +
                                    std::to_string(per_group) + " for " + std::to_string(op.n) + " filters");
          op.geometry.groups = cin / per_group;
          op.k = w->shape()[1] * w->shape()[2] * per_group;
        } else {
          op.op = "DEPTHWISE_CONV_2D";
          op.layout = WeightLayout::k1HWO;
          const fb::DepthwiseConv2DOptions* opt = node->builtin_options_as_DepthwiseConv2DOptions();
          if (!opt) return CorruptDataError(where + ": DEPTHWISE_CONV_2D without DepthwiseConv2DOptions");
          pad = opt->padding(), sw = opt->stride_w(), sh = opt->stride_h();
          dw = opt->dilation_w_factor(), dh = opt->dilation_h_factor();
          if (w->shape()[0] != 1) return CorruptDataError(where + ": a depthwise filter's first dimension must be 1");
          op.n = w->shape()[3];
          op.geometry.kernel = {w->shape()[1], w->shape()[2]};
          // The multiplier follows from the shapes; the option only confirms it.
          if (cin <= 0 || op.n % cin != 0)
            return CorruptDataError(where + ": " + std::to_string(op.n) + " depthwise outputs are not a multiple of " +
                                    std::to_string(cin) + " input channels");
          if (opt->depth_multiplier() > 0 && opt->depth_multiplier() != op.n / cin)
            return CorruptDataError(where + ": depth_multiplier " + std::to_string(opt->depth_multiplier()) +
                                    " disagrees with the filter's " + std::to_string(op.n / cin));
          op.geometry.groups = cin;
          op.k = w->shape()[1] * w->shape()[2];
        }
        if (sw < 1 || sh < 1 || dw < 1 || dh < 1 || sw > (1 << 20) || sh > (1 << 20) || dw > (1 << 20) || dh > (1 << 20))
          return CorruptDataError(where + ": strides and dilation factors must be in 1..2^20");
        if (pad != fb::Padding_SAME && pad != fb::Padding_VALID)
          return CorruptDataError(where + ": padding " + std::to_string(pad) + " is neither SAME nor VALID");
        op.geometry.stride = {sh, sw};
        op.geometry.dilation = {dh, dw};
        if (pad == fb::Padding_SAME) op.geometry.padding = ConvGeometry::Padding::kSameUpper;
        op.in_channels = cin;
      }
      op.layer = LayerOf(w->name());
      if (!seen_layers.insert(op.layer).second) op.layer.append("#").append(std::to_string(g.ops.size()));  // append: GCC 12 -Wrestrict
      std::string xname = StrOf(xt->name());
      if (xname.empty()) xname = "tensor" + std::to_string(in->Get(0));
      op.inputs = {xname, xname + ".input", op.layer + ".input"};
      g.ops.push_back(std::move(op));
    }
  }
  return g;
}

}  // namespace tp::io
