// `tensorpress compress IN -o OUT.tpz` and `tensorpress decompress IN.tpz -o
// OUT.safetensors`: a lossless round trip of a whole model through the .tpz
// container (include/tensorpress/tpz.h).
#include <fmt/format.h>

#include <algorithm>

#include "cli.h"
#include "tensorpress/model.h"
#include "tensorpress/tpz.h"

namespace tp::cli {
namespace {

struct CompressArgs {
  std::string in, out, codec = "auto";
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
  TP_ASSIGN_OR_RETURN(Model model, ReadModel(args.in));
  WriteOptions write;
  write.overwrite = args.force;
  TP_RETURN_IF_ERROR(WriteTpz(args.out, model.tensors, model.metadata, options, write));
  uint64_t in_bytes = 0;
  for (const Tensor& t : model.tensors) in_bytes += t.nbytes();
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
  app->add_flag("--force", c->force, "Overwrite the output file");
  commands.push_back({app, [c] { return RunCompress(*c); }});

  auto d = std::make_shared<CompressArgs>();
  CLI::App* dapp = root.add_subcommand("decompress", "Decode a .tpz file back into safetensors");
  dapp->add_option("file", d->in, ".tpz file")->required();
  dapp->add_option("-o,--output", d->out, "Output .safetensors file")->required();
  dapp->add_flag("--force", d->force, "Overwrite the output file");
  commands.push_back({dapp, [d] { return RunDecompress(*d); }});
}

}  // namespace tp::cli
