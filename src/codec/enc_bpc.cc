#include "codec/enc_bpc.h"

#include <bit>

namespace tp::codec {
namespace {

constexpr int kPlanes = kBpcWidth + 1;
constexpr uint32_t kPlaneMask = (uint32_t(1) << (kBpcBlock - 1)) - 1;  // 31 bits

bool FitsSigned(int32_t v, int bits) {
  return v >= -(int32_t(1) << (bits - 1)) && v < (int32_t(1) << (bits - 1));
}

void EncodeBase(int32_t base, bool is_signed, entropy::BitWriter& out) {
  const uint32_t u = static_cast<uint32_t>(base);
  if (base == 0) {
    out.Write(0b000, 3);
  } else if (FitsSigned(base, 4)) {
    out.Write(0b001, 3);
    out.Write(u, 4);
  } else {
    // With w = 8, `1`+8 raw is shorter than `010`+8 and `011`+16 for every value.
    out.Write(1, 1);
    out.Write(u, kBpcWidth);
  }
}

}  // namespace

void BpcEncodeBlock(const int32_t* values, bool is_signed, entropy::BitWriter& out) {
  EncodeBase(values[0], is_signed, out);
  uint32_t dbp[kPlanes] = {};
  for (int i = 1; i < kBpcBlock; ++i) {
    const uint32_t d = static_cast<uint32_t>(values[i] - values[i - 1]);
    for (int k = 0; k < kPlanes; ++k) dbp[k] |= ((d >> k) & 1u) << (i - 1);
  }
  uint32_t dbx[kPlanes];
  dbx[kPlanes - 1] = dbp[kPlanes - 1];
  for (int k = kPlanes - 2; k >= 0; --k) dbx[k] = dbp[k] ^ dbp[k + 1];

  for (int k = kPlanes - 1; k >= 0;) {
    if (dbx[k] == 0) {
      int run = 0;
      while (k - run >= 0 && dbx[k - run] == 0 && run < 33) ++run;
      if (run == 1) {
        out.Write(0b001, 3);
      } else {
        out.Write(0b01, 2);
        out.Write(static_cast<uint32_t>(run - 2), 5);
      }
      k -= run;
      continue;
    }
    const uint32_t x = dbx[k];
    if (x == kPlaneMask) {
      out.Write(0b00000, 5);
    } else if (k < kPlanes - 1 && dbp[k] == 0) {
      out.Write(0b00001, 5);
    } else if (std::popcount(x) == 2 && (x & (x >> 1))) {
      out.Write(0b00010, 5);
      out.Write(static_cast<uint32_t>(std::countr_zero(x)), 5);
    } else if (std::popcount(x) == 1) {
      out.Write(0b00011, 5);
      out.Write(static_cast<uint32_t>(std::countr_zero(x)), 5);
    } else {
      out.Write(1, 1);
      out.Write(x, kBpcBlock - 1);
    }
    --k;
  }
}

}  // namespace tp::codec
