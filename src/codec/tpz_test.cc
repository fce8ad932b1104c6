#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "tensorpress/model.h"
#include "tensorpress/tpz.h"
#include "testing/test_util.h"

namespace tp {
namespace {

void ExpectSameTensors(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].name(), b[i].name());
    EXPECT_EQ(a[i].dtype(), b[i].dtype());
    EXPECT_EQ(a[i].shape(), b[i].shape());
    ASSERT_TRUE(std::equal(a[i].bytes().begin(), a[i].bytes().end(), b[i].bytes().begin(), b[i].bytes().end()))
        << a[i].name();
  }
}

TEST(Tpz, RoundTripsSharedModelsByteForByte) {
  for (const char* rel : {"mnist-cnn/mnist_cnn.safetensors", "stories260k/stories260K.bin",
                          "stories260k/activations_4x128.safetensors"}) {
    auto model = ReadModel(testing::SharedModel(rel));
    ASSERT_TRUE(model.ok()) << model.status().message();
    TpzOptions o;
    o.codec = Codec::kAtalantaRans;
    o.codec_options.threads = 0;
    auto bytes = EncodeTpz(model->tensors, model->metadata, o);
    ASSERT_TRUE(bytes.ok()) << bytes.status().message();
    auto back = DecodeTpz(*bytes, rel);
    ASSERT_TRUE(back.ok()) << back.status().message();
    ExpectSameTensors(model->tensors, back->tensors);
    EXPECT_EQ(back->metadata, model->metadata);
  }
}

TEST(Tpz, RoundTripsRandomTensorsOfEveryDtypeAndOddSizes) {
  std::mt19937 rng(12);
  std::vector<Tensor> tensors;
  const DType dtypes[] = {DType::kF64, DType::kF32, DType::kF16, DType::kBF16, DType::kI64, DType::kI32,
                          DType::kI16, DType::kI8,  DType::kU64, DType::kU32,  DType::kU16, DType::kU8,
                          DType::kBool, DType::kI4, DType::kU4};
  int i = 0;
  for (DType d : dtypes)
    for (int64_t n : {0, 1, 7, 33, 1001}) {
      auto bytes = StorageBytes(d, static_cast<uint64_t>(n));
      ASSERT_TRUE(bytes.has_value());
      std::vector<uint8_t> b(*bytes);
      for (auto& x : b) x = d == DType::kBool ? rng() % 2 : static_cast<uint8_t>(rng() % (i % 3 ? 256 : 5));
      auto t = Tensor::FromBytes("t" + std::to_string(i++), d, {n}, std::move(b));
      ASSERT_TRUE(t.ok()) << t.status().message();
      tensors.push_back(*t);
    }
  auto enc = EncodeTpz(tensors, {{"k", "v"}}, {});
  ASSERT_TRUE(enc.ok()) << enc.status().message();
  auto back = DecodeTpz(*enc, "random.tpz");
  ASSERT_TRUE(back.ok()) << back.status().message();
  ExpectSameTensors(tensors, back->tensors);
}

TEST(Tpz, CorruptionNamesTheTensorAndTruncationIsRejected) {
  std::vector<int8_t> v(5000);
  std::mt19937 rng(2);
  for (auto& x : v) x = static_cast<int8_t>(static_cast<int>(rng() % 21) - 10);
  std::vector<Tensor> tensors = {*Tensor::FromValues<int8_t>("layer.weight", DType::kI8, {50, 100}, v)};
  auto enc = EncodeTpz(tensors, {}, {});
  ASSERT_TRUE(enc.ok());
  // A flipped byte in the last plane's data: checksum mismatch naming the tensor.
  auto bad = *enc;
  bad[bad.size() - 3] ^= 0x10;
  auto r = DecodeTpz(bad, "x.tpz");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCorruptData);
  EXPECT_NE(r.status().message().find("layer.weight"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("chunk 0: checksum"), std::string::npos) << r.status().message();
  // A flipped byte in the header.
  bad = *enc;
  bad[30] ^= 1;
  EXPECT_EQ(DecodeTpz(bad, "x.tpz").status().code(), StatusCode::kCorruptData);
  // Every truncation.
  for (size_t n = 0; n < enc->size(); n += 1 + n / 8) {
    std::vector<uint8_t> cut(enc->begin(), enc->begin() + static_cast<std::ptrdiff_t>(n));
    auto c = DecodeTpz(cut, "x.tpz");
    ASSERT_FALSE(c.ok()) << n;
    EXPECT_EQ(c.status().code(), StatusCode::kCorruptData) << c.status().message();
  }
}

TEST(Tpz, CliCompressDecompressIsLossless) {
  testing::TempDir dir;
  const std::string in = testing::SharedModel("mnist-cnn/mnist_cnn.safetensors");
  auto r = testing::RunCli("compress " + in + " -o " + dir.File("m.tpz"), dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = testing::RunCli("decompress " + dir.File("m.tpz") + " -o " + dir.File("m.safetensors"), dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto a = ReadModel(in);
  auto b = ReadModel(dir.File("m.safetensors"));
  ASSERT_TRUE(a.ok() && b.ok());
  ExpectSameTensors(a->tensors, b->tensors);
  // No overwrite without --force; a corrupt file is exit status 2.
  r = testing::RunCli("decompress " + dir.File("m.tpz") + " -o " + dir.File("m.safetensors"), dir);
  EXPECT_NE(r.exit_code, 0);
  auto bytes = testing::ReadBytes(dir.File("m.tpz"));
  bytes[bytes.size() / 2] ^= 0x55;
  testing::WriteBytes(dir.File("bad.tpz"), bytes);
  r = testing::RunCli("decompress " + dir.File("bad.tpz") + " -o " + dir.File("bad.safetensors"), dir);
  EXPECT_EQ(r.exit_code, 2) << r.err;
}

TEST(Tpz, QuantizedCompressRecordsParametersForDequantization) {
  testing::TempDir dir;
  const std::string in = testing::SharedModel("mnist-cnn/mnist_cnn.safetensors");
  auto r = testing::RunCli("compress " + in + " -o " + dir.File("q.tpz") + " --quantize int8", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto q = ReadTpz(dir.File("q.tpz"));
  ASSERT_TRUE(q.ok()) << q.status().message();
  for (const Tensor& t : q->tensors) {
    EXPECT_EQ(t.dtype(), DType::kI8) << t.name();
    ASSERT_TRUE(t.quant().has_value()) << t.name();
  }
  r = testing::RunCli("decompress " + dir.File("q.tpz") + " -o " + dir.File("real.safetensors") + " --dequantize", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto a = ReadModel(in);
  auto b = ReadModel(dir.File("real.safetensors"));
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(a->tensors.size(), b->tensors.size());
  for (size_t i = 0; i < a->tensors.size(); ++i) {
    ASSERT_EQ(b->tensors[i].dtype(), DType::kF32);
    ASSERT_EQ(a->tensors[i].shape(), b->tensors[i].shape());
    // Symmetric int8: every value within half a step of the largest scale.
    const float step = *std::max_element(q->tensors[i].quant()->scale.begin(), q->tensors[i].quant()->scale.end());
    auto x = a->tensors[i].values<float>(), y = b->tensors[i].values<float>();
    for (size_t k = 0; k < x.size(); ++k) ASSERT_LE(std::abs(x[k] - y[k]), step * 0.5001f) << a->tensors[i].name();
  }
}

}  // namespace
}  // namespace tp
