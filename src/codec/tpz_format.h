// Internal: constants and plane layouts of the .tpz container (format in
// include/tensorpress/tpz.h), shared by its writer and reader.
//
// A tensor's "layout" names how its bytes become planes; each plane is then
// stored with one codec (or raw). Adding a layout means: a name in
// TpzLayoutName/TpzLayoutFromName (tpz.h), its planes in LayoutPlanes, the
// element -> plane byte mapping in PlaneByteRange, the split in enc_tpz.cc
// and the merge in dec_tpz.cc.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "codec/float_fields.h"
#include "tensorpress/dtype.h"
#include "tensorpress/status.h"
#include "tensorpress/tpz.h"

namespace tp::tpz {

inline constexpr char kMagic[4] = {'T', 'P', 'Z', '1'};
// 1: byte planes only. 2: per-tensor "layout" (bytes, fields, whole), "raw"
// planes, and the version 2 codec streams (compact headers and tables,
// atalanta-rans with offsets folded into its states).
inline constexpr uint32_t kVersion = 2;
inline constexpr uint64_t kPrefixBytes = 4 + 4 + 8 + 8;

// The header is stored as one zstd frame of its JSON text (tpz_header.cc):
// per-channel quantization scales and per-chunk checksums make it a sizeable
// share of a small model's file, and such JSON compresses about 3x. The
// reader bounds the decompressed size before allocating.
inline constexpr int kHeaderZstdLevel = 19;
// The header's checksums: XXH3-64 of the bytes as 16 lowercase hex digits.
std::string Xxh3Hex(const uint8_t* data, size_t size);
// A 64-bit checksum as the 16 lower-case hex digits Xxh3Hex writes.
std::string Hex64(uint64_t value);
inline constexpr uint64_t kMaxHeaderBytes = uint64_t(1) << 30;
inline constexpr uint64_t kMaxHeaderExpansion = 1024;
std::vector<uint8_t> PackHeader(std::string_view json);
StatusOr<std::string> UnpackHeader(std::span<const uint8_t> bytes);
// A plane's stream is at least 1/kMaxExpansion of its values: the reader
// rejects a header claiming more before allocating, and the writer never
// picks a codec that would exceed it.
inline constexpr uint64_t kMaxExpansion = uint64_t(1) << 16;
// A raw plane carries one XXH3-64 per block of this many bytes, so that a
// range read verifies only the blocks it touches.
inline constexpr uint64_t kRawBlockBytes = uint64_t(1) << 16;
// The plane "codec" of a plane stored as its bytes.
inline constexpr const char* kRawCodec = "raw";

// Bytes per plane element: whole-byte element types are split by byte;
// packed and block-quantized types travel as one plane of raw bytes.
inline int PlaneCount(DType dtype) {
  const DTypeTraits& t = Traits(dtype);
  if (t.block_elements != 1 || t.bits % 8 != 0) return 1;
  return t.bits / 8;
}

struct PlaneSpec {
  std::string name;           // "byte3", "exponent", ... (reports and messages)
  uint64_t bytes = 0;         // uncoded plane size
  bool signed_codes = false;  // int8 byte plane: code = value + 128
};

// The planes of `elements` elements of `dtype` under `layout`; nullopt when
// the layout does not apply to the dtype (fields of a non-float).
inline std::optional<std::vector<PlaneSpec>> LayoutPlanes(TpzLayout layout, DType dtype, uint64_t elements) {
  const auto storage = StorageBytes(dtype, elements);
  if (!storage) return std::nullopt;
  std::vector<PlaneSpec> planes;
  switch (layout) {
    case TpzLayout::kBytePlanes: {
      const int count = PlaneCount(dtype);
      for (int k = 0; k < count; ++k)
        planes.push_back({count == 1 ? "bytes" : "byte" + std::to_string(k), *storage / uint64_t(count),
                          dtype == DType::kI8});
      return planes;
    }
    case TpzLayout::kFloatFields: {
      const auto f = FieldFormatOf(dtype);
      if (!f) return std::nullopt;
      for (int k = 0; k < f->PlaneCount(); ++k) planes.push_back({FieldPlaneName(*f, k), FieldPlaneBytes(k, elements)});
      return planes;
    }
    case TpzLayout::kWhole: planes.push_back({"whole", *storage}); return planes;
    case TpzLayout::kAuto: return std::nullopt;
  }
  return std::nullopt;
}

// Plane k's bytes [begin, end) that hold elements [first, last) of the
// tensor; nullopt when the range does not start and end on a storage block
// (block-quantized types). Packed 4-bit types round outwards to whole bytes.
struct ByteRange {
  uint64_t begin = 0, end = 0;
};
inline std::optional<ByteRange> PlaneByteRange(TpzLayout layout, DType dtype, int plane, uint64_t first,
                                               uint64_t last) {
  const DTypeTraits& t = Traits(dtype);
  if (layout == TpzLayout::kFloatFields) {
    if (plane == 0) return ByteRange{first / 8, last / 8 + (last % 8 != 0)};
    return ByteRange{first, last};
  }
  const bool whole = layout == TpzLayout::kWhole;
  if (t.block_elements == 1 && t.bits % 8 == 0) {
    const uint64_t w = whole ? uint64_t(t.bits / 8) : 1;
    return ByteRange{first * w, last * w};
  }
  if (t.block_elements == 2)  // packed 4-bit
    return ByteRange{first / 2, last / 2 + last % 2};
  const uint64_t be = uint64_t(t.block_elements), bb = uint64_t(t.block_bytes);
  if (first % be != 0 || (last % be != 0)) return std::nullopt;
  return ByteRange{first / be * bb, last / be * bb};
}

}  // namespace tp::tpz
