// Internal: canonical Huffman codes shared by enc_huffman and dec_huffman.
// A code is fully described by its code lengths (0 = symbol absent): symbols
// sorted by (length, symbol) take consecutive code values (DEFLATE's rule).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "tensorpress/status.h"

namespace tp::entropy {

// Lengths are limited so that a decoder resolves any code with one lookup in
// a 2^kHuffmanMaxBits table.
inline constexpr int kHuffmanMaxBits = 12;

// Checks lengths read from untrusted bytes (each 0..kHuffmanMaxBits, Kraft sum
// <= 1, at least one symbol) and returns the canonical codes.
StatusOr<std::vector<uint32_t>> CanonicalCodes(std::span<const uint8_t> lengths);

}  // namespace tp::entropy
