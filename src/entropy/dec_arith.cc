// Decoder of the classic integer arithmetic coder. The invariant it relies on
// is explained at the top of enc_arith.cc; this file mirrors that arithmetic
// without including the encoder.
#include "entropy/dec_arith.h"

#include <string>

#include "entropy/bit_io.h"

namespace tp::entropy {

Status ArithDecode(std::span<const uint8_t> bytes, const DecodeTable& table,
                   const ArithConfig& config, std::span<uint8_t> out, uint64_t* coded_bits) {
  TP_RETURN_IF_ERROR(ValidateArithConfig(config));
  if (table.precision_bits != config.precision_bits || table.slot_symbol.size() != (size_t(1) << config.precision_bits))
    return InvalidArgumentError("arithmetic decoder: table precision does not match the coder");
  const int W = config.register_bits, P = config.precision_bits;
  const uint64_t half = uint64_t(1) << (W - 1), quarter = uint64_t(1) << (W - 2);
  const uint64_t slots = uint64_t(1) << P;
  uint64_t low = 0, high = (uint64_t(1) << W) - 1;
  BitReader in(bytes);
  uint64_t value = in.Read(W);
  // The encoder wrote one bit per renormalising shift, except the underflow
  // bits still pending at the end, which its flush writes.
  uint64_t shifts = 0, pending = 0;
  for (uint8_t& sym : out) {
    const uint64_t range = high - low + 1;
    // value in [low, high] holds for every input (it is maintained by the
    // same shifts as the interval), so target < 2^P; checked all the same.
    if (value < low || value > high) return CorruptDataError("arithmetic stream left its interval");
    const uint64_t target = (((value - low + 1) << P) - 1) / range;
    if (target >= slots) return CorruptDataError("arithmetic stream left its interval");
    const uint8_t s = table.slot_symbol[target];
    sym = s;
    high = low + ((range * (table.start[s] + table.freq[s])) >> P) - 1;
    low = low + ((range * table.start[s]) >> P);
    for (;;) {
      if (high < half) {
        pending = 0;
      } else if (low >= half) {
        low -= half;
        high -= half;
        value -= half;
        pending = 0;
      } else if (low >= quarter && high < half + quarter) {
        low -= quarter;
        high -= quarter;
        value -= quarter;
        ++pending;
      } else {
        break;
      }
      ++shifts;
      low <<= 1;
      high = (high << 1) | 1;
      value = (value << 1) | static_cast<uint64_t>(in.ReadBit());
    }
  }
  // The encoder's final bits plus the zero padding of a W-bit window: any
  // stream that needed more was cut short.
  if (in.overrun() > static_cast<uint64_t>(W))
    return CorruptDataError("arithmetic stream is truncated (" + std::to_string(in.overrun()) +
                            " bits missing)");
  if (coded_bits) {
    int first_bit = 0;
    *coded_bits = shifts + static_cast<uint64_t>(ArithFlushBits(low, high, pending, W, ArithTail::kAnyBits, &first_bit));
  }
  return Status::Ok();
}

}  // namespace tp::entropy
