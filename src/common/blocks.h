// Internal: ggml's block-quantization formats as structs, one per type, each
// with its size checked at compile time (the pattern of ggml-common.h).
//
// A block holds `kElements` consecutive weights of a row. "Legacy" types
// (Q4_0 ... Q8_1, IQ4_NL, MXFP4) have 32-element blocks with one scale; the
// K-quants, IQ* and TQ* types have 256-element super-blocks whose 16 or 8
// sub-blocks carry their own small integer scales, themselves scaled by the
// fp16 super-scale `d` (and `dmin` for the offset). All multi-byte fields are
// little-endian, as every GGUF file in the wild is.
//
// Fields are byte arrays even where ggml declares uint16_t/uint32_t (qh of
// Q5_0, qs of IQ2_XXS): the structs are never accessed through a typed
// pointer into a file (alignment), only through memcpy in the dequantizer
// and the field splitter; the layout is what matters here.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tp::blocks {

inline constexpr int kQK = 32;    // elements per legacy block
inline constexpr int kQK_K = 256;  // elements per K/IQ/TQ super-block
inline constexpr int kScaleBytesK = 12;  // 8 six-bit scales + 8 six-bit mins (Q4_K, Q5_K)

// ---- legacy 32-element blocks ----
struct Q4_0 { uint8_t d[2]; uint8_t qs[kQK / 2]; };
struct Q4_1 { uint8_t d[2]; uint8_t m[2]; uint8_t qs[kQK / 2]; };
struct Q5_0 { uint8_t d[2]; uint8_t qh[4]; uint8_t qs[kQK / 2]; };
struct Q5_1 { uint8_t d[2]; uint8_t m[2]; uint8_t qh[4]; uint8_t qs[kQK / 2]; };
struct Q8_0 { uint8_t d[2]; int8_t qs[kQK]; };
struct Q8_1 { uint8_t d[2]; uint8_t s[2]; int8_t qs[kQK]; };  // s = d * sum(qs), unused by dequantization
struct IQ4_NL { uint8_t d[2]; uint8_t qs[kQK / 2]; };
struct MXFP4 { uint8_t e; uint8_t qs[kQK / 2]; };  // e: E8M0 shared exponent

static_assert(sizeof(Q4_0) == 18);
static_assert(sizeof(Q4_1) == 20);
static_assert(sizeof(Q5_0) == 22);
static_assert(sizeof(Q5_1) == 24);
static_assert(sizeof(Q8_0) == 34);
static_assert(sizeof(Q8_1) == 36);
static_assert(sizeof(IQ4_NL) == 18);
static_assert(sizeof(MXFP4) == 17);

// ---- K-quants, 256-element super-blocks ----
struct Q2_K { uint8_t scales[kQK_K / 16]; uint8_t qs[kQK_K / 4]; uint8_t d[2]; uint8_t dmin[2]; };
struct Q3_K { uint8_t hmask[kQK_K / 8]; uint8_t qs[kQK_K / 4]; uint8_t scales[12]; uint8_t d[2]; };
struct Q4_K { uint8_t d[2]; uint8_t dmin[2]; uint8_t scales[kScaleBytesK]; uint8_t qs[kQK_K / 2]; };
struct Q5_K {
  uint8_t d[2]; uint8_t dmin[2]; uint8_t scales[kScaleBytesK]; uint8_t qh[kQK_K / 8]; uint8_t qs[kQK_K / 2];
};
struct Q6_K { uint8_t ql[kQK_K / 2]; uint8_t qh[kQK_K / 4]; int8_t scales[kQK_K / 16]; uint8_t d[2]; };
struct Q8_K { uint8_t d[4]; int8_t qs[kQK_K]; uint8_t bsums[kQK_K / 16 * 2]; };  // d is f32

static_assert(sizeof(Q2_K) == 84);
static_assert(sizeof(Q3_K) == 110);
static_assert(sizeof(Q4_K) == 144);
static_assert(sizeof(Q5_K) == 176);
static_assert(sizeof(Q6_K) == 210);
static_assert(sizeof(Q8_K) == 292);

// ---- i-quants (codebook lattices), 256-element super-blocks ----
struct IQ2_XXS { uint8_t d[2]; uint8_t qs[kQK_K / 8 * 2]; };
struct IQ2_XS { uint8_t d[2]; uint8_t qs[kQK_K / 8 * 2]; uint8_t scales[kQK_K / 32]; };
struct IQ2_S { uint8_t d[2]; uint8_t qs[kQK_K / 8]; uint8_t signs[kQK_K / 8]; uint8_t qh[kQK_K / 32]; uint8_t scales[kQK_K / 32]; };
struct IQ3_XXS { uint8_t d[2]; uint8_t qs[kQK_K / 4]; uint8_t scales_signs[kQK_K / 8]; };
struct IQ3_S {
  uint8_t d[2]; uint8_t qs[kQK_K / 4]; uint8_t qh[kQK_K / 32]; uint8_t signs[kQK_K / 8]; uint8_t scales[kQK_K / 64];
};
struct IQ1_S { uint8_t d[2]; uint8_t qs[kQK_K / 8]; uint8_t qh[kQK_K / 32 * 2]; };
// IQ1_M has no separate d: the fp16 super-scale is spread over the top
// nibbles of the four 16-bit words of `scales`.
struct IQ1_M { uint8_t qs[kQK_K / 8]; uint8_t qh[kQK_K / 16]; uint8_t scales[kQK_K / 32]; };
struct IQ4_XS { uint8_t d[2]; uint8_t scales_h[2]; uint8_t scales_l[kQK_K / 64]; uint8_t qs[kQK_K / 2]; };

static_assert(sizeof(IQ2_XXS) == 66);
static_assert(sizeof(IQ2_XS) == 74);
static_assert(sizeof(IQ2_S) == 82);
static_assert(sizeof(IQ3_XXS) == 98);
static_assert(sizeof(IQ3_S) == 110);
static_assert(sizeof(IQ1_S) == 50);
static_assert(sizeof(IQ1_M) == 56);
static_assert(sizeof(IQ4_XS) == 136);

// ---- ternary ----
// TQ1_0: 5 trits a byte (base-3 fixed point) in qs, 4 a byte in qh.
struct TQ1_0 { uint8_t qs[(kQK_K - 4 * kQK_K / 64) / 5]; uint8_t qh[kQK_K / 64]; uint8_t d[2]; };
struct TQ2_0 { uint8_t qs[kQK_K / 4]; uint8_t d[2]; };  // 2 bits per element, value - 1

static_assert(sizeof(TQ1_0) == 54);
static_assert(sizeof(TQ2_0) == 66);

}  // namespace tp::blocks
