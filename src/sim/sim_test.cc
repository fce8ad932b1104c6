#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "tensorpress/model.h"
#include "tensorpress/quant.h"
#include "tensorpress/sim.h"
#include "testing/test_util.h"

namespace tp::sim {
namespace {

// A table with round numbers so that the expected energies below can be
// worked out by hand: a dense MAC costs 0.2 + 0.1 = 0.3 pJ, a slice product
// 0.05 + 0.05 = 0.1 pJ, a compensation 0.2 + 0.05 = 0.25 pJ; SRAM is 8 pJ
// per 64 bits (1 pJ/byte) at 1 KiB and 16 pJ (2 pJ/byte) at 4 KiB; DRAM is
// 640 pJ per 64 bits (80 pJ/byte).
constexpr std::string_view kHandEnergy = R"({
  "name": "hand", "process": "none", "provenance": "round numbers for unit tests",
  "ops_pj": {"int8_add": 0.03, "int16_add": 0.05, "int32_add": 0.1, "int4_mult": 0.05,
             "int8_mult": 0.2, "int32_mult": 3.1, "fp16_add": 0.4, "fp16_mult": 1.1,
             "fp32_add": 0.9, "fp32_mult": 3.7},
  "sram_64b_pj": [{"kib": 1, "pj": 8}, {"kib": 4, "pj": 16}],
  "dram_64b_pj": 640
})";

// 4×4 weight-stationary array (16 MACs), SRAM 1/1/4 KiB, 64 bits/cycle.
constexpr std::string_view kHandArch = R"({
  "name": "hand", "kind": "dense", "dataflow": "ws", "clock_mhz": 1000,
  "pe_arrays": 1, "array_rows": 4, "array_cols": 4, "multiplier_bits": 8,
  "sram_kib": {"weights": 1, "activations": 1, "outputs": 4},
  "double_buffering": true, "dram_bits_per_cycle": 64, "psum_bytes": 4,
  "atalanta": {"enabled": false, "encode_pj_per_byte": 2, "decode_pj_per_byte": 1,
               "bytes_per_cycle": 16, "latency_cycles": 10}
})";

EnergyTable HandEnergy() {
  auto e = ParseEnergyTable(kHandEnergy, "hand energy");
  EXPECT_TRUE(e.ok()) << e.status().message();
  return *e;
}

ArchConfig HandArch() {
  auto a = ParseArchConfig(kHandArch, "hand arch");
  EXPECT_TRUE(a.ok()) << a.status().message();
  return *a;
}

// M=64 tokens, K=16, N=16: a linear layer with its input measured.
GemmLayer HandLayer() {
  GemmLayer l;
  l.name = "fc";
  l.m = 64, l.k = 16, l.n = 16;
  l.weights.elements = l.weights.int8_bytes = 256;
  l.activations.elements = l.activations.int8_bytes = 1024;
  return l;
}

// --- Arithmetic intensity: the lecture's formulas, 2·M·K·N over DRAM bytes.

TEST(SimDataflow, EverythingFitsEachTensorMovesOnce) {
  // AI = 2MKN / (KN + MK + MN) = 2·64³ / (3·64²) = 128/3 for all three.
  Tiling full{64, 64, 64};
  for (Dataflow d : {Dataflow::kWeightStationary, Dataflow::kInputStationary, Dataflow::kOutputStationary})
    EXPECT_NEAR(ArithmeticIntensity(d, 64, 64, 64, full, 64 * 64, 4), 128.0 / 3, 1e-9) << DataflowName(d);
}

TEST(SimDataflow, WeightStationaryRereadsInputsPerOutputTile) {
  // WS, M=256 K=64 N=128, tn=32: W = KN = 8192, X = MK·N/tn = 16384·4 = 65536,
  // Y = MN = 32768; AI = 2·2097152 / 106496 = 39.3846...
  DramTraffic t = DataflowDramTraffic(Dataflow::kWeightStationary, 256, 64, 128, {256, 64, 32}, 256 * 64, 4);
  EXPECT_EQ(t.weights, 8192);
  EXPECT_EQ(t.activations, 65536);
  EXPECT_EQ(t.outputs, 32768);
  EXPECT_EQ(t.psums, 0);
  EXPECT_NEAR(ArithmeticIntensity(Dataflow::kWeightStationary, 256, 64, 128, {256, 64, 32}, 256 * 64, 4),
              4194304.0 / 106496, 1e-9);
}

TEST(SimDataflow, OutputStationaryIntensityApproachesTheTileSize) {
  // OS on a square n×n×n GEMM with T×T output tiles: traffic = n²·(2n/T + 1),
  // AI = 2nT / (2n + T); n = 1024, T = 64: 131072 / 2112 = 62.06...
  EXPECT_NEAR(ArithmeticIntensity(Dataflow::kOutputStationary, 1024, 1024, 1024, {64, 1024, 64}, 1024.0 * 1024, 4),
              131072.0 / 2112, 1e-9);
}

TEST(SimDataflow, InputStationaryRereadsWeightsAndSpillsPartialSums) {
  // IS, M=128 K=64 N=32, tm=32, tk=16: W = KN·M/tm = 2048·4 = 8192,
  // X = MK = 8192, Y = MN = 4096, spills 2·(K/tk − 1)·MN·4 = 2·3·4096·4 = 98304.
  DramTraffic t = DataflowDramTraffic(Dataflow::kInputStationary, 128, 64, 32, {32, 16, 32}, 8192, 4);
  EXPECT_EQ(t.weights, 8192);
  EXPECT_EQ(t.activations, 8192);
  EXPECT_EQ(t.outputs, 4096);
  EXPECT_EQ(t.psums, 98304);
}

TEST(SimDataflow, TilingPrefersRereadingInputsToSpillingPartialSums) {
  // 256 bytes of weight SRAM, half usable: tk·tn ≤ 128 for K = N = 16.
  // (tk 16, tn 8): X read twice, 256 + 2048 + 1024 = 3328 bytes;
  // (tk 8, tn 16): X once but spills 2·1·1024·4 = 8192 bytes.
  ArchConfig a = HandArch();
  a.sram.weights_kib = 0.25;
  auto t = ChooseTiling(a, 64, 16, 16, 1024);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->tk, 16u);
  EXPECT_EQ(t->tn, 8u);
  EXPECT_EQ(DataflowDramTraffic(a.dataflow, 64, 16, 16, *t, 1024, 4).Total(), 3328);
}

// --- Hand-computed single layers.

TEST(SimLayer, DenseWeightStationaryByHand) {
  auto c = SimulateLayer(HandLayer(), HandArch(), HandEnergy());
  ASSERT_TRUE(c.ok()) << c.status().message();
  // Tiling: tk·tn ≤ 512 → 16×16; tm·tk ≤ 512 and tm·tn·4 ≤ 2048 → tm = 32.
  EXPECT_EQ(c->tiling.tm, 32u);
  EXPECT_EQ(c->tiling.tk, 16u);
  EXPECT_EQ(c->tiling.tn, 16u);
  // DRAM: W 256 + X 1024 + Y 1024 = 2304 bytes; 2304·8/64 = 288 cycles.
  EXPECT_EQ(c->dram_bytes, 2304);
  EXPECT_EQ(c->memory_cycles, 288);
  // Compute: 64·16·16 = 16384 MACs on 16 fully used MACs = 1024 cycles.
  EXPECT_EQ(c->mults_8b, 16384);
  EXPECT_EQ(c->mults_4b, 0);
  EXPECT_EQ(c->mapping_utilisation, 1.0);
  EXPECT_EQ(c->compute_cycles, 1024);
  EXPECT_EQ(c->cycles, 1024);  // max(1024, 288) with double buffering
  // SRAM: weight reads KN·M/tm = 512, input reads MK·N/cols = 4096,
  // partial sums over K/rows = 4 passes: writes 1024·4·4 = 16384, reads
  // 1024·3·4 = 12288; drain 1024; fills 256 + 1024.
  EXPECT_EQ(c->sram_read_bytes, 512 + 4096 + 12288 + 1024);
  EXPECT_EQ(c->sram_write_bytes, 256 + 1024 + 16384);
  // Energy: DRAM 2304·80 = 184320; compute 16384·0.3 = 4915.2;
  // SRAM (512+256)·1 + (4096+1024)·1 + (12288+16384+1024)·2 = 65280.
  EXPECT_NEAR(c->energy_pj.dram, 184320, 1e-6);
  EXPECT_NEAR(c->energy_pj.compute, 4915.2, 1e-6);
  EXPECT_NEAR(c->energy_pj.sram, 65280, 1e-6);
  EXPECT_EQ(c->energy_pj.codec, 0);
  EXPECT_NEAR(c->energy_pj.Total(), 254515.2, 1e-6);
}

TEST(SimLayer, DenseOutputStationaryByHand) {
  ArchConfig a = HandArch();
  a.dataflow = Dataflow::kOutputStationary;
  auto c = SimulateLayer(HandLayer(), a, HandEnergy());
  ASSERT_TRUE(c.ok()) << c.status().message();
  // Output tile tm·tn·4 ≤ 2048: (tm 32, tn 16) reads W twice and X once,
  // 512 + 1024 + 1024 = 2560 bytes; (64, 8) would read X twice, 3328.
  EXPECT_EQ(c->tiling.tm, 32u);
  EXPECT_EQ(c->tiling.tn, 16u);
  EXPECT_EQ(c->dram_bytes, 2560);
  EXPECT_EQ(c->memory_cycles, 320);
  EXPECT_EQ(c->cycles, 1024);
  // SRAM: weight reads KN·M/rows = 4096, input reads MK·N/cols = 4096,
  // outputs accumulate in the PEs over the whole K: one 4-byte write each
  // (4096), drain 1024; fills 512 + 1024.
  EXPECT_EQ(c->sram_read_bytes, 4096 + 4096 + 1024);
  EXPECT_EQ(c->sram_write_bytes, 512 + 1024 + 4096);
  // (4096+512)·1 + (4096+1024)·1 + (4096+1024)·2 = 19968; DRAM 2560·80.
  EXPECT_NEAR(c->energy_pj.sram, 19968, 1e-6);
  EXPECT_NEAR(c->energy_pj.Total(), 204800 + 19968 + 4915.2, 1e-6);
}

TEST(SimLayer, AtalantaScalesTrafficAndAddsCodecCost) {
  ArchConfig a = HandArch();
  a.atalanta.enabled = true;
  GemmLayer l = HandLayer();
  l.weights.compressed_ratio = 0.5;
  l.activations.compressed_ratio = 0.75;
  auto c = SimulateLayer(l, a, HandEnergy());
  ASSERT_TRUE(c.ok());
  // DRAM: 256·0.5 + 1024·0.75 + 1024 = 1920 bytes = 240 cycles; the codec
  // passes 2304 uncompressed bytes at 16/cycle = 144 cycles; plus 10 latency.
  EXPECT_EQ(c->dram_bytes, 1920);
  EXPECT_EQ(c->memory_cycles, 250);
  EXPECT_NEAR(c->energy_pj.dram, 153600, 1e-6);
  // Decode (256 + 1024)·1 + encode 1024·2 = 3328 pJ.
  EXPECT_NEAR(c->energy_pj.codec, 3328, 1e-6);
}

TEST(SimLayer, ZeroGatingSavesEnergyNotCycles) {
  ArchConfig a = HandArch();
  a.zero_gating = true;
  GemmLayer l = HandLayer();
  l.weights.zero_fraction = 0.5;
  l.activations.zero_fraction = 0.5;
  auto c = SimulateLayer(l, a, HandEnergy());
  ASSERT_TRUE(c.ok());
  // Only (1 − 0.5)·(1 − 0.5) = 1/4 of the MACs switch: 16384·0.3/4.
  EXPECT_NEAR(c->energy_pj.compute, 1228.8, 1e-6);
  EXPECT_EQ(c->cycles, 1024);
}

TEST(SimLayer, NoDoubleBufferingAddsMemoryToCompute) {
  ArchConfig a = HandArch();
  a.double_buffering = false;
  auto c = SimulateLayer(HandLayer(), a, HandEnergy());
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->cycles, 1024 + 288);
}

TEST(SimLayer, PartialArrayUseStretchesCompute) {
  // K = 6 on 4 rows takes 2 passes with 6/8 of the rows busy: 64·6·16 =
  // 6144 MACs at 16·0.75 = 12 per cycle = 512 cycles.
  GemmLayer l = HandLayer();
  l.k = 6;
  l.activations.int8_bytes = 64 * 6;
  auto c = SimulateLayer(l, HandArch(), HandEnergy());
  ASSERT_TRUE(c.ok());
  EXPECT_DOUBLE_EQ(c->mapping_utilisation, 0.75);
  EXPECT_EQ(c->compute_cycles, 512);
}

ArchConfig HandBitSlice(ArchKind kind) {
  ArchConfig a = HandArch();
  a.kind = kind;
  a.dataflow = Dataflow::kOutputStationary;
  a.multiplier_bits = 4;
  a.array_rows = 12;  // Panacea: 8 static + 4 dynamic operators
  a.array_cols = 4;   // 4 multipliers per operator: 48 in all
  a.slicing.setting = SliceSetting::kSibia;
  a.panacea.static_operators = 8;
  a.panacea.dynamic_operators = 4;
  return a;
}

TEST(SimLayer, PanaceaSkipsCompressedActivationVectorsByHand) {
  ArchConfig a = HandBitSlice(ArchKind::kPanacea);
  GemmLayer l = HandLayer();
  l.activations.slices[int(SliceSetting::kZpmDbs)].ho_vector = 0.75;
  auto c = SimulateLayer(l, a, HandEnergy());
  ASSERT_TRUE(c.ok()) << c.status().message();
  // LO activation slices with both weight slices: 2·16384 = 32768 (static);
  // HO activation slices for the 25% uncompressed vectors: 2·16384·0.25 =
  // 8192 (dynamic). Double-tile processing pools the 48 multipliers:
  // 40960 / 48 = 853.3 → 854 cycles.
  EXPECT_EQ(c->mults_4b, 40960);
  EXPECT_EQ(c->mults_8b, 0);
  EXPECT_EQ(c->compute_cycles, 854);
  // Compensation: M · K/16 · 0.75 · N · 2 weight slices = 64·1·0.75·16·2.
  EXPECT_EQ(c->compensation_ops, 1536);
  // 40960·0.1 + 1536·0.25 = 4480 pJ.
  EXPECT_NEAR(c->energy_pj.compute, 4480, 1e-6);

  // Without double-tile the pools run apart: max(32768/32, 8192/16) = 1024.
  a.panacea.double_tile = false;
  auto single = SimulateLayer(l, a, HandEnergy());
  ASSERT_TRUE(single.ok());
  EXPECT_EQ(single->compute_cycles, 1024);

  // Without ZPM the asymmetric setting's sparsity (0 here) applies.
  a.panacea.zpm = a.panacea.dbs = false;
  auto asym = SimulateLayer(l, a, HandEnergy());
  ASSERT_TRUE(asym.ok());
  EXPECT_EQ(asym->mults_4b, 4 * 16384);
}

TEST(SimLayer, SibiaSkipsZeroActivationVectorsByHand) {
  ArchConfig a = HandBitSlice(ArchKind::kSibia);
  GemmLayer l = HandLayer();
  l.activations.slices[int(SliceSetting::kSibia)].ho_vector = 0.5;
  auto c = SimulateLayer(l, a, HandEnergy());
  ASSERT_TRUE(c.ok()) << c.status().message();
  // 2·16384 + 2·16384·0.5 = 49152 products on 48 multipliers = 1024 cycles.
  EXPECT_EQ(c->mults_4b, 49152);
  EXPECT_EQ(c->compute_cycles, 1024);
  EXPECT_EQ(c->compensation_ops, 0);
}

TEST(SimLayer, SliceFormatsSetOperandBytesByHand) {
  // The hand layer on the 12×4 output-stationary bit-slice array: W (256 B)
  // fits whole, X tiles at tm = 32 (32·16 B = half the 1 KiB), so raw DRAM is
  // W = 256·ceil(64/32) = 512, X = 1024, Y = 1024, no partial sums.
  GemmLayer l = HandLayer();
  const int sib = int(SliceSetting::kSibia), dbs = int(SliceSetting::kZpmDbs);
  l.weights.slice_bytes[sib] = l.weights.slice_bytes[dbs] = {1.25, 0.75};
  l.activations.slice_bytes[sib] = {1.125, 0.5};
  l.activations.slice_bytes[dbs] = {1.0, 0.625};
  auto e = HandEnergy();

  // Sibia moves both operands in the uncompressed slice format:
  // 512·1.25 + 1024·1.125 + 1024 = 640 + 1152 + 1024 = 2816 B, 80 pJ/B.
  auto sibia = SimulateLayer(l, HandBitSlice(ArchKind::kSibia), e);
  ASSERT_TRUE(sibia.ok()) << sibia.status().message();
  EXPECT_DOUBLE_EQ(sibia->dram_raw.Total(), 2560);
  EXPECT_DOUBLE_EQ(sibia->dram_bytes, 2816);
  EXPECT_DOUBLE_EQ(sibia->energy_pj.dram, 2816 * 80);
  // SRAM writes: fills 640 + 1152, partial sums 64·16·1·4 = 4096 → 5888.
  // Reads: W 256·ceil(64/1 array)·1.25 = 20480, X 1024·ceil(16/12)·1.125 =
  // 2304, output drain 1024 → 23808.
  EXPECT_DOUBLE_EQ(sibia->sram_write_bytes, 5888);
  EXPECT_DOUBLE_EQ(sibia->sram_read_bytes, 23808);

  // Panacea keeps weights uncompressed (skip_weight_ho off) and run-length
  // codes HO activation vectors under ZPM+DBS: 640 + 1024·0.625 + 1024 = 2304.
  auto panacea = SimulateLayer(l, HandBitSlice(ArchKind::kPanacea), e);
  ASSERT_TRUE(panacea.ok());
  EXPECT_DOUBLE_EQ(panacea->dram_bytes, 2304);
  // Writes 640 + 640 + 4096 = 5376; reads 20480 + 2048·0.625 + 1024 = 22784.
  EXPECT_DOUBLE_EQ(panacea->sram_write_bytes, 5376);
  EXPECT_DOUBLE_EQ(panacea->sram_read_bytes, 22784);
  // Skipping weight HO vectors stores them compressed too: 384 + 640 + 1024.
  ArchConfig skip_w = HandBitSlice(ArchKind::kPanacea);
  skip_w.slicing.skip_weight_ho = true;
  auto both = SimulateLayer(l, skip_w, e);
  ASSERT_TRUE(both.ok());
  EXPECT_DOUBLE_EQ(both->dram_bytes, 2048);

  // With Atalanta the operands cross as coded int8 instead (not stacked):
  // 512·0.5 + 1024·0.75 + 1024 = 2048 for both designs; SRAM keeps the slices.
  l.weights.compressed_ratio = 0.5;
  l.activations.compressed_ratio = 0.75;
  ArchConfig coded = HandBitSlice(ArchKind::kSibia);
  coded.atalanta.enabled = true;
  auto sibia_coded = SimulateLayer(l, coded, e);
  ASSERT_TRUE(sibia_coded.ok());
  EXPECT_DOUBLE_EQ(sibia_coded->dram_bytes, 2048);
  EXPECT_DOUBLE_EQ(sibia_coded->sram_write_bytes, 5888);
}

TEST(SimLayer, EqualBudgetsGiveEqualDenseThroughput) {
  // With no sparsity, 768 8b MACs and 3072 4b multipliers need the same
  // cycles for a layer that fills both arrays.
  auto ws = DefaultArchConfig("sa-ws");
  auto sibia = DefaultArchConfig("sibia");
  ASSERT_TRUE(ws.ok() && sibia.ok());
  GemmLayer l;
  l.name = "big";
  l.m = 4096, l.k = 1536, l.n = 1536;
  l.activations.int8_bytes = l.m * l.k;
  auto e = DefaultEnergyTable("horowitz45nm");
  ASSERT_TRUE(e.ok());
  auto a = SimulateLayer(l, *ws, *e), b = SimulateLayer(l, *sibia, *e);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->compute_cycles, b->compute_cycles);
}

// --- Energy tables.

TEST(SimEnergy, SramInterpolatesInLogCapacity) {
  EnergyTable e = HandEnergy();
  EXPECT_DOUBLE_EQ(e.SramPer64b(1), 8);
  EXPECT_DOUBLE_EQ(e.SramPer64b(2), 12);  // halfway in log2 between 1 and 4 KiB
  EXPECT_DOUBLE_EQ(e.SramPer64b(4), 16);
  EXPECT_DOUBLE_EQ(e.SramPer64b(0.5), 8);  // clamped
  EXPECT_DOUBLE_EQ(e.SramPer64b(64), 16);
  auto h = DefaultEnergyTable("horowitz45nm");
  ASSERT_TRUE(h.ok()) << h.status().message();
  EXPECT_DOUBLE_EQ(h->SramPer64b(16), 15);  // between 8 KB (10) and 32 KB (20)
  EXPECT_DOUBLE_EQ(h->SramPer64b(32), 20);
  EXPECT_NEAR(h->SramPer64b(1024), 100, 1e-12);
}

TEST(SimEnergy, DefaultTablesCarryHorowitzNumbers) {
  auto h = DefaultEnergyTable("horowitz45nm");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->int8_add, 0.03);
  EXPECT_EQ(h->int8_mult, 0.2);
  EXPECT_EQ(h->int32_mult, 3.1);
  EXPECT_EQ(h->fp32_mult, 3.7);
  EXPECT_DOUBLE_EQ(h->int4_mult, 0.2 * 0.25);  // (4/8)² scaling
  auto t28 = DefaultEnergyTable("28nm");
  ASSERT_TRUE(t28.ok()) << t28.status().message();
  EXPECT_NEAR(t28->int8_mult / h->int8_mult, 0.504, 1e-3);
  EXPECT_EQ(t28->dram_64b, h->dram_64b);
}

TEST(SimEnergy, RejectsBadTables) {
  auto bad = [](std::string_view text) { return ParseEnergyTable(text, "t.json").status(); };
  EXPECT_EQ(bad("{").code(), StatusCode::kCorruptData);
  std::string good(kHandEnergy);
  auto with = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    s.replace(s.find(from), from.size(), to);
    return bad(s);
  };
  EXPECT_NE(with("\"int8_mult\": 0.2,", "").message().find("ops_pj.int8_mult' is required"), std::string::npos);
  EXPECT_NE(with("\"int8_mult\": 0.2", "\"int8_mult\": \"x\"").message().find("must be a number"), std::string::npos);
  EXPECT_NE(with("\"int8_mult\": 0.2", "\"int8_mult\": -1").message().find("int8_mult"), std::string::npos);
  EXPECT_NE(with("{\"kib\": 4", "{\"kib\": 1").message().find("increase"), std::string::npos);
  EXPECT_NE(with("\"dram_64b_pj\": 640", "\"dram_64b_pj\": 640, \"dram_pj\": 1").message().find("unknown field 'dram_pj'"),
            std::string::npos);
  EXPECT_NE(with("\"provenance\": \"round numbers for unit tests\",", "").message().find("provenance"), std::string::npos);
  EXPECT_NE(with("\"dram_64b_pj\": 640", "\"dram_64b_pj\": 640, \"dram_64b_pj_range\": [1, 2]").message().find("outside"),
            std::string::npos);
}

// --- Architecture configs.

TEST(SimArch, ShippedFilesMatchTheEmbeddedDefaults) {
  for (const std::string& name : DefaultArchNames()) {
    auto bytes = testing::ReadBytes(testing::SourceDir() + "/data/arch/" + name + ".json");
    auto text = DefaultArchJson(name);
    ASSERT_TRUE(text.ok());
    EXPECT_EQ(std::string(bytes.begin(), bytes.end()), std::string(*text)) << name;
    auto parsed = ReadArchConfig(testing::SourceDir() + "/data/arch/" + name + ".json");
    ASSERT_TRUE(parsed.ok()) << parsed.status().message();
    EXPECT_EQ(parsed->name, name);
  }
  for (const std::string& name : DefaultEnergyTableNames()) {
    auto bytes = testing::ReadBytes(testing::SourceDir() + "/data/energy/" + name + ".json");
    auto text = DefaultEnergyTableJson(name);
    ASSERT_TRUE(text.ok());
    EXPECT_EQ(std::string(bytes.begin(), bytes.end()), std::string(*text)) << name;
  }
}

TEST(SimArch, DefaultsShareOneMultiplierBudget) {
  // 3072 4b×4b multipliers each (Panacea's budget; 768 8b×8b MACs for the dense designs).
  std::vector<std::string> names = DefaultArchNames();
  EXPECT_EQ(names, (std::vector<std::string>{"sa-ws", "sa-os", "simd", "sibia", "panacea", "envision", "eie", "scnn",
                                             "sta", "psma-subword", "psma-bitfusion", "psma-loom",
                                             "psma-bitblade"}));
  for (const std::string& name : names) {
    auto a = DefaultArchConfig(name);
    ASSERT_TRUE(a.ok()) << a.status().message();
    EXPECT_EQ(a->Multipliers4bEquivalent(), 3072u) << name;
    EXPECT_EQ(a->dram_bits_per_cycle, 256) << name;
    EXPECT_EQ(a->sram.weights_kib + a->sram.activations_kib + a->sram.outputs_kib, 192) << name;
  }
  auto p = DefaultArchConfig("panacea");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->Multipliers(), 16u * (4 + 8) * 16);
  EXPECT_EQ(p->EffectiveSliceSetting(), SliceSetting::kZpmDbs);
}

TEST(SimArch, RejectsBadConfigsWithTheFieldName) {
  std::string good(kHandArch);
  auto with = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    s.replace(s.find(from), from.size(), to);
    return ParseArchConfig(s, "a.json").status();
  };
  EXPECT_EQ(ParseArchConfig("[1]", "a.json").status().code(), StatusCode::kCorruptData);
  EXPECT_EQ(ParseArchConfig("{\"name\": ", "a.json").status().code(), StatusCode::kCorruptData);
  Status s = with("\"array_rows\": 4", "\"array_rows\": 0");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("array_rows"), std::string::npos) << s.message();
  EXPECT_NE(with("\"array_rows\": 4", "\"array_rows\": 4.5").message().find("must be an integer"), std::string::npos);
  EXPECT_NE(with("\"array_rows\": 4", "\"array_row\": 4").message().find("unknown field 'array_row'"), std::string::npos);
  EXPECT_NE(with("\"weights\": 1", "\"weight\": 1").message().find("unknown field 'sram_kib.weight'"), std::string::npos);
  EXPECT_NE(with("\"dataflow\": \"ws\"", "\"dataflow\": \"rs\"").message().find("dataflow"), std::string::npos);
  EXPECT_NE(with("\"multiplier_bits\": 8", "\"multiplier_bits\": 4").message().find("must be 8 for a dense"),
            std::string::npos);
  EXPECT_NE(with("\"dram_bits_per_cycle\": 64", "\"dram_bits_per_cycle\": -64").message().find("dram_bits_per_cycle"),
            std::string::npos);
  EXPECT_NE(with("\"double_buffering\": true", "\"double_buffering\": 1").message().find("true or false"),
            std::string::npos);
  EXPECT_NE(with("\"kind\": \"dense\"", "\"kind\": \"dense\", \"slicing\": {}").message().find("only to kind"),
            std::string::npos);
  EXPECT_NE(with("\"kind\": \"dense\"", "\"kind\": \"tpu\"").message().find("kind"), std::string::npos);

  auto pan = std::string(*DefaultArchJson("panacea"));
  auto pan_with = [&](const std::string& from, const std::string& to) {
    std::string s = pan;
    s.replace(s.find(from), from.size(), to);
    return ParseArchConfig(s, "p.json").status();
  };
  EXPECT_NE(pan_with("\"static_operators\": 8", "\"static_operators\": 9").message().find("must equal array_rows"),
            std::string::npos);
  EXPECT_NE(pan_with("\"zpm\": true", "\"zpm\": false").message().find("needs panacea.zpm"), std::string::npos);
  EXPECT_NE(pan_with("\"vector_length\": 4", "\"setting\": \"sibia\", \"vector_length\": 4").message().find("derived"),
            std::string::npos);
}

// --- Workloads from the shared models.

TEST(SimWorkload, MnistCnnWithActivations) {
  auto model = ReadModel(testing::SharedModel("mnist-cnn/mnist_cnn.safetensors"));
  auto acts = ReadModel(testing::SharedModel("mnist-cnn/activations_first64.safetensors"));
  ASSERT_TRUE(model.ok() && acts.ok());
  auto wl = BuildWorkload(*model, &*acts);
  ASSERT_TRUE(wl.ok()) << wl.status().message();
  ASSERT_EQ(wl->layers.size(), 4u);
  struct Expect { const char* name; uint64_t m, k, n; };
  // 64 digits; conv 3×3 stride 1 unpadded: 28→26 and 26→24.
  const Expect expect[] = {{"conv2d_1", 64 * 26 * 26, 9, 32},
                           {"conv2d_2", 64 * 24 * 24, 288, 64},
                           {"dense_1", 64, 9216, 128},
                           {"dense_2", 64, 128, 10}};
  for (size_t i = 0; i < 4; ++i) {
    const GemmLayer& l = wl->layers[i];
    EXPECT_EQ(l.name, expect[i].name);
    EXPECT_EQ(l.m, expect[i].m) << l.name;
    EXPECT_EQ(l.k, expect[i].k) << l.name;
    EXPECT_EQ(l.n, expect[i].n) << l.name;
    EXPECT_EQ(l.m_source, "activations");
    EXPECT_EQ(l.weights.int8_bytes, l.k * l.n);
    EXPECT_TRUE(l.weights.quant_measured && l.activations.quant_measured);
    EXPECT_FALSE(l.weights.ratio_measured || l.weights.slices_measured);
    EXPECT_EQ(l.weights.compressed_ratio, 1.0);
  }
  // A conv input is stored once, not im2col-expanded.
  EXPECT_EQ(wl->layers[1].activations.int8_bytes, 64u * 26 * 26 * 32);
  // dense_1's input is post-ReLU (min 0, so zero point 0): a value
  // quantizes to 0 exactly when it is below half a step, max/255/2.
  const Tensor* x = nullptr;
  for (const Tensor& t : acts->tensors)
    if (t.name() == "dense_1.input") x = &t;
  ASSERT_NE(x, nullptr);
  auto v = x->values<float>();
  float mx = 0;
  for (float f : v) mx = std::max(mx, f);
  uint64_t small = 0;
  for (float f : v) small += f < mx / 255 / 2;
  EXPECT_NEAR(wl->layers[2].activations.zero_fraction, double(small) / v.size(), 1e-4);
  EXPECT_GT(wl->layers[2].activations.zero_fraction, 0.3);  // ReLU leaves many zeros
}

TEST(SimWorkload, Stories260kFusedInputsAndClassifier) {
  auto model = ReadModel(testing::SharedModel("stories260k/stories260K.bin"));
  auto acts = ReadModel(testing::SharedModel("stories260k/activations_4x128.safetensors"));
  ASSERT_TRUE(model.ok() && acts.ok());
  auto wl = BuildWorkload(*model, &*acts);
  ASSERT_TRUE(wl.ok()) << wl.status().message();
  ASSERT_EQ(wl->layers.size(), 5u * 7 + 1);
  std::map<std::string, const GemmLayer*> by;
  for (const auto& l : wl->layers) by[l.name] = &l;
  const GemmLayer* wk = by["layers.2.attention.wk"];
  ASSERT_NE(wk, nullptr);
  EXPECT_EQ(wk->m, 512u);  // 4 sequences × 128 tokens
  EXPECT_EQ(wk->k, 64u);
  EXPECT_EQ(wk->n, 32u);   // kv_dim = 64·4/8
  EXPECT_EQ(wk->m_source, "activations");
  // wq, wk and wv read the same recorded input.
  EXPECT_EQ(by["layers.2.attention.wq"]->activations.zero_fraction, wk->activations.zero_fraction);
  const GemmLayer* w2 = by["layers.0.feed_forward.w2"];
  EXPECT_EQ(w2->k, 172u);
  EXPECT_EQ(w2->n, 64u);
  EXPECT_EQ(by["layers.0.feed_forward.w3"]->m, 512u);
  const GemmLayer& cls = wl->layers.back();
  EXPECT_EQ(cls.k, 64u);
  EXPECT_EQ(cls.n, 512u);
  EXPECT_EQ(cls.m, 512u);
  EXPECT_FALSE(cls.activations.quant_measured);
}

TEST(SimWorkload, WithoutActivationsOneSample) {
  auto model = ReadModel(testing::SharedModel("mnist-cnn/mnist_cnn.safetensors"));
  ASSERT_TRUE(model.ok());
  auto wl = BuildWorkload(*model, nullptr);
  ASSERT_TRUE(wl.ok());
  for (const auto& l : wl->layers) {
    EXPECT_EQ(l.m, 1u);
    EXPECT_EQ(l.m_source, "default");
    EXPECT_FALSE(l.activations.quant_measured);
    EXPECT_EQ(l.activations.int8_bytes, l.k);
  }
  auto seven = BuildWorkload(*model, nullptr, {}, 7);
  ASSERT_TRUE(seven.ok());
  EXPECT_EQ(seven->layers[2].m, 7u);
  EXPECT_EQ(seven->layers[2].activations.int8_bytes, 7u * 9216);
  EXPECT_EQ(BuildWorkload(*model, nullptr, {}, 0).status().code(), StatusCode::kInvalidArgument);
}

TEST(SimWorkload, LayoutsByNameAndRank) {
  // PyTorch [out,in] and OIHW, Keras [in,out] and HWIO; depthwise kernels,
  // embeddings, norms and biases are not GEMMs.
  auto make = [](const std::string& name, Shape shape) {
    std::vector<float> v(*ElementCount(shape), 0.5f);
    return *Tensor::FromValues<float>(name, DType::kF32, shape, v);
  };
  Model m;
  m.tensors = {make("fc.weight", {10, 20}),         make("conv.weight", {8, 3, 5, 5}),
               make("d/d/kernel", {20, 10}),         make("c/c/kernel", {3, 3, 4, 16}),
               make("dw/dw/depthwise_kernel", {3, 3, 4, 1}), make("embed_tokens.weight", {100, 8}),
               make("ln.weight", {8}),               make("fc.bias", {10}),
               make("norm.weight", {8, 8})};
  auto wl = BuildWorkload(m, nullptr);
  ASSERT_TRUE(wl.ok()) << wl.status().message();
  ASSERT_EQ(wl->layers.size(), 4u);
  EXPECT_EQ(wl->layers[0].name, "fc");
  EXPECT_EQ(wl->layers[0].k, 20u);
  EXPECT_EQ(wl->layers[0].n, 10u);
  EXPECT_EQ(wl->layers[1].k, 3u * 25);
  EXPECT_EQ(wl->layers[1].n, 8u);
  EXPECT_EQ(wl->layers[2].name, "d/d");
  EXPECT_EQ(wl->layers[2].k, 20u);
  EXPECT_EQ(wl->layers[2].n, 10u);
  EXPECT_EQ(wl->layers[3].k, 36u);
  EXPECT_EQ(wl->layers[3].n, 16u);
  EXPECT_EQ(wl->skipped, std::vector<std::string>{"dw/dw/depthwise_kernel"});
  Model none;
  none.tensors = {make("ln.weight", {8})};
  EXPECT_EQ(BuildWorkload(none, nullptr).status().code(), StatusCode::kUnsupported);
}

TEST(SimWorkload, TfliteFiltersAndMatMuls) {
  // resnet8_cifar10_int8.tflite: 9 int8 Conv2D filters [out, kh, kw, in] and
  // one MatMul [10, 64]; the fused biases share the ops' names at rank 1.
  auto model = ReadModel(testing::SharedModel("mlperf-tiny/resnet8_cifar10_int8.tflite"));
  ASSERT_TRUE(model.ok()) << model.status().message();
  auto wl = BuildWorkload(*model, nullptr);
  ASSERT_TRUE(wl.ok()) << wl.status().message();
  ASSERT_EQ(wl->layers.size(), 10u);
  std::map<std::string, std::pair<uint64_t, uint64_t>> kn;
  for (const GemmLayer& l : wl->layers) kn[l.name] = {l.k, l.n};
  EXPECT_EQ(kn["model/conv2d_1"], std::make_pair(uint64_t(3 * 3 * 16), uint64_t(16)));
  EXPECT_EQ(kn["model/conv2d_8"], std::make_pair(uint64_t(32), uint64_t(64)));
  EXPECT_EQ(kn["model/dense"], std::make_pair(uint64_t(64), uint64_t(10)));
}

TEST(SimWorkload, MeasurersSeamFillsRatioAndSparsity) {
  auto model = ReadModel(testing::SharedModel("mnist-cnn/mnist_cnn.safetensors"));
  auto acts = ReadModel(testing::SharedModel("mnist-cnn/activations_first64.safetensors"));
  ASSERT_TRUE(model.ok() && acts.ok());
  Measurers m;
  int ratio_calls = 0;
  m.lossless_ratio = [&](const Tensor& q) -> StatusOr<double> {
    ++ratio_calls;
    EXPECT_TRUE(q.dtype() == DType::kI8 || q.dtype() == DType::kU8);
    return q.dtype() == DType::kI8 ? 0.6 : 0.4;
  };
  m.slice_sparsity = [](const Tensor&, SliceSetting s, bool is_weight, int vl) -> StatusOr<SliceSparsity> {
    EXPECT_EQ(vl, 16);
    return SliceSparsity{0.1 * (int(s) + 1), is_weight ? 0.0 : 0.05 * (int(s) + 1)};
  };
  auto wl = BuildWorkload(*model, &*acts, m);
  ASSERT_TRUE(wl.ok()) << wl.status().message();
  EXPECT_EQ(ratio_calls, 8);  // 4 weights + 4 distinct inputs
  const GemmLayer& l = wl->layers[3];
  EXPECT_TRUE(l.weights.ratio_measured && l.activations.slices_measured);
  EXPECT_EQ(l.weights.compressed_ratio, 0.6);
  EXPECT_EQ(l.activations.compressed_ratio, 0.4);
  EXPECT_DOUBLE_EQ(l.activations.slices[int(SliceSetting::kZpmDbs)].ho_vector, 0.15);

  // The plugged-in numbers move the results.
  auto arch = DefaultArchConfig("panacea");
  auto e = DefaultEnergyTable("horowitz45nm");
  ASSERT_TRUE(arch.ok() && e.ok());
  arch->atalanta.enabled = true;
  auto with = SimulateWorkload(*wl, *arch, *e);
  auto plain = SimulateWorkload(*BuildWorkload(*model, &*acts), *arch, *e);
  ASSERT_TRUE(with.ok() && plain.ok());
  EXPECT_LT(with->total.dram_bytes, plain->total.dram_bytes);
  EXPECT_LT(with->total.mults_4b, plain->total.mults_4b);

  m.lossless_ratio = [](const Tensor&) -> StatusOr<double> { return CorruptDataError("codec failed"); };
  EXPECT_EQ(BuildWorkload(*model, &*acts, m).status().code(), StatusCode::kCorruptData);
}

TEST(SimWorkload, MismatchedActivationIsAClearError) {
  auto model = ReadModel(testing::SharedModel("mnist-cnn/mnist_cnn.safetensors"));
  ASSERT_TRUE(model.ok());
  std::vector<float> zeros(3 * 100, 0.0f);
  auto x = Tensor::FromValues<float>("dense_2.input", DType::kF32, {3, 100}, zeros);
  ASSERT_TRUE(x.ok());
  Model acts;
  acts.tensors.push_back(*x);
  Status s = BuildWorkload(*model, &acts).status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("dense_2.input"), std::string::npos) << s.message();
}

// --- CLI.

TEST(SimCli, SimulateMnistJson) {
  testing::TempDir tmp;
  auto r = testing::RunCli("simulate " + testing::SharedModel("mnist-cnn/mnist_cnn.safetensors") +
                               " --activations " + testing::SharedModel("mnist-cnn/activations_first64.safetensors") +
                               " --json",
                           tmp);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j["architectures"].size(), 5u);
  ASSERT_EQ(j["layers"].size(), 4u);
  EXPECT_EQ(j["layers"][1]["layer"], "conv2d_2");
  EXPECT_EQ(j["layers"][1]["m"], 36864);
  const auto& res = j["layers"][1]["results"]["sa-ws"];
  for (const char* key : {"cycles", "dram_bytes", "sram_bytes", "mults_4b", "mults_8b"})
    EXPECT_TRUE(res.contains(key)) << key;
  for (const char* key : {"dram", "sram", "compute", "codec", "total"})
    EXPECT_TRUE(res["energy_pj"].contains(key)) << key;
  EXPECT_EQ(res["mults_8b"], 36864.0 * 288 * 64);
  const auto& total = j["total"]["panacea"];
  // Per-tensor wire bytes add up to the total, and Panacea's measured
  // compressed activations undercut Sibia's uncompressed slices.
  double by_tensor = 0;
  for (const auto& [key, bytes] : total["dram_bytes_by_tensor"].items()) by_tensor += bytes.get<double>();
  EXPECT_NEAR(by_tensor, total["dram_bytes"].get<double>(), 1e-6 * by_tensor);
  EXPECT_LT(total["dram_bytes_by_tensor"]["activations"].get<double>(),
            j["total"]["sibia"]["dram_bytes_by_tensor"]["activations"].get<double>());
  EXPECT_GT(total["tops_per_watt"].get<double>(), 0);
  EXPECT_GT(total["throughput_ops_per_cycle"].get<double>(), 0);
  EXPECT_EQ(j["total"]["sa-ws"]["ratio_to_first"]["energy"], 1.0);
}

TEST(SimCli, TableNamesWhatIsMeasured) {
  testing::TempDir tmp;
  auto r = testing::RunCli("simulate " + testing::SharedModel("stories260k/stories260K.bin") + " --activations " +
                               testing::SharedModel("stories260k/activations_4x128.safetensors") +
                               " --arch sa-ws,panacea --atalanta",
                           tmp);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("lossless ratio: measured (Atalanta"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("HO slice/vector sparsity and slice-format bytes (Sibia, Panacea): measured (Panacea slice analysis) for 35/36 layers"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("3072"), std::string::npos);
  auto bad = testing::RunCli("simulate " + testing::SharedModel("stories260k/stories260K.bin") + " --arch tpu", tmp);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("no built-in architecture 'tpu'"), std::string::npos) << bad.err;
}

TEST(SimCli, UserConfigAndEnergyTableFiles) {
  testing::TempDir tmp;
  auto edit = [](std::string s, const std::string& from, const std::string& to) {
    return s.replace(s.find(from), from.size(), to);
  };
  std::string mine = edit(std::string(*DefaultArchJson("sa-ws")), "\"sa-ws\"", "\"mine\"");
  mine = edit(mine, "\"array_cols\": 24", "\"array_cols\": 48");
  testing::WriteBytes(tmp.File("mine.json"), std::vector<uint8_t>(mine.begin(), mine.end()));
  const std::string model = testing::SharedModel("mnist-cnn/mnist_cnn.safetensors");
  auto r = testing::RunCli("simulate " + model + " --tokens 64 --arch sa-ws --config " + tmp.File("mine.json") +
                               " --energy-table " + testing::SourceDir() + "/data/energy/28nm.json --json",
                           tmp);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["energy_table"], "28nm");
  ASSERT_EQ(j["architectures"].size(), 2u);
  EXPECT_EQ(j["architectures"][1]["name"], "mine");
  EXPECT_FALSE(j["equal_multiplier_budget"].get<bool>());  // 1536 MACs against 768
  EXPECT_EQ(j["layers"][2]["m"], 64);

  std::string broken = edit(mine, "\"psum_bytes\": 4", "\"psum_bytes\": 0");
  testing::WriteBytes(tmp.File("broken.json"), std::vector<uint8_t>(broken.begin(), broken.end()));
  auto bad = testing::RunCli("simulate " + model + " --config " + tmp.File("broken.json"), tmp);
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("psum_bytes"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace tp::sim
