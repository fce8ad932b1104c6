// `tensorpress analyze --sparse`: the sparse formats' exact sizes of a pruned
// model's weight matrices against the entropy limit of their zero maps.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "tensorpress/model.h"
#include "tensorpress/sparse.h"
#include "testing/test_util.h"

namespace tp {
namespace {

using testing::RunCli;
using testing::SharedModel;
using testing::TempDir;

TEST(AnalyzeSparseCli, PrunedMnistSizesAreTheEncodersBytes) {
  TempDir dir;
  const std::string pruned = dir.File("p.safetensors");
  auto p = RunCli("prune " + SharedModel("mnist-cnn/mnist_cnn.safetensors") + " --nm 2:4 -o " + pruned, dir);
  ASSERT_EQ(p.exit_code, 0) << p.err;
  auto r = RunCli("analyze " + pruned + " --sparse --codec rans --json", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  auto model = ReadModel(pruned);
  ASSERT_TRUE(model.ok());
  size_t checked = 0;
  for (const auto& row : j["tensors"]) {
    const std::string name = row["name"];
    if (name != "conv2d_2.kernel" && name != "dense_2.kernel") {
      continue;
    }
    const Tensor* t = nullptr;
    for (const Tensor& x : model->tensors)
      if (x.name() == name) t = &x;
    ASSERT_NE(t, nullptr);
    auto m = sparse::SparseMatrixOf(*t, sparse::WeightLayout::kOutputLast);
    ASSERT_TRUE(m.ok());
    const auto& f = row["sparse_formats"];
    auto csr = sparse::EncodeCompressed(*m, sparse::CompressedAxis::kRows);
    auto csc = sparse::EncodeCompressed(*m, sparse::CompressedAxis::kColumns);
    auto nm = sparse::EncodeNm(*m, 2, 4);
    auto block = sparse::EncodeBlockSparse(*m, 4, 4);
    ASSERT_TRUE(csr.ok() && csc.ok() && nm.ok() && block.ok());
    EXPECT_EQ(f["csr_bytes"], csr->size()) << name;
    EXPECT_EQ(f["csc_bytes"], csc->size()) << name;
    EXPECT_EQ(f["nm2:4_bytes"], nm->size()) << name;
    EXPECT_EQ(f["block4x4_bytes"], block->size()) << name;
    EXPECT_EQ(f["dense_bytes"], t->elements() * 4);
    // 2:4 along every K divisible by 4: exactly half the weights, so the
    // limit is the values plus one bit per element.
    const uint64_t n = t->elements();
    EXPECT_EQ(f["nonzeros"], n / 2) << name;
    EXPECT_DOUBLE_EQ(f["entropy_limit_bytes"].get<double>(), double(n / 2) * 4 + double(n) / 8) << name;
    EXPECT_EQ(f["best"], "nm2:4");
    ++checked;
  }
  EXPECT_EQ(checked, 2u);
  EXPECT_EQ(j["sparse_formats_total"]["tensors"], 4);
  // conv2d_1 (K = 9) ends in a group of one and still meets 2:4.
  EXPECT_FALSE(j["sparse_formats_total"]["nm2:4_bytes"].is_null());
}

TEST(AnalyzeSparseCli, DenseModelHasNoTwoFourAndATableRow) {
  TempDir dir;
  auto r = RunCli("analyze " + SharedModel("mnist-cnn/mnist_cnn.safetensors") + " --sparse --codec rans", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("sparse formats"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("dense_1.kernel"), std::string::npos);
  auto js = RunCli("analyze " + SharedModel("mnist-cnn/mnist_cnn.safetensors") + " --sparse --codec rans --json", dir);
  ASSERT_EQ(js.exit_code, 0) << js.err;
  auto j = nlohmann::json::parse(js.out);
  EXPECT_TRUE(j["sparse_formats_total"]["nm2:4_bytes"].is_null());
  EXPECT_EQ(j["sparse_formats_total"]["best"], "dense");
}

}  // namespace
}  // namespace tp
