#include "tensorpress/stats.h"

#include <algorithm>
#include <cstring>
#include <cmath>
#include <limits>
#include <unordered_map>
#include <vector>

namespace tp {

std::string_view EntropyDomainName(EntropyDomain d) {
  return d == EntropyDomain::kValues ? "values" : "bytes";
}

double EntropyBits(const uint64_t* counts, size_t n, uint64_t total) {
  if (total == 0) return 0;
  double h = 0;
  const double inv = 1.0 / static_cast<double>(total);
  for (size_t i = 0; i < n; ++i) {
    if (counts[i] == 0) continue;
    double p = static_cast<double>(counts[i]) * inv;
    h -= p * std::log2(p);
  }
  return h;
}

namespace {

// Entropy of the element values of an integer tensor. Narrow types use a
// dense histogram; 32/64-bit ones a hash map (distinct values are bounded by
// the element count).
double IntegerEntropy(const Tensor& t) {
  const uint64_t n = t.elements();
  if (n == 0) return 0;
  switch (t.dtype()) {
    case DType::kI8: case DType::kU8: case DType::kBool: {
      std::vector<uint64_t> h(256, 0);
      for (uint8_t b : t.bytes()) ++h[b];
      return EntropyBits(h.data(), h.size(), n);
    }
    case DType::kI4: case DType::kU4: {
      std::vector<uint64_t> h(16, 0);
      auto bytes = t.bytes();
      for (uint64_t i = 0; i < n; ++i) ++h[(bytes[i / 2] >> ((i & 1) * 4)) & 15];
      return EntropyBits(h.data(), h.size(), n);
    }
    case DType::kI16: case DType::kU16: {
      std::vector<uint64_t> h(65536, 0);
      for (uint16_t v : t.values<uint16_t>()) ++h[v];
      return EntropyBits(h.data(), h.size(), n);
    }
    default: {
      std::unordered_map<uint64_t, uint64_t> h;
      const size_t size = Traits(t.dtype()).block_bytes;
      auto bytes = t.bytes();
      for (uint64_t i = 0; i < n; ++i) {
        uint64_t v = 0;
        std::memcpy(&v, bytes.data() + i * size, size);
        ++h[v];
      }
      std::vector<uint64_t> counts;
      counts.reserve(h.size());
      for (auto& [k, c] : h) counts.push_back(c);
      return EntropyBits(counts.data(), counts.size(), n);
    }
  }
}

double ByteEntropy(const Tensor& t) {
  uint64_t h[256] = {};
  for (uint8_t b : t.bytes()) ++h[b];
  return EntropyBits(h, 256, t.nbytes());
}

}  // namespace

TensorStats ComputeStats(const Tensor& tensor) {
  TensorStats s;
  s.elements = tensor.elements();
  const DTypeTraits& traits = Traits(tensor.dtype());
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  // Welford's update keeps mean/variance accurate over millions of values.
  double mean = 0, m2 = 0;
  uint64_t counted = 0, zeros = 0;
  constexpr uint64_t kChunk = 4096;
  std::vector<double> buf(kChunk);
  for (uint64_t i = 0; i < s.elements; i += kChunk) {
    uint64_t n = std::min(kChunk, s.elements - i);
    ElementsAsDouble(tensor, i, n, buf.data());
    for (uint64_t j = 0; j < n; ++j) {
      double v = buf[j];
      if (std::isnan(v)) {
        ++s.nan_count;
        continue;
      }
      zeros += (v == 0.0);
      lo = std::min(lo, v);
      hi = std::max(hi, v);
      ++counted;
      double d = v - mean;
      mean += d / static_cast<double>(counted);
      m2 += d * (v - mean);
    }
  }
  if (counted > 0) {
    s.min = lo;
    s.max = hi;
    s.mean = mean;
    s.std = std::sqrt(m2 / static_cast<double>(counted));
  }
  s.zero_fraction = s.elements ? static_cast<double>(zeros) / static_cast<double>(s.elements) : 0;
  if (traits.is_float || traits.is_quantized_block) {
    s.entropy_domain = EntropyDomain::kBytes;
    s.entropy_bits = ByteEntropy(tensor);
    s.entropy_reference_bits = 8;
  } else {
    s.entropy_domain = EntropyDomain::kValues;
    s.entropy_bits = IntegerEntropy(tensor);
    s.entropy_reference_bits = traits.bits;
  }
  return s;
}

}  // namespace tp
