// Interleaved rANS (Duda's asymmetric numeral systems, in the form of
// ryg_rans) with raw bits folded into the state, built so that decoding runs
// near memory speed.
//
// ---- Read me first: the invariant ----
// Each of kRansLanes 32-bit states x stays in I = [L, 2^32), L = 2^16,
// between values. A value is a symbol s (start c, frequency f, total
// M = 2^P) followed by r, a uniform number of w = raw_bits[s] bits (w may be
// 0). The decoder, reading the state forwards, does
//     x1 = f * (x >> P) + (x & (M-1)) - c     (the symbol: the low P bits of x,
//                                              the slot, identify s)
//     r  = x1 & (2^w - 1),  x' = x1 >> w      (the raw bits)
//     if x' < L: x' = (x' << 16) | next 16-bit word
// and the encoder, walking the values backwards, inverts it:
//     if x >= f * 2^(32-P-w): emit the low 16 bits of x, x >>= 16
//     x1 = (x << w) | r
//     x  = (x1 / f) * M + (x1 % f) + c.
// Why one word always suffices: the encoder's test leaves x in
// J = [f * 2^(16-P-w), f * 2^(32-P-w)) (J spans exactly a factor 2^16, so
// every x in I has exactly one representative in J after zero or one shift,
// given f <= 2^P and f >= 2^(P+w-16), i.e. P + w <= 16), hence
// x1 < f * 2^(32-P) and the coded x < 2^32; the decoder's x' is the
// encoder's x in J, so x' >= 2^(16-P-w) >= 1 and one word restores x' >= L.
// The decoder's x1 < 2^32 for any x in I, so even corrupt data keeps every
// state in I: the loop needs no checks besides the bounds of the stream.
// The raw bits cost exactly w bits each (the state grows by 2^w), like a raw
// bit field, but the decoder gets them from the state it already holds.
// (This is ryg_rans's 32-bit state with 16-bit renormalisation rather than
// its byte-wise one: fewer, branch-free refills.) Lanes are interleaved
// (value i belongs to lane i % kRansLanes) and share one byte stream: every
// lane's operations are mirrored in exactly reverse order, which is all the
// shared stream needs. The encoder starts every lane at L and finally stores
// the states (little-endian, lane 0 first); a decoder that does not end with
// every lane back at L and every byte consumed has been fed corrupt data.
#include "entropy/enc_rans.h"

#include <string>

namespace tp::entropy {

StatusOr<std::vector<uint8_t>> RansEncode(std::span<const uint8_t> symbols,
                                          std::span<const uint32_t> freqs, int precision_bits,
                                          std::span<const uint8_t> raw, std::span<const uint8_t> raw_bits) {
  TP_RETURN_IF_ERROR(ValidateFrequencies(freqs, precision_bits).WithContext("rANS encoder"));
  const int P = precision_bits;
  if (!raw_bits.empty() && (raw_bits.size() != freqs.size() || raw.size() != symbols.size()))
    return InvalidArgumentError("rANS encoder: raw bits need one width per symbol and one value per symbol");
  std::vector<uint32_t> start(freqs.size());
  uint32_t cum = 0;
  for (size_t s = 0; s < freqs.size(); ++s) {
    start[s] = cum;
    cum += freqs[s];
    if (!raw_bits.empty() && freqs[s] != 0 && P + raw_bits[s] > kRansMaxPrecisionPlusRawBits)
      return InvalidArgumentError("rANS encoder: " + std::to_string(raw_bits[s]) + " raw bits after a " +
                                  std::to_string(P) + "-bit symbol exceed " +
                                  std::to_string(kRansMaxPrecisionPlusRawBits));
  }
  for (size_t i = 0; i < symbols.size(); ++i) {
    const uint8_t s = symbols[i];
    if (s >= freqs.size() || freqs[s] == 0)
      return InvalidArgumentError("rANS encoder: symbol " + std::to_string(s) + " has no frequency");
    if (!raw_bits.empty() && (raw[i] >> raw_bits[s]) != 0)
      return InvalidArgumentError("rANS encoder: raw value " + std::to_string(raw[i]) + " exceeds its " +
                                  std::to_string(raw_bits[s]) + " bits");
  }

  // Worst case: one word per symbol plus the states; bytes grow downwards.
  const size_t capacity = symbols.size() * 2 + 4 * kRansLanes + 16;
  std::vector<uint8_t> buf(capacity);
  size_t pos = capacity;
  uint32_t x[kRansLanes];
  for (uint32_t& s : x) s = kRansLow;
  for (size_t i = symbols.size(); i-- > 0;) {
    uint32_t& state = x[i % kRansLanes];
    const uint8_t s = symbols[i];
    const uint32_t f = freqs[s];
    const int w = raw_bits.empty() ? 0 : raw_bits[s];
    const uint64_t x_max = uint64_t(f) << (32 - P - w);
    if (state >= x_max) {
      pos -= 2;
      buf[pos] = static_cast<uint8_t>(state & 0xff);
      buf[pos + 1] = static_cast<uint8_t>((state >> 8) & 0xff);
      state >>= 16;
    }
    const uint32_t x1 = (state << w) | (w ? raw[i] : 0u);  // < f * 2^(32-P) <= 2^32
    state = ((x1 / f) << P) + (x1 % f) + start[s];
  }
  for (int lane = kRansLanes - 1; lane >= 0; --lane) {
    pos -= 4;
    for (int b = 0; b < 4; ++b) buf[pos + b] = static_cast<uint8_t>(x[lane] >> (8 * b));
  }
  return std::vector<uint8_t>(buf.begin() + static_cast<std::ptrdiff_t>(pos), buf.end());
}

}  // namespace tp::entropy
