// Internal: the byte layout of a codec stream, shared by enc_codec.cc and
// dec_codec.cc (documented for users in docs/lossless.md).
//
//   u8  codec id            (tp::Codec)
//   u8  format version      (kStreamVersion)
//   u8  flags               (bit 0: codes are signed values + 128)
//   u8  zero code
//   u64 value count
//   u32 chunk values        (codes per chunk; the last chunk may be short)
//   u32 chunk count         (= ceil(value count / chunk values))
//   u32 params size, then the codec's parameters and tables
//   u32 size of every chunk, then the chunks back to back
// All integers little-endian. The stream ends exactly after the last chunk.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "entropy/rans_common.h"

namespace tp::codec {

// The format version counts changes of each codec's own layout.
inline constexpr uint8_t kStreamVersion = 1;
// atalanta-rans 2: offsets folded into 32-lane rANS states (1: 16 lanes, offsets in a second stream).
inline constexpr uint8_t kRansStreamVersion = 2;
inline constexpr uint8_t kFlagSignedCodes = 1;
inline constexpr size_t kFixedHeaderBytes = 1 + 1 + 1 + 1 + 8 + 4 + 4 + 4;
inline constexpr uint32_t kMaxChunkValues = uint32_t(1) << 30;
inline constexpr int kMaxAtalantaRanges = 64;
// Bits per range in Atalanta's table: its first code (8 bits) and its
// frequency in P+1 bits (a lone non-empty range holds all of 2^P).
inline int AtalantaFrequencyBits(int precision_bits) { return precision_bits + 1; }
inline int AtalantaTableBitsPerRange(int precision_bits) { return 8 + AtalantaFrequencyBits(precision_bits); }

// atalanta-rans folds each offset into the rANS state right after its symbol,
// which holds while P + width <= 16 (entropy/enc_rans.cc): its ranges hold at
// most 2^(16-P) codes.
inline int AtalantaRansMaxOffsetBits(int precision_bits) {
  return entropy::kRansMaxPrecisionPlusRawBits - precision_bits;
}
// K such ranges must tile the 256 codes, so the encoder lowers P to the
// largest value at which they can (12 for K = 16, 11 for K = 8); P = 8
// always works (ranges of 256 codes).
inline int AtalantaRansPrecision(int precision_bits, int ranges) {
  int p = precision_bits;
  while (p > 8 && (uint64_t(ranges) << AtalantaRansMaxOffsetBits(p)) < 256) --p;
  return p;
}

// ceil(log2(size)) for size >= 1: the raw offset width of a range.
inline int OffsetBits(uint32_t size) {
  int b = 0;
  while ((uint32_t(1) << b) < size) ++b;
  return b;
}

template <typename T>
void PutLE(std::vector<uint8_t>& out, T v) {
  uint8_t b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  out.insert(out.end(), b, b + sizeof(T));
}

}  // namespace tp::codec
