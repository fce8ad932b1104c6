// Classic integer arithmetic coding (Witten, Neal & Cleary 1987), the coder
// Atalanta puts between an accelerator and DRAM.
//
// ---- Read me first: the invariant ----
// The coder keeps an interval [low, high] of W-bit integers (W =
// register_bits). Between symbols it always holds one of
//     low < Quarter && high >= Half        or     low < Half && high >= 3*Quarter,
// so the interval spans more than a quarter of the register: range =
// high - low + 1 >= Quarter + 2. Coding a symbol with cumulative start c and
// frequency f out of T = 2^P narrows the interval to
//     [low + floor(range*c/T), low + floor(range*(c+f)/T) - 1],
// which is non-empty for every f >= 1 exactly when range >= T, i.e. when
// P <= W - 2 (ValidateArithConfig). Renormalisation then doubles the interval
// until the invariant holds again: when both ends share their top bit, that
// bit is final and is sent (followed by any pending opposite bits); when the
// interval straddles the middle inside (Quarter, 3*Quarter) — "underflow",
// WNC's E3 case — the middle half is expanded and one pending bit is counted,
// to be sent once the next settled bit decides its value.
// The decoder (dec_arith.cc) mirrors the same arithmetic on a W-bit window
// `value` of the stream, which always lies in [low, high]: given the window,
// the symbol is the one whose slot holds floor(((value-low+1)*T - 1)/range).
// Termination sends the fewest bits (0..2, plus pending ones) that put the
// window inside the final interval whatever follows them (ArithFlushBits in
// arith_common.h): whatever bits follow when other fields share the stream,
// or zeros when the stream ends there.
// All arithmetic is exact integer arithmetic on 64-bit words, so the stream is
// bit-exact and deterministic across platforms, and decodable from the
// frequency table alone.
#include "entropy/enc_arith.h"

#include <string>

#include "entropy/bit_io.h"

namespace tp::entropy {
namespace {

class ArithEncoder {
 public:
  ArithEncoder(const ArithConfig& c, BitWriter& out)
      : out_(out),
        register_bits_(c.register_bits),
        precision_(c.precision_bits),
        half_(uint64_t(1) << (c.register_bits - 1)),
        quarter_(uint64_t(1) << (c.register_bits - 2)),
        high_((uint64_t(1) << c.register_bits) - 1) {}

  void Encode(uint32_t start, uint32_t freq) {
    const uint64_t range = high_ - low_ + 1;
    high_ = low_ + ((range * (start + freq)) >> precision_) - 1;
    low_ = low_ + ((range * start) >> precision_);
    for (;;) {
      if (high_ < half_) {
        Emit(0);
      } else if (low_ >= half_) {
        Emit(1);
        low_ -= half_;
        high_ -= half_;
      } else if (low_ >= quarter_ && high_ < half_ + quarter_) {
        ++pending_;
        low_ -= quarter_;
        high_ -= quarter_;
      } else {
        break;
      }
      low_ <<= 1;
      high_ = (high_ << 1) | 1;
    }
  }

  void Finish(ArithTail tail) {
    int first_bit = 0;
    const int bits = ArithFlushBits(low_, high_, pending_, register_bits_, tail, &first_bit);
    if (bits == 2) ++pending_;  // the second bit is the opposite of the first
    if (bits > 0) Emit(first_bit);
  }

 private:
  void Emit(int bit) {
    out_.WriteBit(bit);
    for (; pending_ > 0; --pending_) out_.WriteBit(!bit);
  }

  BitWriter& out_;
  int register_bits_;
  int precision_;
  uint64_t half_, quarter_;
  uint64_t low_ = 0, high_;
  uint64_t pending_ = 0;
};

}  // namespace

Status ArithEncodeBits(std::span<const uint8_t> symbols, std::span<const uint32_t> freqs,
                       const ArithConfig& config, ArithTail tail, BitWriter& out) {
  TP_RETURN_IF_ERROR(ValidateArithConfig(config));
  TP_RETURN_IF_ERROR(ValidateFrequencies(freqs, config.precision_bits).WithContext("arithmetic encoder"));
  std::vector<uint32_t> start(freqs.size());
  uint32_t cum = 0;
  for (size_t s = 0; s < freqs.size(); ++s) {
    start[s] = cum;
    cum += freqs[s];
  }
  ArithEncoder enc(config, out);
  for (uint8_t s : symbols) {
    if (s >= freqs.size() || freqs[s] == 0)
      return InvalidArgumentError("arithmetic encoder: symbol " + std::to_string(s) +
                                  " has no frequency");
    enc.Encode(start[s], freqs[s]);
  }
  enc.Finish(tail);
  return Status::Ok();
}

StatusOr<std::vector<uint8_t>> ArithEncode(std::span<const uint8_t> symbols,
                                           std::span<const uint32_t> freqs, const ArithConfig& config) {
  BitWriter w;
  TP_RETURN_IF_ERROR(ArithEncodeBits(symbols, freqs, config, ArithTail::kZeros, w));
  return w.Finish();
}

}  // namespace tp::entropy
