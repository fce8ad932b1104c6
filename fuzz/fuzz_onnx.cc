// Fuzzes the ONNX reader (external data off).
#include "fuzz_model_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return tp::fuzz::FuzzModelReader(data, size, tp::fuzz::As(tp::ModelFormat::kOnnx), "fuzz.onnx");
}
