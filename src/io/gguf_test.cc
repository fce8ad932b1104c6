#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "tensorpress/half.h"
#include "tensorpress/model.h"
#include "testing/malformed.h"
#include "testing/test_util.h"

namespace tp {
namespace {

// Builds GGUF bytes by hand, independently of WriteGguf, so the reader is
// checked against the format itself rather than against our own writer.
class GgufBytes {
 public:
  GgufBytes(uint32_t version, uint64_t tensors, uint64_t kvs) : b_{'G', 'G', 'U', 'F'} {
    Put(version);
    Put(tensors);
    Put(kvs);
  }
  template <typename T>
  GgufBytes& Put(T v) {
    const auto* p = reinterpret_cast<const uint8_t*>(&v);
    b_.insert(b_.end(), p, p + sizeof(T));
    return *this;
  }
  GgufBytes& Raw(std::string_view s) {
    b_.insert(b_.end(), s.begin(), s.end());
    return *this;
  }
  GgufBytes& Str(std::string_view s) { return Put<uint64_t>(s.size()).Raw(s); }
  GgufBytes& KvString(std::string_view k, std::string_view v) { return Str(k).Put<uint32_t>(8).Str(v); }
  GgufBytes& KvU32(std::string_view k, uint32_t v) { return Str(k).Put<uint32_t>(4).Put(v); }
  GgufBytes& Info(std::string_view name, std::vector<uint64_t> ne, uint32_t type, uint64_t offset) {
    Str(name).Put<uint32_t>(static_cast<uint32_t>(ne.size()));
    for (uint64_t d : ne) Put(d);
    return Put(type).Put(offset);
  }
  GgufBytes& Pad(size_t alignment) {
    b_.resize((b_.size() + alignment - 1) / alignment * alignment, 0);
    return *this;
  }
  GgufBytes& Bytes(const std::vector<uint8_t>& v) {
    b_.insert(b_.end(), v.begin(), v.end());
    return *this;
  }
  template <typename T>
  GgufBytes& Values(std::initializer_list<T> v) {
    for (T x : v) Put(x);
    return *this;
  }
  size_t size() const { return b_.size(); }
  std::vector<uint8_t> Done() const { return b_; }

 private:
  std::vector<uint8_t> b_;
};

StatusOr<Model> ReadBytes(const std::vector<uint8_t>& bytes, const std::string& name = "t.gguf") {
  testing::TempDir dir;
  testing::WriteBytes(dir.File(name), bytes);
  return ReadModel(dir.File(name));
}

std::vector<float> ValuesOf(const Tensor& t) {
  auto f = ToF32(t);
  EXPECT_TRUE(f.ok());
  auto v = f->values<float>();
  return {v.begin(), v.end()};
}

const std::string* Find(const Metadata& m, const std::string& key) {
  for (const auto& [k, v] : m)
    if (k == key) return &v;
  return nullptr;
}

TEST(Gguf, ShapeIsReversedIntoRowMajorOrder) {
  // ne = {4, 2}: rows of 4 floats, 2 rows. Row-major shape [2, 4]; the
  // element at [1][0] is the fifth value in the file.
  auto bytes = GgufBytes(3, 1, 1)
                   .KvString("general.architecture", "test")
                   .Info("m", {4, 2}, 0, 0)
                   .Pad(32)
                   .Values<float>({0, 1, 2, 3, 40, 50, 60, 70})
                   .Done();
  auto model = ReadBytes(bytes);
  ASSERT_TRUE(model.ok()) << model.status().message();
  EXPECT_EQ(model->format, ModelFormat::kGguf);
  ASSERT_EQ(model->tensors.size(), 1u);
  const Tensor& m = model->tensors[0];
  EXPECT_EQ(m.shape(), (Shape{2, 4}));
  EXPECT_EQ(m.dtype(), DType::kF32);
  EXPECT_EQ(m.values<float>()[1 * 4 + 0], 40.0f);
  ASSERT_NE(Find(model->metadata, "general.architecture"), nullptr);
  EXPECT_EQ(*Find(model->metadata, "general.architecture"), "test");
}

TEST(Gguf, VersionTwoIsRead) {
  auto bytes = GgufBytes(2, 1, 0).Info("v", {3}, 26, 0).Pad(32).Values<int32_t>({-1, 0, 7}).Done();
  auto model = ReadBytes(bytes);
  ASSERT_TRUE(model.ok()) << model.status().message();
  EXPECT_EQ(model->tensors[0].dtype(), DType::kI32);
  EXPECT_EQ(model->tensors[0].values<int32_t>()[0], -1);
  EXPECT_EQ(model->tensors[0].values<int32_t>()[2], 7);
}

// Golden blocks built from ggml's definitions (block_q8_0: f16 d, 32 x i8;
// block_q4_0: f16 d, 16 bytes, element j < 16 in the low nibble of qs[j] and
// element j + 16 in its high nibble, value d * (nibble - 8); block_q4_1:
// f16 d, f16 m, nibbles as Q4_0, value d * nibble + m). Expected values are
// worked out by hand below.
TEST(Gguf, DequantizesGoldenQ8_0Q4_0AndQ4_1Blocks) {
  std::vector<uint8_t> q8 = {0x00, 0x34};  // d = 0.25 (f16 0x3400)
  for (int j = 0; j < 32; ++j) q8.push_back(static_cast<uint8_t>(static_cast<int8_t>(j - 16)));
  std::vector<uint8_t> q4 = {0x00, 0x38};  // d = 0.5 (f16 0x3800)
  for (int k = 0; k < 16; ++k) q4.push_back(static_cast<uint8_t>(k | (15 - k) << 4));
  std::vector<uint8_t> q41 = {0x00, 0x40, 0x00, 0xBC};  // d = 2.0, m = -1.0
  for (int k = 0; k < 16; ++k) q41.push_back(static_cast<uint8_t>(k | (k ^ 15) << 4));
  ASSERT_EQ(q8.size(), 34u);
  ASSERT_EQ(q4.size(), 18u);
  ASSERT_EQ(q41.size(), 20u);

  auto bytes = GgufBytes(3, 3, 0)
                   .Info("q8", {32}, 8, 0)
                   .Info("q4", {32}, 2, 64)
                   .Info("q41", {32}, 3, 96)
                   .Pad(32)
                   .Bytes(q8)
                   .Pad(32)
                   .Bytes(q4)
                   .Pad(32)
                   .Bytes(q41)
                   .Done();
  auto model = ReadBytes(bytes);
  ASSERT_TRUE(model.ok()) << model.status().message();
  ASSERT_EQ(model->tensors.size(), 3u);

  // Q8_0: 0.25 * (j - 16) -> -4.0, -3.75, ..., 3.75.
  std::vector<float> q8_expected = {-4.0f, -3.75f, -3.5f, -3.25f, -3.0f, -2.75f, -2.5f, -2.25f,
                                    -2.0f, -1.75f, -1.5f, -1.25f, -1.0f, -0.75f, -0.5f, -0.25f,
                                    0.0f,  0.25f,  0.5f,  0.75f,  1.0f,  1.25f,  1.5f,  1.75f,
                                    2.0f,  2.25f,  2.5f,  2.75f,  3.0f,  3.25f,  3.5f,  3.75f};
  EXPECT_EQ(model->tensors[0].dtype(), DType::kQ8_0);
  EXPECT_EQ(ValuesOf(model->tensors[0]), q8_expected);

  // Q4_0: low nibbles 0..15 -> 0.5 * (k - 8); high nibbles 15..0 -> 0.5 * (7 - k).
  std::vector<float> q4_expected = {-4.0f, -3.5f, -3.0f, -2.5f, -2.0f, -1.5f, -1.0f, -0.5f,
                                    0.0f,  0.5f,  1.0f,  1.5f,  2.0f,  2.5f,  3.0f,  3.5f,
                                    3.5f,  3.0f,  2.5f,  2.0f,  1.5f,  1.0f,  0.5f,  0.0f,
                                    -0.5f, -1.0f, -1.5f, -2.0f, -2.5f, -3.0f, -3.5f, -4.0f};
  EXPECT_EQ(model->tensors[1].dtype(), DType::kQ4_0);
  EXPECT_EQ(ValuesOf(model->tensors[1]), q4_expected);

  // Q4_1: low nibble k -> 2k - 1; high nibble 15 - k -> 29 - 2k.
  std::vector<float> q41_expected = {-1, 1,  3,  5,  7,  9,  11, 13, 15, 17, 19, 21, 23, 25, 27, 29,
                                     29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9,  7,  5,  3,  1,  -1};
  EXPECT_EQ(model->tensors[2].dtype(), DType::kQ4_1);
  EXPECT_EQ(ValuesOf(model->tensors[2]), q41_expected);

  // Element access that starts inside a block.
  double mid[3];
  ElementsAsDouble(model->tensors[1], 15, 3, mid);
  EXPECT_EQ(mid[0], 3.5);
  EXPECT_EQ(mid[1], 3.5);
  EXPECT_EQ(mid[2], 3.0);
}

// src/io/testdata/gguf_reference.gguf was written by llama.cpp's own `gguf`
// Python package (see make_reference.py there), which also stored its own
// dequantization of each quantized tensor X as X.ref: the reader must match
// ggml's reference bit for bit.
TEST(Gguf, ReadsTheGgufPackagesReferenceFile) {
  auto model = ReadModel(testing::SourceDir() + "/src/io/testdata/gguf_reference.gguf");
  ASSERT_TRUE(model.ok()) << model.status().message();
  ASSERT_EQ(model->tensors.size(), 11u);
  auto get = [&](const std::string& name) -> const Tensor& {
    for (const Tensor& t : model->tensors)
      if (t.name() == name) return t;
    ADD_FAILURE() << "no tensor " << name;
    return model->tensors[0];
  };
  // numpy (3, 8) was stored as ne = {8, 3} and reads back as [3, 8].
  const Tensor& f32 = get("w.f32");
  EXPECT_EQ(f32.shape(), (Shape{3, 8}));
  for (int i = 0; i < 24; ++i) EXPECT_EQ(f32.values<float>()[i], i * 0.25f - 3) << i;
  EXPECT_EQ(get("w.f16").shape(), (Shape{2, 4}));
  EXPECT_EQ(ValuesOf(get("w.f16")), (std::vector<float>{1, -2, 0.5f, 65504, 0, -0.25f, 3, 7}));
  EXPECT_EQ(get("w.i32").shape(), (Shape{1, 3}));
  EXPECT_EQ(ValuesOf(get("w.i32")), (std::vector<float>{-5, 0, 7}));
  for (std::string q : {"w.q8_0", "w.q4_0", "w.q4_1", "w.bf16"}) {
    SCOPED_TRACE(q);
    const Tensor& t = get(q);
    const Tensor& ref = get(q + ".ref");
    EXPECT_EQ(t.shape(), (Shape{2, 64}));
    EXPECT_EQ(ref.shape(), (Shape{2, 64}));
    auto got = ValuesOf(t);
    auto want = ref.values<float>();
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], want[i]) << "element " << i;
  }
  EXPECT_EQ(get("w.q8_0").dtype(), DType::kQ8_0);
  EXPECT_EQ(get("w.q4_0").dtype(), DType::kQ4_0);
  EXPECT_EQ(get("w.q4_1").dtype(), DType::kQ4_1);
  EXPECT_EQ(get("w.bf16").dtype(), DType::kBF16);
  Metadata expected = {{"general.architecture", "llama"},
                       {"general.name", "tensorpress reference"},
                       {"llama.block_count", "2"},
                       {"llama.rope.freq_base", "10000"},
                       {"flag", "true"},
                       {"small", "[1, 2, 3]"},
                       {"tokenizer.ggml.tokens", "[array of 20 string]"}};
  EXPECT_EQ(model->metadata, expected);
}

TEST(Gguf, RendersEveryValueTypeAsText) {
  GgufBytes g(3, 0, 10);
  g.Str("tenth").Put<uint32_t>(6).Put<float>(0.1f);  // shortest round-trip text
  g.Str("u8").Put<uint32_t>(0).Put<uint8_t>(200);
  g.Str("i16").Put<uint32_t>(3).Put<int16_t>(-300);
  g.Str("f32").Put<uint32_t>(6).Put<float>(0.5f);
  g.Str("flag").Put<uint32_t>(7).Put<uint8_t>(1);
  g.Str("i64").Put<uint32_t>(11).Put<int64_t>(-5000000000);
  g.Str("f64").Put<uint32_t>(12).Put<double>(-2.25);
  g.Str("names").Put<uint32_t>(9).Put<uint32_t>(8).Put<uint64_t>(2).Str("a").Str("b\"c");
  g.Str("nested").Put<uint32_t>(9).Put<uint32_t>(9).Put<uint64_t>(2);
  g.Put<uint32_t>(4).Put<uint64_t>(1).Put<uint32_t>(7);
  g.Put<uint32_t>(4).Put<uint64_t>(2).Put<uint32_t>(8).Put<uint32_t>(9);
  g.Str("tokens").Put<uint32_t>(9).Put<uint32_t>(8).Put<uint64_t>(20);
  for (int i = 0; i < 20; ++i) g.Str("tok" + std::to_string(i));
  auto model = ReadBytes(g.Done());
  ASSERT_TRUE(model.ok()) << model.status().message();
  EXPECT_TRUE(model->tensors.empty());
  Metadata expected = {{"tenth", "0.1"},        {"u8", "200"},          {"i16", "-300"},         {"f32", "0.5"},
                       {"flag", "true"},       {"i64", "-5000000000"},  {"f64", "-2.25"},
                       {"names", R"(["a", "b\"c"])"}, {"nested", "[[7], [8, 9]]"},
                       {"tokens", "[array of 20 string]"}};
  EXPECT_EQ(model->metadata, expected);
}

// A type tensorpress does not know (a future ggml type, or removed Q4_2 = 4)
// is kept as its raw bytes, up to the next tensor or the end of the data,
// with a warning naming it; the rest of the file reads normally.
TEST(Gguf, UnknownGgmlTypeIsKeptAsOpaqueBytesWithAWarning) {
  auto bytes = GgufBytes(3, 3, 0)
                   .Info("blk.0.future", {64}, 77, 0)
                   .Info("blk.0.old", {32}, 4, 64)
                   .Info("w", {2}, 0, 96)
                   .Pad(32)
                   .Bytes(std::vector<uint8_t>(64, 0xA5))
                   .Bytes(std::vector<uint8_t>(32, 0x5A))
                   .Values<float>({1.5f, -2.0f})
                   .Done();
  auto model = ReadBytes(bytes);
  ASSERT_TRUE(model.ok()) << model.status().message();
  ASSERT_EQ(model->tensors.size(), 3u);
  const Tensor& future = model->tensors[0];
  EXPECT_EQ(future.dtype(), DType::kU8);
  EXPECT_EQ(future.shape(), (Shape{64}));
  EXPECT_EQ(future.bytes()[0], 0xA5);
  const Tensor& old = model->tensors[1];
  EXPECT_EQ(old.shape(), (Shape{32}));
  EXPECT_EQ(old.bytes()[31], 0x5A);
  EXPECT_EQ(model->tensors[2].values<float>()[1], -2.0f);
  ASSERT_EQ(model->warnings.size(), 2u);
  EXPECT_NE(model->warnings[0].find("blk.0.future"), std::string::npos) << model->warnings[0];
  EXPECT_NE(model->warnings[0].find("id 77"), std::string::npos) << model->warnings[0];
  EXPECT_NE(model->warnings[1].find("Q4_2 (4)"), std::string::npos) << model->warnings[1];
}

// every_type.gguf was written by the gguf package (scripts/gguf-vectors):
// one [2, n/2] tensor per block type holding the first 24 blocks of
// testdata/ggml_dequant/<type>.bin. Each reads as a zero-copy view of the
// file and dequantizes to the package's own values, bit for bit.
TEST(Gguf, ReadsEveryGgmlTypeWrittenByTheGgufPackage) {
  const std::string dir = testing::SourceDir() + "/src/io/testdata/ggml_dequant/";
  auto model = ReadModel(dir + "every_type.gguf");
  ASSERT_TRUE(model.ok()) << model.status().message();
  EXPECT_TRUE(model->warnings.empty());
  const std::vector<uint8_t> file = testing::ReadBytes(dir + "every_type.gguf");
  ASSERT_EQ(model->tensors.size(), 23u);
  for (const Tensor& t : model->tensors) {
    SCOPED_TRACE(t.name());
    ASSERT_EQ(std::string(DTypeName(t.dtype())), t.name());
    const DTypeTraits& traits = Traits(t.dtype());
    const std::vector<uint8_t> vec = testing::ReadBytes(dir + t.name() + ".bin");
    const uint64_t blocks = 24, raw = blocks * traits.block_bytes;
    ASSERT_GE(vec.size(), 16 + raw);
    EXPECT_EQ(t.shape(), (Shape{2, static_cast<int64_t>(blocks / 2 * traits.block_elements)}));
    ASSERT_EQ(t.nbytes(), raw);
    EXPECT_TRUE(std::equal(t.bytes().begin(), t.bytes().end(), vec.begin() + 16));
    // Zero-copy: the bytes are the file's own bytes at the same offset.
    auto at = std::search(file.begin(), file.end(), t.bytes().begin(), t.bytes().end());
    ASSERT_NE(at, file.end());
    auto f32 = ToF32(t);
    ASSERT_TRUE(f32.ok());
    uint32_t block_count = 0;
    std::memcpy(&block_count, vec.data() + 8, 4);
    const uint8_t* want = vec.data() + 16 + uint64_t{block_count} * traits.block_bytes;
    ASSERT_EQ(std::memcmp(f32->bytes().data(), want, t.elements() * 4), 0);
  }
}

std::vector<Tensor> EveryWritableDtype() {
  std::vector<float> f = {1.5f, -2.0f, 0.0f, 3.25f, 7.0f, 8.0f};
  std::vector<uint16_t> h = {FloatToHalf(1.0f), FloatToHalf(-0.5f), FloatToHalf(65504.0f), 0};
  std::vector<uint16_t> bf = {FloatToBf16(1.0f), FloatToBf16(-3.0f)};
  std::vector<double> d = {1e300, -0.1};
  std::vector<int8_t> i8 = {-128, 0, 127};
  std::vector<int16_t> i16 = {-32768, 32767};
  std::vector<int32_t> i32 = {INT32_MIN, 5, INT32_MAX};
  std::vector<int64_t> i64 = {INT64_MIN, INT64_MAX};
  std::vector<uint8_t> q8(2 * 34), q4(3 * 18), q41(2 * 20);
  for (size_t i = 0; i < q8.size(); ++i) q8[i] = static_cast<uint8_t>(i * 7);
  for (size_t i = 0; i < q4.size(); ++i) q4[i] = static_cast<uint8_t>(i * 11);
  for (size_t i = 0; i < q41.size(); ++i) q41[i] = static_cast<uint8_t>(i * 13);
  return {*Tensor::FromValues<float>("f32", DType::kF32, {2, 3}, f),
          *Tensor::FromValues<uint16_t>("f16", DType::kF16, {2, 2}, h),
          *Tensor::FromValues<uint16_t>("bf16", DType::kBF16, {2}, bf),
          *Tensor::FromValues<double>("f64", DType::kF64, {2, 1}, d),
          *Tensor::FromValues<int8_t>("i8", DType::kI8, {3}, i8),
          *Tensor::FromValues<int16_t>("i16", DType::kI16, {1, 2}, i16),
          *Tensor::FromValues<int32_t>("i32", DType::kI32, {3}, i32),
          *Tensor::FromValues<int64_t>("i64", DType::kI64, {1, 1, 2}, i64),
          *Tensor::FromBytes("q8", DType::kQ8_0, {2, 32}, q8),
          *Tensor::FromBytes("q4", DType::kQ4_0, {1, 3, 32}, q4),
          *Tensor::FromBytes("q41", DType::kQ4_1, {64}, q41)};
}

// The writer takes every block type; each reads back with the same bytes.
TEST(Gguf, WriterRoundTripsEveryBlockType) {
  std::vector<Tensor> tensors;
  for (int i = 0; i < kNumDTypes; ++i) {
    const DTypeTraits& t = Traits(static_cast<DType>(i));
    if (!t.is_quantized_block) continue;
    std::vector<uint8_t> blocks(2 * t.block_bytes);
    for (size_t k = 0; k < blocks.size(); ++k) blocks[k] = static_cast<uint8_t>(k * 29 + i);
    tensors.push_back(*Tensor::FromBytes(std::string(t.name), t.dtype, {2, t.block_elements}, blocks));
  }
  ASSERT_EQ(tensors.size(), 24u);
  testing::TempDir dir;
  ASSERT_TRUE(WriteGguf(dir.File("b.gguf"), tensors, {}).ok());
  auto model = ReadModel(dir.File("b.gguf"));
  ASSERT_TRUE(model.ok()) << model.status().message();
  EXPECT_TRUE(model->warnings.empty());
  ASSERT_EQ(model->tensors.size(), tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    EXPECT_EQ(model->tensors[i].dtype(), tensors[i].dtype());
    EXPECT_EQ(model->tensors[i].shape(), tensors[i].shape());
    EXPECT_TRUE(std::equal(model->tensors[i].bytes().begin(), model->tensors[i].bytes().end(),
                           tensors[i].bytes().begin(), tensors[i].bytes().end()))
        << tensors[i].name();
  }
}

void ExpectSameTensors(const std::vector<Tensor>& got, const std::vector<Tensor>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE(want[i].name());
    EXPECT_EQ(got[i].name(), want[i].name());
    EXPECT_EQ(got[i].dtype(), want[i].dtype());
    EXPECT_EQ(got[i].shape(), want[i].shape());
    EXPECT_TRUE(std::equal(got[i].bytes().begin(), got[i].bytes().end(), want[i].bytes().begin(),
                           want[i].bytes().end()));
  }
}

TEST(Gguf, WriterRoundTripsEveryDtype) {
  testing::TempDir dir;
  auto tensors = EveryWritableDtype();
  Metadata meta = {{"general.architecture", "llama"}, {"general.name", "tiny \"test\""}};
  std::string path = dir.File("x.gguf");
  auto st = WriteGguf(path, tensors, meta);
  ASSERT_TRUE(st.ok()) << st.message();
  auto model = ReadModel(path);
  ASSERT_TRUE(model.ok()) << model.status().message();
  ExpectSameTensors(model->tensors, tensors);
  EXPECT_EQ(model->metadata, meta);
  // The writer stores ne[0] = the last (row) dimension: the first info's
  // dims follow its name "f32" right after the two string kvs.
  auto raw = testing::ReadBytes(path);
  size_t at = 24;
  for (const auto& [k, v] : meta) at += 8 + k.size() + 4 + 8 + v.size();
  at += 8 + 3;  // name
  uint32_t n_dims;
  uint64_t ne[2];
  std::memcpy(&n_dims, raw.data() + at, 4);
  std::memcpy(ne, raw.data() + at + 4, 16);
  EXPECT_EQ(n_dims, 2u);
  EXPECT_EQ(ne[0], 3u);
  EXPECT_EQ(ne[1], 2u);
}

TEST(Gguf, WriterHonoursNonDefaultAlignment) {
  testing::TempDir dir;
  auto tensors = EveryWritableDtype();
  Metadata meta = {{"general.alignment", "256"}, {"k", "v"}};
  std::string path = dir.File("aligned.gguf");
  ASSERT_TRUE(WriteGguf(path, tensors, meta).ok());
  auto model = ReadModel(path);
  ASSERT_TRUE(model.ok()) << model.status().message();
  ExpectSameTensors(model->tensors, tensors);
  EXPECT_EQ(*Find(model->metadata, "general.alignment"), "256");
  // Every tensor starts 256-aligned relative to the first one (the data
  // section start), and the file is a whole number of 256-byte units.
  const uint8_t* base = model->tensors[0].bytes().data();
  for (const Tensor& t : model->tensors) EXPECT_EQ((t.bytes().data() - base) % 256, 0) << t.name();
  EXPECT_EQ(std::filesystem::file_size(path) % 256, 0u);
  // The alignment is stored as a uint32 (type 4) as ggml expects.
  auto raw = testing::ReadBytes(path);
  uint32_t type;
  std::memcpy(&type, raw.data() + 24 + 8 + std::strlen("general.alignment"), 4);
  EXPECT_EQ(type, 4u);
}

TEST(Gguf, ReaderUsesAlignmentFromTheFile) {
  // Infos end at byte 94: the data section starts at 128 under alignment
  // 64 but would start at 96 under the default 32.
  auto g = GgufBytes(3, 1, 1).KvU32("general.alignment", 64);
  g.Info("short", {2}, 0, 0);
  size_t infos_end = g.size();
  ASSERT_EQ(infos_end, 94u);
  g.Put<float>(-1.0f).Put<float>(-1.0f);  // where a 32-aligning reader would look
  g.Pad(64).Values<float>({3.0f, 4.0f});
  auto model = ReadBytes(g.Done());
  ASSERT_TRUE(model.ok()) << model.status().message();
  EXPECT_EQ(model->tensors[0].values<float>()[0], 3.0f);
  EXPECT_EQ(model->tensors[0].values<float>()[1], 4.0f);
}

TEST(Gguf, WriterRejectsWhatGgufCannotHold) {
  testing::TempDir dir;
  std::vector<uint8_t> u8 = {1, 2};
  std::vector<float> five(32 * 5, 1.0f);
  std::vector<uint8_t> q4(18 * 2);
  std::vector<Tensor> bad_dtype = {*Tensor::FromBytes("u", DType::kU8, {2}, u8)};
  std::vector<Tensor> bad_rank = {*Tensor::FromValues<float>("r", DType::kF32, {1, 1, 2, 4, 5, 4}, five)};
  std::vector<Tensor> bad_rows = {*Tensor::FromBytes("q", DType::kQ4_0, {32, 2}, q4)};
  EXPECT_EQ(WriteGguf(dir.File("a.gguf"), bad_dtype, {}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(WriteGguf(dir.File("b.gguf"), bad_rank, {}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(WriteGguf(dir.File("c.gguf"), bad_rows, {}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(WriteGguf(dir.File("d.gguf"), {}, {{"general.alignment", "48"}}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_FALSE(std::filesystem::exists(dir.File("a.gguf")));
}

TEST(Gguf, InspectCliReadsAWrittenFile) {
  testing::TempDir dir;
  auto tensors = EveryWritableDtype();
  std::string path = dir.File("cli.gguf");
  ASSERT_TRUE(WriteGguf(path, tensors, {{"general.architecture", "llama"}}).ok());
  auto r = testing::RunCli("inspect '" + path + "'", dir);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("(gguf, 11 tensors)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("q4_1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("[1, 3, 32]"), std::string::npos) << r.out;
  auto j = testing::RunCli("inspect --json '" + path + "'", dir);
  EXPECT_EQ(j.exit_code, 0) << j.err;
  EXPECT_NE(j.out.find("\"general.architecture\": \"llama\""), std::string::npos) << j.out;
}

// Regenerates the fuzz seeds (run once by hand:
// tensorpress_tests --gtest_also_run_disabled_tests --gtest_filter='*WriteFuzzSeeds*').
TEST(Gguf, DISABLED_WriteFuzzSeeds) {
  std::string dir = testing::SourceDir() + "/fuzz/corpus/fuzz_gguf";
  std::filesystem::create_directories(dir);
  std::vector<float> f = {1, -2, 3, 0.5f};
  std::vector<uint8_t> q8(34, 3), q4(18, 0x5A), q41(20, 0xC3);
  std::vector<Tensor> tensors = {*Tensor::FromValues<float>("w", DType::kF32, {2, 2}, f),
                                 *Tensor::FromBytes("q8", DType::kQ8_0, {32}, q8),
                                 *Tensor::FromBytes("q4", DType::kQ4_0, {1, 32}, q4),
                                 *Tensor::FromBytes("q41", DType::kQ4_1, {32}, q41)};
  WriteOptions o{.overwrite = true};
  ASSERT_TRUE(WriteGguf(dir + "/quantized", tensors, {{"general.architecture", "llama"}}, o).ok());
  ASSERT_TRUE(WriteGguf(dir + "/aligned64", {tensors.data(), 1}, {{"general.alignment", "64"}}, o).ok());
  GgufBytes g(3, 0, 3);
  g.Str("arr").Put<uint32_t>(9).Put<uint32_t>(4).Put<uint64_t>(3).Values<uint32_t>({1, 2, 3});
  g.Str("nested").Put<uint32_t>(9).Put<uint32_t>(9).Put<uint64_t>(1).Put<uint32_t>(8).Put<uint64_t>(1).Str("x");
  g.Str("f").Put<uint32_t>(12).Put<double>(1.5);
  testing::WriteBytes(dir + "/kv_types", g.Done());
}

testing::MalformedRegistrar kGgufCases("gguf", [] {
  using testing::MalformedCase;
  auto one_f32 = [](std::vector<uint64_t> ne, uint64_t offset, size_t data_bytes, uint32_t type = 0) {
    auto g = GgufBytes(3, 1, 0).Info("t", ne, type, offset).Pad(32);
    return g.Bytes(std::vector<uint8_t>(data_bytes, 0x3f)).Done();
  };
  auto with_u64_at = [](std::vector<uint8_t> b, size_t at, uint64_t v) {
    std::memcpy(b.data() + at, &v, 8);
    return b;
  };
  return std::vector<MalformedCase>{
      {"bad magic", "a.gguf", [] { auto b = GgufBytes(3, 0, 0).Done(); b[3] = 'G' + 1; return b; }()},
      {"version 1", "b.gguf", GgufBytes(1, 0, 0).Done()},
      {"big-endian version", "c.gguf", GgufBytes(0x03000000, 0, 0).Done()},
      {"kv count huge", "d.gguf", GgufBytes(3, 0, 1ull << 60).KvString("a", "b").Done()},
      {"tensor count huge", "e.gguf", GgufBytes(3, 1ull << 61, 0).Info("t", {1}, 0, 0).Done()},
      {"string length past EOF", "f.gguf",
       with_u64_at(GgufBytes(3, 0, 1).KvString("key", "value").Done(), 24 + 8 + 3 + 4, 1ull << 40)},
      {"key length past EOF", "g.gguf", with_u64_at(GgufBytes(3, 0, 1).KvString("key", "v").Done(), 24, 999)},
      {"tensor offset past EOF", "h.gguf", one_f32({4}, 64, 16)},
      {"misaligned offset", "i.gguf", one_f32({1}, 4, 16)},
      {"overlapping tensors", "j.gguf",
       GgufBytes(3, 2, 0).Info("a", {16}, 0, 0).Info("b", {16}, 0, 32).Pad(32).Bytes(std::vector<uint8_t>(96)).Done()},
      {"q4_k row not whole super-blocks", "k.gguf", one_f32({128, 2}, 0, 144, 12)},
      {"q6_k data truncated", "l.gguf", one_f32({256}, 0, 100, 14)},
      {"n_dims huge", "m.gguf",
       [] { auto g = GgufBytes(3, 1, 0).Str("t").Put<uint32_t>(0xFFFFFFF0u); g.Put<uint64_t>(1); return g.Bytes(std::vector<uint8_t>(64)).Done(); }()},
      {"truncated mid-tensor", "n.gguf", one_f32({8}, 0, 20)},
      {"dimensions overflow", "o.gguf", one_f32({1ull << 32, 1ull << 32}, 0, 16)},
      {"q4_0 row not whole blocks", "p.gguf", one_f32({16, 2}, 0, 18, 2)},
      {"alignment not a power of two", "q.gguf",
       GgufBytes(3, 0, 1).KvU32("general.alignment", 48).Done()},
      {"alignment zero", "r.gguf", GgufBytes(3, 0, 1).KvU32("general.alignment", 0).Done()},
      {"unknown value type", "s.gguf", GgufBytes(3, 0, 1).Str("k").Put<uint32_t>(13).Put<uint32_t>(0).Done()},
      {"array count huge", "t.gguf",
       GgufBytes(3, 0, 1).Str("k").Put<uint32_t>(9).Put<uint32_t>(8).Put<uint64_t>(1ull << 62).Done()},
      {"arrays nested too deep", "u.gguf",
       [] {
         GgufBytes g(3, 0, 1);
         g.Str("k").Put<uint32_t>(9);
         for (int i = 0; i < 40; ++i) g.Put<uint32_t>(9).Put<uint64_t>(1);
         return g.Put<uint32_t>(4).Put<uint64_t>(1).Put<uint32_t>(0).Done();
       }()},
      {"bool value 2", "v.gguf", GgufBytes(3, 0, 1).Str("b").Put<uint32_t>(7).Put<uint8_t>(2).Done()},
      {"duplicate key", "w.gguf", GgufBytes(3, 0, 2).KvString("a", "1").KvString("a", "2").Done()},
      {"duplicate tensor name", "x.gguf",
       GgufBytes(3, 2, 0).Info("t", {8}, 0, 0).Info("t", {8}, 0, 32).Pad(32).Bytes(std::vector<uint8_t>(64)).Done()},
      {"header truncated", "y.gguf", [] { auto b = GgufBytes(3, 0, 0).Done(); b.resize(10); return b; }()},
      {"data section past EOF", "z.gguf",
       GgufBytes(3, 1, 0).Info("t", {4}, 0, 0).Done()},
  };
});

}  // namespace
}  // namespace tp
