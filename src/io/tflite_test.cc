#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>

#include "tensorpress/model.h"
#include "tensorpress/quant.h"
#include "tensorpress_gen/tflite_schema_generated.h"
#include "testing/malformed.h"
#include "testing/test_util.h"

namespace tp {
namespace {

namespace fb = tflite_schema;

// --- A small TFLite writer for tests, on flatbuffers' builder and our schema.

struct TensorSpec {
  std::string name;
  std::vector<int32_t> shape;
  fb::TensorType type = fb::TensorType_FLOAT32;
  uint32_t buffer = 0;
  std::vector<float> scale = {};
  std::vector<int64_t> zero_point = {};
  int32_t quantized_dimension = 0;
  uint8_t details_type = 0;
  bool variable = false;
  bool sparse = false;
};

struct BufferSpec {
  std::vector<uint8_t> data;
  uint64_t offset = 0, size = 0;
};

struct ModelSpec {
  uint32_t version = 3;
  std::string description = "tensorpress test model";
  std::vector<BufferSpec> buffers = {{}};  // buffer 0: the empty sentinel
  std::vector<std::vector<TensorSpec>> subgraphs;
  std::vector<std::pair<std::string, uint32_t>> metadata;
  bool with_operator_codes = true;
};

template <typename T>
std::vector<uint8_t> Bytes(std::vector<T> values) {
  std::vector<uint8_t> b(values.size() * sizeof(T));
  std::memcpy(b.data(), values.data(), b.size());
  return b;
}

std::vector<uint8_t> Build(const ModelSpec& spec) {
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<flatbuffers::Offset<fb::Buffer>> buffers;
  for (const BufferSpec& b : spec.buffers)
    buffers.push_back(fb::CreateBufferDirect(fbb, b.data.empty() ? nullptr : &b.data, b.offset, b.size));
  std::vector<flatbuffers::Offset<fb::SubGraph>> subgraphs;
  for (const auto& tensors : spec.subgraphs) {
    std::vector<flatbuffers::Offset<fb::Tensor>> ts;
    for (const TensorSpec& t : tensors) {
      flatbuffers::Offset<fb::QuantizationParameters> q = 0;
      if (!t.scale.empty() || !t.zero_point.empty())
        q = fb::CreateQuantizationParametersDirect(fbb, nullptr, nullptr, &t.scale, &t.zero_point,
                                                   t.details_type, t.quantized_dimension);
      auto sparsity = t.sparse ? fb::CreateSparsityParameters(fbb) : 0;
      ts.push_back(fb::CreateTensorDirect(fbb, &t.shape, t.type, t.buffer, t.name.c_str(), q, t.variable,
                                          sparsity));
    }
    std::vector<flatbuffers::Offset<fb::Operator>> ops = {fb::CreateOperatorDirect(fbb, 0)};
    subgraphs.push_back(fb::CreateSubGraphDirect(fbb, &ts, nullptr, nullptr, &ops, "main"));
  }
  std::vector<flatbuffers::Offset<fb::OperatorCode>> codes;
  if (spec.with_operator_codes) {
    codes.push_back(fb::CreateOperatorCodeDirect(fbb, 3, nullptr, 2, 3));       // CONV_2D v2
    codes.push_back(fb::CreateOperatorCodeDirect(fbb, 127, nullptr, 1, 150));   // GELU (extended)
    codes.push_back(fb::CreateOperatorCodeDirect(fbb, 32, "MyOp", 1, 32));      // CUSTOM
  }
  std::vector<flatbuffers::Offset<fb::Metadata>> metadata;
  for (const auto& [name, buffer] : spec.metadata) metadata.push_back(fb::CreateMetadataDirect(fbb, name.c_str(), buffer));
  auto model = fb::CreateModel(fbb, spec.version, fbb.CreateVector(codes), fbb.CreateVector(subgraphs),
                               fbb.CreateString(spec.description), fbb.CreateVector(buffers), 0,
                               fbb.CreateVector(metadata));
  fb::FinishModelBuffer(fbb, model);
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}

// One f32 weight; the base of most malformed cases.
ModelSpec OneTensor(std::vector<int32_t> shape, std::vector<uint8_t> data,
                    fb::TensorType type = fb::TensorType_FLOAT32) {
  ModelSpec s;
  s.buffers.push_back({std::move(data)});
  s.subgraphs = {{{.name = "w", .shape = std::move(shape), .type = type, .buffer = 1}}};
  return s;
}

// The hand-made model of the round-trip test: every value below is known.
ModelSpec TinySpec() {
  ModelSpec s;
  s.buffers.push_back({Bytes<float>({1.5f, -2.0f, 0.25f, 3.0f, -0.0f, 1e-3f})});   // 1: w f32 [2,3]
  s.buffers.push_back({Bytes<int8_t>({-127, 0, 5, 127, -3, 64})});                // 2: q int8 [3,2]
  s.buffers.push_back({});                                                        // 3: activation
  s.buffers.push_back({Bytes<int32_t>({-7, 1 << 20, 42})});                       // 4: bias int32 [3]
  s.buffers.push_back({{0x2F, 0x08}});                                            // 5: int4 [3]
  s.buffers.push_back({{'1', '.', '2', '.', '3', 0, 0, 0}});                      // 6: metadata text
  s.buffers.push_back({{7, 0, 0, 0, 1, 2}});                                      // 7: metadata binary
  s.subgraphs.push_back({
      {.name = "input", .shape = {1, 3}, .buffer = 0},
      {.name = "w", .shape = {2, 3}, .buffer = 1},
      {.name = "q", .shape = {3, 2}, .type = fb::TensorType_INT8, .buffer = 2, .scale = {0.5f, 0.25f, 2.0f},
       .zero_point = {0, 0, 0}, .quantized_dimension = 0},
      {.name = "act", .shape = {1, 2}, .type = fb::TensorType_INT8, .buffer = 3, .scale = {0.1f}, .zero_point = {-128}},
      {.name = "bias", .shape = {3}, .type = fb::TensorType_INT32, .buffer = 4, .scale = {0.125f}, .zero_point = {3}},
      {.name = "nibbles", .shape = {3}, .type = fb::TensorType_INT4, .buffer = 5},
      {.name = "state", .shape = {2, 3}, .buffer = 1, .variable = true},
  });
  // A second subgraph reusing the name "w" (and buffer 1): the names must
  // be made unique, the bytes shared.
  s.subgraphs.push_back({{.name = "w", .shape = {3, 2}, .buffer = 1}, {.name = "", .shape = {6}, .buffer = 1}});
  s.metadata = {{"min_runtime_version", 6}, {"blob", 7}};
  return s;
}

const Tensor* Find(const Model& m, const std::string& name) {
  for (const Tensor& t : m.tensors)
    if (t.name() == name) return &t;
  return nullptr;
}

std::string Meta(const Model& m, const std::string& key) {
  for (const auto& [k, v] : m.metadata)
    if (k == key) return v;
  return "<missing>";
}

std::vector<double> AsDoubles(const Tensor& t) {
  std::vector<double> v(t.elements());
  ElementsAsDouble(t, 0, v.size(), v.data());
  return v;
}

StatusOr<Model> ReadBytes(std::vector<uint8_t> bytes) {
  return ReadModelFromBuffer(MakeOwnedBuffer(std::move(bytes)), "test.tflite");
}

TEST(Tflite, BuiltModelReadsEveryValue) {
  std::vector<uint8_t> bytes = Build(TinySpec());
  auto buffer = MakeOwnedBuffer(bytes);
  auto model = ReadModelFromBuffer(buffer, "tiny.tflite");
  ASSERT_TRUE(model.ok()) << model.status().message();
  EXPECT_EQ(model->format, ModelFormat::kTflite);
  // input and act have no data; state is a variable: none is a weight.
  std::vector<std::string> names;
  for (const Tensor& t : model->tensors) names.push_back(t.name());
  EXPECT_EQ(names, (std::vector<std::string>{"subgraph0/w", "q", "bias", "nibbles", "subgraph1/w", "tensor1"}));

  const Tensor* w = Find(*model, "subgraph0/w");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->dtype(), DType::kF32);
  EXPECT_EQ(w->shape(), (Shape{2, 3}));
  EXPECT_EQ(AsDoubles(*w), (std::vector<double>{1.5, -2.0, 0.25, 3.0, -0.0, double(1e-3f)}));
  EXPECT_FALSE(w->quant().has_value());
  // Zero-copy: the tensor views the caller's buffer.
  EXPECT_GE(w->bytes().data(), buffer->data());
  EXPECT_LE(w->bytes().data() + w->nbytes(), buffer->data() + buffer->size());
  EXPECT_EQ(w->owner(), buffer);

  const Tensor* q = Find(*model, "q");
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->dtype(), DType::kI8);
  EXPECT_EQ(q->shape(), (Shape{3, 2}));
  EXPECT_EQ(AsDoubles(*q), (std::vector<double>{-127, 0, 5, 127, -3, 64}));
  ASSERT_TRUE(q->quant().has_value());
  EXPECT_EQ(q->quant()->axis, 0);
  EXPECT_EQ(q->quant()->scale, (std::vector<float>{0.5f, 0.25f, 2.0f}));
  EXPECT_EQ(q->quant()->zero_point, (std::vector<int64_t>{0, 0, 0}));
  auto deq = Dequantize(*q);
  ASSERT_TRUE(deq.ok()) << deq.status().message();
  EXPECT_EQ(AsDoubles(*deq), (std::vector<double>{-63.5, 0, 1.25, 31.75, -6, 128}));

  const Tensor* bias = Find(*model, "bias");
  ASSERT_NE(bias, nullptr);
  EXPECT_EQ(bias->dtype(), DType::kI32);
  EXPECT_EQ(AsDoubles(*bias), (std::vector<double>{-7, 1 << 20, 42}));
  ASSERT_TRUE(bias->quant().has_value());
  EXPECT_EQ(bias->quant()->axis, -1);
  EXPECT_EQ(bias->quant()->scale, (std::vector<float>{0.125f}));
  EXPECT_EQ(bias->quant()->zero_point, (std::vector<int64_t>{3}));

  // 0x2F, 0x08: low nibble first -> 0xF = -1, 0x2 = 2, 0x8 = -8.
  const Tensor* nib = Find(*model, "nibbles");
  ASSERT_NE(nib, nullptr);
  EXPECT_EQ(nib->dtype(), DType::kI4);
  EXPECT_EQ(AsDoubles(*nib), (std::vector<double>{-1, 2, -8}));

  const Tensor* w1 = Find(*model, "subgraph1/w");
  ASSERT_NE(w1, nullptr);
  EXPECT_EQ(w1->shape(), (Shape{3, 2}));
  EXPECT_EQ(w1->bytes().data(), w->bytes().data());  // one buffer, two views
  const Tensor* unnamed = Find(*model, "tensor1");
  ASSERT_NE(unnamed, nullptr);
  EXPECT_EQ(unnamed->shape(), (Shape{6}));

  EXPECT_EQ(Meta(*model, "version"), "3");
  EXPECT_EQ(Meta(*model, "description"), "tensorpress test model");
  EXPECT_EQ(Meta(*model, "subgraphs"), "2");
  EXPECT_EQ(Meta(*model, "tensors"), "9");
  EXPECT_EQ(Meta(*model, "operators"), "2");
  EXPECT_EQ(Meta(*model, "operator_codes"), "CONV_2D v2, GELU, CUSTOM(MyOp)");
  EXPECT_EQ(Meta(*model, "metadata.min_runtime_version"), "1.2.3");
  EXPECT_EQ(Meta(*model, "metadata.blob"), "6 bytes");
}

TEST(Tflite, DetectedByIdentifierNotName) {
  testing::TempDir dir;
  testing::WriteBytes(dir.File("model.bin"), Build(TinySpec()));
  auto model = ReadModel(dir.File("model.bin"));
  ASSERT_TRUE(model.ok()) << model.status().message();
  EXPECT_EQ(model->format, ModelFormat::kTflite);
}

// Data kept after the FlatBuffer (the >2 GB layout) is found by offset.
std::vector<uint8_t> WithExternalData(std::vector<uint8_t> payload, uint64_t extra_offset = 0,
                                      std::optional<uint64_t> declared_size = std::nullopt) {
  ModelSpec s = OneTensor({2, 2}, {});
  s.buffers[1] = {{}, 2, declared_size.value_or(payload.size())};  // placeholder offset to size the FlatBuffer
  size_t fb_size = Build(s).size();
  uint64_t at = (fb_size + 15) / 16 * 16;
  s.buffers[1].offset = at + extra_offset;
  std::vector<uint8_t> bytes = Build(s);
  EXPECT_EQ(bytes.size(), fb_size);
  bytes.resize(at, 0);
  bytes.insert(bytes.end(), payload.begin(), payload.end());
  return bytes;
}

TEST(Tflite, ReadsExternalBufferData) {
  std::vector<uint8_t> bytes = WithExternalData(Bytes<float>({1, 2, 3, 4}));
  auto model = ReadBytes(bytes);
  ASSERT_TRUE(model.ok()) << model.status().message();
  ASSERT_EQ(model->tensors.size(), 1u);
  EXPECT_EQ(AsDoubles(model->tensors[0]), (std::vector<double>{1, 2, 3, 4}));
}

TEST(Tflite, UnsupportedTypeNamesTheTensor) {
  auto model = ReadBytes(Build(OneTensor({1}, {1, 2, 3, 4, 5, 6, 7, 8}, fb::TensorType_COMPLEX64)));
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(model.status().message().find("tensor 'w'"), std::string::npos) << model.status().message();
  EXPECT_NE(model.status().message().find("COMPLEX64"), std::string::npos) << model.status().message();
}

// The MLPerf Tiny ResNet-8 (int8 PTQ). The independent reference is the
// same network's float Keras weights, shipped beside it: TFLite stores
// conv kernels OHWI where Keras has HWIO, and the converter folds each
// batch norm into the conv before quantizing, w' = w * gamma /
// sqrt(var + eps) per output channel (Keras's default eps = 1e-3), and
// b' = beta + (b - mean) * gamma / sqrt(var + eps). Every dequantized
// weight and bias must then lie within half a quantization step of the
// folded float value.
TEST(Tflite, ReadsResnet8Int8AgainstKerasWeights) {
  auto model = ReadModel(testing::SharedModel("mlperf-tiny/resnet8_cifar10_int8.tflite"));
  ASSERT_TRUE(model.ok()) << model.status().message();
  auto keras = ReadModel(testing::SharedModel("mlperf-tiny/resnet8_cifar10.safetensors"));
  ASSERT_TRUE(keras.ok()) << keras.status().message();
  EXPECT_EQ(model->format, ModelFormat::kTflite);
  EXPECT_EQ(Meta(*model, "version"), "3");
  EXPECT_EQ(Meta(*model, "subgraphs"), "1");
  EXPECT_EQ(Meta(*model, "metadata.min_runtime_version"), "1.5.0");  // `strings` shows it in the file
  // The ops of a quantized ResNet-8: convs, residual adds, pooling, the
  // classifier head, and the int8 <-> float edges.
  EXPECT_EQ(Meta(*model, "operator_codes"),
            "CONV_2D v3, ADD v2, AVERAGE_POOL_2D v2, RESHAPE, FULLY_CONNECTED v4, SOFTMAX v2, QUANTIZE, "
            "DEQUANTIZE v2");

  // The first conv, 3x3 over RGB to 16 channels, as in the MLPerf Tiny
  // reference (resnet_v1_eembc).
  const Tensor* first = Find(*model, "model/conv2d/Conv2D");
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->shape(), (Shape{16, 3, 3, 3}));

  // conv -> its folded batch norm (none on the two 1x1 shortcut convs).
  const std::map<std::string, std::string> convs = {
      {"conv2d", "batch_normalization"},     {"conv2d_1", "batch_normalization_1"},
      {"conv2d_2", "batch_normalization_2"}, {"conv2d_3", "batch_normalization_3"},
      {"conv2d_4", "batch_normalization_4"}, {"conv2d_5", ""},
      {"conv2d_6", "batch_normalization_5"}, {"conv2d_7", "batch_normalization_6"},
      {"conv2d_8", ""}};
  uint64_t conv_params = 0;
  for (const auto& entry : convs) {
    const std::string& conv = entry.first;  // named, not bound: lambdas below capture it
    const std::string& bn = entry.second;
    SCOPED_TRACE(conv);
    const Tensor* q = Find(*model, "model/" + conv + "/Conv2D");
    const Tensor* k = Find(*keras, conv + "/" + conv + "/kernel");
    ASSERT_NE(q, nullptr);
    ASSERT_NE(k, nullptr);
    ASSERT_EQ(k->rank(), 4);
    const int64_t kh = k->shape()[0], kw = k->shape()[1], ci = k->shape()[2], co = k->shape()[3];
    EXPECT_EQ(q->shape(), (Shape{co, kh, kw, ci}));
    EXPECT_EQ(q->dtype(), DType::kI8);
    ASSERT_TRUE(q->quant().has_value());
    EXPECT_EQ(q->quant()->axis, 0);
    ASSERT_EQ(q->quant()->scale.size(), static_cast<size_t>(co));  // per output channel
    EXPECT_EQ(q->quant()->zero_point, std::vector<int64_t>(co, 0));  // symmetric
    conv_params += q->elements();

    std::vector<double> fold(co, 1.0);
    if (!bn.empty()) {
      const Tensor* gamma = Find(*keras, bn + "/" + bn + "/gamma");
      const Tensor* var = Find(*keras, bn + "/" + bn + "/moving_variance");
      ASSERT_NE(gamma, nullptr);
      ASSERT_NE(var, nullptr);
      for (int64_t o = 0; o < co; ++o) fold[o] = gamma->values<float>()[o] / std::sqrt(var->values<float>()[o] + 1e-3);
    }
    auto deq = Dequantize(*q);
    ASSERT_TRUE(deq.ok());
    auto d = deq->values<float>();
    auto kv = k->values<float>();
    double worst = 0;  // in units of the channel's quantization step
    for (int64_t o = 0; o < co; ++o)
      for (int64_t y = 0; y < kh; ++y)
        for (int64_t x = 0; x < kw; ++x)
          for (int64_t i = 0; i < ci; ++i) {
            double ref = kv[((y * kw + x) * ci + i) * co + o] * fold[o];
            double got = d[((o * kh + y) * kw + x) * ci + i];
            worst = std::max(worst, std::abs(got - ref) / q->quant()->scale[o]);
          }
    // Rounding to the nearest step gives at most 0.5 (plus float error in
    // the fold); a wrong layout, axis or scale gives many steps.
    EXPECT_LT(worst, 0.501);

    // The bias is int32 in steps of input_scale * weight_scale; folded it is
    // beta + (b - mean) * gamma / sqrt(var + eps).
    const Tensor* qb = nullptr;
    for (const Tensor& t : model->tensors)
      if (t.name().find("model/" + conv + "/BiasAdd/ReadVariableOp/resource") != std::string::npos) qb = &t;
    const Tensor* b = Find(*keras, conv + "/" + conv + "/bias");
    ASSERT_NE(qb, nullptr);
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(qb->dtype(), DType::kI32);
    ASSERT_TRUE(qb->quant().has_value());
    EXPECT_EQ(qb->quant()->axis, 0);
    ASSERT_EQ(qb->quant()->scale.size(), static_cast<size_t>(co));
    auto db = Dequantize(*qb);
    ASSERT_TRUE(db.ok());
    double worst_bias = 0;
    for (int64_t o = 0; o < co; ++o) {
      double ref = b->values<float>()[o];
      if (!bn.empty()) {
        auto p = [&](const char* what) {
          const Tensor* t = Find(*keras, bn + "/" + bn + "/" + what);
          return t ? double(t->values<float>()[o]) : NAN;  // NaN fails the bound below
        };
        ref = p("beta") + (ref - p("moving_mean")) * fold[o];
      }
      double got = db->values<float>()[o];
      worst_bias = std::max(worst_bias, std::abs(got - ref) / qb->quant()->scale[o]);
    }
    EXPECT_LT(worst_bias, 0.501);
  }
  EXPECT_EQ(conv_params, 432u + 2304 * 2 + 4608 + 9216 + 512 + 18432 + 36864 + 2048);

  // Biases are int32, per channel like their conv's weights.
  int int32_biases = 0;
  for (const Tensor& t : model->tensors) {
    if (t.rank() != 1 || t.dtype() != DType::kI32 || !t.quant()) continue;
    ++int32_biases;
    const bool dense_bias = t.name() == "model/dense/BiasAdd/ReadVariableOp/resource";
    EXPECT_EQ(t.quant()->scale.size(), dense_bias ? 1u : static_cast<size_t>(t.shape()[0])) << t.name();
    EXPECT_EQ(t.quant()->axis, dense_bias ? -1 : 0) << t.name();
  }
  EXPECT_EQ(int32_biases, 10);  // nine convs and the dense layer

  // The dense layer: int8 [out, in] with one scale (Keras has [in, out]),
  // its bias int32 with one scale; neither has a batch norm to fold.
  const Tensor* dense = Find(*model, "model/dense/MatMul");
  const Tensor* dense_bias = Find(*model, "model/dense/BiasAdd/ReadVariableOp/resource");
  const Tensor* keras_dense = Find(*keras, "dense/dense/kernel");
  const Tensor* keras_bias = Find(*keras, "dense/dense/bias");
  ASSERT_TRUE(dense && dense_bias && keras_dense && keras_bias);
  EXPECT_EQ(dense->shape(), (Shape{10, 64}));
  EXPECT_EQ(dense->dtype(), DType::kI8);
  ASSERT_TRUE(dense->quant() && dense_bias->quant());
  auto dd = Dequantize(*dense);
  auto ddb = Dequantize(*dense_bias);
  ASSERT_TRUE(dd.ok() && ddb.ok());
  double worst = 0, worst_bias = 0;
  for (int o = 0; o < 10; ++o) {
    for (int i = 0; i < 64; ++i)
      worst = std::max<double>(worst, std::abs(dd->values<float>()[o * 64 + i] - keras_dense->values<float>()[i * 10 + o]));
    worst_bias = std::max<double>(worst_bias, std::abs(ddb->values<float>()[o] - keras_bias->values<float>()[o]));
  }
  EXPECT_LT(worst / dense->quant()->scale[0], 0.501);
  EXPECT_LT(worst_bias / dense_bias->quant()->scale[0], 0.501);
  // Everything with data: 9 convs + dense, 10 biases, the flatten shape.
  EXPECT_EQ(model->tensors.size(), 21u);
}

// The MLPerf Tiny keyword-spotting DS-CNN: input 49x10 MFCC, a 10x4 conv
// to 64 channels, four depthwise-separable blocks (3x3 depthwise + 1x1
// pointwise, 64 channels), average pooling and a dense layer to 12 classes.
// This "float32" file is a hybrid: the converter stored the conv kernels as
// int8 with one scale each and kept everything else float.
TEST(Tflite, ReadsDsCnnFloat) {
  auto model = ReadModel(testing::SharedModel("mlperf-tiny/dscnn_kws_float32.tflite"));
  ASSERT_TRUE(model.ok()) << model.status().message();
  EXPECT_EQ(Meta(*model, "metadata.min_runtime_version"), "1.5.0");
  const Tensor* conv = Find(*model, "functional_1/conv2d/Conv2D");
  ASSERT_NE(conv, nullptr);
  EXPECT_EQ(conv->shape(), (Shape{64, 10, 4, 1}));
  for (int i = 1; i <= 4; ++i) {
    const Tensor* pw = Find(*model, "functional_1/conv2d_" + std::to_string(i) + "/Conv2D");
    ASSERT_NE(pw, nullptr);
    EXPECT_EQ(pw->shape(), (Shape{64, 1, 1, 64}));
    EXPECT_EQ(pw->dtype(), DType::kI8);
    ASSERT_TRUE(pw->quant().has_value());
    EXPECT_EQ(pw->quant()->scale.size(), 1u);
    EXPECT_EQ(pw->quant()->axis, -1);
  }
  int depthwise = 0, channel_vectors = 0;
  uint64_t float_params = 0;
  for (const Tensor& t : model->tensors) {
    if (t.dtype() == DType::kF32) float_params += t.elements();
    if (t.shape() == Shape{1, 3, 3, 64}) ++depthwise;
    if (t.shape() == Shape{64} && t.dtype() == DType::kF32) ++channel_vectors;
  }
  EXPECT_EQ(depthwise, 4);
  EXPECT_EQ(channel_vectors, 9);  // biases of the conv and of 4 x 2 separable halves
  const Tensor* dense = Find(*model, "functional_1/dense/MatMul");
  ASSERT_NE(dense, nullptr);
  EXPECT_EQ(dense->shape(), (Shape{12, 64}));
  EXPECT_EQ(dense->dtype(), DType::kF32);
  EXPECT_EQ(float_params, 4u * 576 + 9 * 64 + 12 * 64 + 12);
  // A weight tensor's values are finite and not all zero.
  double sum = 0;
  for (double v : AsDoubles(*dense)) {
    ASSERT_TRUE(std::isfinite(v));
    sum += std::abs(v);
  }
  EXPECT_GT(sum, 0);
}

// The fuzz seeds are files this test file builds; they must stay readable.
TEST(Tflite, FuzzSeedsAreValidModels) {
  std::string dir = testing::SourceDir() + "/fuzz/corpus/fuzz_tflite";
  int seeds = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    SCOPED_TRACE(e.path().string());
    ++seeds;
    auto model = ReadModel(e.path().string(), ReadOptions{.format = ModelFormat::kTflite});
    EXPECT_TRUE(model.ok()) << model.status().message();
  }
  EXPECT_GE(seeds, 2);
}

// Regenerates the seeds: tensorpress_tests --gtest_also_run_disabled_tests
// --gtest_filter=Tflite.DISABLED_WriteFuzzSeeds
TEST(Tflite, DISABLED_WriteFuzzSeeds) {
  std::string dir = testing::SourceDir() + "/fuzz/corpus/fuzz_tflite";
  std::filesystem::create_directories(dir);
  testing::WriteBytes(dir + "/tiny", Build(TinySpec()));
  testing::WriteBytes(dir + "/external", WithExternalData(Bytes<float>({1, 2, 3, 4})));
}

std::vector<uint8_t> Patched(std::vector<uint8_t> b, size_t at, uint32_t value) {
  std::memcpy(b.data() + at, &value, 4);
  return b;
}

testing::MalformedRegistrar kTfliteCases("tflite", [] {
  using testing::MalformedCase;
  const std::vector<uint8_t> f32x4 = Bytes<float>({1, 2, 3, 4});
  auto spec = [&](auto edit) {
    ModelSpec s = TinySpec();
    edit(s);
    return Build(s);
  };
  std::vector<uint8_t> tiny = Build(TinySpec());
  std::vector<uint8_t> real = testing::ReadBytes(testing::SharedModel("mlperf-tiny/resnet8_cifar10_int8.tflite"));
  real.resize(std::min<size_t>(real.size(), 50000));
  // The first weight's data, found by its values; its u32 length precedes it.
  const std::vector<uint8_t> w_bytes = TinySpec().buffers[1].data;
  size_t w_at = std::search(tiny.begin(), tiny.end(), w_bytes.begin(), w_bytes.end()) - tiny.begin();
  return std::vector<MalformedCase>{
      {"not a flatbuffer", "a.tflite", {'h', 'e', 'l', 'l', 'o', ' ', 't', 'f', 'l', 'i', 't', 'e'}},
      {"identifier only", "b.tflite", {0, 0, 0, 0, 'T', 'F', 'L', '3'}},
      {"root offset past the end", "c.tflite", Patched(tiny, 0, 0x7ffffff0)},
      {"root offset into the identifier", "d.tflite", Patched(tiny, 0, 4)},
      {"vector length past the end", "e.tflite", Patched(tiny, w_at - 4, 0x10000000)},
      {"truncated file", "f.tflite", std::vector<uint8_t>(tiny.begin(), tiny.begin() + tiny.size() / 2)},
      {"truncated real model", "g.tflite", real},
      {"buffer index out of range", "h.tflite", spec([](ModelSpec& s) { s.subgraphs[0][1].buffer = 99; })},
      {"data size differs from shape", "i.tflite", Build(OneTensor({2, 3}, f32x4))},
      {"negative dimension", "j.tflite", Build(OneTensor({-1, 4}, f32x4))},
      {"element count overflows", "k.tflite",
       Build(OneTensor({0x7fffffff, 0x7fffffff, 0x7fffffff, 0x7fffffff, 0x7fffffff}, f32x4))},
      {"byte count overflows", "l.tflite", Build(OneTensor({0x7fffffff, 0x7fffffff, 2}, f32x4))},
      {"rank above 64", "m.tflite", Build(OneTensor(std::vector<int32_t>(65, 1), Bytes<float>({1})))},
      {"unsupported type (string)", "n.tflite", Build(OneTensor({4}, f32x4, fb::TensorType_STRING))},
      {"unknown type number", "o.tflite", Build(OneTensor({4}, f32x4, static_cast<fb::TensorType>(99)))},
      {"external data past end of file", "p.tflite", WithExternalData(f32x4, 0, 32)},
      {"external offset past end of file", "q.tflite", WithExternalData(f32x4, 1ull << 40)},
      {"external offset and size overflow", "r.tflite", WithExternalData(f32x4, 0, ~uint64_t{0} - 4)},
      {"external size without offset", "s.tflite",
       spec([](ModelSpec& s) { s.buffers[1] = {{}, 0, 24}; })},
      {"inline data and external offset", "t.tflite",
       spec([](ModelSpec& s) { s.buffers[1].offset = 16; s.buffers[1].size = 24; })},
      {"schema version 2", "u.tflite", spec([](ModelSpec& s) { s.version = 2; })},
      {"no subgraphs", "v.tflite", spec([](ModelSpec& s) { s.subgraphs.clear(); })},
      {"scale count differs from channels", "w.tflite",
       spec([](ModelSpec& s) { s.subgraphs[0][2].scale = {1, 2}; s.subgraphs[0][2].zero_point = {0, 0}; })},
      {"zero points differ from scales", "x.tflite", spec([](ModelSpec& s) { s.subgraphs[0][2].zero_point = {0}; })},
      {"quantized dimension out of range", "y.tflite",
       spec([](ModelSpec& s) { s.subgraphs[0][2].quantized_dimension = 2; })},
      {"NaN scale", "z.tflite", spec([](ModelSpec& s) { s.subgraphs[0][4].scale = {NAN}; })},
      {"custom quantization details", "aa.tflite", spec([](ModelSpec& s) { s.subgraphs[0][2].details_type = 1; })},
      {"sparse tensor", "ab.tflite", spec([](ModelSpec& s) { s.subgraphs[0][1].sparse = true; })},
      {"metadata buffer out of range", "ac.tflite", spec([](ModelSpec& s) { s.metadata = {{"m", 1000}}; })},
      {"name with a newline and bad size", "ad.tflite",
       spec([](ModelSpec& s) { s.subgraphs[0][1].name = "evil\nname"; s.subgraphs[0][1].shape = {7}; })},
  };
});

}  // namespace
}  // namespace tp
