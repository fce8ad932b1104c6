// Internal: the byte layouts of the sparse formats, shared by enc_sparse.cc
// and dec_sparse.cc. All integers little-endian.
//
//   common header (15 bytes): magic[4] rows:u32 cols:u32 value_bytes:u8
//                             p0:u8 p1:u8
//   N:M    "TPNM"  p0 = n-1, p1 = m-1; then per row: G = ceil(cols/m) groups
//                  of n value slots (G*n*value_bytes bytes), then G*n slot
//                  positions of ceil(log2 m) bits each, LSB-first, the row's
//                  bitstream padded to a byte. Positions in a group strictly
//                  increase; unused slots hold value 0 at the smallest free
//                  positions; positions past a clipped tail group hold 0.
//   block  "TPBS"  p0 = block_rows-1, p1 = block_cols-1; then a
//                  bitmap of ceil(tiles/8) bytes (tile t at bit t%8 of byte
//                  t/8, row-major tile order, padding bits 0), then each set
//                  tile's clipped values row-major.
//   CSR/C  "TPCS"  p0 = axis (0 rows, 1 columns), p1 = (pointer_bytes << 4) |
//                  index_bytes; then nnz:u32, (major+1) pointers, nnz minor
//                  indices (strictly increasing within a major), nnz values.
#pragma once

#include <cstdint>
#include <cstring>

namespace tp::sparse::format {

inline constexpr uint8_t kMagicNm[4] = {'T', 'P', 'N', 'M'};
inline constexpr uint8_t kMagicBlock[4] = {'T', 'P', 'B', 'S'};
inline constexpr uint8_t kMagicCompressed[4] = {'T', 'P', 'C', 'S'};
inline constexpr uint64_t kHeaderBytes = 15;
// A decoder refuses to materialize more than this many dense bytes: a few
// header bytes must not be able to demand an arbitrary allocation.
inline constexpr uint64_t kMaxDenseBytes = uint64_t(1) << 30;
// And no dimension over 2^24 (weight matrices stay far below): the work and
// the pointer arrays of an empty matrix grow with its dimensions, not its bytes.
inline constexpr uint32_t kMaxDimension = uint32_t(1) << 24;

inline int BitsFor(int m) {  // ceil(log2 m), 0 for m == 1
  int b = 0;
  while ((1 << b) < m) ++b;
  return b;
}

inline void PutU32(uint8_t* p, uint32_t v) { std::memcpy(p, &v, 4); }
inline uint64_t GetUint(const uint8_t* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= uint64_t(p[i]) << (8 * i);
  return v;
}
inline void PutUint(uint8_t* p, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) p[i] = uint8_t(v >> (8 * i));
}

}  // namespace tp::sparse::format
