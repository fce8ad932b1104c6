// Internal: the planes of a GGUF file's header (frame layout kGgufHeader,
// tpz3_format.h): its key/value section and tensor infos, up to the data.
//
// Why: in an LLM's GGUF file the header is mostly the tokenizer (gemma-3's
// 6.5 MB: 262,144 token strings, each behind a u64 length, then a f32 score
// and an i32 type per token). zstd on those bytes as they lie codes the
// lengths' seven zero bytes and the strings together, and must run at a
// level that costs seconds to reach xz's size. Split, each kind of byte
// goes to its own plane and a fast coder suffices:
//   plane "structure": magic, version, counts, value and array types, the
//      high 7 bytes of every string length, scalar values, tensor infos, and
//      whatever follows the tensor infos (alignment padding);
//   plane "string lengths": the low byte of every string length;
//   plane "strings": every string's bytes, concatenated;
//   plane "arrays": the elements of every numeric array, concatenated, each
//      array as the differences of its consecutive elements (scores that
//      count down by one, token types in runs).
// The planes are a permutation of the header's bytes (their sizes add up
// to it), and the walk that splits them is the walk that merges them: each
// step's size is computed from bytes already restored, so the decoder needs
// nothing but the planes and the restored size.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "tensorpress/status.h"

namespace tp::tpz3 {

inline constexpr int kGgufHeaderParts = 4;
inline constexpr const char* kGgufHeaderPartNames[kGgufHeaderParts] = {
    "gguf structure", "gguf string lengths", "gguf strings", "gguf arrays"};

// Splits `header` (a GGUF file from byte 0, ending at or after its tensor
// infos) into the four planes above; false when it is not a GGUF header of
// version 2 or 3 that ends within `header` (the layout does not apply).
bool SplitGgufHeader(std::span<const uint8_t> header, std::array<std::vector<uint8_t>, kGgufHeaderParts>& parts);

// The inverse: fills `out` from the planes. CorruptDataError when the planes
// do not walk to exactly out.size() bytes, using every plane byte.
Status MergeGgufHeader(const std::array<std::span<const uint8_t>, kGgufHeaderParts>& parts, std::span<uint8_t> out);

}  // namespace tp::tpz3
