#include "io/readers.h"

namespace tp::io {

// Placeholder until the gguf reader lands.
StatusOr<Model> ReadGguf(std::shared_ptr<const Buffer>, const std::string&) {
  return UnsupportedError("gguf reader not built yet");
}

}  // namespace tp::io
