// The compact Atalanta table and the varint stream header (codec_format.h,
// atalanta_table.h): golden bits derived by hand from the layout in
// docs/lossless.md, round trips, and hostile tables.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "codec/atalanta_table.h"
#include "codec/codec_format.h"
#include "tensorpress/codec.h"

namespace tp::codec {
namespace {

// "1101..." -> bytes, MSB first, zero-padded.
std::vector<uint8_t> Bits(const std::string& s) {
  std::vector<uint8_t> out((s.size() + 7) / 8, 0);
  for (size_t i = 0; i < s.size(); ++i)
    if (s[i] == '1') out[i / 8] |= static_cast<uint8_t>(0x80 >> (i % 8));
  return out;
}

std::vector<uint8_t> Write(const AtalantaTableFields& t, uint64_t values) {
  entropy::BitWriter w;
  WriteAtalantaTable(t, values, w);
  EXPECT_EQ(w.bit_count(), AtalantaTableBits(t, values));
  return w.Finish();
}

TEST(AtalantaTable, GoldenTwoRanges) {
  // Defaults, all codes, K = 2 of 128 codes, 1000 values (P' = P = 10),
  // frequencies 600 and 424; the first (costlier) one is implied.
  AtalantaTableFields t;
  t.sizes = {128, 128};
  t.frequency = {600, 424};
  t.implied = 0;
  // 1 (defaults) 1 (all codes) 010 (gamma 2) 0 (implied: range 0)
  // 0000000 10000000 (gamma 128) 00000000 110101000 (gamma 424).
  const std::string bits = "1" "1" "010" "0" "000000010000000" "00000000110101000";
  EXPECT_EQ(Write(t, 1000), Bits(bits));
  AtalantaTableFields back;
  ASSERT_TRUE(ReadAtalantaTable(Bits(bits), 1000, &back).ok());
  EXPECT_EQ(back.sizes, t.sizes);
  EXPECT_EQ(back.frequency, t.frequency);
  EXPECT_EQ(back.first_code, 0);
}

TEST(AtalantaTable, GoldenConstantAndRaw) {
  // One range of the one code 128: 1 (defaults) 0 (a span) 10000000
  // 10000000 (first, last) 1 (gamma 1): 19 bits.
  AtalantaTableFields c;
  c.first_code = 128;
  c.sizes = {1};
  c.frequency = {1024};
  EXPECT_EQ(Write(c, 384), Bits("1" "0" "10000000" "10000000" "1"));
  // Raw storage under the defaults is the empty table.
  AtalantaTableFields raw;
  raw.sizes = {256};
  raw.frequency = {1024};
  EXPECT_TRUE(Write(raw, 5000).empty());
  AtalantaTableFields back;
  ASSERT_TRUE(ReadAtalantaTable({}, 5000, &back).ok());
  EXPECT_EQ(back.sizes, raw.sizes);
  EXPECT_EQ(back.frequency, raw.frequency);
}

TEST(AtalantaTable, RoundTripsRandomTables) {
  std::mt19937 rng(3);
  for (int trial = 0; trial < 2000; ++trial) {
    AtalantaTableFields t;
    t.precision_bits = 8 + int(rng() % 8);
    t.register_bits = t.precision_bits + 2 + int(rng() % (31 - t.precision_bits));
    if (trial % 3 == 0) t.precision_bits = 10, t.register_bits = 16;
    const uint64_t values = trial % 5 == 0 ? rng() % 300 : rng() % 5000000;
    const int shift = t.precision_bits - AtalantaTablePrecision(t.precision_bits, values);
    const int span = 1 + int(rng() % 256);
    t.first_code = int(rng() % (257 - span));
    const int k = 1 + int(rng() % std::min(64, std::min(span, 1 << (t.precision_bits - shift))));
    // k - 1 distinct cut points inside the span, and frequencies >= 1.
    std::vector<int> cuts;
    while (int(cuts.size()) < k - 1) {
      const int c = 1 + int(rng() % (span - 1));
      if (std::find(cuts.begin(), cuts.end(), c) == cuts.end()) cuts.push_back(c);
    }
    std::sort(cuts.begin(), cuts.end());
    int prev = 0;
    for (int c : cuts) t.sizes.push_back(uint16_t(c - prev)), prev = c;
    t.sizes.push_back(uint16_t(span - prev));
    uint32_t left = (uint32_t(1) << (t.precision_bits - shift)) - uint32_t(k);
    for (int r = 0; r < k; ++r) {
      const uint32_t extra = r + 1 < k ? (left ? rng() % (left + 1) : 0) : left;
      left -= extra;
      t.frequency.push_back((1 + extra) << shift);
    }
    t.implied = int(rng() % uint32_t(k));
    AtalantaTableFields back;
    Status st = ReadAtalantaTable(Write(t, values), values, &back);
    ASSERT_TRUE(st.ok()) << st.message();
    ASSERT_EQ(back.precision_bits, t.precision_bits);
    ASSERT_EQ(back.register_bits, t.register_bits);
    ASSERT_EQ(back.sizes, t.sizes);
    ASSERT_EQ(back.frequency, t.frequency);
    ASSERT_EQ(back.first_code, t.first_code);
  }
}

TEST(AtalantaTable, RejectsHostileTables) {
  auto rejected = [](const std::string& bits, uint64_t values = 1000, std::vector<uint8_t> extra = {}) {
    std::vector<uint8_t> b = Bits(bits);
    b.insert(b.end(), extra.begin(), extra.end());
    AtalantaTableFields t;
    Status st = ReadAtalantaTable(b, values, &t);
    return st.code() == StatusCode::kCorruptData;
  };
  const std::string good = "1" "1" "010" "0" "000000010000000" "00000000110101000";
  EXPECT_FALSE(rejected(good));
  // Sizes covering more than the 256 codes: a first range of 256.
  EXPECT_TRUE(rejected("1" "1" "010" "0" "00000000100000000" "00000000110101000"));
  // A span whose last code precedes its first.
  EXPECT_TRUE(rejected("1" "0" "00000010" "00000001" "1"));
  // Overlong gamma codes: 64 zeros where the range count should be.
  EXPECT_TRUE(rejected("1" "1" + std::string(64, '0')));
  // 65 ranges.
  EXPECT_TRUE(rejected("1" "1" "0000001000001"));
  // The implied range's index past K (K = 3, index 3).
  EXPECT_TRUE(rejected("1" "1" "011" "11"));
  // Stored frequencies that leave nothing (a zero frequency) for the implied
  // range: 1024 of 2^10.
  EXPECT_TRUE(rejected("1" "1" "010" "0" "000000010000000" "0000000000" "10000000000"));
  // Register width 8 + 2 + 31 = 41 bits.
  EXPECT_TRUE(rejected("0" "000" "11111" "1" "1"));
  // Truncated, and with a trailing byte.
  std::vector<uint8_t> cut = Bits(good);
  cut.pop_back();
  AtalantaTableFields t;
  EXPECT_EQ(ReadAtalantaTable(cut, 1000, &t).code(), StatusCode::kCorruptData);
  EXPECT_TRUE(rejected(good, 1000, {0}));
}

TEST(Order0Table, GoldenSpanAndRoundTrip) {
  // P = 8, W = 32: 000 10110, 0 (a span), first 3, last 4, gamma(100 + 1),
  // gamma(156 + 1).
  std::vector<uint32_t> freqs(256, 0);
  freqs[3] = 100;
  freqs[4] = 156;
  entropy::BitWriter w;
  WriteOrder0Table(8, 32, freqs, w);
  EXPECT_EQ(w.bit_count(), Order0TableBits(freqs));
  const std::string bits = "000" "10110" "0" "00000011" "00000100" "0000001100101" "000000010011101";
  const std::vector<uint8_t> bytes = w.Finish();
  EXPECT_EQ(bytes, Bits(bits));
  int p = 0, reg = 0;
  std::vector<uint32_t> back;
  ASSERT_TRUE(ReadOrder0Table(bytes, &p, &reg, &back).ok());
  EXPECT_EQ(p, 8);
  EXPECT_EQ(reg, 32);
  EXPECT_EQ(back, freqs);
  // A span whose last code precedes its first, and a trailing byte.
  EXPECT_EQ(ReadOrder0Table(Bits("000" "10110" "0" "00000100" "00000011" "1"), &p, &reg, &back).code(),
            StatusCode::kCorruptData);
  std::vector<uint8_t> longer = bytes;
  longer.push_back(0);
  EXPECT_EQ(ReadOrder0Table(longer, &p, &reg, &back).code(), StatusCode::kCorruptData);
}

TEST(StreamHeader, VarintsRoundTripAndRejectOverlongOnes) {
  for (uint64_t v : {uint64_t(0), uint64_t(1), uint64_t(127), uint64_t(128), uint64_t(300), uint64_t(1) << 32,
                     ~uint64_t(0)}) {
    std::vector<uint8_t> b;
    PutVarint(b, v);
    io::ByteReader r(b);
    uint64_t back = 0;
    ASSERT_TRUE(ReadVarint(r, &back, "x").ok());
    EXPECT_EQ(back, v);
    EXPECT_EQ(r.remaining(), 0u);
  }
  for (std::vector<uint8_t> bad : {std::vector<uint8_t>{0x80, 0x00},  // a needless zero byte
                                   std::vector<uint8_t>{0x80},        // truncated
                                   std::vector<uint8_t>(11, 0xff),    // past 64 bits
                                   std::vector<uint8_t>{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02}}) {
    io::ByteReader r(bad);
    uint64_t v = 0;
    EXPECT_EQ(ReadVarint(r, &v, "x").code(), StatusCode::kCorruptData);
  }
}

TEST(StreamHeader, ConstantAndRawTensorsCostOnlyTheirHeader) {
  CodecOptions o;
  o.signed_codes = true;
  // 384 zeros: codec, version, flags, 2-byte value count (one chunk: no
  // chunk size), parameter size, 3 bytes of table; an empty chunk.
  std::vector<uint8_t> zeros(384, 128);
  auto enc = EncodeCodes(Codec::kAtalanta, zeros, o);
  ASSERT_TRUE(enc.ok());
  EXPECT_EQ(enc->payload_bits, 0u);
  EXPECT_EQ(enc->bytes.size(), 1u + 1 + 1 + 2 + 1 + 3);
  std::vector<uint8_t> back(zeros.size());
  ASSERT_TRUE(DecodeCodes(enc->bytes, back).ok());
  EXPECT_EQ(back, zeros);
  // Every code equally often: raw storage, the empty table, 8 bits a value.
  std::vector<uint8_t> flat(4096);
  for (size_t i = 0; i < flat.size(); ++i) flat[i] = static_cast<uint8_t>(i * 7);
  enc = EncodeCodes(Codec::kAtalanta, flat, o);
  ASSERT_TRUE(enc.ok());
  EXPECT_EQ(enc->payload_bits, 8u * flat.size());
  EXPECT_EQ(enc->bytes.size(), 1u + 1 + 1 + 2 + 1 + flat.size());
  back.resize(flat.size());
  ASSERT_TRUE(DecodeCodes(enc->bytes, back).ok());
  EXPECT_EQ(back, flat);
}

}  // namespace
}  // namespace tp::codec
