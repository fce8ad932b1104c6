// Fuzzes the TFLite reader: any bytes must give a model or a clean error.
#include <cstdint>
#include <vector>

#include "tensorpress/model.h"
#include "tensorpress/quant.h"
#include "tensorpress/stats.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto buffer = tp::MakeOwnedBuffer(std::vector<uint8_t>(data, data + size));
  tp::ReadOptions options;
  options.format = tp::ModelFormat::kTflite;
  auto model = tp::ReadModelFromBuffer(buffer, "fuzz.tflite", options);
  if (model.ok()) {
    for (const auto& t : model->tensors) {
      (void)tp::ComputeStats(t);  // touch every byte
      // Accepted quantization parameters must be usable as they are.
      if (t.quant() && t.elements() <= (1u << 20)) {
        auto deq = tp::Dequantize(t);
        if (!deq.ok()) __builtin_trap();
      }
    }
  }
  return 0;
}
