// `tensorpress evaluate MODEL --activations ACTS`: what each quantization
// setting costs in accuracy. Weights float or fake-quantized per channel /
// per tensor; GEMM inputs float, asymmetric, +ZPM, +ZPM+DBS or Sibia's
// symmetric, with the calibration, zero points and DBS widths the slice
// analysis (`tensorpress slices`) chose on ACTS. The shared MNIST CNN is
// scored by top-1 accuracy on MNIST digits; a llama2.c model by perplexity
// and next-token agreement on the token sequences recorded in ACTS, against
// the logits recorded there (docs/panacea.md).
#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli.h"
#include "tensorpress/eval.h"
#include "tensorpress/gemm.h"
#include "tensorpress/model.h"

namespace tp::cli {
namespace {

struct EvaluateArgs {
  std::string model, activations, images, labels;
  std::string weights = "float,channel,tensor";
  std::string settings = "float,asym,zpm,zpm_dbs,sibia";
  int weight_bits = 7;
  double zpm_clip = 1e-3;
  size_t limit = SIZE_MAX;
  bool json = false;
};

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

const Tensor* Find(const Model& m, const std::string& name) {
  for (const Tensor& t : m.tensors)
    if (t.name() == name) return &t;
  return nullptr;
}

// Weight error of the fake-quantized GEMM weights against the float ones.
QuantError WeightError(const Model& model, const Model& quantized) {
  double err = 0, sig = 0, n = 0;
  for (size_t i = 0; i < model.tensors.size() && i < quantized.tensors.size(); ++i) {
    const Tensor& a = model.tensors[i];
    const Tensor& b = quantized.tensors[i];
    if (a.dtype() != DType::kF32 || b.dtype() != DType::kF32 || a.bytes().data() == b.bytes().data()) continue;
    const QuantError e = MeasureQuantError(a.values<float>(), b.values<float>());
    const double count = double(a.elements());
    err += count * e.rmse * e.rmse, sig += count * e.signal_power, n += count;
  }
  return n > 0 ? QuantErrorFromMse(err / n, sig / n) : QuantError{0, INFINITY, 0};
}

// Element-weighted activation error of one setting over the analysed layers
// (each distinct activation once).
QuantError ActivationError(const std::vector<LayerSliceReport>& reports, const std::string& setting) {
  if (setting == "float") return {0, INFINITY, 0};
  double err = 0, sig = 0, n = 0;
  std::string last;
  for (const LayerSliceReport& r : reports) {
    if (r.activation == last) continue;
    last = r.activation;
    const SliceSetting& s = setting == "asym" ? r.asym : setting == "zpm" ? r.zpm : setting == "zpm_dbs" ? r.zpm_dbs : r.sibia;
    const double count = double(r.k) * r.n;
    err += count * s.quant_mse, sig += count * s.error.signal_power, n += count;
  }
  return n > 0 ? QuantErrorFromMse(err / n, sig / n) : QuantError{};
}

struct Row {
  std::string weights, activations;
  QuantError weight_error, activation_error;
  double accuracy = 0;     // MNIST top-1
  eval::LmScore lm;        // llama
};

Status RunEvaluate(const EvaluateArgs& args) {
  TP_ASSIGN_OR_RETURN(Model model, ReadModel(args.model));
  TP_ASSIGN_OR_RETURN(Model acts, ReadModel(args.activations));
  const bool llama = model.format == ModelFormat::kLlama2c;
  const std::vector<std::string> weight_modes = Split(args.weights), settings = Split(args.settings);
  for (const std::string& w : weight_modes)
    if (w != "float" && w != "channel" && w != "tensor")
      return InvalidArgumentError("--weights takes float, channel and tensor, got '" + w + "'");
  for (const std::string& s : settings)
    if (s != "float" && s != "asym" && s != "zpm" && s != "zpm_dbs" && s != "sibia")
      return InvalidArgumentError("--settings takes float, asym, zpm, zpm_dbs and sibia, got '" + s + "'");
  if (weight_modes.empty() || settings.empty()) return InvalidArgumentError("nothing to evaluate");

  // The activation quantizers depend only on the activations: one analysis.
  SliceAnalysisOptions slice_options;
  slice_options.weight_bits = 7;  // only the activation calibration is used
  slice_options.zpm.max_extra_clip_fraction = args.zpm_clip;
  TP_ASSIGN_OR_RETURN(std::vector<LayerSliceReport> reports, AnalyzeSlices(model, acts, slice_options));
  if (reports.empty()) return NotFoundError(args.activations + ": no activation matches a weight of " + args.model);

  // Data: token sequences and reference logits, or digits.
  std::vector<int32_t> tokens;
  std::vector<float> reference;
  int length = 0, vocab = 0;
  astc::MnistDigits digits;
  if (llama) {
    const Tensor* t = Find(acts, "tokens");
    const Tensor* l = Find(acts, "logits");
    if (!t || !l || t->dtype() != DType::kI32 || t->rank() != 2 || l->dtype() != DType::kF32 || l->rank() != 3 ||
        l->shape()[0] != t->shape()[0] || l->shape()[1] != t->shape()[1])
      return InvalidArgumentError(args.activations + ": needs 'tokens' [S,T] i32 and 'logits' [S,T,V] f32");
    length = int(t->shape()[1]);
    vocab = int(l->shape()[2]);
    tokens.assign(t->values<int32_t>().begin(), t->values<int32_t>().end());
    reference.assign(l->values<float>().begin(), l->values<float>().end());
  } else {
    if (args.images.empty() || args.labels.empty())
      return InvalidArgumentError("--images and --labels (MNIST IDX .gz files) are needed for this model");
    TP_ASSIGN_OR_RETURN(digits, astc::ReadMnistDigits(args.images, args.labels, args.limit));
  }

  std::vector<Row> rows;
  for (const std::string& wmode : weight_modes) {
    Model wm = model;
    if (wmode != "float") {
      TP_ASSIGN_OR_RETURN(WeightGranularity g, ParseWeightGranularity(wmode));
      TP_ASSIGN_OR_RETURN(wm, eval::FakeQuantizeWeights(model, args.weight_bits, g));
    }
    const QuantError werr = WeightError(model, wm);
    for (const std::string& setting : settings) {
      TP_ASSIGN_OR_RETURN(eval::ActivationQuantMap map, eval::QuantMapFromSlices(reports, setting));
      Row row{wmode, setting, werr, ActivationError(reports, setting)};
      if (llama) {
        TP_ASSIGN_OR_RETURN(eval::LlamaModel lm, eval::LlamaFromModel(wm));
        if (lm.vocab != vocab) return InvalidArgumentError("the recorded logits' vocabulary is not the model's");
        std::vector<float> logits;
        for (size_t s = 0; s * length < tokens.size(); ++s) {
          TP_ASSIGN_OR_RETURN(std::vector<float> l,
                              eval::LlamaLogits(lm, std::span(tokens).subspan(s * length, length), map));
          logits.insert(logits.end(), l.begin(), l.end());
        }
        row.lm = eval::ScoreLogits(logits, reference, tokens, length, vocab);
      } else {
        TP_ASSIGN_OR_RETURN(astc::MnistCnnWeights w, astc::MnistCnnWeightsFromModel(wm));
        row.accuracy = eval::MnistCnnAccuracyQuantized(w, eval::MnistQuantFromMap(map), digits);
      }
      rows.push_back(row);
    }
  }

  auto db = [](double v) { return std::isinf(v) ? nlohmann::ordered_json("inf") : nlohmann::ordered_json(v); };
  if (args.json) {
    nlohmann::ordered_json j;
    j["model"] = args.model;
    j["activations"] = args.activations;
    j["weight_bits"] = args.weight_bits;
    j["zpm_max_extra_clip_fraction"] = args.zpm_clip;
    j["metric"] = llama ? "perplexity" : "top1";
    if (!llama) j["digits"] = digits.labels.size();
    j["rows"] = nlohmann::ordered_json::array();
    for (const Row& r : rows) {
      nlohmann::ordered_json o;
      o["weights"] = r.weights;
      o["activations"] = r.activations;
      o["weight_sqnr_db"] = db(r.weight_error.sqnr_db);
      o["weight_rmse"] = r.weight_error.rmse;
      o["activation_sqnr_db"] = db(r.activation_error.sqnr_db);
      o["activation_rmse"] = r.activation_error.rmse;
      if (llama) {
        o["perplexity"] = r.lm.perplexity;
        o["next_token_agreement"] = r.lm.agreement;
        o["max_abs_logit_diff"] = r.lm.max_abs_diff;
        o["predictions"] = r.lm.predictions;
      } else {
        o["top1"] = r.accuracy;
      }
      j["rows"].push_back(std::move(o));
    }
    fmt::print("{}\n", j.dump(2));
    return Status::Ok();
  }
  if (llama)
    fmt::print("{}: {} sequences x {} tokens from {}; weights {}-bit symmetric; agreement = greedy next token "
               "equal to the recorded float logits'\n",
               args.model, tokens.size() / length, length, args.activations, args.weight_bits);
  else
    fmt::print("{}: top-1 on {} digits; activations calibrated on {}; weights {}-bit symmetric\n", args.model,
               digits.labels.size(), args.activations, args.weight_bits);
  fmt::print("{:<8} {:<12} {:>11} {:>11} {}\n", "weights", "activations", "W SQNR dB", "X SQNR dB",
             llama ? "perplexity  agreement  max|dlogit|" : "top-1");
  for (const Row& r : rows) {
    fmt::print("{:<8} {:<12} {:>11.1f} {:>11.1f} ", r.weights, r.activations, r.weight_error.sqnr_db,
               r.activation_error.sqnr_db);
    if (llama)
      fmt::print("{:>10.4f} {:>9.2f}% {:>12.4g}\n", r.lm.perplexity, 100 * r.lm.agreement, r.lm.max_abs_diff);
    else
      fmt::print("{:.2f}%\n", 100 * r.accuracy);
  }
  return Status::Ok();
}

}  // namespace

void AddEvaluateCommand(CLI::App& root, std::vector<Command>& commands) {
  auto args = std::make_shared<EvaluateArgs>();
  CLI::App* app = root.add_subcommand(
      "evaluate", "Accuracy of the shared MNIST CNN or a llama2.c model under each quantization setting");
  app->add_option("model", args->model, "Model file (the shared MNIST CNN or a llama2.c checkpoint)")->required();
  app->add_option("--activations", args->activations,
                  "safetensors file of layer inputs (<layer>.input) for calibration; for llama2.c also 'tokens' "
                  "and the float model's 'logits'")
      ->required();
  app->add_option("--images", args->images, "MNIST images (IDX, gzip'd) for the CNN");
  app->add_option("--labels", args->labels, "MNIST labels (IDX, gzip'd) for the CNN");
  app->add_option("--limit", args->limit, "Score only the first N digits");
  app->add_option("--weights", args->weights,
                  "Weight settings, comma-separated: float, channel, tensor (default all three)");
  app->add_option("--settings", args->settings,
                  "Activation settings, comma-separated: float, asym, zpm, zpm_dbs, sibia (default all)");
  app->add_option("--weight-bits", args->weight_bits, "Symmetric weight bits (default 7, Panacea's SBR)")
      ->check(CLI::Range(2, 16));
  app->add_option("--zpm-clip", args->zpm_clip,
                  "ZPM may clip at most this extra fraction of activation values (default 0.001, as slices)")
      ->check(CLI::Range(0.0, 1.0));
  app->add_flag("--json", args->json, "Print a JSON object instead of a table");
  commands.push_back({app, [args] { return RunEvaluate(*args); }});
}

}  // namespace tp::cli
