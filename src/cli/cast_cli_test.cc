// `compress --cast` through the built binary: the cast model goes through
// the streaming engine, `decompress` gives it back as safetensors whose
// values are the round-to-nearest-even casts of the input, and nothing is
// left in the temporary folder.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "tensorpress/container.h"
#include "tensorpress/half.h"
#include "tensorpress/model.h"
#include "testing/test_util.h"

namespace tp {
namespace {

using testing::RunCli;
using testing::SharedModel;
using testing::TempDir;

TEST(CastCli, CastModelsGoThroughTheEngineAndComeBackAsTheCast) {
  TempDir dir, tmp;
  ::setenv("TMPDIR", tmp.path().c_str(), 1);
  const std::string in = SharedModel("mnist-cnn/mnist_cnn.safetensors");
  auto original = ReadModel(in);
  ASSERT_TRUE(original.ok());
  for (const char* cast : {"bf16", "f16"}) {
    const std::string tpz = dir.File(std::string("m-") + cast + ".tpz");
    auto r = RunCli("compress " + in + " --cast " + cast + " --json -o " + tpz, dir);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["lossy"]["cast_tensors"].get<double>(), double(original->tensors.size()));
    EXPECT_GT(j["lossy"]["snr_db"].get<double>(), 40.0);
    // 16-bit values of half the input's size, then coded: above 2x.
    EXPECT_GT(j["lossy"]["ratio_vs_input_file"].get<double>(), 2.0);
    auto bytes = testing::ReadBytes(tpz);
    EXPECT_TRUE(IsStreamingTpz(bytes));
    const std::string back = dir.File(std::string("m-") + cast + ".safetensors");
    r = RunCli("decompress " + tpz + " -o " + back, dir);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto restored = ReadModel(back);
    ASSERT_TRUE(restored.ok()) << restored.status().message();
    ASSERT_EQ(restored->tensors.size(), original->tensors.size());
    const DType want = std::string(cast) == "bf16" ? DType::kBF16 : DType::kF16;
    for (size_t i = 0; i < original->tensors.size(); ++i) {
      const Tensor& a = original->tensors[i];
      const Tensor& b = restored->tensors[i];
      EXPECT_EQ(a.name(), b.name());
      ASSERT_EQ(b.dtype(), want);
      EXPECT_EQ(a.shape(), b.shape());
      const auto x = a.values<float>();
      const auto y = b.values<uint16_t>();
      ASSERT_EQ(x.size(), y.size());
      for (size_t k = 0; k < x.size(); ++k)
        ASSERT_EQ(y[k], want == DType::kBF16 ? FloatToBf16(x[k]) : FloatToHalf(x[k])) << a.name() << " " << k;
    }
  }
  // --rm would delete the only full-precision copy.
  auto r = RunCli("compress " + in + " --cast bf16 --rm -o " + dir.File("x.tpz"), dir);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("--rm"), std::string::npos) << r.err;
  EXPECT_TRUE(std::filesystem::is_empty(tmp.path()));
  ::unsetenv("TMPDIR");
}

}  // namespace
}  // namespace tp
