// Decoding one version-3 frame (frame.h). Every size in the plane table is
// checked against the payload and against what the layout implies before
// anything is decoded; the restored bytes must match the frame's XXH3.
#include <xxhash.h>
#include <zstd.h>

#include <array>
#include <cstring>
#include <string>
#include <vector>

#include "container/frame.h"
#include "container/gguf_header.h"
#include "container/plane_split.h"
#include "tensorpress/codec.h"

namespace tp::tpz3 {
namespace {

// Decodes one plane's stored bytes into `out` (exactly out.size() bytes).
Status DecodePlane(uint8_t coding, std::span<const uint8_t> stored, std::span<uint8_t> out) {
  if (coding == kCodingStored) {
    if (stored.size() != out.size()) return CorruptDataError("stored plane has the wrong size");
    if (!out.empty()) std::memcpy(out.data(), stored.data(), out.size());
    return Status::Ok();
  }
  if (coding == kCodingZstd) {
    const unsigned long long content = ZSTD_getFrameContentSize(stored.data(), stored.size());
    if (content != out.size()) return CorruptDataError("zstd plane does not hold the expected size");
    const size_t got = ZSTD_decompress(out.data(), out.size(), stored.data(), stored.size());
    if (ZSTD_isError(got) || got != out.size()) return CorruptDataError("zstd plane is corrupt");
    return Status::Ok();
  }
  bool known = false;
  for (Codec c : AllCodecs()) known = known || uint8_t(c) == coding;
  if (!known)
    return CorruptDataError("unknown plane coding " + std::to_string(coding));
  auto c = StreamCodec(stored);
  if (!c.ok() || uint8_t(*c) != coding) return CorruptDataError("plane stream does not match its coding");
  return DecodeCodes(stored, out, 1);
}

// The plane table: each plane's coding byte and stored bytes, which must
// tile the payload after the table exactly.
Status ReadPlaneTable(const FrameView& frame, uint8_t* coding, std::span<const uint8_t>* stored) {
  const auto& payload = frame.payload;
  const int planes = frame.header.planes;
  uint64_t at = uint64_t(planes) * kPlaneEntryBytes;
  if (payload.size() < at) return CorruptDataError("plane table is truncated");
  for (int k = 0; k < planes; ++k) {
    const uint8_t* e = payload.data() + size_t(k) * kPlaneEntryBytes;
    const uint32_t size = Get32(e + 1);
    if (size > payload.size() - at) return CorruptDataError("plane " + std::to_string(k) + " is truncated");
    coding[k] = e[0];
    stored[k] = payload.subspan(at, size);
    at += size;
  }
  if (at != payload.size()) return CorruptDataError("frame has bytes after its planes");
  return Status::Ok();
}

// Layout kSparse: the mask first, whose population count sizes the other
// planes; then the dense layout of the non-zero elements, scattered.
Status DecodeSparse(const FrameView& frame, std::span<uint8_t> out) {
  const FrameHeader& h = frame.header;
  const DType dtype = DType(h.dtype);
  const uint64_t element = uint64_t(Traits(dtype).bits / 8);
  if (!SparseApplies(dtype) || element == 0 || h.raw_bytes % element != 0)
    return CorruptDataError("sparse frame of a dtype without whole-byte elements");
  const uint64_t n = h.raw_bytes / element;
  std::span<const uint8_t> stored[kMaxPlanes];
  uint8_t coding[kMaxPlanes];
  TP_RETURN_IF_ERROR(ReadPlaneTable(frame, coding, stored));
  thread_local std::vector<uint8_t> scratch;
  const uint64_t mask_bytes = (n + 7) / 8;
  if (scratch.size() < mask_bytes) scratch.resize(mask_bytes);
  TP_RETURN_IF_ERROR(DecodePlane(coding[0], stored[0], {scratch.data(), mask_bytes}).WithContext("non-zero mask"));
  uint64_t m = 0;
  if (!CountMask(scratch.data(), n, m)) return CorruptDataError("non-zero mask has bits past the chunk");
  uint64_t total = mask_bytes + m * element;
  for (int k = 1; k < h.planes; ++k) total += PlaneBytes(Layout::kSparse, dtype, k, m);
  if (scratch.size() < total) scratch.resize(total);
  uint8_t* const mask = scratch.data();
  uint8_t* const compact = mask + mask_bytes;
  uint8_t* planes[kMaxPlanes];
  uint64_t off = mask_bytes + m * element;
  for (int k = 1; k < h.planes; ++k) {
    const uint64_t bytes = PlaneBytes(Layout::kSparse, dtype, k, m);
    planes[k - 1] = scratch.data() + off;
    TP_RETURN_IF_ERROR(DecodePlane(coding[k], stored[k], {planes[k - 1], bytes})
                           .WithContext(std::string(PlaneName(Layout::kSparse, dtype, k)) + " plane"));
    off += bytes;
  }
  if (!MergePlanes(SparseInnerLayout(dtype), dtype, planes, m, {compact, m * element}))
    return CorruptDataError("a plane value does not fit its field");
  MergeSparse(dtype, mask, n, compact, out);
  return Status::Ok();
}

// Layout kGgufHeader: plane 0 gives the other planes' sizes, which must add
// up to the chunk (they are a permutation of its bytes); the walk then
// rebuilds the header from them.
Status DecodeGgufHeader(const FrameView& frame, std::span<uint8_t> out) {
  const FrameHeader& h = frame.header;
  if (h.dtype != uint8_t(DType::kU8)) return CorruptDataError("GGUF header frame of a dtype other than u8");
  std::span<const uint8_t> stored[kMaxPlanes];
  uint8_t coding[kMaxPlanes];
  TP_RETURN_IF_ERROR(ReadPlaneTable(frame, coding, stored));
  uint8_t sizes[kGgufHeaderSizesBytes];
  TP_RETURN_IF_ERROR(DecodePlane(coding[0], stored[0], sizes).WithContext("gguf plane sizes"));
  uint64_t bytes[kGgufHeaderParts], total = 0;
  for (int k = 0; k < kGgufHeaderParts; ++k) total += bytes[k] = Get32(sizes + 4 * k);
  if (total != h.raw_bytes) return CorruptDataError("GGUF header plane sizes do not add up to the chunk");
  thread_local std::vector<uint8_t> scratch;
  if (scratch.size() < total) scratch.resize(total);
  std::array<std::span<const uint8_t>, kGgufHeaderParts> parts;
  uint64_t off = 0;
  for (int k = 0; k < kGgufHeaderParts; ++k) {
    const std::span<uint8_t> part(scratch.data() + off, bytes[k]);
    TP_RETURN_IF_ERROR(DecodePlane(coding[k + 1], stored[k + 1], part).WithContext(
        std::string(kGgufHeaderPartNames[k]) + " plane"));
    parts[size_t(k)] = part;
    off += bytes[k];
  }
  return MergeGgufHeader(parts, out);
}

}  // namespace

Status DecodeFrame(const FrameView& frame, std::span<uint8_t> out) {
  const FrameHeader& h = frame.header;
  if (out.size() != h.raw_bytes) return InternalError("frame output of the wrong size");
  const auto& payload = frame.payload;
  const size_t table = size_t(h.planes) * kPlaneEntryBytes;
  if (payload.size() < table) return CorruptDataError("plane table is truncated");
  const DType dtype = DType(h.dtype);
  uint64_t n = h.raw_bytes;  // elements for the multi-plane layouts
  const int expected_planes = PlaneCount(h.layout, dtype);
  if (expected_planes != h.planes) return CorruptDataError("plane count does not match the layout");
  if (h.layout == Layout::kBlockFields) {
    const uint64_t block = uint64_t(Traits(dtype).block_bytes);
    if (block == 0 || h.raw_bytes % block != 0) return CorruptDataError("chunk is not whole blocks");
    n = h.raw_bytes / block;
  } else if (h.layout == Layout::kBytePlanes || h.layout == Layout::kFloatFields) {
    const uint64_t element = uint64_t(Traits(dtype).bits / 8);
    if (element == 0 || h.raw_bytes % element != 0) return CorruptDataError("chunk is not whole elements");
    n = h.raw_bytes / element;
  }
  if (h.layout == Layout::kSparse || h.layout == Layout::kGgufHeader) {
    TP_RETURN_IF_ERROR(h.layout == Layout::kSparse ? DecodeSparse(frame, out) : DecodeGgufHeader(frame, out));
    if (XXH3_64bits(out.data(), out.size()) != h.xxh3) return CorruptDataError("checksum mismatch");
    return Status::Ok();
  }
  struct PlaneRef {
    uint8_t coding;
    std::span<const uint8_t> stored;
    uint64_t bytes;
  };
  PlaneRef refs[kMaxPlanes];
  {
    std::span<const uint8_t> stored[kMaxPlanes];
    uint8_t coding[kMaxPlanes];
    TP_RETURN_IF_ERROR(ReadPlaneTable(frame, coding, stored));
    for (int k = 0; k < h.planes; ++k) refs[k] = {coding[k], stored[k], PlaneBytes(h.layout, dtype, k, n)};
  }

  if (h.layout == Layout::kStored || h.layout == Layout::kZstd) {
    const uint8_t want = h.layout == Layout::kStored ? kCodingStored : kCodingZstd;
    if (refs[0].coding != want) return CorruptDataError("plane coding does not match the layout");
    TP_RETURN_IF_ERROR(DecodePlane(refs[0].coding, refs[0].stored, out));
  } else if (h.layout == Layout::kCodes && dtype != DType::kI8) {
    TP_RETURN_IF_ERROR(DecodePlane(refs[0].coding, refs[0].stored, out));
  } else {
    thread_local std::vector<uint8_t> scratch;
    uint64_t total = 0;
    for (int k = 0; k < h.planes; ++k) total += refs[k].bytes;
    if (scratch.size() < total) scratch.resize(total);
    uint8_t* planes[kMaxPlanes];
    uint64_t off = 0;
    for (int k = 0; k < h.planes; ++k) {
      planes[k] = scratch.data() + off;
      TP_RETURN_IF_ERROR(DecodePlane(refs[k].coding, refs[k].stored, {planes[k], refs[k].bytes})
                             .WithContext(std::string(PlaneName(h.layout, dtype, k)) + " plane"));
      off += refs[k].bytes;
    }
    if (!MergePlanes(h.layout, dtype, planes, n, out)) return CorruptDataError("a plane value does not fit its field");
  }
  if (XXH3_64bits(out.data(), out.size()) != h.xxh3) return CorruptDataError("checksum mismatch");
  return Status::Ok();
}

}  // namespace tp::tpz3
