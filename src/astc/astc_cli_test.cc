// End-to-end tests of `analyze --astc` and `astc plan` through the binary.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tensorpress/astc.h"
#include "tensorpress/model.h"
#include "testing/test_util.h"

namespace tp::astc {
namespace {

using tp::testing::RunCli;
using tp::testing::SharedModel;
using tp::testing::TempDir;

const Tensor* Find(const Model& m, const std::string& name) {
  for (const Tensor& t : m.tensors)
    if (t.name() == name) return &t;
  return nullptr;
}

TEST(AstcCli, AnalyzeAddsFootprintRowsForWeightMatrices) {
  TempDir dir;
  const std::string model = SharedModel("mnist-cnn/mnist_cnn.safetensors");
  auto r = RunCli("analyze --json --astc --astc-blocks 4x4,12x12 --astc-quality 0 --codec lz4 --tensor 'dense_2.*' " +
                      model, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["tensors"].size(), 2u);
  auto m = ReadModel(model);
  ASSERT_TRUE(m.ok());
  for (const auto& t : j["tensors"]) {
    if (t["name"] == "dense_2.bias") {
      EXPECT_FALSE(t.contains("astc"));  // rank 1: not a texture
      continue;
    }
    ASSERT_EQ(t["name"], "dense_2.kernel");
    ASSERT_EQ(t["astc"].size(), 2u);
    // [128, 10] at 4x4: 3 x 32 blocks of 16 bytes, plus the 8-byte affine map, over 1280 weights.
    EXPECT_DOUBLE_EQ(t["astc"]["4x4"]["bits_per_weight"].get<double>(), 8.0 * (96 * 16 + 8) / 1280);
    // At 12x12: 1 x 11 blocks.
    EXPECT_DOUBLE_EQ(t["astc"]["12x12"]["bits_per_weight"].get<double>(), 8.0 * (11 * 16 + 8) / 1280);
    auto direct = MeasureFootprint(*Find(*m, "dense_2.kernel"), {12, 12}, 0);
    ASSERT_TRUE(direct.ok());
    EXPECT_DOUBLE_EQ(t["astc"]["12x12"]["rmse"].get<double>(), direct->error.rmse);
    EXPECT_DOUBLE_EQ(t["astc"]["12x12"]["max_error"].get<double>(), direct->error.max_abs);
    EXPECT_DOUBLE_EQ(t["astc"]["12x12"]["snr_db"].get<double>(), direct->error.snr_db);
    EXPECT_DOUBLE_EQ(t["astc"]["12x12"]["ratio"].get<double>(), direct->ratio);
    EXPECT_LT(t["astc"]["4x4"]["rmse"].get<double>(), t["astc"]["12x12"]["rmse"].get<double>());
  }
  // The table form names the section and both footprints.
  r = RunCli("analyze --astc --astc-blocks 6x6 --astc-quality 0 --codec lz4 --tensor dense_2.kernel " + model, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("ASTC (lossy"), std::string::npos);
  EXPECT_NE(r.out.find("6x6"), std::string::npos);
  EXPECT_NE(RunCli("analyze --astc --astc-blocks 7x7 " + model, dir).exit_code, 0);
}

// The choice recomputed from the printed table, independently of the library's planner.
TEST(AstcCli, PlanToleranceTakesTheLargestFootprintMeetingIt) {
  TempDir dir;
  const std::string model = SharedModel("mnist-cnn/mnist_cnn.safetensors");
  const double tolerance = 0.004;
  auto r = RunCli("astc plan --json --quality 0 --tensor 'conv2d_*' --tensor dense_2.kernel --tolerance 0.004 " + model,
                  dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["layers"].size(), 3u);
  double bits = 0;
  for (const auto& layer : j["layers"]) {
    ASSERT_EQ(layer["astc"].size(), 14u);
    std::string expected;
    double best_bits = 1e9, best_rmse = 1e9;
    std::string most_accurate;
    for (const auto& [name, fp] : layer["astc"].items()) {
      const double b = fp["bits_per_weight"], e = fp["rmse"];
      if (e <= tolerance && b < best_bits) {
        best_bits = b;
        expected = name;
      }
      if (e < best_rmse) {
        best_rmse = e;
        most_accurate = name;
      }
    }
    EXPECT_EQ(layer["met"], !expected.empty());
    EXPECT_EQ(layer["choice"], expected.empty() ? most_accurate : expected) << layer["name"];
    bits += layer["astc"][layer["choice"].get<std::string>()]["bits_per_weight"].get<double>() *
            layer["weights"].get<double>();
  }
  EXPECT_NEAR(j["plan"]["bits"].get<double>(), bits, 1e-6 * bits);
}

TEST(AstcCli, PlanBudgetStaysWithinIt) {
  TempDir dir;
  const std::string model = SharedModel("mnist-cnn/mnist_cnn.safetensors");
  auto r = RunCli("astc plan --json --quality 0 --tensor 'conv2d_*' --budget 60000 " + model, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_LE(j["plan"]["bits"].get<double>(), 60000);
  // Everything at 4x4 costs 8 * (3 * 8 * 16 + 8 + 72 * 16 * 16 + 8) = 150656 bits, over budget; 12x12 for
  // both costs far less: the plan sits between.
  EXPECT_GT(j["plan"]["bits"].get<double>(), 8.0 * (1 * 3 * 16 + 8 + 6 * 24 * 16 + 8));
  EXPECT_NE(RunCli("astc plan --quality 0 --tensor 'conv2d_*' --budget 100 " + model, dir).exit_code, 0);
  EXPECT_NE(RunCli("astc plan --budget 1 --tolerance 1 " + model, dir).exit_code, 0);
}

TEST(AstcCli, PlanAccuracyFloorIsMeasured) {
  TempDir dir;
  const std::string model = SharedModel("mnist-cnn/mnist_cnn.safetensors");
  auto r = RunCli("astc plan --json --quality 0 --blocks 4x4,8x8,12x12 --tensor dense_2.kernel --tensor "
                  "conv2d_1.kernel --accuracy-floor 95 --images 300 --digits " +
                      tp::testing::SharedDir() + "/data/datasets/mnist-10k " + model,
                  dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["plan"]["images"], 300);
  EXPECT_TRUE(j["plan"]["met"].get<bool>());
  EXPECT_GE(j["plan"]["accuracy"].get<double>(), 95.0);
  EXPECT_GE(j["plan"]["evaluations"].get<int>(), 2);
  // Not the MNIST CNN: refused, not guessed.
  EXPECT_NE(RunCli("astc plan --quality 0 --accuracy-floor 50 --blocks 12x12 " +
                       SharedModel("mlperf-tiny/autoencoder_ad01.safetensors"),
                   dir)
                .exit_code,
            0);
}

}  // namespace
}  // namespace tp::astc
