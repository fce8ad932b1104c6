// Fuzzes the GGUF block field split: for any dtype and any bytes, a split
// either refuses (not whole blocks, not a block type) or merges back to the
// identical bytes; merging planes of the wrong size must refuse, not write
// out of bounds.
#include <cstring>
#include <vector>

#include "codec/block_fields.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const auto dtype = static_cast<tp::DType>(data[0] % tp::kNumDTypes);
  const uint8_t trim = data[1];
  std::span<const uint8_t> blocks(data + 2, size - 2);
  auto planes = tp::SplitBlockFields(dtype, blocks);
  if (!planes.ok()) return 0;
  std::vector<uint8_t> back(blocks.size());
  if (!tp::MergeBlockFields(dtype, *planes, back).ok()) __builtin_trap();
  if (!back.empty() && std::memcmp(back.data(), blocks.data(), back.size()) != 0) __builtin_trap();
  // A plane shortened by `trim` bytes must be refused.
  if (trim != 0 && !planes->empty() && !planes->front().bytes.empty()) {
    auto& p = planes->front().bytes;
    p.resize(p.size() > trim ? p.size() - trim : 0);
    if (tp::MergeBlockFields(dtype, *planes, back).ok()) __builtin_trap();
  }
  return 0;
}
