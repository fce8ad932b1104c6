// Fuzzes the interleaved rANS decoder: hostile streams fail cleanly, and
// symbols round-trip through encoder+decoder.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "entropy/dec_rans.h"
#include "entropy/enc_rans.h"
#include "entropy/frequency.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  const int precision = 8 + data[0] % 8;
  const size_t alphabet = 1 + data[1] % 256;
  const size_t count = data[2] * 16 + data[0] % 7;
  data += 3, size -= 3;
  std::vector<uint8_t> symbols(data, data + size);
  std::vector<uint64_t> hist(alphabet, 0);
  for (auto& s : symbols) ++hist[s %= alphabet];
  if (symbols.empty()) hist[0] = 1;
  auto freqs = tp::entropy::NormalizeFrequencies(hist, precision);
  if (!freqs.ok()) return 0;
  auto table = tp::entropy::BuildRansDecodeTable(*freqs, precision);
  if (!table.ok()) abort();
  std::vector<uint8_t> out(count);
  (void)tp::entropy::RansDecode({data, size}, *table, out);
  auto enc = tp::entropy::RansEncode(symbols, *freqs, precision);
  if (!enc.ok()) abort();
  std::vector<uint8_t> back(symbols.size());
  if (!tp::entropy::RansDecode(*enc, *table, back).ok() || back != symbols) abort();
  return 0;
}
