// Fuzzes the llama2.c checkpoint reader.
#include <cstdint>
#include <vector>

#include "tensorpress/model.h"
#include "tensorpress/stats.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto buffer = tp::MakeOwnedBuffer(std::vector<uint8_t>(data, data + size));
  tp::ReadOptions options;
  options.format = tp::ModelFormat::kLlama2c;
  auto model = tp::ReadModelFromBuffer(buffer, "fuzz.bin", options);
  if (model.ok())
    for (const auto& t : model->tensors) (void)tp::ComputeStats(t);
  return 0;
}
