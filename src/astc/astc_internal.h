// Internal pieces of the ASTC codec shared by the decoder and the encoder:
// the bit-level block layout, bounded integer sequence encoding (BISE),
// quantisation tables, the partition hash and endpoint unpacking. Everything
// here follows the Khronos Data Format Specification's ASTC chapter; names
// mirror its terms (weight grid, colour endpoint mode, ...).
#pragma once

#include <array>
#include <cstdint>
#include <span>

namespace tp::astc::internal {

// The 21 BISE ranges, in the specification's order. Weights use the first
// twelve (up to 32 levels); colour endpoints use index 4 (6 levels) and up.
enum QuantLevel : int {
  kQuant2, kQuant3, kQuant4, kQuant5, kQuant6, kQuant8, kQuant10, kQuant12, kQuant16, kQuant20,
  kQuant24, kQuant32, kQuant40, kQuant48, kQuant64, kQuant80, kQuant96, kQuant128, kQuant160,
  kQuant192, kQuant256,
};
inline constexpr int kNumQuantLevels = 21;
inline constexpr int kNumWeightQuantLevels = 12;

int QuantLevelCount(int quant);  // 2, 3, 4, ..., 256
// Bits a BISE sequence of `count` values in range `quant` occupies.
int IseBitCount(int count, int quant);

// A 128-bit block as two little-endian words.
struct Bits128 {
  uint64_t lo = 0, hi = 0;
  static Bits128 Load(const uint8_t* bytes);
  void Store(uint8_t* bytes) const;
  uint32_t Read(int pos, int count) const;          // count <= 32, bits past 127 read as 0
  void Write(int pos, int count, uint32_t value);   // bits must be clear
  Bits128 Reversed() const;
};

// Decodes `count` values of range `quant` starting at bit `pos`.
void IseDecode(const Bits128& bits, int pos, int count, int quant, uint8_t* out);
// Encodes `count` values (each < QuantLevelCount(quant)) at bit `pos`.
void IseEncode(Bits128& bits, int pos, int count, int quant, const uint8_t* values);

// Unquantised values of every BISE code: weights to 0..64, colours to 0..255.
int UnquantizeWeight(int quant, int code);
int UnquantizeColor(int quant, int code);

// The weight grid and precision that an 11-bit block mode selects.
struct BlockMode {
  int grid_x = 0, grid_y = 0;
  bool dual_plane = false;
  int weight_quant = 0;  // QuantLevel, < kNumWeightQuantLevels
  int weight_count = 0;  // including the second plane
  int weight_bits = 0;
};
// False for reserved modes, grids larger than the footprint and modes whose
// weights break the specification's limits (64 weights, 24..96 bits).
bool DecodeBlockMode(int mode, int block_x, int block_y, BlockMode* out);
// The 11-bit block mode for a grid and precision; -1 if none encodes it.
int EncodeBlockMode(int grid_x, int grid_y, bool dual_plane, int weight_quant);

// The partition (0..count-1) of texel (x, y) for a seed, per the hash.
int SelectPartition(int seed, int x, int y, int partition_count, bool small_block);

// Colour endpoint modes. HDR ones are recognised so they can be refused.
inline bool IsHdrEndpointMode(int cem) {
  return cem == 2 || cem == 3 || cem == 7 || cem == 11 || cem == 14 || cem == 15;
}
inline int EndpointValueCount(int cem) { return 2 * ((cem >> 2) + 1); }
// LDR endpoint pair (RGBA, 0..255) from unquantised values.
void UnpackLdrEndpoints(int cem, const int* v, std::array<int, 4>* e0, std::array<int, 4>* e1);

// Highest colour range whose BISE sequence of `count` values fits `bits`;
// -1 when even 6 levels do not fit.
int ColorQuantForBits(int count, int bits);

// Weight infill: for each texel of a block_x x block_y footprint, the four
// grid indices and 4-bit weights of the specification's bilinear infill.
struct InfillTexel {
  uint8_t index[4];
  uint8_t weight[4];
};
void ComputeInfill(int block_x, int block_y, int grid_x, int grid_y, InfillTexel* out);

// Fields of a decoded block, before interpolation. Filled by ParseBlock.
struct BlockFields {
  enum Kind { kNormal, kVoidExtentLdr, kVoidExtentHdr, kError } kind = kError;
  bool hdr = false;  // a normal block using an HDR endpoint mode
  BlockMode mode;
  int partition_count = 1;
  int partition_seed = 0;
  int cem[4] = {0, 0, 0, 0};
  int plane2_component = -1;
  int color_quant = 0;
  int color_count = 0;
  uint8_t colors[18];        // unquantised 0..255
  uint8_t weights[64];       // unquantised 0..64, planes interleaved
  uint16_t constant[4];      // void extent colour
};
void ParseBlock(const uint8_t* block, int block_x, int block_y, BlockFields* out);

// Smallest valid texel count for which the partition hash uses doubled coordinates.
inline bool IsSmallBlock(int block_x, int block_y) { return block_x * block_y < 31; }

// Interpolation shared by both decode modes: unorm16 result of one channel.
inline int LerpUnorm16(int e0, int e1, int weight) {
  int c0 = e0 * 257, c1 = e1 * 257;
  return (c0 * (64 - weight) + c1 * weight + 32) >> 6;
}

// LDR unorm16 to half float, rounding toward zero; 0xFFFF is exactly 1.0.
uint16_t Unorm16ToHalf(int v);

}  // namespace tp::astc::internal
