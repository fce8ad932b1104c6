// The CLI ends of issue #13: --granularity on slices and analyze, the error
// beside every figure, and `evaluate` on the shared language model.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "testing/test_util.h"

namespace tp {
namespace {

const std::string kStories = testing::SharedModel("stories260k/stories260K.bin");
const std::string kStoriesActs = testing::SharedModel("stories260k/activations_4x128.safetensors");

TEST(GranularityCli, PerTensorWeightsSkipMoreHoVectorsAtALowerSqnr) {
  testing::TempDir dir;
  double sparsity[2], sqnr[2];
  const char* modes[2] = {"channel", "tensor"};
  for (int i = 0; i < 2; ++i) {
    auto r = testing::RunCli(std::string("slices ") + kStories + " --activations " + kStoriesActs +
                                 " --json --granularity " + modes[i],
                             dir);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["granularity"], modes[i]);
    sparsity[i] = sqnr[i] = 0;
    for (const auto& l : j["layers"]) {
      sparsity[i] += l["weights"]["ho_vector_sparsity"].get<double>();
      sqnr[i] += l["weights"]["sqnr_db"].get<double>();
      // ZPM never lowers sparsity below plain asymmetric quantization.
      EXPECT_GE(l["activations"]["zpm"]["ho_vector_sparsity"].get<double>(),
                l["activations"]["asym"]["ho_vector_sparsity"].get<double>());
      EXPECT_GE(l["activations"]["zpm"]["ho_slice_sparsity"].get<double>(),
                l["activations"]["asym"]["ho_slice_sparsity"].get<double>());
      for (const char* s : {"asym", "zpm", "zpm_dbs", "sibia"})
        EXPECT_TRUE(l["activations"][s].contains("sqnr_db") && l["activations"][s].contains("rmse")) << s;
    }
  }
  EXPECT_GT(sparsity[1], sparsity[0]);
  EXPECT_LT(sqnr[1], sqnr[0]);
  auto bad = testing::RunCli("slices " + kStories + " --activations " + kStoriesActs + " --granularity row", dir);
  EXPECT_NE(bad.exit_code, 0);
}

TEST(GranularityCli, AnalyzeReportsTheQuantizationError) {
  testing::TempDir dir;
  auto r = testing::RunCli("analyze " + kStories + " --quantize int8 --granularity tensor --codec atalanta --json "
                           "--tensor 'layers.0.attention.wq.weight'",
                           dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["tensors"].size(), 1u);
  const auto& q = j["tensors"][0]["quantization"];
  EXPECT_EQ(q["granularity"], "tensor");
  EXPECT_GT(q["sqnr_db"].get<double>(), 20.0);
  EXPECT_GT(q["rmse"].get<double>(), 0.0);
}

TEST(EvaluateCli, FloatReproducesTheRecordedLogitsAndQuantizedSettingsCostPerplexity) {
  testing::TempDir dir;
  auto r = testing::RunCli("evaluate " + kStories + " --activations " + kStoriesActs +
                               " --json --weights float,channel --settings float,asym",
                           dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["rows"].size(), 4u);
  const auto& f = j["rows"][0];
  EXPECT_EQ(f["weights"], "float");
  EXPECT_EQ(f["activations"], "float");
  EXPECT_EQ(f["next_token_agreement"].get<double>(), 1.0);
  EXPECT_LT(f["max_abs_logit_diff"].get<double>(), 1e-3);
  EXPECT_EQ(f["predictions"], 4 * 127);
  for (size_t i = 1; i < 4; ++i) {
    EXPECT_GT(j["rows"][i]["perplexity"].get<double>(), f["perplexity"].get<double>());
    EXPECT_LT(j["rows"][i]["next_token_agreement"].get<double>(), 1.0);
  }
  // The CNN needs digits; a bad setting is a usage error.
  auto no_digits = testing::RunCli("evaluate " + testing::SharedModel("mnist-cnn/mnist_cnn.safetensors") +
                                       " --activations " + testing::SharedModel("mnist-cnn/activations_first64.safetensors"),
                                   dir);
  EXPECT_NE(no_digits.exit_code, 0);
  EXPECT_NE(no_digits.err.find("--images"), std::string::npos);
  auto bad = testing::RunCli("evaluate " + kStories + " --activations " + kStoriesActs + " --settings fp8", dir);
  EXPECT_NE(bad.exit_code, 0);
}

TEST(EvaluateCli, HeldOutSequencesSampledFromTheFloatModel) {
  testing::TempDir dir;
  auto r = testing::RunCli("evaluate " + kStories + " --activations " + kStoriesActs +
                               " --json --weights float --settings float,zpm_dbs --held-out 4 --held-out-length 64",
                           dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["held_out"]["sequences"], 4);
  EXPECT_EQ(j["held_out"]["length"], 64);
  ASSERT_EQ(j["rows"].size(), 2u);
  const auto& f = j["rows"][0]["held_out"];
  const auto& q = j["rows"][1]["held_out"];
  // Float reproduces the logits the samples were drawn from; DBS costs
  // perplexity on text its calibration never saw.
  EXPECT_EQ(f["predictions"], 4 * 63);
  EXPECT_EQ(f["next_token_agreement"].get<double>(), 1.0);
  EXPECT_LT(f["max_abs_logit_diff"].get<double>(), 1e-6);
  EXPECT_GT(q["perplexity"].get<double>(), f["perplexity"].get<double>());
  EXPECT_LT(q["next_token_agreement"].get<double>(), 1.0);
  // Sampling needs a language model; the CNN refuses it with a usage error.
  auto cnn = testing::RunCli("evaluate " + testing::SharedModel("mnist-cnn/mnist_cnn.safetensors") +
                                 " --activations " + testing::SharedModel("mnist-cnn/activations_first64.safetensors") +
                                 " --held-out 2",
                             dir);
  EXPECT_EQ(cnn.exit_code, 1);  // usage
  EXPECT_NE(cnn.err.find("--held-out"), std::string::npos);
}

}  // namespace
}  // namespace tp
