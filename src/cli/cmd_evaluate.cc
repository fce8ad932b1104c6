// `tensorpress evaluate MODEL --activations ACTS`: what each quantization
// setting costs in accuracy. Weights float or fake-quantized per channel /
// per tensor; GEMM inputs float, asymmetric, +ZPM, +ZPM+DBS or Sibia's
// symmetric, with the calibration, zero points and DBS widths the slice
// analysis (`tensorpress slices`) chose on ACTS. The shared MNIST CNN is
// scored by top-1 accuracy on MNIST digits; a llama2.c model by perplexity
// and next-token agreement on the token sequences recorded in ACTS, against
// the logits recorded there (docs/panacea.md), and with --held-out also on
// sequences sampled afresh from the float model, which the calibration never
// saw.
#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli.h"
#include "tensorpress/eval.h"
#include "tensorpress/gemm.h"
#include "tensorpress/model.h"
#include "tensorpress/parallel.h"

namespace tp::cli {
namespace {

struct EvaluateArgs {
  std::string model, activations, images, labels;
  std::string weights = "float,channel,tensor";
  std::string settings = "float,asym,zpm,zpm_dbs,sibia";
  int weight_bits = 7;
  double zpm_clip = 1e-3;
  size_t limit = SIZE_MAX;
  int held_out = 0;            // llama2.c: sequences sampled from the float model, scored beside ACTS'
  int held_out_length = 128;
  uint64_t seed = 1;
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
    const double count = double(r.k) * r.n * r.groups;  // every group's im2col values
    err += count * s.quant_mse, sig += count * s.error.signal_power, n += count;
  }
  return n > 0 ? QuantErrorFromMse(err / n, sig / n) : QuantError{};
}

struct Row {
  std::string weights, activations;
  QuantError weight_error, activation_error;
  double accuracy = 0;     // MNIST top-1
  eval::LmScore lm;        // llama, on ACTS' sequences
  eval::LmScore held_out;  // llama, on the sampled held-out sequences
};

// A llama2.c model's logits over consecutive sequences of `length` tokens
// (one forward pass per sequence, on all cores).
StatusOr<std::vector<float>> SequenceLogits(const eval::LlamaModel& lm, const std::vector<int32_t>& tokens,
                                            int length, const eval::ActivationQuantMap& map) {
  const size_t seqs = tokens.size() / size_t(length), per = size_t(length) * lm.vocab;
  std::vector<float> logits(seqs * per);
  std::vector<Status> status(seqs, Status::Ok());
  ParallelFor(seqs, 0, [&](size_t s) {
    auto l = eval::LlamaLogits(lm, std::span(tokens).subspan(s * length, length), map);
    if (!l.ok()) {
      status[s] = l.status();
      return;
    }
    std::copy(l->begin(), l->end(), logits.begin() + s * per);
  });
  for (const Status& st : status) TP_RETURN_IF_ERROR(st);
  return logits;
}

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
  if (!llama && args.held_out > 0) return InvalidArgumentError("--held-out samples text: llama2.c models only");

  // The activation quantizers depend only on the activations: one analysis.
  SliceAnalysisOptions slice_options;
  slice_options.weight_bits = 7;  // only the activation calibration is used
  slice_options.zpm.max_extra_clip_fraction = args.zpm_clip;
  TP_ASSIGN_OR_RETURN(std::vector<LayerSliceReport> reports, AnalyzeSlices(model, acts, slice_options));
  if (reports.empty()) return NotFoundError(args.activations + ": no activation matches a weight of " + args.model);

  // Data: token sequences and reference logits, or digits.
  std::vector<int32_t> tokens, held_tokens;
  std::vector<float> reference, held_reference;
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
    if (args.held_out > 0) {
      // Held out from the calibration: fresh samples of the float model
      // (the shared sequences were drawn the same way, with another
      // generator), each sequence its own seed.
      TP_ASSIGN_OR_RETURN(eval::LlamaModel fp, eval::LlamaFromModel(model));
      if (args.held_out_length < 2 || args.held_out_length > fp.seq_len)
        return InvalidArgumentError("--held-out-length must be in 2.." + std::to_string(fp.seq_len));
      std::vector<eval::LlamaSample> samples(size_t(args.held_out));
      std::vector<Status> status(samples.size(), Status::Ok());
      ParallelFor(samples.size(), 0, [&](size_t i) {
        auto s = eval::SampleLlama(fp, args.held_out_length, args.seed + i);
        if (s.ok()) samples[i] = std::move(*s);
        else status[i] = s.status();
      });
      for (const Status& st : status) TP_RETURN_IF_ERROR(st);
      for (const eval::LlamaSample& s : samples) {
        held_tokens.insert(held_tokens.end(), s.tokens.begin(), s.tokens.end());
        held_reference.insert(held_reference.end(), s.logits.begin(), s.logits.end());
      }
    }
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
      Row row{wmode, setting, werr, ActivationError(reports, setting), 0, {}, {}};
      if (llama) {
        TP_ASSIGN_OR_RETURN(eval::LlamaModel lm, eval::LlamaFromModel(wm));
        if (lm.vocab != vocab) return InvalidArgumentError("the recorded logits' vocabulary is not the model's");
        TP_ASSIGN_OR_RETURN(std::vector<float> logits, SequenceLogits(lm, tokens, length, map));
        row.lm = eval::ScoreLogits(logits, reference, tokens, length, vocab);
        if (!held_tokens.empty()) {
          TP_ASSIGN_OR_RETURN(std::vector<float> held, SequenceLogits(lm, held_tokens, args.held_out_length, map));
          row.held_out = eval::ScoreLogits(held, held_reference, held_tokens, args.held_out_length, vocab);
        }
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
    if (!held_tokens.empty())
      j["held_out"] = {{"sequences", args.held_out},
                       {"length", args.held_out_length},
                       {"seeds", {args.seed, args.seed + args.held_out - 1}},
                       {"source", "sampled from the float model from BOS (token 1), temperature 1, one mt19937_64 "
                                  "seed per sequence; never seen by the calibration"}};
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
        if (!held_tokens.empty())
          o["held_out"] = {{"perplexity", r.held_out.perplexity},
                           {"next_token_agreement", r.held_out.agreement},
                           {"max_abs_logit_diff", r.held_out.max_abs_diff},
                           {"predictions", r.held_out.predictions}};
      } else {
        o["top1"] = r.accuracy;
      }
      j["rows"].push_back(std::move(o));
    }
    fmt::print("{}\n", j.dump(2));
    return Status::Ok();
  }
  if (llama) {
    fmt::print("{}: {} sequences x {} tokens from {}; weights {}-bit symmetric; agreement = greedy next token "
               "equal to the recorded float logits'\n",
               args.model, tokens.size() / length, length, args.activations, args.weight_bits);
    if (!held_tokens.empty())
      fmt::print("held out: {} sequences x {} tokens sampled from the float model (seeds {}..{})\n", args.held_out,
                 args.held_out_length, args.seed, args.seed + args.held_out - 1);
  }
  else
    fmt::print("{}: top-1 on {} digits; activations calibrated on {}; weights {}-bit symmetric\n", args.model,
               digits.labels.size(), args.activations, args.weight_bits);
  fmt::print("{:<8} {:<12} {:>11} {:>11} {}{}\n", "weights", "activations", "W SQNR dB", "X SQNR dB",
             llama ? "perplexity  agreement  max|dlogit|" : "top-1",
             held_tokens.empty() ? "" : "  held-out ppl  agreement");
  for (const Row& r : rows) {
    fmt::print("{:<8} {:<12} {:>11.1f} {:>11.1f} ", r.weights, r.activations, r.weight_error.sqnr_db,
               r.activation_error.sqnr_db);
    if (llama && !held_tokens.empty())
      fmt::print("{:>10.4f} {:>9.2f}% {:>12.4g} {:>13.4f} {:>9.2f}%\n", r.lm.perplexity, 100 * r.lm.agreement,
                 r.lm.max_abs_diff, r.held_out.perplexity, 100 * r.held_out.agreement);
    else if (llama)
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
  app->add_option("--held-out", args->held_out,
                  "llama2.c: also score N sequences sampled from the float model (held out from the calibration)")
      ->check(CLI::Range(0, 4096));
  app->add_option("--held-out-length", args->held_out_length, "Tokens per held-out sequence (default 128)");
  app->add_option("--seed", args->seed, "First held-out sequence's seed; sequence i uses seed + i (default 1)");
  app->add_flag("--json", args->json, "Print a JSON object instead of a table");
  commands.push_back({app, [args] { return RunEvaluate(*args); }});
}

}  // namespace tp::cli
