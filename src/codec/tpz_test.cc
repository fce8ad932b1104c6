#include <gtest/gtest.h>
#include <xxhash.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <random>

#include "codec/tpz_format.h"
#include "tensorpress/model.h"
#include "tensorpress/quant.h"
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
  for (TpzLayout layout : {TpzLayout::kAuto, TpzLayout::kBytePlanes, TpzLayout::kFloatFields, TpzLayout::kWhole}) {
    SCOPED_TRACE(std::string(TpzLayoutName(layout)));
    TpzOptions o;
    o.layout = layout;
    auto enc = EncodeTpz(tensors, {{"k", "v"}}, o);
    ASSERT_TRUE(enc.ok()) << enc.status().message();
    auto back = DecodeTpz(*enc, "random.tpz");
    ASSERT_TRUE(back.ok()) << back.status().message();
    ExpectSameTensors(tensors, back->tensors);
  }
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

// The header's zstd frame is checked before anything is allocated for it; a
// valid checksum (the writer's own) does not make a hostile frame acceptable.
TEST(Tpz, HeaderFramesAreBoundedAndExact) {
  const std::string json = R"({"metadata": {}, "tensors": []})";
  const std::vector<uint8_t> packed = tpz::PackHeader(json);
  ASSERT_FALSE(packed.empty());
  auto back = tpz::UnpackHeader(packed);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(*back, json);
  auto rejects = [](std::span<const uint8_t> frame, const char* why) {
    auto r = tpz::UnpackHeader(frame);
    ASSERT_FALSE(r.ok()) << why;
    EXPECT_EQ(r.status().code(), StatusCode::kCorruptData) << why;
  };
  rejects({}, "empty");
  rejects(std::vector<uint8_t>(json.begin(), json.end()), "plain JSON");
  std::vector<uint8_t> trailing = packed;
  trailing.push_back(0);
  rejects(trailing, "a byte after the frame");
  rejects(std::span(packed).first(packed.size() - 1), "truncated frame");
  const std::string zeros(size_t(1) << 20, '0');
  const std::vector<uint8_t> bomb = tpz::PackHeader(zeros);  // 1 MiB from far fewer than 1 KiB
  ASSERT_LT(bomb.size() * tpz::kMaxHeaderExpansion, zeros.size());
  rejects(bomb, "expansion beyond the bound");
  // Through the container: a header swapped for the bomb, checksum fixed.
  std::vector<Tensor> tensors = {*Tensor::FromValues<int8_t>("w", DType::kI8, {4}, std::vector<int8_t>{1, 2, 3, 4})};
  auto enc = EncodeTpz(tensors, {}, {});
  ASSERT_TRUE(enc.ok());
  std::vector<uint8_t> file(enc->begin(), enc->begin() + 8);
  const uint64_t size = bomb.size(), sum = XXH3_64bits(bomb.data(), bomb.size());
  file.resize(24);
  std::memcpy(file.data() + 8, &size, 8);
  std::memcpy(file.data() + 16, &sum, 8);
  file.insert(file.end(), bomb.begin(), bomb.end());
  auto r = DecodeTpz(file, "bomb.tpz");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("bomb.tpz: header claims"), std::string::npos) << r.status().message();
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

// Float tensors with the values a trained model has, plus every special.
std::vector<Tensor> FloatTensors() {
  std::mt19937 rng(3);
  std::normal_distribution<float> normal(0.f, 0.05f);
  std::vector<float> w(20099);
  for (auto& x : w) x = normal(rng);
  const uint32_t specials[] = {0x80000000, 0x00000001, 0x7f800000, 0xff800000, 0x7fc12345, 0xffbfffff, 0x007fffff};
  for (size_t i = 0; i < std::size(specials); ++i) std::memcpy(&w[i * 1000], &specials[i], 4);
  std::vector<uint16_t> h(w.size()), b(w.size());
  for (size_t i = 0; i < w.size(); ++i) {
    uint32_t x;
    std::memcpy(&x, &w[i], 4);
    b[i] = uint16_t(x >> 16);                     // bf16 by truncation: every pattern is valid
    h[i] = uint16_t((x >> 16) ^ (x & 0xffff));  // arbitrary f16 bit patterns
  }
  return {*Tensor::FromValues<float>("w32", DType::kF32, {101, 199}, w),
          *Tensor::FromValues<uint16_t>("w16", DType::kF16, {20099}, h),
          *Tensor::FromValues<uint16_t>("wbf", DType::kBF16, {20099}, b)};
}

TEST(Tpz, FloatFieldsRoundTripAndAutoIsNeverLargerThanEitherLayout) {
  const std::vector<Tensor> tensors = FloatTensors();
  uint64_t size[4] = {};
  for (TpzLayout layout : {TpzLayout::kAuto, TpzLayout::kBytePlanes, TpzLayout::kFloatFields, TpzLayout::kWhole}) {
    SCOPED_TRACE(std::string(TpzLayoutName(layout)));
    TpzOptions o;
    o.layout = layout;
    o.codec_options.chunk_values = 4096;
    TpzReport report;
    auto enc = EncodeTpz(tensors, {}, o, &report);
    ASSERT_TRUE(enc.ok()) << enc.status().message();
    size[int(layout)] = enc->size();
    EXPECT_EQ(report.file_bytes, enc->size());
    ASSERT_EQ(report.tensors.size(), 3u);
    if (layout == TpzLayout::kFloatFields) {
      EXPECT_EQ(report.tensors[0].layout, TpzLayout::kFloatFields);
      ASSERT_EQ(report.tensors[0].planes.size(), 5u);
      EXPECT_EQ(report.tensors[0].planes[1].name, "exponent");
      EXPECT_EQ(report.tensors[0].planes[0].bytes, (20099u + 7) / 8);
      // Gaussian weights: the exponent plane is far below 8 bits and coded near its entropy.
      const auto& e = report.tensors[0].planes[1];
      EXPECT_LT(e.entropy_bits, 4.0);
      EXPECT_LT(double(e.coded_bytes) * 8, (e.entropy_bits + 0.3) * double(e.bytes));
      EXPECT_EQ(report.tensors[1].planes.size(), 4u);
      EXPECT_EQ(report.tensors[2].planes.size(), 3u);
    }
    auto back = DecodeTpz(*enc, "f.tpz");
    ASSERT_TRUE(back.ok()) << back.status().message();
    ExpectSameTensors(tensors, back->tensors);
  }
  EXPECT_LE(size[int(TpzLayout::kAuto)], size[int(TpzLayout::kBytePlanes)] + 64);
  EXPECT_LE(size[int(TpzLayout::kAuto)], size[int(TpzLayout::kFloatFields)] + 64);
}

TEST(Tpz, OlderVersionsAreRejectedWithOneLine) {
  std::vector<Tensor> t = {*Tensor::FromValues<uint8_t>("x", DType::kU8, {3}, std::vector<uint8_t>{1, 2, 3})};
  auto enc = EncodeTpz(t, {}, {});
  ASSERT_TRUE(enc.ok());
  (*enc)[4] = 1;
  auto r = DecodeTpz(*enc, "old.tpz");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCorruptData);
  EXPECT_NE(r.status().message().find("version 1 is not supported"), std::string::npos) << r.status().message();
  EXPECT_EQ(r.status().message().find('\n'), std::string::npos);
}

// Every element range of every layout equals the same slice of the tensor.
TEST(Tpz, ReaderDecodesOneTensorAndElementRangesAcrossChunkEdges) {
  std::vector<Tensor> tensors = FloatTensors();
  std::mt19937 rng(4);
  std::vector<uint8_t> i4(1001), q8(34 * 10), i8(3000);
  for (auto& x : i4) x = uint8_t(rng());
  i4.back() &= 0x0f;  // 2001 nibbles: the padding nibble is zero
  for (auto& x : q8) x = uint8_t(rng());
  for (auto& x : i8) x = uint8_t(rng() % 5);
  tensors.push_back(*Tensor::FromBytes("i4", DType::kI4, {2001}, i4));
  tensors.push_back(*Tensor::FromBytes("q8", DType::kQ8_0, {320}, q8));
  tensors.push_back(*Tensor::FromBytes("i8", DType::kI8, {30, 100}, i8));
  for (TpzLayout layout : {TpzLayout::kAuto, TpzLayout::kFloatFields, TpzLayout::kBytePlanes, TpzLayout::kWhole}) {
    for (int codec : {-1, int(Codec::kAtalantaRans), int(Codec::kZstd3)}) {
      SCOPED_TRACE(std::string(TpzLayoutName(layout)) + " codec " + std::to_string(codec));
      TpzOptions o;
      o.layout = layout;
      if (codec >= 0) o.codec = Codec(codec);
      o.codec_options.chunk_values = 1000;
      auto enc = EncodeTpz(tensors, {}, o);
      ASSERT_TRUE(enc.ok()) << enc.status().message();
      auto reader = TpzReader::FromBytes(*enc, "r.tpz");
      ASSERT_TRUE(reader.ok()) << reader.status().message();
      ASSERT_EQ(reader->tensors().size(), tensors.size());
      for (const Tensor& t : tensors) {
        auto one = reader->ReadTensor(t.name());
        ASSERT_TRUE(one.ok()) << one.status().message();
        ExpectSameTensors({t}, {*one});
        const uint64_t n = t.elements();
        const uint64_t step = t.dtype() == DType::kQ8_0 ? 32 : 1;
        struct R {
          uint64_t begin, count;
        };
        std::vector<R> ranges = {{0, 0}, {0, n}, {n, 0}, {step, n - step}, {n - step, step}};
        if (step == 1) ranges.insert(ranges.end(), {{999, 2}, {7, 1994}, {1001, 8}, {13, 0}, {n / 2, n / 3}});
        else ranges.insert(ranges.end(), {{64, 96}, {288, 32}});
        for (R r : ranges) {
          auto part = reader->ReadElements(t.name(), r.begin, r.count);
          ASSERT_TRUE(part.ok()) << t.name() << " " << r.begin << "+" << r.count << ": " << part.status().message();
          EXPECT_EQ(part->shape(), r.count == n ? t.shape() : Shape{int64_t(r.count)});
          ASSERT_EQ(part->dtype(), t.dtype());
          std::vector<double> want(r.count), got(r.count);
          ElementsAsDouble(t, r.begin, r.count, want.data());
          ElementsAsDouble(*part, 0, r.count, got.data());
          for (uint64_t k = 0; k < r.count; ++k)
            ASSERT_TRUE(want[k] == got[k] || (std::isnan(want[k]) && std::isnan(got[k])))
                << t.name() << " element " << r.begin + k;
          if (t.dtype() == DType::kF32 || t.dtype() == DType::kF16 || t.dtype() == DType::kBF16 || t.dtype() == DType::kI8) {
            const size_t w = t.nbytes() / n;
            ASSERT_TRUE(std::equal(part->bytes().begin(), part->bytes().end(), t.bytes().begin() + std::ptrdiff_t(r.begin * w)));
          }
        }
        EXPECT_EQ(reader->ReadElements(t.name(), n, 1).status().code(), StatusCode::kInvalidArgument);
        EXPECT_EQ(reader->ReadElements(t.name(), 1, n).status().code(), StatusCode::kInvalidArgument);
        EXPECT_EQ(reader->ReadElements(t.name(), ~uint64_t(0), 2).status().code(), StatusCode::kInvalidArgument);
      }
      EXPECT_EQ(reader->ReadElements("q8", 1, 32).status().code(), StatusCode::kInvalidArgument);
      EXPECT_EQ(reader->ReadTensor("missing").status().code(), StatusCode::kNotFound);
    }
  }
}

// A range read checks and decodes only the chunks it touches.
TEST(Tpz, RangeReadsTouchOnlyTheirChunks) {
  std::vector<uint8_t> v(10000);
  std::mt19937 rng(8);
  for (auto& x : v) x = uint8_t(rng() % 3);
  std::vector<Tensor> tensors = {*Tensor::FromBytes("a", DType::kU8, {10000}, v),
                                 *Tensor::FromBytes("b", DType::kU8, {10000}, v)};
  TpzOptions o;
  o.codec = Codec::kZstd3;
  o.codec_options.chunk_values = 1000;
  auto enc = EncodeTpz(tensors, {}, o);
  ASSERT_TRUE(enc.ok());
  // The last byte of the file is in tensor b's last chunk (values 9000..9999).
  auto bad = *enc;
  bad.back() ^= 0x40;
  auto reader = TpzReader::FromBytes(bad, "c.tpz");
  ASSERT_TRUE(reader.ok());
  EXPECT_TRUE(reader->ReadTensor("a").ok());
  auto head = reader->ReadElements("b", 0, 9000);
  ASSERT_TRUE(head.ok()) << head.status().message();
  EXPECT_TRUE(std::equal(head->bytes().begin(), head->bytes().end(), v.begin()));
  auto tail = reader->ReadElements("b", 8999, 2);
  ASSERT_FALSE(tail.ok());
  EXPECT_EQ(tail.status().code(), StatusCode::kCorruptData);
  EXPECT_NE(tail.status().message().find("chunk 9: checksum"), std::string::npos) << tail.status().message();
  EXPECT_FALSE(reader->ReadAll().ok());
}

// TFLite int8 tensors keep their scales and zero points through .tpz, and
// `decompress --dequantize` gives what tp::Dequantize gives on the source.
TEST(Tpz, TfliteQuantizationSurvivesAndDequantizes) {
  testing::TempDir dir;
  const std::string in = testing::SharedModel("mlperf-tiny/resnet8_cifar10_int8.tflite");
  auto r = testing::RunCli("compress " + in + " -o " + dir.File("q.tpz"), dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto src = ReadModel(in);
  ASSERT_TRUE(src.ok()) << src.status().message();
  auto reader = TpzReader::Open(dir.File("q.tpz"));
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  size_t quantized = 0;
  for (const Tensor& t : src->tensors) {
    auto i = reader->Find(t.name());
    ASSERT_TRUE(i.has_value()) << t.name();
    const auto& info = reader->tensors()[*i];
    ASSERT_EQ(info.quant.has_value(), t.quant().has_value()) << t.name();
    if (!t.quant()) continue;
    ++quantized;
    EXPECT_EQ(info.quant->scale, t.quant()->scale);
    EXPECT_EQ(info.quant->zero_point, t.quant()->zero_point);
    EXPECT_EQ(info.quant->axis, t.quant()->axis);
  }
  EXPECT_GT(quantized, 5u);
  r = testing::RunCli("decompress " + dir.File("q.tpz") + " -o " + dir.File("real.safetensors") + " --dequantize", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto real = ReadModel(dir.File("real.safetensors"));
  ASSERT_TRUE(real.ok());
  ASSERT_EQ(real->tensors.size(), src->tensors.size());
  for (size_t i = 0; i < src->tensors.size(); ++i) {
    const Tensor& t = src->tensors[i];
    if (!t.quant()) {
      ExpectSameTensors({t}, {real->tensors[i]});
      continue;
    }
    auto want = Dequantize(t);
    ASSERT_TRUE(want.ok());
    ASSERT_EQ(real->tensors[i].dtype(), DType::kF32) << t.name();
    ExpectSameTensors({*want}, {real->tensors[i]});
  }
}

TEST(Tpz, CliDecompressesSelectedTensors) {
  testing::TempDir dir;
  const std::string in = testing::SharedModel("mnist-cnn/mnist_cnn.safetensors");
  auto r = testing::RunCli("compress " + in + " -o " + dir.File("m.tpz") + " --layout fields --stats", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("exponent"), std::string::npos) << r.out;
  r = testing::RunCli("decompress " + dir.File("m.tpz") + " -o " + dir.File("k.safetensors") + " --tensor '*kernel*'", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto a = ReadModel(in);
  auto b = ReadModel(dir.File("k.safetensors"));
  ASSERT_TRUE(a.ok() && b.ok());
  std::vector<Tensor> kernels;
  for (const Tensor& t : a->tensors)
    if (t.name().find("kernel") != std::string::npos) kernels.push_back(t);
  ASSERT_FALSE(kernels.empty());
  ExpectSameTensors(kernels, b->tensors);
  // A slice of one tensor, crossing a chunk edge (32768 values a chunk).
  r = testing::RunCli("decompress " + dir.File("m.tpz") + " -o " + dir.File("s.safetensors") +
                          " --tensor 'dense_1.kernel' --elements 32760:20",
                      dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto s = ReadModel(dir.File("s.safetensors"));
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(s->tensors.size(), 1u);
  EXPECT_EQ(s->tensors[0].shape(), Shape{20});
  const Tensor* dense = nullptr;
  for (const Tensor& t : a->tensors)
    if (t.name() == "dense_1.kernel") dense = &t;
  ASSERT_NE(dense, nullptr);
  EXPECT_TRUE(std::equal(s->tensors[0].bytes().begin(), s->tensors[0].bytes().end(), dense->bytes().begin() + 32760 * 4));
  r = testing::RunCli("decompress " + dir.File("m.tpz") + " -o " + dir.File("bad.safetensors") +
                          " --tensor 'dense_1.kernel' --elements 5",
                      dir);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  r = testing::RunCli("decompress " + dir.File("m.tpz") + " -o " + dir.File("none.safetensors") + " --tensor nothing", dir);
  EXPECT_NE(r.exit_code, 0);
  r = testing::RunCli("compress " + in + " -o " + dir.File("x.tpz") + " --layout nonsense", dir);
  EXPECT_NE(r.exit_code, 0);
}

// The fuzz seeds must stay valid files of the current version.
TEST(Tpz, FuzzSeedsDecode) {
  size_t seeds = 0;
  for (const auto& f : std::filesystem::directory_iterator(testing::SourceDir() + "/fuzz/corpus/fuzz_tpz")) {
    auto bytes = testing::ReadBytes(f.path().string());
    auto m = DecodeTpz(bytes, f.path().string());
    EXPECT_TRUE(m.ok()) << m.status().message();
    ++seeds;
  }
  EXPECT_GE(seeds, 2u);
}

}  // namespace
}  // namespace tp
