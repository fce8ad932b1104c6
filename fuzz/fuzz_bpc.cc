// Fuzzes the Bit-Plane Compression block decoder: hostile bits fail cleanly;
// any block of values round-trips.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "codec/dec_bpc.h"
#include "codec/enc_bpc.h"
#include "entropy/bit_io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const bool is_signed = data[0] & 1;
  // 1. Raw bits as blocks.
  tp::entropy::BitReader r({data + 1, size - 1});
  int32_t block[32];
  for (int b = 0; b < 64 && r.overrun() == 0; ++b)
    if (!tp::codec::BpcDecodeBlock(r, is_signed, block).ok()) break;
  // 2. Round trip of the bytes as 8-bit values.
  for (size_t off = 1; off + 32 <= size; off += 32) {
    int32_t v[32];
    for (int i = 0; i < 32; ++i) v[i] = is_signed ? int32_t(int8_t(data[off + i])) : int32_t(data[off + i]);
    tp::entropy::BitWriter w;
    tp::codec::BpcEncodeBlock(v, is_signed, w);
    auto bytes = w.Finish();
    tp::entropy::BitReader back(bytes);
    int32_t out[32];
    if (!tp::codec::BpcDecodeBlock(back, is_signed, out).ok()) abort();
    for (int i = 0; i < 32; ++i)
      if (out[i] != v[i]) abort();
  }
  return 0;
}
