// Fuzzes the .npz reader (ZIP, deflate).
#include "fuzz_model_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return tp::fuzz::FuzzModelReader(data, size, tp::fuzz::As(tp::ModelFormat::kNpz), "fuzz.npz");
}
