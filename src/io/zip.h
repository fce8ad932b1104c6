// Internal: the subset of ZIP that .npz archives use, read and written by hand.
//
// Reading trusts nothing but the end of the file: the end-of-central-directory
// record (and, when present, the ZIP64 locator and record that numpy's
// zipfile writes for big archives) gives the central directory, and every
// member's offsets and sizes are checked against the file before anything is
// read. Each member's local header must agree with its central entry, and
// members may not overlap, so the total inflated output is bounded by the
// deflate ratio times the file size (a zip bomb that reuses one compressed
// stream from many entries is refused).
//
// Writing produces stored (uncompressed) members only, so an .npz written by
// tensorpress can be mapped and viewed in place. ZIP64 fields appear only
// where a size, offset or count does not fit the classic 32/16-bit fields.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "tensorpress/buffer.h"
#include "tensorpress/status.h"

namespace tp::io {

inline constexpr uint16_t kZipMethodStored = 0;
inline constexpr uint16_t kZipMethodDeflated = 8;

struct ZipMember {
  std::string name;
  uint16_t flags = 0;
  uint16_t method = 0;
  uint32_t crc32 = 0;
  uint64_t compressed_size = 0;
  uint64_t uncompressed_size = 0;
  uint64_t local_header_offset = 0;
  uint64_t data_offset = 0;  // first byte after the member's local header
};

// The members of the archive in central-directory order, every offset and
// size validated (see the comment at the top). Multi-disk archives are
// kUnsupported; anything inconsistent is kCorruptData.
StatusOr<std::vector<ZipMember>> ReadZipDirectory(std::span<const uint8_t> zip);

// A member's uncompressed bytes and what keeps them alive.
struct ZipMemberData {
  std::span<const uint8_t> bytes;
  std::shared_ptr<const void> owner;
};

// The uncompressed bytes of `member`, CRC-32 checked: a view into `zip` for
// stored members, a new buffer for deflated ones (bounded by the declared
// size, which may not exceed what deflate can expand the compressed bytes
// to). Encrypted members and other methods are kUnsupported.
StatusOr<ZipMemberData> ExtractZipMember(const std::shared_ptr<const Buffer>& zip,
                                         const ZipMember& member);

// Appends stored members to `file` and finishes with the central directory.
class ZipWriter {
 public:
  // `force_zip64` writes ZIP64 fields everywhere (as numpy's savez does for
  // local headers); it exists so tests can cover the ZIP64 path without
  // 4 GiB files.
  explicit ZipWriter(AtomicFile* file, bool force_zip64 = false)
      : file_(file), force_zip64_(force_zip64) {}

  // Adds a member whose bytes are the concatenation of `parts`. With
  // `alignment` > 1 the local header is padded (an Android zipalign extra
  // field, which other readers skip) so the member's bytes start at a
  // multiple of it in the file and can be mapped in place.
  Status AddStored(const std::string& name, std::span<const std::span<const uint8_t>> parts,
                   uint16_t alignment = 1);
  // Writes the central directory and end records. Call once, last.
  Status Finish();

 private:
  struct Entry {
    std::string name;
    uint32_t crc32;
    uint64_t size;
    uint64_t offset;
  };
  AtomicFile* file_;
  bool force_zip64_;
  std::vector<Entry> entries_;
};

}  // namespace tp::io
