// Internal: decoder of enc_rans's interleaved streams. Never includes the
// encoder.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "entropy/frequency.h"
#include "entropy/rans_common.h"

namespace tp::entropy {

// One 8-byte entry per slot of the 2^P range: everything a decode step needs
// in a single load.
struct RansSlot {
  uint16_t freq;
  uint16_t bias;  // slot - start of the symbol
  uint8_t symbol;
  uint8_t raw_bits;  // width of the raw value that follows the symbol (enc_rans.h)
  uint8_t user[2];   // free for the caller: Atalanta keeps its range's start and size-1
};
static_assert(sizeof(RansSlot) == 8);

struct RansDecodeTable {
  int precision_bits = 0;
  std::vector<RansSlot> slots;
};
// Validates `freqs` (and `raw_bits`, one width per symbol or none, against
// P + w <= kRansMaxPrecisionPlusRawBits) and builds the slot table.
StatusOr<RansDecodeTable> BuildRansDecodeTable(std::span<const uint32_t> freqs, int precision_bits,
                                               std::span<const uint8_t> raw_bits = {});

// Decodes out.size() symbols. Every byte read is bounds-checked and the final
// states must equal the encoder's initial ones, so truncated or corrupt input
// gives CorruptDataError.
Status RansDecode(std::span<const uint8_t> bytes, const RansDecodeTable& table, std::span<uint8_t> out);

// The decoding loop, handing value i's slot and raw bits to
// sink(i, slot, raw) instead of storing the symbol, so that a caller can
// finish each value in the same pass (Atalanta adds the range start there).
// The invariant is explained at the top of enc_rans.cc.
//
// `fast_groups(states, p, end)` may first decode whole groups of kRansLanes
// values with a faster (SIMD) loop: it advances the states and p exactly as
// this loop would, never reads past `end`, and returns how many values it
// decoded (a multiple of kRansLanes, at most n); the scalar loop finishes.
template <typename FastGroups, typename Sink>
Status RansDecodeWith(std::span<const uint8_t> bytes, const RansDecodeTable& table, size_t n,
                      FastGroups&& fast_groups, Sink&& sink) {
  const int P = table.precision_bits;
  if (P < kMinPrecisionBits || P > kMaxPrecisionBits || table.slots.size() != (size_t(1) << P))
    return InvalidArgumentError("rANS decoder: invalid table");
  if (bytes.size() < 4 * kRansLanes)
    return CorruptDataError("rANS stream of " + std::to_string(bytes.size()) + " bytes is shorter than its states");
  const uint8_t* p = bytes.data();
  const uint8_t* const end = p + bytes.size();
  // Locals the compiler keeps in registers.
  uint32_t xs[kRansLanes];
  for (uint32_t& s : xs) {
    s = uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
    p += 4;
    if (s < kRansLow) return CorruptDataError("rANS state below its lower bound");
  }
  const uint32_t mask = (uint32_t(1) << P) - 1;
  const RansSlot* __restrict slots = table.slots.data();
  auto decode = [&](uint32_t& state, size_t i) {
    const RansSlot e = slots[state & mask];
    const uint32_t x1 = uint32_t(e.freq) * (state >> P) + e.bias;
    sink(i, e, x1 & ((uint32_t(1) << e.raw_bits) - 1));
    state = x1 >> e.raw_bits;
  };
  // A decode step leaves state >= 2^(16-P-w) >= 1, so one 16-bit word restores
  // state >= L: with 2*lanes bytes left, a whole group reads without checks.
  // Branch-free: whether a lane needs a word is data-dependent and would
  // mispredict often.
  auto refill_unchecked = [&](uint32_t& state) {
    const bool need = state < kRansLow;
    const uint32_t shifted = (state << 16) | uint32_t(p[0]) | uint32_t(p[1]) << 8;
    state = need ? shifted : state;
    p += 2 * need;
  };
  auto refill_checked = [&](uint32_t& state) {
    if (state >= kRansLow) return true;
    if (end - p < 2) return false;
    state = (state << 16) | uint32_t(p[0]) | uint32_t(p[1]) << 8;
    p += 2;
    return true;
  };
  size_t i = fast_groups(xs, p, end);
  for (; i + kRansLanes <= n; i += kRansLanes) {
#pragma GCC unroll 32
    for (int l = 0; l < kRansLanes; ++l) decode(xs[l], i + l);
    if (end - p >= 2 * kRansLanes) {
#pragma GCC unroll 32
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
  for (uint32_t s : xs)
    if (s != kRansLow) return CorruptDataError("rANS stream is corrupt (final state mismatch)");
  if (p != end) return CorruptDataError("rANS stream has " + std::to_string(end - p) + " trailing bytes");
  return Status::Ok();
}

template <typename Sink>
Status RansDecodeWith(std::span<const uint8_t> bytes, const RansDecodeTable& table, size_t n, Sink&& sink) {
  return RansDecodeWith(
      bytes, table, n, [](uint32_t*, const uint8_t*&, const uint8_t*) { return size_t(0); },
      std::forward<Sink>(sink));
}

}  // namespace tp::entropy
