#include "codec/block_fields.h"

#include <array>
#include <cstring>

#include "tensorpress/codec.h"

namespace tp {
namespace {

using Fields = std::vector<BlockField>;

BlockField F(std::string_view name, uint16_t offset, uint16_t size) { return {name, {{offset, size}}}; }
// An fp16 at `offset`: its low (mantissa) and high (sign, exponent, top
// mantissa bits) bytes as two fields.
void Half(Fields& f, std::string_view lo, std::string_view hi, uint16_t offset) {
  f.push_back(F(lo, offset, 1));
  f.push_back(F(hi, static_cast<uint16_t>(offset + 1), 1));
}

Fields Make(DType dtype) {
  Fields f;
  switch (dtype) {
    case DType::kQ4_0: Half(f, "d.lo", "d.hi", 0); f.push_back(F("qs", 2, 16)); break;
    case DType::kQ4_1:
      Half(f, "d.lo", "d.hi", 0); Half(f, "m.lo", "m.hi", 2); f.push_back(F("qs", 4, 16)); break;
    case DType::kQ5_0:
      Half(f, "d.lo", "d.hi", 0); f.push_back(F("qh", 2, 4)); f.push_back(F("qs", 6, 16)); break;
    case DType::kQ5_1:
      Half(f, "d.lo", "d.hi", 0); Half(f, "m.lo", "m.hi", 2);
      f.push_back(F("qh", 4, 4)); f.push_back(F("qs", 8, 16)); break;
    case DType::kQ8_0: Half(f, "d.lo", "d.hi", 0); f.push_back(F("qs", 2, 32)); break;
    case DType::kQ8_1:
      Half(f, "d.lo", "d.hi", 0); Half(f, "s.lo", "s.hi", 2); f.push_back(F("qs", 4, 32)); break;
    case DType::kIQ4_NL: Half(f, "d.lo", "d.hi", 0); f.push_back(F("qs", 2, 16)); break;
    case DType::kMXFP4: f.push_back(F("e", 0, 1)); f.push_back(F("qs", 1, 16)); break;
    case DType::kQ2_K:
      f.push_back(F("scales", 0, 16)); f.push_back(F("qs", 16, 64));
      Half(f, "d.lo", "d.hi", 80); Half(f, "dmin.lo", "dmin.hi", 82); break;
    case DType::kQ3_K:
      f.push_back(F("hmask", 0, 32)); f.push_back(F("qs", 32, 64)); f.push_back(F("scales", 96, 12));
      Half(f, "d.lo", "d.hi", 108); break;
    case DType::kQ4_K:
      Half(f, "d.lo", "d.hi", 0); Half(f, "dmin.lo", "dmin.hi", 2);
      f.push_back(F("scales", 4, 12)); f.push_back(F("qs", 16, 128)); break;
    case DType::kQ5_K:
      Half(f, "d.lo", "d.hi", 0); Half(f, "dmin.lo", "dmin.hi", 2);
      f.push_back(F("scales", 4, 12)); f.push_back(F("qh", 16, 32)); f.push_back(F("qs", 48, 128)); break;
    case DType::kQ6_K:
      f.push_back(F("ql", 0, 128)); f.push_back(F("qh", 128, 64)); f.push_back(F("scales", 192, 16));
      Half(f, "d.lo", "d.hi", 208); break;
    case DType::kQ8_K:  // f32 d: one field per byte
      f.push_back(F("d.b0", 0, 1)); f.push_back(F("d.b1", 1, 1));
      f.push_back(F("d.b2", 2, 1)); f.push_back(F("d.b3", 3, 1));
      f.push_back(F("qs", 4, 256)); f.push_back(F("bsums", 260, 32)); break;
    case DType::kIQ2_XXS: {
      // 8 groups of {4 grid-index bytes, u32 of 4 x 7-bit sign indices + 4-bit scale}.
      Half(f, "d.lo", "d.hi", 0);
      BlockField grid{"grid", {}}, aux{"signs_scale", {}};
      for (uint16_t g = 0; g < 8; ++g) {
        grid.segments.push_back({static_cast<uint16_t>(2 + 8 * g), 4});
        aux.segments.push_back({static_cast<uint16_t>(6 + 8 * g), 4});
      }
      f.push_back(grid);
      f.push_back(aux);
      break;
    }
    case DType::kIQ2_XS:
      Half(f, "d.lo", "d.hi", 0); f.push_back(F("qs", 2, 64)); f.push_back(F("scales", 66, 8)); break;
    case DType::kIQ2_S:
      Half(f, "d.lo", "d.hi", 0); f.push_back(F("qs", 2, 32)); f.push_back(F("signs", 34, 32));
      f.push_back(F("qh", 66, 8)); f.push_back(F("scales", 74, 8)); break;
    case DType::kIQ3_XXS:
      Half(f, "d.lo", "d.hi", 0); f.push_back(F("qs", 2, 64)); f.push_back(F("signs_scales", 66, 32)); break;
    case DType::kIQ3_S:
      Half(f, "d.lo", "d.hi", 0); f.push_back(F("qs", 2, 64)); f.push_back(F("qh", 66, 8));
      f.push_back(F("signs", 74, 32)); f.push_back(F("scales", 106, 4)); break;
    case DType::kIQ1_S:
      Half(f, "d.lo", "d.hi", 0); f.push_back(F("qs", 2, 32)); f.push_back(F("qh", 34, 16)); break;
    case DType::kIQ1_M:
      // The fp16 scale has no bytes of its own: its four nibbles are the top
      // nibbles of the four u16 sub-scale words (scales bytes 1, 3, 5, 7).
      // Bytes 5 and 7 carry its high byte (sign, exponent, top mantissa
      // bits), nearly constant across blocks like other types' d.hi, so each
      // is a field of its own; bytes 1 and 3 (mantissa) stay with the rest.
      f.push_back(F("qs", 0, 32)); f.push_back(F("qh", 32, 16));
      f.push_back({"scales", {{48, 5}, {54, 1}}}); f.push_back(F("scales[5]", 53, 1));
      f.push_back(F("scales[7]", 55, 1)); break;
    case DType::kIQ4_XS:
      Half(f, "d.lo", "d.hi", 0); f.push_back(F("scales_h", 2, 2)); f.push_back(F("scales_l", 4, 4));
      f.push_back(F("qs", 8, 128)); break;
    case DType::kTQ1_0:
      f.push_back(F("qs", 0, 48)); f.push_back(F("qh", 48, 4)); Half(f, "d.lo", "d.hi", 52); break;
    case DType::kTQ2_0: f.push_back(F("qs", 0, 64)); Half(f, "d.lo", "d.hi", 64); break;
    default: break;
  }
  return f;
}

const std::array<Fields, kNumDTypes>& Table() {
  static const std::array<Fields, kNumDTypes> table = [] {
    std::array<Fields, kNumDTypes> t;
    for (int i = 0; i < kNumDTypes; ++i) t[i] = Make(static_cast<DType>(i));
    return t;
  }();
  return table;
}

Status CheckBlocks(DType dtype, uint64_t bytes, uint64_t* blocks) {
  if (!HasBlockFields(dtype))
    return InvalidArgumentError(std::string(DTypeName(dtype)) + " is not a ggml block type");
  const uint64_t bb = static_cast<uint64_t>(Traits(dtype).block_bytes);
  if (bytes % bb != 0)
    return InvalidArgumentError(std::to_string(bytes) + " bytes are not whole " + std::string(DTypeName(dtype)) +
                                " blocks of " + std::to_string(bb) + " bytes");
  *blocks = bytes / bb;
  return Status::Ok();
}

}  // namespace

uint32_t BlockField::bytes_per_block() const {
  uint32_t n = 0;
  for (const auto& s : segments) n += s.size;
  return n;
}

bool HasBlockFields(DType dtype) { return !Table()[static_cast<int>(dtype)].empty(); }

const std::vector<BlockField>& BlockFieldsOf(DType dtype) { return Table()[static_cast<int>(dtype)]; }

StatusOr<std::vector<FieldPlane>> SplitBlockFields(DType dtype, std::span<const uint8_t> blocks) {
  uint64_t n = 0;
  TP_RETURN_IF_ERROR(CheckBlocks(dtype, blocks.size(), &n));
  const uint64_t bb = static_cast<uint64_t>(Traits(dtype).block_bytes);
  std::vector<FieldPlane> planes;
  for (const BlockField& field : BlockFieldsOf(dtype)) {
    FieldPlane p{std::string(field.name), std::vector<uint8_t>(n * field.bytes_per_block())};
    uint8_t* dst = p.bytes.data();
    if (n == 0) {  // no blocks: no pointer arithmetic on empty spans
      planes.push_back(std::move(p));
      continue;
    }
    if (field.segments.size() == 1 && field.segments[0].size == 1) {  // the common scale-byte case
      const uint8_t* src = blocks.data() + field.segments[0].offset;
      for (uint64_t i = 0; i < n; ++i) dst[i] = src[i * bb];
    } else {
      for (uint64_t i = 0; i < n; ++i)
        for (const auto& s : field.segments) {
          std::memcpy(dst, blocks.data() + i * bb + s.offset, s.size);
          dst += s.size;
        }
    }
    planes.push_back(std::move(p));
  }
  return planes;
}

Status MergeBlockFields(DType dtype, std::span<const FieldPlane> planes, std::span<uint8_t> out) {
  uint64_t n = 0;
  TP_RETURN_IF_ERROR(CheckBlocks(dtype, out.size(), &n));
  const uint64_t bb = static_cast<uint64_t>(Traits(dtype).block_bytes);
  const auto& fields = BlockFieldsOf(dtype);
  if (planes.size() != fields.size())
    return CorruptDataError(std::string(DTypeName(dtype)) + " has " + std::to_string(fields.size()) +
                            " field planes, " + std::to_string(planes.size()) + " were given");
  for (size_t f = 0; f < fields.size(); ++f) {
    const BlockField& field = fields[f];
    const FieldPlane& p = planes[f];
    if (p.name != field.name)
      return CorruptDataError(std::string(DTypeName(dtype)) + " field " + std::to_string(f) + " is '" +
                              std::string(field.name) + "', not '" + p.name + "'");
    if (p.bytes.size() != n * field.bytes_per_block())
      return CorruptDataError(std::string(DTypeName(dtype)) + " field '" + p.name + "' holds " +
                              std::to_string(p.bytes.size()) + " bytes, " +
                              std::to_string(n * field.bytes_per_block()) + " expected");
    const uint8_t* src = p.bytes.data();
    for (uint64_t i = 0; i < n; ++i)
      for (const auto& s : field.segments) {
        std::memcpy(out.data() + i * bb + s.offset, src, s.size);
        src += s.size;
      }
  }
  return Status::Ok();
}

StatusOr<std::vector<FieldEntropy>> BlockFieldEntropy(DType dtype, std::span<const uint8_t> blocks) {
  TP_ASSIGN_OR_RETURN(std::vector<FieldPlane> planes, SplitBlockFields(dtype, blocks));
  std::vector<FieldEntropy> out;
  for (const FieldPlane& p : planes)
    out.push_back({p.name, p.bytes.size(), p.bytes.empty() ? 0.0 : EntropyBitsPerValue(p.bytes)});
  return out;
}

}  // namespace tp
