#include "codec/dec_bpc.h"

namespace tp::codec {
namespace {

constexpr int kWidth = 8;
constexpr int kPlanes = kWidth + 1;
constexpr uint32_t kPlaneMask = (uint32_t(1) << (kBpcBlockValues - 1)) - 1;

int32_t SignExtend(uint32_t v, int bits) {
  const uint32_t m = uint32_t(1) << (bits - 1);
  return static_cast<int32_t>((v ^ m) - m);
}

}  // namespace

Status BpcDecodeBlock(entropy::BitReader& in, bool is_signed, int32_t* values) {
  int32_t base;
  if (in.ReadBit()) {
    const uint32_t raw = in.Read(kWidth);
    base = is_signed ? SignExtend(raw, kWidth) : static_cast<int32_t>(raw);
  } else {
    switch (in.Read(2)) {
      case 0: base = 0; break;
      case 1: base = SignExtend(in.Read(4), 4); break;
      case 2: base = SignExtend(in.Read(8), 8); break;
      default: base = SignExtend(in.Read(16), 16); break;
    }
  }
  uint32_t dbx[kPlanes] = {};
  uint32_t dbp[kPlanes] = {};
  for (int k = kPlanes - 1; k >= 0;) {
    if (in.ReadBit()) {
      dbx[k] = in.Read(kBpcBlockValues - 1);
    } else if (in.ReadBit()) {  // 01: run of zero planes
      const int run = static_cast<int>(in.Read(5)) + 2;
      if (run > k + 1) return CorruptDataError("BPC zero-plane run passes the last plane");
      for (int r = 0; r < run; ++r, --k) {
        dbx[k] = 0;
        dbp[k] = k + 1 < kPlanes ? dbp[k + 1] : 0;
      }
      continue;
    } else if (in.ReadBit()) {  // 001: one zero plane
      dbx[k] = 0;
    } else {
      switch (in.Read(2)) {
        case 0:
          dbx[k] = kPlaneMask;
          break;
        case 1:
          if (k == kPlanes - 1) return CorruptDataError("BPC top plane coded as its neighbour");
          dbx[k] = dbp[k + 1];  // DBP_k is zero
          break;
        case 2: {
          const uint32_t pos = in.Read(5);
          if (pos > kBpcBlockValues - 3) return CorruptDataError("BPC two-ones position out of range");
          dbx[k] = uint32_t(3) << pos;
          break;
        }
        default: {
          const uint32_t pos = in.Read(5);
          if (pos > kBpcBlockValues - 2) return CorruptDataError("BPC one position out of range");
          dbx[k] = uint32_t(1) << pos;
          break;
        }
      }
    }
    dbp[k] = k + 1 < kPlanes ? dbx[k] ^ dbp[k + 1] : dbx[k];
    --k;
  }
  const int32_t lo = is_signed ? -128 : 0, hi = is_signed ? 127 : 255;
  if (base < lo || base > hi) return CorruptDataError("BPC base value out of range");
  values[0] = base;
  for (int i = 1; i < kBpcBlockValues; ++i) {
    uint32_t d = 0;
    for (int k = 0; k < kPlanes; ++k) d |= ((dbp[k] >> (i - 1)) & 1u) << k;
    const int32_t v = values[i - 1] + SignExtend(d, kPlanes);
    if (v < lo || v > hi) return CorruptDataError("BPC value out of range");
    values[i] = v;
  }
  return Status::Ok();
}

}  // namespace tp::codec
