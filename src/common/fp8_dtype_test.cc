// The FP8 dtype rows (kF8E4M3, kF8E5M2): traits, every code's value through
// the generic element path, safetensors round trips, and compress --cast.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "tensorpress/dtype.h"
#include "tensorpress/fp8.h"
#include "tensorpress/model.h"
#include "tensorpress/tensor.h"
#include "testing/test_util.h"

namespace tp {
namespace {

// An independent decoder written from the OCP OFP8 field layout: sign, e
// exponent bits, m mantissa bits, bias 2^(e-1) - 1, subnormals at exponent 0.
double DecodeByFields(uint8_t code, int e, int m, bool ieee_specials) {
  const int sign = code >> 7, exp = (code >> m) & ((1 << e) - 1), man = code & ((1 << m) - 1);
  const int bias = (1 << (e - 1)) - 1, top = (1 << e) - 1;
  double v;
  if (ieee_specials && exp == top) v = man == 0 ? std::numeric_limits<double>::infinity() : NAN;
  else if (!ieee_specials && exp == top && man == (1 << m) - 1) v = NAN;  // E4M3: only S.1111.111
  else if (exp == 0) v = std::ldexp(double(man), 1 - bias - m);
  else v = std::ldexp(double((1 << m) + man), exp - bias - m);
  return sign ? -v : v;
}

TEST(Fp8DType, TraitsRows) {
  for (auto [dt, name, st] : {std::tuple{DType::kF8E4M3, "f8_e4m3", "F8_E4M3"},
                             std::tuple{DType::kF8E5M2, "f8_e5m2", "F8_E5M2"}}) {
    const DTypeTraits& t = Traits(dt);
    EXPECT_EQ(t.name, name);
    EXPECT_EQ(t.safetensors, st);
    EXPECT_EQ(t.bits, 8);
    EXPECT_EQ(t.block_elements, 1);
    EXPECT_EQ(t.block_bytes, 1);
    EXPECT_TRUE(t.is_float && t.is_signed && !t.is_quantized_block);
    EXPECT_EQ(DTypeFromName(name), dt);
    EXPECT_EQ(DTypeFromSafetensors(st), dt);
    EXPECT_EQ(StorageBytes(dt, 12345), 12345u);
  }
  EXPECT_EQ(int(DType::kF8E5M2), kNumDTypes - 1);
}

// Every one of the 256 codes of both formats, through ElementsAsDouble and
// ToF32, against the field decoder above.
TEST(Fp8DType, EveryCodeDecodesByItsFields) {
  std::vector<uint8_t> all(256);
  for (int i = 0; i < 256; ++i) all[size_t(i)] = uint8_t(i);
  for (auto [dt, e, m, ieee] : {std::tuple{DType::kF8E4M3, 4, 3, false}, std::tuple{DType::kF8E5M2, 5, 2, true}}) {
    auto t = Tensor::FromBytes("x", dt, {16, 16}, all);
    ASSERT_TRUE(t.ok());
    std::vector<double> got(256);
    ElementsAsDouble(*t, 0, 256, got.data());
    auto f = ToF32(*t);
    ASSERT_TRUE(f.ok());
    auto as_f32 = f->values<float>();
    int nans = 0;
    for (int c = 0; c < 256; ++c) {
      const double want = DecodeByFields(uint8_t(c), e, m, ieee);
      if (std::isnan(want)) {
        ++nans;
        EXPECT_TRUE(std::isnan(got[size_t(c)])) << c;
        EXPECT_TRUE(std::isnan(as_f32[size_t(c)])) << c;
      } else {
        EXPECT_EQ(got[size_t(c)], want) << DTypeName(dt) << " code " << c;
        EXPECT_EQ(double(as_f32[size_t(c)]), want) << c;
        EXPECT_EQ(std::signbit(got[size_t(c)]), c >= 128) << c;
      }
    }
    EXPECT_EQ(nans, ieee ? 6 : 2);  // E5M2: S.11111.{01,10,11}; E4M3: S.1111.111
  }
  // Hand values: E4M3 0x7E = 1.75 * 2^8 = 448, E5M2 0x7B = 1.75 * 2^15 = 57344.
  EXPECT_EQ(DecodeByFields(0x7E, 4, 3, false), 448.0);
  EXPECT_EQ(DecodeByFields(0x7B, 5, 2, true), 57344.0);
}

TEST(Fp8DType, SafetensorsRoundTripKeepsEveryByte) {
  testing::TempDir dir;
  std::vector<uint8_t> all(256);
  for (int i = 0; i < 256; ++i) all[size_t(i)] = uint8_t(255 - i);
  std::vector<Tensor> ts;
  ts.push_back(*Tensor::FromBytes("a", DType::kF8E4M3, {256}, all));
  ts.push_back(*Tensor::FromBytes("b", DType::kF8E5M2, {8, 32}, all));
  const std::string path = dir.File("f8.safetensors");
  ASSERT_TRUE(WriteSafetensors(path, ts, {}).ok());
  auto bytes = testing::ReadBytes(path);
  const std::string text(bytes.begin(), bytes.end());
  EXPECT_NE(text.find("\"F8_E4M3\""), std::string::npos);
  EXPECT_NE(text.find("\"F8_E5M2\""), std::string::npos);
  auto back = ReadModel(path);
  ASSERT_TRUE(back.ok()) << back.status().message();
  ASSERT_EQ(back->tensors.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(back->tensors[i].dtype(), ts[i].dtype());
    EXPECT_EQ(back->tensors[i].shape(), ts[i].shape());
    EXPECT_TRUE(std::equal(all.begin(), all.end(), back->tensors[i].bytes().begin()));
  }
}

// compress --cast fp8-*: the container restores the FP8 codes exactly, they
// are the saturating nearest-even casts of the f32 weights, and the summary
// reports the error they cost, which matches a recomputation here.
TEST(Fp8DType, CompressCastReportsTheErrorAndRestoresTheCodes) {
  testing::TempDir dir;
  const std::string in = testing::SharedModel("mnist-cnn/mnist_cnn.safetensors");
  auto model = ReadModel(in);
  ASSERT_TRUE(model.ok());
  for (auto [flag, dt, fmt] : {std::tuple{"fp8-e4m3", DType::kF8E4M3, Fp8Format::kE4M3},
                               std::tuple{"fp8-e5m2", DType::kF8E5M2, Fp8Format::kE5M2}}) {
    const std::string tpz = dir.File(std::string(flag) + ".tpz"), out = dir.File(std::string(flag) + ".safetensors");
    auto r = testing::RunCli("compress " + in + " -o " + tpz + " --cast " + flag + " --json", dir);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << r.out;
    ASSERT_TRUE(j.contains("lossy")) << r.out;
    auto d = testing::RunCli("decompress " + tpz + " -o " + out, dir);
    ASSERT_EQ(d.exit_code, 0) << d.err;
    auto back = ReadModel(out);
    ASSERT_TRUE(back.ok()) << back.status().message();
    double squared = 0, signal = 0;
    uint64_t values = 0;
    for (const Tensor& t : model->tensors) {
      const Tensor* b = nullptr;
      for (const Tensor& x : back->tensors)
        if (x.name() == t.name()) b = &x;
      ASSERT_NE(b, nullptr) << t.name();
      ASSERT_EQ(b->dtype(), dt) << t.name();
      auto v = t.values<float>();
      for (size_t i = 0; i < v.size(); ++i) {
        const uint8_t code = b->bytes()[i];
        ASSERT_EQ(code, FloatToFp8(v[i], fmt, /*saturate=*/true)) << t.name() << " " << i;
        const double e = double(v[i]) - double(Fp8ToFloat(code, fmt));
        squared += e * e, signal += double(v[i]) * v[i], ++values;
      }
    }
    EXPECT_NEAR(j["lossy"]["rmse"].get<double>(), std::sqrt(squared / double(values)), 1e-9) << flag;
    EXPECT_NEAR(j["lossy"]["snr_db"].get<double>(), 10 * std::log10(signal / squared), 1e-6) << flag;
  }
  auto bad = testing::RunCli("compress " + in + " -o " + dir.File("x.tpz") + " --cast fp8", dir);
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("fp8-e4m3"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace tp
