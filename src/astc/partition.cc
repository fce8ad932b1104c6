// The specification's partition hash: a texel's partition is a function of
// the 10-bit seed, the partition count and the texel's position, computed
// rather than stored so that 1024 patterns per count cost no table space.
#include <cstdint>

#include "astc/astc_internal.h"

namespace tp::astc::internal {
namespace {

uint32_t Hash52(uint32_t p) {
  p ^= p >> 15;
  p -= p << 17;
  p += p << 7;
  p += p << 4;
  p ^= p >> 5;
  p += p << 16;
  p ^= p >> 7;
  p ^= p >> 3;
  p ^= p << 6;
  p ^= p >> 17;
  return p;
}

}  // namespace

int SelectPartition(int seed, int x, int y, int partition_count, bool small_block) {
  if (partition_count <= 1) return 0;
  if (small_block) {
    x <<= 1;
    y <<= 1;
  }
  const int z = 0;
  seed += (partition_count - 1) * 1024;
  uint32_t rnum = Hash52(static_cast<uint32_t>(seed));
  uint8_t s[12];
  s[0] = rnum & 0xf;
  s[1] = (rnum >> 4) & 0xf;
  s[2] = (rnum >> 8) & 0xf;
  s[3] = (rnum >> 12) & 0xf;
  s[4] = (rnum >> 16) & 0xf;
  s[5] = (rnum >> 20) & 0xf;
  s[6] = (rnum >> 24) & 0xf;
  s[7] = (rnum >> 28) & 0xf;
  s[8] = (rnum >> 18) & 0xf;
  s[9] = (rnum >> 22) & 0xf;
  s[10] = (rnum >> 26) & 0xf;
  s[11] = ((rnum >> 30) | (rnum << 2)) & 0xf;
  for (auto& v : s) v = static_cast<uint8_t>(v * v);

  int sh1, sh2;
  if (seed & 1) {
    sh1 = (seed & 2) ? 4 : 5;
    sh2 = partition_count == 3 ? 6 : 5;
  } else {
    sh1 = partition_count == 3 ? 6 : 5;
    sh2 = (seed & 2) ? 4 : 5;
  }
  int sh3 = (seed & 0x10) ? sh1 : sh2;
  for (int i = 0; i < 8; ++i) s[i] = static_cast<uint8_t>(s[i] >> ((i & 1) ? sh2 : sh1));
  for (int i = 8; i < 12; ++i) s[i] = static_cast<uint8_t>(s[i] >> sh3);

  int a = (s[0] * x + s[1] * y + s[10] * z + static_cast<int>(rnum >> 14)) & 0x3f;
  int b = (s[2] * x + s[3] * y + s[11] * z + static_cast<int>(rnum >> 10)) & 0x3f;
  int c = (s[4] * x + s[5] * y + s[8] * z + static_cast<int>(rnum >> 6)) & 0x3f;
  int d = (s[6] * x + s[7] * y + s[9] * z + static_cast<int>(rnum >> 2)) & 0x3f;
  if (partition_count < 4) d = 0;
  if (partition_count < 3) c = 0;
  if (a >= b && a >= c && a >= d) return 0;
  if (b >= c && b >= d) return 1;
  if (c >= d) return 2;
  return 3;
}

}  // namespace tp::astc::internal
