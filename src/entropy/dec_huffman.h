// Internal: table-driven decoder of canonical Huffman streams. Never includes
// the encoder.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "entropy/huffman_common.h"

namespace tp::entropy {

struct HuffmanDecodeTable {
  // 2^kHuffmanMaxBits entries indexed by the next bits: length | symbol << 8;
  // length 0 marks a bit pattern no code starts with.
  std::vector<uint16_t> entries;
  // No entry of length 0: the code is complete (Kraft sum 1, as the encoder's
  // codes of two or more symbols are), so no stream can hold an unused code
  // and the four-stream loop skips that check.
  bool complete = false;
};
StatusOr<HuffmanDecodeTable> BuildHuffmanDecodeTable(std::span<const uint8_t> lengths);

// Decodes out.size() symbols; an unused code or a stream that ends early is
// CorruptDataError.
Status HuffmanDecode(std::span<const uint8_t> bytes, const HuffmanDecodeTable& table,
                     std::span<uint8_t> out);

// Decodes a four-stream chunk (huffman_common.h) of out.size() symbols, the
// four streams interleaved. Corrupt input (stream sizes beyond the chunk, an
// unused code, a stream that ends early or carries bytes it does not use)
// is CorruptDataError, never a read outside `bytes`.
Status HuffmanDecode4(std::span<const uint8_t> bytes, const HuffmanDecodeTable& table, std::span<uint8_t> out);
// The same for an eight-stream interleaved chunk (huffman_common.h).
Status HuffmanDecode8(std::span<const uint8_t> bytes, const HuffmanDecodeTable& table, std::span<uint8_t> out);

// HuffmanDecode4's and HuffmanDecode8's loops are compiled twice, plain and with BMI2 (used when
// the CPU has it); tests turn BMI2 off to run the plain one.
bool HuffmanBmi2Enabled();
void SetHuffmanBmi2ForTesting(bool allowed);

}  // namespace tp::entropy
