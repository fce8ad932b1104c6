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

}  // namespace tp::entropy
