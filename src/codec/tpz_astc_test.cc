// ASTC tensors inside .tpz: the container restores exactly what the ASTC
// decoder produces through the affine map (checked against the standalone
// `astc encode` + `astc decode` files), every other tensor byte for byte, and
// rejects malformed ASTC entries cleanly.
#include <gtest/gtest.h>
#include <xxhash.h>

#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>
#include <random>

#include "codec/tpz_format.h"
#include "tensorpress/astc.h"
#include "tensorpress/half.h"
#include "tensorpress/model.h"
#include "tensorpress/tpz.h"
#include "testing/test_util.h"

namespace tp {
namespace {

using testing::RunCli;
using testing::TempDir;

const Tensor* Find(const Model& m, const std::string& name) {
  for (const Tensor& t : m.tensors)
    if (t.name() == name) return &t;
  return nullptr;
}

bool SameBytes(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() &&
         std::equal(a.bytes().begin(), a.bytes().end(), b.bytes().begin(), b.bytes().end());
}

// Weight-like values: Gaussian with a few outliers, so that the tensor's
// range is much wider than a typical block's.
std::vector<float> Weights(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 0.05f);
  std::vector<float> v(n);
  for (auto& x : v) x = normal(rng);
  for (size_t i = 0; i < n; i += 997) v[i] *= 6;
  return v;
}

TEST(TpzAstc, CliMatchesTheStandaloneAstcFilesBitExactly) {
  TempDir dir;
  const std::string in = testing::SharedModel("mnist-cnn/mnist_cnn.safetensors");
  auto r = RunCli("compress " + in + " -o " + dir.File("m.tpz") +
                      " --astc 6x6 --quality 10 --astc-tensor dense_2.kernel --astc-tensor 'conv2d_2.*'",
                  dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("2 ASTC tensors equal to their ASTC decode"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("dense_2.kernel: astc 6x6 luminance, map per tensor"), std::string::npos) << r.out;
  r = RunCli("decompress " + dir.File("m.tpz") + " -o " + dir.File("m.safetensors"), dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("lossy tensors"), std::string::npos) << r.out;
  auto original = ReadModel(in);
  auto restored = ReadModel(dir.File("m.safetensors"));
  ASSERT_TRUE(original.ok() && restored.ok());
  ASSERT_EQ(original->tensors.size(), restored->tensors.size());
  for (const Tensor& t : original->tensors) {
    const Tensor* back = Find(*restored, t.name());
    ASSERT_NE(back, nullptr) << t.name();
    // conv2d_2.bias matches the glob but is rank 1: it stays lossless.
    if (t.name() != "dense_2.kernel" && t.name() != "conv2d_2.kernel") {
      EXPECT_TRUE(SameBytes(t, *back)) << t.name();
      continue;
    }
    ASSERT_EQ(back->dtype(), DType::kF32);
    ASSERT_EQ(back->shape(), t.shape());
    // The standalone path: astc encode writes OUT.astc + OUT.astc.json,
    // astc decode writes the decode_float16 texels; the map is applied here.
    r = RunCli("astc encode " + in + " --tensor " + t.name() + " --block 6x6 --quality 10 -o " + dir.File("s.astc") +
                   " --force",
               dir);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = RunCli("astc decode " + dir.File("s.astc") + " -o " + dir.File("s.npy") + " --force", dir);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto side_bytes = testing::ReadBytes(dir.File("s.astc.json"));
    auto side = nlohmann::json::parse(side_bytes.begin(), side_bytes.end());
    const float offset = side["offset"].get<float>(), scale = side["scale"].get<float>();
    auto texels = ReadModel(dir.File("s.npy"));
    ASSERT_TRUE(texels.ok()) << texels.status().message();
    auto half = texels->tensors[0].values<uint16_t>();
    auto got = back->values<float>();
    ASSERT_EQ(half.size(), 4 * got.size());
    for (size_t i = 0; i < got.size(); ++i)
      ASSERT_EQ(std::bit_cast<uint32_t>(got[i]), std::bit_cast<uint32_t>(offset + scale * HalfToFloat(half[4 * i])))
          << t.name() << " weight " << i;
  }
  // inspect lists the lossy tensors with the error of the restored values.
  r = RunCli("inspect --json " + dir.File("m.tpz"), dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["format"], "tpz");
  int lossy = 0;
  for (const auto& row : j["tensors"]) {
    if (!row.contains("lossy")) continue;
    ++lossy;
    const Tensor* a = Find(*original, row["name"]);
    const Tensor* b = Find(*restored, row["name"]);
    ASSERT_TRUE(a && b);
    astc::ErrorStats err = astc::CompareValues(a->values<float>(), b->values<float>());
    EXPECT_DOUBLE_EQ(row["lossy"]["rmse"].get<double>(), err.rmse);
    EXPECT_DOUBLE_EQ(row["lossy"]["max_error"].get<double>(), err.max_abs);
    EXPECT_GT(err.rmse, 0);
  }
  EXPECT_EQ(lossy, 2);
}

TEST(TpzAstc, DefaultSelectionAndDtypesAndPerTileMaps) {
  // Rank >= 2 float tensors of >= 4096 elements become ASTC; 1-D, small and
  // integer tensors stay lossless; f16 and bf16 come back in their dtype.
  std::vector<Tensor> tensors;
  auto add_float = [&](const std::string& name, DType dtype, Shape shape, uint32_t seed) {
    uint64_t n = *ElementCount(shape);
    auto v = Weights(n, seed);
    std::vector<uint16_t> h(n);
    for (uint64_t i = 0; i < n; ++i) h[i] = dtype == DType::kF16 ? FloatToHalf(v[i]) : FloatToBf16(v[i]);
    if (dtype == DType::kF32) tensors.push_back(*Tensor::FromValues<float>(name, dtype, shape, v));
    else tensors.push_back(*Tensor::FromValues<uint16_t>(name, dtype, shape, h));
  };
  add_float("conv.weight", DType::kF32, {3, 3, 8, 64}, 1);  // 4608: ASTC, as a [72, 64] matrix
  add_float("fc.weight", DType::kF16, {64, 70}, 2);         // 4480: ASTC
  add_float("proj.weight", DType::kBF16, {80, 64}, 3);      // 5120: ASTC
  add_float("small.weight", DType::kF32, {10, 10}, 4);      // small: lossless
  add_float("norm.weight", DType::kF32, {5000}, 5);         // rank 1: lossless
  std::vector<int32_t> ids(6000, 7);
  tensors.push_back(*Tensor::FromValues<int32_t>("ids", DType::kI32, {60, 100}, ids));
  TempDir dir;
  ASSERT_TRUE(WriteSafetensors(dir.File("m.safetensors"), tensors, {}).ok());

  for (const std::string affine : {"tensor", "block"}) {
    SCOPED_TRACE(affine);
    const std::string out = dir.File("m-" + affine + ".tpz");
    auto r = RunCli("compress " + dir.File("m.safetensors") + " -o " + out + " --astc 6x6 --quality 0 --affine " +
                        affine,
                    dir);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto bytes = testing::ReadBytes(out);
    auto lossy = TpzLossyTensors(bytes, out);
    ASSERT_TRUE(lossy.ok()) << lossy.status().message();
    ASSERT_EQ(lossy->size(), 3u);
    auto back = DecodeTpz(bytes, out);
    ASSERT_TRUE(back.ok()) << back.status().message();
    for (size_t i = 3; i < tensors.size(); ++i) EXPECT_TRUE(SameBytes(tensors[i], back->tensors[i])) << tensors[i].name();
    for (size_t i = 0; i < 3; ++i) {
      const Tensor& t = tensors[i];
      SCOPED_TRACE(t.name());
      EXPECT_EQ((*lossy)[i].name, t.name());
      EXPECT_EQ(back->tensors[i].dtype(), t.dtype());
      EXPECT_EQ(back->tensors[i].shape(), t.shape());
      // The same encode through the library gives the same restored bytes.
      astc::TensorEncodeOptions o;
      o.encode.quality = 0;
      o.affine_tile = affine == "block" ? 1 : 0;
      auto a = astc::EncodeTensor(t, o);
      ASSERT_TRUE(a.ok());
      auto expect = astc::DecodeTensor(*a, t.name(), t.dtype(), t.shape());
      ASSERT_TRUE(expect.ok());
      EXPECT_TRUE(SameBytes(*expect, back->tensors[i]));
      // Blocks + the 8-byte range + 2 bytes per block when per block.
      const uint64_t blocks = uint64_t(a->image.blocks_x()) * uint64_t(a->image.blocks_y());
      EXPECT_EQ((*lossy)[i].stored_bytes, blocks * 16 + 8 + (affine == "block" ? 2 * blocks : 0));
      EXPECT_GT((*lossy)[i].rmse, 0);
      EXPECT_LE((*lossy)[i].rmse, (*lossy)[i].max_error);
    }
  }
  EXPECT_NE(RunCli("compress " + dir.File("m.safetensors") + " -o " + dir.File("x.tpz") + " --astc 7x7", dir).exit_code,
            0);
  EXPECT_NE(RunCli("compress " + dir.File("m.safetensors") + " -o " + dir.File("x.tpz") + " --rgba", dir).exit_code, 0);
}

TEST(TpzAstc, PerTileMapDecodesToTheEncodersAccount) {
  // The encoder's own error model, scaled per block, equals the real
  // decode's RMSE for per-tile maps, with the tile count the tile size gives.
  auto t = Tensor::FromValues<float>("w", DType::kF32, {100, 70}, Weights(7000, 9));
  ASSERT_TRUE(t.ok());
  for (int tile : {1, 2, 3}) {
    for (bool rgba : {false, true}) {
      SCOPED_TRACE(std::to_string(tile) + (rgba ? " rgba" : ""));
      astc::TensorEncodeOptions o;
      o.encode.block_x = 5;
      o.encode.block_y = 4;
      o.encode.quality = 0;
      o.affine_tile = tile;
      o.rgba = rgba;
      auto a = astc::EncodeTensor(rgba ? *Tensor::FromValues<float>("w", DType::kF32, {100, 68},
                                                                      std::span(t->values<float>()).first(6800))
                                       : *t,
                                  o);
      ASSERT_TRUE(a.ok()) << a.status().message();
      const int bx = a->image.blocks_x();
      EXPECT_EQ(a->tiles_x(), (bx + tile - 1) / tile);
      EXPECT_EQ(a->tile_ranges.size(), 2u * size_t(a->tiles_x()) * size_t(a->tiles_y()));
      auto d = astc::DecodeTensorValues(*a);
      ASSERT_TRUE(d.ok());
      auto reference = std::span(t->values<float>()).first(d->size());
      astc::ErrorStats err = astc::CompareValues(reference, *d);
      EXPECT_NEAR(err.rmse, a->encoder_rmse, 1e-5 * a->encoder_rmse + 1e-6 * a->scale);
      // Tiles cut their ranges out of the tensor's: no value leaves it.
      for (float v : *d) {
        ASSERT_GE(v, a->offset - 1e-6f * a->scale);
        ASSERT_LE(v, a->offset + a->scale * (1 + 1e-6f));
      }
    }
  }
}

// A .tpz whose header JSON `edit` changes (the checksum is recomputed, so
// only the reader's field checks can catch the damage).
std::vector<uint8_t> Rewrite(const std::vector<uint8_t>& tpz,
                             const std::function<void(nlohmann::ordered_json&, std::vector<uint8_t>&)>& edit) {
  uint64_t hsize;
  std::memcpy(&hsize, tpz.data() + 8, 8);
  auto json = tpz::UnpackHeader({tpz.data() + 24, size_t(hsize)});
  EXPECT_TRUE(json.ok());
  auto header = nlohmann::ordered_json::parse(*json);
  std::vector<uint8_t> data(tpz.begin() + 24 + static_cast<std::ptrdiff_t>(hsize), tpz.end());
  edit(header, data);
  const std::vector<uint8_t> h = tpz::PackHeader(header.dump());
  std::vector<uint8_t> out(tpz.begin(), tpz.begin() + 8);
  const uint64_t size = h.size(), sum = XXH3_64bits(h.data(), h.size());
  out.resize(24);
  std::memcpy(out.data() + 8, &size, 8);
  std::memcpy(out.data() + 16, &sum, 8);
  out.insert(out.end(), h.begin(), h.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

TEST(TpzAstc, MalformedAstcEntriesAreRejectedCleanly) {
  auto t = Tensor::FromValues<float>("layer.weight", DType::kF32, {20, 18}, Weights(360, 4));
  ASSERT_TRUE(t.ok());
  astc::TensorEncodeOptions o;
  o.encode.quality = 0;
  o.affine_tile = 1;
  auto a = astc::EncodeTensor(*t, o);
  ASSERT_TRUE(a.ok());
  TpzOptions options;
  options.astc.push_back({"layer.weight", *a});
  std::vector<Tensor> tensors = {*t};
  auto good = EncodeTpz(tensors, {}, options);
  ASSERT_TRUE(good.ok()) << good.status().message();
  ASSERT_TRUE(DecodeTpz(*good, "good.tpz").ok());
  TpzOptions stray = options;
  stray.astc[0].first = "other.weight";
  EXPECT_EQ(EncodeTpz(tensors, {}, stray).status().code(), StatusCode::kInvalidArgument);
  // 3x4 blocks of 6x6 and a 2-byte range each.
  uint64_t header_size;
  std::memcpy(&header_size, good->data() + 8, 8);
  ASSERT_EQ(good->size() - 24 - header_size, 12u * 16 + 24);

  using Json = nlohmann::ordered_json;
  auto entry = [](Json& h) -> Json& { return h["tensors"][0]["astc"]; };
  auto resum = [&](Json& h, std::vector<uint8_t>& d) { entry(h)["xxh3"] = tpz::Xxh3Hex(d.data(), d.size()); };
  struct Case {
    const char* what;
    std::function<void(Json&, std::vector<uint8_t>&)> edit;
    const char* message;
  };
  const Case cases[] = {
      {"truncated blocks", [&](Json& h, std::vector<uint8_t>& d) { d.resize(d.size() - 16); entry(h)["size"] = d.size(); resum(h, d); },
       "not the 3x4 blocks"},
      {"data past the end", [&](Json& h, std::vector<uint8_t>& d) { d.resize(d.size() - 16); }, "past the end"},
      {"block count not matching the shape", [&](Json& h, std::vector<uint8_t>&) { entry(h)["matrix"] = {40, 9}; },
       "not the 2x7 blocks"},
      {"matrix not holding the tensor", [&](Json& h, std::vector<uint8_t>&) { entry(h)["matrix"] = {10, 18}; },
       "does not hold the tensor"},
      {"block count not matching the footprint", [&](Json& h, std::vector<uint8_t>&) { entry(h)["footprint"] = {8, 8}; },
       "not the 3x3 blocks"},
      {"not a footprint", [&](Json& h, std::vector<uint8_t>&) { entry(h)["footprint"] = {7, 7}; }, "footprint"},
      {"NaN scale (null in JSON)", [&](Json& h, std::vector<uint8_t>&) { entry(h)["map"]["scale"] = std::nan(""); },
       "malformed affine map"},
      {"infinite offset", [&](Json& h, std::vector<uint8_t>&) { entry(h)["map"]["offset"] = 1e39; }, "not finite"},
      {"map overflowing float", [&](Json& h, std::vector<uint8_t>&) {
         entry(h)["map"]["offset"] = 3e38; entry(h)["map"]["scale"] = 3e38; }, "not finite"},
      {"tile map missing", [&](Json& h, std::vector<uint8_t>&) { entry(h)["map"]["tile"] = 0; }, "not the 3x4 blocks"},
      {"reversed tile range", [&](Json& h, std::vector<uint8_t>& d) {
         d[d.size() - 2] = 200; d[d.size() - 1] = 100; resum(h, d); }, "range reversed"},
      {"checksum mismatch", [&](Json&, std::vector<uint8_t>& d) { d[5] ^= 1; }, "checksum mismatch"},
      {"bad channels", [&](Json& h, std::vector<uint8_t>&) { entry(h)["channels"] = 3; }, "channels"},
      {"no error record", [&](Json& h, std::vector<uint8_t>&) { entry(h).erase("error"); }, "error record"},
      {"integer dtype", [&](Json& h, std::vector<uint8_t>&) { h["tensors"][0]["dtype"] = "i32"; }, "float"},
      {"planes as well", [&](Json& h, std::vector<uint8_t>&) { h["tensors"][0]["planes"] = Json::array(); }, "planes"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    auto bad = Rewrite(*good, c.edit);
    auto r = DecodeTpz(bad, "bad.tpz");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kCorruptData);
    EXPECT_NE(r.status().message().find(c.message), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find("layer.weight"), std::string::npos) << r.status().message();
    EXPECT_EQ(r.status().message().find('\n'), std::string::npos);
  }
  // Every truncation of the file.
  for (size_t n = 0; n < good->size(); n += 1 + n / 16) {
    auto r = DecodeTpz(std::span(*good).first(n), "cut.tpz");
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.status().code(), StatusCode::kCorruptData);
  }
}

}  // namespace
}  // namespace tp
