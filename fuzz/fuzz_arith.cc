// Fuzzes the arithmetic decoder: any bytes under any valid table must decode
// or fail cleanly; and any symbols must round-trip through encoder+decoder.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "entropy/dec_arith.h"
#include "entropy/enc_arith.h"
#include "entropy/frequency.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 4) return 0;
  tp::entropy::ArithConfig cfg;
  cfg.precision_bits = 8 + data[0] % 8;
  cfg.register_bits = cfg.precision_bits + 2 + data[1] % (31 - cfg.precision_bits);
  const size_t alphabet = 1 + data[2] % 64;
  const size_t count = data[3] * 16;
  data += 4, size -= 4;
  // Symbols: the input bytes folded into the alphabet.
  std::vector<uint8_t> symbols(data, data + size);
  std::vector<uint64_t> hist(alphabet, 0);
  for (auto& s : symbols) ++hist[s %= alphabet];
  if (symbols.empty()) hist[0] = 1;
  auto freqs = tp::entropy::NormalizeFrequencies(hist, cfg.precision_bits);
  if (!freqs.ok()) return 0;
  auto table = tp::entropy::BuildDecodeTable(*freqs, cfg.precision_bits);
  if (!table.ok()) abort();
  // 1. Raw bytes as a stream.
  std::vector<uint8_t> out(count);
  (void)tp::entropy::ArithDecode({data, size}, *table, cfg, out);
  // 2. Round trip.
  auto enc = tp::entropy::ArithEncode(symbols, *freqs, cfg);
  if (!enc.ok()) abort();
  std::vector<uint8_t> back(symbols.size());
  if (!tp::entropy::ArithDecode(*enc, *table, cfg, back).ok() || back != symbols) abort();
  return 0;
}
