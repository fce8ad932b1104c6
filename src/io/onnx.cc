#include "io/readers.h"

namespace tp::io {

// Placeholder until the onnx reader lands.
StatusOr<Model> ReadOnnx(std::shared_ptr<const Buffer>, const std::string&, bool) {
  return UnsupportedError("onnx reader not built yet");
}

}  // namespace tp::io
