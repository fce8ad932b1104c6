// Weight tensors back from ASTC textures: decode_float16 texels through the
// affine map (per tensor or per tile). Shared by `astc` and the .tpz reader,
// so it never includes the encoder.
#include <cmath>
#include <cstdlib>

#include "tensorpress/astc.h"
#include "tensorpress/half.h"

namespace tp::astc {

AffineMap BlockAffine(const AstcTensor& astc, int block_col, int block_row) {
  if (astc.affine_tile <= 0) return {astc.offset, astc.scale};
  const size_t t = static_cast<size_t>(block_row / astc.affine_tile) * static_cast<size_t>(astc.tiles_x()) +
                   static_cast<size_t>(block_col / astc.affine_tile);
  return TileAffine(astc.offset, astc.scale, astc.tile_ranges[2 * t], astc.tile_ranges[2 * t + 1]);
}

Status ValidateAstcTensor(const AstcTensor& astc) {
  const AstcImage& im = astc.image;
  if (!IsValidFootprint(im.block_x, im.block_y)) return CorruptDataError("ASTC footprint is not a 2-D footprint");
  if (im.width <= 0 || im.height <= 0 || im.width > 0xffffff || im.height > 0xffffff)
    return CorruptDataError("ASTC image size out of range");
  if (im.blocks.size() != static_cast<size_t>(im.blocks_x()) * static_cast<size_t>(im.blocks_y()) * kBlockBytes)
    return CorruptDataError("ASTC block data holds " + std::to_string(im.blocks.size()) + " bytes, not the " +
                            std::to_string(im.blocks_x()) + "x" + std::to_string(im.blocks_y()) +
                            " blocks of the image");
  if (astc.channels != 1 && astc.channels != 4) return CorruptDataError("ASTC weights per texel must be 1 or 4");
  if (astc.shape.size() != 2 || astc.shape[0] != im.height || astc.shape[1] != int64_t(im.width) * astc.channels)
    return CorruptDataError("ASTC matrix shape does not match the image");
  // Every decoded weight lies between offset and offset + scale: finite
  // whenever both ends are.
  if (!std::isfinite(astc.offset) || !std::isfinite(astc.scale) ||
      !std::isfinite(std::abs(astc.offset) + std::abs(astc.scale)))
    return CorruptDataError("ASTC affine map is not finite");
  if (astc.affine_tile < 0 || astc.affine_tile > 0xffffff) return CorruptDataError("ASTC affine tile out of range");
  const size_t tiles = astc.affine_tile == 0 ? 0 : static_cast<size_t>(astc.tiles_x()) * size_t(astc.tiles_y());
  if (astc.tile_ranges.size() != 2 * tiles)
    return CorruptDataError("ASTC tile map holds " + std::to_string(astc.tile_ranges.size()) + " bytes, expected " +
                            std::to_string(2 * tiles));
  for (size_t t = 0; t < tiles; ++t)
    if (astc.tile_ranges[2 * t] > astc.tile_ranges[2 * t + 1])
      return CorruptDataError("ASTC tile " + std::to_string(t) + " has its range reversed");
  return Status::Ok();
}

StatusOr<std::vector<float>> DecodeTensorValues(const AstcTensor& astc) {
  TP_RETURN_IF_ERROR(ValidateAstcTensor(astc));
  TP_ASSIGN_OR_RETURN(std::vector<uint16_t> rgba, DecodeFloat16(astc.image));
  const size_t width = static_cast<size_t>(astc.image.width), height = static_cast<size_t>(astc.image.height);
  const size_t channels = static_cast<size_t>(astc.channels);
  std::vector<float> out(width * height * channels);
  for (size_t y = 0; y < height; ++y) {
    const int block_row = static_cast<int>(y / static_cast<size_t>(astc.image.block_y));
    for (size_t x = 0; x < width; ++x) {
      const AffineMap map = BlockAffine(astc, static_cast<int>(x / static_cast<size_t>(astc.image.block_x)), block_row);
      const size_t i = y * width + x;
      for (size_t c = 0; c < channels; ++c) out[i * channels + c] = map.offset + map.scale * HalfToFloat(rgba[4 * i + c]);
    }
  }
  return out;
}

StatusOr<Tensor> DecodeTensor(const AstcTensor& astc, std::string name, DType dtype, Shape shape) {
  auto elements = ElementCount(shape);
  if (!elements || astc.shape.size() != 2 || *elements != uint64_t(astc.shape[0]) * uint64_t(astc.shape[1]))
    return CorruptDataError("tensor '" + name + "': shape " + ShapeToString(shape) + " does not hold the " +
                            ShapeToString(astc.shape) + " ASTC matrix");
  if (dtype != DType::kF32 && dtype != DType::kF64 && dtype != DType::kF16 && dtype != DType::kBF16)
    return CorruptDataError("tensor '" + name + "': ASTC restores float tensors only, not " +
                            std::string(DTypeName(dtype)));
  TP_ASSIGN_OR_RETURN(std::vector<float> values, DecodeTensorValues(astc));
  switch (dtype) {
    case DType::kF64: {
      std::vector<double> wide(values.begin(), values.end());
      return Tensor::FromValues<double>(std::move(name), dtype, std::move(shape), wide);
    }
    case DType::kF16:
    case DType::kBF16: {
      std::vector<uint16_t> narrow(values.size());
      for (size_t i = 0; i < values.size(); ++i)
        narrow[i] = dtype == DType::kF16 ? FloatToHalf(values[i]) : FloatToBf16(values[i]);
      return Tensor::FromValues<uint16_t>(std::move(name), dtype, std::move(shape), narrow);
    }
    default:
      return Tensor::FromValues<float>(std::move(name), dtype, std::move(shape), values);
  }
}

}  // namespace tp::astc
