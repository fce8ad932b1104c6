// The ASTC block decoder (2-D, LDR profile) and whole-image decoding.
//
// Read me first: a block is parsed into BlockFields (ParseBlock), the only
// place that looks at raw bits; interpolation then works on unquantised
// values. Both decode modes share one 16-bit interpolation, as the reference
// decoder does: endpoints are bit-replicated to 16 bits (e * 257), texels are
// (e0 * (64 - w) + e1 * w + 32) >> 6, and
//   - decode_float16 converts that unorm16 to half, rounding toward zero;
//   - decode_unorm8 keeps its top 8 bits.
// Every illegal encoding the specification lists yields the error block
// (magenta) rather than a failure, because hardware does the same; only HDR
// content, which the LDR profile cannot represent, is refused by image decoding.
#include <algorithm>
#include <bit>
#include <cstring>

#include "astc/astc_internal.h"
#include "tensorpress/astc.h"

namespace tp::astc {
namespace internal {

uint16_t Unorm16ToHalf(int v) {
  if (v >= 0xffff) return 0x3c00;
  if (v < 4) return static_cast<uint16_t>(v << 8);
  int lz = std::countl_zero(static_cast<uint32_t>(v)) - 16;
  int mantissa = ((v << (lz + 1)) & 0xffff) >> 6;
  return static_cast<uint16_t>(((14 - lz) << 10) | mantissa);
}

void ComputeInfill(int block_x, int block_y, int grid_x, int grid_y, InfillTexel* out) {
  const int ds = (1024 + block_x / 2) / (block_x - 1);
  const int dt = (1024 + block_y / 2) / (block_y - 1);
  const int count = grid_x * grid_y;
  for (int t = 0; t < block_y; ++t) {
    for (int s = 0; s < block_x; ++s) {
      int gs = (ds * s * (grid_x - 1) + 32) >> 6;
      int gt = (dt * t * (grid_y - 1) + 32) >> 6;
      int js = gs >> 4, fs = gs & 0xf, jt = gt >> 4, ft = gt & 0xf;
      int v0 = js + jt * grid_x;
      int w11 = (fs * ft + 8) >> 4;
      int w10 = ft - w11, w01 = fs - w11, w00 = 16 - fs - ft + w11;
      InfillTexel& texel = out[t * block_x + s];
      const int index[4] = {v0, v0 + 1, v0 + grid_x, v0 + grid_x + 1};
      const int weight[4] = {w00, w01, w10, w11};
      for (int k = 0; k < 4; ++k) {
        // A neighbour past the grid edge always has weight 0; point it inside.
        texel.index[k] = static_cast<uint8_t>(index[k] < count ? index[k] : v0);
        texel.weight[k] = static_cast<uint8_t>(weight[k]);
      }
    }
  }
}

void ParseBlock(const uint8_t* block, int block_x, int block_y, BlockFields* out) {
  out->kind = BlockFields::kError;
  out->hdr = false;
  const Bits128 bits = Bits128::Load(block);
  const int mode = static_cast<int>(bits.Read(0, 11));

  if ((mode & 0x1ff) == 0x1fc) {
    // Void extent: a constant colour plus a rectangle the encoder promises
    // holds nothing else; the rectangle only has to be well formed.
    if (bits.Read(10, 2) != 3) return;
    int low_s = static_cast<int>(bits.Read(12, 13)), high_s = static_cast<int>(bits.Read(25, 13));
    int low_t = static_cast<int>(bits.Read(38, 13)), high_t = static_cast<int>(bits.Read(51, 13));
    bool all_ones = low_s == 0x1fff && high_s == 0x1fff && low_t == 0x1fff && high_t == 0x1fff;
    if ((low_s >= high_s || low_t >= high_t) && !all_ones) return;
    for (int i = 0; i < 4; ++i) out->constant[i] = static_cast<uint16_t>(block[8 + 2 * i] | block[9 + 2 * i] << 8);
    out->kind = (mode & 0x200) ? BlockFields::kVoidExtentHdr : BlockFields::kVoidExtentLdr;
    return;
  }

  BlockMode& bm = out->mode;
  if (!DecodeBlockMode(mode, block_x, block_y, &bm)) return;
  const int partitions = static_cast<int>(bits.Read(11, 2)) + 1;
  if (partitions == 4 && bm.dual_plane) return;
  out->partition_count = partitions;

  int below_weights = 128 - bm.weight_bits;
  int color_start;
  if (partitions == 1) {
    out->partition_seed = 0;
    out->cem[0] = static_cast<int>(bits.Read(13, 4));
    color_start = 17;
  } else {
    out->partition_seed = static_cast<int>(bits.Read(13, 10));
    int encoded = static_cast<int>(bits.Read(23, 6));
    int selector = encoded & 3;
    if (selector == 0) {
      for (int p = 0; p < partitions; ++p) out->cem[p] = encoded >> 2;
    } else {
      // Per-partition modes from one class pair: a class bit per partition,
      // then two mode bits each; what does not fit in the 6-bit field sits
      // just below the weights.
      int extra = 3 * partitions - 4;
      below_weights -= extra;
      encoded |= static_cast<int>(bits.Read(below_weights, extra)) << 6;
      int base_class = selector - 1;
      for (int p = 0; p < partitions; ++p) {
        int class_bit = (encoded >> (2 + p)) & 1;
        int m = (encoded >> (2 + partitions + 2 * p)) & 3;
        out->cem[p] = ((base_class + class_bit) << 2) | m;
      }
    }
    color_start = 29;
  }
  out->plane2_component = -1;
  if (bm.dual_plane) {
    below_weights -= 2;
    out->plane2_component = static_cast<int>(bits.Read(below_weights, 2));
  }

  int color_count = 0;
  bool hdr = false;
  for (int p = 0; p < partitions; ++p) {
    color_count += EndpointValueCount(out->cem[p]);
    hdr = hdr || IsHdrEndpointMode(out->cem[p]);
  }
  if (color_count > 18) return;
  int color_bits = below_weights - color_start;
  if (color_bits <= 0) return;
  int color_quant = ColorQuantForBits(color_count, color_bits);
  if (color_quant < 0) return;
  out->color_count = color_count;
  out->color_quant = color_quant;

  uint8_t codes[64];
  IseDecode(bits, color_start, color_count, color_quant, codes);
  for (int i = 0; i < color_count; ++i) out->colors[i] = static_cast<uint8_t>(UnquantizeColor(color_quant, codes[i]));
  IseDecode(bits.Reversed(), 0, bm.weight_count, bm.weight_quant, codes);
  for (int i = 0; i < bm.weight_count; ++i)
    out->weights[i] = static_cast<uint8_t>(UnquantizeWeight(bm.weight_quant, codes[i]));
  out->hdr = hdr;
  out->kind = BlockFields::kNormal;
}

}  // namespace internal

namespace {

using namespace internal;

// Decodes a block to unorm16 RGBA texels. In unorm8 mode each texel keeps
// only its top byte, replicated (v >> 8) * 257, as the reference decoder does.
BlockKind DecodeToUnorm16(const uint8_t* block, int block_x, int block_y, bool unorm8, uint16_t* out) {
  const int texels = block_x * block_y;
  BlockFields f;
  ParseBlock(block, block_x, block_y, &f);
  auto fill = [&](const uint16_t c[4]) {
    for (int i = 0; i < texels; ++i) std::memcpy(out + 4 * i, c, 8);
  };
  static constexpr uint16_t kMagenta[4] = {0xffff, 0, 0xffff, 0xffff};
  if (f.kind == BlockFields::kError) {
    fill(kMagenta);
    return BlockKind::kError;
  }
  if (f.kind == BlockFields::kVoidExtentHdr || (f.kind == BlockFields::kNormal && f.hdr)) {
    fill(kMagenta);
    return BlockKind::kHdr;
  }
  if (f.kind == BlockFields::kVoidExtentLdr) {
    uint16_t c[4];
    for (int i = 0; i < 4; ++i) c[i] = unorm8 ? static_cast<uint16_t>((f.constant[i] >> 8) * 257) : f.constant[i];
    fill(c);
    return BlockKind::kVoidExtent;
  }

  std::array<int, 4> e0[4], e1[4];
  int offset = 0;
  for (int p = 0; p < f.partition_count; ++p) {
    int v[8];
    for (int i = 0; i < EndpointValueCount(f.cem[p]); ++i) v[i] = f.colors[offset + i];
    offset += EndpointValueCount(f.cem[p]);
    UnpackLdrEndpoints(f.cem[p], v, &e0[p], &e1[p]);
  }

  InfillTexel infill[144];
  ComputeInfill(block_x, block_y, f.mode.grid_x, f.mode.grid_y, infill);
  const int planes = f.mode.dual_plane ? 2 : 1;
  const bool small = IsSmallBlock(block_x, block_y);
  for (int y = 0; y < block_y; ++y) {
    for (int x = 0; x < block_x; ++x) {
      const int i = y * block_x + x;
      int plane_weight[2] = {0, 0};
      for (int pl = 0; pl < planes; ++pl) {
        int sum = 0;
        for (int k = 0; k < 4; ++k) sum += f.weights[infill[i].index[k] * planes + pl] * infill[i].weight[k];
        plane_weight[pl] = (sum + 8) >> 4;
      }
      int p = SelectPartition(f.partition_seed, x, y, f.partition_count, small);
      for (int c = 0; c < 4; ++c) {
        int w = c == f.plane2_component ? plane_weight[1] : plane_weight[0];
        int v = LerpUnorm16(e0[p][c], e1[p][c], w);
        if (unorm8) v = (v >> 8) * 257;
        out[4 * i + c] = static_cast<uint16_t>(v);
      }
    }
  }
  return BlockKind::kNormal;
}

template <typename T, typename Convert>
StatusOr<std::vector<T>> DecodeImage(const AstcImage& image, bool unorm8, Convert convert) {
  if (!IsValidFootprint(image.block_x, image.block_y) || image.width <= 0 || image.height <= 0)
    return InvalidArgumentError("ASTC image has an invalid footprint or size");
  const uint64_t bx = static_cast<uint64_t>(image.blocks_x()), by = static_cast<uint64_t>(image.blocks_y());
  if (image.blocks.size() != bx * by * kBlockBytes)
    return CorruptDataError("ASTC image holds " + std::to_string(image.blocks.size()) + " bytes of blocks, " +
                            std::to_string(bx * by * kBlockBytes) + " expected");
  std::vector<T> out(static_cast<size_t>(image.width) * static_cast<size_t>(image.height) * 4);
  uint16_t texels[144 * 4];
  for (uint64_t j = 0; j < by; ++j) {
    for (uint64_t i = 0; i < bx; ++i) {
      const uint8_t* block = image.blocks.data() + (j * bx + i) * kBlockBytes;
      if (DecodeToUnorm16(block, image.block_x, image.block_y, unorm8, texels) == BlockKind::kHdr)
        return UnsupportedError("ASTC block (" + std::to_string(i) + ", " + std::to_string(j) +
                                ") uses HDR content; only the LDR profile is supported");
      for (int y = 0; y < image.block_y; ++y) {
        uint64_t py = j * static_cast<uint64_t>(image.block_y) + static_cast<uint64_t>(y);
        if (py >= static_cast<uint64_t>(image.height)) break;
        for (int x = 0; x < image.block_x; ++x) {
          uint64_t px = i * static_cast<uint64_t>(image.block_x) + static_cast<uint64_t>(x);
          if (px >= static_cast<uint64_t>(image.width)) break;
          T* dst = out.data() + (py * static_cast<uint64_t>(image.width) + px) * 4;
          for (int c = 0; c < 4; ++c) dst[c] = convert(texels[4 * (y * image.block_x + x) + c]);
        }
      }
    }
  }
  return out;
}

}  // namespace

bool IsValidFootprint(int block_x, int block_y) {
  static constexpr int kFootprints[14][2] = {{4, 4},  {5, 4},  {5, 5},  {6, 5},   {6, 6},   {8, 5},   {8, 6},
                                             {8, 8},  {10, 5}, {10, 6}, {10, 8},  {10, 10}, {12, 10}, {12, 12}};
  for (const auto& f : kFootprints)
    if (f[0] == block_x && f[1] == block_y) return true;
  return false;
}

BlockKind DecodeBlockFloat16(const uint8_t* block, int block_x, int block_y, uint16_t* out_f16) {
  uint16_t texels[144 * 4];
  BlockKind kind = DecodeToUnorm16(block, block_x, block_y, false, texels);
  for (int i = 0; i < block_x * block_y * 4; ++i) out_f16[i] = Unorm16ToHalf(texels[i]);
  return kind;
}

BlockKind DecodeBlockUnorm8(const uint8_t* block, int block_x, int block_y, uint8_t* out_u8) {
  uint16_t texels[144 * 4];
  BlockKind kind = DecodeToUnorm16(block, block_x, block_y, true, texels);
  for (int i = 0; i < block_x * block_y * 4; ++i) out_u8[i] = static_cast<uint8_t>(texels[i] >> 8);
  return kind;
}

StatusOr<std::vector<uint16_t>> DecodeFloat16(const AstcImage& image) {
  return DecodeImage<uint16_t>(image, false, [](uint16_t v) { return Unorm16ToHalf(v); });
}

StatusOr<std::vector<uint8_t>> DecodeUnorm8(const AstcImage& image) {
  return DecodeImage<uint8_t>(image, true, [](uint16_t v) { return static_cast<uint8_t>(v >> 8); });
}

BlockCensus CountBlocks(const AstcImage& image) {
  BlockCensus census;
  for (size_t off = 0; off + kBlockBytes <= image.blocks.size(); off += kBlockBytes) {
    BlockFields f;
    ParseBlock(image.blocks.data() + off, image.block_x, image.block_y, &f);
    switch (f.kind) {
      case BlockFields::kError: ++census.error; break;
      case BlockFields::kVoidExtentHdr: ++census.hdr; break;
      case BlockFields::kVoidExtentLdr: ++census.void_extent; break;
      case BlockFields::kNormal:
        if (f.hdr) {
          ++census.hdr;
        } else {
          ++census.normal;
          ++census.partitions[f.partition_count];
          census.dual_plane += f.mode.dual_plane;
        }
        break;
    }
  }
  return census;
}

}  // namespace tp::astc
