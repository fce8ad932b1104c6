// `tensorpress prune` through the built binary: outputs in the input's
// format and in safetensors, the JSON report, and exit codes.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tensorpress/model.h"
#include "testing/test_util.h"

namespace tp {
namespace {

using testing::RunCli;
using testing::SharedModel;
using testing::TempDir;

TEST(PruneCli, Llama2cKeepsItsFormatAndOnlyPrunedBytesChange) {
  TempDir dir;
  const std::string in = SharedModel("stories260k/stories260K.bin"), out = dir.File("pruned.bin");
  auto r = RunCli("prune " + in + " --nm 2:4 --exclude 'tok_embeddings*' --json -o " + out, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["pruning"], "2:4");
  auto a = ReadModel(in), b = ReadModel(out);
  ASSERT_TRUE(a.ok() && b.ok()) << b.status().message();
  ASSERT_EQ(a->tensors.size(), b->tensors.size());
  EXPECT_EQ(b->format, ModelFormat::kLlama2c);
  for (size_t i = 0; i < a->tensors.size(); ++i) {
    const auto x = a->tensors[i].values<float>(), y = b->tensors[i].values<float>();
    const std::string& name = a->tensors[i].name();
    const bool pruned = name.rfind("layers.", 0) == 0 && a->tensors[i].rank() == 2;
    uint64_t zeros = 0;
    for (size_t e = 0; e < x.size(); ++e) {
      if (y[e] != 0) EXPECT_EQ(x[e], y[e]);  // survivors keep their exact value
      zeros += y[e] == 0;
    }
    if (pruned) EXPECT_EQ(zeros * 2, x.size()) << a->tensors[i].name();  // every K is a multiple of 4
    else EXPECT_TRUE(std::equal(x.begin(), x.end(), y.begin())) << a->tensors[i].name();
  }
  // The layers' reported sparsities agree.
  for (const auto& l : j["layers"]) EXPECT_DOUBLE_EQ(l["sparsity"].get<double>(), 0.5) << l["tensor"];
}

TEST(PruneCli, WritesSafetensorsAndRefusesToOverwrite) {
  TempDir dir;
  const std::string in = SharedModel("mnist-cnn/mnist_cnn.safetensors"), out = dir.File("p.safetensors");
  auto r = RunCli("prune " + in + " --sparsity 0.8 -o " + out, dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("total: 80.00%"), std::string::npos) << r.out;
  auto m = ReadModel(out);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(RunCli("prune " + in + " -o " + out, dir).exit_code, 1);  // exists, no --force
  EXPECT_EQ(RunCli("prune " + in + " --nm 5:4", dir).exit_code, 1);
  EXPECT_EQ(RunCli("prune " + in + " --granularity diagonal", dir).exit_code, 1);
  TempDir junk;
  testing::WriteBytes(junk.File("bad.safetensors"), {1, 2, 3});
  EXPECT_EQ(RunCli("prune " + junk.File("bad.safetensors"), dir).exit_code, 2);
}

}  // namespace
}  // namespace tp
