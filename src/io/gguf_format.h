// Internal: GGUF constants shared by the reader (gguf.cc) and the writer
// (gguf_writer.cc): value types of the key/value section and ggml's tensor
// type ids, with the mapping to tensorpress dtypes.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "tensorpress/dtype.h"

namespace tp::io {

inline constexpr uint32_t kGgufVersion = 3;
inline constexpr uint64_t kGgufDefaultAlignment = 32;

// gguf_type: the types of key/value values.
enum : uint32_t {
  kGgufU8 = 0, kGgufI8 = 1, kGgufU16 = 2, kGgufI16 = 3, kGgufU32 = 4, kGgufI32 = 5,
  kGgufF32 = 6, kGgufBool = 7, kGgufString = 8, kGgufArray = 9, kGgufU64 = 10,
  kGgufI64 = 11, kGgufF64 = 12,
};

// Encoded size of a fixed-size value type; 0 for strings, arrays and unknown types.
inline uint64_t GgufScalarBytes(uint32_t type) {
  switch (type) {
    case kGgufU8: case kGgufI8: case kGgufBool: return 1;
    case kGgufU16: case kGgufI16: return 2;
    case kGgufU32: case kGgufI32: case kGgufF32: return 4;
    case kGgufU64: case kGgufI64: case kGgufF64: return 8;
    default: return 0;
  }
}

inline std::string_view GgufValueTypeName(uint32_t type) {
  constexpr std::string_view kNames[] = {"uint8", "int8", "uint16", "int16", "uint32", "int32", "float32",
                                         "bool", "string", "array", "uint64", "int64", "float64"};
  return type < std::size(kNames) ? kNames[type] : "unknown";
}

// ggml_type ids (ggml.h), and the tensorpress dtype of each id tensorpress
// reads: every type ggml still defines. Ids 4, 5 (Q4_2, Q4_3) and 31-33,
// 36-38 (repacked Q4_0/IQ4_NL layouts) were removed from ggml and are kept
// as opaque bytes by the reader.
struct GgmlDType { uint32_t ggml; DType dtype; };
inline constexpr GgmlDType kGgmlDTypes[] = {
    {0, DType::kF32},      {1, DType::kF16},      {2, DType::kQ4_0},    {3, DType::kQ4_1},
    {6, DType::kQ5_0},     {7, DType::kQ5_1},     {8, DType::kQ8_0},    {9, DType::kQ8_1},
    {10, DType::kQ2_K},    {11, DType::kQ3_K},    {12, DType::kQ4_K},   {13, DType::kQ5_K},
    {14, DType::kQ6_K},    {15, DType::kQ8_K},    {16, DType::kIQ2_XXS}, {17, DType::kIQ2_XS},
    {18, DType::kIQ3_XXS}, {19, DType::kIQ1_S},   {20, DType::kIQ4_NL}, {21, DType::kIQ3_S},
    {22, DType::kIQ2_S},   {23, DType::kIQ4_XS},  {24, DType::kI8},     {25, DType::kI16},
    {26, DType::kI32},     {27, DType::kI64},     {28, DType::kF64},    {29, DType::kIQ1_M},
    {30, DType::kBF16},    {34, DType::kTQ1_0},   {35, DType::kTQ2_0},  {39, DType::kMXFP4},
};

inline std::optional<DType> DTypeFromGgml(uint32_t type) {
  for (const GgmlDType& g : kGgmlDTypes)
    if (g.ggml == type) return g.dtype;
  return std::nullopt;
}

inline std::optional<uint32_t> GgmlFromDType(DType dtype) {
  for (const GgmlDType& g : kGgmlDTypes)
    if (g.dtype == dtype) return g.ggml;
  return std::nullopt;
}

// ggml's name for every type id it has defined, so that an unsupported
// tensor is reported by name; empty for ids ggml never used. Ids 4, 5 and
// 31-33, 36-38 were removed from ggml but may linger in old files.
inline std::string_view GgmlTypeName(uint32_t type) {
  constexpr std::string_view kNames[] = {
      "F32",     "F16",     "Q4_0",     "Q4_1",     "Q4_2",   "Q4_3",     "Q5_0",     "Q5_1",
      "Q8_0",    "Q8_1",    "Q2_K",     "Q3_K",     "Q4_K",   "Q5_K",     "Q6_K",     "Q8_K",
      "IQ2_XXS", "IQ2_XS",  "IQ3_XXS",  "IQ1_S",    "IQ4_NL", "IQ3_S",    "IQ2_S",    "IQ4_XS",
      "I8",      "I16",     "I32",      "I64",      "F64",    "IQ1_M",    "BF16",     "Q4_0_4_4",
      "Q4_0_4_8", "Q4_0_8_8", "TQ1_0",  "TQ2_0",    "IQ4_NL_4_4", "IQ4_NL_4_8", "IQ4_NL_8_8", "MXFP4",
  };
  return type < std::size(kNames) ? kNames[type] : std::string_view();
}

}  // namespace tp::io
