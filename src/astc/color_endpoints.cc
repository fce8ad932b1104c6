// LDR colour endpoint unpacking. Each mode turns its unquantised values
// (0..255) into two RGBA endpoints. The "direct" modes swap and blue-contract
// the endpoints when the second sums lower than the first, and the
// base+offset modes when the offset is negative: the encoder uses this
// ordering as a free bit to reach finer colours near the grey axis.
#include <algorithm>

#include "astc/astc_internal.h"

namespace tp::astc::internal {
namespace {

using Rgba = std::array<int, 4>;

// Moves one bit of precision from the offset `a` to the base `b`, leaving a
// signed 6-bit offset.
void BitTransferSigned(int& a, int& b) {
  b >>= 1;
  b |= a & 0x80;
  a >>= 1;
  a &= 0x3f;
  if (a & 0x20) a -= 0x40;
}

Rgba BlueContract(int r, int g, int b, int a) { return {(r + b) >> 1, (g + b) >> 1, b, a}; }

Rgba Clamp(Rgba c) {
  for (int& v : c) v = std::clamp(v, 0, 255);
  return c;
}

}  // namespace

void UnpackLdrEndpoints(int cem, const int* v, Rgba* e0, Rgba* e1) {
  switch (cem) {
    case 0:  // luminance, direct
      *e0 = {v[0], v[0], v[0], 255};
      *e1 = {v[1], v[1], v[1], 255};
      return;
    case 1: {  // luminance, base + offset
      int l0 = (v[0] >> 2) | (v[1] & 0xc0);
      int l1 = std::min(l0 + (v[1] & 0x3f), 255);
      *e0 = {l0, l0, l0, 255};
      *e1 = {l1, l1, l1, 255};
      return;
    }
    case 4:  // luminance + alpha, direct
      *e0 = {v[0], v[0], v[0], v[2]};
      *e1 = {v[1], v[1], v[1], v[3]};
      return;
    case 5: {  // luminance + alpha, base + offset
      int a0 = v[0], b0 = v[1], a2 = v[2], b2 = v[3];
      BitTransferSigned(b0, a0);
      BitTransferSigned(b2, a2);
      *e0 = {a0, a0, a0, a2};
      *e1 = Clamp({a0 + b0, a0 + b0, a0 + b0, a2 + b2});
      return;
    }
    case 6:  // RGB, base + scale
      *e0 = {(v[0] * v[3]) >> 8, (v[1] * v[3]) >> 8, (v[2] * v[3]) >> 8, 255};
      *e1 = {v[0], v[1], v[2], 255};
      return;
    case 8:
    case 12: {  // RGB(A), direct
      int a0 = cem == 12 ? v[6] : 255, a1 = cem == 12 ? v[7] : 255;
      if (v[1] + v[3] + v[5] >= v[0] + v[2] + v[4]) {
        *e0 = {v[0], v[2], v[4], a0};
        *e1 = {v[1], v[3], v[5], a1};
      } else {
        *e0 = BlueContract(v[1], v[3], v[5], a1);
        *e1 = BlueContract(v[0], v[2], v[4], a0);
      }
      return;
    }
    case 9:
    case 13: {  // RGB(A), base + offset
      int w[8];
      for (int i = 0; i < 8; ++i) w[i] = i < EndpointValueCount(cem) ? v[i] : 0;
      BitTransferSigned(w[1], w[0]);
      BitTransferSigned(w[3], w[2]);
      BitTransferSigned(w[5], w[4]);
      int a0 = 255, a1 = 255;
      if (cem == 13) {
        BitTransferSigned(w[7], w[6]);
        a0 = w[6];
        a1 = w[6] + w[7];
      }
      if (w[1] + w[3] + w[5] >= 0) {
        *e0 = Clamp({w[0], w[2], w[4], a0});
        *e1 = Clamp({w[0] + w[1], w[2] + w[3], w[4] + w[5], a1});
      } else {
        *e0 = Clamp(BlueContract(w[0] + w[1], w[2] + w[3], w[4] + w[5], a1));
        *e1 = Clamp(BlueContract(w[0], w[2], w[4], a0));
      }
      return;
    }
    case 10:  // RGB base + scale, plus two alphas
      *e0 = {(v[0] * v[3]) >> 8, (v[1] * v[3]) >> 8, (v[2] * v[3]) >> 8, v[4]};
      *e1 = {v[0], v[1], v[2], v[5]};
      return;
    default:  // HDR modes never reach here: the block decoder refuses them first
      *e0 = {0, 0, 0, 0};
      *e1 = {0, 0, 0, 0};
      return;
  }
}

}  // namespace tp::astc::internal
