// `tensorpress astc encode|decode|plan`: weight tensors as ASTC textures, and
// per-layer footprint selection.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <cstring>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "tensorpress/astc.h"
#include "tensorpress/model.h"

namespace tp::cli {
namespace {

struct EncodeArgs {
  std::string input, output, block = "6x6", tensor, affine = "tensor";
  bool rgba = false, no_normalize = false, force = false;
  int quality = 60, affine_tile = 1;
};

struct PlanArgs {
  std::string model;
  std::vector<std::string> globs;
  std::string blocks = "all";
  int quality = 20;
  double tolerance = -1, budget = -1, accuracy_floor = -1;
  std::string digits = "../shared/data/datasets/mnist-10k";
  size_t images = 10000;
  bool json = false;
};

struct DecodeArgs {
  std::string input, output, mode = "f16";
  bool force = false;
};

// Writes decoded texels as a [h, w, 4] .npy through the library's writer.
template <typename T>
Status WriteTexels(const std::string& path, DType dtype, const std::vector<int64_t>& shape,
                   const std::vector<T>& texels, bool force) {
  TP_ASSIGN_OR_RETURN(Tensor t, Tensor::FromValues<T>("texels", dtype, shape, texels));
  WriteOptions options;
  options.overwrite = force;
  return WriteNpy(path, t, options);
}

Status ParseBlock(const std::string& text, int* bx, int* by) {
  int x = 0, y = 0;
  char extra = 0;
  if (std::sscanf(text.c_str(), "%dx%d%c", &x, &y, &extra) != 2 || !astc::IsValidFootprint(x, y))
    return InvalidArgumentError("--block " + text +
                                ": expected an ASTC 2-D footprint (4x4 5x4 5x5 6x5 6x6 8x5 8x6 8x8 10x5 10x6 "
                                "10x8 10x10 12x10 12x12)");
  *bx = x;
  *by = y;
  return Status::Ok();
}

Status RunEncode(const EncodeArgs& args) {
  astc::TensorEncodeOptions options;
  TP_RETURN_IF_ERROR(ParseBlock(args.block, &options.encode.block_x, &options.encode.block_y));
  if (args.quality < 0 || args.quality > 100) return InvalidArgumentError("--quality must be 0..100");
  options.encode.quality = args.quality;
  options.rgba = args.rgba;
  options.normalize = !args.no_normalize;
  if (args.affine != "tensor" && args.affine != "block") return InvalidArgumentError("--affine must be tensor or block");
  if (args.affine_tile < 1 || args.affine_tile > 4096) return InvalidArgumentError("--affine-tile must be 1..4096");
  options.affine_tile = args.affine == "block" ? args.affine_tile : 0;
  TP_ASSIGN_OR_RETURN(Model model, ReadModel(args.input));
  const Tensor* tensor = nullptr;
  for (const Tensor& t : model.tensors)
    if (args.tensor.empty() ? model.tensors.size() == 1 : t.name() == args.tensor) tensor = &t;
  if (!tensor) {
    if (args.tensor.empty())
      return InvalidArgumentError(args.input + " holds " + std::to_string(model.tensors.size()) +
                                  " tensors; choose one with --tensor NAME");
    return NotFoundError(args.input + ": no tensor named '" + args.tensor + "'");
  }
  TP_ASSIGN_OR_RETURN(astc::AstcTensor encoded, astc::EncodeTensor(*tensor, options));
  WriteOptions write;
  write.overwrite = args.force;
  TP_RETURN_IF_ERROR(astc::WriteAstcFile(args.output, encoded.image, write));
  // The affine map back to weights lives beside the texture.
  nlohmann::ordered_json side;
  side["tensor"] = tensor->name();
  side["shape"] = encoded.shape;
  side["channels_per_texel"] = encoded.channels;
  side["scale"] = encoded.scale;
  side["offset"] = encoded.offset;
  if (encoded.affine_tile > 0) {
    // Per tile: weight = offset + scale * lo / 255 + scale * (hi - lo) / 255 * texel (astc.h, TileAffine).
    side["affine_tile"] = encoded.affine_tile;
    side["tiles"] = {encoded.tiles_x(), encoded.tiles_y()};
    std::string hex;
    for (uint8_t b : encoded.tile_ranges) hex += fmt::format("{:02x}", b);
    side["tile_ranges_hex"] = hex;
  }
  std::string text = side.dump(2) + "\n";
  TP_RETURN_IF_ERROR(WriteFileAtomically(args.output + ".json",
                                         {reinterpret_cast<const uint8_t*>(text.data()), text.size()}, write));

  TP_ASSIGN_OR_RETURN(Tensor f32, ToF32(*tensor));
  TP_ASSIGN_OR_RETURN(std::vector<float> decoded, astc::DecodeTensorValues(encoded));
  astc::ErrorStats err = astc::CompareValues(f32.values<float>(), decoded);
  // Bits per weight count the blocks (partial edge blocks included) and the affine map.
  const uint64_t stored = encoded.image.blocks.size() + encoded.map_bytes();
  double bits_per_weight = 8.0 * double(stored) / double(f32.elements());
  fmt::print("{}: '{}' {} -> {}x{} texels, {}x{} blocks, {:.3f} bits/weight with the map, {} bytes + 16-byte header "
             "({:.1f}x smaller than f32)\n",
             args.output, tensor->name(), ShapeToString(tensor->shape()), encoded.image.width,
             encoded.image.height, options.encode.block_x, options.encode.block_y, bits_per_weight, stored,
             double(f32.elements()) * 4 / double(stored + 16));
  if (encoded.affine_tile > 0)
    fmt::print("weight = base + span * texel per {}x{} blocks ({}x{} tiles) within [{}, {}]; ", encoded.affine_tile,
               encoded.affine_tile, encoded.tiles_x(), encoded.tiles_y(), encoded.offset,
               encoded.offset + encoded.scale);
  else
    fmt::print("weight = {} + {} * texel; ", encoded.offset, encoded.scale);
  fmt::print("RMSE {:.6g}, max error {:.6g}, SNR {:.2f} dB\n", err.rmse, err.max_abs, err.snr_db);
  return Status::Ok();
}

Status RunDecode(const DecodeArgs& args) {
  if (args.mode != "f16" && args.mode != "unorm8") return InvalidArgumentError("--mode must be f16 or unorm8");
  TP_ASSIGN_OR_RETURN(astc::AstcImage image, astc::ReadAstcFile(args.input));
  std::vector<int64_t> shape = {image.height, image.width, 4};
  if (args.mode == "f16") {
    TP_ASSIGN_OR_RETURN(std::vector<uint16_t> texels, astc::DecodeFloat16(image));
    TP_RETURN_IF_ERROR(WriteTexels<uint16_t>(args.output, DType::kF16, shape, texels, args.force));
  } else {
    TP_ASSIGN_OR_RETURN(std::vector<uint8_t> texels, astc::DecodeUnorm8(image));
    TP_RETURN_IF_ERROR(WriteTexels<uint8_t>(args.output, DType::kU8, shape, texels, args.force));
  }
  astc::BlockCensus census = astc::CountBlocks(image);
  fmt::print("{}: {}x{} texels, {}x{} blocks ({} void-extent, {} error) -> {} [{}, {}, 4] {}\n", args.input,
             image.width, image.height, image.block_x, image.block_y, census.void_extent, census.error,
             args.output, image.height, image.width, args.mode == "f16" ? "float16" : "uint8");
  return Status::Ok();
}


// The choice for --accuracy-floor: per-layer SNR floors are swept (a
// tolerance relative to each layer's scale) and the cheapest plan whose
// measured accuracy holds is kept. Accuracy rises with the floor, so a
// binary search over the distinct SNR values needs ~log2(candidates) runs
// of the forward pass; a per-layer refinement follows. Every plan reported
// was measured.
struct AccuracyOutcome {
  astc::RatePlan plan;
  double accuracy = 0, fp32_accuracy = 0;
  int evaluations = 0;
  size_t images = 0;
  bool met = false;
};

StatusOr<AccuracyOutcome> PlanForAccuracy(const Model& model, const PlanArgs& args,
                                          const std::vector<astc::LayerCandidates>& layers,
                                          const std::vector<std::vector<std::vector<float>>>& decoded) {
  TP_ASSIGN_OR_RETURN(astc::MnistCnnWeights fp32, astc::MnistCnnWeightsFromModel(model));
  TP_ASSIGN_OR_RETURN(astc::MnistDigits digits,
                      astc::ReadMnistDigits(args.digits + "/images-idx3-ubyte.gz",
                                            args.digits + "/labels-idx1-ubyte.gz", args.images));
  AccuracyOutcome out;
  out.images = digits.labels.size();
  out.fp32_accuracy = astc::MnistCnnAccuracy(fp32, digits);
  auto accuracy_of = [&](const astc::RatePlan& plan) -> StatusOr<double> {
    astc::MnistCnnWeights w = fp32;
    for (size_t l = 0; l < layers.size(); ++l)
      TP_RETURN_IF_ERROR(astc::SetMnistCnnTensor(w, layers[l].name, decoded[l][plan.choice[l]]));
    ++out.evaluations;
    return astc::MnistCnnAccuracy(w, digits);
  };
  std::vector<double> floors;
  for (const auto& layer : layers)
    for (const auto& c : layer.candidates) floors.push_back(c.error.snr_db);
  std::sort(floors.begin(), floors.end());
  floors.erase(std::unique(floors.begin(), floors.end()), floors.end());
  const double target = args.accuracy_floor / 100.0;
  // The most accurate plan first: if it fails, nothing will pass.
  Progress progress("accuracy", 1 + static_cast<uint64_t>(std::ceil(std::log2(double(floors.size()) + 1))));
  out.plan = astc::PlanForSnr(layers, floors.back());
  TP_ASSIGN_OR_RETURN(out.accuracy, accuracy_of(out.plan));
  progress.Update(static_cast<uint64_t>(out.evaluations));
  if (out.accuracy < target) return out;
  out.met = true;
  size_t lo = 0, hi = floors.size() - 1;  // floors[hi] is known to pass
  while (lo < hi) {
    const size_t mid = (lo + hi) / 2;
    astc::RatePlan plan = astc::PlanForSnr(layers, floors[mid]);
    TP_ASSIGN_OR_RETURN(double acc, accuracy_of(plan));
    progress.Update(static_cast<uint64_t>(out.evaluations));
    if (acc >= target) {
      hi = mid;
      if (plan.bits <= out.plan.bits) {
        out.plan = plan;
        out.accuracy = acc;
      }
    } else {
      lo = mid + 1;
    }
  }
  // One floor for every layer is coarse (layers differ in sensitivity), so
  // then each layer in turn steps down to its most accurate cheaper
  // footprint while the measured accuracy holds; a layer whose step fails
  // is left where it is, which bounds the runs by candidates + layers.
  std::vector<bool> frozen(layers.size(), false);
  uint64_t total_candidates = 0;
  for (const auto& layer : layers) total_candidates += layer.candidates.size();
  Progress refine("refine", total_candidates + layers.size());
  for (;;) {
    size_t layer = layers.size(), step = 0;
    uint64_t saved = 0;
    for (size_t l = 0; l < layers.size(); ++l) {
      if (frozen[l]) continue;
      const auto& cands = layers[l].candidates;
      const auto& now = cands[out.plan.choice[l]];
      size_t next = cands.size();
      for (size_t i = 0; i < cands.size(); ++i)
        if (cands[i].bytes < now.bytes &&
            (next == cands.size() || cands[i].squared_error() < cands[next].squared_error()))
          next = i;
      if (next == cands.size()) {
        frozen[l] = true;
        continue;
      }
      if (now.bytes - cands[next].bytes > saved) {
        saved = now.bytes - cands[next].bytes;
        layer = l;
        step = next;
      }
    }
    if (layer == layers.size()) break;
    std::vector<size_t> choice = out.plan.choice;
    choice[layer] = step;
    astc::RatePlan plan = astc::EvaluatePlan(layers, std::move(choice));
    TP_ASSIGN_OR_RETURN(double acc, accuracy_of(plan));
    refine.Update(static_cast<uint64_t>(out.evaluations));
    if (acc >= target) {
      out.plan = plan;
      out.accuracy = acc;
    } else {
      frozen[layer] = true;
    }
  }
  return out;
}

Status RunPlan(const PlanArgs& args) {
  const int modes = (args.tolerance >= 0) + (args.budget >= 0) + (args.accuracy_floor >= 0);
  if (modes > 1) return InvalidArgumentError("give at most one of --tolerance, --budget, --accuracy-floor");
  if (args.quality < 0 || args.quality > 100) return InvalidArgumentError("--quality must be 0..100");
  if (args.accuracy_floor > 100) return InvalidArgumentError("--accuracy-floor is a percentage, 0..100");
  TP_ASSIGN_OR_RETURN(std::vector<astc::Footprint> footprints, astc::ParseFootprints(args.blocks));
  TP_ASSIGN_OR_RETURN(Model model, ReadModel(args.model));
  std::vector<const Tensor*> selected;
  for (const Tensor& t : model.tensors) {
    bool keep = args.globs.empty();
    for (const auto& g : args.globs) keep = keep || GlobMatch(g, t.name());
    if (keep && astc::IsWeightMatrix(t)) selected.push_back(&t);
  }
  if (selected.empty()) return NotFoundError(args.model + ": no float weight tensor of rank >= 2 selected");

  const bool keep_decoded = args.accuracy_floor >= 0;
  std::vector<astc::LayerCandidates> layers(selected.size());
  std::vector<std::vector<std::vector<float>>> decoded(selected.size());
  Progress progress("encode", selected.size() * footprints.size());
  uint64_t done = 0;
  for (size_t l = 0; l < selected.size(); ++l) {
    layers[l].name = selected[l]->name();
    layers[l].weights = selected[l]->elements();
    for (const astc::Footprint& f : footprints) {
      std::vector<float> values;
      TP_ASSIGN_OR_RETURN(astc::FootprintResult r,
                          astc::MeasureFootprint(*selected[l], f, args.quality, 0, keep_decoded ? &values : nullptr));
      layers[l].candidates.push_back(r);
      if (keep_decoded) decoded[l].push_back(std::move(values));
      progress.Update(++done);
    }
  }

  std::string mode = "none";
  std::optional<astc::RatePlan> plan;
  std::optional<AccuracyOutcome> accuracy;
  if (args.tolerance >= 0) {
    mode = "tolerance";
    plan = astc::PlanForTolerance(layers, args.tolerance);
  } else if (args.budget >= 0) {
    mode = "budget";
    TP_ASSIGN_OR_RETURN(plan, astc::PlanForBudget(layers, static_cast<uint64_t>(args.budget)));
  } else if (args.accuracy_floor >= 0) {
    mode = "accuracy_floor";
    TP_ASSIGN_OR_RETURN(accuracy, PlanForAccuracy(model, args, layers, decoded));
    plan = accuracy->plan;
  }
  uint64_t total_weights = 0;
  for (const auto& l : layers) total_weights += l.weights;

  if (args.json) {
    nlohmann::ordered_json j;
    j["model"] = args.model;
    j["quality"] = args.quality;
    j["layers"] = nlohmann::ordered_json::array();
    for (size_t l = 0; l < layers.size(); ++l) {
      nlohmann::ordered_json row;
      row["name"] = layers[l].name;
      row["shape"] = selected[l]->shape();
      row["weights"] = layers[l].weights;
      nlohmann::ordered_json fps = nlohmann::ordered_json::object();
      for (const auto& c : layers[l].candidates)
        fps[c.footprint.Name()] = {{"bits_per_weight", c.bits_per_weight}, {"ratio", c.ratio},
                                   {"rmse", c.error.rmse},         {"max_error", c.error.max_abs},
                                   {"snr_db", c.error.snr_db}};
      row["astc"] = std::move(fps);
      if (plan) {
        row["choice"] = layers[l].candidates[plan->choice[l]].footprint.Name();
        row["met"] = bool(plan->met[l]);
      }
      j["layers"].push_back(std::move(row));
    }
    nlohmann::ordered_json p;
    p["mode"] = mode;
    if (args.tolerance >= 0) p["tolerance"] = args.tolerance;
    if (args.budget >= 0) p["budget_bits"] = args.budget;
    if (plan) {
      p["bits"] = plan->bits;
      p["bits_per_weight"] = double(plan->bits) / double(total_weights);
      p["ratio"] = 32.0 * double(total_weights) / double(plan->bits);
      p["rmse"] = plan->rmse;
    }
    if (accuracy) {
      p["accuracy_floor"] = args.accuracy_floor;
      p["met"] = accuracy->met;
      p["accuracy"] = 100 * accuracy->accuracy;
      p["fp32_accuracy"] = 100 * accuracy->fp32_accuracy;
      p["images"] = accuracy->images;
      p["evaluations"] = accuracy->evaluations;
    }
    j["plan"] = std::move(p);
    fmt::print("{}\n", j.dump(2));
    return Status::Ok();
  }

  size_t name_w = 5;
  for (const auto& l : layers) name_w = std::min<size_t>(40, std::max(name_w, l.name.size()));
  fmt::print("{}: Pareto table, one weight per texel, quality {} (bits include partial edge blocks and the "
             "8-byte affine map; errors in the weight domain; * = Pareto-optimal within "
             "the layer{})\n",
             args.model, args.quality, plan ? "; < = chosen" : "");
  fmt::print("{:<{}} {:>7} {:>9} {:>8} {:>11} {:>11} {:>8}\n", "layer", name_w, "block", "bits/w", "ratio", "RMSE",
             "max error", "SNR dB");
  for (size_t l = 0; l < layers.size(); ++l) {
    const auto& cands = layers[l].candidates;
    std::string shown = layers[l].name.size() > name_w ? "…" + layers[l].name.substr(layers[l].name.size() - name_w + 1)
                                                       : layers[l].name;
    for (size_t i = 0; i < cands.size(); ++i) {
      const auto& c = cands[i];
      // Pareto-optimal: no other footprint is as cheap and as accurate, and strictly better in one.
      bool pareto = true;
      for (const auto& o : cands)
        if (&o != &c && o.bytes <= c.bytes && o.squared_error() <= c.squared_error() &&
            (o.bytes < c.bytes || o.squared_error() < c.squared_error()))
          pareto = false;
      const bool chosen = plan && plan->choice[l] == i;
      fmt::print("{:<{}} {:>7} {:>9.3f} {:>8.2f} {:>11.4g} {:>11.4g} {:>8.2f} {}{}\n", i == 0 ? shown : "", name_w,
                 c.footprint.Name(), c.bits_per_weight, c.ratio, c.error.rmse, c.error.max_abs, c.error.snr_db,
                 pareto ? "*" : " ", chosen ? "<" : "");
    }
  }
  if (!plan) return Status::Ok();
  fmt::print("\nplan ({}):\n", mode);
  for (size_t l = 0; l < layers.size(); ++l) {
    const auto& c = layers[l].candidates[plan->choice[l]];
    fmt::print("  {:<{}} {:>7} {:>7.3f} bits/w  RMSE {:.4g}{}\n", layers[l].name, name_w, c.footprint.Name(),
               c.bits_per_weight, c.error.rmse, plan->met[l] ? "" : "  (tolerance not met: most accurate taken)");
  }
  fmt::print("total: {} bits for {} weights = {:.3f} bits/weight, {:.2f}x smaller than fp32, RMSE {:.4g}\n",
             plan->bits, total_weights, double(plan->bits) / double(total_weights),
             32.0 * double(total_weights) / double(plan->bits), plan->rmse);
  if (accuracy) {
    fmt::print("accuracy on {} digits: {:.2f}% (fp32 {:.2f}%, floor {:.2f}%){}; {} forward-pass runs\n",
               accuracy->images, 100 * accuracy->accuracy, 100 * accuracy->fp32_accuracy,
               args.accuracy_floor,
               accuracy->met ? "" : " -- not met even by the most accurate plan, which is shown",
               accuracy->evaluations);
  }
  return Status::Ok();
}

}  // namespace

void AddAstcCommand(CLI::App& root, std::vector<Command>& commands) {
  CLI::App* astc = root.add_subcommand("astc", "Weight tensors as ASTC textures");
  astc->require_subcommand(1);

  auto enc = std::make_shared<EncodeArgs>();
  CLI::App* e = astc->add_subcommand("encode", "Encode a 2-D tensor as an .astc file (+ OUT.json: the affine map)");
  e->add_option("input", enc->input, "Model file or .npy ([h, w] or [h, w, 4] with --rgba)")->required();
  e->add_option("-o,--output", enc->output, "Output .astc file")->required();
  e->add_option("--block", enc->block, "Footprint, e.g. 4x4, 6x6, 12x12 (default 6x6)");
  e->add_flag("--rgba", enc->rgba, "Four consecutive weights per texel");
  e->add_option("--quality", enc->quality, "0 fastest .. 100 exhaustive (default 60)");
  e->add_flag("--no-normalize", enc->no_normalize, "Values are already in [0, 1]");
  e->add_option("--affine", enc->affine, "tensor (one affine map, default) or block (one per tile of blocks)");
  e->add_option("--affine-tile", enc->affine_tile, "With --affine block: N x N blocks share a map (default 1)");
  e->add_option("--tensor", enc->tensor, "Tensor name (needed when the file holds several)");
  e->add_flag("--force", enc->force, "Overwrite existing output");
  commands.push_back({e, [enc] { return RunEncode(*enc); }});

  auto dec = std::make_shared<DecodeArgs>();
  CLI::App* d = astc->add_subcommand("decode", "Decode an .astc file to a [h, w, 4] .npy");
  d->add_option("input", dec->input, "Input .astc file")->required();
  d->add_option("-o,--output", dec->output, "Output .npy file")->required();
  d->add_option("--mode", dec->mode, "f16 (decode_float16, default) or unorm8 (decode_unorm8)");
  d->add_flag("--force", dec->force, "Overwrite existing output");
  commands.push_back({d, [dec] { return RunDecode(*dec); }});

  auto plan = std::make_shared<PlanArgs>();
  CLI::App* p = astc->add_subcommand("plan", "Per-layer Pareto table of footprints and a rate choice");
  p->add_option("model", plan->model, "Model file")->required();
  p->add_option("--tensor", plan->globs, "Only tensors whose name matches this glob (repeatable)");
  p->add_option("--blocks", plan->blocks, "Footprints, comma-separated or 'all' (default all)");
  p->add_option("--quality", plan->quality, "Encoder quality 0..100 (default 20)");
  p->add_option("--tolerance", plan->tolerance, "Per-layer RMSE tolerance: the largest footprint meeting it");
  p->add_option("--budget", plan->budget, "Total bit budget: least squared error within it");
  p->add_option("--accuracy-floor", plan->accuracy_floor,
                "Top-1 accuracy floor in percent (the shared MNIST CNN only)");
  p->add_option("--digits", plan->digits, "Folder of the MNIST IDX files (default ../shared/data/datasets/mnist-10k)");
  p->add_option("--images", plan->images, "Digits evaluated for --accuracy-floor (default 10000)");
  p->add_flag("--json", plan->json, "Print a JSON object instead of a table");
  commands.push_back({p, [plan] { return RunPlan(*plan); }});
}

}  // namespace tp::cli
