// The order-0 byte rANS decoder's table and its scalar reference loop; the
// invariant is explained at the top of enc_rans.cc.
#include "entropy/dec_rans_byte.h"

#include <string>

#include "entropy/frequency.h"

namespace tp::entropy {

Status BuildRansByteTable(std::span<const uint32_t> freqs, int precision_bits, RansByteTable* table) {
  if (precision_bits > kRansByteMaxPrecisionBits)
    return CorruptDataError("rANS byte table precision " + std::to_string(precision_bits) + " exceeds 12");
  TP_RETURN_IF_ERROR(ValidateFrequencies(freqs, precision_bits).WithContext("rANS table"));
  table->precision_bits = precision_bits;
  table->slots.resize(size_t(1) << precision_bits);
  uint32_t* slot = table->slots.data();
  for (size_t s = 0; s < freqs.size(); ++s) {
    const uint32_t f = freqs[s];
    const uint32_t base = (f - 1) | uint32_t(s) << 24;
    for (uint32_t i = 0; i < f; ++i) *slot++ = base | i << 12;
  }
  return Status::Ok();
}

std::vector<RansByteKernel> SupportedRansByteKernels() {
  std::vector<RansByteKernel> k = {RansByteKernel::kScalar};
  if (CpuHasAvx2()) k.push_back(RansByteKernel::kAvx2);
  if (CpuHasAvx512()) k.push_back(RansByteKernel::kAvx512);
  return k;
}

const char* RansByteKernelName(RansByteKernel k) {
  switch (k) {
    case RansByteKernel::kScalar: return "scalar";
    case RansByteKernel::kAvx2: return "avx2";
    case RansByteKernel::kAvx512: return "avx512";
    case RansByteKernel::kBest: return "best";
  }
  return "unknown";
}

Status DecodeRansBytes(std::span<const uint8_t> bytes, const RansByteTable& table, std::span<uint8_t> out,
                       RansByteKernel kernel) {
  const int P = table.precision_bits;
  if (P < kMinPrecisionBits || P > kRansByteMaxPrecisionBits || table.slots.size() != (size_t(1) << P))
    return InvalidArgumentError("rANS byte decoder: invalid table");
  if (bytes.size() < 4 * kRansLanes)
    return CorruptDataError("rANS stream of " + std::to_string(bytes.size()) + " bytes is shorter than its states");
  const uint8_t* p = bytes.data();
  const uint8_t* const end = p + bytes.size();
  uint32_t xs[kRansLanes];
  for (uint32_t& s : xs) {
    s = uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
    p += 4;
    if (s < kRansLow) return CorruptDataError("rANS state below its lower bound");
  }
  const size_t n = out.size();
  uint8_t* __restrict o = out.data();
  if (kernel == RansByteKernel::kBest) {
    static const RansByteKernel best = SupportedRansByteKernels().back();
    kernel = best;
  }
  size_t i = 0;
  // The CPU checks stay out of the kernels' own (target-attributed) code,
  // which the compiler may start with instructions this CPU lacks.
  if (kernel == RansByteKernel::kAvx512 && CpuHasAvx512()) i = DecodeRansByteGroupsAvx512(table, xs, p, end, o, n);
  if (kernel == RansByteKernel::kAvx2 && CpuHasAvx2()) i = DecodeRansByteGroupsAvx2(table, xs, p, end, o, n);
  const uint32_t mask = (uint32_t(1) << P) - 1;
  const uint32_t* __restrict slots = table.slots.data();
  auto decode = [&](uint32_t& state) {
    const uint32_t e = slots[state & mask];
    state = ((e & 0xfff) + 1) * (state >> P) + ((e >> 12) & 0xfff);
    return static_cast<uint8_t>(e >> 24);
  };
  // A step leaves state >= 2^(16-P) >= 1, so one 16-bit word restores it
  // (enc_rans.cc); branch-free because the need is data-dependent.
  for (; i + kRansLanes <= n; i += kRansLanes) {
#pragma GCC unroll 32
    for (int l = 0; l < kRansLanes; ++l) o[i + l] = decode(xs[l]);
    if (end - p >= 2 * kRansLanes) {
#pragma GCC unroll 32
      for (int l = 0; l < kRansLanes; ++l) {
        const bool need = xs[l] < kRansLow;
        const uint32_t shifted = (xs[l] << 16) | uint32_t(p[0]) | uint32_t(p[1]) << 8;
        xs[l] = need ? shifted : xs[l];
        p += 2 * need;
      }
    } else {
      for (int l = 0; l < kRansLanes; ++l) {
        if (xs[l] >= kRansLow) continue;
        if (end - p < 2) return CorruptDataError("rANS stream is truncated");
        xs[l] = (xs[l] << 16) | uint32_t(p[0]) | uint32_t(p[1]) << 8;
        p += 2;
      }
    }
  }
  for (int lane = 0; i < n; ++i, ++lane) {
    o[i] = decode(xs[lane]);
    if (xs[lane] >= kRansLow) continue;
    if (end - p < 2) return CorruptDataError("rANS stream is truncated");
    xs[lane] = (xs[lane] << 16) | uint32_t(p[0]) | uint32_t(p[1]) << 8;
    p += 2;
  }
  for (uint32_t s : xs)
    if (s != kRansLow) return CorruptDataError("rANS stream is corrupt (final state mismatch)");
  if (p != end) return CorruptDataError("rANS stream has " + std::to_string(end - p) + " trailing bytes");
  return Status::Ok();
}

}  // namespace tp::entropy
