// ONNX models are built here with the protobuf API, so every value the
// reader returns is checked against what the test itself put in.
#include <gtest/gtest.h>

#include <onnx/onnx_pb.h>

#include <cstring>
#include <filesystem>

#include "tensorpress/half.h"
#include "tensorpress/model.h"
#include "testing/malformed.h"
#include "testing/test_util.h"

namespace tp {
namespace {

using onnx::TensorProto;

template <typename T>
std::string RawOf(std::initializer_list<T> v) {
  std::string s(v.size() * sizeof(T), '\0');
  std::memcpy(s.data(), std::data(v), s.size());
  return s;
}

TensorProto* AddInit(onnx::GraphProto* g, const std::string& name, int32_t type, std::vector<int64_t> dims) {
  TensorProto* t = g->add_initializer();
  t->set_name(name);
  t->set_data_type(type);
  for (int64_t d : dims) t->add_dims(d);
  return t;
}

onnx::NodeProto* AddConstant(onnx::GraphProto* g, const std::string& output) {
  onnx::NodeProto* n = g->add_node();
  n->set_op_type("Constant");
  n->add_output(output);
  return n;
}

std::vector<uint8_t> Serialize(const onnx::ModelProto& m) {
  std::string s = m.SerializeAsString();
  return {s.begin(), s.end()};
}

onnx::ModelProto BaseModel() {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.set_producer_name("tensorpress-test");
  m.set_producer_version("1.2");
  auto* op = m.add_opset_import();
  op->set_domain("");
  op->set_version(17);
  m.mutable_graph()->set_name("g");
  return m;
}

const Tensor* FindTensor(const Model& m, const std::string& name) {
  for (const Tensor& t : m.tensors)
    if (t.name() == name) return &t;
  return nullptr;
}

std::vector<double> AsDoubles(const Tensor& t) {
  std::vector<double> v(t.elements());
  ElementsAsDouble(t, 0, t.elements(), v.data());
  return v;
}

// A model using every storage form the reader handles.
onnx::ModelProto RichModel() {
  onnx::ModelProto m = BaseModel();
  auto* g = m.mutable_graph();
  AddInit(g, "raw_f32", TensorProto::FLOAT, {2, 3})->set_raw_data(RawOf<float>({1, 2, 3, -4, 5.5f, 6}));
  auto* f = AddInit(g, "typed_f32", TensorProto::FLOAT, {3});
  for (float v : {0.25f, -1.0f, 1e10f}) f->add_float_data(v);
  auto* i64 = AddInit(g, "typed_i64", TensorProto::INT64, {2});
  i64->add_int64_data(INT64_MIN);
  i64->add_int64_data(42);
  auto* d = AddInit(g, "typed_f64", TensorProto::DOUBLE, {1, 2});
  d->add_double_data(3.5);
  d->add_double_data(-1e-300);
  // float16 and bfloat16 keep their bit patterns in int32_data.
  auto* h = AddInit(g, "typed_f16", TensorProto::FLOAT16, {3});
  for (int bits : {0x3C00, 0xC000, 0x3800}) h->add_int32_data(bits);  // 1, -2, 0.5
  auto* bf = AddInit(g, "typed_bf16", TensorProto::BFLOAT16, {2});
  for (int bits : {0x3F80, 0xC040}) bf->add_int32_data(bits);  // 1, -3
  auto* i8 = AddInit(g, "typed_i8", TensorProto::INT8, {3});
  for (int v : {-128, 5, 127}) i8->add_int32_data(v);
  auto* u8 = AddInit(g, "typed_u8", TensorProto::UINT8, {2});
  for (int v : {0, 255}) u8->add_int32_data(v);
  auto* b = AddInit(g, "typed_bool", TensorProto::BOOL, {3});
  for (int v : {1, 0, 1}) b->add_int32_data(v);
  auto* i16 = AddInit(g, "typed_i16", TensorProto::INT16, {2});
  for (int v : {-32768, 300}) i16->add_int32_data(v);
  auto* u32 = AddInit(g, "typed_u32", TensorProto::UINT32, {2});
  for (uint64_t v : {0ull, 4294967295ull}) u32->add_uint64_data(v);
  auto* i32 = AddInit(g, "typed_i32", TensorProto::INT32, {});  // a scalar
  i32->add_int32_data(-7);
  // INT4 (ONNX 22): two elements a byte, first in the low nibble: 1, -1, 7.
  AddInit(g, "raw_i4", 22, {3})->set_raw_data(std::string("\xF1\x07", 2));
  auto* u4 = AddInit(g, "typed_u4", 21, {3});
  u4->add_int32_data(0x2F);  // 15, 2
  u4->add_int32_data(0x09);  // 9

  onnx::NodeProto* c = AddConstant(g, "const_out");
  auto* attr = c->add_attribute();
  attr->set_name("value");
  attr->set_type(onnx::AttributeProto::TENSOR);
  attr->mutable_t()->set_data_type(TensorProto::INT32);
  attr->mutable_t()->add_dims(2);
  attr->mutable_t()->set_raw_data(RawOf<int32_t>({-3, 9}));
  onnx::NodeProto* cf = AddConstant(g, "const_floats");
  auto* fa = cf->add_attribute();
  fa->set_name("value_floats");
  fa->set_type(onnx::AttributeProto::FLOATS);
  fa->add_floats(1.5f);
  fa->add_floats(2.5f);

  // An If node whose then-branch holds a Constant and an initializer of its
  // own, and whose else-branch nests a Loop body with another Constant.
  onnx::NodeProto* iff = g->add_node();
  iff->set_op_type("If");
  iff->add_input("cond");
  iff->add_output("y");
  auto* then_attr = iff->add_attribute();
  then_attr->set_name("then_branch");
  then_attr->set_type(onnx::AttributeProto::GRAPH);
  onnx::GraphProto* then_g = then_attr->mutable_g();
  then_g->set_name("then");
  onnx::NodeProto* tc = AddConstant(then_g, "then_const");
  auto* ta = tc->add_attribute();
  ta->set_name("value");
  ta->set_type(onnx::AttributeProto::TENSOR);
  ta->mutable_t()->set_data_type(TensorProto::FLOAT);
  ta->mutable_t()->add_dims(1);
  ta->mutable_t()->add_float_data(-9.75f);
  AddInit(then_g, "then_init", TensorProto::UINT16, {1})->set_raw_data(RawOf<uint16_t>({65535}));
  auto* else_attr = iff->add_attribute();
  else_attr->set_name("else_branch");
  else_attr->set_type(onnx::AttributeProto::GRAPH);
  onnx::NodeProto* loop = else_attr->mutable_g()->add_node();
  loop->set_op_type("Loop");
  auto* body = loop->add_attribute();
  body->set_name("body");
  body->set_type(onnx::AttributeProto::GRAPH);
  onnx::NodeProto* lc = AddConstant(body->mutable_g(), "loop_const");
  auto* la = lc->add_attribute();
  la->set_name("value_int");
  la->set_type(onnx::AttributeProto::INT);
  la->set_i(12345678901);
  return m;
}

TEST(Onnx, ReadsEveryStorageFormAndValue) {
  testing::TempDir dir;
  std::string path = dir.File("rich.onnx");
  testing::WriteBytes(path, Serialize(RichModel()));
  auto model = ReadModel(path);
  ASSERT_TRUE(model.ok()) << model.status().message();
  EXPECT_EQ(model->format, ModelFormat::kOnnx);
  struct Want {
    std::string name;
    DType dtype;
    Shape shape;
    std::vector<double> values;
  };
  std::vector<Want> want = {
      {"raw_f32", DType::kF32, {2, 3}, {1, 2, 3, -4, 5.5, 6}},
      {"typed_f32", DType::kF32, {3}, {0.25, -1, 1e10}},
      {"typed_i64", DType::kI64, {2}, {static_cast<double>(INT64_MIN), 42}},
      {"typed_f64", DType::kF64, {1, 2}, {3.5, -1e-300}},
      {"typed_f16", DType::kF16, {3}, {1, -2, 0.5}},
      {"typed_bf16", DType::kBF16, {2}, {1, -3}},
      {"typed_i8", DType::kI8, {3}, {-128, 5, 127}},
      {"typed_u8", DType::kU8, {2}, {0, 255}},
      {"typed_bool", DType::kBool, {3}, {1, 0, 1}},
      {"typed_i16", DType::kI16, {2}, {-32768, 300}},
      {"typed_u32", DType::kU32, {2}, {0, 4294967295.0}},
      {"typed_i32", DType::kI32, {}, {-7}},
      {"raw_i4", DType::kI4, {3}, {1, -1, 7}},
      {"typed_u4", DType::kU4, {3}, {15, 2, 9}},
      {"const_out", DType::kI32, {2}, {-3, 9}},
      {"const_floats", DType::kF32, {2}, {1.5, 2.5}},
      {"then_init", DType::kU16, {1}, {65535}},
      {"then_const", DType::kF32, {1}, {-9.75}},
      {"loop_const", DType::kI64, {}, {12345678901.0}},
  };
  EXPECT_EQ(model->tensors.size(), want.size());
  for (const Want& w : want) {
    SCOPED_TRACE(w.name);
    const Tensor* t = FindTensor(*model, w.name);
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->dtype(), w.dtype);
    EXPECT_EQ(t->shape(), w.shape);
    EXPECT_EQ(AsDoubles(*t), w.values);
  }
  Metadata expected = {{"ir_version", "8"},   {"producer_name", "tensorpress-test"},
                       {"producer_version", "1.2"}, {"opset.ai.onnx", "17"},
                       {"graph.name", "g"}};
  EXPECT_EQ(model->metadata, expected);
}

// Writes a model whose tensor "ext" ([2, 2] f32) lives in `side` at `offset`.
std::string WriteExternalModel(const testing::TempDir& dir, const std::string& location, uint64_t offset,
                               std::optional<uint64_t> length = std::nullopt) {
  onnx::ModelProto m = BaseModel();
  auto* t = AddInit(m.mutable_graph(), "ext", TensorProto::FLOAT, {2, 2});
  t->set_data_location(TensorProto::EXTERNAL);
  auto* kv = t->add_external_data();
  kv->set_key("location");
  kv->set_value(location);
  kv = t->add_external_data();
  kv->set_key("offset");
  kv->set_value(std::to_string(offset));
  if (length) {
    kv = t->add_external_data();
    kv->set_key("length");
    kv->set_value(std::to_string(*length));
  }
  AddInit(m.mutable_graph(), "inline", TensorProto::FLOAT, {1})->add_float_data(7);
  std::string path = dir.File("ext.onnx");
  testing::WriteBytes(path, Serialize(m));
  return path;
}

TEST(Onnx, ReadsExternalDataFromASideFile) {
  testing::TempDir dir;
  std::filesystem::create_directories(dir.File("data"));
  // 8 bytes before the tensor, 5 trailing bytes after it.
  std::vector<uint8_t> side(8 + 16 + 5, 0xEE);
  float vals[4] = {1.25f, -2.5f, 1e-3f, 4096.0f};
  std::memcpy(side.data() + 8, vals, 16);
  testing::WriteBytes(dir.File("data/weights.bin"), side);
  std::string path = WriteExternalModel(dir, "data/weights.bin", 8, 16);
  auto model = ReadModel(path);
  ASSERT_TRUE(model.ok()) << model.status().message();
  const Tensor* t = FindTensor(*model, "ext");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->shape(), (Shape{2, 2}));
  EXPECT_EQ(AsDoubles(*t), (std::vector<double>{1.25, -2.5, double(1e-3f), 4096}));
  EXPECT_EQ(AsDoubles(*FindTensor(*model, "inline")), std::vector<double>{7});

  // Fuzzing turns external data off.
  ReadOptions no_external;
  no_external.allow_external_data = false;
  auto refused = ReadModel(path, no_external);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kUnsupported);

  // A declared length that disagrees with the shape, and a missing file.
  auto wrong_len = ReadModel(WriteExternalModel(dir, "data/weights.bin", 8, 12));
  EXPECT_EQ(wrong_len.status().code(), StatusCode::kCorruptData);
  auto missing = ReadModel(WriteExternalModel(dir, "data/nothing.bin", 0));
  EXPECT_EQ(missing.status().code(), StatusCode::kCorruptData);
  EXPECT_NE(missing.status().message().find("nothing.bin"), std::string::npos);
  for (std::string escape : {"../weights.bin", "/etc/passwd", "data/../../x.bin", "data\\..\\..\\x"}) {
    auto r = ReadModel(WriteExternalModel(dir, escape, 0));
    EXPECT_EQ(r.status().code(), StatusCode::kCorruptData) << escape;
  }
}

// src/io/testdata/onnx_reference was written by the `onnx` package (see
// make_reference.py): ext.X lives in model.onnx.data, inline.X holds the same
// values as onnx.helper encodes them in the typed fields.
TEST(Onnx, ReadsTheOnnxPackagesReferenceModel) {
  auto model = ReadModel(testing::SourceDir() + "/src/io/testdata/onnx_reference/model.onnx");
  ASSERT_TRUE(model.ok()) << model.status().message();
  EXPECT_EQ(model->tensors.size(), 9u);
  std::vector<double> f32;
  for (int i = 0; i < 12; ++i) f32.push_back(i * 0.5 - 3);
  struct Want {
    std::string name;
    DType dtype;
    Shape shape;
    std::vector<double> values;
  };
  std::vector<Want> want = {
      {"f32", DType::kF32, {3, 4}, f32},
      {"f16", DType::kF16, {5}, {1, -2, 0.5, 65504, -0.25}},
      {"i64", DType::kI64, {2, 2}, {-1099511627776.0, 3, 0, 4611686018427387904.0}},
  };
  for (const Want& w : want) {
    for (std::string prefix : {"ext.", "inline."}) {
      SCOPED_TRACE(prefix + w.name);
      const Tensor* t = FindTensor(*model, prefix + w.name);
      ASSERT_NE(t, nullptr);
      EXPECT_EQ(t->dtype(), w.dtype);
      EXPECT_EQ(t->shape(), w.shape);
      EXPECT_EQ(AsDoubles(*t), w.values);
    }
  }
  const Tensor* bf16 = FindTensor(*model, "inline.bf16");
  ASSERT_NE(bf16, nullptr);
  EXPECT_EQ(AsDoubles(*bf16), (std::vector<double>{1, -2.5, 0.15625, 256}));
  const Tensor* i4 = FindTensor(*model, "inline.i4");
  ASSERT_NE(i4, nullptr);
  EXPECT_EQ(i4->dtype(), DType::kI4);
  EXPECT_EQ(AsDoubles(*i4), (std::vector<double>{1, -2, 7, -8, 3}));
  const Tensor* c = FindTensor(*model, "const.out");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(AsDoubles(*c), (std::vector<double>{2.5, -1}));
  Metadata expected = {{"ir_version", "10"}, {"producer_name", "onnx-reference"},
                       {"opset.ai.onnx", "21"}, {"graph.name", "reference"}};
  EXPECT_EQ(model->metadata, expected);
}

TEST(Onnx, UnsupportedTypesAreNamed) {
  onnx::ModelProto m = BaseModel();
  auto* t = AddInit(m.mutable_graph(), "vocab", TensorProto::STRING, {1});
  t->add_string_data("hello");
  testing::TempDir dir;
  testing::WriteBytes(dir.File("s.onnx"), Serialize(m));
  auto model = ReadModel(dir.File("s.onnx"));
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(model.status().message().find("vocab"), std::string::npos) << model.status().message();
  EXPECT_NE(model.status().message().find("STRING"), std::string::npos) << model.status().message();
}

TEST(Onnx, DetectedByContentWithoutTheExtension) {
  testing::TempDir dir;
  testing::WriteBytes(dir.File("model.pb"), Serialize(RichModel()));
  auto model = ReadModel(dir.File("model.pb"));
  ASSERT_TRUE(model.ok()) << model.status().message();
  EXPECT_EQ(model->format, ModelFormat::kOnnx);
}

TEST(Onnx, InspectCliReadsABuiltModel) {
  testing::TempDir dir;
  std::string path = dir.File("cli.onnx");
  testing::WriteBytes(path, Serialize(RichModel()));
  auto r = testing::RunCli("inspect '" + path + "'", dir);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("(onnx, 19 tensors)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("then_const"), std::string::npos) << r.out;
  auto j = testing::RunCli("inspect --json --tensor 'raw_*' '" + path + "'", dir);
  EXPECT_EQ(j.exit_code, 0) << j.err;
  EXPECT_NE(j.out.find("\"producer_name\": \"tensorpress-test\""), std::string::npos) << j.out;
  EXPECT_NE(j.out.find("\"name\": \"raw_i4\""), std::string::npos) << j.out;
}

// Regenerates the fuzz seeds (run once by hand:
// tensorpress_tests --gtest_also_run_disabled_tests --gtest_filter='*WriteFuzzSeeds*').
TEST(Onnx, DISABLED_WriteFuzzSeeds) {
  std::string dir = testing::SourceDir() + "/fuzz/corpus/fuzz_onnx";
  std::filesystem::create_directories(dir);
  testing::WriteBytes(dir + "/rich", Serialize(RichModel()));
  onnx::ModelProto m = BaseModel();
  AddInit(m.mutable_graph(), "w", TensorProto::FLOAT16, {2, 2})->set_raw_data(RawOf<uint16_t>({1, 2, 3, 4}));
  testing::WriteBytes(dir + "/raw_f16", Serialize(m));
}

testing::MalformedRegistrar kOnnxCases("onnx", [] {
  using testing::MalformedCase;
  auto one = [](int32_t type, std::vector<int64_t> dims, const std::string& raw) {
    onnx::ModelProto m = BaseModel();
    AddInit(m.mutable_graph(), "t", type, dims)->set_raw_data(raw);
    return Serialize(m);
  };
  auto external = [](const std::string& location, uint64_t offset) {
    onnx::ModelProto m = BaseModel();
    auto* t = AddInit(m.mutable_graph(), "t", TensorProto::FLOAT, {4});
    t->set_data_location(TensorProto::EXTERNAL);
    auto* kv = t->add_external_data();
    kv->set_key("location");
    kv->set_value(location);
    kv = t->add_external_data();
    kv->set_key("offset");
    kv->set_value(std::to_string(offset));
    return Serialize(m);
  };
  auto nested = [] {
    onnx::ModelProto m = BaseModel();
    onnx::GraphProto* g = m.mutable_graph();
    for (int i = 0; i < 20; ++i) {
      auto* a = g->add_node()->add_attribute();
      a->set_name("body");
      a->set_type(onnx::AttributeProto::GRAPH);
      g = a->mutable_g();
    }
    return Serialize(m);
  };
  auto typed_out_of_range = [] {
    onnx::ModelProto m = BaseModel();
    AddInit(m.mutable_graph(), "t", TensorProto::INT8, {1})->add_int32_data(300);
    return Serialize(m);
  };
  auto typed_count = [] {
    onnx::ModelProto m = BaseModel();
    AddInit(m.mutable_graph(), "t", TensorProto::FLOAT, {3})->add_float_data(1);
    return Serialize(m);
  };
  std::string text = "this is not a protobuf";
  return std::vector<MalformedCase>{
      {"garbage protobuf", "a.onnx", std::vector<uint8_t>(text.begin(), text.end())},
      {"raw_data size mismatch", "b.onnx", one(TensorProto::FLOAT, {3}, std::string(8, '\0'))},
      {"negative dimension", "c.onnx", one(TensorProto::FLOAT, {-2}, std::string(8, '\0'))},
      {"external data escaping the folder", "d.onnx", external("../d.onnx", 0)},
      // The model file itself serves as the side file, read past its end.
      {"external data past the side file's end", "e.onnx", external("e.onnx", 1 << 20)},
      {"unknown data type", "f.onnx", one(999, {1}, std::string(4, '\0'))},
      {"undefined data type", "g.onnx", one(0, {1}, std::string(4, '\0'))},
      {"element count overflows", "h.onnx", one(TensorProto::FLOAT, {1ll << 32, 1ll << 32}, "")},
      {"no graph", "i.onnx", [] { onnx::ModelProto m; m.set_ir_version(8); return Serialize(m); }()},
      {"subgraphs nested too deep", "j.onnx", nested()},
      {"typed value out of range", "k.onnx", typed_out_of_range()},
      {"typed value count mismatch", "l.onnx", typed_count()},
      {"truncated protobuf", "m.onnx", [] { auto b = Serialize(RichModel()); b.resize(b.size() / 2); return b; }()},
      {"external data with absolute path", "n.onnx", external("/dev/zero", 0)},
  };
});

}  // namespace
}  // namespace tp
