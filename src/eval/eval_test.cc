#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "testing/test_util.h"
#include "tensorpress/eval.h"

namespace tp::eval {
namespace {

const Tensor* Find(const Model& m, const std::string& name) {
  for (const Tensor& t : m.tensors)
    if (t.name() == name) return &t;
  return nullptr;
}

TEST(FakeQuantize, AsymmetricDbsAndSymmetricByHand) {
  // s = 0.5, z = 10, DBS width 5: 3.2 -> code 16 (HO 0, LO (16 >> 1) & 15 = 8)
  // -> kept 16 -> 0.5 (16 - 10) = 3; 3.7 -> code 17, its lowest bit is
  // truncated away -> 3 as well; -10 -> code -10 clamps to 0 -> -5.
  ActivationQuant q{.kind = ActivationQuant::Kind::kAsymmetric, .scale = 0.5f, .zero_point = 10, .lo_bits = 5};
  std::vector<float> x = {3.2f, 3.7f, -10.0f};
  FakeQuantize(q, x);
  EXPECT_EQ(x, (std::vector<float>{3.0f, 3.0f, -5.0f}));
  // Exact 8-bit (LO width 4) keeps 3.5.
  q.lo_bits = 4;
  x = {3.7f};
  FakeQuantize(q, x);
  EXPECT_EQ(x[0], 3.5f);
  ActivationQuant s{.kind = ActivationQuant::Kind::kSymmetric, .scale = 1.0f, .bits = 7};
  x = {70.0f, -1.4f};
  FakeQuantize(s, x);
  EXPECT_EQ(x, (std::vector<float>{63.0f, -1.0f}));
}

TEST(ScoreLogits, PerplexityAndAgreementByHand) {
  // Two positions of one 3-token sequence, vocabulary 2. Position 0: logits
  // (0, 0), next token 1: p = 1/2. Position 1: (ln 3, 0), next token 0:
  // p = 3/4. Perplexity = exp(-(ln 1/2 + ln 3/4) / 2) = sqrt(8/3).
  const std::vector<float> logits = {0, 0, std::log(3.0f), 0, 9, 9};
  const std::vector<float> ref = {0, 1, 1, 0, 0, 0};
  const std::vector<int32_t> tokens = {0, 1, 0};
  const LmScore s = ScoreLogits(logits, ref, tokens, 3, 2);
  EXPECT_EQ(s.predictions, 2u);
  EXPECT_NEAR(s.perplexity, std::sqrt(8.0 / 3.0), 1e-6);
  EXPECT_DOUBLE_EQ(s.agreement, 0.5);  // position 0 ties to token 0, the reference says 1
}

TEST(Llama, MatchesTheSharedFloatLogits) {
  auto model = ReadModel(testing::SharedModel("stories260k/stories260K.bin"));
  auto acts = ReadModel(testing::SharedModel("stories260k/activations_4x128.safetensors"));
  ASSERT_TRUE(model.ok() && acts.ok());
  auto lm = LlamaFromModel(*model);
  ASSERT_TRUE(lm.ok()) << lm.status().message();
  const Tensor* tokens = Find(*acts, "tokens");
  const Tensor* logits = Find(*acts, "logits");
  ASSERT_TRUE(tokens && logits);
  const int seqs = int(tokens->shape()[0]), length = int(tokens->shape()[1]), vocab = int(logits->shape()[2]);
  std::span<const int32_t> tok = tokens->values<int32_t>();
  std::span<const float> ref = logits->values<float>();
  double max_diff = 0;
  int greedy_mismatches = 0;
  for (int s = 0; s < seqs; ++s) {
    auto out = LlamaLogits(*lm, tok.subspan(size_t(s) * length, length));
    ASSERT_TRUE(out.ok()) << out.status().message();
    for (int p = 0; p < length; ++p) {
      const float* a = &(*out)[size_t(p) * vocab];
      const float* b = &ref[(size_t(s) * length + p) * vocab];
      for (int v = 0; v < vocab; ++v) max_diff = std::max(max_diff, double(std::abs(a[v] - b[v])));
      greedy_mismatches += (std::max_element(a, a + vocab) - a) != (std::max_element(b, b + vocab) - b);
    }
  }
  EXPECT_LT(max_diff, 1e-3);
  EXPECT_EQ(greedy_mismatches, 0);
}

TEST(Llama, RejectsTokensOutsideTheVocabulary) {
  auto model = ReadModel(testing::SharedModel("stories260k/stories260K.bin"));
  ASSERT_TRUE(model.ok());
  auto lm = LlamaFromModel(*model);
  ASSERT_TRUE(lm.ok());
  const std::vector<int32_t> bad = {1, 512};
  EXPECT_FALSE(LlamaLogits(*lm, bad).ok());
  Model empty;
  EXPECT_FALSE(LlamaFromModel(empty).ok());
}

TEST(Llama, SamplesFollowTheModelsDistribution) {
  auto model = ReadModel(testing::SharedModel("stories260k/stories260K.bin"));
  ASSERT_TRUE(model.ok());
  auto lm = LlamaFromModel(*model);
  ASSERT_TRUE(lm.ok());
  const int length = 128, vocab = lm->vocab;
  double nll = 0, entropy = 0;
  int predictions = 0;
  for (uint64_t seed = 1; seed <= 16; ++seed) {
    auto s = SampleLlama(*lm, length, seed);
    ASSERT_TRUE(s.ok()) << s.status().message();
    ASSERT_EQ(s->tokens.size(), size_t(length));
    ASSERT_EQ(s->logits.size(), size_t(length) * vocab);
    EXPECT_EQ(s->tokens[0], 1);
    if (seed == 1) {
      // A seed is a sequence; the recorded logits are the teacher-forced ones.
      auto again = SampleLlama(*lm, length, seed);
      auto other = SampleLlama(*lm, length, seed + 100);
      ASSERT_TRUE(again.ok() && other.ok());
      EXPECT_EQ(again->tokens, s->tokens);
      EXPECT_NE(other->tokens, s->tokens);
      auto forced = LlamaLogits(*lm, s->tokens);
      ASSERT_TRUE(forced.ok());
      EXPECT_EQ(*forced, s->logits);
    }
    // Temperature 1: the mean surprisal of the drawn tokens estimates the
    // mean entropy of the distributions they were drawn from (a greedy or
    // skewed draw lands far below or above it).
    for (int p = 0; p + 1 < length; ++p) {
      const float* l = &s->logits[size_t(p) * vocab];
      const double mx = *std::max_element(l, l + vocab);
      double z = 0, ez = 0;
      for (int v = 0; v < vocab; ++v) {
        const double e = std::exp(l[v] - mx);
        z += e, ez += e * (l[v] - mx);
      }
      entropy += std::log(z) - ez / z;
      nll += std::log(z) - (l[s->tokens[p + 1]] - mx);
      ++predictions;
    }
  }
  nll /= predictions, entropy /= predictions;
  EXPECT_NEAR(nll, entropy, 0.15) << "mean surprisal " << nll << " nats, mean entropy " << entropy;
  EXPECT_FALSE(SampleLlama(*lm, 0, 1).ok());
  EXPECT_FALSE(SampleLlama(*lm, lm->seq_len + 1, 1).ok());
}

TEST(MnistEval, FloatQuantizersReproduceTheFloatForwardAndAsymmetricStaysClose) {
  auto model = ReadModel(testing::SharedModel("mnist-cnn/mnist_cnn.safetensors"));
  auto acts = ReadModel(testing::SharedModel("mnist-cnn/activations_first64.safetensors"));
  ASSERT_TRUE(model.ok() && acts.ok());
  auto w = astc::MnistCnnWeightsFromModel(*model);
  ASSERT_TRUE(w.ok());
  const std::string dir = testing::SharedDir() + "/data/datasets/mnist-10k/";
  auto digits = astc::ReadMnistDigits(dir + "images-idx3-ubyte.gz", dir + "labels-idx1-ubyte.gz", 4);
  ASSERT_TRUE(digits.ok());
  auto reports = AnalyzeSlices(*model, *acts);
  ASSERT_TRUE(reports.ok());
  auto asym = QuantMapFromSlices(*reports, "asym");
  ASSERT_TRUE(asym.ok());
  ASSERT_EQ(asym->size(), 4u);  // the four layer inputs
  for (int i = 0; i < 4; ++i) {
    float ref[10], flt[10], q[10];
    astc::MnistCnnForward(*w, &digits->pixels[i * 784], ref);
    MnistCnnForwardQuantized(*w, {}, &digits->pixels[i * 784], flt);
    MnistCnnForwardQuantized(*w, MnistQuantFromMap(*asym), &digits->pixels[i * 784], q);
    float spread = 0;
    for (int c = 0; c < 10; ++c) {
      EXPECT_EQ(flt[c], ref[c]);
      spread = std::max(spread, std::abs(ref[c]));
    }
    // 8-bit activations move the logits by a small fraction of their range
    // and keep the prediction.
    for (int c = 0; c < 10; ++c) EXPECT_NEAR(q[c], ref[c], 0.05f * spread);
    EXPECT_EQ(std::max_element(q, q + 10) - q, std::max_element(ref, ref + 10) - ref);
  }
}

TEST(FakeQuantizeWeights, PerTensorAndPerChannelKeepShapesAndDiffer) {
  auto model = ReadModel(testing::SharedModel("mnist-cnn/mnist_cnn.safetensors"));
  ASSERT_TRUE(model.ok());
  auto ch = FakeQuantizeWeights(*model, 7, WeightGranularity::kChannel);
  auto te = FakeQuantizeWeights(*model, 7, WeightGranularity::kTensor);
  ASSERT_TRUE(ch.ok() && te.ok());
  const Tensor* f = Find(*model, "dense_1.kernel");
  const Tensor* c = Find(*ch, "dense_1.kernel");
  const Tensor* t = Find(*te, "dense_1.kernel");
  ASSERT_TRUE(f && c && t);
  EXPECT_EQ(c->shape(), f->shape());
  const QuantError ec = MeasureQuantError(f->values<float>(), c->values<float>());
  const QuantError et = MeasureQuantError(f->values<float>(), t->values<float>());
  // One scale per matrix is never finer than one per output column.
  EXPECT_GT(ec.sqnr_db, et.sqnr_db);
  EXPECT_GT(et.sqnr_db, 20.0);
  // Biases are not GEMM weights and stay as they were.
  EXPECT_EQ(Find(*te, "dense_1.bias")->bytes().data(), Find(*model, "dense_1.bias")->bytes().data());
}

}  // namespace
}  // namespace tp::eval
