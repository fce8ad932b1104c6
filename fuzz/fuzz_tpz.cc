// Fuzzes the .tpz reader: any bytes must give a model or a clean error, and
// so must every tensor read alone and a few element ranges of it.
#include <cstdint>
#include <cstdlib>

#include "tensorpress/tpz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto model = tp::DecodeTpz({data, size}, "fuzz.tpz", 1);
  if (!model.ok() && model.status().code() != tp::StatusCode::kCorruptData) abort();
  auto reader = tp::TpzReader::FromBytes({data, size}, "fuzz.tpz");
  if (!reader.ok()) {
    if (reader.status().code() != tp::StatusCode::kCorruptData) abort();
    return 0;
  }
  for (const tp::TpzTensorInfo& info : reader->tensors()) {
    const uint64_t n = info.elements;
    for (auto [begin, count] : {std::pair<uint64_t, uint64_t>{0, n}, {n / 3, n / 2}, {n / 2, 1}, {n, 0}}) {
      if (begin > n || count > n - begin) continue;
      auto part = reader->ReadElements(info.name, begin, count, 1);
      if (!part.ok() && part.status().code() != tp::StatusCode::kCorruptData &&
          part.status().code() != tp::StatusCode::kInvalidArgument)
        abort();
      // What the whole decode accepted, the range read must reproduce.
      if (model.ok() && count == n && !part.ok()) abort();
    }
  }
  return 0;
}
