// `tensorpress analyze FILE`: the size of every tensor under every lossless
// codec (include/tensorpress/codec.h) against the order-0 entropy limit.
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli.h"
#include "tensorpress/parallel.h"
#include "tensorpress/astc.h"
#include "tensorpress/codec.h"
#include "tensorpress/model.h"
#include "tensorpress/sparse.h"

namespace tp::cli {
namespace {

struct AnalyzeArgs {
  std::string file;
  std::vector<std::string> globs;
  std::string quantize;
  std::string granularity = "channel";
  bool activations = false;
  bool json = false;
  std::vector<std::string> codecs;
  int ranges = 16;
  int precision = 10;
  int register_bits = 16;
  uint32_t chunk = 32768;
  bool astc = false;
  bool fields = false;
  bool sparse = false;
  std::string astc_blocks = "4x4,6x6,8x8,12x12";
  int astc_quality = 20;
};

struct CodecResult {
  uint64_t payload_bits = 0;
  uint64_t total_bytes = 0;
};

struct TensorReport {
  const Tensor* tensor = nullptr;
  // One plane for 8-bit codes; one per byte for float tensors coded losslessly.
  std::vector<TensorCodes> planes;
  uint64_t plane_bytes = 0;
  double entropy = 0;
  std::vector<CodecResult> results;  // per selected codec
  std::vector<std::vector<uint64_t>> plane_bytes_by_codec;  // [plane][codec]: stream bytes
  AtalantaTable table;
  std::vector<astc::FootprintResult> astc;  // --astc: per footprint, for weight matrices
  std::optional<QuantError> quant_error;    // --quantize: the int8 codes against the float tensor
  std::optional<sparse::FormatSizes> sparse;  // --sparse: weight matrices as stored
};

// The sparse formats' sizes, named as in docs/sparsity.md, and the smallest.
struct SparseColumn {
  const char* name;
  uint64_t sparse::FormatSizes::*bytes;
};
constexpr SparseColumn kSparseColumns[] = {{"dense", &sparse::FormatSizes::dense},
                                           {"csr", &sparse::FormatSizes::csr},
                                           {"csc", &sparse::FormatSizes::csc},
                                           {"block4x4", &sparse::FormatSizes::block4x4},
                                           {"nm2:4", &sparse::FormatSizes::nm24}};
// The smallest format (2:4 only where the matrix meets it: nm24 > 0).
const SparseColumn& SmallestSparse(const sparse::FormatSizes& f) {
  const SparseColumn* best = &kSparseColumns[0];
  for (const SparseColumn& c : kSparseColumns)
    if (f.*c.bytes > 0 && f.*c.bytes < f.*best->bytes) best = &c;
  return *best;
}

// The error of the lossy step PrepareCodes took: dequantized codes against
// the float values.
StatusOr<QuantError> QuantizationError(const Tensor& t, const PrepareOptions& prep) {
  TP_ASSIGN_OR_RETURN(Tensor q, QuantizeForCoding(t, prep));
  TP_ASSIGN_OR_RETURN(Tensor back, Dequantize(q));
  TP_ASSIGN_OR_RETURN(Tensor ref, ToF32(t));
  return MeasureQuantError(ref.values<float>(), back.values<float>());
}

std::string Ratio(double r) { return fmt::format("{:.3f}", r); }

// Column labels short enough for a 10-character column.
std::string_view ShortName(Codec c) {
  switch (c) {
    case Codec::kAtalantaOrder0: return "atal-o0";
    case Codec::kAtalantaRans: return "atal-rans";
    default: return CodecName(c);
  }
}

Status RunAnalyze(const AnalyzeArgs& args) {
  std::vector<astc::Footprint> footprints;
  if (args.astc) {
    TP_ASSIGN_OR_RETURN(footprints, astc::ParseFootprints(args.astc_blocks));
    if (args.astc_quality < 0 || args.astc_quality > 100) return InvalidArgumentError("--astc-quality must be 0..100");
  }
  if (!args.quantize.empty() && args.quantize != "int8")
    return InvalidArgumentError("--quantize supports only int8");
  std::vector<Codec> codecs;
  for (const auto& name : args.codecs) {
    auto c = CodecFromName(name);
    if (!c) return InvalidArgumentError("unknown codec '" + name + "'");
    codecs.push_back(*c);
  }
  if (codecs.empty()) codecs.assign(AllCodecs().begin(), AllCodecs().end());
  CodecOptions base = DefaultCodecOptions();
  base.atalanta_ranges = args.ranges;
  base.precision_bits = args.precision;
  base.register_bits = args.register_bits;
  base.chunk_values = args.chunk;
  TP_RETURN_IF_ERROR(ValidateCodecOptions(base));

  TP_ASSIGN_OR_RETURN(Model model, ReadModel(args.file));
  PrepareOptions prep;
  prep.quantize_int8 = args.quantize == "int8";
  prep.all_activations = args.activations;
  prep.keras_safetensors = model.format == ModelFormat::kSafetensors;
  TP_ASSIGN_OR_RETURN(prep.weight_granularity, ParseWeightGranularity(args.granularity));

  std::vector<const Tensor*> selected;
  for (const Tensor& t : model.tensors) {
    bool keep = args.globs.empty();
    for (const auto& g : args.globs) keep = keep || GlobMatch(g, t.name());
    if (keep) selected.push_back(&t);
  }
  if (selected.empty() && !args.globs.empty()) return NotFoundError(args.file + ": no tensor matches --tensor");

  // Float tensors without --quantize are coded losslessly by byte planes.
  std::vector<StatusOr<std::vector<TensorCodes>>> prepared(selected.size(),
                                                           Status(StatusCode::kInternal, "not run"));
  std::vector<std::optional<QuantError>> quant_errors(selected.size());
  ParallelFor(selected.size(), 0, [&](size_t i) {
    const Tensor& t = *selected[i];
    if (!prep.quantize_int8 && Traits(t.dtype()).is_float && !Traits(t.dtype()).is_quantized_block) {
      prepared[i] = PrepareBytePlanes(t);
      return;
    }
    // GGUF blocks without --quantize: lossless, one plane per block field.
    if (!prep.quantize_int8 && Traits(t.dtype()).is_quantized_block) {
      prepared[i] = PrepareBlockFieldPlanes(t);
      return;
    }
    auto codes = PrepareCodes(t, prep);
    if (codes.ok() && codes->quantized) {
      auto e = QuantizationError(t, prep);
      if (!e.ok()) {
        prepared[i] = e.status();
        return;
      }
      quant_errors[i] = *e;
    }
    if (codes.ok()) {
      std::vector<TensorCodes> one;
      one.push_back(std::move(*codes));
      prepared[i] = std::move(one);
    } else {
      prepared[i] = codes.status();
    }
  });
  std::vector<TensorReport> reports;
  std::vector<std::pair<std::string, std::string>> skipped;
  for (size_t i = 0; i < selected.size(); ++i) {
    if (!prepared[i].ok()) {
      if (prepared[i].status().code() != StatusCode::kUnsupported) return prepared[i].status();
      skipped.push_back({selected[i]->name(), prepared[i].status().message()});
      continue;
    }
    TensorReport r;
    r.tensor = selected[i];
    r.planes = std::move(*prepared[i]);
    r.quant_error = quant_errors[i];
    for (const auto& p : r.planes) r.plane_bytes += p.codes.size();
    r.results.resize(codecs.size());
    r.plane_bytes_by_codec.assign(r.planes.size(), std::vector<uint64_t>(codecs.size()));
    reports.push_back(std::move(r));
  }

  // Every (tensor, codec) pair is one job: encode, decode, compare.
  std::vector<Status> status(reports.size() * codecs.size());
  Progress progress("analyze", status.size());
  std::mutex mu;
  std::atomic<size_t> done{0};
  ParallelFor(status.size(), 0, [&](size_t job) {
    TensorReport& r = reports[job / codecs.size()];
    const size_t ci = job % codecs.size();
    for (size_t pi = 0; pi < r.planes.size(); ++pi) {
      const TensorCodes& plane = r.planes[pi];
      CodecOptions o = base;
      o.signed_codes = plane.signed_codes;
      o.zero_code = plane.zero_code;
      o.rows = plane.rows;
      auto enc = EncodeCodes(codecs[ci], plane.codes, o);
      if (!enc.ok()) {
        status[job] = enc.status().WithContext(r.tensor->name());
        return;
      }
      std::vector<uint8_t> back(plane.codes.size());
      Status st = DecodeCodes(enc->bytes, back);
      if (!st.ok() || back != plane.codes) {
        status[job] = InternalError(std::string(CodecName(codecs[ci])) + " did not round-trip tensor '" +
                                    r.tensor->name() + "'" + (st.ok() ? "" : ": " + st.message()));
        return;
      }
      r.results[ci].payload_bits += enc->payload_bits;
      r.results[ci].total_bytes += enc->bytes.size();
      r.plane_bytes_by_codec[pi][ci] = enc->bytes.size();
      // The table reported is the last plane's: the only one for 8-bit
      // codes, the sign/exponent byte for floats.
      if (codecs[ci] == Codec::kAtalanta && &plane == &r.planes.back()) {
        auto t = ProfileAtalanta(plane.codes, o);
        if (t.ok()) r.table = std::move(*t);
      }
    }
    std::lock_guard lock(mu);
    progress.Update(++done);
  });
  for (const Status& st : status) TP_RETURN_IF_ERROR(st);
  // ASTC rows: lossy, so measured on the float weights whatever --quantize
  // says. The encoder spreads blocks over all cores itself.
  if (args.astc) {
    size_t jobs = 0;
    for (const auto& r : reports) jobs += astc::IsWeightMatrix(*r.tensor) ? footprints.size() : 0;
    Progress astc_progress("astc", jobs);
    size_t finished = 0;
    for (auto& r : reports) {
      if (!astc::IsWeightMatrix(*r.tensor)) continue;
      for (const astc::Footprint& f : footprints) {
        TP_ASSIGN_OR_RETURN(astc::FootprintResult res, astc::MeasureFootprint(*r.tensor, f, args.astc_quality));
        r.astc.push_back(res);
        astc_progress.Update(++finished);
      }
    }
  }
  // --sparse: each weight matrix as stored (its own dtype, not the int8
  // codes of --quantize) in every sparse format, exact encoder sizes.
  if (args.sparse) {
    std::vector<Status> sparse_status(reports.size());
    ParallelFor(reports.size(), 0, [&](size_t i) {
      const Tensor& t = *reports[i].tensor;
      const sparse::WeightLayout layout = sparse::GuessLayout(t.name());
      if (!sparse::IsPrunable(t, layout) || (args.globs.empty() && !sparse::LooksLikeWeight(t.name(), t.rank()))) return;
      auto m = sparse::SparseMatrixOf(t, layout);
      if (!m.ok()) {
        sparse_status[i] = m.status().WithContext(t.name());
        return;
      }
      auto f = sparse::MeasureFormats(*m);
      if (!f.ok()) {
        sparse_status[i] = f.status().WithContext(t.name());
        return;
      }
      reports[i].sparse = *f;
    });
    for (const Status& st : sparse_status) TP_RETURN_IF_ERROR(st);
  }
  sparse::FormatSizes sparse_total;
  double sparse_total_limit = 0;
  bool sparse_total_nm = true;
  size_t sparse_tensors = 0;
  for (const auto& r : reports)
    if (r.sparse) {
      const sparse::FormatSizes& f = *r.sparse;
      ++sparse_tensors;
      sparse_total.elements += f.elements, sparse_total.nonzeros += f.nonzeros;
      sparse_total.value_bytes += f.value_bytes;
      for (const SparseColumn& c : kSparseColumns) sparse_total.*c.bytes += f.*c.bytes;
      sparse_total.map_entropy_bits += f.map_entropy_bits;
      sparse_total_limit += f.limit_bytes();
      sparse_total_nm = sparse_total_nm && f.nm24 > 0;
    }
  if (!sparse_total_nm) sparse_total.nm24 = 0;  // 2:4 only when every matrix meets it
  auto sparse_json = [&](const sparse::FormatSizes& f, double limit) {
    nlohmann::ordered_json j;
    j["elements"] = f.elements;
    j["nonzeros"] = f.nonzeros;
    j["sparsity"] = f.elements ? 1.0 - double(f.nonzeros) / double(f.elements) : 0.0;
    for (const SparseColumn& c : kSparseColumns)
      j[std::string(c.name) + "_bytes"] = f.*c.bytes ? nlohmann::ordered_json(f.*c.bytes) : nlohmann::ordered_json();
    j["values_bytes"] = f.value_bytes;
    j["entropy_limit_bytes"] = limit;
    const SparseColumn& best = SmallestSparse(f);
    j["best"] = best.name;
    j["best_over_limit"] = limit > 0 ? double(f.*best.bytes) / limit : 0.0;
    return j;
  };

  // The limit of a float tensor is the sum of its byte planes' entropies;
  // block-field planes are weighted by their share of the tensor's bytes.
  for (auto& r : reports)
    for (const auto& p : r.planes)
      r.entropy += EntropyBitsPerValue(p.codes) * double(p.codes.size()) / double(std::max<uint64_t>(1, r.tensor->elements()));

  // --fields: per (dtype, block field) totals over the tensors, with the
  // smallest codec for each field plane of each tensor.
  struct FieldTotal {
    std::string dtype, field;
    uint64_t bytes = 0, best_bytes = 0;
    double entropy_bits = 0;
  };
  std::vector<FieldTotal> field_totals;
  uint64_t block_raw_bytes = 0, block_best_bytes = 0;
  for (const auto& r : reports) {
    if (!Traits(r.tensor->dtype()).is_quantized_block || prep.quantize_int8) continue;
    for (size_t pi = 0; pi < r.planes.size(); ++pi) {
      const TensorCodes& p = r.planes[pi];
      const std::string dt(DTypeName(r.tensor->dtype()));
      auto it = std::find_if(field_totals.begin(), field_totals.end(),
                             [&](const FieldTotal& f) { return f.dtype == dt && f.field == p.plane_name; });
      if (it == field_totals.end()) it = field_totals.insert(field_totals.end(), FieldTotal{dt, p.plane_name});
      const auto& by_codec = r.plane_bytes_by_codec[pi];
      const uint64_t best = by_codec.empty() ? p.codes.size() : *std::min_element(by_codec.begin(), by_codec.end());
      it->bytes += p.codes.size();
      it->best_bytes += best;
      it->entropy_bits += EntropyBitsPerValue(p.codes) * double(p.codes.size());
      block_raw_bytes += p.codes.size();
      block_best_bytes += best;
    }
  }
  const size_t dequantized_blocks = prep.quantize_int8
      ? static_cast<size_t>(std::count_if(reports.begin(), reports.end(), [](const TensorReport& r) {
          return Traits(r.tensor->dtype()).is_quantized_block;
        }))
      : 0;

  // Totals over all coded tensors.
  uint64_t total_elements = 0, total_plane_bytes = 0;
  double total_entropy_bits = 0;
  std::vector<CodecResult> totals(codecs.size());
  for (const auto& r : reports) {
    total_elements += r.tensor->elements();
    total_plane_bytes += r.plane_bytes;
    total_entropy_bits += r.entropy * double(r.tensor->elements());
    for (size_t c = 0; c < codecs.size(); ++c) {
      totals[c].payload_bits += r.results[c].payload_bits;
      totals[c].total_bytes += r.results[c].total_bytes;
    }
  }
  auto best_of = [&](const std::vector<CodecResult>& res) {
    size_t b = 0;
    for (size_t c = 1; c < res.size(); ++c)
      if (res[c].total_bytes < res[b].total_bytes) b = c;
    return b;
  };
  auto codec_json = [&](const std::vector<CodecResult>& res, uint64_t elements) {
    nlohmann::ordered_json j = nlohmann::ordered_json::object();
    for (size_t c = 0; c < codecs.size(); ++c)
      j[std::string(CodecName(codecs[c]))] = {
          {"payload_bits", res[c].payload_bits},
          {"total_bytes", res[c].total_bytes},
          {"bits_per_value", elements ? 8.0 * double(res[c].total_bytes) / double(elements) : 0.0}};
    return j;
  };

  if (args.json) {
    nlohmann::ordered_json j;
    j["file"] = args.file;
    j["tensors"] = nlohmann::ordered_json::array();
    for (const auto& r : reports) {
      const Tensor& t = *r.tensor;
      nlohmann::ordered_json row;
      row["name"] = t.name();
      row["dtype"] = std::string(DTypeName(t.dtype()));
      row["coded_dtype"] = r.planes.front().coded_dtype;
      row["quantized"] = r.planes.front().quantized;
      if (r.quant_error)
        row["quantization"] = {{"granularity", args.granularity},
                               {"rmse", r.quant_error->rmse},
                               {"sqnr_db", r.quant_error->sqnr_db}};
      row["shape"] = t.shape();
      row["elements"] = t.elements();
      row["bytes"] = r.plane_bytes;
      row["entropy_bits_per_value"] = r.entropy;
      row["codecs"] = codec_json(r.results, t.elements());
      for (size_t c = 0; c < codecs.size(); ++c)
        if (codecs[c] == Codec::kAtalanta)
          row["codecs"]["atalanta"]["table"] = {{"range_start", r.table.range_start},
                                                {"end_code", r.table.end_code},
                                                {"offset_bits", r.table.offset_bits},
                                                {"frequency", r.table.frequency},
                                                {"precision_bits", r.table.precision_bits},
                                                {"table_bits", r.table.table_bits},
                                                {"estimated_bits", r.table.estimated_bits}};
      row["best"] = r.results.empty() ? "" : std::string(CodecName(codecs[best_of(r.results)]));
      // Each plane (float byte plane, block field) with its own smallest codec.
      uint64_t best_per_plane = 0;
      for (const auto& by_codec : r.plane_bytes_by_codec)
        best_per_plane += by_codec.empty() ? 0 : *std::min_element(by_codec.begin(), by_codec.end());
      row["best_per_plane_bytes"] = best_per_plane;
      if (!r.astc.empty()) {
        nlohmann::ordered_json a = nlohmann::ordered_json::object();
        for (const auto& f : r.astc)
          a[f.footprint.Name()] = {{"bits_per_weight", f.bits_per_weight}, {"ratio", f.ratio},
                                   {"rmse", f.error.rmse},         {"max_error", f.error.max_abs},
                                   {"snr_db", f.error.snr_db}};
        row["astc"] = std::move(a);
      }
      if (r.sparse) row["sparse_formats"] = sparse_json(*r.sparse, r.sparse->limit_bytes());
      j["tensors"].push_back(std::move(row));
    }
    j["totals"] = {{"tensors", reports.size()},
                   {"elements", total_elements},
                   {"bytes", total_plane_bytes},
                   {"entropy_bits_per_value", total_elements ? total_entropy_bits / double(total_elements) : 0.0},
                   {"codecs", codec_json(totals, total_elements)},
                   {"best", totals.empty() ? "" : std::string(CodecName(codecs[best_of(totals)]))}};
    if (dequantized_blocks) j["dequantized_block_tensors"] = dequantized_blocks;
    if (args.fields) {
      j["fields"] = nlohmann::ordered_json::array();
      for (const auto& f : field_totals)
        j["fields"].push_back({{"dtype", f.dtype}, {"field", f.field}, {"bytes", f.bytes},
                               {"entropy_bits_per_byte", f.bytes ? f.entropy_bits / double(f.bytes) : 0.0},
                               {"best_per_tensor_bytes", f.best_bytes}});
      j["block_fields_total"] = {{"bytes", block_raw_bytes}, {"best_per_field_bytes", block_best_bytes}};
    }
    if (args.sparse) {
      j["sparse_formats_total"] = sparse_json(sparse_total, sparse_total_limit);
      j["sparse_formats_total"]["tensors"] = sparse_tensors;
    }
    j["skipped"] = nlohmann::ordered_json::array();
    for (const auto& [name, why] : skipped) j["skipped"].push_back({{"name", name}, {"reason", why}});
    fmt::print("{}\n", j.dump(2));
    return Status::Ok();
  }

  size_t name_w = 5;
  for (const auto& r : reports) name_w = std::max(name_w, r.tensor->name().size());
  name_w = std::min<size_t>(name_w, 40);
  fmt::print("{} ({} tensors coded{})\n", args.file, reports.size(),
             skipped.empty() ? "" : fmt::format(", {} skipped", skipped.size()));
  fmt::print("compression ratio against the uncoded bytes (* = best); H = order-0 entropy in bits/value "
             "(float tensors: byte planes, H summed over planes)\n");
  fmt::print("{:<{}} {:>3} {:>10} {:>6}", "name", name_w, "dt", "values", "H");
  for (Codec c : codecs) fmt::print(" {:>9}", ShortName(c));
  fmt::print("\n");
  auto print_row = [&](const std::string& name, const std::string& dt, uint64_t n, uint64_t bytes, double h,
                       const std::vector<CodecResult>& res) {
    std::string shown = name.size() > name_w ? "…" + name.substr(name.size() - name_w + 1) : name;
    fmt::print("{:<{}} {:>3} {:>10} {:>6.3f}", shown, name_w, dt, n, h);
    const size_t best = best_of(res);
    for (size_t c = 0; c < res.size(); ++c) {
      const double ratio = res[c].total_bytes ? double(bytes) / double(res[c].total_bytes) : 0;
      fmt::print(" {:>9}", Ratio(ratio) + (c == best ? "*" : " "));
    }
    fmt::print("\n");
  };
  for (const auto& r : reports)
    print_row(r.tensor->name(), r.planes.size() == 1 ? r.planes[0].coded_dtype : std::string(DTypeName(r.tensor->dtype())),
              r.tensor->elements(), r.plane_bytes, r.entropy, r.results);
  if (!reports.empty()) {
    const double h = total_elements ? total_entropy_bits / double(total_elements) : 0;
    print_row("total", "", total_elements, total_plane_bytes, h, totals);
    fmt::print("{:<{}} {:>3} {:>10} {:>6}", "bits/value", name_w, "", "", "");
    for (const auto& t : totals)
      fmt::print(" {:>9}", fmt::format("{:.3f} ", total_elements ? 8.0 * double(t.total_bytes) / double(total_elements) : 0));
    fmt::print("\nentropy limit: {:.3f} bits/value (ratio {:.3f})\n", h,
               h > 0 ? 8.0 * double(total_plane_bytes) / (h * double(total_elements)) : 0.0);
  }
  {
    // The lossy step behind every ratio above, over all quantized tensors.
    double err = 0, sig = 0, n = 0;
    for (const auto& r : reports)
      if (r.quant_error) {
        const double e = double(r.tensor->elements());
        err += e * r.quant_error->rmse * r.quant_error->rmse, sig += e * r.quant_error->signal_power, n += e;
      }
    if (n > 0) {
      const QuantError total = QuantErrorFromMse(err / n, sig / n);
      fmt::print("quantization error (int8, weights per {}): SQNR {:.1f} dB, RMSE {:.4g} over {} values\n",
                 args.granularity, total.sqnr_db, total.rmse, uint64_t(n));
    }
  }
  fmt::print("atal-o0 = atalanta-order0, atal-rans = atalanta-rans; sizes include tables, headers and chunk index\n");
  if (args.astc) {
    fmt::print("\nASTC (lossy; one weight per texel, quality {}): bits per weight include partial edge blocks and "
               "the 8-byte affine map; ratio against fp32; errors in the weight domain\n",
               args.astc_quality);
    fmt::print("{:<{}} {:>7} {:>9} {:>8} {:>11} {:>11} {:>8}\n", "name", name_w, "block", "bits/w", "ratio",
               "RMSE", "max error", "SNR dB");
    for (const auto& r : reports) {
      const std::string& name = r.tensor->name();
      std::string shown = name.size() > name_w ? "…" + name.substr(name.size() - name_w + 1) : name;
      for (const auto& f : r.astc)
        fmt::print("{:<{}} {:>7} {:>9.3f} {:>8.2f} {:>11.4g} {:>11.4g} {:>8.2f}\n", shown, name_w, f.footprint.Name(),
                   f.bits_per_weight, f.ratio, f.error.rmse, f.error.max_abs, f.error.snr_db);
    }
  }
  if (args.fields && !field_totals.empty()) {
    fmt::print("\nGGUF block fields (lossless; each field of each tensor coded with its smallest codec; H in bits/byte)\n");
    fmt::print("{:<8} {:<12} {:>12} {:>6} {:>12} {:>7}\n", "dtype", "field", "bytes", "H", "coded", "ratio");
    for (const auto& f : field_totals)
      fmt::print("{:<8} {:<12} {:>12} {:>6.3f} {:>12} {:>7.3f}\n", f.dtype, f.field, f.bytes,
                 f.bytes ? f.entropy_bits / double(f.bytes) : 0.0, f.best_bytes,
                 f.best_bytes ? double(f.bytes) / double(f.best_bytes) : 0.0);
    fmt::print("{:<8} {:<12} {:>12} {:>6} {:>12} {:>7.3f}\n", "total", "", block_raw_bytes, "", block_best_bytes,
               block_best_bytes ? double(block_raw_bytes) / double(block_best_bytes) : 0.0);
  }
  if (args.sparse) {
    fmt::print("\nsparse formats (lossless, exact encoded bytes of each weight matrix as stored; limit = values + "
               "elements x H2(density) bits; best = smallest format / limit; 2:4 only where every group of 4 along "
               "the reduction holds <= 2 non-zeros)\n");
    fmt::print("{:<{}} {:>8} {:>11} {:>11} {:>11} {:>11} {:>11} {:>11}  {}\n", "name", name_w, "sparsity", "dense", "CSR",
               "CSC", "block4x4", "2:4", "limit", "best");
    auto sparse_row = [&](const std::string& name, const sparse::FormatSizes& f, double limit) {
      std::string shown = name.size() > name_w ? "…" + name.substr(name.size() - name_w + 1) : name;
      const SparseColumn& best = SmallestSparse(f);
      fmt::print("{:<{}} {:>7.2f}% {:>11} {:>11} {:>11} {:>11} {:>11} {:>11.0f}  {} {:.3f}x\n", shown, name_w,
                 f.elements ? 100.0 * (1.0 - double(f.nonzeros) / double(f.elements)) : 0.0, f.dense, f.csr, f.csc,
                 f.block4x4, f.nm24 ? fmt::format("{}", f.nm24) : std::string("-"), limit, best.name,
                 limit > 0 ? double(f.*best.bytes) / limit : 0.0);
    };
    for (const auto& r : reports)
      if (r.sparse) sparse_row(r.tensor->name(), *r.sparse, r.sparse->limit_bytes());
    if (sparse_tensors) sparse_row("total", sparse_total, sparse_total_limit);
    else fmt::print("(no weight matrices among the analyzed tensors)\n");
  }
  if (dequantized_blocks)
    fmt::print(stderr, "note: {} GGUF block-quantized tensors were dequantized to f32 (bit-exact ggml values) "
                       "before the int8 quantization\n", dequantized_blocks);
  for (const auto& [name, why] : skipped) fmt::print(stderr, "skipped: {}\n", why);
  return Status::Ok();
}

}  // namespace

void AddAnalyzeCommand(CLI::App& root, std::vector<Command>& commands) {
  auto args = std::make_shared<AnalyzeArgs>();
  CLI::App* app = root.add_subcommand("analyze", "Lossless size of every tensor under every codec");
  app->add_option("file", args->file, "Model file")->required();
  app->add_option("--tensor", args->globs, "Only tensors whose name matches this glob (repeatable)");
  app->add_option("--quantize", args->quantize, "Quantize float tensors first: int8");
  app->add_option("--granularity", args->granularity,
                  "With --quantize: weight scales per output channel (default) or one per tensor")
      ->check(CLI::IsMember({"channel", "tensor"}));
  app->add_flag("--activations", args->activations, "Quantize every float tensor as an activation (uint8)");
  app->add_option("--codec", args->codecs, "Only these codecs (repeatable)");
  app->add_option("--ranges", args->ranges, "Atalanta ranges K (default 16)");
  app->add_option("--precision", args->precision, "Atalanta table precision P in bits (default 10)");
  app->add_option("--register-bits", args->register_bits, "Arithmetic coder register width (default 16)");
  app->add_option("--chunk", args->chunk, "Values per independent chunk (default 32768)");
  app->add_flag("--json", args->json, "Print a JSON object instead of a table");
  app->add_flag("--fields", args->fields,
                "GGUF block tensors: per-field sizes, order-0 entropy and best coded size (dtype x field)");
  app->add_flag("--sparse", args->sparse,
                "Add the sparse formats (CSR, CSC, 4x4 block bitmap, 2:4) of every weight matrix against the "
                "entropy limit of its zero map");
  app->add_flag("--astc", args->astc, "Add lossy ASTC rows per footprint for float tensors of rank >= 2");
  app->add_option("--astc-blocks", args->astc_blocks, "ASTC footprints, comma-separated or 'all' (default 4x4,6x6,8x8,12x12)");
  app->add_option("--astc-quality", args->astc_quality, "ASTC encoder quality 0..100 (default 20)");
  commands.push_back({app, [args] { return RunAnalyze(*args); }});
}

}  // namespace tp::cli
