// `tensorpress compress IN -o OUT.tpz` and `tensorpress decompress IN.tpz -o
// OUT.safetensors`: a lossless round trip of a whole model through the .tpz
// container (include/tensorpress/tpz.h), with weight matrices optionally
// stored lossily as ASTC textures (`--astc 6x6`).
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>

#include "cli.h"
#include "engine_cli.h"
#include "tensorpress/container.h"
#include "tensorpress/astc.h"
#include "tensorpress/fp8.h"
#include "tensorpress/half.h"
#include "tensorpress/model.h"
#include "tensorpress/quant.h"
#include "tensorpress/tpz.h"

namespace tp::cli {
namespace {

struct CompressArgs {
  EngineArgs engine;
  bool decompress = false;  // compress -d
  bool keep = true;         // -k: the default, accepted for zstd habits
  std::string to;           // decompress --to safetensors
  std::string in, out, codec = "auto", quantize, layout = "auto", cast, elements;
  uint32_t chunk = 0;
  std::vector<std::string> globs;
  bool activations = false;
  bool dequantize = false;
  bool force = false;
  bool stats = false;
  bool json = false;
  // ASTC (lossy) weight matrices.
  std::string astc_block, affine = "tensor";
  std::vector<std::string> astc_globs;
  bool rgba = false;
  int quality = 60, affine_tile = 1;
  uint64_t astc_min_elements = 4096;
};

// --cast: f32 tensors rounded to f16 or bf16 (nearest even), a lossy step
// like --quantize that yields the 16-bit model a user would ship.
StatusOr<Tensor> CastTo(const Tensor& t, DType to) {
  auto x = t.values<float>();
  // FP8 (OCP E4M3/E5M2): nearest even, saturating at the largest finite
  // value (the OCP SAT mode) so a large weight is clamped, never infinite.
  if (to == DType::kF8E4M3 || to == DType::kF8E5M2) {
    std::vector<uint8_t> codes(x.size());
    CastToFp8(x, to == DType::kF8E4M3 ? Fp8Format::kE4M3 : Fp8Format::kE5M2, /*saturate=*/true, codes);
    return Tensor::FromBytes(t.name(), to, t.shape(), std::move(codes));
  }
  std::vector<uint16_t> h(x.size());
  for (size_t i = 0; i < x.size(); ++i) h[i] = to == DType::kF16 ? FloatToHalf(x[i]) : FloatToBf16(x[i]);
  return Tensor::FromValues<uint16_t>(t.name(), to, t.shape(), h);
}

// The dtype a --cast name asks for.
StatusOr<DType> CastTarget(const std::string& name) {
  if (name == "f16" || name == "bf16") return *DTypeFromName(name);
  if (name == "fp8-e4m3") return DType::kF8E4M3;
  if (name == "fp8-e5m2") return DType::kF8E5M2;
  return InvalidArgumentError("--cast supports f16, bf16, fp8-e4m3 and fp8-e5m2 (not '" + name + "')");
}

// Error of a lossy step, summed over tensors.
struct LossyError {
  uint64_t tensors = 0, values = 0;
  double squared = 0, signal = 0, max_abs = 0;
  double Rmse() const { return values ? std::sqrt(squared / double(values)) : 0.0; }
  double SnrDb() const { return squared > 0 ? 10 * std::log10(signal / squared) : INFINITY; }
};
void AddError(const Tensor& before, const Tensor& after, LossyError& e) {
  const uint64_t n = std::min(before.elements(), after.elements());
  std::vector<double> a(4096), b(4096);
  for (uint64_t at = 0; at < n; at += a.size()) {
    const uint64_t k = std::min<uint64_t>(a.size(), n - at);
    ElementsAsDouble(before, at, k, a.data());
    ElementsAsDouble(after, at, k, b.data());
    for (uint64_t i = 0; i < k; ++i) {
      const double d = a[i] - b[i];
      e.squared += d * d;
      e.signal += a[i] * a[i];
      e.max_abs = std::max(e.max_abs, std::abs(d));
    }
  }
  e.values += n;
  ++e.tensors;
}

double EntropyBits(const TpzPlaneReport& p) { return p.entropy_bits * double(p.bytes); }

// Per plane name: values, uncoded bytes, entropy, coded bytes, codecs used.
void PrintStats(const TpzReport& report, uint64_t in_bytes) {
  struct Row {
    uint64_t bytes = 0, coded = 0;
    double entropy_bits = 0;
    std::map<std::string, uint64_t> codecs;  // codec -> coded bytes
  };
  std::map<std::string, Row> rows;
  std::map<std::string, uint64_t> layouts;
  uint64_t tried_bytes = 0, tried_fields = 0, n_both = 0;
  for (const auto& t : report.tensors) {
    layouts[std::string(TpzLayoutName(t.layout))] += t.bytes;
    if (t.tried.size() == 2) {
      tried_bytes += t.tried[0].second;
      tried_fields += t.tried[1].second;
      n_both += t.bytes;
    }
    for (const auto& p : t.planes) {
      Row& r = rows[std::string(DTypeName(t.dtype)) + " " + p.name];
      r.bytes += p.bytes;
      r.coded += p.coded_bytes;
      r.entropy_bits += EntropyBits(p);
      r.codecs[p.codec] += p.coded_bytes;
    }
  }
  fmt::print("{:<24} {:>13} {:>9} {:>13} {:>9}  {}\n", "plane", "bytes", "H b/byte", "coded", "b/byte", "codecs (share of coded bytes)");
  for (const auto& [name, r] : rows) {
    std::string codecs;
    for (const auto& [c, b] : r.codecs)
      codecs += fmt::format("{}{} {:.0f}%", codecs.empty() ? "" : ", ", c, r.coded ? 100.0 * double(b) / double(r.coded) : 0);
    fmt::print("{:<24} {:>13} {:>9.3f} {:>13} {:>9.3f}  {}\n", name, r.bytes, r.bytes ? r.entropy_bits / double(r.bytes) : 0,
               r.coded, r.bytes ? 8.0 * double(r.coded) / double(r.bytes) : 0, codecs);
  }
  for (const auto& [l, b] : layouts) fmt::print("layout {}: {} of {} tensor bytes\n", l, b, in_bytes);
  if (n_both)
    fmt::print("float tensors ({} bytes): byte planes {} bytes (ratio {:.3f}), fields {} bytes (ratio {:.3f})\n", n_both,
               tried_bytes, double(n_both) / double(tried_bytes), tried_fields, double(n_both) / double(tried_fields));
  fmt::print("header {} bytes\n", report.header_bytes);
}

nlohmann::ordered_json ReportJson(const TpzReport& report) {
  nlohmann::ordered_json j;
  j["header_bytes"] = report.header_bytes;
  j["file_bytes"] = report.file_bytes;
  j["tensors"] = nlohmann::ordered_json::array();
  for (const auto& t : report.tensors) {
    nlohmann::ordered_json tj;
    tj["name"] = t.name;
    tj["dtype"] = std::string(DTypeName(t.dtype));
    tj["elements"] = t.elements;
    tj["bytes"] = t.bytes;
    tj["layout"] = std::string(TpzLayoutName(t.layout));
    tj["tried"] = nlohmann::ordered_json::object();
    for (const auto& [l, b] : t.tried) tj["tried"][std::string(TpzLayoutName(l))] = b;
    tj["planes"] = nlohmann::ordered_json::array();
    for (const auto& p : t.planes)
      tj["planes"].push_back({{"name", p.name}, {"codec", p.codec}, {"bytes", p.bytes}, {"coded_bytes", p.coded_bytes},
                              {"entropy_bits_per_byte", p.entropy_bits}});
    j["tensors"].push_back(std::move(tj));
  }
  return j;
}

void PrintLossy(const std::string& path) {
  auto file = MappedFile::Open(path);
  if (!file.ok()) return;
  auto lossy = TpzLossyTensors((*file)->bytes(), path);
  if (!lossy.ok() || lossy->empty()) return;
  fmt::print("lossy tensors (weight-domain error measured when written):\n");
  for (const TpzLossyTensor& t : *lossy)
    fmt::print("  {}: {}, {:.3f} bits/weight, RMSE {:.6g}, max error {:.6g}, SNR {:.2f} dB\n", t.name, t.codec,
               t.bits_per_weight, t.rmse, t.max_error, t.snr_db);
}

// Which tensors become ASTC textures: float matrices (rank >= 2) of at least
// the minimum size, narrowed by --astc-tensor globs; the rest stay lossless.
StatusOr<std::vector<std::pair<std::string, astc::AstcTensor>>> EncodeAstcTensors(const Model& model,
                                                                                  const CompressArgs& args) {
  astc::TensorEncodeOptions o;
  int bx = 0, by = 0;
  char extra = 0;
  if (std::sscanf(args.astc_block.c_str(), "%dx%d%c", &bx, &by, &extra) != 2 || !astc::IsValidFootprint(bx, by))
    return InvalidArgumentError("--astc " + args.astc_block + ": expected an ASTC 2-D footprint such as 6x6");
  if (args.quality < 0 || args.quality > 100) return InvalidArgumentError("--quality must be 0..100");
  if (args.affine != "tensor" && args.affine != "block") return InvalidArgumentError("--affine must be tensor or block");
  if (args.affine_tile < 1 || args.affine_tile > 4096) return InvalidArgumentError("--affine-tile must be 1..4096");
  o.encode.block_x = bx;
  o.encode.block_y = by;
  o.encode.quality = args.quality;
  o.affine_tile = args.affine == "block" ? args.affine_tile : 0;
  std::vector<std::pair<std::string, astc::AstcTensor>> out;
  for (const Tensor& t : model.tensors) {
    if (!astc::IsWeightMatrix(t)) continue;
    if (t.dtype() != DType::kF32 && t.dtype() != DType::kF64 && t.dtype() != DType::kF16 && t.dtype() != DType::kBF16)
      continue;
    bool keep = args.astc_globs.empty() && t.elements() >= args.astc_min_elements;
    for (const auto& g : args.astc_globs) keep = keep || GlobMatch(g, t.name());
    if (!keep) continue;
    // RGBA packs four consecutive weights of a row; a row that is not a
    // multiple of 4 stays luminance.
    o.rgba = args.rgba && t.shape().back() % 4 == 0;
    TP_ASSIGN_OR_RETURN(astc::AstcTensor a, astc::EncodeTensor(t, o));
    out.push_back({t.name(), std::move(a)});
  }
  if (out.empty()) return InvalidArgumentError("--astc: no float weight matrix was selected");
  return out;
}

Status RunCompress(const CompressArgs& args) {
  TpzOptions options;
  options.codec_options.threads = 0;
  if (args.codec != "auto") {
    auto c = CodecFromName(args.codec);
    if (!c) return InvalidArgumentError(UnknownCodecMessage(args.codec));
    options.codec = *c;
  }
  if (!args.quantize.empty() && args.quantize != "int8") return InvalidArgumentError("--quantize supports only int8");
  auto layout = TpzLayoutFromName(args.layout);
  if (!layout) return InvalidArgumentError("unknown layout '" + args.layout + "' (auto, bytes, fields, whole)");
  options.layout = *layout;
  if (args.chunk) options.codec_options.chunk_values = args.chunk;
  TP_RETURN_IF_ERROR(ValidateCodecOptions(options.codec_options));
  std::optional<DType> cast;
  if (!args.cast.empty()) {
    TP_ASSIGN_OR_RETURN(DType to, CastTarget(args.cast));
    if (!args.quantize.empty()) return InvalidArgumentError("--cast and --quantize exclude each other");
    cast = to;
  }
  TP_ASSIGN_OR_RETURN(Model model, ReadModel(args.in));
  // Views of the untouched tensors, to measure what the lossy steps cost.
  const std::vector<Tensor> original = model.tensors;
  uint64_t input_file_bytes = 0;
  if (auto f = MappedFile::Open(args.in); f.ok()) input_file_bytes = (*f)->size();
  if (cast)
    for (Tensor& t : model.tensors)
      if (t.dtype() == DType::kF32) {
        TP_ASSIGN_OR_RETURN(t, CastTo(t, *cast));
      }
  uint64_t in_bytes = 0;
  for (const Tensor& t : model.tensors) in_bytes += t.nbytes();
  // Expected read-back of each ASTC tensor: its decode, not the original.
  std::map<std::string, Tensor> astc_expected;
  if (!args.astc_block.empty()) {
    TP_ASSIGN_OR_RETURN(options.astc, EncodeAstcTensors(model, args));
    for (const auto& [name, a] : options.astc)
      for (const Tensor& t : model.tensors)
        if (t.name() == name) {
          TP_ASSIGN_OR_RETURN(Tensor d, astc::DecodeTensor(a, name, t.dtype(), t.shape()));
          astc_expected.emplace(name, std::move(d));
        }
  } else if (!args.astc_globs.empty() || args.rgba || args.affine != "tensor") {
    return InvalidArgumentError("--astc-tensor, --rgba and --affine need --astc FOOTPRINT");
  }
  if (args.quantize == "int8") {
    // The explicit lossy step: float tensors become int8 weights / uint8
    // activations whose parameters the container records.
    PrepareOptions prep;
    prep.quantize_int8 = true;
    prep.all_activations = args.activations;
    prep.keras_safetensors = model.format == ModelFormat::kSafetensors;
    for (Tensor& t : model.tensors) {
      if (!Traits(t.dtype()).is_float || Traits(t.dtype()).is_quantized_block) continue;
      if (astc_expected.count(t.name())) continue;  // stored as ASTC instead
      TP_ASSIGN_OR_RETURN(Tensor q, QuantizeForCoding(t, prep));
      options.original_dtype.push_back({t.name(), std::string(DTypeName(t.dtype()))});
      q.set_name(t.name());
      t = std::move(q);
    }
  }
  WriteOptions write;
  write.overwrite = args.force;
  TpzReport report;
  TP_RETURN_IF_ERROR(WriteTpz(args.out, model.tensors, model.metadata, options, write, &report));
  // Read the file back and compare: a container is only reported once it
  // is known to reproduce every tensor byte for byte.
  TP_ASSIGN_OR_RETURN(Model back, ReadTpz(args.out));
  if (back.tensors.size() != model.tensors.size()) return InternalError(args.out + ": tensor count differs on read-back");
  for (size_t i = 0; i < model.tensors.size(); ++i) {
    auto expected = astc_expected.find(model.tensors[i].name());
    const auto a = expected != astc_expected.end() ? expected->second.bytes() : model.tensors[i].bytes();
    const auto b = back.tensors[i].bytes();
    if (back.tensors[i].name() != model.tensors[i].name() || back.tensors[i].dtype() != model.tensors[i].dtype() ||
        back.tensors[i].shape() != model.tensors[i].shape() || !std::equal(a.begin(), a.end(), b.begin(), b.end()))
      return InternalError(args.out + ": tensor '" + model.tensors[i].name() + "' differs on read-back");
  }
  uint64_t out_bytes = 0;
  if (auto f = MappedFile::Open(args.out); f.ok()) out_bytes = (*f)->size();
  // The error of --cast / --quantize against the original values (ASTC
  // tensors report their own below).
  LossyError err;
  if (cast || !args.quantize.empty()) {
    for (size_t i = 0; i < model.tensors.size(); ++i) {
      const Tensor& now = model.tensors[i];
      if (now.dtype() == original[i].dtype() || astc_expected.count(now.name())) continue;
      Tensor values = now;
      if (now.quant()) {
        TP_ASSIGN_OR_RETURN(values, Dequantize(now));
      }
      AddError(original[i], values, err);
    }
  }
  if (args.json) {
    nlohmann::ordered_json j = ReportJson(report);
    j["input_file_bytes"] = input_file_bytes;
    j["ratio_vs_input_file"] = out_bytes ? double(input_file_bytes) / double(out_bytes) : 0.0;
    if (err.tensors)
      j["lossy_error"] = {{"tensors", err.tensors}, {"rmse", err.Rmse()}, {"max_error", err.max_abs},
                          {"snr_db", err.SnrDb()}};
    j["file"] = args.out;
    j["tensor_bytes"] = in_bytes;
    j["ratio"] = out_bytes ? double(in_bytes) / double(out_bytes) : 0.0;
    fmt::print("{}\n", j.dump(2));
    return Status::Ok();
  }
  if (args.stats) PrintStats(report, in_bytes);
  fmt::print("{}: {} tensors, {} ({} bytes) of tensor data -> {} ({} bytes), ratio {:.3f}, verified {}\n",
             args.out, model.tensors.size(), HumanBytes(in_bytes), in_bytes, HumanBytes(out_bytes), out_bytes,
             out_bytes ? double(in_bytes) / double(out_bytes) : 0.0,
             astc_expected.empty() ? std::string("byte-identical")
                                   : fmt::format("({} ASTC tensors equal to their ASTC decode, the other {} "
                                                 "byte-identical)",
                                                 astc_expected.size(), model.tensors.size() - astc_expected.size()));
  if (err.tensors || !astc_expected.empty())
    fmt::print("lossy: {} -> {} bytes against the input file ({} bytes), ratio {:.3f}\n", args.in, out_bytes,
               input_file_bytes, out_bytes ? double(input_file_bytes) / double(out_bytes) : 0.0);
  if (err.tensors)
    fmt::print("  {} on {} tensors: RMSE {:.6g}, max error {:.6g}, SNR {:.2f} dB (against the original values)\n",
               cast ? "--cast " + args.cast : "--quantize " + args.quantize, err.tensors, err.Rmse(), err.max_abs,
               err.SnrDb());
  PrintLossy(args.out);
  return Status::Ok();
}

// --cast alone: the cast model is written as safetensors to a temporary
// file one tensor at a time, then compressed by the streaming engine like any
// file, so `decompress` gives that 16-bit safetensors file back. Memory is one
// tensor plus the engine's window, where the version-2 path held the model
// several times over (MiniLM --cast bf16: 67 s and 719 MB peak before).
Status RunCastEngine(CompressArgs& c) {
  TP_ASSIGN_OR_RETURN(const DType to, CastTarget(c.cast));
  if (c.engine.rm)
    return InvalidArgumentError("--rm does not apply to a lossy --cast (the input is the only full-precision copy)");
  TP_ASSIGN_OR_RETURN(Model model, ReadModel(c.in));
  uint64_t input_file_bytes = 0;
  if (auto f = MappedFile::Open(c.in); f.ok()) input_file_bytes = (*f)->size();
  std::vector<TensorSpec> specs;
  for (const Tensor& t : model.tensors)
    specs.push_back({t.name(), t.dtype() == DType::kF32 ? to : t.dtype(), t.shape()});
  TP_ASSIGN_OR_RETURN(std::string temp, TemporaryPath("cast"));
  struct Cleanup {
    std::string p;
    ~Cleanup() { ::unlink(p.c_str()); }
  } cleanup{temp};
  LossyError err;
  WriteOptions w;
  w.overwrite = true;
  TP_RETURN_IF_ERROR(WriteSafetensorsFrom(temp, specs, model.metadata, [&](size_t i) -> StatusOr<Tensor> {
    const Tensor& t = model.tensors[i];
    if (t.dtype() != DType::kF32) return t;
    TP_ASSIGN_OR_RETURN(Tensor cast, CastTo(t, to));
    AddError(t, cast, err);
    return cast;
  }, w).WithContext("--cast " + c.cast));
  std::string base = c.in.substr(c.in.find_last_of('/') + 1);
  const std::string ext = ".safetensors";
  if (base.size() < ext.size() || base.compare(base.size() - ext.size(), ext.size(), ext) != 0) {
    const size_t dot = base.find_last_of('.');
    base = (dot == std::string::npos || dot == 0 ? base : base.substr(0, dot)) + ext;
  }
  EngineArgs a = c.engine;
  a.inputs = {c.in};
  a.force = c.force;
  a.stats = c.stats;
  a.json = c.json;
  a.codec = c.codec == "auto" ? "" : c.codec;
  a.lossy_note = fmt::format(
      "  --cast {} on {} tensors: RMSE {:.6g}, max error {:.6g}, SNR {:.2f} dB against the original values; "
      "decompress gives the cast model as {}",
      c.cast, err.tensors, err.Rmse(), err.max_abs, err.SnrDb(), base);
  a.lossy_input_bytes = input_file_bytes;
  a.lossy_fields = {{"cast_tensors", double(err.tensors)}, {"rmse", err.Rmse()}, {"max_error", err.max_abs},
                    {"snr_db", err.SnrDb()}, {"input_file_bytes", double(input_file_bytes)}};
  return CompressPrepared(temp, c.in, base, a);
}

// --dequantize: tensors with quantization parameters as their f32 values.
Status DequantizeAll(std::vector<Tensor>& tensors) {
  for (Tensor& t : tensors) {
    if (!t.quant()) continue;
    TP_ASSIGN_OR_RETURN(Tensor real, Dequantize(t));
    real.set_name(t.name());
    t = std::move(real);
  }
  return Status::Ok();
}

// A version-3 container's tensors (or slices of them) as safetensors.
Status RunStreamingToSafetensors(const CompressArgs& args, std::optional<std::pair<uint64_t, uint64_t>> range) {
  TP_ASSIGN_OR_RETURN(auto mapped, MappedFile::Open(args.in));
  TP_ASSIGN_OR_RETURN(TpzArchive archive, TpzArchive::Open(mapped, args.in));
  std::vector<Tensor> tensors;
  const auto& info = archive.info();
  for (size_t i = 0; i < info.tensors.size(); ++i) {
    bool keep = args.globs.empty();
    for (const auto& g : args.globs) keep = keep || GlobMatch(g, info.tensors[i].name);
    if (!keep) continue;
    if (range) {
      TP_ASSIGN_OR_RETURN(Tensor t, archive.ReadElements(i, range->first, range->second, args.engine.threads));
      tensors.push_back(std::move(t));
    } else {
      TP_ASSIGN_OR_RETURN(Tensor t, archive.ReadTensor(i, args.engine.threads));
      tensors.push_back(std::move(t));
    }
  }
  if (tensors.empty()) return NotFoundError(args.in + ": no tensor matches --tensor");
  if (args.dequantize) TP_RETURN_IF_ERROR(DequantizeAll(tensors));
  WriteOptions write;
  write.overwrite = args.force;
  TP_RETURN_IF_ERROR(WriteSafetensors(args.out, tensors, info.metadata, write));
  if (!args.engine.quiet) fmt::print("{}: {} tensors\n", args.out, tensors.size());
  return Status::Ok();
}

Status RunDecompress(const CompressArgs& args) {
  // --elements BEGIN:COUNT: that slice of each selected tensor, decoding only its chunks.
  std::optional<std::pair<uint64_t, uint64_t>> range;
  if (!args.elements.empty()) {
    const size_t colon = args.elements.find(':');
    uint64_t b = 0, c = 0;
    try {
      size_t used_b = 0, used_c = 0;
      if (colon == std::string::npos) throw std::invalid_argument("no colon");
      b = std::stoull(args.elements.substr(0, colon), &used_b);
      c = std::stoull(args.elements.substr(colon + 1), &used_c);
      if (used_b != colon || used_c != args.elements.size() - colon - 1) throw std::invalid_argument("trailing");
    } catch (const std::exception&) {
      return InvalidArgumentError("--elements expects BEGIN:COUNT, got '" + args.elements + "'");
    }
    if (args.globs.empty()) return InvalidArgumentError("--elements needs --tensor");
    range = {b, c};
  }
  if (IsStreamingContainer(args.in)) {
    return RunStreamingToSafetensors(args, range);
  }
  Model model;
  if (args.globs.empty()) {
    TP_ASSIGN_OR_RETURN(model, ReadTpz(args.in));
  } else {
    // Only the matching tensors are decoded.
    TP_ASSIGN_OR_RETURN(TpzReader reader, TpzReader::Open(args.in));
    model.metadata = reader.metadata();
    for (const TpzTensorInfo& info : reader.tensors()) {
      bool keep = false;
      for (const auto& g : args.globs) keep = keep || GlobMatch(g, info.name);
      if (!keep) continue;
      if (range) {
        TP_ASSIGN_OR_RETURN(Tensor t, reader.ReadElements(info.name, range->first, range->second));
        model.tensors.push_back(std::move(t));
      } else {
        TP_ASSIGN_OR_RETURN(Tensor t, reader.ReadTensor(info.name));
        model.tensors.push_back(std::move(t));
      }
    }
    if (model.tensors.empty()) return NotFoundError(args.in + ": no tensor matches --tensor");
  }
  if (args.dequantize) TP_RETURN_IF_ERROR(DequantizeAll(model.tensors));
  WriteOptions write;
  write.overwrite = args.force;
  TP_RETURN_IF_ERROR(WriteSafetensors(args.out, model.tensors, model.metadata, write));
  fmt::print("{}: {} tensors\n", args.out, model.tensors.size());
  PrintLossy(args.in);
  return Status::Ok();
}

// Options of the version-2 path (lossy steps, per-value chunking, layouts).
bool WantsLegacy(const CompressArgs& c) {
  return !c.quantize.empty() || !c.astc_block.empty() || !c.cast.empty() || c.layout != "auto" || c.chunk != 0 ||
         c.activations || c.rgba || !c.astc_globs.empty() || c.affine != "tensor";
}

Status Dispatch(CompressArgs& c, bool decompress) {
  if (c.engine.inputs.empty()) return InvalidArgumentError("no input file");
  const std::string& first = c.engine.inputs.front();
  c.in = first;
  if (!decompress) {
    if (!WantsLegacy(c)) {
      c.engine.codec = c.codec == "auto" ? "" : c.codec;
      c.engine.force = c.force;
      c.engine.stats = c.stats;
      c.engine.json = c.json;
      return RunEngine(c.engine, false);
    }
    if (c.engine.inputs.size() != 1) return InvalidArgumentError("lossy options take one input file");
    const bool cast_only = !c.cast.empty() && c.quantize.empty() && c.astc_block.empty() && c.layout == "auto" &&
                           c.chunk == 0 && !c.activations && !c.rgba && c.astc_globs.empty() && c.affine == "tensor";
    if (cast_only) return RunCastEngine(c);
    c.out = c.engine.output.empty() ? first + ".tpz" : c.engine.output;
    if (c.out == "-" || c.engine.to_stdout) return InvalidArgumentError("lossy options need an output file, not stdout");
    if (c.engine.fast || c.engine.max || c.engine.raw)
      return InvalidArgumentError("--fast, --max and --raw apply to lossless compression only");
    return RunCompress(c);
  }
  const bool convert = !c.to.empty() || !c.globs.empty() || !c.elements.empty() || c.dequantize;
  if (!c.to.empty() && c.to != "safetensors") return InvalidArgumentError("--to supports safetensors");
  if (!convert && IsStreamingContainer(first)) {
    c.engine.force = c.force;
    return RunEngine(c.engine, true);
  }
  if (c.engine.inputs.size() != 1) return InvalidArgumentError("--to, --tensor, --elements and version-2 files take one input");
  if (first == "-") return InvalidArgumentError("--to, --tensor and --elements need a .tpz file, not standard input");
  if (c.engine.output.empty()) {
    const bool tpz = first.size() > 4 && first.compare(first.size() - 4, 4, ".tpz") == 0;
    std::string base = tpz ? first.substr(0, first.size() - 4) : first;
    // A version-2 file holds tensors, not a file: it restores as safetensors.
    if (base.size() < 12 || base.compare(base.size() - 12, 12, ".safetensors") != 0) base += ".safetensors";
    c.out = base;
  } else {
    c.out = c.engine.output;
  }
  if (c.out == "-" || c.engine.to_stdout) return InvalidArgumentError("--to safetensors needs an output file");
  return RunDecompress(c);
}

void AddEngineFlags(CLI::App* app, CompressArgs& c) {
  app->add_option("files", c.engine.inputs, "Input files or folders ('-' for standard input)")->required();
  app->add_option("-o,--output", c.engine.output, "Output file ('-' for standard output); default: beside the input");
  app->add_flag("-c,--stdout", c.engine.to_stdout, "Write to standard output");
  app->add_flag("-k,--keep", c.keep, "Keep the input files (the default)");
  app->add_flag("--rm", c.engine.rm, "Remove each input file after it was written and verified");
  app->add_flag("-f,--force", c.force, "Overwrite existing output files");
  app->add_option("-T,--threads", c.engine.threads, "Threads (default 0: all cores; 1: one thread)");
  app->add_flag("-q,--quiet", c.engine.quiet, "No progress and no summary");
}

}  // namespace

void AddCompressCommand(CLI::App& root, std::vector<Command>& commands) {
  auto c = std::make_shared<CompressArgs>();
  CLI::App* app = root.add_subcommand(
      "compress", "Compress model files losslessly (FILE -> FILE.tpz, restored byte for byte by decompress)");
  AddEngineFlags(app, *c);
  app->add_flag("-d,--decompress", c->decompress, "Decompress instead (same as the decompress verb)");
  app->add_flag("--fast", c->engine.fast, "Fastest: zstd -1 on non-tensor bytes");
  app->add_flag("--max", c->engine.max,
                "Smallest: every codec and both float layouts tried per chunk, zstd -19 on other bytes (slow)");
  app->add_flag("--raw", c->engine.raw, "Store files the readers cannot parse as zstd-coded bytes instead of failing");
  app->add_flag("--no-verify", c->engine.no_verify, "Skip decoding each chunk back while it is in memory");
  app->add_option("--chunk-size", c->engine.chunk_bytes, "Bytes per independently coded chunk (default 1048576)");
  app->add_option("--codec", c->codec, "auto (default) or one codec for every coded plane");
  app->add_option("--layout", c->layout,
                  "Version-2 container: auto, bytes, fields or whole");
  app->add_option("--chunk", c->chunk, "Version-2 container: values per independent chunk");
  app->add_option("--cast", c->cast,
                  "f16, bf16, fp8-e4m3 or fp8-e5m2: round f32 tensors to that type first (lossy, nearest even; FP8 "
                  "saturates at its largest finite value); decompress gives the cast model as safetensors");
  app->add_flag("--stats", c->stats, "Print per-plane sizes, entropies and codecs");
  app->add_flag("--json", c->json, "Print the report as JSON");
  app->add_option("--quantize", c->quantize, "int8: quantize float tensors first (lossy; parameters recorded)");
  app->add_flag("--activations", c->activations, "With --quantize: every float tensor is an activation (uint8)");
  app->add_option("--astc", c->astc_block, "Store float weight matrices lossily as ASTC at this footprint (6x6, ...)");
  app->add_option("--astc-tensor", c->astc_globs,
                  "With --astc: only tensors matching this glob (repeatable; default: rank >= 2, >= 4096 elements)");
  app->add_option("--astc-min-elements", c->astc_min_elements, "With --astc and no --astc-tensor: smallest matrix");
  app->add_flag("--rgba", c->rgba, "With --astc: four consecutive weights per texel");
  app->add_option("--quality", c->quality, "With --astc: encoder effort 0..100 (default 60)");
  app->add_option("--affine", c->affine, "With --astc: tensor (one affine map) or block (one per tile of blocks)");
  app->add_option("--affine-tile", c->affine_tile, "With --affine block: N x N blocks share a map (default 1)");
  commands.push_back({app, [c] { return Dispatch(*c, c->decompress); }});

  auto d = std::make_shared<CompressArgs>();
  CLI::App* dapp = root.add_subcommand(
      "decompress", "Restore FILE.tpz to FILE, byte for byte (or convert to safetensors with --to)");
  AddEngineFlags(dapp, *d);
  dapp->add_option("--to", d->to, "safetensors: write the tensors as safetensors instead of the original file");
  dapp->add_option("--tensor", d->globs, "Only tensors whose name matches this glob (repeatable; implies --to safetensors)");
  dapp->add_option("--elements", d->elements, "BEGIN:COUNT: only these elements of each --tensor, as 1-D tensors");
  dapp->add_flag("--dequantize", d->dequantize, "Write quantized tensors back as f32 real values");
  commands.push_back({dapp, [d] { return Dispatch(*d, true); }});
}

}  // namespace tp::cli
