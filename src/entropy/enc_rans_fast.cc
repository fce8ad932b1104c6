// The fast rANS encoder: the loop of RansEncode (enc_rans.cc, whose comment
// states the invariant) with the division replaced by a multiply with a
// per-symbol reciprocal, the renormalisation made branch-free, and the
// code -> (symbol, raw bits) mapping folded into the table, so that one step
// is a 24-byte load, a compare, a 2-byte store, one 64x64->128 multiply (its high
// half is the quotient) and one 32-bit multiply-add.
//
// This loop is the reference and the fallback; the SIMD kernels
// (enc_rans_fast_x86.cc, enc_rans_fast_hwy.cc) run the same steps on whole
// groups and must give the same bytes. An earlier AVX-512 attempt (entry
// fields and a 32-bit reciprocal by four gathers, one correction step) was
// no faster than this loop on Zen 4 (491 against 509 MB/s); the kernels kept
// gather one packed entry (or none: vpermi2b) and divide with vdivpd.
#include "entropy/enc_rans_fast.h"

#include <cstring>
#include <memory>
#include <string>

#include "entropy/frequency.h"

namespace tp::entropy {

Status BuildRansCodeEncoder(std::span<const uint32_t> freqs, int precision_bits, RansCodeEncoder* enc,
                            std::span<const uint8_t> symbol_of, std::span<const uint8_t> offset_of,
                            std::span<const uint8_t> raw_bits) {
  TP_RETURN_IF_ERROR(ValidateFrequencies(freqs, precision_bits).WithContext("rANS encoder"));
  const int P = precision_bits;
  const bool mapped = !symbol_of.empty();
  if (mapped && (symbol_of.size() != 256 || offset_of.size() != 256 || raw_bits.size() != freqs.size()))
    return InvalidArgumentError("rANS encoder: a code mapping needs 256 symbols and offsets and one width per symbol");
  uint32_t start[256];
  uint32_t cum = 0;
  for (size_t s = 0; s < freqs.size(); ++s) {
    start[s] = cum;
    cum += freqs[s];
  }
  enc->precision_bits = P;
  enc->simd.has_raw = false;
  std::memset(enc->simd.byte_lookup, 0, sizeof(enc->simd.byte_lookup));
  for (int c = 0; c < 256; ++c) {
    RansCodeEntry& e = enc->entry[c];
    e = RansCodeEntry{};
    enc->simd.packed[c] = 0;
    enc->simd.raw[c] = 0;
    const size_t s = mapped ? symbol_of[c] : size_t(c);
    if (s >= freqs.size() || freqs[s] == 0) continue;
    const int w = mapped ? raw_bits[s] : 0;
    const uint32_t raw = mapped ? offset_of[c] : 0;
    if (P + w > kRansMaxPrecisionPlusRawBits || (raw >> w) != 0) continue;  // unusable: such a code cannot occur
    const uint32_t f = freqs[s];
    // floor(2^64 / f) + 1, or 2^64 / f for a power of two (then exact).
    e.rcp = f == 1 ? UINT64_MAX : UINT64_MAX / f + 1;
    e.x_max = static_cast<uint32_t>(uint64_t(f) << (32 - P - w));  // f << (32-P-w) <= 2^32 - ... fits: see below
    // f == 2^P with w == 0 gives 2^32, which does not fit: every state is
    // below it, so no word is ever emitted; UINT32_MAX keeps that (x < 2^32).
    if ((uint64_t(f) << (32 - P - w)) > UINT32_MAX) e.x_max = UINT32_MAX;
    e.complement = static_cast<uint16_t>((uint32_t(1) << P) - f);
    e.bias = start[s] + (f == 1 ? (uint32_t(1) << P) - 1 : 0);
    e.raw_bits = static_cast<uint8_t>(w);
    e.raw = static_cast<uint8_t>(raw);
    e.usable = 1;
    enc->simd.packed[c] = (f - 1) | start[s] << 16;
    enc->simd.raw[c] = uint32_t(w) | raw << 8;
    enc->simd.has_raw |= w != 0;
    enc->simd.byte_lookup[0][c] = static_cast<uint8_t>(f - 1);
    enc->simd.byte_lookup[1][c] = static_cast<uint8_t>(start[s]);
    enc->simd.byte_lookup[2][c] = static_cast<uint8_t>(((f - 1) >> 8 & 0xf) | (start[s] >> 8 & 0xf) << 4);
    enc->simd.byte_lookup[3][c] = static_cast<uint8_t>(raw);
    enc->simd.byte_lookup[4][c] = static_cast<uint8_t>(w);
  }
  enc->simd.has_byte_lookup = P <= 12;
  return Status::Ok();
}

namespace {

// One step of lane state x for code c; `pos` moves down by 2 when a word is
// emitted (it is always written, and kept only when needed).
struct Step {
  static inline __attribute__((always_inline)) void Run(const RansCodeEntry* __restrict table, uint8_t c,
                                                        uint32_t& x, uint8_t*& pos) {
    const RansCodeEntry& e = table[c];
    uint32_t s = x;
    // Arithmetic rather than a conditional: whether a lane emits is close
    // to random, and a branch here mispredicts about every other time.
    const uint32_t need = s >= e.x_max;
    const uint16_t word = static_cast<uint16_t>(s);
    std::memcpy(pos - 2, &word, 2);
    pos -= 2 * need;
    s >>= 16 * need;
    const uint32_t x1 = (s << e.raw_bits) | e.raw;
    const uint32_t q = static_cast<uint32_t>((static_cast<unsigned __int128>(x1) * e.rcp) >> 64);
    x = x1 + q * e.complement + e.bias;
  }
};

}  // namespace

Status CheckRansCodesUsable(const RansCodeEncoder& enc, std::span<const uint64_t> histogram) {
  for (size_t c = 0; c < histogram.size() && c < 256; ++c)
    if (histogram[c] != 0 && !enc.entry[c].usable)
      return InvalidArgumentError("rANS encoder: code " + std::to_string(c) + " has no frequency");
  return Status::Ok();
}

std::vector<RansEncodeKernel> SupportedRansEncodeKernels() {
  // kHighway first: measured slower than the scalar loop on its x86
  // targets below AVX-512 (Zen 4, 256 KiB planes: AVX2 216-304 MB/s, SSE4
  // 146-245, scalar 480; AVX3 860-880), so kBest (the last entry) is the
  // scalar loop unless the CPU has AVX-512.
  std::vector<RansEncodeKernel> k = {RansEncodeKernel::kHighway, RansEncodeKernel::kScalar};
  if (CpuHasAvx512Encode()) k.push_back(RansEncodeKernel::kAvx512);
  if (CpuHasAvx512VbmiEncode()) k.push_back(RansEncodeKernel::kAvx512Vbmi);
  return k;
}

const char* RansEncodeKernelName(RansEncodeKernel k) {
  switch (k) {
    case RansEncodeKernel::kScalar: return "scalar";
    case RansEncodeKernel::kHighway: return "highway";
    case RansEncodeKernel::kAvx512: return "avx512";
    case RansEncodeKernel::kAvx512Vbmi: return "avx512vbmi";
    case RansEncodeKernel::kBest: return "best";
  }
  return "unknown";
}

Status RansEncodeCodes(const RansCodeEncoder& enc, std::span<const uint8_t> codes, std::vector<uint8_t>& out,
                       RansEncodeKernel kernel) {
  const size_t n = codes.size();
  // At most one word per value, the states, and the 2 bytes below the
  // stream that the always-written word may touch. The stream is written
  // backwards into scratch memory and then appended: a vector's resize would
  // zero all 2n bytes first and a memmove would follow (together about 10% of
  // the SIMD encoder's time). Each thread keeps up to kKeptScratch bytes; larger
  // calls allocate their own.
  const size_t capacity = 2 * n + 4 * kRansLanes + 2;
  constexpr size_t kKeptScratch = size_t(4) << 20;
  thread_local std::unique_ptr<uint8_t[]> kept;
  thread_local size_t kept_size = 0;
  std::unique_ptr<uint8_t[]> own;
  uint8_t* scratch;
  if (capacity <= kept_size) {
    scratch = kept.get();
  } else if (capacity <= kKeptScratch) {
    kept.reset(new uint8_t[kKeptScratch]);
    kept_size = kKeptScratch;
    scratch = kept.get();
  } else {
    own.reset(new uint8_t[capacity]);
    scratch = own.get();
  }
  uint8_t* const end = scratch + capacity;
  uint8_t* pos = end;
  const RansCodeEntry* __restrict table = enc.entry;
  const uint8_t* __restrict in = codes.data();
  uint32_t x[kRansLanes];
  for (uint32_t& s : x) s = kRansLow;
  // The values past the last whole group first (lanes below n % kRansLanes),
  // then whole groups, each from its last lane down.
  size_t i = n;
  for (size_t tail = n % kRansLanes; tail > 0; --tail) {
    --i;
    Step::Run(table, in[i], x[i % kRansLanes], pos);
  }
  if (kernel == RansEncodeKernel::kBest) {
    static const RansEncodeKernel best = SupportedRansEncodeKernels().back();
    kernel = best;
  }
  // The CPU check stays out of the kernel's own (target-attributed) code.
  const bool vbmi = kernel == RansEncodeKernel::kAvx512Vbmi && CpuHasAvx512VbmiEncode();
  if ((vbmi || kernel == RansEncodeKernel::kAvx512) && CpuHasAvx512Encode() && i > 0) {
    EncodeRansGroupsAvx512(enc, x, pos, in, i / kRansLanes, vbmi);
    i = 0;
  }
  if (kernel == RansEncodeKernel::kHighway && i > 0 && EncodeRansGroupsHighway(enc, x, pos, in, i / kRansLanes)) i = 0;
  while (i > 0) {
    i -= kRansLanes;
    const uint8_t* group = in + i;
#pragma GCC unroll 32
    for (int l = kRansLanes - 1; l >= 0; --l) Step::Run(table, group[l], x[l], pos);
  }
  for (int lane = kRansLanes - 1; lane >= 0; --lane) {
    pos -= 4;
    for (int b = 0; b < 4; ++b) pos[b] = static_cast<uint8_t>(x[lane] >> (8 * b));
  }
  out.insert(out.end(), pos, end);
  return Status::Ok();
}

}  // namespace tp::entropy
