// One definition of Panacea in `slices` and `simulate`: the sparsities, the
// slice-format bytes and the 4b multiplies the cost model uses are the slice
// analysis's, layer by layer, and the default Panacea skips both operands'
// HO vectors with Panacea's 4-long vectors.
#include <gtest/gtest.h>

#include <map>

#include "tensorpress/gemm.h"
#include "tensorpress/sim.h"
#include "testing/test_util.h"

namespace tp::sim {
namespace {

void ExpectAgreement(const std::string& model_rel, const std::string& acts_rel, WeightGranularity g) {
  auto model = ReadModel(testing::SharedModel(model_rel));
  auto acts = ReadModel(testing::SharedModel(acts_rel));
  ASSERT_TRUE(model.ok() && acts.ok());
  SliceAnalysisOptions so;
  so.weight_granularity = g;
  auto reports = AnalyzeSlices(*model, *acts, so);
  ASSERT_TRUE(reports.ok()) << reports.status().message();
  Measurers measurers;
  measurers.weight_granularity = g;
  auto wl = BuildWorkload(*model, &*acts, measurers);
  ASSERT_TRUE(wl.ok()) << wl.status().message();
  EXPECT_EQ(AttachSliceAnalysis(*reports, &*wl), reports->size());
  auto panacea = DefaultArchConfig("panacea");
  ASSERT_TRUE(panacea.ok());
  EXPECT_TRUE(panacea->slicing.skip_weight_ho);
  EXPECT_TRUE(panacea->slicing.skip_activation_ho);
  EXPECT_EQ(panacea->slicing.vector_length, 4);
  auto energy = DefaultEnergyTable("horowitz45nm");
  ASSERT_TRUE(energy.ok());
  std::map<std::string, const GemmLayer*> layers;
  for (const GemmLayer& l : wl->layers) layers[l.name] = &l;
  const int si = static_cast<int>(SliceSetting::kZpmDbs);
  for (const LayerSliceReport& r : *reports) {
    SCOPED_TRACE(r.layer);
    ASSERT_TRUE(layers.count(r.layer));
    const GemmLayer& l = *layers[r.layer];
    // simulate's GEMM is tokens x in x out; the analysis's out x in x tokens.
    EXPECT_EQ(l.m, uint64_t(r.n));
    EXPECT_EQ(l.k, uint64_t(r.k));
    EXPECT_EQ(l.n, uint64_t(r.m));
    const SliceGemmCounters& c = r.zpm_dbs.counters;
    EXPECT_EQ(l.weights.slices[si].ho_slice, c.weights.ho_slice_sparsity);
    EXPECT_EQ(l.weights.slices[si].ho_vector, c.weights.ho_vector_sparsity);
    EXPECT_EQ(l.activations.slices[si].ho_slice, c.activations.ho_slice_sparsity);
    EXPECT_EQ(l.activations.slices[si].ho_vector, c.activations.ho_vector_sparsity);
    EXPECT_EQ(l.activations.lo_bits, r.zpm_dbs.lo_bits);
    // The cost model executes the multiplies the analysis counted.
    auto cost = SimulateLayer(l, *panacea, *energy);
    ASSERT_TRUE(cost.ok()) << cost.status().message();
    const double mkn = double(l.m) * double(l.k) * double(l.n);
    EXPECT_NEAR(cost->mults_4b / (4 * mkn), 1.0 - c.mac_reduction(), 1e-12);
  }
}

TEST(PanaceaConsistency, SlicesAndSimulateAgreeOnStories260K) {
  ExpectAgreement("stories260k/stories260K.bin", "stories260k/activations_4x128.safetensors",
                  WeightGranularity::kChannel);
}

TEST(PanaceaConsistency, SlicesAndSimulateAgreeOnTheMnistCnnPerTensor) {
  ExpectAgreement("mnist-cnn/mnist_cnn.safetensors", "mnist-cnn/activations_first64.safetensors",
                  WeightGranularity::kTensor);
}

}  // namespace
}  // namespace tp::sim
