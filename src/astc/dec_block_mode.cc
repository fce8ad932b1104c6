// Block-mode decoding: the 11 low bits of a block choose the weight grid,
// the weight range and whether there are two weight planes. The
// specification packs these in two layouts, told apart by the two lowest
// bits; the grid dimensions come from small fields (A, B) plus a per-layout
// bias.
#include "astc/astc_internal.h"

namespace tp::astc::internal {

bool DecodeBlockMode(int mode, int block_x, int block_y, BlockMode* out) {
  int range = (mode >> 4) & 1;  // R0
  bool high_precision = (mode >> 9) & 1;
  bool dual = (mode >> 10) & 1;
  int a = (mode >> 5) & 3;
  int gx = 0, gy = 0;
  if ((mode & 3) != 0) {
    range |= (mode & 3) << 1;
    int b = (mode >> 7) & 3;
    switch ((mode >> 2) & 3) {
      case 0: gx = b + 4; gy = a + 2; break;
      case 1: gx = b + 8; gy = a + 2; break;
      case 2: gx = a + 2; gy = b + 8; break;
      default:
        b &= 1;
        if (mode & 0x100) {
          gx = b + 2;
          gy = a + 2;
        } else {
          gx = a + 2;
          gy = b + 6;
        }
        break;
    }
  } else {
    range |= ((mode >> 2) & 3) << 1;
    if (((mode >> 2) & 3) == 0) return false;  // void extent or reserved
    int b = (mode >> 9) & 3;
    switch ((mode >> 7) & 3) {
      case 0: gx = 12; gy = a + 2; break;
      case 1: gx = a + 2; gy = 12; break;
      case 2:
        gx = a + 6;
        gy = b + 6;
        dual = false;
        high_precision = false;
        break;
      default:
        switch ((mode >> 5) & 3) {
          case 0: gx = 6; gy = 10; break;
          case 1: gx = 10; gy = 6; break;
          default: return false;  // reserved
        }
        break;
    }
  }
  if (gx > block_x || gy > block_y) return false;
  // range (2..7) and the precision bit index the weight ranges 2..32.
  int quant = (range - 2) + (high_precision ? 6 : 0);
  int count = gx * gy * (dual ? 2 : 1);
  int bits = IseBitCount(count, quant);
  if (count > 64 || bits < 24 || bits > 96) return false;
  out->grid_x = gx;
  out->grid_y = gy;
  out->dual_plane = dual;
  out->weight_quant = quant;
  out->weight_count = count;
  out->weight_bits = bits;
  return true;
}

int EncodeBlockMode(int grid_x, int grid_y, bool dual_plane, int weight_quant) {
  // The layouts are few enough that searching all 2048 modes is simplest and
  // keeps the encoder exactly consistent with the decoder above.
  struct Table {
    int16_t mode[13][13][2][kNumWeightQuantLevels];
    Table() {
      for (auto& x : mode)
        for (auto& y : x)
          for (auto& p : y)
            for (auto& q : p) q = -1;
      for (int m = 0; m < 2048; ++m) {
        BlockMode bm;
        if (!DecodeBlockMode(m, 12, 12, &bm)) continue;
        int16_t& slot = mode[bm.grid_x][bm.grid_y][bm.dual_plane][bm.weight_quant];
        if (slot < 0) slot = static_cast<int16_t>(m);
      }
    }
  };
  static const Table table;
  if (grid_x < 2 || grid_x > 12 || grid_y < 2 || grid_y > 12 || weight_quant < 0 ||
      weight_quant >= kNumWeightQuantLevels)
    return -1;
  return table.mode[grid_x][grid_y][dual_plane][weight_quant];
}

}  // namespace tp::astc::internal
