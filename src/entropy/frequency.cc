#include "entropy/frequency.h"

#include <cmath>
#include <limits>
#include <string>

namespace tp::entropy {

StatusOr<std::vector<uint32_t>> NormalizeFrequencies(std::span<const uint64_t> counts,
                                                     int precision_bits) {
  if (precision_bits < kMinPrecisionBits || precision_bits > kMaxPrecisionBits)
    return InvalidArgumentError("precision bits must be 8..15, got " + std::to_string(precision_bits));
  const uint64_t target = uint64_t(1) << precision_bits;
  uint64_t total = 0, present = 0;
  for (uint64_t c : counts) {
    total += c;
    present += c > 0;
  }
  if (present == 0) return InvalidArgumentError("no symbol occurs");
  if (present > target)
    return InvalidArgumentError(std::to_string(present) + " symbols do not fit a 2^" +
                                std::to_string(precision_bits) + " frequency table");
  std::vector<uint32_t> freqs(counts.size(), 0);
  uint64_t sum = 0;
  for (size_t s = 0; s < counts.size(); ++s) {
    if (counts[s] == 0) continue;
    double scaled = double(counts[s]) * double(target) / double(total);
    uint64_t f = std::max<uint64_t>(1, static_cast<uint64_t>(std::llround(scaled)));
    freqs[s] = static_cast<uint32_t>(std::min(f, target));
    sum += freqs[s];
  }
  // Repair the rounding: each step moves one unit where it changes the coded
  // size least (a greedy step on a convex cost, so the result is the best
  // table reachable from the rounded one one unit at a time).
  while (sum != target) {
    size_t best = counts.size();
    double best_cost = std::numeric_limits<double>::infinity();
    for (size_t s = 0; s < counts.size(); ++s) {
      if (counts[s] == 0) continue;
      double c = double(counts[s]), f = double(freqs[s]);
      double cost;
      if (sum > target) {
        if (freqs[s] <= 1) continue;
        cost = c * std::log2(f / (f - 1));  // bits gained by taking a unit away
      } else {
        cost = -c * std::log2((f + 1) / f);  // bits saved by adding a unit
      }
      if (cost < best_cost) {
        best_cost = cost;
        best = s;
      }
    }
    if (best == counts.size()) return InternalError("frequency normalization did not converge");
    if (sum > target) {
      --freqs[best];
      --sum;
    } else {
      ++freqs[best];
      ++sum;
    }
  }
  return freqs;
}

Status ValidateFrequencies(std::span<const uint32_t> freqs, int precision_bits) {
  if (precision_bits < kMinPrecisionBits || precision_bits > kMaxPrecisionBits)
    return CorruptDataError("frequency precision " + std::to_string(precision_bits) +
                            " is outside 8..15");
  if (freqs.empty() || freqs.size() > 256)
    return CorruptDataError("frequency table has " + std::to_string(freqs.size()) + " symbols");
  uint64_t sum = 0;
  for (uint32_t f : freqs) sum += f;
  if (sum != (uint64_t(1) << precision_bits))
    return CorruptDataError("frequencies sum to " + std::to_string(sum) + ", not 2^" +
                            std::to_string(precision_bits));
  return Status::Ok();
}

double IdealCodedBits(std::span<const uint64_t> counts, std::span<const uint32_t> freqs,
                      int precision_bits) {
  double bits = 0;
  for (size_t s = 0; s < counts.size(); ++s) {
    if (counts[s] == 0) continue;
    if (s >= freqs.size() || freqs[s] == 0) return std::numeric_limits<double>::infinity();
    bits += double(counts[s]) * (precision_bits - std::log2(double(freqs[s])));
  }
  return bits;
}

double EntropyBits(std::span<const uint64_t> counts) {
  uint64_t total = 0;
  for (uint64_t c : counts) total += c;
  if (total == 0) return 0;
  double bits = 0;
  for (uint64_t c : counts)
    if (c) bits -= double(c) * std::log2(double(c) / double(total));
  return bits;
}

}  // namespace tp::entropy

namespace tp::entropy {

StatusOr<DecodeTable> BuildDecodeTable(std::span<const uint32_t> freqs, int precision_bits) {
  TP_RETURN_IF_ERROR(ValidateFrequencies(freqs, precision_bits));
  DecodeTable t;
  t.precision_bits = precision_bits;
  t.freq.assign(freqs.begin(), freqs.end());
  t.start.resize(freqs.size());
  t.slot_symbol.resize(size_t(1) << precision_bits);
  uint32_t cum = 0;
  for (size_t s = 0; s < freqs.size(); ++s) {
    t.start[s] = cum;
    for (uint32_t i = 0; i < freqs[s]; ++i) t.slot_symbol[cum + i] = static_cast<uint8_t>(s);
    cum += freqs[s];
  }
  return t;
}

}  // namespace tp::entropy
