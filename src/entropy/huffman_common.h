// Internal: canonical Huffman codes shared by enc_huffman and dec_huffman.
// A code is fully described by its code lengths (0 = symbol absent): symbols
// sorted by (length, symbol) take consecutive code values (DEFLATE's rule).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "tensorpress/status.h"

namespace tp::entropy {

// Lengths are limited so that a decoder resolves any code with one lookup in
// a 2^kHuffmanMaxBits table.
inline constexpr int kHuffmanMaxBits = 12;

// The four-stream layout (the `huffman` codec's chunks from stream version
// 3 on; HuffmanEncode4 / HuffmanDecode4). A chunk of n symbols is cut into
// four segments of m = ceil(n / 4) symbols (the last ones shorter or
// empty: segment s is [min(s m, n), min((s + 1) m, n))), each coded as its
// own MSB-first bit stream padded with zeros to a byte:
//   u32 LE  bytes of streams 0, 1 and 2
//   the four streams back to back (stream 3 takes the bytes left)
// Four independent streams let a decoder run four lookup chains at once: a
// single stream is one dependent chain (each code's length decides where
// the next starts), which held the old decoder near 200 MB/s.
inline constexpr int kHuffmanStreams = 4;
inline constexpr size_t kHuffmanStreamSizesBytes = 4 * (kHuffmanStreams - 1);
// Segment s of a chunk of n symbols, as [begin, end).
inline void HuffmanSegment(size_t n, int s, size_t* begin, size_t* end) {
  const size_t m = (n + kHuffmanStreams - 1) / kHuffmanStreams;
  *begin = std::min(size_t(s) * m, n);
  *end = std::min((size_t(s) + 1) * m, n);
}

// The eight-stream interleaved layout (the `huffman` codec's chunks from
// stream version 4 on; HuffmanEncode8 / HuffmanDecode8): symbol i of a chunk
// belongs to stream i mod 8, so stream s codes symbols s, s + 8, s + 16, ...
// (HuffmanInterleavedCount of them), as its own MSB-first bit stream padded
// with zeros to a byte:
//   u32 LE  bytes of streams 0 .. 6
//   the eight streams back to back (stream 7 takes the bytes left)
// Why: four streams left the decoder waiting on its four lookup chains
// (each code's length decides where the next starts), and eight streams in
// segments needed eight output offsets besides the readers' state, more
// than x86 has registers for (measured slower than four). Interleaved, every
// round of four symbols per stream fills 32 consecutive output bytes from
// one pointer.
//
// Version-4 chunks of fewer than kHuffmanInterleavedMinSymbols symbols keep
// the four-stream layout: the eight-stream one costs up to 20 bytes more
// (sizes and padding), which on small tensors exceeded 0.3% of a model's
// coded size (MobileNet and DS-CNN of mlperf-tiny: +1.3% and +1.6%), and
// their decoding time hardly counts.
inline constexpr size_t kHuffmanInterleavedMinSymbols = 16384;
inline constexpr int kHuffmanInterleavedStreams = 8;
inline constexpr size_t kHuffmanInterleavedSizesBytes = 4 * (kHuffmanInterleavedStreams - 1);
// Symbols of a chunk of n that stream s (0..7) codes.
inline size_t HuffmanInterleavedCount(size_t n, int s) {
  return n > size_t(s) ? (n - size_t(s) + kHuffmanInterleavedStreams - 1) / kHuffmanInterleavedStreams : 0;
}

// Checks lengths read from untrusted bytes (each 0..kHuffmanMaxBits, Kraft sum
// <= 1, at least one symbol) and returns the canonical codes.
StatusOr<std::vector<uint32_t>> CanonicalCodes(std::span<const uint8_t> lengths);

}  // namespace tp::entropy
