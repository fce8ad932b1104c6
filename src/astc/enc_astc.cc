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
  const internal::SearchEffort effort = internal::EffortForQuality(std::clamp(options.quality, 0, 100), channels);
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::vector<double> block_error(bx * by);
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
  if (squared_error) {
    *squared_error = 0;
    for (double e : block_error) *squared_error += e;  // in block order: the same sum on any thread count
  }
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
  if (options.normalize) {
    out.offset = lo;
    out.scale = hi > lo ? hi - lo : 1.0f;
  } else if (lo < 0 || hi > 1) {
    return InvalidArgumentError("tensor '" + tensor.name() + "' has values outside [0, 1]; drop --no-normalize");
  }
  std::vector<float> texels(values.size());
  for (size_t i = 0; i < values.size(); ++i) texels[i] = (values[i] - out.offset) / out.scale;
  double texel_squared_error = 0;
  TP_ASSIGN_OR_RETURN(out.image, EncodeImage(texels, static_cast<int>(width), static_cast<int>(rows), channels,
                                             options.encode, &texel_squared_error));
  out.encoder_rmse = double(out.scale) * std::sqrt(texel_squared_error / double(values.size()));
  return out;
}

StatusOr<std::vector<float>> DecodeTensorValues(const AstcTensor& astc) {
  TP_ASSIGN_OR_RETURN(std::vector<uint16_t> rgba, DecodeFloat16(astc.image));
  const size_t texels = rgba.size() / 4;
  std::vector<float> out(texels * static_cast<size_t>(astc.channels));
  for (size_t i = 0; i < texels; ++i)
    for (int c = 0; c < astc.channels; ++c)
      out[i * static_cast<size_t>(astc.channels) + static_cast<size_t>(c)] =
          astc.offset + astc.scale * HalfToFloat(rgba[4 * i + static_cast<size_t>(c)]);
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
