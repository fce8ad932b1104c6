// GEMMs from graphs: ONNX models built here with the protobuf API, the shared
// TFLite models, and im2col checked against direct convolutions. Every
// expected shape below is computed by hand from the layer's definition.
#include <gtest/gtest.h>

#include <onnx/onnx_pb.h>

#include <cstring>
#include <map>
#include <random>

#include "tensorpress/gemm.h"
#include "tensorpress/graph.h"
#include "tensorpress/model.h"
#include "testing/test_util.h"

namespace tp {
namespace {

std::map<std::string, const GemmOp*> ByLayer(const GemmGraph& g) {
  std::map<std::string, const GemmOp*> m;
  for (const GemmOp& op : g.ops) m[op.layer] = &op;
  return m;
}

TEST(ConvOutputExtent, HandComputed) {
  ConvGeometry g;
  g.kernel = {10, 4};
  g.stride = {2, 2};
  g.padding = ConvGeometry::Padding::kSameUpper;
  EXPECT_EQ(*ConvOutputExtent(g, 0, 49), 25);  // ceil(49 / 2)
  EXPECT_EQ(*ConvOutputExtent(g, 1, 10), 5);
  g.padding = ConvGeometry::Padding::kExplicit;  // VALID: floor((49 - 10) / 2) + 1
  EXPECT_EQ(*ConvOutputExtent(g, 0, 49), 20);
  EXPECT_EQ(*ConvOutputExtent(g, 1, 5), 1);      // floor((5 - 4) / 2) + 1
  EXPECT_FALSE(ConvOutputExtent(g, 1, 3).ok());  // a 4-wide window on 3 pixels
  g.kernel = {3, 3};
  g.pad_begin = {1, 1};
  g.pad_end = {1, 1};
  EXPECT_EQ(*ConvOutputExtent(g, 0, 7), 4);  // (7 + 2 - 3) / 2 + 1
  g.stride = {1, 1};
  g.pad_begin = g.pad_end = {0, 0};
  g.dilation = {2, 2};
  EXPECT_EQ(*ConvOutputExtent(g, 0, 7), 3);  // span 5: 7 - 5 + 1
}

// Y[o, row] computed straight from the convolution's definition, for an
// NHWC input and an op of any layout, against W * im2col(X) per group.
void ExpectIm2colMatchesDirect(const GemmOp& op, const Tensor& weight, const Tensor& input) {
  SCOPED_TRACE(op.layer);
  auto w = GemmWeightMatrix(op, weight);
  ASSERT_TRUE(w.ok()) << w.status().message();
  auto pos = ConvPositions(op, input.shape());
  ASSERT_TRUE(pos.ok()) << pos.status().message();
  // Plain copies: clang 14 cannot capture structured bindings in lambdas.
  const auto [batch, h_, wd_, oh, ow] = *pos;
  const int64_t h = h_, wd = wd_;
  const ConvGeometry& g = op.geometry;
  const int64_t kh = g.kernel[0], kw = g.kernel[1], groups = g.groups, cin = op.in_channels;
  const int64_t cg = cin / groups, ng = op.n / groups, rows = batch * oh * ow;
  // Leading padding by hand: SAME puts the smaller half first.
  auto before = [&](int d, int64_t in, int64_t out) -> int64_t {
    if (g.padding == ConvGeometry::Padding::kExplicit) return g.pad_begin[d];
    const int64_t total = std::max<int64_t>((out - 1) * g.stride[d] + (g.kernel[d] - 1) * g.dilation[d] + 1 - in, 0);
    return g.padding == ConvGeometry::Padding::kSameUpper ? total / 2 : total - total / 2;
  };
  const int64_t top = before(0, h, oh), left = before(1, wd, ow);
  auto x_at = [&](int64_t b, int64_t y, int64_t x, int64_t c) -> double {
    if (y < 0 || y >= h || x < 0 || x >= wd) return 0;
    const auto v = input.values<float>();
    return op.channels_last ? v[size_t(((b * h + y) * wd + x) * cin + c)] : v[size_t(((b * cin + c) * h + y) * wd + x)];
  };
  // The weight element for (output o, in-group channel c, dy, dx) read from
  // the tensor in its own layout.
  const auto wv = weight.values<float>();
  auto w_at = [&](int64_t o, int64_t c, int64_t dy, int64_t dx) -> double {
    switch (op.layout) {
      case WeightLayout::kOHWI: return wv[size_t(((o * kh + dy) * kw + dx) * cg + c)];
      case WeightLayout::k1HWO: return wv[size_t((dy * kw + dx) * op.n + o)];
      case WeightLayout::kHWIO: return wv[size_t(((dy * kw + dx) * cg + c) * op.n + o)];
      default: return wv[size_t(((o * cg + c) * kh + dy) * kw + dx)];
    }
  };
  for (int64_t grp = 0; grp < groups; ++grp) {
    auto x = Im2col(op, input, grp);
    ASSERT_TRUE(x.ok()) << x.status().message();
    ASSERT_EQ(x->size(), size_t(op.k * rows));
    for (int64_t o = grp * ng; o < (grp + 1) * ng; ++o)
      for (int64_t b = 0; b < batch; ++b)
        for (int64_t y = 0; y < oh; ++y)
          for (int64_t xx = 0; xx < ow; ++xx) {
            double direct = 0, gemm = 0;
            for (int64_t dy = 0; dy < kh; ++dy)
              for (int64_t dx = 0; dx < kw; ++dx)
                for (int64_t c = 0; c < cg; ++c)
                  direct += w_at(o, c, dy, dx) * x_at(b, y * g.stride[0] - top + dy * g.dilation[0],
                                                      xx * g.stride[1] - left + dx * g.dilation[1], grp * cg + c);
            const int64_t row = (b * oh + y) * ow + xx;
            for (int64_t kk = 0; kk < op.k; ++kk) gemm += (*w)[size_t(o * op.k + kk)] * (*x)[size_t(kk * rows + row)];
            ASSERT_NEAR(gemm, direct, 1e-4) << "o=" << o << " y=" << y << " x=" << xx;
          }
  }
}

Tensor Random(const std::string& name, Shape shape, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1, 1);
  std::vector<float> v(*ElementCount(shape));
  for (float& f : v) f = u(rng);
  return *Tensor::FromValues<float>(name, DType::kF32, std::move(shape), v);
}

TEST(Im2col, StridedPaddedDilatedGroupedConvolutionsMatchDirect) {
  // TFLite CONV_2D, SAME, stride 2 on a 7x6 image: out 4x3.
  GemmOp conv;
  conv.layer = "conv";
  conv.conv = conv.channels_last = true;
  conv.layout = WeightLayout::kOHWI;
  conv.in_channels = 3, conv.n = 4;
  conv.geometry.kernel = {3, 2};
  conv.geometry.stride = {2, 2};
  conv.geometry.padding = ConvGeometry::Padding::kSameUpper;
  conv.k = 3 * 2 * 3;
  Tensor x = Random("x", {2, 7, 6, 3}, 1);
  ExpectIm2colMatchesDirect(conv, Random("w", {4, 3, 2, 3}, 2), x);
  EXPECT_EQ(*GemmRows(conv, x.shape()), 2u * 4 * 3);

  // Depthwise, multiplier 2, dilation 2, SAME_LOWER.
  GemmOp dw = conv;
  dw.layer = "depthwise";
  dw.layout = WeightLayout::k1HWO;
  dw.n = 6;
  dw.geometry.groups = 3;
  dw.geometry.kernel = {3, 3};
  dw.geometry.stride = {1, 2};
  dw.geometry.dilation = {2, 1};
  dw.geometry.padding = ConvGeometry::Padding::kSameLower;
  dw.k = 9;
  ExpectIm2colMatchesDirect(dw, Random("dw", {1, 3, 3, 6}, 3), x);
  EXPECT_EQ(*GemmRows(dw, x.shape()), 2u * 7 * 3);  // ceil(7/1) x ceil(6/2)

  // PyTorch/ONNX 1-D: NCW input [2, 4, 11], weight [6, 2, 3], group 2,
  // stride 2, pads (1, 2): out floor((11 + 3 - 3) / 2) + 1 = 6.
  GemmOp c1;
  c1.layer = "conv1d";
  c1.conv = true;
  c1.layout = WeightLayout::kOIHW;
  c1.geometry.spatial_dims = 1;
  c1.geometry.kernel = {1, 3};
  c1.geometry.stride = {1, 2};
  c1.geometry.pad_begin = {0, 1};
  c1.geometry.pad_end = {0, 2};
  c1.geometry.groups = 2;
  c1.in_channels = 4, c1.n = 6, c1.k = 2 * 3;
  Tensor x1 = Random("x1", {2, 4, 11}, 4);
  ExpectIm2colMatchesDirect(c1, Random("w1", {6, 2, 3}, 5), x1);
  EXPECT_EQ(*GemmRows(c1, x1.shape()), 2u * 6);

  // Keras HWIO with explicit asymmetric padding on NHWC.
  GemmOp k2;
  k2.layer = "keras";
  k2.conv = k2.channels_last = true;
  k2.layout = WeightLayout::kHWIO;
  k2.in_channels = 3, k2.n = 5, k2.k = 2 * 2 * 3;
  k2.geometry.kernel = {2, 2};
  k2.geometry.pad_begin = {1, 0};
  k2.geometry.pad_end = {0, 1};
  ExpectIm2colMatchesDirect(k2, Random("k2", {2, 2, 3, 5}, 6), x);
}

TEST(GraphGemms, DsCnnTfliteConvsWithStrideSameAndDepthwise) {
  auto model = ReadModel(testing::SharedModel("mlperf-tiny/dscnn_kws_float32.tflite"));
  ASSERT_TRUE(model.ok()) << model.status().message();
  auto g = FindGemms(*model);
  ASSERT_TRUE(g.ok()) << g.status().message();
  EXPECT_TRUE(g->from_graph);
  // MLPerf Tiny DS-CNN: conv 10x4 stride 2 SAME, 64 filters, on a 49x10 MFCC
  // map (out 25x5); four blocks of depthwise 3x3 + pointwise 1x1 at 25x5;
  // average pool; dense 64 -> 12.
  ASSERT_EQ(g->ops.size(), 10u);
  int depthwise = 0, conv = 0, dense = 0;
  for (const GemmOp& op : g->ops) {
    SCOPED_TRACE(op.layer);
    ASSERT_FALSE(op.input_shape.empty());
    auto rows = GemmRows(op, op.input_shape);
    ASSERT_TRUE(rows.ok()) << rows.status().message();
    if (op.op == "FULLY_CONNECTED") {
      ++dense;
      EXPECT_EQ(op.k, 64);
      EXPECT_EQ(op.n, 12);
      EXPECT_EQ(*rows, 1u);
    } else if (op.op == "DEPTHWISE_CONV_2D") {
      ++depthwise;
      EXPECT_EQ(op.k, 9);
      EXPECT_EQ(op.n, 64);
      EXPECT_EQ(op.geometry.groups, 64);
      EXPECT_EQ(*rows, 125u);
    } else {
      ++conv;
      EXPECT_EQ(op.op, "CONV_2D");
      EXPECT_EQ(*rows, 125u);  // 25 x 5 output positions
      if (op.geometry.kernel[0] == 10) {
        EXPECT_EQ(op.k, 40);
        EXPECT_EQ(op.geometry.stride[0], 2);
        EXPECT_EQ(op.geometry.stride[1], 2);
        EXPECT_EQ(op.input_shape, (Shape{1, 49, 10, 1}));
      } else {
        EXPECT_EQ(op.k, 64);
      }
    }
  }
  EXPECT_EQ(depthwise, 4);
  EXPECT_EQ(conv, 5);
  EXPECT_EQ(dense, 1);
}

TEST(GraphGemms, ResNet8TfliteStridedBlocks) {
  auto model = ReadModel(testing::SharedModel("mlperf-tiny/resnet8_cifar10_int8.tflite"));
  ASSERT_TRUE(model.ok()) << model.status().message();
  auto g = FindGemms(*model);
  ASSERT_TRUE(g.ok()) << g.status().message();
  ASSERT_EQ(g->ops.size(), 10u);
  auto by = ByLayer(*g);
  // ResNet-8 on 32x32x3: stem 3x3x16 at 32x32; stage 2 and 3 halve the map
  // with stride-2 3x3 convs and stride-2 1x1 shortcuts (16x16, then 8x8).
  ASSERT_TRUE(by.count("model/conv2d"));
  EXPECT_EQ(*GemmRows(*by["model/conv2d"], by["model/conv2d"]->input_shape), 32u * 32);
  EXPECT_EQ(by["model/conv2d"]->k, 27);
  ASSERT_TRUE(by.count("model/conv2d_8"));
  const GemmOp& sc = *by["model/conv2d_8"];
  EXPECT_EQ(sc.k, 32);
  EXPECT_EQ(sc.n, 64);
  EXPECT_EQ(sc.geometry.stride[0], 2);
  EXPECT_EQ(*GemmRows(sc, sc.input_shape), 8u * 8);
  uint64_t macs = 0;
  for (const GemmOp& op : g->ops) macs += *GemmRows(op, op.input_shape) * uint64_t(op.k) * uint64_t(op.n);
  // Hand count: 32x32x(27x16 + 2x144x16) + 16x16x(144x32 + 288x32 + 16x32)
  // + 8x8x(288x64 + 576x64 + 32x64) + 64x10.
  const uint64_t want = 1024ull * (27 * 16 + 2 * 144 * 16) + 256ull * (144 * 32 + 288 * 32 + 16 * 32) +
                        64ull * (288 * 64 + 576 * 64 + 32 * 64) + 640;
  EXPECT_EQ(macs, want);
}

// --- ONNX graphs built here.

using onnx::TensorProto;

void AddFloatInit(onnx::GraphProto* g, const std::string& name, std::vector<int64_t> dims, uint32_t seed) {
  TensorProto* t = g->add_initializer();
  t->set_name(name);
  t->set_data_type(TensorProto::FLOAT);
  size_t n = 1;
  for (int64_t d : dims) t->add_dims(d), n *= size_t(d);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1, 1);
  std::vector<float> v(n);
  for (float& f : v) f = u(rng);
  t->set_raw_data(std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float)));
}

onnx::NodeProto* AddNode(onnx::GraphProto* g, const std::string& type, const std::string& name,
                         std::vector<std::string> inputs, const std::string& output) {
  onnx::NodeProto* n = g->add_node();
  n->set_op_type(type);
  n->set_name(name);
  for (auto& i : inputs) n->add_input(i);
  n->add_output(output);
  return n;
}

void AddInts(onnx::NodeProto* n, const std::string& name, std::vector<int64_t> v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t x : v) a->add_ints(x);
}
void AddInt(onnx::NodeProto* n, const std::string& name, int64_t v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}

onnx::ModelProto SmallOnnx() {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(17);
  onnx::GraphProto* g = m.mutable_graph();
  g->set_name("g");
  AddFloatInit(g, "onnx::MatMul_7", {6, 4}, 1);  // MatMul B: [K = 6, N = 4]
  AddFloatInit(g, "fc.weight", {3, 4}, 2);       // Gemm transB=1: [N = 3, K = 4]
  AddFloatInit(g, "conv.weight", {8, 2, 3}, 3);  // Conv1d: 8 out, 4 in in 2 groups, k 3
  AddFloatInit(g, "c2.weight", {5, 8, 3, 3}, 4);
  AddNode(g, "MatMul", "/q/MatMul", {"tokens", "onnx::MatMul_7"}, "h");
  AddInt(AddNode(g, "Gemm", "/fc/Gemm", {"h", "fc.weight"}, "y"), "transB", 1);
  AddNode(g, "MatMul", "/attn/MatMul", {"h", "h"}, "scores");  // two activations: not a weight GEMM
  auto* c = AddNode(g, "Conv", "/conv/Conv", {"signal", "conv.weight"}, "s");
  AddInt(c, "group", 2);
  AddInts(c, "strides", {2});
  AddInts(c, "pads", {1, 2});
  auto* c2 = AddNode(g, "Conv", "", {"image", "c2.weight"}, "z");
  auto* pad = c2->add_attribute();
  pad->set_name("auto_pad");
  pad->set_type(onnx::AttributeProto::STRING);
  pad->set_s("SAME_UPPER");
  AddInts(c2, "strides", {2, 2});
  AddInts(c2, "dilations", {1, 2});
  return m;
}

TEST(GraphGemms, OnnxNodesAttributesAndInputNames) {
  testing::TempDir tmp;
  const std::string path = tmp.File("small.onnx");
  std::string bytes = SmallOnnx().SerializeAsString();
  testing::WriteBytes(path, {bytes.begin(), bytes.end()});
  auto model = ReadModel(path);
  ASSERT_TRUE(model.ok()) << model.status().message();
  auto g = FindGemms(*model);
  ASSERT_TRUE(g.ok()) << g.status().message();
  ASSERT_EQ(g->ops.size(), 4u);
  const GemmOp& mm = g->ops[0];
  EXPECT_EQ(mm.layer, "/q/MatMul");
  EXPECT_EQ(mm.weight, "onnx::MatMul_7");
  EXPECT_EQ(mm.layout, WeightLayout::kInOut);
  EXPECT_EQ(mm.k, 6);
  EXPECT_EQ(mm.n, 4);
  EXPECT_EQ(mm.inputs[0], "tokens");
  EXPECT_EQ(mm.inputs[2], "onnx::MatMul_7.input");  // tensorpress.capture's name
  const GemmOp& fc = g->ops[1];
  EXPECT_EQ(fc.layout, WeightLayout::kOutIn);
  EXPECT_EQ(fc.k, 4);
  EXPECT_EQ(fc.n, 3);
  EXPECT_EQ(fc.inputs[2], "fc.input");
  const GemmOp& c1 = g->ops[2];
  EXPECT_TRUE(c1.conv);
  EXPECT_EQ(c1.geometry.spatial_dims, 1);
  EXPECT_EQ(c1.geometry.groups, 2);
  EXPECT_EQ(c1.in_channels, 4);
  EXPECT_EQ(c1.k, 6);
  EXPECT_EQ(c1.n, 8);
  // [batch 3, 4 channels, 20 samples]: floor((20 + 3 - 3) / 2) + 1 = 11.
  EXPECT_EQ(*GemmRows(c1, {3, 4, 20}), 33u);
  EXPECT_FALSE(GemmRows(c1, {3, 5, 20}).ok());  // 5 channels for a 4-channel kernel
  const GemmOp& c2 = g->ops[3];
  EXPECT_EQ(c2.layer, "c2");  // unnamed node: the weight's layer
  EXPECT_EQ(c2.k, 72);
  EXPECT_EQ(c2.geometry.dilation[1], 2);
  EXPECT_EQ(*GemmRows(c2, {1, 8, 9, 10}), 5u * 5);  // SAME: ceil(9/2) x ceil(10/2)

  // Activations recorded under the graph's value names (or capture's
  // `<weight layer>.input`) match; the grouped Conv1d is not one GEMM and is
  // left out of the slice analysis.
  Model acts;
  acts.tensors.push_back(Random("tokens", {5, 6}, 10));
  acts.tensors.push_back(Random("fc.input", {5, 4}, 11));
  acts.tensors.push_back(Random("z.input", {1, 8, 9, 10}, 12));  // no such value: unmatched
  auto reports = AnalyzeSlices(*model, acts);
  ASSERT_TRUE(reports.ok()) << reports.status().message();
  ASSERT_EQ(reports->size(), 2u);
  EXPECT_EQ((*reports)[0].layer, "/q/MatMul");
  EXPECT_EQ((*reports)[0].m, 4);  // slice analysis: M = out channels, N = rows
  EXPECT_EQ((*reports)[0].k, 6);
  EXPECT_EQ((*reports)[0].n, 5);
  EXPECT_EQ((*reports)[1].activation, "fc.input");
  acts.tensors.push_back(Random("image", {1, 8, 9, 10}, 13));
  reports = AnalyzeSlices(*model, acts);
  ASSERT_TRUE(reports.ok()) << reports.status().message();
  ASSERT_EQ(reports->size(), 3u);
  EXPECT_EQ((*reports)[2].k, 72);
  EXPECT_EQ((*reports)[2].n, 25);
}

TEST(GraphGemms, OnnxGroupedConvIsSlicedGroupByGroup) {
  // SmallOnnx's Conv1d: 2 groups of 4 output channels over 2 input channels
  // each, kernel 3, stride 2, pads (1, 2): on [3, 4, 20], 3 x 11 rows.
  testing::TempDir tmp;
  const std::string path = tmp.File("small.onnx");
  std::string bytes = SmallOnnx().SerializeAsString();
  testing::WriteBytes(path, {bytes.begin(), bytes.end()});
  auto model = ReadModel(path);
  ASSERT_TRUE(model.ok()) << model.status().message();
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(-0.5f, 2.0f);
  std::vector<float> x(3 * 4 * 20);
  for (float& v : x) v = u(rng);
  Model acts;
  acts.tensors.push_back(*Tensor::FromValues<float>("signal", DType::kF32, {3, 4, 20}, x));
  SliceAnalysisOptions options;
  options.verify = true;
  auto layers = AnalyzeSlices(*model, acts, options);
  ASSERT_TRUE(layers.ok()) << layers.status().message();
  ASSERT_EQ(layers->size(), 1u);
  const LayerSliceReport& r = (*layers)[0];
  EXPECT_EQ(r.layer, "/conv/Conv");
  EXPECT_EQ(r.groups, 2);
  EXPECT_EQ(r.m, 8);
  EXPECT_EQ(r.k, 6);
  EXPECT_EQ(r.n, 33);
  EXPECT_TRUE(r.verified);  // both groups' slice GEMMs equal the dense reference
  // Dense slices per group: one 4-row weight block of 2 SBR slices times
  // 9 token blocks (33 rows) of 2 slices over K = 6, 16 multiplies each.
  EXPECT_EQ(r.asym.counters.dense_multiplies, 2u * 6 * (1 * 2) * (9 * 2) * 16);
  // Traffic: 2 groups x 6 depth x 1 weight block x 2 bytes per HO vector.
  EXPECT_EQ(r.asym.counters.weights.ho_bytes_dense, 2u * 6 * 1 * 2);
  EXPECT_EQ(r.asym.counters.activations.ho_bytes_dense, 2u * 6 * 9 * 2);
}

TEST(GraphGemms, OnnxBadAttributesAreCorruptData) {
  onnx::ModelProto m = SmallOnnx();
  onnx::AttributeProto* group = m.mutable_graph()->mutable_node(3)->mutable_attribute(0);
  ASSERT_EQ(group->name(), "group");
  group->set_i(3);  // 3 does not divide 8 outputs
  testing::TempDir tmp;
  const std::string path = tmp.File("bad.onnx");
  std::string bytes = m.SerializeAsString();
  testing::WriteBytes(path, {bytes.begin(), bytes.end()});
  auto model = ReadModel(path);
  ASSERT_TRUE(model.ok());
  auto g = FindGemms(*model);
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().code(), StatusCode::kCorruptData);
  EXPECT_NE(g.status().message().find("group"), std::string::npos) << g.status().message();
}

TEST(GraphGemms, NamesForFormatsWithoutGraphs) {
  auto model = ReadModel(testing::SharedModel("stories260k/stories260K.bin"));
  ASSERT_TRUE(model.ok());
  auto g = FindGemms(*model);
  ASSERT_TRUE(g.ok());
  EXPECT_FALSE(g->from_graph);
  EXPECT_EQ(g->ops.size(), 5u * 7);
  auto acts = ReadModel(testing::SharedModel("stories260k/activations_4x128.safetensors"));
  ASSERT_TRUE(acts.ok());
  for (const GemmOp& op : g->ops) {
    const Tensor* x = FindGemmInput(op, *acts);
    ASSERT_NE(x, nullptr) << op.layer;
    if (op.layer.find("attention.wk") != std::string::npos) {
      EXPECT_NE(x->name().find("attention.wqkv.input"), std::string::npos) << x->name();
    }
  }
}

}  // namespace
}  // namespace tp
