#include "io/readers.h"

namespace tp::io {

// Placeholder until the npy reader lands.
StatusOr<Model> ReadNpy(std::shared_ptr<const Buffer>, const std::string&) {
  return UnsupportedError("npy reader not built yet");
}

}  // namespace tp::io
