// Internal: a bounds-checked little-endian cursor over untrusted bytes.
// Every Read* checks the remaining size first and fails with kCorruptData
// naming what was being read, so readers never index past their buffer.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <type_traits>

#include "tensorpress/status.h"

namespace tp::io {

class ByteReader {
 public:
  explicit ByteReader(std::span<const uint8_t> bytes) : bytes_(bytes) {}

  uint64_t offset() const { return pos_; }
  uint64_t remaining() const { return bytes_.size() - pos_; }
  uint64_t size() const { return bytes_.size(); }

  template <typename T>
  Status Read(T* out, const char* what) {
    static_assert(std::is_trivially_copyable_v<T>);
    if (remaining() < sizeof(T)) return Truncated(what, sizeof(T));
    std::memcpy(out, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return Status::Ok();
  }

  // A span of n bytes at the cursor, advanced past.
  Status ReadSpan(uint64_t n, std::span<const uint8_t>* out, const char* what) {
    if (remaining() < n) return Truncated(what, n);
    *out = bytes_.subspan(pos_, n);
    pos_ += n;
    return Status::Ok();
  }

  Status Skip(uint64_t n, const char* what) {
    if (remaining() < n) return Truncated(what, n);
    pos_ += n;
    return Status::Ok();
  }

  Status Seek(uint64_t offset, const char* what) {
    if (offset > bytes_.size())
      return CorruptDataError(std::string(what) + " offset " + std::to_string(offset) +
                              " is past the end of the data (" + std::to_string(bytes_.size()) +
                              " bytes)");
    pos_ = offset;
    return Status::Ok();
  }

 private:
  Status Truncated(const char* what, uint64_t need) const {
    return CorruptDataError("truncated: " + std::string(what) + " needs " + std::to_string(need) +
                            " bytes at offset " + std::to_string(pos_) + " but only " +
                            std::to_string(remaining()) + " remain");
  }
  std::span<const uint8_t> bytes_;
  uint64_t pos_ = 0;
};

}  // namespace tp::io
