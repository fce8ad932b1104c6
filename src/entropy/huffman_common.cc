#include "entropy/huffman_common.h"

#include <string>

namespace tp::entropy {

StatusOr<std::vector<uint32_t>> CanonicalCodes(std::span<const uint8_t> lengths) {
  uint32_t count[kHuffmanMaxBits + 1] = {};
  for (uint8_t len : lengths) {
    if (len > kHuffmanMaxBits)
      return CorruptDataError("Huffman code length " + std::to_string(len) + " exceeds " +
                              std::to_string(kHuffmanMaxBits));
    ++count[len];
  }
  count[0] = 0;
  uint64_t kraft = 0;  // in units of 2^-kHuffmanMaxBits
  for (int len = 1; len <= kHuffmanMaxBits; ++len) kraft += uint64_t(count[len]) << (kHuffmanMaxBits - len);
  if (kraft == 0) return CorruptDataError("Huffman table codes no symbol");
  if (kraft > (uint64_t(1) << kHuffmanMaxBits)) return CorruptDataError("Huffman code lengths oversubscribe the code space");
  uint32_t next[kHuffmanMaxBits + 2] = {};
  uint32_t code = 0;
  for (int len = 1; len <= kHuffmanMaxBits; ++len) {
    code = (code + count[len - 1]) << 1;
    next[len] = code;
  }
  std::vector<uint32_t> codes(lengths.size(), 0);
  for (size_t s = 0; s < lengths.size(); ++s)
    if (lengths[s]) codes[s] = next[lengths[s]]++;
  return codes;
}

}  // namespace tp::entropy
