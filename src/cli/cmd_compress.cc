// `tensorpress compress IN -o OUT.tpz` and `tensorpress decompress IN.tpz -o
// OUT.safetensors`: a lossless round trip of a whole model through the .tpz
// container (include/tensorpress/tpz.h), with weight matrices optionally
// stored lossily as ASTC textures (`--astc 6x6`).
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <map>

#include "cli.h"
#include "tensorpress/astc.h"
#include "tensorpress/model.h"
#include "tensorpress/quant.h"
#include "tensorpress/tpz.h"

namespace tp::cli {
namespace {

struct CompressArgs {
  std::string in, out, codec = "auto", quantize;
  bool activations = false;
  bool dequantize = false;
  bool force = false;
  // ASTC (lossy) weight matrices.
  std::string astc_block, affine = "tensor";
  std::vector<std::string> astc_globs;
  bool rgba = false;
  int quality = 60, affine_tile = 1;
  uint64_t astc_min_elements = 4096;
};

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
    if (!c) return InvalidArgumentError("unknown codec '" + args.codec + "'");
    options.codec = *c;
  }
  if (!args.quantize.empty() && args.quantize != "int8") return InvalidArgumentError("--quantize supports only int8");
  TP_ASSIGN_OR_RETURN(Model model, ReadModel(args.in));
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
  TP_RETURN_IF_ERROR(WriteTpz(args.out, model.tensors, model.metadata, options, write));
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
  fmt::print("{}: {} tensors, {} ({} bytes) of tensor data -> {} ({} bytes), ratio {:.3f}, verified {}\n",
             args.out, model.tensors.size(), HumanBytes(in_bytes), in_bytes, HumanBytes(out_bytes), out_bytes,
             out_bytes ? double(in_bytes) / double(out_bytes) : 0.0,
             astc_expected.empty() ? std::string("byte-identical")
                                   : fmt::format("({} ASTC tensors equal to their ASTC decode, the other {} "
                                                 "byte-identical)",
                                                 astc_expected.size(), model.tensors.size() - astc_expected.size()));
  PrintLossy(args.out);
  return Status::Ok();
}

Status RunDecompress(const CompressArgs& args) {
  TP_ASSIGN_OR_RETURN(Model model, ReadTpz(args.in));
  if (args.dequantize)
    for (Tensor& t : model.tensors) {
      if (!t.quant()) continue;
      TP_ASSIGN_OR_RETURN(Tensor real, Dequantize(t));
      real.set_name(t.name());
      t = std::move(real);
    }
  WriteOptions write;
  write.overwrite = args.force;
  TP_RETURN_IF_ERROR(WriteSafetensors(args.out, model.tensors, model.metadata, write));
  fmt::print("{}: {} tensors\n", args.out, model.tensors.size());
  PrintLossy(args.in);
  return Status::Ok();
}

}  // namespace

void AddCompressCommand(CLI::App& root, std::vector<Command>& commands) {
  auto c = std::make_shared<CompressArgs>();
  CLI::App* app = root.add_subcommand("compress", "Code every tensor of a model losslessly into a .tpz file");
  app->add_option("file", c->in, "Model file")->required();
  app->add_option("-o,--output", c->out, "Output .tpz file")->required();
  app->add_option("--codec", c->codec, "auto (smallest per plane, default) or a codec name");
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
  app->add_flag("--force", c->force, "Overwrite the output file");
  commands.push_back({app, [c] { return RunCompress(*c); }});

  auto d = std::make_shared<CompressArgs>();
  CLI::App* dapp = root.add_subcommand("decompress", "Decode a .tpz file back into safetensors");
  dapp->add_option("file", d->in, ".tpz file")->required();
  dapp->add_option("-o,--output", d->out, "Output .safetensors file")->required();
  dapp->add_flag("--dequantize", d->dequantize, "Write quantized tensors back as f32 real values");
  dapp->add_flag("--force", d->force, "Overwrite the output file");
  commands.push_back({dapp, [d] { return RunDecompress(*d); }});
}

}  // namespace tp::cli
