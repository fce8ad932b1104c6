// Histogram256 (include/tensorpress/codec.h): byte histograms for the
// codecs' tables and a container's per-plane codec choice.
//
// Why four tables: a plane of one dominant byte (an exponent plane, int8
// zeros) would otherwise increment one counter in every iteration, and each
// increment waits for the previous store to that counter (a store-to-load
// dependency of ~5 cycles). Four tables, each fed every fourth byte of an
// 8-byte load, turn that chain into four independent ones; 32-bit counters
// keep the tables in 4 KiB of L1, flushed to the 64-bit totals before they
// could overflow.
#include <algorithm>
#include <cstring>

#include "tensorpress/codec.h"

namespace tp {

void Histogram256(std::span<const uint8_t> bytes, std::span<uint64_t, 256> histogram) {
  std::fill(histogram.begin(), histogram.end(), 0);
  uint32_t t[4][256];
  const uint8_t* p = bytes.data();
  size_t left = bytes.size();
  // Each table takes 2 bytes of every 8, so 2^31 bytes raise a counter by at most 2^29.
  constexpr size_t kBlock = size_t(1) << 31;
  while (left > 0) {
    std::memset(t, 0, sizeof(t));
    const size_t block = std::min(left, kBlock);
    size_t i = 0;
    for (; i + 16 <= block; i += 16) {
      uint64_t a, b;
      std::memcpy(&a, p + i, 8);
      std::memcpy(&b, p + i + 8, 8);
      ++t[0][a & 0xff];
      ++t[1][(a >> 8) & 0xff];
      ++t[2][(a >> 16) & 0xff];
      ++t[3][(a >> 24) & 0xff];
      ++t[0][(a >> 32) & 0xff];
      ++t[1][(a >> 40) & 0xff];
      ++t[2][(a >> 48) & 0xff];
      ++t[3][a >> 56];
      ++t[0][b & 0xff];
      ++t[1][(b >> 8) & 0xff];
      ++t[2][(b >> 16) & 0xff];
      ++t[3][(b >> 24) & 0xff];
      ++t[0][(b >> 32) & 0xff];
      ++t[1][(b >> 40) & 0xff];
      ++t[2][(b >> 48) & 0xff];
      ++t[3][b >> 56];
    }
    for (; i < block; ++i) ++t[i & 3][p[i]];
    for (int v = 0; v < 256; ++v) histogram[v] += uint64_t(t[0][v]) + t[1][v] + t[2][v] + t[3][v];
    p += block;
    left -= block;
  }
}

}  // namespace tp
