// Reads back the nibble stream of slice.h. Every stored vector advances the
// position by its run + 1, so a stream can never describe more than `count`
// vectors; the output is allocated once, from the caller's count.
#include <string>

#include "tensorpress/slice.h"

namespace tp {

StatusOr<std::vector<int8_t>> DecodeSliceStream(std::span<const uint8_t> bytes, uint32_t count,
                                                int8_t skip_value, bool is_signed) {
  // Each stored vector takes 5 nibbles and accounts for at least one vector.
  if (bytes.size() > (uint64_t(count) * 5 + 1) / 2)
    return CorruptDataError("slice stream of " + std::to_string(bytes.size()) + " bytes is too long for " +
                            std::to_string(count) + " vectors");
  auto nibble = [&](size_t i) { return static_cast<uint8_t>((bytes[i / 2] >> (4 * (i % 2))) & 15); };
  const size_t total = bytes.size() * 2;
  std::vector<int8_t> out(size_t(count) * 4, skip_value);
  uint64_t pos = 0;
  size_t i = 0;
  while (total - i >= 5) {
    pos += nibble(i);
    if (pos >= count)
      return CorruptDataError("slice stream stores a vector past its " + std::to_string(count) + " vectors");
    for (int lane = 0; lane < 4; ++lane) {
      uint8_t v = nibble(i + 1 + lane);
      out[pos * 4 + lane] = static_cast<int8_t>(is_signed && v >= 8 ? int(v) - 16 : int(v));
    }
    ++pos;
    i += 5;
  }
  if (total - i > 1 || (total - i == 1 && nibble(i) != 0))
    return CorruptDataError("slice stream ends inside a vector");
  return out;
}

}  // namespace tp
