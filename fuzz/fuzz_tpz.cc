// Fuzzes the .tpz reader: any bytes must give a model or a clean error.
#include <cstdint>
#include <cstdlib>

#include "tensorpress/tpz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto model = tp::DecodeTpz({data, size}, "fuzz.tpz", 1);
  if (!model.ok() && model.status().code() != tp::StatusCode::kCorruptData) abort();
  return 0;
}
