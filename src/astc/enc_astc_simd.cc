// Highway kernels of the ASTC encoder, each behind a plain function and
// bit-identical to its scalar reference in enc_astc_block.cc.
//
// SeedScores: ranking the 1024 partition seeds is a quarter of the
// encoder's time at the default quality (perf, 6x6). Seeds run along the
// lanes: per texel, the partitions of `lanes` consecutive seeds (the
// context's texel-major copy of the patterns) are widened to int32 and
// compared with each partition index, and each lane keeps its seed's
// per-channel minimum, maximum and member count. Minimum, maximum and small
// integer counts do not depend on the order of evaluation; the scores are
// formed from them by baseline code shared with the scalar reference
// (ScoreSeedRun), so the result equals the scalar loop exactly.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "astc/enc_astc_simd.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include "astc/enc_astc_block.h"

HWY_BEFORE_NAMESPACE();
namespace tp::astc::internal {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

void SeedStatsKernel(const FootprintContext& ctx, const BlockTarget& t, int count, int first_seed,
                     SeedStats* st) {
  const hn::ScalableTag<int32_t> di;
  const hn::RebindToFloat<decltype(di)> df;
  const hn::Rebind<uint8_t, decltype(di)> d8;
  using VF = hn::Vec<decltype(df)>;
  using VI = hn::Vec<decltype(di)>;
  const size_t lanes = hn::Lanes(df);  // divides kSeedRun on every target
  const int n = ctx.texels();
  for (size_t s0 = 0; s0 < static_cast<size_t>(kSeedRun); s0 += lanes) {
    VF lo[4][4], hi[4][4];
    VI members[4];
    for (int p = 0; p < count; ++p) {
      members[p] = hn::Zero(di);
      for (int c = 0; c < t.channels; ++c) {
        lo[p][c] = hn::Set(df, 2.0f);
        hi[p][c] = hn::Set(df, -1.0f);
      }
    }
    for (int i = 0; i < n; ++i) {
      if (!t.valid[i]) continue;
      const VI part = hn::PromoteTo(di, hn::LoadU(d8, ctx.PatternsOfTexel(count, i) + first_seed + s0));
      VF value[4];
      for (int c = 0; c < t.channels; ++c) value[c] = hn::Set(df, t.value[i][c]);
      for (int p = 0; p < count; ++p) {
        const auto in_p = hn::Eq(part, hn::Set(di, p));
        members[p] = hn::Sub(members[p], hn::VecFromMask(di, in_p));  // a true lane is -1
        const auto in_pf = hn::RebindMask(df, in_p);
        for (int c = 0; c < t.channels; ++c) {
          lo[p][c] = hn::IfThenElse(in_pf, hn::Min(lo[p][c], value[c]), lo[p][c]);
          hi[p][c] = hn::IfThenElse(in_pf, hn::Max(hi[p][c], value[c]), hi[p][c]);
        }
      }
    }
    for (int p = 0; p < count; ++p) {
      hn::StoreU(members[p], di, st->members[p] + s0);
      for (int c = 0; c < t.channels; ++c) {
        hn::StoreU(lo[p][c], df, st->lo[p][c] + s0);
        hn::StoreU(hi[p][c], df, st->hi[p][c] + s0);
      }
    }
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace tp::astc::internal
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace tp::astc::internal {

HWY_EXPORT(SeedStatsKernel);

void SeedStatsSimd(const FootprintContext& ctx, const BlockTarget& target, int count, int first_seed,
                   SeedStats* stats) {
  HWY_DYNAMIC_DISPATCH(SeedStatsKernel)(ctx, target, count, first_seed, stats);
}

}  // namespace tp::astc::internal
#endif  // HWY_ONCE
