// End-to-end tests of `tensorpress inspect` through the built binary.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tensorpress/model.h"
#include "testing/test_util.h"

namespace tp {
namespace {

using testing::RunCli;
using testing::SharedModel;
using testing::TempDir;

TEST(InspectCli, JsonHasDocumentedFieldsAndTotals) {
  TempDir dir;
  auto r = RunCli("inspect --json " + SharedModel("mnist-cnn/mnist_cnn.safetensors"), dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.err.empty()) << "progress must stay quiet when not on a terminal: " << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["format"], "safetensors");
  ASSERT_EQ(j["tensors"].size(), 8u);
  const auto& t = j["tensors"][0];
  for (const char* key : {"name", "dtype", "shape", "elements", "bytes", "min", "max", "mean", "std",
                          "zero_fraction", "nan_count", "entropy_bits", "entropy_domain"})
    EXPECT_TRUE(t.contains(key)) << key;
  EXPECT_EQ(t["name"], "conv2d_1.kernel");
  EXPECT_EQ(t["entropy_domain"], "bytes");
  EXPECT_EQ(j["totals"]["elements"], 1199882u);
  EXPECT_EQ(j["totals"]["tensors"], 8u);
}

TEST(InspectCli, TensorGlobSelects) {
  TempDir dir;
  auto r = RunCli("inspect --json --tensor '*.bias' --tensor 'dense_2.*' " +
                      SharedModel("mnist-cnn/mnist_cnn.safetensors"), dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["tensors"].size(), 5u);  // 4 biases + dense_2.kernel
  auto none = RunCli("inspect --tensor 'nothing*' " + SharedModel("mnist-cnn/mnist_cnn.safetensors"), dir);
  EXPECT_NE(none.exit_code, 0);
}

TEST(InspectCli, IntegerEntropyIsPerValue) {
  TempDir dir;
  // 0,0,1,-1,2,2,2,2 as i8: H = 1.75 bits (hand computed in tensor_test.cc).
  std::vector<int8_t> v = {0, 0, 1, -1, 2, 2, 2, 2};
  std::vector<Tensor> t = {*Tensor::FromValues<int8_t>("q", DType::kI8, {2, 4}, v)};
  ASSERT_TRUE(WriteSafetensors(dir.File("q.safetensors"), t, {}).ok());
  auto r = RunCli("inspect --json " + dir.File("q.safetensors"), dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["tensors"][0]["entropy_domain"], "values");
  EXPECT_DOUBLE_EQ(j["tensors"][0]["entropy_bits"].get<double>(), 1.75);
  EXPECT_DOUBLE_EQ(j["tensors"][0]["zero_fraction"].get<double>(), 0.25);
}

TEST(InspectCli, TableHasFooter) {
  TempDir dir;
  auto r = RunCli("inspect " + SharedModel("stories260k/stories260K.bin"), dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("layers.4.feed_forward.w3.weight"), std::string::npos);
  EXPECT_NE(r.out.find("total: 49 tensors"), std::string::npos) << r.out;
}

TEST(InspectCli, MissingFileIsStatus2) {
  TempDir dir;
  auto r = RunCli("inspect " + dir.File("absent.safetensors"), dir);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("absent.safetensors"), std::string::npos);
}

TEST(InspectCli, UsageErrorIsStatus1) {
  TempDir dir;
  EXPECT_EQ(RunCli("inspect", dir).exit_code, 1);
  EXPECT_EQ(RunCli("no-such-verb", dir).exit_code, 1);
}

// Every shared model file reads and inspects (formats whose reader is built).
TEST(InspectCli, EverySharedModelInspects) {
  TempDir dir;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(testing::SharedDir() + "/data/models")) {
    if (!entry.is_regular_file()) continue;
    SCOPED_TRACE(entry.path().string());
    auto r = RunCli("inspect --json '" + entry.path().string() + "'", dir);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto j = nlohmann::json::parse(r.out);
    EXPECT_GT(j["tensors"].size(), 0u);
  }
}

}  // namespace
}  // namespace tp
