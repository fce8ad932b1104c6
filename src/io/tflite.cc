#include "io/readers.h"

namespace tp::io {

// Placeholder until the tflite reader lands.
StatusOr<Model> ReadTflite(std::shared_ptr<const Buffer>, const std::string&) {
  return UnsupportedError("tflite reader not built yet");
}

}  // namespace tp::io
