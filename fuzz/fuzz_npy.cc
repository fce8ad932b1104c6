// Fuzzes the .npy reader: any bytes must give a model or a clean error.
#include <cstdint>
#include <vector>

#include "tensorpress/model.h"
#include "tensorpress/stats.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto buffer = tp::MakeOwnedBuffer(std::vector<uint8_t>(data, data + size));
  tp::ReadOptions options;
  options.format = tp::ModelFormat::kNpy;
  auto model = tp::ReadModelFromBuffer(buffer, "fuzz.npy", options);
  if (model.ok())
    for (const auto& t : model->tensors) (void)tp::ComputeStats(t);  // touch every byte
  return 0;
}
