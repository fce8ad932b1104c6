// Fuzzes the order-0 byte rANS decoder (codec `rans`) and the fast per-code
// encoder: hostile streams fail cleanly and every SIMD kernel gives the
// scalar loop's verdict and bytes; every fast encoder kernel's output equals
// RansEncode's (with Atalanta-style raw bits when bit 3 of the first byte is
// set) and decodes back.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "entropy/dec_rans.h"
#include "entropy/dec_rans_byte.h"
#include "entropy/enc_rans.h"
#include "entropy/enc_rans_fast.h"
#include "entropy/frequency.h"

using namespace tp::entropy;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  const int precision = 8 + data[0] % 5;  // 8..12
  const bool mapped = data[0] & 8;
  const size_t count = data[2] * 16 + data[1] % 33;
  data += 3, size -= 3;
  std::vector<uint8_t> codes(data, data + size);
  std::vector<uint64_t> hist(256, 0);
  for (uint8_t c : codes) ++hist[c];
  if (codes.empty()) hist[0] = 1;
  auto freqs = NormalizeFrequencies(hist, precision);
  if (!freqs.ok()) return 0;  // more symbols than slots
  RansByteTable table;
  if (!BuildRansByteTable(*freqs, precision, &table).ok()) abort();

  // 1. The input as a stream: every kernel agrees with the scalar loop.
  std::vector<uint8_t> want(count), got(count);
  const bool ok = DecodeRansBytes({data, size}, table, want, RansByteKernel::kScalar).ok();
  for (RansByteKernel k : SupportedRansByteKernels()) {
    std::fill(got.begin(), got.end(), 0);
    if (DecodeRansBytes({data, size}, table, got, k).ok() != ok) abort();
    if (ok && got != want) abort();
  }

  // 2. The fast encoder against the reference, then a round trip.
  RansCodeEncoder enc;
  std::vector<uint8_t> reference;
  if (!mapped) {
    if (!BuildRansCodeEncoder(*freqs, precision, &enc).ok()) abort();
    auto r = RansEncode(codes, *freqs, precision);
    if (!r.ok()) abort();
    reference = std::move(*r);
  } else {
    // 16 ranges of 16 codes, offsets of 4 raw bits (P + 4 <= 16).
    std::vector<uint8_t> symbol_of(256), offset_of(256), symbols, raw;
    for (int c = 0; c < 256; ++c) symbol_of[c] = static_cast<uint8_t>(c >> 4), offset_of[c] = static_cast<uint8_t>(c & 15);
    std::vector<uint64_t> counts(16, 0);
    for (uint8_t c : codes) ++counts[c >> 4], symbols.push_back(symbol_of[c]), raw.push_back(offset_of[c]);
    if (codes.empty()) counts[0] = 1;
    auto f16 = NormalizeFrequencies(counts, precision);
    if (!f16.ok()) abort();
    const std::vector<uint8_t> widths(16, 4);
    if (!BuildRansCodeEncoder(*f16, precision, &enc, symbol_of, offset_of, widths).ok()) abort();
    auto r = RansEncode(symbols, *f16, precision, raw, widths);
    if (!r.ok()) abort();
    reference = std::move(*r);
  }
  std::vector<uint8_t> fast;
  for (RansEncodeKernel k : SupportedRansEncodeKernels()) {
    fast.clear();
    if (!RansEncodeCodes(enc, codes, fast, k).ok() || fast != reference) abort();
  }
  if (!mapped) {
    std::vector<uint8_t> back(codes.size());
    for (RansByteKernel k : SupportedRansByteKernels())
      if (!DecodeRansBytes(fast, table, back, k).ok() || back != codes) abort();
  }
  return 0;
}
