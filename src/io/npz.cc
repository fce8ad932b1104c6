#include "io/readers.h"

namespace tp::io {

// Placeholder until the npz reader lands.
StatusOr<Model> ReadNpz(std::shared_ptr<const Buffer>, const std::string&) {
  return UnsupportedError("npz reader not built yet");
}

}  // namespace tp::io
