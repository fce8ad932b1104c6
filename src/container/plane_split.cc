// Planes of a chunk (plane_split.h).
#include "container/plane_split.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <string>
#include <vector>

#include "codec/block_fields.h"
#include "codec/float_fields.h"
#include "container/gguf_header.h"

namespace tp::tpz3 {
namespace {

int ElementBytes(DType dtype) { return Traits(dtype).bits / 8; }

// The field planes of one block of a ggml type: names and bytes per block.
struct BlockPlanes {
  std::vector<std::string> names;
  std::vector<uint64_t> bytes;
};
const BlockPlanes& BlockPlanesOf(DType dtype) {
  static const std::vector<BlockPlanes> table = [] {
    std::vector<BlockPlanes> t(kNumDTypes);
    for (int d = 0; d < kNumDTypes; ++d) {
      if (!HasBlockFields(DType(d))) continue;
      std::vector<uint8_t> block(size_t(Traits(DType(d)).block_bytes), 0);
      auto planes = SplitBlockFields(DType(d), block);
      if (!planes.ok() || planes->size() > size_t(kMaxPlanes)) continue;
      for (const auto& p : *planes) {
        t[size_t(d)].names.push_back(p.name);
        t[size_t(d)].bytes.push_back(p.bytes.size());
      }
    }
    return t;
  }();
  return table[size_t(dtype)];
}

// Sign bits of 8 consecutive values packed LSB first, as float_fields.h.
template <typename T, int kShift>
void PackSigns(const T* x, uint64_t n, uint8_t* out) {
  const uint64_t full = n / 8;
  for (uint64_t g = 0; g < full; ++g) {
    uint8_t b = 0;
    for (int j = 0; j < 8; ++j) b |= uint8_t((x[g * 8 + j] >> kShift) & 1) << j;
    out[g] = b;
  }
  if (n % 8) {
    uint8_t b = 0;
    for (uint64_t j = 0; j < n % 8; ++j) b |= uint8_t((x[full * 8 + j] >> kShift) & 1) << j;
    out[full] = b;
  }
}

template <typename T>
T SignBit(const uint8_t* signs, uint64_t i, int shift) {
  return T((signs[i / 8] >> (i % 8)) & 1) << shift;
}

void SplitF32(const uint8_t* in, uint64_t n, uint8_t* const* p) {
  std::vector<uint32_t> tmp;  // aligned loads; the chunk is small
  const uint32_t* x;
  if (reinterpret_cast<uintptr_t>(in) % alignof(uint32_t) == 0) {
    x = reinterpret_cast<const uint32_t*>(in);
  } else {
    tmp.resize(n);
    std::memcpy(tmp.data(), in, n * 4);
    x = tmp.data();
  }
  PackSigns<uint32_t, 31>(x, n, p[0]);
  uint8_t *e = p[1], *h = p[2], *b1 = p[3], *b0 = p[4];
  for (uint64_t i = 0; i < n; ++i) {
    const uint32_t v = x[i];
    e[i] = uint8_t(v >> 23);
    h[i] = uint8_t((v >> 16) & 0x7f);
    b1[i] = uint8_t(v >> 8);
    b0[i] = uint8_t(v);
  }
}

bool MergeF32(const uint8_t* const* p, uint64_t n, uint8_t* out) {
  const uint8_t *s = p[0], *e = p[1], *h = p[2], *b1 = p[3], *b0 = p[4];
  uint8_t bad = 0;
  for (uint64_t i = 0; i < n; ++i) {
    bad |= h[i];
    const uint32_t v = SignBit<uint32_t>(s, i, 31) | uint32_t(e[i]) << 23 | uint32_t(h[i] & 0x7f) << 16 |
                       uint32_t(b1[i]) << 8 | b0[i];
    std::memcpy(out + 4 * i, &v, 4);
  }
  return (bad & 0x80) == 0;
}

// bf16: sign, 8 exponent bits, 7 mantissa bits. f16: sign, 5, 2 + byte 0.
template <int kExpBits>
void Split16(const uint8_t* in, uint64_t n, uint8_t* const* p) {
  std::vector<uint16_t> tmp;
  const uint16_t* x;
  if (reinterpret_cast<uintptr_t>(in) % alignof(uint16_t) == 0) {
    x = reinterpret_cast<const uint16_t*>(in);
  } else {
    tmp.resize(n);
    std::memcpy(tmp.data(), in, n * 2);
    x = tmp.data();
  }
  PackSigns<uint16_t, 15>(x, n, p[0]);
  constexpr int kMant = 15 - kExpBits;
  uint8_t *e = p[1], *h = p[2];
  for (uint64_t i = 0; i < n; ++i) {
    const uint16_t v = x[i];
    e[i] = uint8_t((v >> kMant) & ((1u << kExpBits) - 1));
    if constexpr (kMant == 7) {
      h[i] = uint8_t(v & 0x7f);
    } else {
      h[i] = uint8_t((v >> 8) & ((1u << (kMant - 8)) - 1));
      p[3][i] = uint8_t(v);
    }
  }
}

// FP8 (OCP E4M3: 4 exponent bits; E5M2: 5): the sign packed as above, then
// one byte per value each for the exponent and the mantissa. A single byte
// plane already holds their joint distribution, so this split only pays where
// a field's own statistics beat it (the engine keeps the smaller of the two).
template <int kExpBits>
void Split8(const uint8_t* in, uint64_t n, uint8_t* const* p) {
  PackSigns<uint8_t, 7>(in, n, p[0]);
  constexpr int kMant = 7 - kExpBits;
  for (uint64_t i = 0; i < n; ++i) {
    p[1][i] = uint8_t((in[i] >> kMant) & ((1u << kExpBits) - 1));
    p[2][i] = uint8_t(in[i] & ((1u << kMant) - 1));
  }
}

template <int kExpBits>
bool Merge8(const uint8_t* const* p, uint64_t n, uint8_t* out) {
  constexpr int kMant = 7 - kExpBits;
  constexpr uint8_t kExpMask = uint8_t((1u << kExpBits) - 1), kMantMask = uint8_t((1u << kMant) - 1);
  uint8_t bad = 0;
  for (uint64_t i = 0; i < n; ++i) {
    bad |= uint8_t(p[1][i] & ~kExpMask) | uint8_t(p[2][i] & ~kMantMask);
    out[i] = uint8_t(SignBit<uint8_t>(p[0], i, 7) | uint8_t((p[1][i] & kExpMask) << kMant) | (p[2][i] & kMantMask));
  }
  return bad == 0;
}

// The field formats of the engine's kFloatFields layout: float_fields.h's
// (f32, f16, bf16; shared with the version-2 container) plus FP8, which only
// version 3 splits.
std::optional<tpz::FloatFormat> EngineFieldFormatOf(DType dtype) {
  if (dtype == DType::kF8E4M3) return tpz::FloatFormat{1, 4, 3};
  if (dtype == DType::kF8E5M2) return tpz::FloatFormat{1, 5, 2};
  return tpz::FieldFormatOf(dtype);
}

template <int kExpBits>
bool Merge16(const uint8_t* const* p, uint64_t n, uint8_t* out) {
  constexpr int kMant = 15 - kExpBits;
  const uint8_t *s = p[0], *e = p[1], *h = p[2];
  uint8_t bad = 0;
  constexpr uint8_t kExpMask = uint8_t((1u << kExpBits) - 1);
  constexpr uint8_t kHighMask = kMant == 7 ? 0x7f : uint8_t((1u << (kMant - 8)) - 1);
  for (uint64_t i = 0; i < n; ++i) {
    bad |= uint8_t(e[i] & ~kExpMask) | uint8_t(h[i] & ~kHighMask);
    uint16_t v = uint16_t(SignBit<uint16_t>(s, i, 15) | uint16_t(e[i] & kExpMask) << kMant);
    if constexpr (kMant == 7) {
      v |= uint16_t(h[i] & kHighMask);
    } else {
      v |= uint16_t((h[i] & kHighMask) << 8 | p[3][i]);
    }
    std::memcpy(out + 2 * i, &v, 2);
  }
  return bad == 0;
}

}  // namespace

int PlaneCount(Layout layout, DType dtype) {
  switch (layout) {
    case Layout::kStored:
    case Layout::kZstd:
    case Layout::kCodes:
      return 1;
    case Layout::kBytePlanes: {
      const auto& t = Traits(dtype);
      if (t.block_elements != 1 || t.bits % 8 != 0 || t.bits < 16) return 0;
      return t.bits / 8;
    }
    case Layout::kFloatFields: {
      auto f = EngineFieldFormatOf(dtype);
      return f ? f->PlaneCount() : 0;
    }
    case Layout::kBlockFields:
      return int(BlockPlanesOf(dtype).names.size());
    case Layout::kSparse:
      return SparseApplies(dtype) ? 1 + PlaneCount(SparseInnerLayout(dtype), dtype) : 0;
    case Layout::kGgufHeader:
      return dtype == DType::kU8 ? 1 + kGgufHeaderParts : 0;
  }
  return 0;
}

uint64_t PlaneBytes(Layout layout, DType dtype, int plane, uint64_t n) {
  switch (layout) {
    case Layout::kBytePlanes:
      return n;
    case Layout::kFloatFields:
      return tpz::FieldPlaneBytes(plane, n);
    case Layout::kBlockFields:
      return BlockPlanesOf(dtype).bytes[size_t(plane)] * n;  // n blocks
    case Layout::kSparse:  // n elements for the mask, the non-zero count after
      return plane == 0 ? (n + 7) / 8 : PlaneBytes(SparseInnerLayout(dtype), dtype, plane - 1, n);
    case Layout::kGgufHeader:  // the sizes plane; the others' sizes are in it
      return plane == 0 ? kGgufHeaderSizesBytes : 0;
    default:
      return n;  // n is the chunk's byte count for the one-plane layouts
  }
}

const char* PlaneName(Layout layout, DType dtype, int plane) {
  static const char* kBytes[] = {"byte0", "byte1", "byte2", "byte3", "byte4", "byte5", "byte6", "byte7"};
  switch (layout) {
    case Layout::kStored:
    case Layout::kZstd:
      return "bytes";
    case Layout::kCodes:
      return "codes";
    case Layout::kBytePlanes:
      return plane < 8 ? kBytes[plane] : "byte";
    case Layout::kBlockFields:
      return BlockPlanesOf(dtype).names[size_t(plane)].c_str();
    case Layout::kSparse:
      return plane == 0 ? "non-zero mask" : PlaneName(SparseInnerLayout(dtype), dtype, plane - 1);
    case Layout::kGgufHeader:
      return plane == 0 ? "gguf plane sizes" : plane <= kGgufHeaderParts ? kGgufHeaderPartNames[plane - 1] : "?";
    case Layout::kFloatFields: {
      auto f = EngineFieldFormatOf(dtype);
      if (!f) return "?";
      if (plane == 0) return "sign";
      if (plane == 1) return "exponent";
      if (plane == 2 && f->HighMantissaBits() > 0) return "mantissa-high";
      const int low_index = plane - 2 - (f->HighMantissaBits() > 0);  // 0 = most significant
      static const char* kLow[] = {"mantissa-byte1", "mantissa-byte0"};
      return f->LowMantissaBytes() == 1 ? "mantissa-byte0" : kLow[low_index & 1];
    }
  }
  return "?";
}

bool SparseApplies(DType dtype) {
  const auto& t = Traits(dtype);
  return t.block_elements == 1 && t.bits % 8 == 0 && t.bits >= 8 && t.bits <= 64;
}

Layout SparseInnerLayout(DType dtype) {
  // float_fields.h's formats only: FP8's compacted bytes stay one plane (and
  // files written before FP8 had fields keep decoding).
  if (tpz::FieldFormatOf(dtype)) return Layout::kFloatFields;
  if (PlaneCount(Layout::kBytePlanes, dtype) > 0) return Layout::kBytePlanes;
  return Layout::kCodes;
}

namespace {
template <typename T>
uint64_t CountZeros(const uint8_t* in, uint64_t n) {
  uint64_t zeros = 0;
  for (uint64_t i = 0; i < n; ++i) {
    T v;
    std::memcpy(&v, in + i * sizeof(T), sizeof(T));
    zeros += v == 0;
  }
  return zeros;
}

template <typename T>
uint64_t Compact(const uint8_t* in, uint64_t n, uint8_t* mask, uint8_t* compact) {
  uint64_t m = 0;
  for (uint64_t g = 0; g < n; g += 8) {
    uint8_t bits = 0;
    const uint64_t end = std::min<uint64_t>(n, g + 8);
    for (uint64_t i = g; i < end; ++i) {
      T v;
      std::memcpy(&v, in + i * sizeof(T), sizeof(T));
      const bool nz = v != 0;
      bits |= uint8_t(nz) << (i - g);
      // Written unconditionally, advanced only for non-zeros: no branch.
      std::memcpy(compact + m * sizeof(T), &v, sizeof(T));
      m += nz;
    }
    mask[g / 8] = bits;
  }
  return m;
}

template <typename T>
void Scatter(const uint8_t* mask, uint64_t n, const uint8_t* compact, uint8_t* out) {
  uint64_t m = 0;
  for (uint64_t i = 0; i < n; ++i) {
    const bool nz = (mask[i / 8] >> (i % 8)) & 1;
    T v = 0;
    if (nz) std::memcpy(&v, compact + m * sizeof(T), sizeof(T));
    std::memcpy(out + i * sizeof(T), &v, sizeof(T));
    m += nz;
  }
}
}  // namespace

uint64_t CountZeroElements(DType dtype, std::span<const uint8_t> in) {
  switch (Traits(dtype).bits) {
    case 8: return CountZeros<uint8_t>(in.data(), in.size());
    case 16: return CountZeros<uint16_t>(in.data(), in.size() / 2);
    case 32: return CountZeros<uint32_t>(in.data(), in.size() / 4);
    case 64: return CountZeros<uint64_t>(in.data(), in.size() / 8);
    default: return 0;
  }
}

uint64_t SplitSparse(DType dtype, std::span<const uint8_t> in, uint64_t n, uint8_t* mask, uint8_t* compact) {
  switch (Traits(dtype).bits) {
    case 8: return Compact<uint8_t>(in.data(), n, mask, compact);
    case 16: return Compact<uint16_t>(in.data(), n, mask, compact);
    case 32: return Compact<uint32_t>(in.data(), n, mask, compact);
    case 64: return Compact<uint64_t>(in.data(), n, mask, compact);
    default: return 0;
  }
}

bool CountMask(const uint8_t* mask, uint64_t n, uint64_t& nonzero) {
  uint64_t count = 0;
  const uint64_t bytes = (n + 7) / 8;
  for (uint64_t i = 0; i < bytes; ++i) count += uint64_t(std::popcount(mask[i]));
  nonzero = count;
  return n % 8 == 0 || (mask[bytes - 1] >> (n % 8)) == 0;
}

void MergeSparse(DType dtype, const uint8_t* mask, uint64_t n, const uint8_t* compact, std::span<uint8_t> out) {
  switch (Traits(dtype).bits) {
    case 8: return Scatter<uint8_t>(mask, n, compact, out.data());
    case 16: return Scatter<uint16_t>(mask, n, compact, out.data());
    case 32: return Scatter<uint32_t>(mask, n, compact, out.data());
    case 64: return Scatter<uint64_t>(mask, n, compact, out.data());
    default: return;
  }
}

void SplitPlanes(Layout layout, DType dtype, std::span<const uint8_t> in, uint64_t n, uint8_t* const* planes) {
  if (layout == Layout::kBlockFields) {
    auto split = SplitBlockFields(dtype, in);
    if (!split.ok()) return;  // callers pass whole blocks of a type PlaneCount accepted
    for (size_t k = 0; k < split->size(); ++k)
      if (!(*split)[k].bytes.empty()) std::memcpy(planes[k], (*split)[k].bytes.data(), (*split)[k].bytes.size());
    return;
  }
  if (layout == Layout::kBytePlanes) {
    const int s = ElementBytes(dtype);
    for (uint64_t i = 0; i < n; ++i)
      for (int k = 0; k < s; ++k) planes[k][i] = in[i * s + k];
    return;
  }
  if (layout == Layout::kFloatFields) {
    switch (dtype) {
      case DType::kF32: return SplitF32(in.data(), n, planes);
      case DType::kBF16: return Split16<8>(in.data(), n, planes);
      case DType::kF16: return Split16<5>(in.data(), n, planes);
      case DType::kF8E4M3: return Split8<4>(in.data(), n, planes);
      case DType::kF8E5M2: return Split8<5>(in.data(), n, planes);
      default: break;
    }
    return;
  }
  // One plane; int8 as value + 128 so that value order is code order.
  if (dtype == DType::kI8) {
    for (uint64_t i = 0; i < n; ++i) planes[0][i] = in[i] ^ 0x80;
  } else {
    if (n) std::memcpy(planes[0], in.data(), n);
  }
}

bool MergePlanes(Layout layout, DType dtype, const uint8_t* const* planes, uint64_t n, std::span<uint8_t> out) {
  if (layout == Layout::kBlockFields) {
    const BlockPlanes& b = BlockPlanesOf(dtype);
    std::vector<FieldPlane> fields(b.names.size());
    for (size_t k = 0; k < fields.size(); ++k) {
      fields[k].name = b.names[k];
      fields[k].bytes.assign(planes[k], planes[k] + b.bytes[k] * n);
    }
    return MergeBlockFields(dtype, fields, out).ok();
  }
  if (layout == Layout::kBytePlanes) {
    const int s = ElementBytes(dtype);
    for (uint64_t i = 0; i < n; ++i)
      for (int k = 0; k < s; ++k) out[i * s + k] = planes[k][i];
    return true;
  }
  if (layout == Layout::kFloatFields) {
    switch (dtype) {
      case DType::kF32: return MergeF32(planes, n, out.data());
      case DType::kBF16: return Merge16<8>(planes, n, out.data());
      case DType::kF16: return Merge16<5>(planes, n, out.data());
      case DType::kF8E4M3: return Merge8<4>(planes, n, out.data());
      case DType::kF8E5M2: return Merge8<5>(planes, n, out.data());
      default: return false;
    }
  }
  if (dtype == DType::kI8) {
    for (uint64_t i = 0; i < n; ++i) out[i] = planes[0][i] ^ 0x80;
  } else {
    if (n) std::memcpy(out.data(), planes[0], n);
  }
  return true;
}

}  // namespace tp::tpz3
