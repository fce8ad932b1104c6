// Internal: the byte layout of a codec stream, shared by enc_codec.cc and
// dec_codec.cc (documented for users in docs/lossless.md).
//
//   u8     codec id            (tp::Codec)
//   u8     format version      (kStreamVersion; kHuffmanStreamVersion for huffman)
//   u8     flags               (bit 0: codes are signed values + 128;
//                               bit 1: an explicit zero code follows;
//                               bit 2: one chunk, no chunk-values field)
//  [u8     zero code]          (else 128 for signed codes, 0 otherwise)
//   varint value count
//  [varint chunk values]       (codes per chunk; the last chunk may be short)
//   varint params size, then the codec's parameters and tables
//   varint size of every chunk but the last (which takes the bytes left),
//          then the chunks back to back
// The chunk count is ceil(value count / chunk values). Varints are LEB128:
// 7 bits per byte, least significant first, at most 10 bytes, no needless
// trailing zero byte. The stream ends exactly after the last chunk.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "entropy/rans_common.h"
#include "io/byte_reader.h"
#include "tensorpress/codec.h"
#include "tensorpress/status.h"

namespace tp::codec {

// Version 2: varint header, implied last chunk size, compact Atalanta and
// order-0 tables, one bit stream per Atalanta chunk, and atalanta-rans with
// its offsets folded into 32-lane rANS states (one stream per chunk).
inline constexpr uint8_t kStreamVersion = 2;
// Version 3, `huffman` streams only: every chunk in the four-stream layout
// (entropy/huffman_common.h). Version 4, `huffman` only: every chunk of at
// least kHuffmanInterleavedMinSymbols symbols in the eight-stream
// interleaved layout (1.3-1.4x the decoding speed), smaller ones in the
// four-stream layout. Readers
// still decode version-2 (one bit stream per chunk) and version-3 `huffman`
// streams; the writer emits version 4.
inline constexpr uint8_t kHuffmanFourStreamVersion = 3;
inline constexpr uint8_t kHuffmanStreamVersion = 4;
inline uint8_t StreamVersionOf(Codec codec) { return codec == Codec::kHuffman ? kHuffmanStreamVersion : kStreamVersion; }
inline constexpr uint8_t kFlagSignedCodes = 1;
inline constexpr uint8_t kFlagZeroCode = 2;
inline constexpr uint8_t kFlagOneChunk = 4;
inline constexpr uint32_t kMaxChunkValues = uint32_t(1) << 30;
inline constexpr int kMaxAtalantaRanges = 64;

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

inline void PutVarint(std::vector<uint8_t>& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<uint8_t>(v));
}

// Reads a canonical LEB128 varint of at most 64 bits.
inline Status ReadVarint(io::ByteReader& r, uint64_t* out, const char* what) {
  uint64_t v = 0;
  for (int shift = 0;; shift += 7) {
    uint8_t b = 0;
    TP_RETURN_IF_ERROR(r.Read(&b, what));
    if (shift == 63 && b > 1) return CorruptDataError(std::string(what) + " overflows 64 bits");
    if (shift > 0 && b == 0) return CorruptDataError(std::string(what) + " is an overlong varint");
    v |= uint64_t(b & 0x7f) << shift;
    if (!(b & 0x80)) break;
  }
  *out = v;
  return Status::Ok();
}

}  // namespace tp::codec
