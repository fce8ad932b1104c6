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
  // Four interleaved tables: runs of equal bytes would otherwise serialise on
  // one counter's increment.
  uint64_t h[4][256] = {};
  auto b = t.bytes();
  size_t i = 0;
  for (; i + 4 <= b.size(); i += 4) {
    ++h[0][b[i]];
    ++h[1][b[i + 1]];
    ++h[2][b[i + 2]];
    ++h[3][b[i + 3]];
  }
  for (; i < b.size(); ++i) ++h[0][b[i]];
  for (int v = 0; v < 256; ++v) h[0][v] += h[1][v] + h[2][v] + h[3][v];
  return EntropyBits(h[0], 256, t.nbytes());
}

// Squares of values beyond ~1e154 overflow double; this slower pass divides
// by the largest magnitude first and is used only when that happened.
double ScaledStd(const Tensor& t, double scale, uint64_t counted) {
  // The mean itself may have overflowed in the merge; recompute it scaled.
  constexpr uint64_t kChunk = 4096;
  std::vector<double> buf(kChunk);
  double scaled_mean = 0;
  for (uint64_t i = 0; i < t.elements(); i += kChunk) {
    uint64_t n = std::min(kChunk, t.elements() - i);
    ElementsAsDouble(t, i, n, buf.data());
    for (uint64_t j = 0; j < n; ++j)
      if (!std::isnan(buf[j])) scaled_mean += (buf[j] / scale) / static_cast<double>(counted);
  }
  double m2 = 0;
  for (uint64_t i = 0; i < t.elements(); i += kChunk) {
    uint64_t n = std::min(kChunk, t.elements() - i);
    ElementsAsDouble(t, i, n, buf.data());
    for (uint64_t j = 0; j < n; ++j)
      if (!std::isnan(buf[j])) {
        double d = buf[j] / scale - scaled_mean;
        m2 += d * d;
      }
  }
  return scale * std::sqrt(m2 / static_cast<double>(counted));
}

}  // namespace

TensorStats ComputeStats(const Tensor& tensor) {
  TensorStats s;
  s.elements = tensor.elements();
  const DTypeTraits& traits = Traits(tensor.dtype());
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  // Chunk-wise two-pass moments merged with Chan et al.'s formula: as
  // accurate as Welford's update without a division per element.
  double mean = 0, m2 = 0;
  uint64_t counted = 0, zeros = 0;
  constexpr uint64_t kChunk = 4096;
  std::vector<double> buf(kChunk);
  for (uint64_t i = 0; i < s.elements; i += kChunk) {
    uint64_t n = std::min(kChunk, s.elements - i);
    ElementsAsDouble(tensor, i, n, buf.data());
    double sum = 0;
    uint64_t finite = 0;
    for (uint64_t j = 0; j < n; ++j) {
      double v = buf[j];
      if (std::isnan(v)) {
        ++s.nan_count;
        buf[j] = 0;  // contributes nothing below once excluded from `finite`
        continue;
      }
      zeros += (v == 0.0);
      lo = std::min(lo, v);
      hi = std::max(hi, v);
      sum += v;
      ++finite;
    }
    if (finite == 0) continue;
    const double chunk_mean = sum / static_cast<double>(finite);
    double chunk_m2 = 0;
    for (uint64_t j = 0; j < n; ++j) {
      double d = buf[j] - chunk_mean;
      chunk_m2 += d * d;
    }
    // NaN slots were zeroed: remove their (0 - mean)^2 contribution.
    chunk_m2 -= static_cast<double>(n - finite) * chunk_mean * chunk_mean;
    const uint64_t total = counted + finite;
    const double delta = chunk_mean - mean;
    mean += delta * static_cast<double>(finite) / static_cast<double>(total);
    m2 += chunk_m2 + delta * delta * static_cast<double>(counted) * static_cast<double>(finite) /
                         static_cast<double>(total);
    counted = total;
  }
  if (counted > 0) {
    s.min = lo;
    s.max = hi;
    s.mean = mean;
    s.std = std::sqrt(std::max(0.0, m2) / static_cast<double>(counted));
    if (!std::isfinite(s.std) && std::isfinite(lo) && std::isfinite(hi))
      s.std = ScaledStd(tensor, std::max(std::abs(lo), std::abs(hi)), counted);
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
