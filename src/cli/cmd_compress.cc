// `tensorpress compress IN -o OUT.tpz` and `tensorpress decompress IN.tpz -o
// OUT.safetensors`: a lossless round trip of a whole model through the .tpz
// container (include/tensorpress/tpz.h).
#include <fmt/format.h>

#include <algorithm>

#include "cli.h"
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
};

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
  if (args.quantize == "int8") {
    // The explicit lossy step: float tensors become int8 weights / uint8
    // activations whose parameters the container records.
    PrepareOptions prep;
    prep.quantize_int8 = true;
    prep.all_activations = args.activations;
    prep.keras_safetensors = model.format == ModelFormat::kSafetensors;
    for (Tensor& t : model.tensors) {
      if (!Traits(t.dtype()).is_float || Traits(t.dtype()).is_quantized_block) continue;
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
    const auto a = model.tensors[i].bytes(), b = back.tensors[i].bytes();
    if (back.tensors[i].name() != model.tensors[i].name() || back.tensors[i].dtype() != model.tensors[i].dtype() ||
        back.tensors[i].shape() != model.tensors[i].shape() || !std::equal(a.begin(), a.end(), b.begin(), b.end()))
      return InternalError(args.out + ": tensor '" + model.tensors[i].name() + "' differs on read-back");
  }
  uint64_t out_bytes = 0;
  if (auto f = MappedFile::Open(args.out); f.ok()) out_bytes = (*f)->size();
  fmt::print("{}: {} tensors, {} ({} bytes) of tensor data -> {} ({} bytes), ratio {:.3f}, verified byte-identical\n",
             args.out, model.tensors.size(), HumanBytes(in_bytes), in_bytes, HumanBytes(out_bytes), out_bytes,
             out_bytes ? double(in_bytes) / double(out_bytes) : 0.0);
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
