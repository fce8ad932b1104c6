#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "tensorpress/sparse.h"

namespace tp::sparse {
namespace {

SparseMatrix Int8Matrix(int64_t rows, int64_t cols, std::vector<int8_t> v) {
  SparseMatrix m;
  m.rows = rows, m.cols = cols, m.value_bytes = 1;
  m.values.assign(reinterpret_cast<uint8_t*>(v.data()), reinterpret_cast<uint8_t*>(v.data()) + v.size());
  return m;
}

// [0 5 0 7; 9 0 0 0] as int8.
SparseMatrix Example() { return Int8Matrix(2, 4, {0, 5, 0, 7, 9, 0, 0, 0}); }

std::vector<uint8_t> Head(const char* magic, uint8_t p0, uint8_t p1) {
  return {uint8_t(magic[0]), uint8_t(magic[1]), uint8_t(magic[2]), uint8_t(magic[3]), 2, 0, 0, 0, 4, 0, 0, 0, 1, p0, p1};
}
std::vector<uint8_t> Cat(std::vector<uint8_t> a, const std::vector<uint8_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// Streams worked out by hand from the layouts in sparse_format.h.
TEST(SparseFormat, HandEncodedExample) {
  // 2:4: row 0 slots (1: 5), (3: 7), positions 01 11 LSB-first -> 0b1101;
  // row 1 slots (0: 9), (1: 0) (the free slot takes the smallest free
  // position) -> positions 00 10 -> 0b0100.
  auto nm = EncodeNm(Example(), 2, 4);
  ASSERT_TRUE(nm.ok());
  EXPECT_EQ(*nm, Cat(Head("TPNM", 1, 3), {5, 7, 0x0D, 9, 0, 0x04}));
  EXPECT_EQ(nm->size(), NmEncodedBytes(2, 4, 1, 2, 4));
  // CSR: nnz 3; pointers 0 2 3 and indices in one byte each.
  auto csr = EncodeCompressed(Example(), CompressedAxis::kRows);
  ASSERT_TRUE(csr.ok());
  EXPECT_EQ(*csr, Cat(Head("TPCS", 0, 0x11), {3, 0, 0, 0, 0, 2, 3, 1, 3, 0, 5, 7, 9}));
  // CSC: columns 0..3 hold (1: 9), (0: 5), -, (0: 7).
  auto csc = EncodeCompressed(Example(), CompressedAxis::kColumns);
  ASSERT_TRUE(csc.ok());
  EXPECT_EQ(*csc, Cat(Head("TPCS", 1, 0x11), {3, 0, 0, 0, 0, 1, 2, 2, 3, 1, 0, 0, 9, 5, 7}));
  // 2x2 blocks: both tiles stored, bitmap 0b11.
  auto block = EncodeBlockSparse(Example(), 2, 2);
  ASSERT_TRUE(block.ok());
  EXPECT_EQ(*block, Cat(Head("TPBS", 1, 1), {0x03, 0, 5, 9, 0, 0, 7, 0, 0}));
  // 1x2 blocks: tiles (0,0) (0,1) (1,0) set, (1,1) empty -> 0b0111.
  block = EncodeBlockSparse(Example(), 1, 2);
  ASSERT_TRUE(block.ok());
  EXPECT_EQ(*block, Cat(Head("TPBS", 0, 1), {0x07, 0, 5, 0, 7, 9, 0}));
  for (auto* bytes : {&*nm, &*csr, &*csc, &*block}) {
    auto back = (*bytes)[2] == 'N' ? DecodeNm(*bytes) : (*bytes)[2] == 'C' ? DecodeCompressed(*bytes)
                                                                          : DecodeBlockSparse(*bytes);
    ASSERT_TRUE(back.ok()) << back.status().message();
    EXPECT_EQ(back->values, Example().values);
  }
  EXPECT_EQ(EncodeNm(Example(), 1, 4).status().code(), StatusCode::kInvalidArgument);
}

TEST(SparseFormat, IndexWidthFollowsTheSize) {
  EXPECT_EQ(IndexBytesFor(256), 1);
  EXPECT_EQ(IndexBytesFor(257), 2);
  EXPECT_EQ(IndexBytesFor(65536), 2);
  EXPECT_EQ(IndexBytesFor(65537), 4);
  SparseMatrix wide = Int8Matrix(1, 300, std::vector<int8_t>(300, 0));
  wide.values[299] = 1;
  auto csr = EncodeCompressed(wide, CompressedAxis::kRows);
  ASSERT_TRUE(csr.ok());
  EXPECT_EQ((*csr)[14], 0x12);  // pointers 1 byte (nnz 1), column indices 2 bytes (300 columns)
  EXPECT_EQ(csr->size(), 15u + 4 + 2 + 2 + 1);
}

TEST(SparseFormat, SizesAgainstTheEntropyLimit) {
  auto s = MeasureFormats(Example());
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->nonzeros, 3u);
  EXPECT_EQ(s->dense, 8u);
  EXPECT_EQ(s->csr, 28u);
  EXPECT_EQ(s->nm24, 21u);
  const double p = 3.0 / 8;
  EXPECT_NEAR(s->map_entropy_bits, -8 * (p * std::log2(p) + (1 - p) * std::log2(1 - p)), 1e-12);
  EXPECT_NEAR(s->limit_bytes(), 3 + s->map_entropy_bits / 8, 1e-12);
  SparseMatrix dense = Int8Matrix(1, 4, {1, 2, 3, 4});
  s = MeasureFormats(dense);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->nm24, 0u);  // 4 non-zeros in a group of 4: not 2:4
  EXPECT_EQ(s->map_entropy_bits, 0.0);
}

// Random matrices of every value width and density round-trip exactly,
// negative zero included (a value, not a zero, for a lossless format).
TEST(SparseFormat, RandomRoundTrips) {
  std::mt19937 rng(15);
  for (int trial = 0; trial < 200; ++trial) {
    SparseMatrix m;
    m.rows = 1 + rng() % 19, m.cols = 1 + rng() % 37;
    m.value_bytes = std::vector<int>{1, 2, 4, 8}[rng() % 4];
    const double density = (rng() % 11) / 10.0;
    m.values.assign(uint64_t(m.rows * m.cols * m.value_bytes), 0);
    for (int64_t e = 0; e < m.rows * m.cols; ++e)
      if (std::uniform_real_distribution<double>(0, 1)(rng) < density)
        m.values[uint64_t(e * m.value_bytes + int64_t(rng() % m.value_bytes))] = uint8_t(1 + rng() % 255);
    for (auto axis : {CompressedAxis::kRows, CompressedAxis::kColumns}) {
      auto enc = EncodeCompressed(m, axis);
      ASSERT_TRUE(enc.ok());
      auto dec = DecodeCompressed(*enc);
      ASSERT_TRUE(dec.ok()) << dec.status().message();
      EXPECT_EQ(dec->values, m.values);
    }
    const int br = 1 + rng() % 8, bc = 1 + rng() % 8;
    auto block = EncodeBlockSparse(m, br, bc);
    ASSERT_TRUE(block.ok());
    auto dec = DecodeBlockSparse(*block);
    ASSERT_TRUE(dec.ok()) << dec.status().message();
    EXPECT_EQ(dec->values, m.values);
    // Force N:M by zeroing all but the first N non-zeros of each group.
    const int mm = 1 + rng() % 16, n = 1 + rng() % mm;
    for (int64_t r = 0; r < m.rows; ++r)
      for (int64_t c0 = 0; c0 < m.cols; c0 += mm) {
        int kept = 0;
        for (int64_t c = c0; c < std::min<int64_t>(m.cols, c0 + mm); ++c)
          if (!m.IsZero(r, c) && ++kept > n)
            std::fill_n(m.values.begin() + (r * m.cols + c) * m.value_bytes, m.value_bytes, 0);
      }
    auto nm = EncodeNm(m, n, mm);
    ASSERT_TRUE(nm.ok()) << nm.status().message();
    EXPECT_EQ(nm->size(), NmEncodedBytes(m.rows, m.cols, m.value_bytes, n, mm));
    auto back = DecodeNm(*nm);
    ASSERT_TRUE(back.ok()) << back.status().message();
    EXPECT_EQ(back->values, m.values);
  }
}

// Every truncation and every single-byte change of a valid stream decodes
// to something or fails with kCorruptData: never a crash (run under ASan).
TEST(SparseFormat, DamagedStreamsFailCleanly) {
  SparseMatrix m = Int8Matrix(3, 10, {0, 1, 0, 2, 0, 0, 3, 0, 0, 4,  //
                                      5, 0, 0, 0, 0, 6, 0, 0, 7, 0,  //
                                      0, 0, 0, 0, 0, 0, 0, 0, 0, 8});
  std::vector<std::vector<uint8_t>> streams = {*EncodeNm(m, 2, 4), *EncodeBlockSparse(m, 2, 3),
                                               *EncodeCompressed(m, CompressedAxis::kRows),
                                               *EncodeCompressed(m, CompressedAxis::kColumns)};
  auto decode = [](const std::vector<uint8_t>& b) -> Status {
    if (b.size() >= 4 && b[2] == 'N') return DecodeNm(b).status();
    if (b.size() >= 4 && b[2] == 'B') return DecodeBlockSparse(b).status();
    return DecodeCompressed(b).status();
  };
  for (const auto& s : streams) {
    ASSERT_TRUE(decode(s).ok());
    for (size_t len = 0; len < s.size(); ++len) {
      std::vector<uint8_t> cut(s.begin(), s.begin() + int64_t(len));
      Status st = s[2] == 'N' ? DecodeNm(cut).status() : s[2] == 'B' ? DecodeBlockSparse(cut).status()
                                                                     : DecodeCompressed(cut).status();
      EXPECT_EQ(st.code(), StatusCode::kCorruptData) << len;
    }
    for (size_t i = 0; i < s.size(); ++i)
      for (int bit = 0; bit < 8; ++bit) {
        std::vector<uint8_t> bad = s;
        bad[i] ^= uint8_t(1 << bit);
        Status st = decode(bad);
        if (!st.ok()) EXPECT_EQ(st.code(), StatusCode::kCorruptData) << st.message();
      }
  }
  // A header that asks for a huge matrix is refused before allocating.
  std::vector<uint8_t> huge = {'T', 'P', 'B', 'S', 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 4, 255, 255};
  EXPECT_EQ(DecodeBlockSparse(huge).status().code(), StatusCode::kCorruptData);
  // An empty matrix with a huge dimension is refused too.
  std::vector<uint8_t> wide = {'T', 'P', 'C', 'S', 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 4, 1, 0x11, 0, 0, 0, 0, 0};
  EXPECT_EQ(DecodeCompressed(wide).status().code(), StatusCode::kCorruptData);
  // Out-of-order N:M positions: row 0's positions swapped to 11 01.
  std::vector<uint8_t> nm = *EncodeNm(Int8Matrix(1, 4, {0, 5, 0, 7}), 2, 4);
  nm.back() = 0x07;
  EXPECT_EQ(DecodeNm(nm).status().code(), StatusCode::kCorruptData);
}

}  // namespace
}  // namespace tp::sparse
