// Internal: the byte layout of a version-3 .tpz (include/tensorpress/container.h),
// shared by its writer and reader.
//
// Prelude (16 bytes): "TPZ1", u32 version = 3, u64 flags.
// Flag bit 0 (kFlagPlain): a file that coding would only grow is stored
// plainly: after the prelude, u64 size, u64 XXH3-64, then the bytes.
// Flag bit 1 (kFlagZstd): the same header, then the file as one zstd frame.
// Frame header (40 bytes):
//    0 u32 magic "TPF3"
//    4 u8  kind       1 data, 2 index
//    5 u8  layout     Layout below
//    6 u8  dtype      DType of the elements (layouts kCodes, kBytePlanes, kFloatFields)
//    7 u8  planes     number of planes, <= kMaxPlanes
//    8 u32 segment    the segment this chunk belongs to (index: 0xffffffff)
//   12 u32 raw bytes  bytes the frame restores, <= kMaxChunkBytes
//   16 u64 offset     of the chunk within its segment
//   24 u64 xxh3       XXH3-64 of the restored bytes
//   32 u32 payload    bytes after the header: plane table + plane data
//   36 u32 check      low 32 bits of XXH3-64 of bytes 0..35
// Layout kSparse: plane 0 is the mask, its size (n + 7) / 8; the other
// planes' sizes follow from the mask's population count.
// Plane table: per plane u8 coding (0 stored, 0xfe a zstd frame, otherwise a
// tp::Codec stream) and u32 size; the planes' data follow in order.
// Trailer (24 bytes): u64 index frame offset, u64 index frame bytes,
// u32 version, "TPZE".
#pragma once

#include <cstdint>
#include <cstring>
#include <span>

namespace tp::tpz3 {

inline constexpr uint32_t kVersion = 3;
inline constexpr uint8_t kMagic[4] = {'T', 'P', 'Z', '1'};
inline constexpr uint8_t kFrameMagic[4] = {'T', 'P', 'F', '3'};
inline constexpr uint8_t kTrailerMagic[4] = {'T', 'P', 'Z', 'E'};
inline constexpr size_t kPreludeBytes = 16;
inline constexpr size_t kFrameHeaderBytes = 40;
inline constexpr size_t kPlaneEntryBytes = 5;
inline constexpr size_t kTrailerBytes = 24;
inline constexpr int kMaxPlanes = 16;
inline constexpr uint64_t kMinChunkBytes = uint64_t(1) << 16;
inline constexpr uint64_t kMaxChunkBytes = uint64_t(1) << 26;
// The index is JSON; a bound keeps a hostile trailer from asking for more.
inline constexpr uint64_t kMaxIndexBytes = uint64_t(1) << 28;
inline constexpr uint32_t kIndexSegment = 0xffffffffu;
inline constexpr uint64_t kFlagPlain = 1;
// Flag bit 1 (kFlagZstd): a small file that zstd -19 codes smaller than the
// frames do (a TFLite model of 100 KB, where per-tensor framing and the
// index cost more than they save): u64 size, u64 XXH3-64, then one zstd
// frame holding the whole file. Size at most kWholeZstdMaxBytes.
inline constexpr uint64_t kFlagZstd = 2;
inline constexpr uint64_t kWholeZstdMaxBytes = uint64_t(64) << 20;
inline constexpr size_t kPlainHeaderBytes = 16;  // after the prelude
// Inputs up to this size are coded in memory first, so that one the frames
// would grow is stored plainly instead (larger ones stream; their frames
// fall back to stored bytes chunk by chunk).
inline constexpr uint64_t kPlainCheckBytes = uint64_t(64) << 20;

enum class FrameKind : uint8_t { kData = 1, kIndex = 2 };
enum class Layout : uint8_t {
  kStored = 0,       // one plane: the bytes
  kZstd = 1,         // one plane: the bytes as one zstd frame
  kCodes = 2,        // one plane of 1-byte codes (int8 stored as value + 128)
  kBytePlanes = 3,   // plane k = byte k of every element
  kFloatFields = 4,  // sign, exponent, mantissa planes (src/codec/float_fields.h)
  kBlockFields = 5,  // ggml blocks split by field (src/codec/block_fields.h)
  // Plane 0: one bit per element, LSB first, set where the element is not
  // all-zero bytes; then the non-zero elements, compacted, in the dtype's
  // dense layout (SparseInnerLayout). ReLU activations and pruned weights
  // are mostly zeros: one mask shared by every field plane costs a bit an
  // element where each field plane would pay for the zeros again.
  kSparse = 6,
  // A GGUF file's header (src/container/gguf_header.h), dtype u8: plane 0
  // holds the restored sizes of the other four (u32 each, 16 bytes), which
  // add up to the chunk; then structure, string lengths, strings, arrays.
  kGgufHeader = 7,
};
inline constexpr Layout kLastLayout = Layout::kGgufHeader;
inline constexpr uint64_t kGgufHeaderSizesBytes = 16;
inline constexpr uint8_t kCodingStored = 0;
inline constexpr uint8_t kCodingZstd = 0xfe;

struct FrameHeader {
  FrameKind kind = FrameKind::kData;
  Layout layout = Layout::kStored;
  uint8_t dtype = 0;
  uint8_t planes = 0;
  uint32_t segment = 0;
  uint32_t raw_bytes = 0;
  uint64_t offset = 0;
  uint64_t xxh3 = 0;
  uint32_t payload_bytes = 0;
};

inline void Put32(uint8_t* p, uint32_t v) { std::memcpy(p, &v, 4); }
inline void Put64(uint8_t* p, uint64_t v) { std::memcpy(p, &v, 8); }
inline uint32_t Get32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
inline uint64_t Get64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// Writes the 40 header bytes, check included.
void PutFrameHeader(const FrameHeader& h, uint8_t* out);
// Parses 40 bytes; false when the magic or the check is wrong, or a field is
// out of range (kind, layout, plane count, raw size).
bool ParseFrameHeader(const uint8_t* in, FrameHeader& h);

}  // namespace tp::tpz3
