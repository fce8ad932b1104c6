// The arithmetic coder's minimal flush (ArithFlushBits): with other fields
// following in the same bit stream, any bits after the coder's may follow
// and the decoder still finds exactly where the coder's bits end; with the
// stream ending there, zeros follow.
#include <gtest/gtest.h>

#include <random>

#include "entropy/dec_arith.h"
#include "entropy/enc_arith.h"

namespace tp::entropy {
namespace {

TEST(ArithFlush, AnyTailDecodesAndTheDecoderFindsTheBoundary) {
  std::mt19937 rng(9);
  for (int trial = 0; trial < 3000; ++trial) {
    ArithConfig cfg;
    cfg.precision_bits = 8 + int(rng() % 8);
    cfg.register_bits = cfg.precision_bits + 2 + int(rng() % (31 - cfg.precision_bits));
    const size_t alphabet = 1 + rng() % 6;
    std::vector<uint64_t> hist(alphabet, 0);
    std::vector<uint8_t> symbols(rng() % 40);
    // Skewed symbols, so that some streams end on whole-register intervals.
    for (auto& s : symbols) s = static_cast<uint8_t>(rng() % 4 == 0 ? rng() % alphabet : 0);
    for (uint8_t s : symbols) ++hist[s];
    if (symbols.empty()) hist[0] = 1;
    auto freqs = NormalizeFrequencies(hist, cfg.precision_bits);
    ASSERT_TRUE(freqs.ok());
    auto table = BuildDecodeTable(*freqs, cfg.precision_bits);
    ASSERT_TRUE(table.ok());
    BitWriter w;
    ASSERT_TRUE(ArithEncodeBits(symbols, *freqs, cfg, ArithTail::kAnyBits, w).ok());
    const uint64_t coded = w.bit_count();
    for (int i = 0; i < 70; ++i) w.WriteBit(int(rng() & 1));  // what follows: random bits
    std::vector<uint8_t> bytes = w.Finish();
    std::vector<uint8_t> back(symbols.size());
    uint64_t found = 0;
    ASSERT_TRUE(ArithDecode(bytes, *table, cfg, back, &found).ok());
    ASSERT_EQ(back, symbols) << "trial " << trial;
    ASSERT_EQ(found, coded) << "trial " << trial;
    // Zero tail: the stream alone decodes too.
    auto alone = ArithEncode(symbols, *freqs, cfg);
    ASSERT_TRUE(alone.ok());
    std::vector<uint8_t> back2(symbols.size());
    ASSERT_TRUE(ArithDecode(*alone, *table, cfg, back2).ok());
    ASSERT_EQ(back2, symbols);
  }
}

TEST(ArithFlush, CertainSymbolsCostNoBits) {
  // One symbol holding all of 2^P: the interval never shrinks, nothing is sent.
  const std::vector<uint32_t> freqs = {1024};
  const std::vector<uint8_t> symbols(1000, 0);
  BitWriter w;
  ASSERT_TRUE(ArithEncodeBits(symbols, freqs, {16, 10}, ArithTail::kAnyBits, w).ok());
  EXPECT_EQ(w.bit_count(), 0u);
  auto alone = ArithEncode(symbols, freqs, {16, 10});
  ASSERT_TRUE(alone.ok());
  EXPECT_TRUE(alone->empty());
}

}  // namespace
}  // namespace tp::entropy
