// `tensorpress slices MODEL --activations ACTS`: Panacea's bit-slice sparsity
// per linear/convolution layer under asymmetric quantization, +ZPM,
// +ZPM+DBS and Sibia's symmetric setting (see docs/panacea.md).
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cli.h"
#include "tensorpress/gemm.h"
#include "tensorpress/gemm_weights.h"
#include "tensorpress/model.h"

namespace tp::cli {
namespace {

struct SlicesArgs {
  std::string model, activations;
  bool json = false;
  bool verify = false;
  int weight_bits = 7;
  std::string granularity = "channel";
  double zpm_clip = 1e-3;
  double dbs_target = 0.9;
  std::string calibration = "minmax";
  double percentile = 99.99;
};

nlohmann::ordered_json SettingJson(const SliceSetting& s, bool with_lo_bits) {
  const SliceGemmCounters& c = s.counters;
  nlohmann::ordered_json j;
  j["zero_point"] = s.zero_point;
  j["seed_zero_point"] = s.seed_zero_point;
  j["scale"] = s.scale;  // with zero_point and lo_bits: PanaceaActivationRoundTrip's arguments
  j["ho_slice_sparsity"] = c.activations.ho_slice_sparsity;
  j["ho_vector_sparsity"] = c.activations.ho_vector_sparsity;
  if (with_lo_bits) j["lo_bits"] = s.lo_bits;
  j["quant_mse"] = s.quant_mse;
  j["rmse"] = s.error.rmse;
  j["sqnr_db"] = s.error.sqnr_db;
  j["clipped_fraction"] = s.clipped_fraction;
  j["mac_reduction"] = c.mac_reduction();
  j["multiplies"] = c.multiplies;
  j["dense_multiplies"] = c.dense_multiplies;
  j["additions"] = c.additions;
  j["compensation_ops"] = c.compensation_ops;
  j["bytes"] = {{"dense", c.weights.dense_bytes() + c.activations.dense_bytes()},
                {"compressed", c.weights.compressed_bytes() + c.activations.compressed_bytes()}};
  return j;
}

Status RunSlices(const SlicesArgs& args) {
  // GGUF Llama models: Llama checkpoint names and dequantized weights.
  TP_ASSIGN_OR_RETURN(Model read, ReadModel(args.model));
  TP_ASSIGN_OR_RETURN(GemmWeights gemm_weights, PrepareGemmWeights(std::move(read)));
  for (const std::string& note : gemm_weights.notes) fmt::print(stderr, "note: {}\n", note);
  const Model& model = gemm_weights.model;
  TP_ASSIGN_OR_RETURN(Model acts, ReadModel(args.activations));
  SliceAnalysisOptions options;
  options.weight_bits = args.weight_bits;
  TP_ASSIGN_OR_RETURN(options.weight_granularity, ParseWeightGranularity(args.granularity));
  if (!(args.zpm_clip >= 0 && args.zpm_clip <= 1)) return InvalidArgumentError("--zpm-clip must be in [0, 1]");
  options.zpm.max_extra_clip_fraction = args.zpm_clip;
  options.dbs_target = args.dbs_target;
  options.verify = args.verify;
  options.calibration.method = args.calibration == "percentile" ? RangeMethod::kPercentile
                               : args.calibration == "mse"      ? RangeMethod::kMse
                                                                : RangeMethod::kMinMax;
  options.calibration.percentile = args.percentile;
  TP_ASSIGN_OR_RETURN(std::vector<LayerSliceReport> layers, AnalyzeSlices(model, acts, options));
  if (layers.empty()) return NotFoundError(args.activations + ": no activation matches a weight of " + args.model);
  if (args.json) {
    nlohmann::ordered_json j;
    j["weight_bits"] = args.weight_bits;
    j["granularity"] = args.granularity;
    j["zpm_max_extra_clip_fraction"] = args.zpm_clip;
    j["layers"] = nlohmann::ordered_json::array();
    for (const LayerSliceReport& r : layers) {
      nlohmann::ordered_json row;
      row["layer"] = r.layer;
      row["weight"] = r.weight;
      row["activation"] = r.activation;
      row["m"] = r.m;
      row["k"] = r.k;
      row["n"] = r.n;
      row["groups"] = r.groups;  // > 1: `groups` GEMMs of m / groups x k x n, counters summed
      row["weights"] = {{"ho_slice_sparsity", r.weights.ho_slice_sparsity},
                        {"ho_vector_sparsity", r.weights.ho_vector_sparsity},
                        {"rmse", r.weight_error.rmse},
                        {"sqnr_db", r.weight_error.sqnr_db}};
      row["activations"] = {{"asym", SettingJson(r.asym, false)},
                            {"zpm", SettingJson(r.zpm, false)},
                            {"zpm_dbs", SettingJson(r.zpm_dbs, true)},
                            {"sibia", SettingJson(r.sibia, false)}};
      // Panacea as a whole (ZPM + DBS) against the dense slice GEMM, and its
      // traffic against Sibia's uncompressed format.
      const SliceGemmCounters& c = r.zpm_dbs.counters;
      row["mac_reduction"] = c.mac_reduction();
      row["bytes"] = {{"dense", c.weights.dense_bytes() + c.activations.dense_bytes()},
                      {"compressed", c.weights.compressed_bytes() + c.activations.compressed_bytes()}};
      if (r.verified) row["verified_exact"] = true;
      j["layers"].push_back(std::move(row));
    }
    fmt::print("{}\n", j.dump(2));
    return Status::Ok();
  }
  fmt::print("{}: {} layers with activations from {}; weights {}-bit SBR per {}\n", args.model, layers.size(),
             args.activations, args.weight_bits, args.granularity);
  fmt::print("HO slice/vector sparsity (%) [SQNR dB vs float]; z = zero point (ZPM: chosen by measured sparsity), "
             "b = LO bits; MACs saved vs dense slices (ZPM+DBS); /g = g grouped GEMMs of m/g rows\n");
  fmt::print("{:<30} {:>14} {:>16} {:>20} {:>22} {:>24} {:>18} {:>7} {:>9} {}\n", "layer", "m x k x n", "W",
             "asym(z)", "zpm(z')", "zpm+dbs(z',b)", "sibia", "MACs", "bytes", "vs dense");
  uint64_t dense_bytes = 0, compressed_bytes = 0, mults = 0, dense_mults = 0;
  for (const LayerSliceReport& r : layers) {
    auto pct = [](double v) { return fmt::format("{:.1f}", 100 * v); };
    auto db = [](const QuantError& e) { return fmt::format("[{:.1f}]", e.sqnr_db); };
    auto act = [&](const SliceSetting& s) {
      return pct(s.counters.activations.ho_slice_sparsity) + "/" + pct(s.counters.activations.ho_vector_sparsity) +
             db(s.error);
    };
    const SliceGemmCounters& c = r.zpm_dbs.counters;
    const uint64_t dbytes = c.weights.dense_bytes() + c.activations.dense_bytes();
    const uint64_t cb = c.weights.compressed_bytes() + c.activations.compressed_bytes();
    dense_bytes += dbytes, compressed_bytes += cb, mults += c.multiplies, dense_mults += c.dense_multiplies;
    fmt::print("{:<30} {:>14} {:>16} {:>20} {:>22} {:>24} {:>18} {:>6.1f}% {:>9} {:+.1f}%\n", r.layer,
               fmt::format("{}x{}x{}", r.m, r.k, r.n) + (r.groups > 1 ? fmt::format("/{}", r.groups) : ""),
               pct(r.weights.ho_slice_sparsity) + "/" + pct(r.weights.ho_vector_sparsity) + db(r.weight_error),
               act(r.asym) + fmt::format("({})", r.asym.zero_point), act(r.zpm) + fmt::format("({})", r.zpm.zero_point),
               act(r.zpm_dbs) + fmt::format("({},{})", r.zpm_dbs.zero_point, r.zpm_dbs.lo_bits), act(r.sibia),
               100 * c.mac_reduction(), HumanBytes(cb), dbytes ? 100.0 * (double(cb) / double(dbytes) - 1.0) : 0.0);
  }
  fmt::print("total (zpm+dbs): {:.1f}% fewer 4b multiplies than dense; {} moved instead of {} (-{:.1f}%){}\n",
             dense_mults ? 100.0 * (1.0 - double(mults) / double(dense_mults)) : 0.0, HumanBytes(compressed_bytes),
             HumanBytes(dense_bytes), dense_bytes ? 100.0 * (1.0 - double(compressed_bytes) / double(dense_bytes)) : 0.0,
             args.verify ? "; every slice GEMM equalled the dense reference" : "");
  return Status::Ok();
}

}  // namespace

void AddSlicesCommand(CLI::App& root, std::vector<Command>& commands) {
  auto args = std::make_shared<SlicesArgs>();
  CLI::App* app = root.add_subcommand("slices", "Panacea/Sibia bit-slice sparsity of every layer with activations");
  app->add_option("model", args->model, "Model file with the weights")->required();
  app->add_option("--activations", args->activations, "safetensors file of layer inputs named <layer>.input")
      ->required();
  app->add_flag("--json", args->json, "Print a JSON object instead of a table");
  app->add_flag("--verify", args->verify, "Also run every slice GEMM and check it against the dense reference");
  app->add_option("--weight-bits", args->weight_bits, "SBR weight width: 4, 7 or 10 (default 7)");
  app->add_option("--granularity", args->granularity,
                  "Weight scales: channel (one per output row, default) or tensor (one per matrix)")
      ->check(CLI::IsMember({"channel", "tensor"}));
  app->add_option("--zpm-clip", args->zpm_clip,
                  "ZPM may clip at most this extra fraction of activation values (default 0.001)");
  app->add_option("--dbs-target", args->dbs_target, "DBS target HO slice sparsity (default 0.9)");
  app->add_option("--calibration", args->calibration, "Activation range: minmax (default), percentile or mse")
      ->check(CLI::IsMember({"minmax", "percentile", "mse"}));
  app->add_option("--percentile", args->percentile, "Percentile for --calibration percentile (default 99.99)");
  commands.push_back({app, [args] { return RunSlices(*args); }});
}

}  // namespace tp::cli
