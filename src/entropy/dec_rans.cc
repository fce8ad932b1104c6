// Decoder of the interleaved rANS streams; the invariant is explained at the
// top of enc_rans.cc. The hot loop does one 8-byte table load, one multiply
// and a rarely-taken refill per symbol, with kRansLanes independent chains.
#include "entropy/dec_rans.h"

#include <string>

namespace tp::entropy {

StatusOr<RansDecodeTable> BuildRansDecodeTable(std::span<const uint32_t> freqs, int precision_bits) {
  TP_RETURN_IF_ERROR(ValidateFrequencies(freqs, precision_bits).WithContext("rANS table"));
  RansDecodeTable t;
  t.precision_bits = precision_bits;
  t.slots.resize(size_t(1) << precision_bits);
  uint32_t cum = 0;
  for (size_t s = 0; s < freqs.size(); ++s) {
    for (uint32_t i = 0; i < freqs[s]; ++i)
      t.slots[cum + i] = RansSlot{static_cast<uint16_t>(freqs[s]), static_cast<uint16_t>(i),
                                  static_cast<uint8_t>(s), {0, 0, 0}};
    cum += freqs[s];
  }
  return t;
}

Status RansDecode(std::span<const uint8_t> bytes, const RansDecodeTable& table, std::span<uint8_t> out) {
  const int P = table.precision_bits;
  if (P < kMinPrecisionBits || P > kMaxPrecisionBits || table.slots.size() != (size_t(1) << P))
    return InvalidArgumentError("rANS decoder: invalid table");
  if (bytes.size() < 4 * kRansLanes)
    return CorruptDataError("rANS stream of " + std::to_string(bytes.size()) +
                            " bytes is shorter than its states");
  const uint8_t* p = bytes.data();
  const uint8_t* const end = p + bytes.size();
  uint32_t x[kRansLanes];
  for (uint32_t& s : x) {
    s = uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
    p += 4;
    if (s < kRansLow) return CorruptDataError("rANS state below its lower bound");
  }
  const uint32_t mask = (uint32_t(1) << P) - 1;
  const RansSlot* __restrict slots = table.slots.data();
  uint8_t* __restrict o = out.data();
  const size_t n = out.size();
  // A local copy the compiler keeps in registers: the output pointer is
  // __restrict, so its byte stores do not force the states back to memory.
  uint32_t xs[kRansLanes];
  for (int l = 0; l < kRansLanes; ++l) xs[l] = x[l];
  auto decode = [&](uint32_t& state, size_t i) {
    const RansSlot e = slots[state & mask];
    o[i] = e.symbol;
    state = uint32_t(e.freq) * (state >> P) + e.bias;
  };
  // A decode step leaves state >= 2^(23-P) >= 2^8, so one lane reads at most
  // two bytes per symbol: with 2*lanes bytes left, a whole group needs no checks.
  // Branch-free: whether a lane needs a byte is data-dependent and would
  // mispredict often.
  auto refill_unchecked = [&](uint32_t& state) {
    for (int round = 0; round < 2; ++round) {
      const bool need = state < kRansLow;
      const uint32_t shifted = (state << 8) | *p;
      state = need ? shifted : state;
      p += need;
    }
  };
  auto refill_checked = [&](uint32_t& state) {
    while (state < kRansLow) {
      if (p == end) return false;
      state = (state << 8) | *p++;
    }
    return true;
  };
  size_t i = 0;
  for (; i + kRansLanes <= n; i += kRansLanes) {
#pragma GCC unroll 16
    for (int l = 0; l < kRansLanes; ++l) decode(xs[l], i + l);
    if (end - p >= 2 * kRansLanes) {
#pragma GCC unroll 16
      for (int l = 0; l < kRansLanes; ++l) refill_unchecked(xs[l]);
    } else {
      for (int l = 0; l < kRansLanes; ++l)
        if (!refill_checked(xs[l])) return CorruptDataError("rANS stream is truncated");
    }
  }
  for (int lane = 0; i < n; ++i, ++lane) {
    decode(xs[lane], i);
    if (!refill_checked(xs[lane])) return CorruptDataError("rANS stream is truncated");
  }
  for (int l = 0; l < kRansLanes; ++l) x[l] = xs[l];
  for (uint32_t s : x)
    if (s != kRansLow) return CorruptDataError("rANS stream is corrupt (final state mismatch)");
  if (p != end) return CorruptDataError("rANS stream has " + std::to_string(end - p) + " trailing bytes");
  return Status::Ok();
}

}  // namespace tp::entropy
