// Internal: parameters of the classic integer arithmetic coder shared by its
// encoder (enc_arith.h) and decoder (dec_arith.h). Read enc_arith.cc first.
#pragma once

#include <string>

#include "entropy/frequency.h"
#include "tensorpress/status.h"

namespace tp::entropy {

struct ArithConfig {
  // Width W of the low/high/value registers. 16 is what a hardware coder
  // holds; the model's precision must satisfy P <= W - 2 (see enc_arith.cc).
  int register_bits = 16;
  int precision_bits = 10;  // P: frequencies sum to 2^P
};

inline Status ValidateArithConfig(const ArithConfig& c) {
  if (c.precision_bits < kMinPrecisionBits || c.precision_bits > kMaxPrecisionBits)
    return InvalidArgumentError("arithmetic coder precision must be 8..15 bits, got " +
                                std::to_string(c.precision_bits));
  if (c.register_bits < c.precision_bits + 2 || c.register_bits > 32)
    return InvalidArgumentError("arithmetic coder registers must be " +
                                std::to_string(c.precision_bits + 2) + "..32 bits for " +
                                std::to_string(c.precision_bits) + "-bit frequencies, got " +
                                std::to_string(c.register_bits));
  return Status::Ok();
}

// What the stream holds after the coder's last bit, which decides how few
// bits the encoder must flush (see ArithFlushBits).
enum class ArithTail {
  kZeros,    // nothing: the decoder reads zeros past the end
  kAnyBits,  // other data follows in the same bit stream (Atalanta's offsets)
};

// The bits that settle the final interval [low, high] (after renormalisation,
// with `pending` underflow bits outstanding), as a prefix the decoder's window
// must start with: 0, 1 or 2 decision bits (returned), each followed in the
// stream by the pending bits. `first_bit` is the first decision bit.
//  - no bit when nothing is pending and every window works: [low, high] is
//    the whole register (kAnyBits), or holds 0 = the all-zero tail (kZeros);
//  - kZeros: "1" then zeros is Half, inside every interval that satisfies
//    the invariant (low < Half <= high);
//  - kAnyBits: "0" covers [0, Half) when low = 0, "1" covers [Half, top] when
//    high = top, else the classic two bits "01" / "10" cover a quarter that
//    the invariant puts inside the interval.
// Encoder and decoder both call this, so the decoder knows where the coder's
// bits end without a length field.
inline int ArithFlushBits(uint64_t low, uint64_t high, uint64_t pending, int register_bits, ArithTail tail,
                          int* first_bit) {
  const uint64_t top = (uint64_t(1) << register_bits) - 1;
  const uint64_t quarter = uint64_t(1) << (register_bits - 2);
  *first_bit = 0;
  if (pending == 0 && low == 0 && (tail == ArithTail::kZeros || high == top)) return 0;
  if (tail == ArithTail::kZeros) {
    *first_bit = 1;
    return 1;
  }
  if (low == 0) return 1;
  if (high == top) {
    *first_bit = 1;
    return 1;
  }
  *first_bit = low < quarter ? 0 : 1;
  return 2;
}

}  // namespace tp::entropy
