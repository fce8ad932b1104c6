// Image- and tensor-level ASTC encoding: splitting into blocks (partial at
// the right and bottom edges), spreading blocks over threads, and the affine
// map between weights and texel values.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <memory>
#include <thread>

#include "astc/enc_astc_block.h"
#include "tensorpress/astc.h"
#include "tensorpress/half.h"

namespace tp::astc {

StatusOr<AstcImage> EncodeImage(std::span<const float> texels, int width, int height, int channels,
                                const EncodeOptions& options, double* squared_error) {
  std::vector<double> block_error;
  TP_ASSIGN_OR_RETURN(AstcImage image, EncodeImageBlocks(texels, width, height, channels, options, &block_error));
  if (squared_error) {
    *squared_error = 0;
    for (double e : block_error) *squared_error += e;  // in block order: the same sum on any thread count
  }
  return image;
}

StatusOr<AstcImage> EncodeImageBlocks(std::span<const float> texels, int width, int height, int channels,
                                      const EncodeOptions& options, std::vector<double>* block_errors) {
  if (channels != 1 && channels != 4) return InvalidArgumentError("ASTC encoding takes 1 or 4 channels");
  if (!IsValidFootprint(options.block_x, options.block_y))
    return InvalidArgumentError("block " + std::to_string(options.block_x) + "x" + std::to_string(options.block_y) +
                                " is not an ASTC 2-D footprint");
  if (width <= 0 || height <= 0 || width > 0xffffff || height > 0xffffff)
    return InvalidArgumentError("ASTC image dimensions must be 1..16777215");
  if (texels.size() != static_cast<size_t>(width) * static_cast<size_t>(height) * static_cast<size_t>(channels))
    return InvalidArgumentError("texel count does not match the image size");

  AstcImage image;
  image.block_x = options.block_x;
  image.block_y = options.block_y;
  image.width = width;
  image.height = height;
  const size_t bx = static_cast<size_t>(image.blocks_x()), by = static_cast<size_t>(image.blocks_y());
  image.blocks.resize(bx * by * kBlockBytes);

  const internal::FootprintContext ctx(options.block_x, options.block_y);
  internal::SearchEffort effort = internal::EffortForQuality(std::clamp(options.quality, 0, 100), channels);
  effort.simd = options.simd;
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::vector<double> local_errors;
  std::vector<double>& block_error = block_errors ? *block_errors : local_errors;
  block_error.assign(bx * by, 0.0);
  auto work = [&] {
    auto target = std::make_unique<internal::BlockTarget>();
    target->channels = channels;
    for (size_t b; (b = next++) < bx * by;) {
      const size_t x0 = (b % bx) * static_cast<size_t>(options.block_x);
      const size_t y0 = (b / bx) * static_cast<size_t>(options.block_y);
      for (int y = 0; y < options.block_y; ++y) {
        for (int x = 0; x < options.block_x; ++x) {
          const int i = y * options.block_x + x;
          const size_t px = x0 + static_cast<size_t>(x), py = y0 + static_cast<size_t>(y);
          target->valid[i] = px < static_cast<size_t>(width) && py < static_cast<size_t>(height);
          for (int c = 0; c < 4; ++c) {
            float v = 0;
            if (target->valid[i] && c < channels) v = texels[(py * static_cast<size_t>(width) + px) * channels + c];
            target->value[i][c] = std::isnan(v) ? 0.0f : std::clamp(v, 0.0f, 1.0f);
          }
        }
      }
      double error = internal::EncodeBlock(ctx, *target, effort, image.blocks.data() + b * kBlockBytes);
      if (!std::isfinite(error)) failed = true;
      block_error[b] = error;
    }
  };
  unsigned threads = options.threads > 0 ? static_cast<unsigned>(options.threads)
                                         : std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<unsigned>(std::min<size_t>(threads, bx * by));
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  if (failed) return InternalError("ASTC encoder found no valid encoding for a block");
  return image;
}

StatusOr<AstcTensor> EncodeTensor(const Tensor& tensor, const TensorEncodeOptions& options) {
  TP_ASSIGN_OR_RETURN(Tensor f32, ToF32(tensor));
  const Shape& shape = f32.shape();
  int64_t cols = shape.empty() ? 1 : shape.back();
  // An RGBA image [h, w, 4] packs its last two dimensions into a row.
  if (options.rgba && shape.size() == 3 && shape[2] == 4) cols = shape[1] * 4;
  int64_t rows = cols == 0 ? 0 : static_cast<int64_t>(f32.elements()) / cols;
  if (rows <= 0 || cols <= 0) return InvalidArgumentError("tensor '" + tensor.name() + "' is empty");
  const int channels = options.rgba ? 4 : 1;
  if (cols % channels != 0)
    return InvalidArgumentError("tensor '" + tensor.name() + "' has " + std::to_string(cols) +
                                " columns, not a multiple of 4 as --rgba needs");
  int64_t width = cols / channels;
  if (width > 0xffffff || rows > 0xffffff)
    return InvalidArgumentError("tensor '" + tensor.name() + "' is too large for an ASTC image");
  if (options.affine_tile < 0 || options.affine_tile > 0xffffff)
    return InvalidArgumentError("the affine tile must be 0 (one map per tensor) or a positive block count");
  if (options.affine_tile > 0 && !options.normalize)
    return InvalidArgumentError("a per-tile affine map needs normalization (drop --no-normalize)");
  std::span<const float> values = f32.values<float>();
  float lo = 0, hi = 1;
  if (!values.empty()) {
    lo = hi = values[0];
    for (float v : values) {
      if (!std::isfinite(v)) return InvalidArgumentError("tensor '" + tensor.name() + "' holds a non-finite value");
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  }
  AstcTensor out;
  out.channels = channels;
  out.shape = {rows, cols};
  out.image.block_x = options.encode.block_x;
  out.image.block_y = options.encode.block_y;
  out.image.width = static_cast<int>(width);
  out.image.height = static_cast<int>(rows);
  if (options.normalize) {
    out.offset = lo;
    out.scale = hi > lo ? hi - lo : 1.0f;
    if (!std::isfinite(out.scale))
      return InvalidArgumentError("tensor '" + tensor.name() + "' has a range beyond float");
  } else if (lo < 0 || hi > 1) {
    return InvalidArgumentError("tensor '" + tensor.name() + "' has values outside [0, 1]; drop --no-normalize");
  }
  if (!IsValidFootprint(options.encode.block_x, options.encode.block_y))
    return InvalidArgumentError("block " + std::to_string(options.encode.block_x) + "x" +
                                std::to_string(options.encode.block_y) + " is not an ASTC 2-D footprint");
  const size_t urows = static_cast<size_t>(rows), ucols = static_cast<size_t>(cols);
  const size_t uch = static_cast<size_t>(channels);
  const size_t bx = static_cast<size_t>(options.encode.block_x), by = static_cast<size_t>(options.encode.block_y);
  out.affine_tile = options.affine_tile;
  auto tile_of = [&](size_t row, size_t col) {
    const size_t n = static_cast<size_t>(out.affine_tile);
    return (row / by / n) * static_cast<size_t>(out.tiles_x()) + col / uch / bx / n;
  };
  if (out.affine_tile > 0) {
    // Each tile's range, rounded outward to 1/255 steps of the tensor's.
    const size_t tiles = static_cast<size_t>(out.tiles_x()) * static_cast<size_t>(out.tiles_y());
    std::vector<float> tile_lo(tiles, std::numeric_limits<float>::infinity());
    std::vector<float> tile_hi(tiles, -std::numeric_limits<float>::infinity());
    for (size_t r = 0; r < urows; ++r)
      for (size_t c = 0; c < ucols; ++c) {
        const size_t t = tile_of(r, c);
        tile_lo[t] = std::min(tile_lo[t], values[r * ucols + c]);
        tile_hi[t] = std::max(tile_hi[t], values[r * ucols + c]);
      }
    out.tile_ranges.resize(2 * tiles);
    for (size_t t = 0; t < tiles; ++t) {
      const double a = std::floor((double(tile_lo[t]) - out.offset) / out.scale * 255.0);
      const double b = std::ceil((double(tile_hi[t]) - out.offset) / out.scale * 255.0);
      out.tile_ranges[2 * t] = static_cast<uint8_t>(std::clamp(a, 0.0, 255.0));
      out.tile_ranges[2 * t + 1] = static_cast<uint8_t>(std::clamp(b, double(out.tile_ranges[2 * t]), 255.0));
    }
  }
  std::vector<float> texels(values.size());
  for (size_t r = 0; r < urows; ++r)
    for (size_t c = 0; c < ucols; ++c) {
      AffineMap map{out.offset, out.scale};
      if (out.affine_tile > 0) {
        const size_t t = tile_of(r, c);
        map = TileAffine(out.offset, out.scale, out.tile_ranges[2 * t], out.tile_ranges[2 * t + 1]);
      }
      // A tile of equal values has no span: every texel decodes to its value.
      texels[r * ucols + c] = map.scale > 0 ? (values[r * ucols + c] - map.offset) / map.scale : 0.0f;
    }
  std::vector<double> block_error;
  TP_ASSIGN_OR_RETURN(out.image, EncodeImageBlocks(texels, static_cast<int>(width), static_cast<int>(rows), channels,
                                                   options.encode, &block_error));
  // Texel-domain errors back to weights, each block through its own map.
  double squared = 0;
  const size_t blocks_x = static_cast<size_t>(out.image.blocks_x());
  for (size_t b = 0; b < block_error.size(); ++b) {
    const AffineMap map = BlockAffine(out, static_cast<int>(b % blocks_x), static_cast<int>(b / blocks_x));
    squared += double(map.scale) * double(map.scale) * block_error[b];
  }
  out.encoder_rmse = std::sqrt(squared / double(values.size()));
  return out;
}

ErrorStats CompareValues(std::span<const float> reference, std::span<const float> decoded) {
  ErrorStats s;
  size_t n = std::min(reference.size(), decoded.size());
  if (n == 0) return s;
  double se = 0, signal = 0;
  for (size_t i = 0; i < n; ++i) {
    double d = double(decoded[i]) - double(reference[i]);
    se += d * d;
    signal += double(reference[i]) * double(reference[i]);
    s.max_abs = std::max(s.max_abs, std::abs(d));
  }
  s.rmse = std::sqrt(se / double(n));
  s.snr_db = se > 0 ? 10 * std::log10(signal / se) : std::numeric_limits<double>::infinity();
  return s;
}

}  // namespace tp::astc
