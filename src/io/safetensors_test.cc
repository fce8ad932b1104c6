#include <gtest/gtest.h>

#include <cstring>

#include "tensorpress/model.h"
#include "testing/malformed.h"
#include "testing/test_util.h"

namespace tp {
namespace {

std::vector<uint8_t> Safetensors(const std::string& header, size_t data_bytes, uint64_t declared_len = ~0ull) {
  uint64_t n = declared_len == ~0ull ? header.size() : declared_len;
  // Sized once: growing an 8-byte vector by insert trips GCC 12's
  // -Warray-bounds (a false positive in its memmove).
  std::vector<uint8_t> b(8 + header.size() + data_bytes, 0x11);
  std::memcpy(b.data(), &n, 8);
  std::copy(header.begin(), header.end(), b.begin() + 8);
  return b;
}

TEST(Safetensors, ReadsSharedMnistCnn) {
  auto model = ReadModel(testing::SharedModel("mnist-cnn/mnist_cnn.safetensors"));
  ASSERT_TRUE(model.ok()) << model.status().message();
  EXPECT_EQ(model->format, ModelFormat::kSafetensors);
  ASSERT_EQ(model->tensors.size(), 8u);
  uint64_t params = 0;
  for (const auto& t : model->tensors) params += t.elements();
  EXPECT_EQ(params, 1199882u);  // ../shared/README.md
  EXPECT_EQ(model->tensors[0].name(), "conv2d_1.kernel");
  EXPECT_EQ(model->tensors[0].shape(), (Shape{3, 3, 1, 32}));
}

TEST(Safetensors, WriteThenReadRoundTripsBytesAndMetadata) {
  testing::TempDir dir;
  std::vector<float> a = {1.5f, -2.0f, 0.0f, 3.25f, 7.0f, 8.0f};
  std::vector<int8_t> b = {-128, 0, 127};
  std::vector<uint16_t> c = {0x3C00, 0xBC00};
  std::vector<Tensor> tensors = {*Tensor::FromValues<float>("a", DType::kF32, {2, 3}, a),
                                 *Tensor::FromValues<int8_t>("b.q", DType::kI8, {3}, b),
                                 *Tensor::FromValues<uint16_t>("c", DType::kBF16, {2, 1}, c)};
  Metadata meta = {{"format", "pt"}, {"note", "hello \"world\""}};
  std::string path = dir.File("x.safetensors");
  ASSERT_TRUE(WriteSafetensors(path, tensors, meta).ok());
  auto model = ReadModel(path);
  ASSERT_TRUE(model.ok()) << model.status().message();
  ASSERT_EQ(model->tensors.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(model->tensors[i].name(), tensors[i].name());
    EXPECT_EQ(model->tensors[i].dtype(), tensors[i].dtype());
    EXPECT_EQ(model->tensors[i].shape(), tensors[i].shape());
    EXPECT_TRUE(std::equal(model->tensors[i].bytes().begin(), model->tensors[i].bytes().end(),
                           tensors[i].bytes().begin(), tensors[i].bytes().end()));
  }
  EXPECT_EQ(model->metadata, meta);
  // Data starts 8-byte aligned.
  auto raw = testing::ReadBytes(path);
  uint64_t n;
  std::memcpy(&n, raw.data(), 8);
  EXPECT_EQ(n % 8, 0u);
}

TEST(Safetensors, WriterRefusesToOverwriteWithoutForce) {
  testing::TempDir dir;
  std::string path = dir.File("x.safetensors");
  std::vector<float> a = {1};
  std::vector<Tensor> t = {*Tensor::FromValues<float>("a", DType::kF32, {1}, a)};
  ASSERT_TRUE(WriteSafetensors(path, t, {}).ok());
  auto again = WriteSafetensors(path, t, {});
  EXPECT_EQ(again.code(), StatusCode::kAlreadyExists);
  EXPECT_TRUE(WriteSafetensors(path, t, {}, WriteOptions{.overwrite = true}).ok());
  // No temporary files are left behind.
  size_t files = 0;
  for (auto& e : std::filesystem::directory_iterator(dir.path())) files += e.is_regular_file();
  EXPECT_EQ(files, 1u);
}

TEST(Safetensors, RejectsPackedDtypesOnWrite) {
  testing::TempDir dir;
  std::vector<uint8_t> nib = {0x21};
  std::vector<Tensor> t = {*Tensor::FromBytes("n", DType::kI4, {2}, nib)};
  EXPECT_EQ(WriteSafetensors(dir.File("x.safetensors"), t, {}).code(), StatusCode::kInvalidArgument);
}

TEST(Safetensors, DetectedByContentNotName) {
  testing::TempDir dir;
  std::vector<float> a = {1, 2};
  std::vector<Tensor> t = {*Tensor::FromValues<float>("a", DType::kF32, {2}, a)};
  std::string path = dir.File("weights.dat");
  ASSERT_TRUE(WriteSafetensors(path, t, {}).ok());
  auto model = ReadModel(path);
  ASSERT_TRUE(model.ok());
  EXPECT_EQ(model->format, ModelFormat::kSafetensors);
}

const std::string kOk = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";

testing::MalformedRegistrar kSafetensorsCases("safetensors", [] {
  using testing::MalformedCase;
  return std::vector<MalformedCase>{
      {"file shorter than the length field", "a.safetensors", {1, 2, 3}},
      {"header length past end of file", "b.safetensors", Safetensors(kOk, 8, 4096)},
      {"huge header length", "c.safetensors", Safetensors(kOk, 8, 1ull << 62)},
      {"header not JSON", "d.safetensors", Safetensors("{not json", 8)},
      {"header not an object", "e.safetensors", Safetensors("[1,2,3]   ", 8)},
      {"entry missing data_offsets", "f.safetensors", Safetensors(R"({"a":{"dtype":"F32","shape":[2]}})", 8)},
      {"unknown dtype", "g.safetensors", Safetensors(R"({"a":{"dtype":"F7","shape":[2],"data_offsets":[0,8]}})", 8)},
      {"data offsets past end", "h.safetensors", Safetensors(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 4)},
      {"shape/size mismatch", "i.safetensors", Safetensors(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8)},
      {"offsets reversed", "j.safetensors", Safetensors(R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}})", 8)},
      {"overlapping tensors", "k.safetensors",
       Safetensors(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})", 12)},
      {"duplicated names", "l.safetensors",
       Safetensors(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", 8)},
      {"huge dimensions overflow", "m.safetensors",
       Safetensors(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,8]}})", 8)},
      {"negative dimension", "n.safetensors", Safetensors(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8)},
      {"non-string metadata", "o.safetensors", Safetensors(R"({"__metadata__":{"k":1}})", 0)},
      {"truncated mid-tensor", "p.safetensors",
       [] { auto b = Safetensors(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", 16); b.resize(b.size() - 5); return b; }()},
      {"fractional offset", "q.safetensors", Safetensors(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0.5,8]}})", 8)},
  };
});

}  // namespace
}  // namespace tp
