#include <gtest/gtest.h>

#include "tensorpress/sparse_sim.h"

namespace tp::sim {
namespace {

// A table with round numbers: e_mac = 0.2 + 0.1, e_mux = 0.03, and one SRAM
// point so an operand byte costs 8 / 8 = 1 pJ at any capacity.
EnergyTable HandTable() {
  EnergyTable t;
  t.int8_mult = 0.2, t.int32_add = 0.1, t.int8_add = 0.03;
  t.sram_64b = {{64, 8.0}};
  return t;
}

sparse::SparseMatrix Matrix(std::vector<uint8_t> v) {  // 4 outputs x 4 k, int8
  sparse::SparseMatrix m;
  m.rows = 4, m.cols = 4, m.value_bytes = 1, m.values = std::move(v);
  return m;
}

// Outputs 0,1 use k 0,1 and outputs 2,3 use k 2,3: 2:4, and with outputs
// interleaved over 2 PEs every column splits 1 + 1.
SparseLayerStats Balanced() {
  SparseLayerStats s = MeasureSparseLayer(Matrix({1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1}), 2, 2, 4);
  s.m = 2;
  s.activation_density = 0.5;
  return s;
}

SparseArchConfig Config() {
  SparseArchConfig c;
  c.multipliers = 2;
  c.reuse = 4;
  return c;
}

TEST(SparseArch, MeasuresNonZerosImbalanceAndTheDensityBound) {
  SparseLayerStats b = Balanced();
  EXPECT_EQ(b.weight_nonzeros, 8u);
  EXPECT_EQ(b.eie_busiest_sum, 4u);
  EXPECT_TRUE(b.fits_sta);
  // Outputs 0 and 2 dense, both on PE 0: every column waits for 2 products.
  SparseLayerStats skew = MeasureSparseLayer(Matrix({1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0}), 2, 2, 4);
  EXPECT_EQ(skew.weight_nonzeros, 8u);
  EXPECT_EQ(skew.eie_busiest_sum, 8u);
  EXPECT_FALSE(skew.fits_sta);
}

// MACs = 2*4*4 = 32, dw = da = 0.5, P = 2, fetches = 32/4 = 8 (hand values).
TEST(SparseArch, HandComputedCosts) {
  const EnergyTable e = HandTable();
  const SparseArchConfig c = Config();
  const SparseLayerStats l = Balanced();
  struct Want {
    SparseArchKind kind;
    double cycles, ideal, mults, compute, sram;
  };
  const Want wants[] = {
      {SparseArchKind::kDense, 16, 16, 32, 32 * 0.3, 2 * 8},
      {SparseArchKind::kEnvision, 16, 16, 8, 8 * 0.3, 8 * (1 + 0.5 + 0.125)},
      // EIE: 2 * 0.5 * 8 = 8 products; cycles 2 * 0.5 * 4 = 4
      {SparseArchKind::kEie, 4, 4, 8, 8 * 0.3, 8 * 1.5 + 2 * 4},
      {SparseArchKind::kScnn, 4, 4, 8, 8 * 0.33, 8 * (0.5 + 0.5) * 1.5},
      // STA 2:4: half the MACs; weights 0.5 * (1 + 2/8) per fetch plus activations
      {SparseArchKind::kSta, 8, 8, 16, 16 * 0.33, 8 * (0.5 * 1.25 + 1)},
  };
  for (const Want& w : wants) {
    auto r = SimulateSparseLayer(l, w.kind, c, e);
    ASSERT_TRUE(r.ok()) << r.status().message();
    SCOPED_TRACE(std::string(SparseArchName(w.kind)));
    EXPECT_DOUBLE_EQ(r->cycles, w.cycles);
    EXPECT_DOUBLE_EQ(r->ideal_cycles, w.ideal);
    EXPECT_DOUBLE_EQ(r->mults, w.mults);
    EXPECT_NEAR(r->compute_pj, w.compute, 1e-12);
    EXPECT_NEAR(r->sram_pj, w.sram, 1e-12);
    EXPECT_NEAR(r->energy_pj, w.compute + w.sram, 1e-12);
  }
}

TEST(SparseArch, ImbalanceSlowsEieAndStaFallsBackToDense) {
  SparseLayerStats skew = MeasureSparseLayer(Matrix({1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0}), 2, 2, 4);
  skew.m = 2, skew.activation_density = 0.5;
  auto eie = SimulateSparseLayer(skew, SparseArchKind::kEie, Config(), HandTable());
  ASSERT_TRUE(eie.ok());
  EXPECT_DOUBLE_EQ(eie->cycles, 8);        // 2 * 0.5 * 8
  EXPECT_DOUBLE_EQ(eie->ideal_cycles, 4);  // 8 products / 2 PEs
  EXPECT_DOUBLE_EQ(eie->balanced_cycles, 4);
  // 8 PEs for 4 outputs: half of them idle, the other half balanced.
  SparseArchConfig wide = Config();
  wide.multipliers = 8;
  SparseLayerStats b = MeasureSparseLayer(Matrix({1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1}), 8, 2, 4);
  b.m = 2, b.activation_density = 0.5;
  auto w8 = SimulateSparseLayer(b, SparseArchKind::kEie, wide, HandTable());
  ASSERT_TRUE(w8.ok());
  EXPECT_EQ(b.eie_busiest_sum, 4u);  // one non-zero per PE per column
  EXPECT_DOUBLE_EQ(w8->cycles, 4);            // 2 * 0.5 * 4
  EXPECT_DOUBLE_EQ(w8->balanced_cycles, 2);   // 8 products / min(8, 4)
  EXPECT_DOUBLE_EQ(w8->ideal_cycles, 1);      // 8 products / 8
  auto sta = SimulateSparseLayer(skew, SparseArchKind::kSta, Config(), HandTable());
  auto dense = SimulateSparseLayer(skew, SparseArchKind::kDense, Config(), HandTable());
  ASSERT_TRUE(sta.ok() && dense.ok());
  EXPECT_DOUBLE_EQ(sta->cycles, dense->cycles);
  SparseArchConfig bad = Config();
  bad.sta_n = 5;
  EXPECT_FALSE(SimulateSparseLayer(skew, SparseArchKind::kSta, bad, HandTable()).ok());
}

// P_DAS = a, P_DVAS = a V^2, P_DVAFS = a' V'^2 / N, by hand.
TEST(Dvafs, RelativePowerFormulas) {
  DvafsMode m;
  m.bits = 8, m.das_activity = 0.6, m.dvas_voltage = 0.8, m.dvafs_activity = 1.2, m.dvafs_voltage = 0.7, m.subwords = 2;
  auto p = DvafsRelativePower(m);
  ASSERT_TRUE(p.ok());
  EXPECT_DOUBLE_EQ(p->das, 0.6);
  EXPECT_NEAR(p->dvas, 0.384, 1e-15);
  EXPECT_NEAR(p->dvafs, 0.294, 1e-15);
  auto full = DvafsRelativePower(DvafsMode{});
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(full->das, 1.0);
  EXPECT_EQ(full->dvas, 1.0);
  EXPECT_EQ(full->dvafs, 1.0);
  m.dvas_voltage = 1.2;
  EXPECT_FALSE(DvafsRelativePower(m).ok());
}

}  // namespace
}  // namespace tp::sim
