// Fuzzes the interleaved rANS decoder: hostile streams fail cleanly, and
// symbols (with raw bits folded into the states when bit 3 of the first
// byte is set) round-trip through encoder+decoder.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "entropy/dec_rans.h"
#include "entropy/enc_rans.h"
#include "entropy/frequency.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  const int precision = 8 + data[0] % 8;
  const bool with_raw = data[0] & 8;
  const size_t alphabet = 1 + data[1] % 256;
  const size_t count = data[2] * 16 + data[0] % 7;
  const uint8_t salt = data[2];
  data += 3, size -= 3;
  std::vector<uint8_t> symbols(data, data + size);
  std::vector<uint64_t> hist(alphabet, 0);
  for (auto& s : symbols) ++hist[s %= alphabet];
  if (symbols.empty()) hist[0] = 1;
  // Widths 0..16-P (at most 8), and raw values drawn from the input bytes.
  std::vector<uint8_t> widths, raw;
  if (with_raw) {
    const int max_raw = std::min(8, tp::entropy::kRansMaxPrecisionPlusRawBits - precision);
    for (size_t s = 0; s < alphabet; ++s) widths.push_back(static_cast<uint8_t>((s * 5 + salt) % (max_raw + 1)));
    for (size_t i = 0; i < symbols.size(); ++i)
      raw.push_back(static_cast<uint8_t>((data[i] ^ (i * 29)) & ((1u << widths[symbols[i]]) - 1)));
  }
  auto freqs = tp::entropy::NormalizeFrequencies(hist, precision);
  if (!freqs.ok()) return 0;
  auto table = tp::entropy::BuildRansDecodeTable(*freqs, precision, widths);
  if (!table.ok()) abort();
  std::vector<uint8_t> out(count);
  (void)tp::entropy::RansDecode({data, size}, *table, out);
  auto enc = tp::entropy::RansEncode(symbols, *freqs, precision, raw, widths);
  if (!enc.ok()) abort();
  std::vector<uint8_t> back(symbols.size()), back_raw(symbols.size());
  const tp::Status st = tp::entropy::RansDecodeWith(
      *enc, *table, symbols.size(), [&](size_t i, const tp::entropy::RansSlot& e, uint32_t r) {
        back[i] = e.symbol;
        back_raw[i] = static_cast<uint8_t>(r);
      });
  if (!st.ok() || back != symbols) abort();
  if (with_raw && back_raw != raw) abort();
  return 0;
}
