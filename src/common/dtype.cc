#include "tensorpress/dtype.h"

#include <array>

namespace tp {
namespace {

constexpr std::array<DTypeTraits, kNumDTypes> kTraits = {{
    // dtype         name    bits blk_el blk_by float  signed  qblock safetensors
    {DType::kF64,  "f64",   64, 1,  8,  true,  true,  false, "F64"},
    {DType::kF32,  "f32",   32, 1,  4,  true,  true,  false, "F32"},
    {DType::kF16,  "f16",   16, 1,  2,  true,  true,  false, "F16"},
    {DType::kBF16, "bf16",  16, 1,  2,  true,  true,  false, "BF16"},
    {DType::kI64,  "i64",   64, 1,  8,  false, true,  false, "I64"},
    {DType::kI32,  "i32",   32, 1,  4,  false, true,  false, "I32"},
    {DType::kI16,  "i16",   16, 1,  2,  false, true,  false, "I16"},
    {DType::kI8,   "i8",     8, 1,  1,  false, true,  false, "I8"},
    {DType::kU64,  "u64",   64, 1,  8,  false, false, false, "U64"},
    {DType::kU32,  "u32",   32, 1,  4,  false, false, false, "U32"},
    {DType::kU16,  "u16",   16, 1,  2,  false, false, false, "U16"},
    {DType::kU8,   "u8",     8, 1,  1,  false, false, false, "U8"},
    {DType::kBool, "bool",   8, 1,  1,  false, false, false, "BOOL"},
    {DType::kI4,   "i4",     4, 2,  1,  false, true,  false, ""},
    {DType::kU4,   "u4",     4, 2,  1,  false, false, false, ""},
    // GGUF blocks: Q8_0 = f16 scale + 32 x i8; Q4_0 = f16 scale + 16 bytes of
    // nibbles; Q4_1 = f16 scale + f16 min + 16 bytes of nibbles.
    {DType::kQ8_0, "q8_0",   0, 32, 34, false, true,  true,  ""},
    {DType::kQ4_0, "q4_0",   0, 32, 18, false, true,  true,  ""},
    {DType::kQ4_1, "q4_1",   0, 32, 20, false, true,  true,  ""},
    // The other ggml block types; sizes are those of src/common/blocks.h
    // (checked by blocks_test.cc).
    {DType::kQ5_0,    "q5_0",    0, 32,  22,  false, true, true, ""},
    {DType::kQ5_1,    "q5_1",    0, 32,  24,  false, true, true, ""},
    {DType::kQ8_1,    "q8_1",    0, 32,  36,  false, true, true, ""},
    {DType::kQ2_K,    "q2_k",    0, 256, 84,  false, true, true, ""},
    {DType::kQ3_K,    "q3_k",    0, 256, 110, false, true, true, ""},
    {DType::kQ4_K,    "q4_k",    0, 256, 144, false, true, true, ""},
    {DType::kQ5_K,    "q5_k",    0, 256, 176, false, true, true, ""},
    {DType::kQ6_K,    "q6_k",    0, 256, 210, false, true, true, ""},
    {DType::kQ8_K,    "q8_k",    0, 256, 292, false, true, true, ""},
    {DType::kIQ2_XXS, "iq2_xxs", 0, 256, 66,  false, true, true, ""},
    {DType::kIQ2_XS,  "iq2_xs",  0, 256, 74,  false, true, true, ""},
    {DType::kIQ3_XXS, "iq3_xxs", 0, 256, 98,  false, true, true, ""},
    {DType::kIQ1_S,   "iq1_s",   0, 256, 50,  false, true, true, ""},
    {DType::kIQ4_NL,  "iq4_nl",  0, 32,  18,  false, true, true, ""},
    {DType::kIQ3_S,   "iq3_s",   0, 256, 110, false, true, true, ""},
    {DType::kIQ2_S,   "iq2_s",   0, 256, 82,  false, true, true, ""},
    {DType::kIQ4_XS,  "iq4_xs",  0, 256, 136, false, true, true, ""},
    {DType::kIQ1_M,   "iq1_m",   0, 256, 56,  false, true, true, ""},
    {DType::kTQ1_0,   "tq1_0",   0, 256, 54,  false, true, true, ""},
    {DType::kTQ2_0,   "tq2_0",   0, 256, 66,  false, true, true, ""},
    {DType::kMXFP4,   "mxfp4",   0, 32,  17,  false, true, true, ""},
    // One byte per element; safetensors spells them F8_E4M3 / F8_E5M2.
    {DType::kF8E4M3,  "f8_e4m3", 8, 1,   1,   true,  true, false, "F8_E4M3"},
    {DType::kF8E5M2,  "f8_e5m2", 8, 1,   1,   true,  true, false, "F8_E5M2"},
}};

constexpr bool TableMatchesEnum() {
  for (int i = 0; i < kNumDTypes; ++i)
    if (static_cast<int>(kTraits[i].dtype) != i) return false;
  return true;
}
static_assert(TableMatchesEnum(), "traits table rows must follow the DType enum order");

}  // namespace

const DTypeTraits& Traits(DType dtype) { return kTraits[static_cast<int>(dtype)]; }

std::optional<DType> DTypeFromName(std::string_view name) {
  for (const auto& t : kTraits)
    if (t.name == name) return t.dtype;
  return std::nullopt;
}

std::optional<DType> DTypeFromSafetensors(std::string_view name) {
  for (const auto& t : kTraits)
    if (!t.safetensors.empty() && t.safetensors == name) return t.dtype;
  return std::nullopt;
}

std::optional<uint64_t> StorageBytes(DType dtype, uint64_t elements) {
  const DTypeTraits& t = Traits(dtype);
  uint64_t blocks;
  if (t.is_quantized_block) {
    if (elements % t.block_elements != 0) return std::nullopt;
    blocks = elements / t.block_elements;
  } else {
    blocks = elements / t.block_elements + (elements % t.block_elements != 0);
  }
  if (blocks > UINT64_MAX / static_cast<uint64_t>(t.block_bytes)) return std::nullopt;
  return blocks * t.block_bytes;
}

}  // namespace tp
