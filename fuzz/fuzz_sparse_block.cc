// Fuzzes the block-sparse decoder: any bytes decode or fail cleanly, and a
// decoded matrix round-trips through the encoder.
#include <cstdint>
#include <cstdlib>

#include "tensorpress/sparse.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto m = tp::sparse::DecodeBlockSparse({data, size});
  if (!m.ok()) {
    if (m.status().code() != tp::StatusCode::kCorruptData) abort();
    return 0;
  }
  // Re-encoding scans every element; a few header bytes may describe a
  // (legitimately empty) matrix of up to 1 GiB, so round-trip small ones only.
  if (m->values.size() > (16u << 20) || m->rows + m->cols > (1 << 20)) return 0;
  auto again = tp::sparse::EncodeBlockSparse(*m, data[13] + 1, data[14] + 1);
  if (!again.ok()) abort();
  auto back = tp::sparse::DecodeBlockSparse(*again);
  if (!back.ok() || back->values != m->values) abort();
  return 0;
}
