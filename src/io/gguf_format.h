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

// ggml_type ids that tensorpress reads (ggml.h).
enum : uint32_t {
  kGgmlF32 = 0, kGgmlF16 = 1, kGgmlQ4_0 = 2, kGgmlQ4_1 = 3, kGgmlQ8_0 = 8,
  kGgmlI8 = 24, kGgmlI16 = 25, kGgmlI32 = 26, kGgmlI64 = 27, kGgmlF64 = 28, kGgmlBF16 = 30,
};

inline std::optional<DType> DTypeFromGgml(uint32_t type) {
  switch (type) {
    case kGgmlF32: return DType::kF32;
    case kGgmlF16: return DType::kF16;
    case kGgmlQ4_0: return DType::kQ4_0;
    case kGgmlQ4_1: return DType::kQ4_1;
    case kGgmlQ8_0: return DType::kQ8_0;
    case kGgmlI8: return DType::kI8;
    case kGgmlI16: return DType::kI16;
    case kGgmlI32: return DType::kI32;
    case kGgmlI64: return DType::kI64;
    case kGgmlF64: return DType::kF64;
    case kGgmlBF16: return DType::kBF16;
    default: return std::nullopt;
  }
}

inline std::optional<uint32_t> GgmlFromDType(DType dtype) {
  switch (dtype) {
    case DType::kF32: return kGgmlF32;
    case DType::kF16: return kGgmlF16;
    case DType::kQ4_0: return kGgmlQ4_0;
    case DType::kQ4_1: return kGgmlQ4_1;
    case DType::kQ8_0: return kGgmlQ8_0;
    case DType::kI8: return kGgmlI8;
    case DType::kI16: return kGgmlI16;
    case DType::kI32: return kGgmlI32;
    case DType::kI64: return kGgmlI64;
    case DType::kF64: return kGgmlF64;
    case DType::kBF16: return kGgmlBF16;
    default: return std::nullopt;
  }
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
