// Fuzzes the ASTC decoder: any bytes parsed as a .astc file must give an
// image or a clean error; the same bytes are also decoded as raw blocks at a
// footprint picked by the first byte, so that every block-level path (modes,
// BISE, partitions, endpoint modes, void extents) sees hostile bits even when
// the header is invalid.
#include <cstdint>
#include <vector>

#include "tensorpress/astc.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> bytes(data, size);
  auto image = tp::astc::ParseAstcFile(bytes);
  if (image.ok()) {
    (void)tp::astc::DecodeFloat16(*image);
    (void)tp::astc::DecodeUnorm8(*image);
    (void)tp::astc::CountBlocks(*image);
  }
  static constexpr int kFootprints[14][2] = {{4, 4},  {5, 4},  {5, 5},  {6, 5},   {6, 6},   {8, 5},   {8, 6},
                                             {8, 8},  {10, 5}, {10, 6}, {10, 8},  {10, 10}, {12, 10}, {12, 12}};
  if (size < 1) return 0;
  const int* fp = kFootprints[data[0] % 14];
  uint16_t f16[144 * 4];
  uint8_t u8[144 * 4];
  for (size_t off = 1; off + 16 <= size; off += 16) {
    tp::astc::BlockKind a = tp::astc::DecodeBlockFloat16(data + off, fp[0], fp[1], f16);
    tp::astc::BlockKind b = tp::astc::DecodeBlockUnorm8(data + off, fp[0], fp[1], u8);
    if (a != b) __builtin_trap();  // both modes must classify a block alike
  }
  return 0;
}
