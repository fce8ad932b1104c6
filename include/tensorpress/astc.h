// ASTC: weight matrices stored as Adaptive Scalable Texture Compression
// textures.
//
// Why ASTC for weights
// ====================
// ASTC is the texture format that GPU texture units decode in hardware. Every
// block is 128 bits whatever its footprint, so the footprint alone sets the
// rate: 8 bits per texel at 4x4 down to 0.89 at 12x12, and a quarter of that
// per weight when four weights share an RGBA texel. Blocks are independent,
// so any weight can be fetched without touching its neighbours. A weight
// matrix becomes a texture by an affine map of its values to [0, 1] (scale
// and offset kept beside the blocks); one weight per texel is stored as
// luminance (R = G = B), or four consecutive weights as RGBA.
//
// Decoding
// ========
// The decoder follows the Khronos Data Format Specification's ASTC chapter
// for the 2-D LDR profile: every block mode, 1-4 partitions with the
// specification's partition hash, the LDR colour endpoint modes, bounded
// integer sequence encoding, bilinear weight infill, dual planes, void-extent
// and error blocks (magenta). It offers the two LDR decode modes that
// hardware exposes:
//   - decode_float16: the 16-bit interpolated value as a half float, rounded
//     toward zero (0xFFFF is exactly 1.0);
//   - decode_unorm8: the top 8 bits of the same 16-bit interpolation.
// Both are bit-exact against the Arm reference decoder (astc-encoder 5.x) on
// the conformance vectors in ../shared/vectors/astc. Blocks using an HDR
// endpoint mode (or an HDR void extent) are recognised: image decoding fails
// with kUnsupported rather than guessing, and single-block decoding reports
// them so a caller may choose the specification's error colour instead.
//
// Encoding
// ========
// The encoder is written for weights rather than images: it minimises plain
// squared error on the channels that carry weights (R for luminance, RGBA
// for packed weights), searching weight grids and weight ranges that fit the
// 128-bit block, partition counts and seeds, and endpoint modes, and fits
// grid weights by least squares through the infill rather than by
// resampling. `quality` (0..100) trades search breadth for time.
//
// Files
// =====
// A `.astc` file is a 16-byte header (magic 0x5CA1AB13, block x/y/z in one
// byte each, image x/y/z as 24-bit little-endian) followed by the blocks row
// by row. The reader validates the magic, the footprint (one of the 14 2-D
// ASTC footprints; 3-D files are kUnsupported), nonzero image dimensions
// and that the file holds exactly the blocks those dimensions need.
#pragma once

#include <cstdint>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "tensorpress/buffer.h"
#include "tensorpress/model.h"
#include "tensorpress/status.h"
#include "tensorpress/tensor.h"

namespace tp::astc {

inline constexpr int kBlockBytes = 16;

// True for the 14 2-D footprints ASTC defines (4x4, 5x4, 5x5, ... 12x12).
bool IsValidFootprint(int block_x, int block_y);

// A 2-D ASTC image: its footprint, size in texels and blocks (row by row).
struct AstcImage {
  int block_x = 4, block_y = 4;
  int width = 0, height = 0;
  std::vector<uint8_t> blocks;  // blocks_x() * blocks_y() * 16 bytes

  int blocks_x() const { return (width + block_x - 1) / block_x; }
  int blocks_y() const { return (height + block_y - 1) / block_y; }
};

// Parses a .astc file held in memory; kCorruptData on a bad header or size,
// kUnsupported for 3-D images.
StatusOr<AstcImage> ParseAstcFile(std::span<const uint8_t> bytes);
StatusOr<AstcImage> ReadAstcFile(const std::string& path);
std::vector<uint8_t> SerializeAstcFile(const AstcImage& image);
Status WriteAstcFile(const std::string& path, const AstcImage& image, const WriteOptions& options = {});

enum class DecodeMode { kFloat16, kUnorm8 };

// What one block turned out to be.
enum class BlockKind {
  kNormal,      // weights and endpoints
  kVoidExtent,  // a constant colour
  kError,       // an illegal encoding: decoded as magenta, as the specification says
  kHdr,         // an HDR endpoint mode or HDR void extent: decoded as magenta
};

// Decodes one block to block_x * block_y RGBA texels (row by row): half
// floats (`out_f16`) or bytes (`out_u8`). The footprint must be valid.
BlockKind DecodeBlockFloat16(const uint8_t* block, int block_x, int block_y, uint16_t* out_f16);
BlockKind DecodeBlockUnorm8(const uint8_t* block, int block_x, int block_y, uint8_t* out_u8);

// Decodes a whole image to width * height RGBA texels. Error blocks decode
// to magenta; HDR blocks fail with kUnsupported naming the block.
StatusOr<std::vector<uint16_t>> DecodeFloat16(const AstcImage& image);
StatusOr<std::vector<uint8_t>> DecodeUnorm8(const AstcImage& image);

// Per-image block census (for reports and tests).
struct BlockCensus {
  uint64_t normal = 0, void_extent = 0, error = 0, hdr = 0;
  uint64_t partitions[5] = {0, 0, 0, 0, 0};
  uint64_t dual_plane = 0;
};
BlockCensus CountBlocks(const AstcImage& image);

// --- Encoding -------------------------------------------------------------

struct EncodeOptions {
  int block_x = 6, block_y = 6;
  int quality = 60;  // 0 fastest .. 100 exhaustive
  int threads = 0;   // 0: all cores
  bool simd = true;  // false: the scalar reference kernels (identical output; tests and benchmarks)
};

// Encodes width * height texels of `channels` (1: luminance, 4: RGBA) values
// in [0, 1], row by row. Values outside [0, 1] are clamped. If
// `squared_error` is given it receives the encoder's own account of the
// squared error it left (summed over texels and carried channels).
StatusOr<AstcImage> EncodeImage(std::span<const float> texels, int width, int height, int channels,
                                const EncodeOptions& options, double* squared_error = nullptr);
// The same, with the encoder's squared error per block (row by row).
StatusOr<AstcImage> EncodeImageBlocks(std::span<const float> texels, int width, int height, int channels,
                                      const EncodeOptions& options, std::vector<double>* block_errors);

// The affine map of one texel: weight = offset + scale * texel_value.
struct AffineMap {
  float offset = 0, scale = 1;
};

// A weight tensor as an ASTC texture and the affine map back to weights.
//
// Per tensor (affine_tile == 0): weight = offset + scale * texel_value.
// Per tile (affine_tile == n >= 1): the blocks are grouped into tiles of
// n x n blocks (row by row over tiles; partial tiles at the right and bottom
// edges), and each tile carries two bytes (lo, hi), lo <= hi, that cut its
// own sub-range out of [offset, offset + scale] in steps of 1/255, so each
// tile's texels span the full [0, 1] for that tile's values (TileAffine
// gives the exact float arithmetic; encoder and decoder share it). The map
// then costs 16 bits per tile on top of the blocks and the 8-byte range.
struct AstcTensor {
  AstcImage image;
  int channels = 1;       // weights per texel (1 or 4)
  Shape shape;            // the 2-D shape [rows, cols] the texels cover
  float scale = 1, offset = 0;
  int affine_tile = 0;               // 0: one map for the tensor; n: per n x n blocks
  std::vector<uint8_t> tile_ranges;  // per tile: lo, hi (2 * tiles_x * tiles_y bytes)
  // The weight-domain RMSE the encoder reports from its own error model
  // (scale * sqrt(texel squared error / weights)); tests hold it to the
  // error of the real decode.
  double encoder_rmse = 0;

  int tiles_x() const { return affine_tile > 0 ? (image.blocks_x() + affine_tile - 1) / affine_tile : 1; }
  int tiles_y() const { return affine_tile > 0 ? (image.blocks_y() + affine_tile - 1) / affine_tile : 1; }
  // Bytes of the affine map: 8 (offset and scale as f32) plus the tile ranges.
  uint64_t map_bytes() const { return 8 + tile_ranges.size(); }
};

// The map of a tile with range bytes (lo, hi) within [offset, offset + scale].
inline AffineMap TileAffine(float offset, float scale, uint8_t lo, uint8_t hi) {
  return {offset + scale * (static_cast<float>(lo) / 255.0f),
          scale * (static_cast<float>(static_cast<int>(hi) - static_cast<int>(lo)) / 255.0f)};
}
// The map of the texels of block (block_col, block_row).
AffineMap BlockAffine(const AstcTensor& astc, int block_col, int block_row);
// Checks that an AstcTensor is self-consistent before decoding it (finite
// map, tile range count and order, shape against the image): kCorruptData
// naming the problem.
Status ValidateAstcTensor(const AstcTensor& astc);

struct TensorEncodeOptions {
  EncodeOptions encode;
  bool rgba = false;        // four consecutive weights per texel
  bool normalize = true;    // map min..max to 0..1; false: values are already in [0, 1]
  // 0: one affine map for the tensor; n >= 1: one per n x n blocks (needs normalize).
  int affine_tile = 0;
};

// Treats `tensor` as a 2-D matrix: leading dimensions are rows, the last is
// columns (a Keras conv kernel [kh, kw, in, out] becomes [kh*kw*in, out], the
// layout of the shared vectors). With rgba, the column count must be a
// multiple of 4, and an image [h, w, 4] is read as h rows of w texels.
StatusOr<AstcTensor> EncodeTensor(const Tensor& tensor, const TensorEncodeOptions& options);
// The weights as decoded (decode_float16), rows * cols floats.
StatusOr<std::vector<float>> DecodeTensorValues(const AstcTensor& astc);
// The decoded weights as a tensor of `dtype` (f32 exactly as
// DecodeTensorValues; f64, f16 and bf16 converted from it, rounding to
// nearest) and `shape`, whose element count must be rows * cols.
StatusOr<Tensor> DecodeTensor(const AstcTensor& astc, std::string name, DType dtype, Shape shape);

// Errors between a tensor and its decoded values, in the weight domain.
struct ErrorStats {
  double rmse = 0, max_abs = 0, snr_db = 0;
};
ErrorStats CompareValues(std::span<const float> reference, std::span<const float> decoded);

// --- Footprint sweeps and rate selection -----------------------------------

struct Footprint {
  int x = 6, y = 6;
  std::string Name() const { return std::to_string(x) + "x" + std::to_string(y); }
  bool operator==(const Footprint&) const = default;
};
// The 14 2-D footprints, most bits per texel first (4x4 .. 12x12).
const std::vector<Footprint>& AllFootprints();
// "4x4,6x6,12x12" -> footprints; "all" -> AllFootprints().
StatusOr<std::vector<Footprint>> ParseFootprints(const std::string& list);

// True for a float tensor of rank >= 2: what EncodeTensor turns into a
// texture (leading dimensions are rows).
bool IsWeightMatrix(const Tensor& tensor);

// One tensor at one footprint, luminance (one weight per texel).
struct FootprintResult {
  Footprint footprint;
  uint64_t weights = 0;
  uint64_t bytes = 0;            // the blocks, partial edge blocks included, plus the 8-byte affine map
  double bits_per_weight = 0;    // 8 * bytes / weights
  double ratio = 0;              // against fp32: 32 / bits_per_weight
  ErrorStats error;              // weight domain, of the real decode_float16 output
  double squared_error() const { return error.rmse * error.rmse * double(weights); }
};
// `decoded`, if given, receives the decoded weights.
StatusOr<FootprintResult> MeasureFootprint(const Tensor& tensor, Footprint footprint, int quality,
                                           int threads = 0, std::vector<float>* decoded = nullptr);

// Rate selection over layers (the seed paper's per-layer Pareto analysis).
// Each layer lists its candidate footprints; a plan picks one per layer.
struct LayerCandidates {
  std::string name;
  uint64_t weights = 0;
  std::vector<FootprintResult> candidates;
};
struct RatePlan {
  std::vector<size_t> choice;   // per layer: index into candidates
  std::vector<bool> met;        // per layer: the constraint held (tolerance plans)
  uint64_t bits = 0;            // total
  double rmse = 0;              // over all weights of all layers
};
// Per layer, the fewest bits whose RMSE is at most `rmse_tolerance`; a layer
// no candidate satisfies gets its most accurate one and met = false.
RatePlan PlanForTolerance(const std::vector<LayerCandidates>& layers, double rmse_tolerance);
// The same with a floor on each layer's SNR in dB: a tolerance relative to
// each layer's own scale, what accuracy-driven selection sweeps.
RatePlan PlanForSnr(const std::vector<LayerCandidates>& layers, double min_snr_db);
// Least total squared error within `bit_budget` bits: starts every layer at
// its cheapest point on its (bits, squared error) lower convex hull and
// greedily takes the upgrade with the most error removed per extra bit.
// Fails when even the cheapest choice exceeds the budget.
StatusOr<RatePlan> PlanForBudget(const std::vector<LayerCandidates>& layers, uint64_t bit_budget);
// Bits and RMSE of a given choice.
RatePlan EvaluatePlan(const std::vector<LayerCandidates>& layers, std::vector<size_t> choice);

// --- The shared MNIST CNN, for accuracy-driven rate selection ---------------
// Keras layout (../shared/README.md): conv 3x3x1x32, conv 3x3x32x64, 2x2
// max-pool, dense 9216x128, dense 128x10; HWIO kernels, channels-last, no
// padding, stride 1.

struct MnistDigits {
  std::vector<float> pixels;  // n * 784, in [0, 1]
  std::vector<uint8_t> labels;
};
// Reads gzip'd IDX image and label files (the first `limit` digits).
StatusOr<MnistDigits> ReadMnistDigits(const std::string& images_idx_gz, const std::string& labels_idx_gz,
                                      size_t limit = SIZE_MAX);

struct MnistCnnWeights {
  std::vector<float> conv1_k, conv1_b, conv2_k, conv2_b, dense1_k, dense1_b, dense2_k, dense2_b;
};
// The weights from a model holding the shared CNN's tensor names
// (conv2d_1.kernel ... dense_2.bias); kInvalidArgument on a missing tensor
// or a wrong shape.
StatusOr<MnistCnnWeights> MnistCnnWeightsFromModel(const Model& model);
// Replaces one tensor (by its model name) with other values of its size.
Status SetMnistCnnTensor(MnistCnnWeights& weights, const std::string& name, std::vector<float> values);
// Logits of one 28x28 image.
void MnistCnnForward(const MnistCnnWeights& weights, const float* image, float* logits);
// Top-1 accuracy over `digits` (all cores).
double MnistCnnAccuracy(const MnistCnnWeights& weights, const MnistDigits& digits);

}  // namespace tp::astc
