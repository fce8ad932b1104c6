// `tensorpress prune MODEL -o OUT`: magnitude pruning of every weight matrix
// (unstructured, N:M along the reduction dimension, blocks, rows, columns),
// the error it costs per layer, the sparse formats' sizes against the
// entropy limit, and the MNIST CNN's accuracy before and after.
#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "tensorpress/astc.h"
#include "tensorpress/buffer.h"
#include "tensorpress/fp8.h"
#include "tensorpress/model.h"
#include "tensorpress/sim.h"
#include "tensorpress/sparse.h"
#include "tensorpress/sparse_sim.h"

namespace tp::cli {
namespace {

struct PruneArgs {
  std::string model, output;
  bool force = false, json = false, formats = false, accuracy = false;
  double sparsity = 0.5;
  std::string nm, block, granularity, layout = "auto";
  std::vector<std::string> globs, excludes;
  std::string digits = "../shared/data/datasets/mnist-10k";
  size_t images = 2000;
  bool simulate = false;
  std::string activations, energy = "horowitz45nm";
  std::string fp8;  // "", "e4m3" or "e5m2"
  uint64_t multipliers = 768;  // simulate's budget: 3072 4b x 4b = 768 8b x 8b
};

// Cycles and energy of every layer on each sparse architecture.
struct ArchTotals {
  double cycles = 0, ideal_cycles = 0, balanced_cycles = 0, energy_pj = 0, mults = 0;
};

StatusOr<std::vector<ArchTotals>> SimulateSparseArchs(const PruneArgs& args, const Model& model,
                                                      const std::vector<Tensor>& tensors, const Model* acts) {
  Model m = model;
  m.tensors = tensors;
  TP_ASSIGN_OR_RETURN(sim::Workload wl, sim::BuildWorkload(m, acts, {}, 1));
  TP_ASSIGN_OR_RETURN(sim::EnergyTable energy, sim::DefaultEnergyTable(args.energy));
  sim::SparseArchConfig config;
  config.multipliers = args.multipliers;
  std::vector<ArchTotals> totals(std::size(sim::kAllSparseArchs));
  // Each layer's non-zero pattern as `simulate` reads it (by name, else from
  // the graph's weight matrix: TFLite depthwise kernels under fused names).
  TP_RETURN_IF_ERROR(sim::AttachWeightPatterns(m, &wl).status());
  for (const sim::GemmLayer& layer : wl.layers) {
    if (!layer.weight_nonzero) return InternalError("no weight tensor for layer " + layer.name);
    sim::SparseLayerStats s = sim::MeasureSparsePattern(*layer.weight_nonzero, layer.n, layer.k, config.multipliers,
                                                        config.sta_n, config.sta_m);
    s.name = layer.name;
    s.m = layer.m;
    s.activation_density = 1.0 - layer.activations.zero_fraction;
    for (size_t a = 0; a < totals.size(); ++a) {
      TP_ASSIGN_OR_RETURN(sim::SparseLayerCost c, sim::SimulateSparseLayer(s, sim::kAllSparseArchs[a], config, energy));
      totals[a].cycles += c.cycles, totals[a].ideal_cycles += c.ideal_cycles;
      totals[a].balanced_cycles += c.balanced_cycles;
      totals[a].energy_pj += c.energy_pj, totals[a].mults += c.mults;
    }
  }
  return totals;
}

StatusOr<sparse::PruneOptions> OptionsFrom(const PruneArgs& args) {
  sparse::PruneOptions o;
  o.sparsity = args.sparsity;
  std::string g = args.granularity;
  if (g.empty()) g = !args.nm.empty() ? "nm" : !args.block.empty() ? "block" : "element";
  if (g == "element") o.granularity = sparse::Granularity::kElement;
  else if (g == "nm") o.granularity = sparse::Granularity::kNM;
  else if (g == "block") o.granularity = sparse::Granularity::kBlock;
  else if (g == "row") o.granularity = sparse::Granularity::kRow;
  else if (g == "column") o.granularity = sparse::Granularity::kColumn;
  else return InvalidArgumentError("--granularity must be element, nm, block, row or column");
  auto pair = [](const std::string& s, char sep, int* a, int* b) {
    return std::sscanf(s.c_str(), sep == ':' ? "%d:%d" : "%dx%d", a, b) == 2;
  };
  if (o.granularity == sparse::Granularity::kNM && !pair(args.nm.empty() ? "2:4" : args.nm, ':', &o.n, &o.m))
    return InvalidArgumentError("--nm wants N:M, e.g. 2:4");
  if (o.granularity == sparse::Granularity::kBlock &&
      !pair(args.block.empty() ? "4x4" : args.block, 'x', &o.block_rows, &o.block_cols))
    return InvalidArgumentError("--block wants RxC, e.g. 4x4");
  TP_RETURN_IF_ERROR(sparse::ValidatePruneOptions(o));
  return o;
}

bool Selected(const PruneArgs& args, const std::string& name) {
  bool in = args.globs.empty();
  for (const auto& g : args.globs) in = in || GlobMatch(g, name);
  for (const auto& g : args.excludes)
    if (GlobMatch(g, name)) return false;
  return in;
}

bool EndsWith(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// Writes the pruned model. A named container (.safetensors, .npz, .gguf)
// different from the input's format is written anew; otherwise the input
// file is copied with only the pruned tensors' bytes replaced, so every
// format whose tensors lie raw in the file (llama2.c, safetensors, GGUF,
// TFLite, ONNX raw data) keeps its exact layout and metadata.
Status WriteOutput(const PruneArgs& args, const Model& model, std::span<const uint8_t> file,
                   const std::vector<Tensor>& original, const std::vector<Tensor>& pruned) {
  WriteOptions wo;
  wo.overwrite = args.force;
  const bool st = EndsWith(args.output, ".safetensors"), npz = EndsWith(args.output, ".npz"),
             gguf = EndsWith(args.output, ".gguf");
  if ((st && model.format != ModelFormat::kSafetensors) || (npz && model.format != ModelFormat::kNpz) ||
      (gguf && model.format != ModelFormat::kGguf)) {
    if (st) return WriteSafetensors(args.output, pruned, model.metadata, wo);
    if (npz) return WriteNpz(args.output, pruned, wo);
    return WriteGguf(args.output, pruned, model.metadata, wo);
  }
  std::vector<uint8_t> out(file.begin(), file.end());
  for (size_t i = 0; i < original.size(); ++i) {
    const uint8_t* p = original[i].bytes().data();
    if (original[i].nbytes() == 0) continue;
    if (p < file.data() || p + original[i].nbytes() > file.data() + file.size())
      return UnsupportedError(original[i].name() + " is not stored raw in " + args.model +
                              "; write a .safetensors, .npz or .gguf instead");
    std::memcpy(out.data() + (p - file.data()), pruned[i].bytes().data(), pruned[i].nbytes());
  }
  TP_ASSIGN_OR_RETURN(auto f, AtomicFile::Create(args.output, wo));
  TP_RETURN_IF_ERROR(f->Write(out));
  return f->Commit();
}

std::string Db(double v) { return std::isinf(v) ? "inf" : fmt::format("{:.1f}", v); }

Status RunPrune(const PruneArgs& args) {
  TP_ASSIGN_OR_RETURN(sparse::PruneOptions options, OptionsFrom(args));
  if (args.layout != "auto" && args.layout != "output-first" && args.layout != "output-last")
    return InvalidArgumentError("--layout must be auto, output-first or output-last");
  if (!args.output.empty() && !args.force && std::filesystem::exists(args.output))
    return AlreadyExistsError(args.output + " exists (use --force to replace it)");
  TP_ASSIGN_OR_RETURN(std::shared_ptr<MappedFile> file, MappedFile::Open(args.model));
  TP_ASSIGN_OR_RETURN(Model model, ReadModelFromBuffer(file, args.model));

  std::vector<Tensor> pruned = model.tensors;
  std::vector<sparse::PruneReport> reports;
  std::vector<sparse::FormatSizes> sizes;
  std::vector<Fp8Error> fp8;
  if (!args.fp8.empty() && args.fp8 != "e4m3" && args.fp8 != "e5m2")
    return InvalidArgumentError("--fp8 must be e4m3 or e5m2");
  const Fp8Format fp8_format = args.fp8 == "e5m2" ? Fp8Format::kE5M2 : Fp8Format::kE4M3;
  for (size_t i = 0; i < model.tensors.size(); ++i) {
    const Tensor& t = model.tensors[i];
    const sparse::WeightLayout layout = args.layout == "auto"           ? sparse::GuessLayout(t.name())
                                        : args.layout == "output-first" ? sparse::WeightLayout::kOutputFirst
                                                                        : sparse::WeightLayout::kOutputLast;
    // Explicit --tensor globs choose among all float matrices; by default
    // only tensors named like GEMM/convolution weights are pruned.
    if (!Selected(args, t.name()) || !sparse::IsPrunable(t, layout) ||
        (args.globs.empty() && !sparse::LooksLikeWeight(t.name(), t.rank())))
      continue;
    TP_ASSIGN_OR_RETURN(sparse::PrunedTensor p, sparse::PruneTensor(t, layout, options));
    if (args.formats) {
      TP_ASSIGN_OR_RETURN(sparse::SparseMatrix mat, sparse::SparseMatrixOf(p.tensor, layout));
      TP_ASSIGN_OR_RETURN(sparse::FormatSizes s, sparse::MeasureFormats(mat));
      sizes.push_back(s);
    }
    if (!args.fp8.empty()) {
      TP_ASSIGN_OR_RETURN(Tensor f, ToF32(p.tensor));
      fp8.push_back(MeasureFp8Error(f.values<float>(), fp8_format));
    }
    pruned[i] = std::move(p.tensor);
    reports.push_back(std::move(p.report));
  }
  if (reports.empty()) return NotFoundError(args.model + ": no weight matrix selected for pruning");

  double acc_before = -1, acc_after = -1;
  size_t images = 0;
  if (args.accuracy) {
    TP_ASSIGN_OR_RETURN(astc::MnistDigits digits,
                        astc::ReadMnistDigits(args.digits + "/images-idx3-ubyte.gz",
                                              args.digits + "/labels-idx1-ubyte.gz", args.images));
    images = digits.labels.size();
    TP_ASSIGN_OR_RETURN(astc::MnistCnnWeights before, astc::MnistCnnWeightsFromModel(model));
    Model after_model = model;
    after_model.tensors = pruned;
    TP_ASSIGN_OR_RETURN(astc::MnistCnnWeights after, astc::MnistCnnWeightsFromModel(after_model));
    acc_before = astc::MnistCnnAccuracy(before, digits);
    acc_after = astc::MnistCnnAccuracy(after, digits);
  }
  std::vector<ArchTotals> sim_before, sim_after;
  if (args.simulate) {
    Model acts;
    if (!args.activations.empty()) {
      TP_ASSIGN_OR_RETURN(acts, ReadModel(args.activations));
    }
    const Model* ap = args.activations.empty() ? nullptr : &acts;
    TP_ASSIGN_OR_RETURN(sim_before, SimulateSparseArchs(args, model, model.tensors, ap));
    TP_ASSIGN_OR_RETURN(sim_after, SimulateSparseArchs(args, model, pruned, ap));
  }
  if (!args.output.empty()) TP_RETURN_IF_ERROR(WriteOutput(args, model, file->bytes(), model.tensors, pruned));

  uint64_t elements = 0, zeros = 0;
  double noise = 0;
  for (const auto& r : reports) elements += r.elements, zeros += r.zeros_after, noise += r.rmse * r.rmse * double(r.elements);
  const std::string how =
      options.granularity == sparse::Granularity::kNM      ? fmt::format("{}:{}", options.n, options.m)
      : options.granularity == sparse::Granularity::kBlock ? fmt::format("{}x{} blocks at {}", options.block_rows,
                                                                         options.block_cols, options.sparsity)
                                                           : fmt::format("{} at {}", sparse::GranularityName(
                                                                                         options.granularity),
                                                                         options.sparsity);
  if (args.json) {
    nlohmann::ordered_json j;
    j["model"] = args.model;
    j["pruning"] = how;
    j["layers"] = nlohmann::ordered_json::array();
    for (size_t i = 0; i < reports.size(); ++i) {
      const auto& r = reports[i];
      nlohmann::ordered_json row = {{"tensor", r.name},       {"shape", r.shape},
                                    {"elements", r.elements}, {"sparsity_before", double(r.zeros_before) / double(r.elements)},
                                    {"sparsity", r.sparsity()}, {"rmse", r.rmse}};
      row["snr_db"] = std::isinf(r.snr_db) ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(r.snr_db);
      if (args.formats) {
        const auto& s = sizes[i];
        row["bytes"] = {{"dense", s.dense},   {"values", s.value_bytes}, {"csr", s.csr},
                        {"csc", s.csc},       {"block4x4", s.block4x4},  {"nm24", s.nm24},
                        {"entropy_limit", s.limit_bytes()}};
      }
      if (!args.fp8.empty())
        row["fp8"] = {{"format", args.fp8},
                      {"scale", fp8[i].scale},
                      {"rmse", fp8[i].rmse},
                      {"snr_db", std::isinf(fp8[i].snr_db) ? nlohmann::ordered_json(nullptr)
                                                           : nlohmann::ordered_json(fp8[i].snr_db)},
                      {"flushed_to_zero", fp8[i].flushed_to_zero}};
      j["layers"].push_back(std::move(row));
    }
    j["sparsity"] = double(zeros) / double(elements);
    j["rmse"] = std::sqrt(noise / double(elements));
    if (args.accuracy) j["accuracy"] = {{"images", images}, {"before", acc_before}, {"after", acc_after}};
    if (args.simulate) {
      j["simulate"] = {{"multipliers", args.multipliers}, {"energy", args.energy}, {"architectures", nlohmann::ordered_json::array()}};
      for (size_t a = 0; a < sim_after.size(); ++a)
        j["simulate"]["architectures"].push_back(
            {{"name", sim::SparseArchName(sim::kAllSparseArchs[a])},
             {"dense_model", {{"cycles", sim_before[a].cycles}, {"ideal_cycles", sim_before[a].ideal_cycles},
                              {"balanced_cycles", sim_before[a].balanced_cycles},
                              {"energy_uj", sim_before[a].energy_pj * 1e-6}, {"mults", sim_before[a].mults}}},
             {"pruned_model", {{"cycles", sim_after[a].cycles}, {"ideal_cycles", sim_after[a].ideal_cycles},
                               {"balanced_cycles", sim_after[a].balanced_cycles},
                               {"energy_uj", sim_after[a].energy_pj * 1e-6}, {"mults", sim_after[a].mults}}}});
    }
    if (!args.output.empty()) j["output"] = args.output;
    fmt::print("{}\n", j.dump(2));
    return Status::Ok();
  }
  fmt::print("{}: {} weight matrices pruned ({})\n", args.model, reports.size(), how);
  fmt::print("{:<44} {:>16} {:>9} {:>9} {:>11} {:>8}", "tensor", "shape", "before", "after", "RMSE", "SNR dB");
  if (args.formats) fmt::print(" {:>10} {:>10} {:>10} {:>10} {:>10} {:>10}", "dense", "CSR", "CSC", "block4x4", "2:4", "limit");
  if (!args.fp8.empty()) fmt::print(" {:>11} {:>8}", "FP8 RMSE", "FP8 SNR");
  fmt::print("\n");
  for (size_t i = 0; i < reports.size(); ++i) {
    const auto& r = reports[i];
    fmt::print("{:<44} {:>16} {:>8.1f}% {:>8.1f}% {:>11.4g} {:>8}", r.name, ShapeToString(r.shape),
               100.0 * double(r.zeros_before) / double(r.elements), 100 * r.sparsity(), r.rmse, Db(r.snr_db));
    if (args.formats) {
      const auto& s = sizes[i];
      fmt::print(" {:>10} {:>10} {:>10} {:>10} {:>10} {:>10}", HumanBytes(s.dense), HumanBytes(s.csr), HumanBytes(s.csc),
                 HumanBytes(s.block4x4), s.nm24 ? HumanBytes(s.nm24) : "-", HumanBytes(uint64_t(s.limit_bytes())));
    }
    if (!args.fp8.empty()) fmt::print(" {:>11.4g} {:>8}", fp8[i].rmse, Db(fp8[i].snr_db));
    fmt::print("\n");
  }
  fmt::print("total: {:.2f}% of {} weights are zero; RMSE {:.4g}\n", 100.0 * double(zeros) / double(elements),
             HumanCount(elements), std::sqrt(noise / double(elements)));
  if (args.accuracy)
    fmt::print("MNIST CNN top-1 on {} digits: {:.2f}% before, {:.2f}% after\n", images, 100 * acc_before, 100 * acc_after);
  if (args.simulate) {
    fmt::print("cost model, {} multipliers each, {} energy table (original -> pruned):\n", args.multipliers, args.energy);
    fmt::print("{:<10} {:>14} {:>14} {:>12} {:>12}\n", "arch", "Mcycles", "", "energy uJ", "");
    for (size_t a = 0; a < sim_after.size(); ++a)
      fmt::print("{:<10} {:>14.4f} {:>14.4f} {:>12.3f} {:>12.3f}\n", sim::SparseArchName(sim::kAllSparseArchs[a]),
                 sim_before[a].cycles * 1e-6, sim_after[a].cycles * 1e-6, sim_before[a].energy_pj * 1e-6,
                 sim_after[a].energy_pj * 1e-6);
  }
  if (!args.output.empty()) fmt::print("wrote {}\n", args.output);
  return Status::Ok();
}

}  // namespace

void AddPruneCommand(CLI::App& root, std::vector<Command>& commands) {
  auto args = std::make_shared<PruneArgs>();
  CLI::App* app = root.add_subcommand(
      "prune", "Magnitude-prune every weight matrix (unstructured, N:M, blocks, rows, columns); report the error");
  app->add_option("model", args->model, "Model file (any format tensorpress reads)")->required();
  app->add_option("-o,--output", args->output,
                  "Output model: .safetensors/.npz/.gguf, or the input's format (only pruned bytes change); "
                  "omit to report only");
  app->add_flag("--force", args->force, "Replace an existing output file");
  app->add_option("--sparsity", args->sparsity, "Fraction of elements/blocks/rows/columns removed (default 0.5)");
  app->add_option("--nm", args->nm, "N:M pruning along the reduction dimension, e.g. 2:4");
  app->add_option("--block", args->block, "Block pruning with RxC tiles of the (output x reduction) matrix, e.g. 4x4");
  app->add_option("--granularity", args->granularity,
                  "element (default), nm, block, row (output channels) or column (reduction elements)");
  app->add_option("--layout", args->layout,
                  "Weight layout: auto (Keras 'kernel' names are [in, out], others [out, in]), output-first, "
                  "output-last");
  app->add_option("--tensor", args->globs,
                  "Prune only tensors matching this glob (repeatable; default: every tensor named like a "
                  "GEMM/convolution weight)");
  app->add_option("--exclude", args->excludes, "Leave tensors matching this glob dense (repeatable)");
  app->add_flag("--formats", args->formats, "Also give each pruned matrix's CSR/CSC/block/2:4 size vs the entropy limit");
  app->add_option("--fp8", args->fp8,
                  "Also give each pruned matrix's error stored as OCP FP8 (e4m3 or e5m2) with one per-tensor scale")
      ->check(CLI::IsMember({"e4m3", "e5m2"}));
  app->add_flag("--accuracy", args->accuracy, "MNIST CNN top-1 before and after (the shared CNN's tensor names)");
  app->add_option("--digits", args->digits, "Folder of the MNIST IDX files (default ../shared/data/datasets/mnist-10k)");
  app->add_option("--images", args->images, "Digits to evaluate (default 2000)");
  app->add_flag("--simulate", args->simulate,
                "Cycles and energy of the original and pruned model on dense, Envision, EIE, SCNN and STA (2:4) "
                "arrays with equal multipliers (include/tensorpress/sparse_sim.h)");
  app->add_option("--activations", args->activations,
                  "safetensors of layer inputs (<layer>.input) for --simulate: token counts and activation density");
  app->add_option("--multipliers", args->multipliers, "8-bit multipliers of every simulated design (default 768, the budget of `simulate`)");
  app->add_option("--energy", args->energy, "Energy table for --simulate: horowitz45nm (default) or 28nm");
  app->add_flag("--json", args->json, "Print a JSON object instead of a table");
  commands.push_back({app, [args] { return RunPrune(*args); }});
}

}  // namespace tp::cli
