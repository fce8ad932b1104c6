// The sparse `simulate` kinds against hand-computed factors on a dense array.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tensorpress/model.h"
#include "tensorpress/sparse_sim.h"
#include "testing/test_util.h"

namespace tp::sim {
namespace {

// Outputs 0,1 use k 0,1 and outputs 2,3 use k 2,3 (4 outputs x 4 k,
// row-major): 8 non-zeros, 2:4, one non-zero per PE per column with 4 PEs.
const std::vector<uint8_t> kBalanced = {1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1};

TEST(SparseKinds, PatternMeasureAgreesWithTheMatrixMeasure) {
  for (const std::vector<uint8_t>& p :
       {kBalanced, std::vector<uint8_t>{1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0}}) {
    sparse::SparseMatrix m;
    m.rows = 4, m.cols = 4, m.value_bytes = 1, m.values = p;
    for (uint64_t pes : {1, 2, 3, 4, 8}) {
      SparseLayerStats a = MeasureSparseLayer(m, pes, 2, 4);
      SparseLayerStats b = MeasureSparsePattern(p, 4, 4, pes, 2, 4);
      EXPECT_EQ(a.weight_nonzeros, b.weight_nonzeros);
      EXPECT_EQ(a.eie_busiest_sum, b.eie_busiest_sum) << pes;
      EXPECT_EQ(a.fits_sta, b.fits_sta);
    }
  }
}

// A weight-stationary 1 x 2 x 2 array (P = 4): M = 2, K = N = 4 maps with
// no idle lanes, so the dense array computes 32 MACs in 8 cycles.
ArchConfig Arch(ArchKind kind) {
  ArchConfig a;
  ArchConfigInit(kind, &a);
  a.name = "t";
  a.array_rows = 2, a.array_cols = 2;
  return a;
}

GemmLayer Layer(bool with_pattern) {
  GemmLayer l;
  l.name = "l";
  l.m = 2, l.k = 4, l.n = 4;
  l.activations.zero_fraction = 0.5;
  if (with_pattern) l.weight_nonzero = std::make_shared<std::vector<uint8_t>>(kBalanced);
  return l;
}

TEST(SparseKinds, HandComputedFactorsOnADenseArray) {
  auto e = DefaultEnergyTable("horowitz45nm");
  ASSERT_TRUE(e.ok());
  const double e_mac = e->int8_mult + e->int32_add, e_mux = e->int8_add;
  auto dense = SimulateLayer(Layer(true), Arch(ArchKind::kDense), *e);
  ASSERT_TRUE(dense.ok()) << dense.status().message();
  ASSERT_EQ(dense->compute_cycles, 8);
  ASSERT_EQ(dense->mults_8b, 32);
  // dw = da = 1/2, reuse 16: dense SRAM = 2 * 32/16 = 4 operand bytes.
  const double e_byte = e->SramPer64b(64) / 8;
  // Operand reads: Envision/STA scale the array's (sram_scale), EIE/SCNN
  // read sram_bytes operand bytes of their own.
  struct Want {
    ArchKind kind;
    double compute_cycles, mults, compute_pj, sram_scale, sram_bytes, dram_w, dram_x;
  };
  const Want wants[] = {
      // Flags: 32 * 1/4 MACs, no speed-up; reads 2 (1 + 1/2 + 1/8) of the dense model's 4.
      {ArchKind::kEnvision, 8, 8, 8 * e_mac, 3.25 / 4, 0, 1, 1},
      // 2 rows * 1/2 * 4 busiest = 4 cycles; 8 products; reads 8 * 1.5 + 2 * 4 = 20 bytes;
      // CSC weights 1/2 * (1 + 1/2).
      {ArchKind::kEie, 4, 8, 8 * e_mac, 0, 20, 0.75, 1},
      // 8 products on 4 multipliers; reads 2 (1/2 + 1/2) 1.5 = 3 bytes; both operands compressed.
      {ArchKind::kScnn, 2, 8, 8 * (e_mac + e_mux), 0, 3, 0.75, 0.75},
      // 2:4 fits: half the MACs and cycles; reads 2 (1/2 (1 + 2/8) + 1) of 4; weights 1/2 (1 + 2/8).
      {ArchKind::kSta, 4, 16, 16 * (e_mac + e_mux), 3.25 / 4, 0, 0.625, 1},
  };
  for (const Want& w : wants) {
    SCOPED_TRACE(std::string(ArchKindName(w.kind)));
    auto c = SimulateLayer(Layer(true), Arch(w.kind), *e);
    ASSERT_TRUE(c.ok()) << c.status().message();
    EXPECT_DOUBLE_EQ(c->compute_cycles, w.compute_cycles);
    EXPECT_DOUBLE_EQ(c->mults_8b, w.mults);
    EXPECT_NEAR(c->energy_pj.compute, w.compute_pj, 1e-12);
    const double reads_pj = w.sram_bytes > 0 ? w.sram_bytes * e_byte : dense->sram_operand_read_pj * w.sram_scale;
    EXPECT_NEAR(c->sram_operand_read_pj, reads_pj, 1e-9 * reads_pj);
    EXPECT_NEAR(c->energy_pj.sram, dense->energy_pj.sram - dense->sram_operand_read_pj + reads_pj,
                1e-9 * dense->energy_pj.sram);
    EXPECT_NEAR(c->dram_wire.weights, dense->dram_wire.weights * w.dram_w, 1e-12);
    EXPECT_NEAR(c->dram_wire.activations, dense->dram_wire.activations * w.dram_x, 1e-12);
    EXPECT_DOUBLE_EQ(c->dram_wire.outputs, dense->dram_wire.outputs);
    EXPECT_DOUBLE_EQ(c->memory_cycles, std::ceil(c->dram_bytes * 8 / 256));
    EXPECT_DOUBLE_EQ(c->cycles, std::max(c->compute_cycles, c->memory_cycles));
    EXPECT_NEAR(c->energy_pj.dram, c->dram_bytes / 8 * e->dram_64b, 1e-9 * c->energy_pj.dram);
  }
  // A pattern that breaks 2:4 runs dense on STA.
  GemmLayer skew = Layer(false);
  skew.weight_nonzero = std::make_shared<std::vector<uint8_t>>(
      std::vector<uint8_t>{1, 1, 1, 0, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1});
  auto sta = SimulateLayer(skew, Arch(ArchKind::kSta), *e);
  ASSERT_TRUE(sta.ok());
  EXPECT_EQ(sta->compute_cycles, 8);
  EXPECT_DOUBLE_EQ(sta->dram_wire.weights, dense->dram_wire.weights);
}

TEST(SparseKinds, LayerWithoutPatternAndBadConfigsAreClearErrors) {
  auto e = DefaultEnergyTable("horowitz45nm");
  ASSERT_TRUE(e.ok());
  Status s = SimulateLayer(Layer(false), Arch(ArchKind::kEie), *e).status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("non-zero pattern"), std::string::npos) << s.message();
  auto eie = std::string(*DefaultArchJson("eie"));
  auto with = [&](const std::string& from, const std::string& to) {
    std::string t = eie;
    t.replace(t.find(from), from.size(), to);
    return ParseArchConfig(t, "test").status();
  };
  EXPECT_NE(with("\"sta_n\": 2", "\"sta_n\": 5").message().find("sta_n"), std::string::npos);
  EXPECT_NE(with("\"reuse\": 16", "\"reuse\": 16, \"reuse2\": 1").message().find("reuse2"), std::string::npos);
  EXPECT_NE(with("\"kind\": \"eie\"", "\"kind\": \"dense\"").message().find("sparse"), std::string::npos);
  EXPECT_NE(with("\"zero_gating\": false", "\"zero_gating\": true").message().find("zero_gating"), std::string::npos);
  EXPECT_NE(with("\"multiplier_bits\": 8", "\"multiplier_bits\": 4").message().find("multiplier_bits"),
            std::string::npos);
}

TEST(SparseKinds, AttachFindsEveryMnistLayer) {
  auto model = ReadModel(testing::SharedModel("mnist-cnn/mnist_cnn.safetensors"));
  ASSERT_TRUE(model.ok());
  auto wl = BuildWorkload(*model, nullptr);
  ASSERT_TRUE(wl.ok());
  auto n = AttachWeightPatterns(*model, &*wl);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, wl->layers.size());
  for (const GemmLayer& l : wl->layers) {
    ASSERT_TRUE(l.weight_nonzero);
    EXPECT_EQ(l.weight_nonzero->size(), l.k * l.n);
  }
}

TEST(SparseKinds, AttachFindsTfliteDepthwiseKernelsThroughTheGraph) {
  // A depthwise kernel [1, 3, 3, 64] under a fused TFLite name is a K = 9 by
  // N = 64 GEMM of the graph; its pattern comes from the graph's weight.
  auto model = ReadModel(testing::SharedModel("mlperf-tiny/dscnn_kws_float32.tflite"));
  ASSERT_TRUE(model.ok()) << model.status().message();
  auto wl = BuildWorkload(*model, nullptr);
  ASSERT_TRUE(wl.ok()) << wl.status().message();
  auto n = AttachWeightPatterns(*model, &*wl);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, wl->layers.size());
  size_t depthwise = 0;
  for (const GemmLayer& l : wl->layers) {
    ASSERT_TRUE(l.weight_nonzero) << l.name;
    EXPECT_EQ(l.weight_nonzero->size(), l.k * l.n);
    if (l.name.find("depthwise") != std::string::npos) {
      ++depthwise;
      EXPECT_EQ(l.k, 9u);
      uint64_t nz = 0;
      for (uint8_t b : *l.weight_nonzero) nz += b;
      EXPECT_EQ(nz, l.k * l.n) << l.name;  // a float model: no exact zeros
    }
  }
  EXPECT_EQ(depthwise, 4u);
}

TEST(SparseKinds, SimulateCliRunsEverySparseKindAtTheSameBudget) {
  testing::TempDir tmp;
  auto pruned = tmp.path() + "/p.safetensors";
  auto p = testing::RunCli("prune " + testing::SharedModel("mnist-cnn/mnist_cnn.safetensors") + " --nm 2:4 -o " + pruned,
                           tmp);
  ASSERT_EQ(p.exit_code, 0) << p.err;
  auto r = testing::RunCli("simulate " + pruned + " --activations " +
                               testing::SharedModel("mnist-cnn/activations_first64.safetensors") + " --arch all --json",
                           tmp);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j["architectures"].size(), 13u);
  EXPECT_TRUE(j["equal_multiplier_budget"].get<bool>());
  EXPECT_NEAR(j["layers"][1]["weight_sparsity"].get<double>(), 0.5, 1e-9);
  const auto& t = j["total"];
  // 2:4 everywhere: STA halves sa-ws's compute; Envision costs sa-ws's cycles and less energy.
  EXPECT_NEAR(t["sta"]["compute_cycles"].get<double>(), t["sa-ws"]["compute_cycles"].get<double>() / 2,
              0.01 * t["sa-ws"]["compute_cycles"].get<double>());
  EXPECT_EQ(t["envision"]["compute_cycles"], t["sa-ws"]["compute_cycles"]);
  EXPECT_LT(t["envision"]["energy_pj"]["total"].get<double>(), t["sa-ws"]["energy_pj"]["total"].get<double>());
  auto table = testing::RunCli("simulate " + pruned + " --arch eie,scnn", tmp);
  EXPECT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("scnn"), std::string::npos);
}

}  // namespace
}  // namespace tp::sim
