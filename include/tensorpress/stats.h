// Summary statistics of a tensor, as `tensorpress inspect` reports them.
#pragma once

#include <cstdint>
#include <string_view>

#include "tensorpress/tensor.h"

namespace tp {

// What the order-0 entropy was computed over.
enum class EntropyDomain {
  kValues,  // element values (integer dtypes, packed 4-bit included)
  kBytes,   // the raw bytes (float dtypes and GGUF blocks), in bits per byte
};
std::string_view EntropyDomainName(EntropyDomain d);  // "values" / "bytes"

struct TensorStats {
  uint64_t elements = 0;
  uint64_t nan_count = 0;      // NaNs are excluded from min/max/mean/std
  double min = 0, max = 0, mean = 0, std = 0;  // population std
  double zero_fraction = 0;    // elements equal to zero (+0 and -0) / elements
  EntropyDomain entropy_domain = EntropyDomain::kValues;
  // Empirical order-0 entropy in bits per value (kValues) or per byte (kBytes).
  double entropy_bits = 0;
  // Bits per element of the stored dtype, for comparing with entropy_bits
  // (8 for kBytes: entropy is per byte).
  double entropy_reference_bits = 0;
};

TensorStats ComputeStats(const Tensor& tensor);

// Order-0 entropy, in bits per symbol, of a histogram of `total` symbols.
double EntropyBits(const uint64_t* counts, size_t n, uint64_t total);

}  // namespace tp
