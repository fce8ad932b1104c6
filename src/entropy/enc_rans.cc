// Interleaved rANS (Duda's asymmetric numeral systems, in the byte-wise form
// of ryg_rans), built so that decoding runs near memory speed.
//
// ---- Read me first: the invariant ----
// Each of kRansLanes 32-bit states x stays in I = [L, 2^32), L = 2^16,
// between symbols. Coding symbol s (start c, frequency f, total M = 2^P) maps
//     x -> (x / f) * M + (x % f) + c,
// which multiplies x by about M/f; decoding inverts it exactly from the low P
// bits of x (the slot, which identifies s) and x >> P:
//     x -> f * (x >> P) + (x & (M-1)) - c.
// For the encoded state to stay below 2^32, the encoder first shifts a 16-bit
// word out of x if x >= x_max(s) = 2^(32-P) * f; the decoder shifts the same
// word back in if x < L. Since a decoded state is >= 2^(16-P) >= 2, one word
// always restores x >= L: at most one word per symbol, which the decoder
// reads without a branch. rANS is last-in-first-out, so the encoder walks the
// symbols backwards, writing words from the end of its buffer towards the
// front; the decoder then reads forwards.
// (This is ryg_rans's 32-bit state with 16-bit renormalisation rather than
// its byte-wise one: fewer, branch-free refills.) Lanes are interleaved
// (symbol i belongs to lane i % kRansLanes) and share one byte stream: every
// lane's operations are mirrored in exactly reverse order, which is all the
// shared stream needs. The encoder starts every lane at L and finally stores
// the states (little-endian, lane 0 first); a decoder that does not end with
// every lane back at L and every byte consumed has been fed corrupt data.
#include "entropy/enc_rans.h"

#include <string>

namespace tp::entropy {

StatusOr<std::vector<uint8_t>> RansEncode(std::span<const uint8_t> symbols,
                                          std::span<const uint32_t> freqs, int precision_bits) {
  TP_RETURN_IF_ERROR(ValidateFrequencies(freqs, precision_bits).WithContext("rANS encoder"));
  const int P = precision_bits;
  std::vector<uint32_t> start(freqs.size());
  uint32_t cum = 0;
  for (size_t s = 0; s < freqs.size(); ++s) {
    start[s] = cum;
    cum += freqs[s];
  }
  for (uint8_t s : symbols)
    if (s >= freqs.size() || freqs[s] == 0)
      return InvalidArgumentError("rANS encoder: symbol " + std::to_string(s) + " has no frequency");

  // Worst case: one word per symbol plus the states; bytes grow downwards.
  const size_t capacity = symbols.size() * 2 + 4 * kRansLanes + 16;
  std::vector<uint8_t> buf(capacity);
  size_t pos = capacity;
  uint32_t x[kRansLanes];
  for (uint32_t& s : x) s = kRansLow;
  for (size_t i = symbols.size(); i-- > 0;) {
    uint32_t& state = x[i % kRansLanes];
    const uint32_t f = freqs[symbols[i]];
    const uint64_t x_max = (uint64_t(1) << (32 - P)) * f;
    if (state >= x_max) {
      pos -= 2;
      buf[pos] = static_cast<uint8_t>(state & 0xff);
      buf[pos + 1] = static_cast<uint8_t>((state >> 8) & 0xff);
      state >>= 16;
    }
    state = ((state / f) << P) + (state % f) + start[symbols[i]];
  }
  for (int lane = kRansLanes - 1; lane >= 0; --lane) {
    pos -= 4;
    for (int b = 0; b < 4; ++b) buf[pos + b] = static_cast<uint8_t>(x[lane] >> (8 * b));
  }
  return std::vector<uint8_t>(buf.begin() + static_cast<std::ptrdiff_t>(pos), buf.end());
}

}  // namespace tp::entropy
