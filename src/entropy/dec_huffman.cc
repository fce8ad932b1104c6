#include "entropy/dec_huffman.h"

#include <string>

#include "entropy/bit_io.h"

namespace tp::entropy {

StatusOr<HuffmanDecodeTable> BuildHuffmanDecodeTable(std::span<const uint8_t> lengths) {
  if (lengths.size() > 256) return CorruptDataError("Huffman alphabet above 256 symbols");
  TP_ASSIGN_OR_RETURN(std::vector<uint32_t> codes, CanonicalCodes(lengths));
  HuffmanDecodeTable t;
  t.entries.assign(size_t(1) << kHuffmanMaxBits, 0);
  for (size_t s = 0; s < lengths.size(); ++s) {
    const int len = lengths[s];
    if (len == 0) continue;
    const uint32_t first = codes[s] << (kHuffmanMaxBits - len);
    const uint32_t span = uint32_t(1) << (kHuffmanMaxBits - len);
    for (uint32_t i = 0; i < span; ++i) t.entries[first + i] = static_cast<uint16_t>(s | (len << 8));
  }
  return t;
}

Status HuffmanDecode(std::span<const uint8_t> bytes, const HuffmanDecodeTable& table,
                     std::span<uint8_t> out) {
  if (table.entries.size() != (size_t(1) << kHuffmanMaxBits))
    return InvalidArgumentError("Huffman decoder: invalid table");
  BitReader in(bytes);
  for (uint8_t& sym : out) {
    const uint16_t e = table.entries[in.Peek(kHuffmanMaxBits)];
    const int len = e >> 8;
    if (len == 0) return CorruptDataError("Huffman stream holds an unused code");
    in.Skip(len);
    sym = static_cast<uint8_t>(e & 0xff);
    if (in.overrun() > 0) return CorruptDataError("Huffman stream is truncated");
  }
  return Status::Ok();
}

}  // namespace tp::entropy
