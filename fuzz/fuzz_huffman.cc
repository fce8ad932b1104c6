// Fuzzes the Huffman decoders (single-stream, four-stream and eight-stream
// interleaved, the last two's plain and BMI2 loops against each other): hostile code lengths and
// streams fail cleanly; symbols round-trip through both encoders
// and decoders, and the four-stream chunk's streams are the single-stream
// codes of its segments.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "entropy/dec_huffman.h"
#include "entropy/enc_huffman.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const size_t alphabet = 1 + data[0];
  const size_t count = data[1] * 8;
  data += 2, size -= 2;
  // 1. The first bytes as code lengths, the rest as a stream.
  const size_t nlen = std::min(alphabet, size);
  std::vector<uint8_t> lengths(data, data + nlen);
  for (auto& l : lengths) l %= 16;
  auto table = tp::entropy::BuildHuffmanDecodeTable(lengths);
  if (table.ok()) {
    std::vector<uint8_t> out(count);
    (void)tp::entropy::HuffmanDecode({data + nlen, size - nlen}, *table, out);
    // The four-stream loop with and without BMI2: the same verdict and symbols.
    std::vector<uint8_t> plain(count);
    const tp::Status fast = tp::entropy::HuffmanDecode4({data + nlen, size - nlen}, *table, out);
    tp::entropy::SetHuffmanBmi2ForTesting(false);
    const tp::Status slow = tp::entropy::HuffmanDecode4({data + nlen, size - nlen}, *table, plain);
    tp::entropy::SetHuffmanBmi2ForTesting(true);
    if (fast.ok() != slow.ok() || (fast.ok() && out != plain)) abort();
    // The same for the eight-stream interleaved loop.
    const tp::Status fast8 = tp::entropy::HuffmanDecode8({data + nlen, size - nlen}, *table, out);
    tp::entropy::SetHuffmanBmi2ForTesting(false);
    const tp::Status slow8 = tp::entropy::HuffmanDecode8({data + nlen, size - nlen}, *table, plain);
    tp::entropy::SetHuffmanBmi2ForTesting(true);
    if (fast8.ok() != slow8.ok() || (fast8.ok() && out != plain)) abort();
  }
  // 2. Round trip.
  std::vector<uint8_t> symbols(data, data + size);
  std::vector<uint64_t> hist(alphabet, 0);
  for (auto& s : symbols) ++hist[s %= alphabet];
  if (symbols.empty()) return 0;
  auto lens = tp::entropy::HuffmanCodeLengths(hist);
  if (!lens.ok()) abort();
  auto enc = tp::entropy::HuffmanEncode(symbols, *lens);
  auto t = tp::entropy::BuildHuffmanDecodeTable(*lens);
  if (!enc.ok() || !t.ok()) abort();
  std::vector<uint8_t> back(symbols.size());
  if (!tp::entropy::HuffmanDecode(*enc, *t, back).ok() || back != symbols) abort();
  std::vector<uint8_t> four;
  if (!tp::entropy::HuffmanEncode4(symbols, *lens, four).ok()) abort();
  std::fill(back.begin(), back.end(), 0);
  if (!tp::entropy::HuffmanDecode4(four, *t, back).ok() || back != symbols) abort();
  size_t at = tp::entropy::kHuffmanStreamSizesBytes;
  for (int s = 0; s < tp::entropy::kHuffmanStreams; ++s) {
    size_t b, e;
    tp::entropy::HuffmanSegment(symbols.size(), s, &b, &e);
    auto one = tp::entropy::HuffmanEncode(std::span<const uint8_t>(symbols).subspan(b, e - b), *lens);
    if (!one.ok() || at + one->size() > four.size() || !std::equal(one->begin(), one->end(), four.begin() + long(at)))
      abort();
    at += one->size();
  }
  if (at != four.size()) abort();
  // Eight interleaved streams: a round trip, each stream the single-stream
  // code of symbols s, s + 8, ...
  std::vector<uint8_t> eight;
  if (!tp::entropy::HuffmanEncode8(symbols, *lens, eight).ok()) abort();
  std::fill(back.begin(), back.end(), 0);
  if (!tp::entropy::HuffmanDecode8(eight, *t, back).ok() || back != symbols) abort();
  at = tp::entropy::kHuffmanInterleavedSizesBytes;
  for (int s = 0; s < tp::entropy::kHuffmanInterleavedStreams; ++s) {
    std::vector<uint8_t> part;
    for (size_t i = size_t(s); i < symbols.size(); i += tp::entropy::kHuffmanInterleavedStreams) part.push_back(symbols[i]);
    auto one = tp::entropy::HuffmanEncode(part, *lens);
    if (!one.ok() || at + one->size() > eight.size() || !std::equal(one->begin(), one->end(), eight.begin() + long(at)))
      abort();
    at += one->size();
  }
  if (at != eight.size()) abort();
  return 0;
}
