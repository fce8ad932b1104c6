// Precision-scalable MAC arrays (kind psma) and DVAFS as a simulate option:
// the mode choice, the cost formulas of sparse_sim.h pinned by hand-computed
// values on a 16-MAC array, the shipped configs against the published data
// they were computed from, config errors, and the CLI end to end.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "tensorpress/sim.h"
#include "tensorpress/sparse_sim.h"
#include "testing/test_util.h"

namespace tp::sim {
namespace {

constexpr std::string_view kHandEnergy = R"({
  "name": "hand", "process": "none", "provenance": "round numbers for unit tests",
  "ops_pj": {"int8_add": 0.03, "int16_add": 0.05, "int32_add": 0.1, "int4_mult": 0.05,
             "int8_mult": 0.2, "int32_mult": 3.1, "fp16_add": 0.4, "fp16_mult": 1.1,
             "fp32_add": 0.9, "fp32_mult": 3.7},
  "sram_64b_pj": [{"kib": 1, "pj": 8}, {"kib": 4, "pj": 16}],
  "dram_64b_pj": 640
})";

// sim_test.cc's 4x4 weight-stationary hand array as a 2-D divide-and-conquer
// PSMA with round-number modes (hand values, not the paper's).
constexpr std::string_view kHandPsma = R"({
  "name": "hand-psma", "kind": "psma", "dataflow": "ws", "clock_mhz": 1000,
  "pe_arrays": 1, "array_rows": 4, "array_cols": 4, "multiplier_bits": 8,
  "sram_kib": {"weights": 1, "activations": 1, "outputs": 4},
  "double_buffering": true, "dram_bits_per_cycle": 64, "psum_bytes": 4,
  "psma": {"style": "divide_conquer_2d", "area": 1.5, "reference": "hand", "provenance": "hand",
           "modes": [{"bits": [8, 8], "energy": 1.5},
                     {"bits": [8, 4], "throughput": 2, "energy": 0.8},
                     {"bits": [4, 4], "energy": 0.4},
                     {"bits": [2, 2], "energy": 0.1}]}
})";

constexpr std::string_view kHandDvafs = R"(,
  "dvafs": {"scheme": "dvafs", "provenance": "hand",
            "modes": [{"bits": 4, "das_activity": 0.5, "dvas_voltage": 0.8, "dvafs_activity": 0.9,
                       "dvafs_voltage": 0.7, "subwords": 2}]}
})";

EnergyTable HandEnergy() {
  auto e = ParseEnergyTable(kHandEnergy, "hand energy");
  EXPECT_TRUE(e.ok()) << e.status().message();
  return *e;
}

ArchConfig HandPsma(bool dvafs = false) {
  std::string text(kHandPsma);
  if (dvafs) text = text.substr(0, text.rfind('}')) + std::string(kHandDvafs);
  auto a = ParseArchConfig(text, "hand psma");
  EXPECT_TRUE(a.ok()) << a.status().message();
  return *a;
}

// M=64, K=16, N=16 (sim_test.cc's hand layer).
GemmLayer HandLayer(int wbits, int abits) {
  GemmLayer l;
  l.name = "fc";
  l.m = 64, l.k = 16, l.n = 16;
  l.weights.elements = l.weights.int8_bytes = 256;
  l.activations.elements = l.activations.int8_bytes = 1024;
  l.weight_bits = wbits, l.activation_bits = abits;
  return l;
}

TEST(Psma, StructuralThroughputPerStyle) {
  EXPECT_EQ(PsmaStructuralThroughput(PsmaStyle::kDataGating, 2, 2), 1);
  EXPECT_EQ(PsmaStructuralThroughput(PsmaStyle::kSubwordParallel, 4, 4), 2);
  EXPECT_EQ(PsmaStructuralThroughput(PsmaStyle::kSubwordParallel, 8, 2), 1);
  EXPECT_EQ(PsmaStructuralThroughput(PsmaStyle::kSubwordParallel, 2, 2), 4);
  EXPECT_EQ(PsmaStructuralThroughput(PsmaStyle::kDivideConquer2d, 8, 4), 2);
  EXPECT_EQ(PsmaStructuralThroughput(PsmaStyle::kDivideConquer2d, 2, 2), 16);
  EXPECT_EQ(PsmaStructuralThroughput(PsmaStyle::kBitSerial2d, 8, 2), 4);
  EXPECT_EQ(PsmaStructuralThroughput(PsmaStyle::kBitSerial1d, 8, 2), 4);
  EXPECT_EQ(PsmaStructuralThroughput(PsmaStyle::kBitSerial1d, 4, 4), 2);
}

TEST(Psma, ModeChoiceCoversBothOperands) {
  ArchConfig a = HandPsma();
  auto mode = [&](int w, int x) {
    auto p = PsmaOperatingPoint(a, w, x);
    EXPECT_TRUE(p.ok()) << p.status().message();
    return std::to_string(p->mode.hi_bits) + "x" + std::to_string(p->mode.lo_bits) + "@" +
           std::to_string(p->throughput);
  };
  EXPECT_EQ(mode(8, 8), "8x8@1.000000");
  EXPECT_EQ(mode(4, 8), "8x4@2.000000");   // unordered: 4-bit weights, 8-bit activations
  EXPECT_EQ(mode(8, 4), "8x4@2.000000");
  EXPECT_EQ(mode(3, 5), "8x4@2.000000");   // 4x4 does not hold the 5-bit operand
  EXPECT_EQ(mode(4, 4), "4x4@4.000000");
  EXPECT_EQ(mode(3, 2), "4x4@4.000000");
  EXPECT_EQ(mode(1, 2), "2x2@16.000000");
  // A subword-parallel table has no 8x4 mode: 8x4 runs at 8x8.
  auto sw = DefaultArchConfig("psma-subword");
  ASSERT_TRUE(sw.ok()) << sw.status().message();
  auto p = PsmaOperatingPoint(*sw, 4, 8);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->mode.hi_bits, 8);
  EXPECT_EQ(p->mode.lo_bits, 8);
  EXPECT_EQ(PsmaOperatingPoint(a, 9, 8).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(PsmaOperatingPoint(a, 0, 8).status().code(), StatusCode::kInvalidArgument);
}

TEST(Psma, LayerAt4x4ByHand) {
  auto c = SimulateLayer(HandLayer(4, 4), HandPsma(), HandEnergy());
  ASSERT_TRUE(c.ok()) << c.status().message();
  // Tiling: 16x16 weights; the output tile (tm x 16 x 4 bytes <= 2048) keeps
  // tm at 32 as for int8. Operands packed at 4 bits:
  // DRAM W 256/2 + X 1024/2 + Y 1024 = 1664 bytes = 208 cycles at 64 bits.
  EXPECT_EQ(c->dram_bytes, 1664);
  EXPECT_EQ(c->memory_cycles, 208);
  // Compute: 16384 MACs / 16 MACs / throughput 4 = 256 cycles.
  EXPECT_EQ(c->mults_8b, 16384);
  EXPECT_EQ(c->compute_cycles, 256);
  EXPECT_EQ(c->cycles, 256);
  // SRAM reads: weights 512/2, inputs 4096/2, psums 12288, drain 1024;
  // writes: fills 128 + 512, psums 16384.
  EXPECT_EQ(c->sram_read_bytes, 256 + 2048 + 12288 + 1024);
  EXPECT_EQ(c->sram_write_bytes, 128 + 512 + 16384);
  // Energy: DRAM 1664 x 80 = 133120; compute 16384 x 0.3 x 0.4 = 1966.08;
  // SRAM (256+128) x 1 + (2048+512) x 1 + (12288+16384+1024) x 2 = 62336.
  EXPECT_NEAR(c->energy_pj.dram, 133120, 1e-6);
  EXPECT_NEAR(c->energy_pj.compute, 1966.08, 1e-6);
  EXPECT_NEAR(c->energy_pj.sram, 62336, 1e-6);
}

TEST(Psma, AsymmetricAndMemoryBoundLayersByHand) {
  // 8-bit weights, 4-bit activations: mode 8x4, 512 cycles; DRAM 256 + 512
  // + 1024 = 1792 bytes (224 cycles); compute 16384 x 0.3 x 0.8 = 3932.16.
  auto c = SimulateLayer(HandLayer(8, 4), HandPsma(), HandEnergy());
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->compute_cycles, 512);
  EXPECT_EQ(c->dram_bytes, 1792);
  EXPECT_EQ(c->cycles, 512);
  EXPECT_NEAR(c->energy_pj.compute, 3932.16, 1e-6);
  // 2x2: 1024/16 = 64 compute cycles, DRAM 64 + 256 + 1024 = 1344 bytes =
  // 168 cycles: memory-bound.
  auto d = SimulateLayer(HandLayer(2, 2), HandPsma(), HandEnergy());
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->compute_cycles, 64);
  EXPECT_EQ(d->memory_cycles, 168);
  EXPECT_EQ(d->cycles, 168);
  EXPECT_NEAR(d->energy_pj.compute, 16384 * 0.3 * 0.1, 1e-6);
  // 8x8: the dense array's cycles and bytes with the 8x8 mode's energy.
  auto e = SimulateLayer(HandLayer(8, 8), HandPsma(), HandEnergy());
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->compute_cycles, 1024);
  EXPECT_EQ(e->dram_bytes, 2304);
  EXPECT_NEAR(e->energy_pj.compute, 16384 * 0.3 * 1.5, 1e-6);
}

TEST(Psma, PackedOperandsFitLargerTiles) {
  // K = 64, N = 16 against 512 bytes of weight tile (1 KiB, double-buffered).
  // int8: a 64x16 weight tile does not fit, so the cheapest tiling halves N
  // (tn 8, tk 64: X read twice, 1024 + 8192 + 1024 bytes) rather than K
  // (psum spills); tm <= 512 / 64 = 8. Packed at 4 bits the 64x16 tile is
  // 512 bytes: one pass over X (1024 + 4096 + 1024 raw), tm <= 16.
  GemmLayer l = HandLayer(8, 8);
  l.k = 64;
  l.weights.elements = l.weights.int8_bytes = 64 * 16;
  l.activations.elements = l.activations.int8_bytes = 64 * 64;
  auto c8 = SimulateLayer(l, HandPsma(), HandEnergy());
  ASSERT_TRUE(c8.ok()) << c8.status().message();
  EXPECT_EQ(c8->tiling.tm, 8u);
  EXPECT_EQ(c8->tiling.tk, 64u);
  EXPECT_EQ(c8->tiling.tn, 8u);
  EXPECT_EQ(c8->dram_raw.Total(), 1024 + 8192 + 1024);
  l.weight_bits = l.activation_bits = 4;
  auto c4 = SimulateLayer(l, HandPsma(), HandEnergy());
  ASSERT_TRUE(c4.ok()) << c4.status().message();
  EXPECT_EQ(c4->tiling.tm, 16u);
  EXPECT_EQ(c4->tiling.tk, 64u);
  EXPECT_EQ(c4->tiling.tn, 16u);
  EXPECT_EQ(c4->dram_raw.Total(), 1024 + 4096 + 1024);
  EXPECT_EQ(c4->dram_bytes, 512 + 2048 + 1024);  // operands on the wire at 4 bits
}

TEST(Psma, DvafsSchemesByHand) {
  ArchConfig a = HandPsma(/*dvafs=*/true);
  // DVAFS: P = a' V'^2 / N = 0.9 x 0.49 / 2 = 0.2205 of the 8x8 energy 1.5;
  // one word per f0 cycle: the 8x8 cycles.
  auto c = SimulateLayer(HandLayer(4, 4), a, HandEnergy());
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->compute_cycles, 1024);
  EXPECT_NEAR(c->energy_pj.compute, 16384 * 0.3 * 1.5 * 0.2205, 1e-6);
  auto p = PsmaOperatingPoint(a, 2, 3);  // the smallest DVAFS mode >= 3 bits: 4
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->dvafs);
  EXPECT_EQ(p->dvafs_bits, 4);
  a.dvafs.scheme = DvafsScheme::kDas;  // activity only: 0.5
  EXPECT_NEAR(PsmaOperatingPoint(a, 4, 4)->energy, 1.5 * 0.5, 1e-12);
  a.dvafs.scheme = DvafsScheme::kDvas;  // 0.5 x 0.8^2 = 0.32
  EXPECT_NEAR(PsmaOperatingPoint(a, 4, 4)->energy, 1.5 * 0.32, 1e-12);
  // 8 bits is the baseline: no DVAFS mode, the 8x8 mode.
  EXPECT_FALSE(PsmaOperatingPoint(a, 8, 4)->dvafs);
  a.dvafs.scheme = DvafsScheme::kOff;  // the mode table again
  EXPECT_NEAR(PsmaOperatingPoint(a, 4, 4)->energy, 0.4, 1e-12);
}

TEST(Psma, ShippedConfigsMatchThePublishedData) {
  // Every shipped mode has its style's structural throughput.
  for (const char* name : {"psma-subword", "psma-bitfusion", "psma-loom", "psma-bitblade"}) {
    auto a = DefaultArchConfig(name);
    ASSERT_TRUE(a.ok()) << a.status().message();
    EXPECT_EQ(a->Multipliers4bEquivalent(), 3072u) << name;
    EXPECT_NE(a->psma.provenance.find("2108.04773"), std::string::npos) << name;
    for (const PsmaMode& m : a->psma.modes)
      EXPECT_EQ(m.throughput, PsmaStructuralThroughput(a->psma.style, m.hi_bits, m.lo_bits))
          << name << " " << m.hi_bits << "x" << m.lo_bits;
  }
  // Energies from KULeuven-MICAS/PSMA-benchmark results/breakdown/1.00
  // (power in mW at 1 ns, 256 MACs per cycle at 8x8, 1024 at 4x4, 4096 at
  // 2x2 for FU, 1024 at 2x2 for SWU), over SWU L4_00_L3_11_L2_11 at 8x8:
  // 170.38727 / 256 = 0.665575 pJ per MAC.
  auto energy = [](const char* name, int hi, int lo) {
    auto a = DefaultArchConfig(name);
    for (const PsmaMode& m : a->psma.modes)
      if (m.hi_bits == hi && m.lo_bits == lo) return m.energy;
    return -1.0;
  };
  const double ref = 170.38727 / 256;
  EXPECT_NEAR(energy("psma-subword", 8, 8), 1.0, 1e-4);
  EXPECT_NEAR(energy("psma-subword", 2, 2), 59.31366 / 1024 / ref, 1e-4);
  EXPECT_NEAR(energy("psma-bitfusion", 8, 8), 287.28048 / 256 / ref, 1e-3);
  EXPECT_NEAR(energy("psma-bitfusion", 4, 4), 272.83032 / 1024 / ref, 1e-4);
  EXPECT_NEAR(energy("psma-bitfusion", 2, 2), 267.01614 / 4096 / ref, 1e-5);
  EXPECT_NEAR(energy("psma-loom", 8, 4), 221.10821 / 512 / ref, 1e-4);
  EXPECT_NEAR(energy("psma-loom", 2, 2), 258.22127 / 4096 / ref, 1e-5);
  EXPECT_NEAR(energy("psma-bitblade", 8, 8), 243.25045 / 256 / ref, 1e-3);
}

TEST(Psma, RejectsBadConfigsWithTheFieldName) {
  std::string good(kHandPsma);
  auto with = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    s.replace(s.find(from), from.size(), to);
    return ParseArchConfig(s, "p.json").status();
  };
  auto msg = [&](const std::string& from, const std::string& to) { return std::string(with(from, to).message()); };
  EXPECT_NE(msg("{\"bits\": [8, 8], \"energy\": 1.5},", "").find("8x8"), std::string::npos);
  EXPECT_NE(msg("{\"bits\": [2, 2], \"energy\": 0.1}", "{\"bits\": [2, 2]}").find("energy' is required"),
            std::string::npos);
  EXPECT_NE(msg("\"divide_conquer_2d\"", "\"magic\"").find("psma.style"), std::string::npos);
  EXPECT_NE(msg("\"bits\": [2, 2]", "\"bits\": [9, 2]").find("bits"), std::string::npos);
  EXPECT_NE(msg("\"throughput\": 2", "\"throughput\": 0").find("throughput"), std::string::npos);
  EXPECT_NE(msg("{\"bits\": [8, 8], \"energy\": 1.5}", "{\"bits\": [8, 8], \"throughput\": 2, \"energy\": 1.5}")
                .find("8x8"),
            std::string::npos);
  EXPECT_NE(msg("\"area\": 1.5", "\"area\": 1.5, \"typo\": 1").find("typo"), std::string::npos);
  EXPECT_NE(msg("\"kind\": \"psma\"", "\"kind\": \"dense\"").find("psma"), std::string::npos);
  // DVAFS: scheme without modes, a voltage above 1, a missing field.
  std::string dv = good.substr(0, good.rfind('}')) + std::string(kHandDvafs);
  auto dvmsg = [&](const std::string& from, const std::string& to) {
    std::string s = dv;
    s.replace(s.find(from), from.size(), to);
    return std::string(ParseArchConfig(s, "p.json").status().message());
  };
  EXPECT_NE(dvmsg("\"dvafs_voltage\": 0.7", "\"dvafs_voltage\": 1.2").find("dvafs.modes[0]"), std::string::npos);
  EXPECT_NE(dvmsg("\"subwords\": 2", "\"subwordz\": 2").find("subwords"), std::string::npos);
  EXPECT_NE(dvmsg("\"scheme\": \"dvafs\"", "\"scheme\": \"fast\"").find("scheme"), std::string::npos);
  EXPECT_TRUE(ParseArchConfig(dv, "p.json").ok());
}

TEST(Psma, SimulateCliPrecisionAndDvafs) {
  testing::TempDir tmp;
  const std::string mnist = testing::SharedModel("mnist-cnn/mnist_cnn.safetensors");
  auto r = testing::RunCli("simulate " + mnist + " --arch sa-ws,psma-subword,psma-bitfusion,psma-loom "
                           "--precision 4x4 --json", tmp);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_TRUE(j["equal_multiplier_budget"].get<bool>());
  EXPECT_EQ(j["precision"]["weights"], 4);
  EXPECT_EQ(j["architectures"][2]["psma"]["mode"], "4x4");
  EXPECT_EQ(j["architectures"][2]["psma"]["throughput"], 4);
  const auto& t = j["total"];
  // Same array, a quarter of the compute cycles at 4x4 for BitFusion, half
  // for the subword-parallel array; compute energy scaled by the mode's.
  EXPECT_NEAR(t["psma-bitfusion"]["compute_cycles"].get<double>(), t["sa-ws"]["compute_cycles"].get<double>() / 4,
              0.01 * t["sa-ws"]["compute_cycles"].get<double>());
  EXPECT_NEAR(t["psma-subword"]["compute_cycles"].get<double>(), t["sa-ws"]["compute_cycles"].get<double>() / 2,
              0.01 * t["sa-ws"]["compute_cycles"].get<double>());
  EXPECT_NEAR(t["psma-bitfusion"]["energy_pj"]["compute"].get<double>(),
              t["sa-ws"]["energy_pj"]["compute"].get<double>() * 0.4003, 1e-6 * t["sa-ws"]["energy_pj"]["compute"].get<double>());

  // DVAFS end to end: a subword-parallel config with DVAFS modes, run at
  // 4x4 with the scheme off (its mode table), and with DAS/DVAS/DVAFS via
  // --dvafs: 8x8 cycles, 8x8 energy x P.
  auto base = DefaultArchJson("psma-subword");
  ASSERT_TRUE(base.ok());
  std::string cfg(*base);
  cfg.replace(cfg.find("\"name\": \"psma-subword\""), 22, "\"name\": \"swp-dvafs\"");
  cfg = cfg.substr(0, cfg.rfind('}')) +
        ",\n  \"dvafs\": {\"scheme\": \"off\", \"modes\": [{\"bits\": 4, \"das_activity\": 0.6, \"dvas_voltage\": 0.9, "
        "\"dvafs_activity\": 1.0, \"dvafs_voltage\": 0.75, \"subwords\": 2}]}\n}\n";
  const std::string path = tmp.path() + "/swp-dvafs.json";
  testing::WriteBytes(path, std::vector<uint8_t>(cfg.begin(), cfg.end()));
  auto run = [&](const std::string& extra) {
    auto rr = testing::RunCli("simulate " + mnist + " --arch psma-subword --config " + path + " --precision 4x4 --json" +
                                  extra, tmp);
    EXPECT_EQ(rr.exit_code, 0) << rr.err;
    return nlohmann::json::parse(rr.out, nullptr, false);
  };
  auto off = run("");
  EXPECT_EQ(off["total"]["swp-dvafs"]["energy_pj"]["compute"], off["total"]["psma-subword"]["energy_pj"]["compute"]);
  auto at8 = testing::RunCli("simulate " + mnist + " --config " + path + " --json", tmp);
  ASSERT_EQ(at8.exit_code, 0) << at8.err;
  const auto j8 = nlohmann::json::parse(at8.out);
  const double e8 = j8["total"]["swp-dvafs"]["energy_pj"]["compute"].get<double>();
  const double c8 = j8["total"]["swp-dvafs"]["compute_cycles"].get<double>();
  for (auto [scheme, power] : {std::pair<const char*, double>{"das", 0.6}, {"dvas", 0.6 * 0.81},
                               {"dvafs", 1.0 * 0.75 * 0.75 / 2}}) {
    auto jd = run(std::string(" --dvafs ") + scheme);
    EXPECT_EQ(jd["architectures"][1]["psma"]["dvafs"], scheme);
    EXPECT_EQ(jd["total"]["swp-dvafs"]["compute_cycles"].get<double>(), c8) << scheme;
    EXPECT_NEAR(jd["total"]["swp-dvafs"]["energy_pj"]["compute"].get<double>(), e8 * power, 1e-9 * e8) << scheme;
  }
  auto bad = testing::RunCli("simulate " + mnist + " --arch psma-loom --dvafs dvafs", tmp);
  EXPECT_EQ(bad.exit_code, 1);  // bad usage
  EXPECT_NE(bad.err.find("dvafs.modes"), std::string::npos) << bad.err;
  auto badp = testing::RunCli("simulate " + mnist + " --arch psma-loom --precision 9x4", tmp);
  EXPECT_EQ(badp.exit_code, 1);
  EXPECT_NE(badp.err.find("--precision"), std::string::npos) << badp.err;
}

}  // namespace
}  // namespace tp::sim
