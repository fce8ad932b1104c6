// Serializes one block's HO slice vectors into the nibble stream of slice.h.
#include "tensorpress/slice.h"

namespace tp {

std::vector<uint8_t> EncodeSliceStream(std::span<const int8_t> vectors, int8_t skip_value) {
  std::vector<uint8_t> nibbles;
  uint8_t run = 0;
  for (size_t i = 0; i + 4 <= vectors.size(); i += 4) {
    const int8_t* v = vectors.data() + i;
    const bool skip = v[0] == skip_value && v[1] == skip_value && v[2] == skip_value && v[3] == skip_value;
    if (skip && run < 15) {
      ++run;
      continue;
    }
    nibbles.push_back(run);
    for (int lane = 0; lane < 4; ++lane) nibbles.push_back(static_cast<uint8_t>(v[lane]) & 15);
    run = 0;
  }
  std::vector<uint8_t> bytes((nibbles.size() + 1) / 2, 0);
  for (size_t i = 0; i < nibbles.size(); ++i) bytes[i / 2] |= static_cast<uint8_t>(nibbles[i] << (4 * (i % 2)));
  return bytes;
}

}  // namespace tp
