// ggml block dequantization, one function per type. Element order and the
// float32 operation order follow ggml's reference dequantizers
// (ggml-quants.c) as the gguf package reproduces them; see dequant.h.
#include "common/dequant.h"

#include <cstring>

#include "common/blocks.h"
#include "tensorpress/half.h"

// a*b - c must round twice, as in the reference, never fuse into an FMA.
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

namespace tp {
namespace {

#include "common/iq_grids.inc"

constexpr int8_t kIq4nlValues[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
// E2M1 magnitudes doubled (the half is folded into the E8M0 scale below).
constexpr int8_t kMxfp4Values[16] = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};
constexpr float kIq1Delta = 0.125f;

float F16(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return HalfToFloat(h);
}
uint16_t U16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}
uint32_t U32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// ---- 32-element blocks: element j < 16 in the low nibble of qs[j], j >= 16 in the high nibble of qs[j-16].
int Nibble(const uint8_t* qs, int j) { return j < 16 ? (qs[j] & 15) : (qs[j - 16] >> 4); }

void Q4_0(const uint8_t* b, float* y) {
  const float d = F16(b);
  for (int j = 0; j < 32; ++j) y[j] = d * static_cast<float>(Nibble(b + 2, j) - 8);
}
void Q4_1(const uint8_t* b, float* y) {
  const float d = F16(b), m = F16(b + 2);
  for (int j = 0; j < 32; ++j) y[j] = d * static_cast<float>(Nibble(b + 4, j)) + m;
}
void Q5_0(const uint8_t* b, float* y) {
  const float d = F16(b);
  const uint32_t qh = U32(b + 2);
  for (int j = 0; j < 32; ++j) y[j] = d * static_cast<float>((Nibble(b + 6, j) | static_cast<int>(((qh >> j) & 1) << 4)) - 16);
}
void Q5_1(const uint8_t* b, float* y) {
  const float d = F16(b), m = F16(b + 2);
  const uint32_t qh = U32(b + 4);
  for (int j = 0; j < 32; ++j) y[j] = d * static_cast<float>(Nibble(b + 8, j) | (((qh >> j) & 1) << 4)) + m;
}
void Q8_0(const uint8_t* b, float* y) {
  const float d = F16(b);
  for (int j = 0; j < 32; ++j) y[j] = static_cast<float>(static_cast<int8_t>(b[2 + j])) * d;
}
void Q8_1(const uint8_t* b, float* y) {
  const float d = F16(b);
  for (int j = 0; j < 32; ++j) y[j] = static_cast<float>(static_cast<int8_t>(b[4 + j])) * d;
}
void IQ4_NL(const uint8_t* b, float* y) {
  const float d = F16(b);
  for (int j = 0; j < 32; ++j) y[j] = d * static_cast<float>(kIq4nlValues[Nibble(b + 2, j)]);
}
void MXFP4(const uint8_t* b, float* y) {
  // E8M0 exponent to float, halved: ggml_e8m0_to_fp32_half.
  const uint32_t e = b[0];
  const uint32_t bits = e < 2 ? (0x00200000u << e) : ((e - 1) << 23);
  float d;
  std::memcpy(&d, &bits, 4);
  for (int j = 0; j < 32; ++j) y[j] = d * static_cast<float>(kMxfp4Values[Nibble(b + 1, j)]);
}

// ---- K-quants. In Q2_K/Q3_K/TQ2_0 the 2-bit fields of element e sit in
// byte (e/128)*32 + e%32 at bit 2*((e%128)/32).
int Crumb(const uint8_t* qs, int e) { return (qs[(e / 128) * 32 + e % 32] >> (2 * ((e % 128) / 32))) & 3; }

void Q2_K(const uint8_t* b, float* y) {
  const auto* blk = reinterpret_cast<const blocks::Q2_K*>(b);
  const float d = F16(blk->d), dmin = F16(blk->dmin);
  for (int s = 0; s < 16; ++s) {
    const float dl = d * static_cast<float>(blk->scales[s] & 15);
    const float ml = dmin * static_cast<float>(blk->scales[s] >> 4);
    for (int e = s * 16; e < s * 16 + 16; ++e) y[e] = dl * static_cast<float>(Crumb(blk->qs, e)) - ml;
  }
}
void Q3_K(const uint8_t* b, float* y) {
  const auto* blk = reinterpret_cast<const blocks::Q3_K*>(b);
  const float d = F16(blk->d);
  for (int s = 0; s < 16; ++s) {
    // 16 six-bit scales: low nibbles in bytes 0-7 (s and s+8 share a byte),
    // high 2-bit pairs in bytes 8-11.
    const int low = s < 8 ? (blk->scales[s] & 15) : (blk->scales[s - 8] >> 4);
    const int high = (blk->scales[8 + s % 4] >> (2 * (s / 4))) & 3;
    const float dl = d * static_cast<float>((low | (high << 4)) - 32);
    for (int e = s * 16; e < s * 16 + 16; ++e) {
      const int hbit = (blk->hmask[e % 32] >> (e / 32)) & 1;
      y[e] = dl * static_cast<float>(Crumb(blk->qs, e) - (hbit ? 0 : 4));
    }
  }
}
// The 6-bit scale and min of sub-block j of Q4_K/Q5_K (get_scale_min_k4).
void ScaleMinK4(const uint8_t* q, int j, int* sc, int* m) {
  if (j < 4) {
    *sc = q[j] & 63;
    *m = q[j + 4] & 63;
  } else {
    *sc = (q[j + 4] & 15) | ((q[j - 4] >> 6) << 4);
    *m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
  }
}
void Q4_K(const uint8_t* b, float* y) {
  const auto* blk = reinterpret_cast<const blocks::Q4_K*>(b);
  const float d = F16(blk->d), dmin = F16(blk->dmin);
  for (int j = 0; j < 8; ++j) {
    int sc, m;
    ScaleMinK4(blk->scales, j, &sc, &m);
    const float d1 = d * static_cast<float>(sc), m1 = dmin * static_cast<float>(m);
    const uint8_t* qs = blk->qs + (j / 2) * 32;
    for (int l = 0; l < 32; ++l)
      y[j * 32 + l] = d1 * static_cast<float>((qs[l] >> (4 * (j % 2))) & 15) - m1;
  }
}
void Q5_K(const uint8_t* b, float* y) {
  const auto* blk = reinterpret_cast<const blocks::Q5_K*>(b);
  const float d = F16(blk->d), dmin = F16(blk->dmin);
  for (int j = 0; j < 8; ++j) {
    int sc, m;
    ScaleMinK4(blk->scales, j, &sc, &m);
    const float d1 = d * static_cast<float>(sc), m1 = dmin * static_cast<float>(m);
    const uint8_t* qs = blk->qs + (j / 2) * 32;
    for (int l = 0; l < 32; ++l) {
      const int q = ((qs[l] >> (4 * (j % 2))) & 15) | (((blk->qh[l] >> j) & 1) << 4);
      y[j * 32 + l] = d1 * static_cast<float>(q) - m1;
    }
  }
}
void Q6_K(const uint8_t* b, float* y) {
  const auto* blk = reinterpret_cast<const blocks::Q6_K*>(b);
  const float d = F16(blk->d);
  for (int e = 0; e < 256; ++e) {
    const int half = e / 128, r = e % 128;
    const int ql = (blk->ql[half * 64 + r % 64] >> (4 * (r / 64))) & 15;
    const int qh = (blk->qh[half * 32 + r % 32] >> (2 * (r / 32))) & 3;
    const float ds = d * static_cast<float>(blk->scales[e / 16]);
    y[e] = ds * static_cast<float>((ql | (qh << 4)) - 32);
  }
}
void Q8_K(const uint8_t* b, float* y) {
  const auto* blk = reinterpret_cast<const blocks::Q8_K*>(b);
  float d;
  std::memcpy(&d, blk->d, 4);
  for (int e = 0; e < 256; ++e) y[e] = d * static_cast<float>(blk->qs[e]);
}

// ---- ternary
void TQ1_0(const uint8_t* b, float* y) {
  const auto* blk = reinterpret_cast<const blocks::TQ1_0*>(b);
  const float d = F16(blk->d);
  constexpr uint8_t kPow3[5] = {1, 3, 9, 27, 81};
  // A byte holds 5 trits as a base-3 fraction: multiplying by 3^n (mod 256)
  // brings trit n to the top, read as (q * 3) >> 8.
  auto trit = [](uint8_t byte, uint8_t pow) {
    const uint8_t q = static_cast<uint8_t>(byte * pow);
    return static_cast<int>((static_cast<uint16_t>(q) * 3) >> 8) - 1;
  };
  for (int n = 0; n < 5; ++n)
    for (int m = 0; m < 32; ++m) y[n * 32 + m] = d * static_cast<float>(trit(blk->qs[m], kPow3[n]));
  for (int n = 0; n < 5; ++n)
    for (int m = 0; m < 16; ++m) y[160 + n * 16 + m] = d * static_cast<float>(trit(blk->qs[32 + m], kPow3[n]));
  for (int n = 0; n < 4; ++n)
    for (int m = 0; m < 4; ++m) y[240 + n * 4 + m] = d * static_cast<float>(trit(blk->qh[m], kPow3[n]));
}
void TQ2_0(const uint8_t* b, float* y) {
  const auto* blk = reinterpret_cast<const blocks::TQ2_0*>(b);
  const float d = F16(blk->d);
  for (int e = 0; e < 256; ++e) y[e] = d * static_cast<float>(Crumb(blk->qs, e) - 1);
}

// ---- i-quants. Each grid row gives 8 (IQ2, IQ1) or 4 (IQ3) magnitudes;
// signs come from a 7-bit index into kKsignsIq2xs (the 8th sign is the
// parity) or from explicit sign bytes.
float Sign(uint8_t signs, int j) { return (signs >> j) & 1 ? -1.0f : 1.0f; }

void IQ4_XS(const uint8_t* b, float* y) {
  const auto* blk = reinterpret_cast<const blocks::IQ4_XS*>(b);
  const float d = F16(blk->d);
  const uint16_t scales_h = U16(blk->scales_h);
  for (int ib = 0; ib < 8; ++ib) {
    const int ls = ((blk->scales_l[ib / 2] >> (4 * (ib % 2))) & 15) | (((scales_h >> (2 * ib)) & 3) << 4);
    const float dl = d * static_cast<float>(ls - 32);
    for (int j = 0; j < 32; ++j)
      y[ib * 32 + j] = dl * static_cast<float>(kIq4nlValues[Nibble(blk->qs + ib * 16, j)]);
  }
}
void IQ2_XXS(const uint8_t* b, float* y) {
  const auto* blk = reinterpret_cast<const blocks::IQ2_XXS*>(b);
  const float d = F16(blk->d);
  for (int ib = 0; ib < 8; ++ib) {
    const uint8_t* grid_idx = blk->qs + 8 * ib;
    const uint32_t aux = U32(blk->qs + 8 * ib + 4);
    const float db = d * (0.5f + static_cast<float>(aux >> 28)) * 0.25f;
    for (int k = 0; k < 4; ++k) {
      const uint8_t* g = kIq2xxsGrid + 8 * grid_idx[k];
      const uint8_t signs = kKsignsIq2xs[(aux >> (7 * k)) & 127];
      for (int j = 0; j < 8; ++j) y[ib * 32 + k * 8 + j] = db * static_cast<float>(g[j]) * Sign(signs, j);
    }
  }
}
void IQ2_XS(const uint8_t* b, float* y) {
  const auto* blk = reinterpret_cast<const blocks::IQ2_XS*>(b);
  const float d = F16(blk->d);
  for (int g = 0; g < 32; ++g) {
    const uint16_t q = U16(blk->qs + 2 * g);
    const int s = g / 2;
    const float db = d * (0.5f + static_cast<float>((blk->scales[s / 2] >> (4 * (s % 2))) & 15)) * 0.25f;
    const uint8_t* row = kIq2xsGrid + 8 * (q & 511);
    const uint8_t signs = kKsignsIq2xs[q >> 9];
    for (int j = 0; j < 8; ++j) y[g * 8 + j] = db * static_cast<float>(row[j]) * Sign(signs, j);
  }
}
void IQ2_S(const uint8_t* b, float* y) {
  const auto* blk = reinterpret_cast<const blocks::IQ2_S*>(b);
  const float d = F16(blk->d);
  for (int g = 0; g < 32; ++g) {
    const int index = blk->qs[g] | (((blk->qh[g / 4] >> (2 * (g % 4))) & 3) << 8);
    const int s = g / 2;
    const float db = d * (0.5f + static_cast<float>((blk->scales[s / 2] >> (4 * (s % 2))) & 15)) * 0.25f;
    const uint8_t* row = kIq2sGrid + 8 * index;
    for (int j = 0; j < 8; ++j) y[g * 8 + j] = db * static_cast<float>(row[j]) * Sign(blk->signs[g], j);
  }
}
void IQ3_XXS(const uint8_t* b, float* y) {
  const auto* blk = reinterpret_cast<const blocks::IQ3_XXS*>(b);
  const float d = F16(blk->d);
  for (int ib = 0; ib < 8; ++ib) {
    const uint32_t aux = U32(blk->scales_signs + 4 * ib);
    const float db = d * (0.5f + static_cast<float>(aux >> 28)) * 0.5f;
    for (int k = 0; k < 4; ++k) {
      const uint8_t signs = kKsignsIq2xs[(aux >> (7 * k)) & 127];
      for (int j = 0; j < 8; ++j) {
        const uint8_t* row = kIq3xxsGrid + 4 * blk->qs[ib * 8 + k * 2 + j / 4];
        y[ib * 32 + k * 8 + j] = db * static_cast<float>(row[j % 4]) * Sign(signs, j);
      }
    }
  }
}
void IQ3_S(const uint8_t* b, float* y) {
  const auto* blk = reinterpret_cast<const blocks::IQ3_S*>(b);
  const float d = F16(blk->d);
  for (int ib = 0; ib < 8; ++ib) {
    const int s = (blk->scales[ib / 2] >> (4 * (ib % 2))) & 15;
    const float db = d * static_cast<float>(1 + 2 * s);
    for (int k = 0; k < 32; ++k) {
      const int e = ib * 32 + k, g = e / 4;
      const int index = blk->qs[g] | (((blk->qh[g / 8] >> (g % 8)) & 1) << 8);
      y[e] = db * static_cast<float>(kIq3sGrid[4 * index + e % 4]) * Sign(blk->signs[e / 8], e % 8);
    }
  }
}
void IQ1_S(const uint8_t* b, float* y) {
  const auto* blk = reinterpret_cast<const blocks::IQ1_S*>(b);
  const float d = F16(blk->d);
  for (int ib = 0; ib < 8; ++ib) {
    const uint16_t qh = U16(blk->qh + 2 * ib);
    const float dl = d * static_cast<float>(2 * ((qh >> 12) & 7) + 1);
    const float delta = (qh & 0x8000) ? -kIq1Delta : kIq1Delta;
    for (int k = 0; k < 4; ++k) {
      const int g = ib * 4 + k;
      const int index = blk->qs[g] | (((qh >> (3 * k)) & 7) << 8);
      for (int j = 0; j < 8; ++j) y[g * 8 + j] = dl * (static_cast<float>(kIq1sGrid[8 * index + j]) + delta);
    }
  }
}
void IQ1_M(const uint8_t* b, float* y) {
  const auto* blk = reinterpret_cast<const blocks::IQ1_M*>(b);
  uint16_t sc[4];
  for (int i = 0; i < 4; ++i) sc[i] = U16(blk->scales + 2 * i);
  const uint16_t d16 = static_cast<uint16_t>(((sc[0] & 0xF000) >> 12) | ((sc[1] & 0xF000) >> 8) |
                                             ((sc[2] & 0xF000) >> 4) | (sc[3] & 0xF000));
  const float d = HalfToFloat(d16);
  for (int g = 0; g < 32; ++g) {
    const int s = g / 2;  // 16 three-bit scales, one per 16 elements
    const float dl = d * static_cast<float>(2 * ((sc[s / 4] >> (3 * (s % 4))) & 7) + 1);
    const int h = (blk->qh[g / 2] >> (4 * (g % 2))) & 15;
    const int index = blk->qs[g] | ((h & 7) << 8);
    const float delta = (h & 8) ? -kIq1Delta : kIq1Delta;
    for (int j = 0; j < 8; ++j) y[g * 8 + j] = dl * (static_cast<float>(kIq1sGrid[8 * index + j]) + delta);
  }
}

using BlockFn = void (*)(const uint8_t*, float*);

BlockFn FunctionFor(DType dtype) {
  switch (dtype) {
    case DType::kQ4_0: return Q4_0;
    case DType::kQ4_1: return Q4_1;
    case DType::kQ5_0: return Q5_0;
    case DType::kQ5_1: return Q5_1;
    case DType::kQ8_0: return Q8_0;
    case DType::kQ8_1: return Q8_1;
    case DType::kQ2_K: return Q2_K;
    case DType::kQ3_K: return Q3_K;
    case DType::kQ4_K: return Q4_K;
    case DType::kQ5_K: return Q5_K;
    case DType::kQ6_K: return Q6_K;
    case DType::kQ8_K: return Q8_K;
    case DType::kIQ2_XXS: return IQ2_XXS;
    case DType::kIQ2_XS: return IQ2_XS;
    case DType::kIQ2_S: return IQ2_S;
    case DType::kIQ3_XXS: return IQ3_XXS;
    case DType::kIQ3_S: return IQ3_S;
    case DType::kIQ1_S: return IQ1_S;
    case DType::kIQ1_M: return IQ1_M;
    case DType::kIQ4_NL: return IQ4_NL;
    case DType::kIQ4_XS: return IQ4_XS;
    case DType::kTQ1_0: return TQ1_0;
    case DType::kTQ2_0: return TQ2_0;
    case DType::kMXFP4: return MXFP4;
    default: return nullptr;
  }
}

}  // namespace

bool CanDequantizeBlocks(DType dtype) { return FunctionFor(dtype) != nullptr; }

void DequantizeBlocks(DType dtype, const uint8_t* src, uint64_t blocks, float* out) {
  const BlockFn fn = FunctionFor(dtype);
  const DTypeTraits& t = Traits(dtype);
  for (uint64_t i = 0; i < blocks; ++i) fn(src + i * t.block_bytes, out + i * t.block_elements);
}

}  // namespace tp
