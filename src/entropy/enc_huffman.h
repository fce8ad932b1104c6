// Internal: length-limited canonical Huffman encoder.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "entropy/huffman_common.h"

namespace tp::entropy {

// Code lengths (<= kHuffmanMaxBits) for symbols with these counts: Huffman's
// lengths, then, if too long, the JPEG (ITU T.81 Annex K.3) adjustment that
// moves leaves up the tree until no code exceeds the limit. A lone symbol
// gets length 1. Fails if no symbol occurs.
StatusOr<std::vector<uint8_t>> HuffmanCodeLengths(std::span<const uint64_t> counts);

// Encodes `symbols`, MSB first, with the canonical code of `lengths`.
StatusOr<std::vector<uint8_t>> HuffmanEncode(std::span<const uint8_t> symbols,
                                             std::span<const uint8_t> lengths);

// The four-stream layout (huffman_common.h, kHuffmanStreams): appends the
// chunk of `symbols` to `out` and, with `code_bits`, adds the symbols' code
// bits to it. InvalidArgumentError if a symbol has no code.
Status HuffmanEncode4(std::span<const uint8_t> symbols, std::span<const uint8_t> lengths, std::vector<uint8_t>& out,
                      uint64_t* code_bits = nullptr);
// The eight-stream interleaved layout (huffman_common.h), with the same contract.
Status HuffmanEncode8(std::span<const uint8_t> symbols, std::span<const uint8_t> lengths, std::vector<uint8_t>& out,
                      uint64_t* code_bits = nullptr);

}  // namespace tp::entropy
