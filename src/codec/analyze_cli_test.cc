// `tensorpress analyze` end to end on the shared MNIST CNN.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "testing/test_util.h"

namespace tp {
namespace {

TEST(AnalyzeCli, JsonHasTheIssuesFieldsForEveryCodec) {
  testing::TempDir dir;
  auto r = testing::RunCli("analyze " + testing::SharedModel("mnist-cnn/mnist_cnn.safetensors") +
                               " --tensor 'dense_2*' --quantize int8 --json",
                           dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["tensors"].size(), 2u);
  const char* keys[] = {"atalanta", "atalanta-order0", "atalanta-rans", "huffman", "zero_rle", "zvc",
                        "csr",      "csc",             "bpc",           "zstd-3",  "zstd-19",  "lz4"};
  for (const auto& t : j["tensors"]) {
    EXPECT_EQ(t["dtype"], "f32");
    EXPECT_EQ(t["coded_dtype"], "i8");
    const uint64_t n = t["elements"];
    const double h = t["entropy_bits_per_value"];
    for (const char* k : keys) {
      ASSERT_TRUE(t["codecs"].contains(k)) << k;
      const auto& c = t["codecs"][k];
      const uint64_t payload = c["payload_bits"], total = c["total_bytes"];
      EXPECT_LE(payload, 8 * total) << k;
      EXPECT_NEAR(double(c["bits_per_value"]), 8.0 * double(total) / double(n), 1e-9);
      // These weights have no structure beyond their histogram: nothing beats order-0 entropy.
      EXPECT_GE(8.0 * double(total), h * double(n)) << k;
    }
    const auto& table = t["codecs"]["atalanta"]["table"];
    // The ranges tile the codes from the first to one before end_code.
    EXPECT_LT(table["range_start"].back().get<int>(), table["end_code"].get<int>());
    EXPECT_LE(table["end_code"].get<int>(), 256);
    EXPECT_LE(table["range_start"].size(), 16u);
    uint64_t sum = 0;
    for (const auto& f : table["frequency"]) sum += f.get<uint64_t>();
    EXPECT_EQ(sum, 1u << table["precision_bits"].get<int>());
  }
  // The 1280-value kernel: the table and headers keep Atalanta above the entropy.
  EXPECT_EQ(j["tensors"][0]["name"], "dense_2.kernel");
}

TEST(AnalyzeCli, FloatTensorsAreCodedByBytePlanesAndBadOptionsFail) {
  testing::TempDir dir;
  auto r = testing::RunCli("analyze " + testing::SharedModel("mnist-cnn/mnist_cnn.safetensors") +
                               " --tensor 'conv2d_2.kernel' --json",
                           dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["tensors"].size(), 1u);
  EXPECT_EQ(j["skipped"].size(), 0u);
  for (const auto& t : j["tensors"]) {
    EXPECT_EQ(t["coded_dtype"], "f32 byte planes");
    EXPECT_EQ(t["bytes"].get<uint64_t>(), 4 * t["elements"].get<uint64_t>());
    // Trained weights: the sign/exponent plane is redundant, so the best
    // codec beats the 32 raw bits, and no plane coder beats the planes' entropy.
    const double best = t["codecs"][t["best"].get<std::string>()]["bits_per_value"];
    EXPECT_LT(best, 32.0) << t.dump();
    EXPECT_GE(double(t["codecs"]["atalanta-order0"]["bits_per_value"]), double(t["entropy_bits_per_value"]));
  }
  r = testing::RunCli("analyze " + testing::SharedModel("mnist-cnn/mnist_cnn.safetensors") + " --quantize int4", dir);
  EXPECT_EQ(r.exit_code, 1);
  r = testing::RunCli("analyze " + testing::SharedModel("mnist-cnn/mnist_cnn.safetensors") +
                          " --quantize int8 --precision 15",
                      dir);
  EXPECT_EQ(r.exit_code, 1) << "P=15 needs 17-bit registers";
}

TEST(AnalyzeCli, ActivationsAreUint8WithTheirZeroPoint) {
  testing::TempDir dir;
  auto r = testing::RunCli("analyze " + testing::SharedModel("mnist-cnn/activations_first64.safetensors") +
                               " --tensor 'dense_2.input' --quantize int8 --json",
                           dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["tensors"].size(), 1u);
  EXPECT_EQ(j["tensors"][0]["coded_dtype"], "u8");
  // Post-ReLU activations: zero-value compression pays off.
  EXPECT_LT(j["tensors"][0]["codecs"]["zvc"]["total_bytes"].get<uint64_t>(), 8192u);
}

}  // namespace
}  // namespace tp
