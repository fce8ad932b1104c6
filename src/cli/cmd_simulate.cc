// `tensorpress simulate MODEL`: energy and cycles of a model's GEMMs on
// dense, Sibia and Panacea accelerators (docs/simulate.md).
#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "cli.h"
#include "tensorpress/gemm_weights.h"
#include "tensorpress/model.h"
#include "tensorpress/sim.h"
#include "tensorpress/sparse_sim.h"

namespace tp::cli {
namespace {

struct SimulateArgs {
  std::string model;
  std::string activations;
  std::string archs;
  std::vector<std::string> configs;
  std::string energy_table = "horowitz45nm";
  uint64_t tokens = 1;
  bool atalanta = false;
  bool json = false;
  std::string granularity = "channel";
  std::string precision = "8x8";
  std::string dvafs;
};

// "WxA": weight and activation bits, 1..8 each ("8" alone means 8x8).
StatusOr<std::pair<int, int>> ParsePrecision(const std::string& s) {
  const auto x = s.find('x');
  auto num = [](const std::string& t) -> int {
    if (t.empty() || t.size() > 1 || t[0] < '1' || t[0] > '8') return 0;
    return t[0] - '0';
  };
  const int w = num(x == std::string::npos ? s : s.substr(0, x));
  const int a = x == std::string::npos ? w : num(s.substr(x + 1));
  if (!w || !a) return InvalidArgumentError("--precision '" + s + "': expected WxA with 1..8 bits each, e.g. 4x8");
  return std::make_pair(w, a);
}

std::vector<std::string> SplitComma(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

// What the statistics rest on, for the reader of the output.
struct Provenance {
  uint64_t default_rows = 1;
  size_t skipped = 0;
  size_t layers = 0, m_measured = 0, m_graph = 0, quant_measured = 0, ratio_measured = 0, slices_measured = 0;
  size_t weight_quant_measured = 0, weight_ratio_measured = 0;
};

Provenance ProvenanceOf(const sim::Workload& wl, uint64_t default_rows) {
  Provenance p;
  p.default_rows = default_rows;
  p.skipped = wl.skipped.size();
  p.layers = wl.layers.size();
  for (const auto& l : wl.layers) {
    p.m_measured += l.m_source != "default" && l.m_source != "graph";
    p.m_graph += l.m_source == "graph";
    p.quant_measured += l.weights.quant_measured && l.activations.quant_measured;
    p.ratio_measured += l.weights.ratio_measured && l.activations.ratio_measured;
    p.weight_quant_measured += l.weights.quant_measured;
    p.weight_ratio_measured += l.weights.ratio_measured;
    p.slices_measured += l.weights.slices_measured && l.activations.slices_measured;
  }
  return p;
}

std::vector<std::string> ProvenanceLines(const Provenance& p) {
  auto frac = [&](size_t n) { return fmt::format("{}/{} layers", n, p.layers); };
  std::vector<std::string> lines = {
      fmt::format("GEMM rows (batch/tokens/pixels): from activations for {}{}; the rest use --tokens {}",
                  frac(p.m_measured),
                  p.m_graph ? fmt::format(", from the graph's input shapes for {}", frac(p.m_graph)) : "",
                  p.default_rows),
      fmt::format("int8 sizes and zero fractions: measured for the weights of {} and both operands of {} "
                  "(weights symmetric per-channel int8, activations asymmetric uint8 min/max)",
                  frac(p.weight_quant_measured), frac(p.quant_measured)),
      p.ratio_measured == p.layers
          ? std::string("lossless ratio: measured (Atalanta, real coded size)")
          : fmt::format("lossless ratio: measured (Atalanta, real coded size) for the weights of {} and both "
                        "operands of {}; default 1.0 elsewhere",
                        frac(p.weight_ratio_measured), frac(p.ratio_measured)),
      p.slices_measured == p.layers
          ? std::string("HO slice/vector sparsity, slice-format bytes and Panacea's 4b multiplies: measured (the slices analysis, 4-lane vectors, both operands skipped)")
          : fmt::format("HO slice/vector sparsity and slice-format bytes (Sibia, Panacea): measured (Panacea slice analysis) for {}; default 0 and int8 bytes elsewhere (no activations recorded)",
                        frac(p.slices_measured)),
  };
  if (p.skipped)
    lines.push_back(fmt::format("{} depthwise convolution(s) left out (not GEMMs)", p.skipped));
  return lines;
}

std::string BudgetLine(const sim::ArchConfig& a) {
  if (a.multiplier_bits == 8)
    return fmt::format("{}: {} 8bx8b MACs = {} 4bx4b-equivalent multipliers", a.name, a.Multipliers(),
                       a.Multipliers4bEquivalent());
  return fmt::format("{}: {} 4bx4b multipliers", a.name, a.Multipliers());
}

nlohmann::ordered_json CostJson(const sim::LayerCost& c) {
  nlohmann::ordered_json j;
  j["cycles"] = c.cycles;
  j["compute_cycles"] = c.compute_cycles;
  j["memory_cycles"] = c.memory_cycles;
  j["dram_bytes"] = c.dram_bytes;
  j["dram_bytes_by_tensor"] = {{"weights", c.dram_wire.weights},
                                {"activations", c.dram_wire.activations},
                                {"outputs", c.dram_wire.outputs},
                                {"psums", c.dram_wire.psums}};
  j["sram_bytes"] = c.SramBytes();
  j["mults_4b"] = c.mults_4b;
  j["mults_8b"] = c.mults_8b;
  j["compensation_ops"] = c.compensation_ops;
  j["energy_pj"] = {{"dram", c.energy_pj.dram},
                    {"sram", c.energy_pj.sram},
                    {"compute", c.energy_pj.compute},
                    {"codec", c.energy_pj.codec},
                    {"total", c.energy_pj.Total()}};
  return j;
}

std::string Eng(double v) {
  if (v == 0) return "0";
  double a = std::abs(v);
  if (a >= 1e4 || a < 1e-2) return fmt::format("{:.3e}", v);
  return fmt::format("{:.4g}", v);
}

Status RunSimulate(const SimulateArgs& args) {
  // Architectures: the named built-ins, then any config files.
  std::vector<sim::ArchConfig> archs;
  std::vector<std::string> names = SplitComma(args.archs);
  // Without --arch: the dense and bit-slice designs; "all" adds the sparse
  // and precision-scalable ones.
  const bool all = names.size() == 1 && names[0] == "all";
  if (all || (names.empty() && args.configs.empty())) {
    names.clear();
    for (const std::string& name : sim::DefaultArchNames()) {
      TP_ASSIGN_OR_RETURN(sim::ArchConfig a, sim::DefaultArchConfig(name));
      if (all || (!sim::IsSparseKind(a.kind) && a.kind != sim::ArchKind::kPsma)) names.push_back(name);
    }
  }
  for (const std::string& name : names) {
    TP_ASSIGN_OR_RETURN(sim::ArchConfig a, sim::DefaultArchConfig(name));
    archs.push_back(std::move(a));
  }
  for (const std::string& path : args.configs) {
    TP_ASSIGN_OR_RETURN(sim::ArchConfig a, sim::ReadArchConfig(path));
    archs.push_back(std::move(a));
  }
  for (size_t i = 0; i < archs.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (archs[i].name == archs[j].name)
        return InvalidArgumentError("architecture '" + archs[i].name + "' is listed twice");
  if (args.atalanta)
    for (auto& a : archs) a.atalanta.enabled = true;
  TP_ASSIGN_OR_RETURN(auto bits, ParsePrecision(args.precision));
  if (!args.dvafs.empty()) {
    auto scheme = sim::DvafsSchemeFromName(args.dvafs);
    if (!scheme) return InvalidArgumentError("--dvafs '" + args.dvafs + "': expected off, das, dvas or dvafs");
    size_t applied = 0;
    for (auto& a : archs)
      if (a.kind == sim::ArchKind::kPsma && !a.dvafs.modes.empty()) a.dvafs.scheme = *scheme, ++applied;
    if (!applied)
      return InvalidArgumentError("--dvafs needs a psma architecture whose config lists dvafs.modes "
                                  "(voltages per precision: see docs/sparsity.md)");
  }

  sim::EnergyTable energy;
  if (auto builtin = sim::DefaultEnergyTable(args.energy_table); builtin.ok()) {
    energy = *builtin;
  } else {
    TP_ASSIGN_OR_RETURN(energy, sim::ReadEnergyTable(args.energy_table));
  }

  // GGUF Llama models: Llama checkpoint names and dequantized weights.
  TP_ASSIGN_OR_RETURN(Model read, ReadModel(args.model));
  TP_ASSIGN_OR_RETURN(GemmWeights gemm_weights, PrepareGemmWeights(std::move(read)));
  for (const std::string& note : gemm_weights.notes) fmt::print(stderr, "note: {}\n", note);
  const Model& model = gemm_weights.model;
  std::optional<Model> acts;
  if (!args.activations.empty()) {
    TP_ASSIGN_OR_RETURN(Model a, ReadModel(args.activations));
    acts = std::move(a);
  }
  // Atalanta codes every quantized operand for real: its ratio scales the
  // DRAM traffic of any architecture with the codec at its interface.
  sim::Measurers measurers;
  measurers.lossless_ratio = sim::LosslessRatioMeasurer();
  TP_ASSIGN_OR_RETURN(measurers.weight_granularity, ParseWeightGranularity(args.granularity));
  TP_ASSIGN_OR_RETURN(sim::Workload wl, sim::BuildWorkload(model, acts ? &*acts : nullptr, measurers, args.tokens));
  for (auto& l : wl.layers) l.weight_bits = bits.first, l.activation_bits = bits.second;
  // The sparse kinds read each weight matrix's non-zero pattern.
  bool any_sparse = false;
  for (const auto& a : archs) any_sparse = any_sparse || sim::IsSparseKind(a.kind);
  size_t patterns = 0;
  if (any_sparse) {
    TP_ASSIGN_OR_RETURN(patterns, sim::AttachWeightPatterns(model, &wl));
  }
  // The quantization error behind the sliced figures (7-bit SBR weights and
  // the ZPM+DBS activations Panacea runs), element-weighted over layers.
  double w_err = 0, w_sig = 0, x_err = 0, x_sig = 0;
  if (acts) {
    // Panacea's slice analysis of the real layers gives the HO sparsities:
    // the same call, options and numbers as `tensorpress slices`.
    SliceAnalysisOptions slice_options;
    slice_options.weight_granularity = measurers.weight_granularity;
    TP_ASSIGN_OR_RETURN(std::vector<LayerSliceReport> reports, AnalyzeSlices(model, *acts, slice_options));
    sim::AttachSliceAnalysis(reports, &wl);
    for (const LayerSliceReport& r : reports) {
      const double we = double(r.m) * r.k, xe = double(r.k) * r.n * r.groups;  // im2col values of every group
      w_err += we * r.weight_error.rmse * r.weight_error.rmse, w_sig += we * r.weight_error.signal_power;
      x_err += xe * r.zpm_dbs.quant_mse, x_sig += xe * r.zpm_dbs.error.signal_power;
    }
  }
  const QuantError weight_error = QuantErrorFromMse(w_sig > 0 ? w_err / w_sig : 0, 1.0);
  const QuantError act_error = QuantErrorFromMse(x_sig > 0 ? x_err / x_sig : 0, 1.0);

  std::vector<sim::ModelCost> costs;
  for (const auto& a : archs) {
    TP_ASSIGN_OR_RETURN(sim::ModelCost c, sim::SimulateWorkload(wl, a, energy));
    costs.push_back(std::move(c));
  }
  const Provenance prov = ProvenanceOf(wl, args.tokens);
  std::vector<std::string> statistics = ProvenanceLines(prov);
  statistics.push_back(fmt::format("operand precision {}x{} (weights x activations): the psma kinds run the mode "
                                   "that covers it, every other kind runs 8-bit",
                                   bits.first, bits.second));
  if (any_sparse)
    statistics.push_back(fmt::format("weight non-zero patterns (envision/eie/scnn/sta): measured from the model's "
                                     "tensors for {}/{} layers",
                                     patterns, wl.layers.size()));
  bool equal_budget = true;
  for (const auto& a : archs) equal_budget = equal_budget && a.Multipliers4bEquivalent() == archs[0].Multipliers4bEquivalent();
  const sim::ModelCost& first = costs[0];

  if (args.json) {
    nlohmann::ordered_json j;
    j["model"] = args.model;
    j["activations"] = args.activations;
    j["energy_table"] = energy.name;
    j["statistics"] = statistics;
    j["granularity"] = args.granularity;
    if (acts)
      j["quantization_error"] = {{"weights_7bit_sbr_sqnr_db", weight_error.sqnr_db},
                                 {"activations_zpm_dbs_sqnr_db", act_error.sqnr_db}};
    j["architectures"] = nlohmann::ordered_json::array();
    for (const auto& a : archs)
      j["architectures"].push_back({{"name", a.name},
                                    {"kind", std::string(sim::ArchKindName(a.kind))},
                                    {"dataflow", std::string(sim::DataflowName(a.dataflow))},
                                    {"multipliers", a.Multipliers()},
                                    {"multiplier_bits", a.multiplier_bits},
                                    {"multipliers_4b_equivalent", a.Multipliers4bEquivalent()},
                                    {"clock_mhz", a.clock_mhz},
                                    {"atalanta", a.atalanta.enabled},
                                    {"slice_setting", !sim::IsBitSliceKind(a.kind)
                                                          ? std::string()
                                                          : std::string(sim::SliceSettingName(a.EffectiveSliceSetting()))}});
    for (size_t a = 0; a < archs.size(); ++a)
      if (sim::IsSparseKind(archs[a].kind)) {
        const sim::SparseDesignConfig& sp = archs[a].sparse;
        j["architectures"][a]["sparse"] = {{"reuse", sp.reuse},
                                           {"scnn_efficiency", sp.scnn_efficiency},
                                           {"scnn_index_bytes", sp.scnn_index_bytes},
                                           {"eie_index_bytes", sp.eie_index_bytes},
                                           {"sta_n", sp.sta_n},
                                           {"sta_m", sp.sta_m}};
      }
    for (size_t a = 0; a < archs.size(); ++a)
      if (archs[a].kind == sim::ArchKind::kPsma) {
        const sim::ArchConfig& arch = archs[a];
        auto point = sim::PsmaOperatingPoint(arch, bits.first, bits.second);
        if (!point.ok()) return point.status();
        j["architectures"][a]["psma"] = {{"style", std::string(sim::PsmaStyleName(arch.psma.style))},
                                         {"area", arch.psma.area},
                                         {"mode", fmt::format("{}x{}", point->mode.hi_bits, point->mode.lo_bits)},
                                         {"throughput", point->throughput},
                                         {"energy", point->energy},
                                         {"dvafs", std::string(sim::DvafsSchemeName(arch.dvafs.scheme))},
                                         {"dvafs_bits", point->dvafs_bits}};
      }
    j["precision"] = {{"weights", bits.first}, {"activations", bits.second}};
    j["equal_multiplier_budget"] = equal_budget;
    j["layers"] = nlohmann::ordered_json::array();
    for (size_t i = 0; i < wl.layers.size(); ++i) {
      const auto& l = wl.layers[i];
      nlohmann::ordered_json row;
      row["layer"] = l.name;
      row["m"] = l.m;
      row["k"] = l.k;
      row["n"] = l.n;
      row["m_source"] = l.m_source;
      row["weight_zero_fraction"] = l.weights.zero_fraction;
      row["activation_zero_fraction"] = l.activations.zero_fraction;
      if (l.weight_nonzero) {
        uint64_t nz = 0;
        for (uint8_t b : *l.weight_nonzero) nz += b;
        row["weight_sparsity"] = l.weight_nonzero->empty() ? 0.0 : 1.0 - double(nz) / double(l.weight_nonzero->size());
      }
      nlohmann::ordered_json results;
      for (size_t a = 0; a < archs.size(); ++a) results[archs[a].name] = CostJson(costs[a].layers[i]);
      row["results"] = std::move(results);
      j["layers"].push_back(std::move(row));
    }
    nlohmann::ordered_json total;
    for (size_t a = 0; a < archs.size(); ++a) {
      nlohmann::ordered_json t = CostJson(costs[a].total);
      t["dense_ops"] = costs[a].total.dense_ops;
      t["tops_per_watt"] = costs[a].TopsPerWatt();
      t["throughput_ops_per_cycle"] = costs[a].OpsPerCycle();
      t["tops"] = costs[a].OpsPerCycle() * archs[a].clock_mhz * 1e6 / 1e12;
      t["ratio_to_first"] = {{"speedup", costs[a].total.cycles > 0 ? first.total.cycles / costs[a].total.cycles : 0},
                             {"energy", first.total.energy_pj.Total() > 0
                                            ? costs[a].total.energy_pj.Total() / first.total.energy_pj.Total()
                                            : 0},
                             {"energy_efficiency", first.TopsPerWatt() > 0 ? costs[a].TopsPerWatt() / first.TopsPerWatt() : 0}};
      total[archs[a].name] = std::move(t);
    }
    j["total"] = std::move(total);
    fmt::print("{}\n", j.dump(2));
    return Status::Ok();
  }

  fmt::print("{}: {} GEMM layers; energy table {} ({})\n", args.model, wl.layers.size(), energy.name, energy.process);
  for (const auto& line : statistics) fmt::print("  {}\n", line);
  fmt::print("  weights scaled per {}\n", args.granularity);
  if (acts)
    fmt::print("  quantization error behind the slice figures: weights (7-bit SBR) SQNR {:.1f} dB, activations "
               "(ZPM+DBS) SQNR {:.1f} dB\n",
               weight_error.sqnr_db, act_error.sqnr_db);
  fmt::print("multiplier budget ({}; an 8bx8b MAC counts as four 4bx4b multipliers):\n",
             equal_budget ? "equal for all architectures" : "NOT equal: ratios below mix budgets");
  for (const auto& a : archs) {
    fmt::print("  {}{}\n", BudgetLine(a), a.atalanta.enabled ? ", Atalanta codec at the DRAM interface" : "");
    if (a.kind != sim::ArchKind::kPsma) continue;
    TP_ASSIGN_OR_RETURN(sim::PsmaPoint p, sim::PsmaOperatingPoint(a, bits.first, bits.second));
    fmt::print("    {} at {}x{}: mode {}x{}, {:g} MACs per cycle per 8x8 MAC, {:.4g} x the reference MAC's energy{}; "
               "area {:g}\n",
               sim::PsmaStyleName(a.psma.style), bits.first, bits.second, p.mode.hi_bits, p.mode.lo_bits, p.throughput,
               p.energy, p.dvafs ? fmt::format(" ({} mode {} bits)", sim::DvafsSchemeName(a.dvafs.scheme), p.dvafs_bits) : "",
               a.psma.area);
  }

  size_t name_w = 5;
  for (const auto& l : wl.layers) name_w = std::max(name_w, l.name.size());
  name_w = std::min<size_t>(name_w, 40);
  fmt::print("\nper layer: cycles / energy (nJ)\n{:<{}} {:>8} {:>6} {:>6}", "layer", name_w, "M", "K", "N");
  for (const auto& a : archs) fmt::print("  {:>21}", a.name);
  fmt::print("\n");
  for (size_t i = 0; i < wl.layers.size(); ++i) {
    const auto& l = wl.layers[i];
    std::string name = l.name.size() > name_w ? l.name.substr(0, name_w - 1) + "~" : l.name;
    fmt::print("{:<{}} {:>8} {:>6} {:>6}", name, name_w, l.m, l.k, l.n);
    for (size_t a = 0; a < archs.size(); ++a) {
      const auto& c = costs[a].layers[i];
      fmt::print("  {:>10} / {:>8}", Eng(c.cycles), Eng(c.energy_pj.Total() / 1e3));
    }
    fmt::print("\n");
  }

  fmt::print("\ntotal\n{:<10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>9} {:>9} {:>9} {:>9} {:>9} {:>10} {:>8} {:>8} {:>8} {:>8}\n",
             "arch", "mults_8b", "mults_4b", "comp_ops", "DRAM B", "SRAM B", "E_dram", "E_sram", "E_comp", "E_codec",
             "E_tot uJ", "cycles", "ops/cyc", "TOPS/W", "speedup", "eff");
  for (size_t a = 0; a < archs.size(); ++a) {
    const auto& c = costs[a];
    const auto& t = c.total;
    const double uj = 1e-6;
    fmt::print("{:<10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>9} {:>9} {:>9} {:>9} {:>9} {:>10} {:>8.1f} {:>8.3f} {:>7.2f}x {:>7.2f}x\n",
               archs[a].name, Eng(t.mults_8b), Eng(t.mults_4b), Eng(t.compensation_ops), Eng(t.dram_bytes),
               Eng(t.SramBytes()), Eng(t.energy_pj.dram * uj), Eng(t.energy_pj.sram * uj),
               Eng(t.energy_pj.compute * uj), Eng(t.energy_pj.codec * uj), Eng(t.energy_pj.Total() * uj),
               Eng(t.cycles), c.OpsPerCycle(), c.TopsPerWatt(), t.cycles > 0 ? first.total.cycles / t.cycles : 0,
               first.TopsPerWatt() > 0 ? c.TopsPerWatt() / first.TopsPerWatt() : 0);
  }
  fmt::print("speedup and eff (energy efficiency, TOPS/W) are relative to {}; ops are dense 2*M*K*N; "
             "energies in uJ\n", archs[0].name);
  return Status::Ok();
}

}  // namespace

void AddSimulateCommand(CLI::App& root, std::vector<Command>& commands) {
  auto args = std::make_shared<SimulateArgs>();
  CLI::App* app = root.add_subcommand("simulate", "Energy and cycles of a model's GEMMs on accelerator models");
  app->add_option("model", args->model, "Model file")->required();
  app->add_option("--activations", args->activations,
                  "Recorded layer inputs (<layer>.input tensors): batch/tokens and activation statistics");
  app->add_option("--tokens", args->tokens,
                  "Rows (tokens, or output pixels) of layers whose input is not in --activations (default 1)")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 40));
  app->add_option("--arch", args->archs,
                  "Built-in architectures, comma-separated (sa-ws,sa-os,simd,sibia,panacea by default; the sparse "
                  "designs envision,eie,scnn,sta; the precision-scalable psma-subword,psma-bitfusion,psma-loom,psma-bitblade; "
                  "or all)");
  app->add_option("--precision", args->precision,
                  "Operand precision WxA (weights x activations, 1..8 bits each; default 8x8): the psma kinds run "
                  "their mode for it, the others 8-bit");
  app->add_option("--dvafs", args->dvafs,
                  "DVAFS scheme for psma configs that list dvafs.modes: off, das, dvas or dvafs (overrides the "
                  "config's dvafs.scheme)");
  app->add_option("--config", args->configs, "Architecture JSON file (repeatable; see data/arch/)");
  app->add_option("--energy-table", args->energy_table,
                  "Energy table: horowitz45nm (default), 28nm or a JSON file (see data/energy/)");
  app->add_option("--granularity", args->granularity,
                  "Weight scales: channel (one per output channel, default) or tensor (one per matrix)")
      ->check(CLI::IsMember({"channel", "tensor"}));
  app->add_flag("--atalanta", args->atalanta, "Put an Atalanta codec at every architecture's DRAM interface");
  app->add_flag("--json", args->json, "Print a JSON object instead of tables");
  commands.push_back({app, [args] { return RunSimulate(*args); }});
}

}  // namespace tp::cli
