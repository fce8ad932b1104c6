// Decoder of the interleaved rANS streams; the invariant is explained at the
// top of enc_rans.cc and the loop (RansDecodeWith, in the header so callers
// can fuse their per-value work into it) does one 8-byte table load, one
// multiply, a shift and a branch-free refill per value, with kRansLanes
// independent chains.
#include "entropy/dec_rans.h"

#include <string>

namespace tp::entropy {

StatusOr<RansDecodeTable> BuildRansDecodeTable(std::span<const uint32_t> freqs, int precision_bits,
                                               std::span<const uint8_t> raw_bits) {
  TP_RETURN_IF_ERROR(ValidateFrequencies(freqs, precision_bits).WithContext("rANS table"));
  if (!raw_bits.empty() && raw_bits.size() != freqs.size())
    return InvalidArgumentError("rANS table: raw bits need one width per symbol");
  for (size_t s = 0; s < raw_bits.size(); ++s)
    if (freqs[s] != 0 && precision_bits + raw_bits[s] > kRansMaxPrecisionPlusRawBits)
      return InvalidArgumentError("rANS table: " + std::to_string(raw_bits[s]) + " raw bits after a " +
                                  std::to_string(precision_bits) + "-bit symbol exceed " +
                                  std::to_string(kRansMaxPrecisionPlusRawBits));
  RansDecodeTable t;
  t.precision_bits = precision_bits;
  t.slots.resize(size_t(1) << precision_bits);
  uint32_t cum = 0;
  for (size_t s = 0; s < freqs.size(); ++s) {
    for (uint32_t i = 0; i < freqs[s]; ++i)
      t.slots[cum + i] = RansSlot{static_cast<uint16_t>(freqs[s]), static_cast<uint16_t>(i),
                                  static_cast<uint8_t>(s), raw_bits.empty() ? uint8_t(0) : raw_bits[s], {0, 0}};
    cum += freqs[s];
  }
  return t;
}

Status RansDecode(std::span<const uint8_t> bytes, const RansDecodeTable& table, std::span<uint8_t> out) {
  uint8_t* __restrict o = out.data();
  return RansDecodeWith(bytes, table, out.size(), [o](size_t i, const RansSlot& e, uint32_t) { o[i] = e.symbol; });
}

}  // namespace tp::entropy
