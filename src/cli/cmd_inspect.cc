// `tensorpress inspect FILE`: one row of statistics per tensor.
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <mutex>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "tensorpress/parallel.h"
#include "tensorpress/model.h"
#include "tensorpress/stats.h"
#include "tensorpress/tpz.h"

namespace tp::cli {
namespace {

struct InspectArgs {
  std::string file;
  std::vector<std::string> globs;
  bool json = false;
};

// Statistics of every selected tensor, computed on all cores.
std::vector<TensorStats> StatsOf(const std::vector<const Tensor*>& tensors) {
  std::vector<TensorStats> out(tensors.size());
  std::atomic<size_t> done{0};
  Progress progress("inspect", tensors.size());
  std::mutex progress_mu;
  ParallelFor(tensors.size(), 0, [&](size_t i) {
    out[i] = ComputeStats(*tensors[i]);
    size_t d = ++done;
    std::lock_guard lock(progress_mu);
    progress.Update(d);
  });
  return out;
}

std::string Num(double v) {
  if (v != v) return "nan";
  double a = std::abs(v);
  if (v == 0) return "0";
  if (a >= 1e5 || a < 1e-3) return fmt::format("{:.3e}", v);
  return fmt::format("{:.4g}", v);
}

// A .tpz container is decoded first; its lossy (ASTC) tensors are listed
// with the error recorded when it was written.
struct Loaded {
  Model model;
  std::string format;
  std::vector<TpzLossyTensor> lossy;
};

StatusOr<Loaded> Load(const std::string& path) {
  Loaded l;
  TP_ASSIGN_OR_RETURN(auto file, MappedFile::Open(path));
  const auto head = file->bytes();
  if (head.size() >= 4 && std::memcmp(head.data(), "TPZ1", 4) == 0) {
    TP_ASSIGN_OR_RETURN(l.model, DecodeTpz(head, path));
    TP_ASSIGN_OR_RETURN(l.lossy, TpzLossyTensors(head, path));
    l.format = "tpz";
    return l;
  }
  TP_ASSIGN_OR_RETURN(l.model, ReadModel(path));
  l.format = std::string(ModelFormatName(l.model.format));
  return l;
}

Status RunInspect(const InspectArgs& args) {
  TP_ASSIGN_OR_RETURN(Loaded loaded, Load(args.file));
  const Model& model = loaded.model;
  auto lossy_of = [&](const std::string& name) -> const TpzLossyTensor* {
    for (const TpzLossyTensor& l : loaded.lossy)
      if (l.name == name) return &l;
    return nullptr;
  };
  std::vector<const Tensor*> selected;
  for (const Tensor& t : model.tensors) {
    bool keep = args.globs.empty();
    for (const auto& g : args.globs) keep = keep || GlobMatch(g, t.name());
    if (keep) selected.push_back(&t);
  }
  if (selected.empty() && !args.globs.empty())
    return NotFoundError(args.file + ": no tensor matches --tensor");
  std::vector<TensorStats> stats = StatsOf(selected);

  uint64_t total_elements = 0, total_bytes = 0, total_zeros = 0;
  for (size_t i = 0; i < selected.size(); ++i) {
    total_elements += selected[i]->elements();
    total_bytes += selected[i]->nbytes();
    total_zeros += static_cast<uint64_t>(stats[i].zero_fraction * stats[i].elements + 0.5);
  }
  double total_zero_fraction = total_elements ? double(total_zeros) / double(total_elements) : 0;
  // Per-dtype totals: what a mixed GGUF (Q4_K_M mixes q5_0, q4_k, q6_k,
  // q8_0, f32) spends on each type, in bits per weight.
  struct TypeTotal {
    DType dtype;
    uint64_t tensors = 0, elements = 0, bytes = 0;
  };
  std::vector<TypeTotal> by_type;
  for (const Tensor* t : selected) {
    auto it = std::find_if(by_type.begin(), by_type.end(), [&](const TypeTotal& x) { return x.dtype == t->dtype(); });
    if (it == by_type.end()) it = by_type.insert(by_type.end(), TypeTotal{t->dtype()});
    ++it->tensors;
    it->elements += t->elements();
    it->bytes += t->nbytes();
  }
  auto bits_per_weight = [](const TypeTotal& x) { return x.elements ? 8.0 * double(x.bytes) / double(x.elements) : 0.0; };

  if (args.json) {
    nlohmann::ordered_json j;
    j["file"] = args.file;
    j["format"] = loaded.format;
    nlohmann::ordered_json meta = nlohmann::ordered_json::object();
    for (const auto& [k, v] : model.metadata) meta[k] = v;
    j["metadata"] = meta;
    j["tensors"] = nlohmann::ordered_json::array();
    for (size_t i = 0; i < selected.size(); ++i) {
      const Tensor& t = *selected[i];
      const TensorStats& s = stats[i];
      nlohmann::ordered_json row;
      row["name"] = t.name();
      row["dtype"] = std::string(DTypeName(t.dtype()));
      row["shape"] = t.shape();
      row["elements"] = t.elements();
      row["bytes"] = t.nbytes();
      row["min"] = s.min;
      row["max"] = s.max;
      row["mean"] = s.mean;
      row["std"] = s.std;
      row["zero_fraction"] = s.zero_fraction;
      row["nan_count"] = s.nan_count;
      row["entropy_bits"] = s.entropy_bits;
      row["entropy_domain"] = std::string(EntropyDomainName(s.entropy_domain));
      if (t.quant()) {
        row["quantization"] = {{"scale", t.quant()->scale},
                               {"zero_point", t.quant()->zero_point},
                               {"axis", t.quant()->axis}};
      }
      if (const TpzLossyTensor* l = lossy_of(t.name())) {
        row["lossy"] = {{"codec", l->codec}, {"bits_per_weight", l->bits_per_weight}, {"rmse", l->rmse},
                        {"max_error", l->max_error}};
        if (std::isfinite(l->snr_db)) row["lossy"]["snr_db"] = l->snr_db;
      }
      j["tensors"].push_back(std::move(row));
    }
    j["dtypes"] = nlohmann::ordered_json::array();
    for (const TypeTotal& x : by_type)
      j["dtypes"].push_back({{"dtype", std::string(DTypeName(x.dtype))}, {"tensors", x.tensors},
                             {"elements", x.elements}, {"bytes", x.bytes}, {"bits_per_weight", bits_per_weight(x)}});
    j["warnings"] = model.warnings;
    j["totals"] = {{"tensors", selected.size()},
                   {"elements", total_elements},
                   {"bytes", total_bytes},
                   {"zero_fraction", total_zero_fraction}};
    fmt::print("{}\n", j.dump(2));
    return Status::Ok();
  }

  size_t name_w = 4;
  for (const Tensor* t : selected) name_w = std::max(name_w, t->name().size());
  name_w = std::min<size_t>(name_w, 60);
  fmt::print("{} ({}, {} tensors)\n", args.file, loaded.format, selected.size());
  fmt::print("{:<{}}  {:<7} {:<18} {:>10} {:>10} {:>10} {:>10} {:>10} {:>6} {:>13}\n", "name", name_w,
             "dtype", "shape", "bytes", "min", "max", "mean", "std", "zeros", "entropy");
  for (size_t i = 0; i < selected.size(); ++i) {
    const Tensor& t = *selected[i];
    const TensorStats& s = stats[i];
    std::string name = t.name().size() > name_w ? "…" + t.name().substr(t.name().size() - name_w + 1) : t.name();
    std::string ent = fmt::format("{:.3f} b/{}", s.entropy_bits,
                                  s.entropy_domain == EntropyDomain::kValues ? "val" : "byte");
    fmt::print("{:<{}}  {:<7} {:<18} {:>10} {:>10} {:>10} {:>10} {:>10} {:>5.1f}% {:>13}\n", name, name_w,
               DTypeName(t.dtype()), ShapeToString(t.shape()), t.nbytes(), Num(s.min), Num(s.max),
               Num(s.mean), Num(s.std), 100 * s.zero_fraction, ent);
  }
  fmt::print("total: {} tensors, {} elements, {} ({} bytes), {:.2f}% zeros\n", selected.size(),
             HumanCount(total_elements), HumanBytes(total_bytes), total_bytes, 100 * total_zero_fraction);
  if (by_type.size() > 1 || (!by_type.empty() && Traits(by_type[0].dtype).is_quantized_block)) {
    fmt::print("by dtype:");
    for (const TypeTotal& x : by_type)
      fmt::print(" {} {} tensors {} ({:.3f} bits/weight);", DTypeName(x.dtype), x.tensors, HumanBytes(x.bytes),
                 bits_per_weight(x));
    fmt::print("\n");
  }
  for (const std::string& w : model.warnings) fmt::print(stderr, "warning: {}\n", w);
  fmt::print("entropy: order-0, in bits per value for integer tensors (b/val) and per byte for "
             "float and block-quantized tensors (b/byte)\n");
  bool header = false;
  for (const Tensor* t : selected)
    if (const TpzLossyTensor* l = lossy_of(t->name())) {
      if (!header) fmt::print("lossy tensors (weight-domain error measured when written):\n");
      header = true;
      fmt::print("  {}: {}, {:.3f} bits/weight, RMSE {:.6g}, max error {:.6g}, SNR {:.2f} dB\n", l->name, l->codec,
                 l->bits_per_weight, l->rmse, l->max_error, l->snr_db);
    }
  return Status::Ok();
}

}  // namespace

void AddInspectCommand(CLI::App& root, std::vector<Command>& commands) {
  auto args = std::make_shared<InspectArgs>();
  CLI::App* app = root.add_subcommand("inspect", "Per-tensor statistics of a model file");
  app->add_option("file", args->file, "Model file (safetensors, npy, npz, gguf, onnx, tflite, llama2.c)")
      ->required();
  app->add_option("--tensor", args->globs, "Only tensors whose name matches this glob (repeatable)");
  app->add_flag("--json", args->json, "Print a JSON object instead of a table");
  commands.push_back({app, [args] { return RunInspect(*args); }});
}

}  // namespace tp::cli
