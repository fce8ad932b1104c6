// The dense reference GEMM (ruy's lesson: one short, obviously correct loop
// nest that every fast path is checked against).
#include "tensorpress/gemm.h"

namespace tp {

void ReferenceGemm(std::span<const int32_t> w, std::span<const int32_t> x, int m, int k, int n,
                   std::span<int32_t> y) {
  for (int r = 0; r < m; ++r)
    for (int c = 0; c < n; ++c) {
      // Unsigned accumulation wraps modulo 2^32 like the hardware does, without UB.
      uint32_t acc = 0;
      for (int d = 0; d < k; ++d)
        acc += static_cast<uint32_t>(w[size_t(r) * k + d]) * static_cast<uint32_t>(x[size_t(d) * n + c]);
      y[size_t(r) * n + c] = static_cast<int32_t>(acc);
    }
}

}  // namespace tp
