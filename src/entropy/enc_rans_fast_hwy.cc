// The portable SIMD group loop of the fast rANS encoder (enc_rans_fast.h):
// Highway, compiled for every target of foreach_target.h and picked at run
// time by HWY_DYNAMIC_DISPATCH; bit-exact with the scalar loop of
// enc_rans_fast.cc (rans_byte_test.cc runs it on every target the CPU has).
//
// The same step as the AVX-512 kernels (enc_rans_fast_x86.cc, which say why
// the double division is exact), on vectors of as many 32-bit states as the
// target has double lanes, so that the quotient's conversions need no
// half-swapping: per block of lanes, from the highest block down (the order
// in which the scalar loop emits), the entries by GatherIndex, the emitted
// words packed by Compress, truncated to 16 bits and stored by BlendedStore
// below the previous output, the quotient by a double Div. Highway 1.0.3
// converts only signed int32 to double, so x1 < 2^32 goes through x1 - 2^31.
//
// Measured on the AMD Zen 4 this was written on (256 KiB planes and the
// MNIST dense_1 codes in 64 KiB chunks, medians of interleaved rounds): AVX3
// 0.84-0.88 GB/s, behind the hand-written kAvx512 (1.2) and kAvx512Vbmi
// (1.5); AVX2 0.22-0.30 and SSE4 0.15-0.25, *slower* than the scalar loop
// (0.47-0.49): at 4 (AVX2) or 2 (SSE4) lanes a vector, the gathers, Compress
// (table-driven there) and conversions cost more than the scalar step. So RansEncodeCodes never picks it by
// itself (SupportedRansEncodeKernels); it is here, tested on every target,
// as the portable form to tune for NEON/SVE, where it has not been measured.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "entropy/enc_rans_fast_hwy.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include "entropy/enc_rans_fast.h"

HWY_BEFORE_NAMESPACE();
namespace tp::entropy::rans_hwy {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

template <bool kRaw>
HWY_INLINE void Groups(const RansCodeEncoder& enc, uint32_t* states, uint8_t*& pos, const uint8_t* in,
                       size_t groups) {
  const hn::ScalableTag<double> df;
  const hn::Rebind<int32_t, decltype(df)> di;
  const hn::Rebind<uint32_t, decltype(df)> du;
  const hn::Rebind<uint16_t, decltype(df)> dw;
  const hn::Rebind<uint8_t, decltype(df)> db;
  const size_t N = hn::Lanes(du);
  const int P = enc.precision_bits;
  const auto compare_shift = hn::Set(du, uint32_t(32 - P));
  const auto slots_minus_1 = hn::Set(du, (uint32_t(1) << P) - 1);
  const auto low16 = hn::Set(du, 0xffffu);
  const auto one = hn::Set(du, 1u);
  const auto sign = hn::Set(du, 0x80000000u);
  const auto two31 = hn::Set(df, 2147483648.0);
  const int32_t* packed = reinterpret_cast<const int32_t*>(enc.simd.packed);
  const int32_t* raw_table = reinterpret_cast<const int32_t*>(enc.simd.raw);
  for (size_t g = groups; g-- > 0;) {
    const uint8_t* group = in + g * kRansLanes;
    for (size_t b = kRansLanes / N; b-- > 0;) {
      auto x = hn::LoadU(du, states + b * N);
      const auto codes = hn::BitCast(di, hn::PromoteTo(du, hn::LoadU(db, group + b * N)));
      const auto e = hn::BitCast(du, hn::GatherIndex(di, packed, codes));
      const auto f_minus_1 = hn::And(e, low16);
      auto shift = compare_shift;
      auto width = hn::Zero(du), raw = hn::Zero(du);
      if constexpr (kRaw) {
        const auto r = hn::BitCast(du, hn::GatherIndex(di, raw_table, codes));
        width = hn::And(r, hn::Set(du, 0xffu));
        raw = hn::ShiftRight<8>(r);
        shift = hn::Sub(shift, width);
      }
      // x >> (32 - P - w) > f - 1 is x >= f << (32 - P - w), without overflow.
      const auto need = hn::Gt(hn::Shr(x, shift), f_minus_1);
      const size_t count = hn::CountTrue(du, need);
      pos -= 2 * count;
      hn::BlendedStore(hn::TruncateTo(dw, hn::Compress(x, need)), hn::FirstN(dw, count), dw,
                       reinterpret_cast<uint16_t*>(pos));
      x = hn::IfThenElse(need, hn::ShiftRight<16>(x), x);
      if constexpr (kRaw) x = hn::Or(hn::Shl(x, width), raw);
      const auto xd = hn::Add(hn::PromoteTo(df, hn::BitCast(di, hn::Xor(x, sign))), two31);
      const auto fd = hn::PromoteTo(df, hn::BitCast(di, hn::Add(f_minus_1, one)));
      const auto q = hn::BitCast(du, hn::DemoteTo(di, hn::Div(xd, fd)));
      // x' = x1 + q (2^P - f) + start
      x = hn::Add(hn::Add(x, hn::Mul(q, hn::Sub(slots_minus_1, f_minus_1))), hn::ShiftRight<16>(e));
      hn::StoreU(x, du, states + b * N);
    }
  }
}

// Returns false (nothing done) where the target cannot run the loop: no
// double lanes, or more lanes than a group has.
bool EncodeGroupsK(const RansCodeEncoder& enc, uint32_t* states, uint8_t** pos, const uint8_t* in,
                   size_t groups) {
#if HWY_HAVE_FLOAT64 && HWY_TARGET != HWY_SCALAR
  const size_t N = hn::Lanes(hn::ScalableTag<double>());
  if (N > size_t(kRansLanes) || kRansLanes % N != 0) return false;
  if (enc.simd.has_raw) {
    Groups<true>(enc, states, *pos, in, groups);
  } else {
    Groups<false>(enc, states, *pos, in, groups);
  }
  return true;
#else
  (void)enc, (void)states, (void)pos, (void)in, (void)groups;
  return false;
#endif
}

const char* TargetK() { return hwy::TargetName(HWY_TARGET); }

}  // namespace HWY_NAMESPACE
}  // namespace tp::entropy::rans_hwy
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace tp::entropy {
namespace rans_hwy {
HWY_EXPORT(EncodeGroupsK);
HWY_EXPORT(TargetK);
}  // namespace rans_hwy

bool EncodeRansGroupsHighway(const RansCodeEncoder& enc, uint32_t* states, uint8_t*& pos, const uint8_t* in,
                             size_t groups) {
  return HWY_DYNAMIC_DISPATCH(rans_hwy::EncodeGroupsK)(enc, states, &pos, in, groups);
}

const char* RansEncodeHighwayTarget() { return HWY_DYNAMIC_DISPATCH(rans_hwy::TargetK)(); }
}  // namespace tp::entropy
#endif  // HWY_ONCE
