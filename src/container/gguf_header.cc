// GGUF header planes (gguf_header.h).
#include "container/gguf_header.h"

#include <cstring>

namespace tp::tpz3 {
namespace {

enum Part { kStructure = 0, kLengths = 1, kStrings = 2, kArrays = 3 };

// GGUF value types (src/io/gguf_format.h; repeated here so that the
// decoder does not depend on the reader).
constexpr uint32_t kString = 8, kArray = 9;
uint64_t ScalarBytes(uint32_t type) {
  switch (type) {
    case 0: case 1: case 7: return 1;     // u8, i8, bool
    case 2: case 3: return 2;             // u16, i16
    case 4: case 5: case 6: return 4;     // u32, i32, f32
    case 10: case 11: case 12: return 8;  // u64, i64, f64
    default: return 0;
  }
}

uint32_t Le32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
uint64_t Le64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// Numeric arrays go to their plane as differences of consecutive elements
// (unsigned, wrapping): a tokenizer's scores are -0, -1, -2, ... (gemma-3:
// 707 KB under zstd -9 as they lie, 196 bytes as differences) and its token
// types are runs of one value. Bytes (size 1) are kept as they are.
template <typename T>
void Delta(const uint8_t* in, uint64_t n, uint8_t* out) {
  T prev = 0;
  for (uint64_t i = 0; i < n; ++i) {
    T v;
    std::memcpy(&v, in + i * sizeof(T), sizeof(T));
    const T d = T(v - prev);
    std::memcpy(out + i * sizeof(T), &d, sizeof(T));
    prev = v;
  }
}
template <typename T>
void Undelta(const uint8_t* in, uint64_t n, uint8_t* out) {
  T prev = 0;
  for (uint64_t i = 0; i < n; ++i) {
    T d;
    std::memcpy(&d, in + i * sizeof(T), sizeof(T));
    prev = T(prev + d);
    std::memcpy(out + i * sizeof(T), &prev, sizeof(T));
  }
}
void DeltaArray(const uint8_t* in, uint64_t n, uint64_t size, uint8_t* out, bool forward) {
  switch (size) {
    case 2: return forward ? Delta<uint16_t>(in, n, out) : Undelta<uint16_t>(in, n, out);
    case 4: return forward ? Delta<uint32_t>(in, n, out) : Undelta<uint32_t>(in, n, out);
    case 8: return forward ? Delta<uint64_t>(in, n, out) : Undelta<uint64_t>(in, n, out);
    default: std::memcpy(out, in, n * size);
  }
}

// The walk over a header, shared by split and merge. `io.Take(part, n)`
// moves the next n bytes of the header to or from `part` and returns them
// (as restored), or nullptr when there are not that many. Every loop step
// takes at least 4 bytes, so a hostile count ends the walk when the bytes
// run out, after at most header-size / 4 steps.
template <typename IO>
bool Walk(IO& io) {
  const uint8_t* p = io.Take(kStructure, 8);
  if (!p || std::memcmp(p, "GGUF", 4) != 0) return false;
  const uint32_t version = Le32(p + 4);
  if (version != 2 && version != 3) return false;  // version 1 has u32 lengths
  if (!(p = io.Take(kStructure, 16))) return false;
  const uint64_t tensors = Le64(p), kvs = Le64(p + 8);
  auto string = [&]() -> bool {
    const uint8_t* lo = io.Take(kLengths, 1);
    if (!lo) return false;
    const uint8_t low = *lo;  // read before the next Take may move the buffer
    const uint8_t* hi = io.Take(kStructure, 7);
    if (!hi) return false;
    uint64_t n = low;
    for (int k = 0; k < 7; ++k) n |= uint64_t(hi[k]) << (8 * (k + 1));
    return n == 0 || io.Take(kStrings, n) != nullptr;
  };
  auto value = [&](uint32_t type) -> bool {
    if (type == kString) return string();
    if (type == kArray) {
      const uint8_t* a = io.Take(kStructure, 12);
      if (!a) return false;
      const uint32_t element = Le32(a);
      const uint64_t count = Le64(a + 4);
      if (element == kString) {
        for (uint64_t i = 0; i < count; ++i)
          if (!string()) return false;
        return true;
      }
      const uint64_t size = ScalarBytes(element);
      if (size == 0 || count > UINT64_MAX / size) return false;  // nested arrays: not seen in files
      return count == 0 || io.TakeArray(count, size) != nullptr;
    }
    const uint64_t size = ScalarBytes(type);
    return size != 0 && io.Take(kStructure, size) != nullptr;
  };
  for (uint64_t i = 0; i < kvs; ++i) {
    if (!string()) return false;
    const uint8_t* t = io.Take(kStructure, 4);
    if (!t || !value(Le32(t))) return false;
  }
  for (uint64_t i = 0; i < tensors; ++i) {
    if (!string()) return false;
    const uint8_t* d = io.Take(kStructure, 4);
    if (!d) return false;
    const uint32_t dims = Le32(d);
    if (dims > 64) return false;  // ggml has at most 4
    if (!io.Take(kStructure, uint64_t(dims) * 8 + 4 + 8)) return false;
  }
  return true;
}

struct Splitter {
  std::span<const uint8_t> in;
  uint64_t at = 0;
  std::array<std::vector<uint8_t>, kGgufHeaderParts>* parts;
  const uint8_t* Take(int part, uint64_t n) {
    if (n > in.size() - at) return nullptr;
    const uint8_t* p = in.data() + at;
    (*parts)[size_t(part)].insert((*parts)[size_t(part)].end(), p, p + n);
    at += n;
    return p;
  }
  // n elements of `size` bytes (n * size does not overflow).
  const uint8_t* TakeArray(uint64_t n, uint64_t size) {
    if (n * size > in.size() - at) return nullptr;
    const uint8_t* p = in.data() + at;
    auto& plane = (*parts)[kArrays];
    const size_t was = plane.size();
    plane.resize(was + n * size);
    DeltaArray(p, n, size, plane.data() + was, true);
    at += n * size;
    return p;
  }
};

struct Merger {
  std::span<uint8_t> out;
  uint64_t at = 0;
  std::array<std::span<const uint8_t>, kGgufHeaderParts> parts;
  std::array<uint64_t, kGgufHeaderParts> used{};
  const uint8_t* Take(int part, uint64_t n) {
    const auto& src = parts[size_t(part)];
    if (n > out.size() - at || n > src.size() - used[size_t(part)]) return nullptr;
    uint8_t* p = out.data() + at;
    std::memcpy(p, src.data() + used[size_t(part)], n);
    used[size_t(part)] += n;
    at += n;
    return p;
  }
  const uint8_t* TakeArray(uint64_t n, uint64_t size) {
    const uint64_t bytes = n * size;
    const auto& src = parts[kArrays];
    if (bytes > out.size() - at || bytes > src.size() - used[kArrays]) return nullptr;
    uint8_t* p = out.data() + at;
    DeltaArray(src.data() + used[kArrays], n, size, p, false);
    used[kArrays] += bytes;
    at += bytes;
    return p;
  }
};

}  // namespace

bool SplitGgufHeader(std::span<const uint8_t> header, std::array<std::vector<uint8_t>, kGgufHeaderParts>& parts) {
  for (auto& p : parts) p.clear();
  Splitter s{header, 0, &parts};
  if (!Walk(s)) return false;
  // What follows the tensor infos (padding to the data's alignment).
  s.Take(kStructure, header.size() - s.at);
  return true;
}

Status MergeGgufHeader(const std::array<std::span<const uint8_t>, kGgufHeaderParts>& parts, std::span<uint8_t> out) {
  Merger m{out, 0, parts, {}};
  if (!Walk(m)) return CorruptDataError("GGUF header planes do not form a header");
  // The rest of the structure plane is what followed the tensor infos.
  const uint64_t rest = parts[kStructure].size() - m.used[kStructure];
  if (rest != out.size() - m.at || !m.Take(kStructure, rest))
    return CorruptDataError("GGUF header planes do not add up to the chunk");
  for (int k = 0; k < kGgufHeaderParts; ++k)
    if (m.used[size_t(k)] != parts[size_t(k)].size())
      return CorruptDataError(std::string(kGgufHeaderPartNames[k]) + " plane has bytes left over");
  return Status::Ok();
}

}  // namespace tp::tpz3
