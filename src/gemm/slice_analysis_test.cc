#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <random>

#include "tensorpress/gemm.h"
#include "tensorpress/graph.h"
#include "testing/test_util.h"

namespace tp {
namespace {

TEST(SliceCounters, AnalyticCountsEqualTheKernels) {
  std::mt19937 rng(11);
  for (int trial = 0; trial < 400; ++trial) {
    const int m = 1 + rng() % 17, k = 1 + rng() % 40, n = 1 + rng() % 17;
    const int bits = rng() % 3 == 0 ? 4 : 7, z = rng() % 256;
    std::vector<int32_t> w(size_t(m) * k);
    std::vector<uint8_t> x(size_t(k) * n);
    const bool sparse = rng() % 2;
    for (auto& v : w) v = sparse && rng() % 4 ? int(rng() % 8) - 4 : int(rng() % 15) - 7 + (bits == 7 ? int(rng() % 100) - 50 : 0);
    for (auto& v : x) v = static_cast<uint8_t>(sparse && rng() % 4 ? (z & 0xF0) | (rng() % 16) : rng() % 256);
    auto ws = SliceWeightsSbr(w, m, k, bits);
    auto xs = SliceActivationsUnsigned(x, k, n, z);
    ASSERT_TRUE(ws.ok() && xs.ok());
    SliceGemmOperand wo = PrepareSliceOperand(*ws), xo = PrepareSliceOperand(*xs);
    SliceGemmCounters ran;
    std::vector<int32_t> y(size_t(m) * n);
    ASSERT_TRUE(SliceGemmScalar(wo, xo, CompensationBias(wo, xo), y, &ran).ok());
    SliceGemmCounters counted = CountSliceGemm(wo, xo);
    ASSERT_EQ(counted.multiplies, ran.multiplies);
    ASSERT_EQ(counted.dense_multiplies, ran.dense_multiplies);
    ASSERT_EQ(counted.additions, ran.additions);
    ASSERT_EQ(counted.compensation_ops, ran.compensation_ops) << m << " " << k << " " << n << " " << bits;
  }
}

TEST(LowerToGemm, KerasConvMatchesADirectConvolution) {
  // 1 image 4x5x2 (NHWC), kernel 3x3x2x3 (HWIO): output 2x3 positions x 3
  // channels, computed directly and as W (3 x 18) * X (18 x 6).
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(-1, 1);
  std::vector<float> img(4 * 5 * 2), ker(3 * 3 * 2 * 3);
  for (auto& v : img) v = u(rng);
  for (auto& v : ker) v = u(rng);
  auto a = *Tensor::FromValues<float>("c.input", DType::kF32, {1, 4, 5, 2}, img);
  auto w = *Tensor::FromValues<float>("c.kernel", DType::kF32, {3, 3, 2, 3}, ker);
  LoweredLayer l;
  auto fits = LowerToGemm(w, a, l);
  ASSERT_TRUE(fits.ok() && *fits);
  ASSERT_EQ(l.m, 3);
  ASSERT_EQ(l.k, 18);
  ASSERT_EQ(l.n, 6);
  for (int y = 0; y < 2; ++y)
    for (int x = 0; x < 3; ++x)
      for (int o = 0; o < 3; ++o) {
        double direct = 0, gemm = 0;
        for (int dy = 0; dy < 3; ++dy)
          for (int dx = 0; dx < 3; ++dx)
            for (int c = 0; c < 2; ++c)
              direct += img[((y + dy) * 5 + x + dx) * 2 + c] * ker[((dy * 3 + dx) * 2 + c) * 3 + o];
        for (int kk = 0; kk < l.k; ++kk) gemm += l.w[o * l.k + kk] * l.x[kk * l.n + y * 3 + x];
        EXPECT_NEAR(gemm, direct, 1e-5);
      }
}

TEST(LowerToGemm, TorchDenseAndShapeMismatch) {
  // [out=2, in=3] weight, tokens [2, 3]: Y = W X^T.
  std::vector<float> wv = {1, 2, 3, 4, 5, 6}, av = {1, 0, 0, 0, 1, 1};
  auto w = *Tensor::FromValues<float>("fc.weight", DType::kF32, {2, 3}, wv);
  auto a = *Tensor::FromValues<float>("fc.input", DType::kF32, {2, 3}, av);
  LoweredLayer l;
  ASSERT_TRUE(*LowerToGemm(w, a, l));
  EXPECT_EQ(l.w, wv);
  EXPECT_EQ(l.x, (std::vector<float>{1, 0, 0, 1, 0, 1}));  // K x N
  // Neither axis of the weight has 6 inputs.
  auto bad = *Tensor::FromValues<float>("fc.input", DType::kF32, {1, 6}, av);
  EXPECT_FALSE(*LowerToGemm(w, bad, l));
}

TEST(AnalyzeSlices, Stories260kLayersAreMatchedAndExact) {
  auto model = ReadModel(testing::SharedModel("stories260k/stories260K.bin"));
  auto acts = ReadModel(testing::SharedModel("stories260k/activations_4x128.safetensors"));
  ASSERT_TRUE(model.ok() && acts.ok());
  auto layers = AnalyzeSlices(*model, *acts);
  ASSERT_TRUE(layers.ok()) << layers.status().message();
  // 5 layers x (wq, wk, wv, wo, w1, w3, w2).
  ASSERT_EQ(layers->size(), 35u);
  int wq = 0;
  for (const auto& r : *layers) {
    EXPECT_EQ(r.n, 512);
    if (r.weight == "layers.2.attention.wq.weight") {
      ++wq;
      EXPECT_EQ(r.activation, "layers.2.attention.wqkv.input");
      EXPECT_EQ(r.m, 64);
      EXPECT_EQ(r.k, 64);
    }
    if (r.weight == "layers.2.feed_forward.w2.weight") {
      EXPECT_EQ(r.activation, "layers.2.feed_forward.w2.input");
    }
    if (r.weight == "layers.2.feed_forward.w3.weight") {
      EXPECT_EQ(r.activation, "layers.2.feed_forward.w1w3.input");
    }
    EXPECT_GE(r.zpm_dbs.lo_bits, 4);
    EXPECT_GT(r.zpm_dbs.counters.multiplies, 0u);
    EXPECT_LT(r.zpm_dbs.counters.multiplies, r.zpm_dbs.counters.dense_multiplies);
  }
  EXPECT_EQ(wq, 1);
  // The slice GEMMs of every setting equal the reference on block 0's seven
  // layers (`slices --verify` covers the rest; too slow for a sanitizer run).
  Model block0 = *acts;
  std::erase_if(block0.tensors, [](const Tensor& t) { return t.name().rfind("layers.0.", 0) != 0; });
  SliceAnalysisOptions verify;
  verify.verify = true;
  auto verified = AnalyzeSlices(*model, block0, verify);
  ASSERT_TRUE(verified.ok()) << verified.status().message();
  ASSERT_EQ(verified->size(), 7u);
  for (const auto& r : *verified) EXPECT_TRUE(r.verified);
}

TEST(AnalyzeSlices, MnistLayersAreMatchedAndExact) {
  auto model = ReadModel(testing::SharedModel("mnist-cnn/mnist_cnn.safetensors"));
  auto acts = ReadModel(testing::SharedModel("mnist-cnn/activations_first64.safetensors"));
  ASSERT_TRUE(model.ok() && acts.ok());
  auto layers = AnalyzeSlices(*model, *acts);
  ASSERT_TRUE(layers.ok()) << layers.status().message();
  ASSERT_EQ(layers->size(), 4u);
  EXPECT_EQ((*layers)[0].layer, "conv2d_1");
  EXPECT_EQ((*layers)[0].m, 32);
  EXPECT_EQ((*layers)[0].k, 9);
  EXPECT_EQ((*layers)[0].n, 64 * 26 * 26);
  EXPECT_EQ((*layers)[1].layer, "conv2d_2");
  EXPECT_EQ((*layers)[1].k, 3 * 3 * 32);
  EXPECT_EQ((*layers)[1].n, 64 * 24 * 24);
  EXPECT_EQ((*layers)[2].layer, "dense_1");
  EXPECT_EQ((*layers)[2].k, 9216);
  // ReLU inputs: min is 0, so the asymmetric zero point is 0.
  EXPECT_EQ((*layers)[2].asym.zero_point, 0);
  // The small layers also run every slice GEMM against the reference (the
  // big ones go through `slices --verify`).
  Model small = *acts;
  std::erase_if(small.tensors, [](const Tensor& t) {
    return t.name().rfind("conv2d_2", 0) == 0 || t.name().rfind("dense_1", 0) == 0;
  });
  SliceAnalysisOptions verify;
  verify.verify = true;
  auto verified = AnalyzeSlices(*model, small, verify);
  ASSERT_TRUE(verified.ok()) << verified.status().message();
  ASSERT_EQ(verified->size(), 2u);
  for (const auto& r : *verified) EXPECT_TRUE(r.verified);
}

TEST(AnalyzeSlices, DsCnnDepthwiseLayersAreGroupedGemms) {
  // MLPerf Tiny DS-CNN: its four DEPTHWISE_CONV_2D layers (3x3, 64 groups of
  // one channel) are analysed as 64 GEMMs each, beside the 6 other GEMMs.
  // Inputs: seeded ReLU-like values of each op's static input shape.
  auto model = ReadModel(testing::SharedModel("mlperf-tiny/dscnn_kws_float32.tflite"));
  ASSERT_TRUE(model.ok()) << model.status().message();
  auto graph = FindGemms(*model);
  ASSERT_TRUE(graph.ok()) << graph.status().message();
  Model acts;
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0.2f, 1.0f);
  for (const GemmOp& op : graph->ops) {
    if (FindGemmInput(op, acts)) continue;  // inputs shared by two ops
    uint64_t count = 1;
    for (int64_t d : op.input_shape) count *= uint64_t(d);
    std::vector<float> v(count);
    for (float& f : v) f = std::max(0.0f, normal(rng));
    auto t = Tensor::FromValues<float>(op.inputs.front(), DType::kF32, op.input_shape, v);
    ASSERT_TRUE(t.ok());
    acts.tensors.push_back(*t);
  }
  SliceAnalysisOptions options;
  options.verify = true;  // every group's slice GEMM against the dense reference
  auto layers = AnalyzeSlices(*model, acts, options);
  ASSERT_TRUE(layers.ok()) << layers.status().message();
  ASSERT_EQ(layers->size(), 10u);
  int depthwise = 0;
  for (const LayerSliceReport& r : *layers) {
    SCOPED_TRACE(r.layer);
    EXPECT_TRUE(r.verified);
    if (r.groups == 1) continue;
    ++depthwise;
    EXPECT_EQ(r.groups, 64);
    EXPECT_EQ(r.m, 64);
    EXPECT_EQ(r.k, 9);
    EXPECT_EQ(r.n, 125);
    // Dense slices of 64 GEMMs of 1 x 9 x 125: one 4-lane weight block (one
    // real row) of 2 SBR slices times 32 token blocks of 2 slices, 16
    // multiplies per outer product.
    EXPECT_EQ(r.zpm_dbs.counters.dense_multiplies, uint64_t(64) * 9 * (1 * 2) * (32 * 2) * 16);
    EXPECT_EQ(r.sibia.counters.dense_multiplies, r.zpm_dbs.counters.dense_multiplies);

    // The same counts from each group's GEMM built apart: the group's rows of
    // the per-channel quantized weight matrix, its im2col (checked against a
    // direct convolution in graph_gemms_test), the report's z and LO width.
    const GemmOp& op = *std::find_if(graph->ops.begin(), graph->ops.end(),
                                     [&](const GemmOp& o) { return o.layer == r.layer; });
    const Tensor& weight = *std::find_if(model->tensors.begin(), model->tensors.end(),
                                         [&](const Tensor& t) { return t.name() == op.weight; });
    const Tensor& input = *FindGemmInput(op, acts);
    auto w = GemmWeightMatrix(op, weight);
    ASSERT_TRUE(w.ok());
    auto wt = Tensor::FromValues<float>("w", DType::kF32, {64, 9}, *w);
    auto wq = QuantizeWeightsSymmetric(*wt, {.bits = 7, .channel_axis = 0});
    ASSERT_TRUE(wq.ok());
    const std::span<const int8_t> q = wq->values<int8_t>();
    SliceGemmCounters sum;
    for (int g = 0; g < 64; ++g) {
      auto x = Im2col(op, input, g);
      ASSERT_TRUE(x.ok());
      std::vector<uint8_t> codes(x->size());
      QuantizeU8(*x, r.zpm_dbs.scale, r.zpm_dbs.zero_point, codes);
      std::vector<int32_t> wg(q.begin() + g * 9, q.begin() + (g + 1) * 9);
      ASSERT_TRUE(AqsGemm(wg, codes, 1, 9, 125, 7, r.zpm_dbs.zero_point, r.zpm_dbs.lo_bits, &sum).ok());
    }
    EXPECT_EQ(sum.multiplies, r.zpm_dbs.counters.multiplies);
    EXPECT_EQ(sum.dense_multiplies, r.zpm_dbs.counters.dense_multiplies);
    EXPECT_LT(r.zpm_dbs.counters.multiplies, r.zpm_dbs.counters.dense_multiplies);
  }
  EXPECT_EQ(depthwise, 4);
}

TEST(SlicesCli, JsonHasTheIssuesFieldsAndBadInputExits2) {
  testing::TempDir dir;
  const std::string model = testing::SharedModel("stories260k/stories260K.bin");
  const std::string acts = testing::SharedModel("stories260k/activations_4x128.safetensors");
  auto r = testing::RunCli("slices " + model + " --activations " + acts + " --json", dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["layers"].size(), 35u);
  const auto& l = j["layers"][0];
  for (const char* key : {"layer", "weight", "activation", "m", "k", "n", "weights", "activations",
                          "mac_reduction", "bytes"})
    EXPECT_TRUE(l.contains(key)) << key;
  for (const char* s : {"asym", "zpm", "zpm_dbs", "sibia"})
    for (const char* key : {"zero_point", "ho_slice_sparsity", "ho_vector_sparsity"})
      EXPECT_TRUE(l["activations"][s].contains(key)) << s << "." << key;
  EXPECT_TRUE(l["activations"]["zpm_dbs"].contains("lo_bits"));
  EXPECT_EQ(l["activations"]["sibia"]["zero_point"], 0);
  EXPECT_LT(l["bytes"]["compressed"].get<double>(), l["bytes"]["dense"].get<double>());

  testing::WriteBytes(dir.File("bad.safetensors"), {1, 2, 3});
  auto bad = testing::RunCli("slices " + model + " --activations " + dir.File("bad.safetensors"), dir);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(std::count(bad.err.begin(), bad.err.end(), '\n'), 1);
}

}  // namespace
}  // namespace tp

namespace tp {
namespace {

TEST(PanaceaActivationRoundTrip, HandComputedCodesAndDbsTruncation) {
  // scale 0.5, z 10. 3.6 -> code round(7.2) + 10 = 17; at LO width 6 the
  // kept value is (17 >> 6) << 6 + ((17 >> 2) & 15) << 2 = 16 -> 0.5 * 6 = 3.
  // -10 clips to code 0 -> -5; 200 clips to 255 -> 192 + 60 = 252 -> 121.
  std::vector<float> x = {3.0f, 3.6f, -10.0f, 200.0f}, out(4);
  ASSERT_TRUE(PanaceaActivationRoundTrip(x, 0.5f, 10, 6, out).ok());
  EXPECT_EQ(out, (std::vector<float>{3.0f, 3.0f, -5.0f, 121.0f}));
  ASSERT_TRUE(PanaceaActivationRoundTrip(x, 0.5f, 10, 4, out).ok());  // LO width 4 keeps every bit
  EXPECT_EQ(out, (std::vector<float>{3.0f, 3.5f, -5.0f, 122.5f}));
  EXPECT_FALSE(PanaceaActivationRoundTrip(x, 0.0f, 10, 4, out).ok());
  EXPECT_FALSE(PanaceaActivationRoundTrip(x, 0.5f, 10, 7, out).ok());
}

}  // namespace
}  // namespace tp
