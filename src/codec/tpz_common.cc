// What the .tpz writer and reader share (neither includes the other): the
// checksum text and the header's packing, one zstd frame of its JSON.
#include <xxhash.h>
#include <zstd.h>

#include <cstdio>

#include "codec/tpz_format.h"

namespace tp::tpz {

std::string Hex64(uint64_t value) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(value));
  return buf;
}

std::string Xxh3Hex(const uint8_t* data, size_t size) { return Hex64(XXH3_64bits(data, size)); }

std::vector<uint8_t> PackHeader(std::string_view json) {
  std::vector<uint8_t> out(ZSTD_compressBound(json.size()));
  const size_t n = ZSTD_compress(out.data(), out.size(), json.data(), json.size(), kHeaderZstdLevel);
  // Compressing into a buffer of ZSTD_compressBound bytes cannot fail.
  out.resize(ZSTD_isError(n) ? 0 : n);
  return out;
}

StatusOr<std::string> UnpackHeader(std::span<const uint8_t> bytes) {
  // The frame must state its size, which is bounded before allocating: a
  // hostile header cannot make the reader allocate more than a fixed ratio
  // of what the file holds.
  const unsigned long long size = ZSTD_getFrameContentSize(bytes.data(), bytes.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN)
    return CorruptDataError("header is not a zstd frame of known size");
  if (size > kMaxHeaderBytes || size / kMaxHeaderExpansion > bytes.size())
    return CorruptDataError("header claims " + std::to_string(size) + " bytes of JSON from " +
                            std::to_string(bytes.size()) + " compressed bytes");
  if (ZSTD_findFrameCompressedSize(bytes.data(), bytes.size()) != bytes.size())
    return CorruptDataError("header is not exactly one zstd frame");
  std::string json(size, '\0');
  const size_t n = ZSTD_decompress(json.data(), json.size(), bytes.data(), bytes.size());
  if (ZSTD_isError(n) || n != size) return CorruptDataError("header does not decompress");
  return json;
}

}  // namespace tp::tpz
