// Element types and their traits table.
//
// Every dtype tensorpress knows has one row in a traits table (ggml's
// pattern): its name, its storage layout and how model formats spell it.
// Most dtypes store one element in a whole number of bytes. Two kinds do not:
//   - packed 4-bit integers (kI4, kU4): two elements a byte, the first in the
//     low nibble; a tensor of n elements takes ceil(n/2) bytes;
//   - block-quantized GGUF types (kQ8_0 ... kMXFP4, every ggml type):
//     `block_elements` elements (32, or 256 for K/IQ/TQ super-blocks) share
//     one block of `block_bytes` bytes holding scales (and minimums) plus the
//     quantized values. They are read as raw blocks and dequantized on
//     request (ElementsAsDouble / ToF32 in tensor.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace tp {

enum class DType : uint8_t {
  kF64, kF32, kF16, kBF16,
  kI64, kI32, kI16, kI8,
  kU64, kU32, kU16, kU8,
  kBool,
  kI4, kU4,
  kQ8_0, kQ4_0, kQ4_1,
  // Every other ggml block type (appended; src/common/blocks.h has the layouts).
  kQ5_0, kQ5_1, kQ8_1,
  kQ2_K, kQ3_K, kQ4_K, kQ5_K, kQ6_K, kQ8_K,
  kIQ2_XXS, kIQ2_XS, kIQ3_XXS, kIQ1_S, kIQ4_NL, kIQ3_S, kIQ2_S, kIQ4_XS, kIQ1_M,
  kTQ1_0, kTQ2_0, kMXFP4,
  // OCP 8-bit floats (fp8.h): E4M3 (no infinities, max 448) and E5M2 (IEEE-style).
  kF8E4M3, kF8E5M2,
};
inline constexpr int kNumDTypes = 41;

struct DTypeTraits {
  DType dtype;
  std::string_view name;          // tensorpress's name: "f32", "q4_0", ...
  int bits;                       // bits per element (packed types: 4; block types: 0)
  int block_elements;             // elements per storage block (1, 2 for packed 4-bit, 32 for Q*)
  int block_bytes;                // bytes per storage block
  bool is_float;                  // element values are floating point
  bool is_signed;                 // signed integer or float
  bool is_quantized_block;        // GGUF-style block quantization
  std::string_view safetensors;   // safetensors dtype string, empty if none
};

const DTypeTraits& Traits(DType dtype);
inline std::string_view DTypeName(DType dtype) { return Traits(dtype).name; }
// Parses tensorpress's own names ("f32", "bf16", "i4", "q8_0"...).
std::optional<DType> DTypeFromName(std::string_view name);
std::optional<DType> DTypeFromSafetensors(std::string_view name);

// Bytes needed for `elements` elements; nullopt when the count is not a whole
// number of blocks (block types) or the size overflows.
std::optional<uint64_t> StorageBytes(DType dtype, uint64_t elements);

}  // namespace tp
