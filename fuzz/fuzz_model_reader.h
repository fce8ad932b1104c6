// Shared body of the model-reader fuzz targets: any bytes must give a model
// or a clean error, and every accepted tensor must be safe to read whole.
#pragma once

#include <cstdint>
#include <vector>

#include "tensorpress/model.h"
#include "tensorpress/quant.h"
#include "tensorpress/stats.h"

namespace tp::fuzz {

inline int FuzzModelReader(const uint8_t* data, size_t size, ReadOptions options, const char* name) {
  auto buffer = MakeOwnedBuffer(std::vector<uint8_t>(data, data + size));
  auto model = ReadModelFromBuffer(buffer, name, options);
  if (!model.ok()) return 0;
  for (const Tensor& t : model->tensors) {
    (void)ComputeStats(t);  // touches every byte, dequantizes blocks
    // Accepted quantization parameters must be usable as they are.
    if (t.quant() && t.elements() <= (1u << 20) && !Dequantize(t).ok()) __builtin_trap();
  }
  return 0;
}

inline ReadOptions As(ModelFormat format) {
  ReadOptions options;
  options.format = format;
  options.allow_external_data = false;  // a fuzzer must not open other files
  return options;
}

}  // namespace tp::fuzz
