// Bit slices of quantized integers, slice vectors and their run-length
// compressed stream (Panacea, HPCA 2025; Sibia's signed bit-slice format).
//
// Read me first: the invariants everything else relies on.
//  * SBR (signed bit-slice representation) of a (3k+4)-bit signed weight W:
//    one 4-bit signed high-order (HO) slice and k low-order (LO) slices, each
//    holding 3 bits of W plus a borrowed sign bit, so every slice is a 4-bit
//    signed value in [-8, 7] and
//        W = 8^k * S_0 + 8^(k-1) * S_1 + ... + S_k      (S_0 is the HO slice).
//    The LO slice is W's low 3 bits with W's sign extended above them
//    (S_k = (W & 7) - (W < 0 ? 8 : 0)); the slice above absorbs the borrow:
//    W' = (W - S_k) / 8, which is exact and keeps W's sign. Hence every slice
//    is 0 or has W's sign, and every 7-bit W in [-8, 7] has S_0 = 0, which is
//    what makes HO slices of bell-shaped weights mostly zero.
//  * Unsigned 8-bit activations: X = 16 * X_H + X_L, both in [0, 15]. With
//    distribution-based slicing (DBS) of LO width b in {4, 5, 6} the HO slice
//    is X >> b (8 - b bits, zero-padded to 4) and the LO slice keeps only the
//    top 4 of its b bits, (X >> (b - 4)) & 15: X ~= 2^b X_H + 2^(b-4) X_L,
//    exact for b = 4 and lossy by at most 2^(b-4) - 1 otherwise.
//  * Slice vectors: four HO slices that move and multiply together. Weights
//    (M x K, row-major) form 4x1 vectors: rows 4r..4r+3 at one k. Activations
//    (K x N, row-major) form 1x4 vectors: tokens 4c..4c+3 at one k. Rows and
//    tokens beyond M or N pad a vector with the skip value, so padding never
//    prevents compression and never contributes to a product.
//  * A vector is compressed ("skipped") when all four slices equal the skip
//    value: 0 for weights and for Sibia's symmetric activations, z_H (the zero
//    point's HO slice) for Panacea's asymmetric activations.
//
// Compressed stream of one block (one row block of weights or one token
// block of activations, its vectors in increasing k): each uncompressed
// vector is stored as a 4-bit run-length index r (0..15) = the number of
// compressed vectors skipped since the previous stored vector, followed by its
// four 4-bit slices. Escape for runs longer than 15: after 15 skipped vectors
// the 16th compressed vector is stored explicitly (index 15, its four slices
// equal to the skip value) and the count restarts; such a vector is
// multiplied like any stored one, which keeps every consumer exact without a
// special case. Compressed vectors after the last stored one are implicit
// (the decoder knows the block length). LO slices are never compressed.
//
// Byte layout of a serialized stream (EncodeSliceStream): a sequence of
// nibbles, low nibble of each byte first: for each stored vector its index
// then its four slices (two's complement for signed slices); a final odd
// nibble is padded with 0.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "tensorpress/status.h"

namespace tp {

// --- Scalar slicing ---

// Number of 4-bit SBR slices of a signed weight of `bits` bits: 1 + (bits -
// 4) / 3 for bits in {4, 7, 10, 13}; 0 for any other width.
int SbrSliceCount(int bits);
// Writes SbrSliceCount(bits) slices of w (HO first). w must lie in
// [-2^(bits-1), 2^(bits-1) - 1].
void SbrSlice(int32_t w, int bits, int8_t* slices);
int32_t SbrJoin(const int8_t* slices, int count);

// Unsigned activation slices with LO width lo_bits in {4, 5, 6} (4 = exact).
inline uint8_t ActHighSlice(uint8_t x, int lo_bits) { return static_cast<uint8_t>(x >> lo_bits); }
inline uint8_t ActLowSlice(uint8_t x, int lo_bits) {
  return static_cast<uint8_t>((x >> (lo_bits - 4)) & 15);
}
// The value the two slices stand for: 2^b * H + 2^(b-4) * L.
inline int32_t ActJoin(uint8_t high, uint8_t low, int lo_bits) {
  return (int32_t{high} << lo_bits) + (int32_t{low} << (lo_bits - 4));
}

// --- Sliced operands ---

// How an operand is cut into slices: the HO slice first, then LO slices;
// slice s of value v is weighted by 2^shift[s].
struct SlicedOperand {
  int rows = 0, cols = 0;   // the logical matrix (weights M x K, activations K x N)
  int lanes = 0;            // real (unpadded) lanes: M for weights, N for activations
  int blocks = 0;           // ceil(M / 4) row blocks or ceil(N / 4) token blocks
  int depth = 0;            // K
  int8_t skip_value = 0;    // an HO vector equal to this in all 4 lanes is compressed
  std::vector<int> shift;   // per slice: 3*(count-1-s) for SBR; {4, 0} for 8-bit X; DBS {b, b-4}
  // slices[s][(block * depth + k) * 4 + lane]: slice s of every vector, dense.
  std::vector<std::vector<int8_t>> slices;
  int slice_count() const { return static_cast<int>(slices.size()); }
  const int8_t* Vector(int s, int block, int k) const {
    return slices[s].data() + (static_cast<size_t>(block) * depth + k) * 4;
  }
};

// Weights: M x K signed integers of `bits` bits, row-major, SBR-sliced into
// 4x1 vectors (row blocks over k).
StatusOr<SlicedOperand> SliceWeightsSbr(std::span<const int32_t> w, int m, int k, int bits);
// Asymmetric activations: K x N unsigned 8-bit, row-major, cut into 1x4
// vectors (token blocks over k) with LO width lo_bits; the skip value is
// zero_point >> lo_bits.
StatusOr<SlicedOperand> SliceActivationsUnsigned(std::span<const uint8_t> x, int k, int n,
                                                 int zero_point, int lo_bits = 4);
// Sibia's symmetric activations: K x N signed integers of `bits` bits, SBR-sliced
// into 1x4 vectors; skip value 0.
StatusOr<SlicedOperand> SliceActivationsSbr(std::span<const int32_t> x, int k, int n, int bits);

// --- Run-length compressed HO vectors ---

// The HO slice vectors of an operand with compressed vectors removed: for
// block b, stored vectors [start[b], start[b+1]) each with its run index and
// four slices, as described above.
struct CompressedHo {
  int blocks = 0, depth = 0;
  int8_t skip_value = 0;
  std::vector<uint32_t> start;   // blocks + 1 entries
  std::vector<uint8_t> run;      // per stored vector, 0..15
  std::vector<int8_t> slices;    // per stored vector, 4 slices
  // Vectors that are compressed (implicit), over blocks * depth.
  uint64_t compressed_vectors() const { return uint64_t(blocks) * depth - run.size(); }
};
CompressedHo CompressHo(const SlicedOperand& op);
// Dense HO slices again ([block][k][lane]), compressed vectors refilled.
std::vector<int8_t> DecompressHo(const CompressedHo& c);

// One block's vectors (4 slices each) to the byte stream and back.
std::vector<uint8_t> EncodeSliceStream(std::span<const int8_t> vectors, int8_t skip_value);
// Decodes a block of `count` vectors; `is_signed` reads slice nibbles as
// two's complement (SBR) rather than unsigned (activation slices). Rejects
// with CorruptDataError a stream that stores a vector past `count`, is longer
// than any stream of `count` vectors, has a nonzero or longer-than-one-nibble
// tail, or is truncated inside a vector.
StatusOr<std::vector<int8_t>> DecodeSliceStream(std::span<const uint8_t> bytes, uint32_t count,
                                                int8_t skip_value, bool is_signed);

}  // namespace tp
