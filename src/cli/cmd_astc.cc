// `tensorpress astc encode|decode`: weight tensors as ASTC textures.
#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "tensorpress/astc.h"
#include "tensorpress/model.h"

namespace tp::cli {
namespace {

struct EncodeArgs {
  std::string input, output, block = "6x6", tensor;
  bool rgba = false, no_normalize = false, force = false;
  int quality = 60;
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
  std::string text = side.dump(2) + "\n";
  TP_RETURN_IF_ERROR(WriteFileAtomically(args.output + ".json",
                                         {reinterpret_cast<const uint8_t*>(text.data()), text.size()}, write));

  TP_ASSIGN_OR_RETURN(Tensor f32, ToF32(*tensor));
  TP_ASSIGN_OR_RETURN(std::vector<float> decoded, astc::DecodeTensorValues(encoded));
  astc::ErrorStats err = astc::CompareValues(f32.values<float>(), decoded);
  double bits_per_weight = 128.0 / (options.encode.block_x * options.encode.block_y * encoded.channels);
  fmt::print("{}: '{}' {} -> {}x{} texels, {}x{} blocks, {:.3f} bits/weight, {} bytes ({:.1f}x smaller than f32)\n",
             args.output, tensor->name(), ShapeToString(tensor->shape()), encoded.image.width,
             encoded.image.height, options.encode.block_x, options.encode.block_y, bits_per_weight,
             encoded.image.blocks.size() + 16,
             double(f32.elements()) * 4 / double(encoded.image.blocks.size() + 16));
  fmt::print("weight = {} + {} * texel; RMSE {:.6g}, max error {:.6g}, SNR {:.2f} dB\n", encoded.offset,
             encoded.scale, err.rmse, err.max_abs, err.snr_db);
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
}

}  // namespace tp::cli
