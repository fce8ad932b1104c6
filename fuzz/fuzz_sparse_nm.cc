// Fuzzes the N:M sparse decoder: any bytes decode or fail cleanly, and a
// decoded matrix re-encodes (with the stream's own N:M) to the same matrix.
#include <cstdint>
#include <cstdlib>

#include "tensorpress/sparse.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto m = tp::sparse::DecodeNm({data, size});
  if (!m.ok()) {
    if (m.status().code() != tp::StatusCode::kCorruptData) abort();
    return 0;
  }
  // Re-encoding scans every element; a few header bytes may describe a
  // (legitimately empty) matrix of up to 1 GiB, so round-trip small ones only.
  if (m->values.size() > (16u << 20) || m->rows + m->cols > (1 << 20)) return 0;
  const int n = data[13] + 1, mm = data[14] + 1;  // the header fields, present in any decodable stream
  auto again = tp::sparse::EncodeNm(*m, n, mm);
  if (!again.ok()) abort();
  auto back = tp::sparse::DecodeNm(*again);
  if (!back.ok() || back->values != m->values) abort();
  return 0;
}
