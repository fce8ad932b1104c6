// Fuzzes the safetensors reader.
#include "fuzz_model_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return tp::fuzz::FuzzModelReader(data, size, tp::fuzz::As(tp::ModelFormat::kSafetensors), "fuzz.safetensors");
}
