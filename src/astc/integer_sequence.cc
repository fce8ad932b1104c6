// Bounded integer sequence encoding (BISE) and the quantisation tables.
//
// A BISE sequence packs values of range 2^n, 3*2^n or 5*2^n: the low n bits
// of each value are stored plainly and the high trits (base 3) or quints
// (base 5) of five or three values are packed into 8 or 7 bits, interleaved
// between the plain bits. The last group may be partial; its missing bits are
// simply absent from the stream (and read as zero).
#include <array>
#include <cstring>

#include "astc/astc_internal.h"

namespace tp::astc::internal {
namespace {

struct RangeShape {
  int levels, trits, quints, bits;
};
constexpr RangeShape kRanges[kNumQuantLevels] = {
    {2, 0, 0, 1},   {3, 1, 0, 0},   {4, 0, 0, 2},   {5, 0, 1, 0},   {6, 1, 0, 1},
    {8, 0, 0, 3},   {10, 0, 1, 1},  {12, 1, 0, 2},  {16, 0, 0, 4},  {20, 0, 1, 2},
    {24, 1, 0, 3},  {32, 0, 0, 5},  {40, 0, 1, 3},  {48, 1, 0, 4},  {64, 0, 0, 6},
    {80, 0, 1, 4},  {96, 1, 0, 5},  {128, 0, 0, 7}, {160, 0, 1, 5}, {192, 1, 0, 6},
    {256, 0, 0, 8},
};

inline int Bit(int v, int i) { return (v >> i) & 1; }

// The specification's trit unpacking of an 8-bit group into five trits.
void UnpackTrits(int t, int out[5]) {
  int c;
  if (((t >> 2) & 7) == 7) {
    c = (((t >> 5) & 7) << 2) | (t & 3);
    out[4] = 2;
    out[3] = 2;
  } else {
    c = t & 0x1f;
    if (((t >> 5) & 3) == 3) {
      out[4] = 2;
      out[3] = Bit(t, 7);
    } else {
      out[4] = Bit(t, 7);
      out[3] = (t >> 5) & 3;
    }
  }
  if ((c & 3) == 3) {
    out[2] = 2;
    out[1] = Bit(c, 4);
    out[0] = (Bit(c, 3) << 1) | (Bit(c, 2) & ~Bit(c, 3) & 1);
  } else if (((c >> 2) & 3) == 3) {
    out[2] = 2;
    out[1] = 2;
    out[0] = c & 3;
  } else {
    out[2] = Bit(c, 4);
    out[1] = (c >> 2) & 3;
    out[0] = (Bit(c, 1) << 1) | (Bit(c, 0) & ~Bit(c, 1) & 1);
  }
}

// The specification's quint unpacking of a 7-bit group into three quints.
void UnpackQuints(int q, int out[3]) {
  if (((q >> 1) & 3) == 3 && ((q >> 5) & 3) == 0) {
    out[2] = (Bit(q, 0) << 2) | ((Bit(q, 4) & ~Bit(q, 0) & 1) << 1) | (Bit(q, 3) & ~Bit(q, 0) & 1);
    out[1] = 4;
    out[0] = 4;
    return;
  }
  int c;
  if (((q >> 1) & 3) == 3) {
    out[2] = 4;
    c = (((q >> 3) & 3) << 3) | ((~(q >> 5) & 3) << 1) | (q & 1);
  } else {
    out[2] = (q >> 5) & 3;
    c = q & 0x1f;
  }
  if ((c & 7) == 5) {
    out[1] = 4;
    out[0] = (c >> 3) & 3;
  } else {
    out[1] = (c >> 3) & 3;
    out[0] = c & 7;
  }
}

struct PackTables {
  uint8_t trit_decode[256][5];
  uint8_t quint_decode[128][3];
  uint8_t trit_encode[243];   // indexed t0 + 3 t1 + 9 t2 + 27 t3 + 81 t4
  uint8_t quint_encode[125];  // indexed q0 + 5 q1 + 25 q2
  PackTables() {
    std::memset(trit_encode, 0xff, sizeof(trit_encode));
    std::memset(quint_encode, 0xff, sizeof(quint_encode));
    for (int t = 255; t >= 0; --t) {  // descending so the smallest code wins
      int d[5];
      UnpackTrits(t, d);
      for (int i = 0; i < 5; ++i) trit_decode[t][i] = static_cast<uint8_t>(d[i]);
      trit_encode[d[0] + 3 * d[1] + 9 * d[2] + 27 * d[3] + 81 * d[4]] = static_cast<uint8_t>(t);
    }
    for (int q = 127; q >= 0; --q) {
      int d[3];
      UnpackQuints(q, d);
      for (int i = 0; i < 3; ++i) quint_decode[q][i] = static_cast<uint8_t>(d[i]);
      quint_encode[d[0] + 5 * d[1] + 25 * d[2]] = static_cast<uint8_t>(q);
    }
  }
};
const PackTables& Tables() {
  static const PackTables tables;
  return tables;
}

// Bits of the trit group that follow value i of a group of five, and of the
// quint group that follow value i of three.
constexpr int kTritBitsAfter[5] = {2, 2, 1, 2, 1};
constexpr int kQuintBitsAfter[3] = {3, 2, 2};

// Unquantisation of trit/quint codes (specification's bit-layout tables):
// value = (A & top) | (((D * C + B) ^ A) >> 2) with A the replicated low bit.
int UnquantizeTritQuint(const RangeShape& r, int code, bool weight) {
  int bits = r.bits;
  int m = code & ((1 << bits) - 1);
  int d = code >> bits;
  int a = (m & 1) ? (weight ? 0x7f : 0x1ff) : 0;
  int b = 0, c = 0;
  int hb = (m >> 1);  // the bits above the lowest, as the tables name them b, c, d, e, f
  auto bitn = [&](int i) { return (hb >> i) & 1; };
  if (weight) {
    switch (r.levels) {
      case 6: c = 50; break;
      case 10: c = 28; break;
      case 12: c = 23; b = bitn(0) * 0x45; break;           // b000b0b
      case 20: c = 13; b = bitn(0) * 0x42; break;           // b0000b0
      case 24: c = 11; b = bitn(0) * 0x21 + bitn(1) * 0x42; break;  // cb000cb
      default: return 0;
    }
    int t = (d * c + b) ^ a;
    return (a & 0x20) | (t >> 2);
  }
  // Colour layouts, 9 bits wide; letters b (lowest of hb) .. f.
  int bb = bitn(0), cc = bitn(1), dd = bitn(2), ee = bitn(3), ff = bitn(4);
  switch (r.levels) {
    case 6: c = 204; break;
    case 10: c = 113; break;
    case 12: c = 93; b = bb * 0x116; break;  // b000b0bb0
    case 20: c = 54; b = bb * 0x10c; break;  // b0000bb00
    case 24: c = 44; b = cc * 0x10a + bb * 0x085; break;  // cb000cbcb
    case 40: c = 26; b = cc * 0x105 + bb * 0x082; break;  // cb0000cbc
    case 48: c = 22; b = dd * 0x104 + cc * 0x082 + bb * 0x041; break;  // dcb000dcb
    case 80: c = 13; b = dd * 0x102 + cc * 0x081 + bb * 0x040; break;  // dcb0000dc
    case 96: c = 11; b = ee * 0x102 + dd * 0x081 + cc * 0x040 + bb * 0x020; break;  // edcb000ed
    case 160: c = 6; b = ee * 0x101 + dd * 0x080 + cc * 0x040 + bb * 0x020; break;  // edcb0000e
    case 192: c = 5; b = ff * 0x101 + ee * 0x080 + dd * 0x040 + cc * 0x020 + bb * 0x010; break;  // fedcb000f
    default: return 0;
  }
  int t = (d * c + b) ^ a;
  return (a & 0x80) | (t >> 2);
}

int ReplicateBits(int value, int bits, int width) {
  int out = 0, have = 0;
  while (have < width) {
    int shift = width - have - bits;
    out |= shift >= 0 ? value << shift : value >> -shift;
    have += bits;
  }
  return out;
}

struct UnquantTables {
  uint8_t weight[kNumWeightQuantLevels][32];
  uint8_t color[kNumQuantLevels][256];
  UnquantTables() {
    for (int q = 0; q < kNumWeightQuantLevels; ++q) {
      const RangeShape& r = kRanges[q];
      for (int code = 0; code < r.levels; ++code) {
        int v;
        if (r.levels == 3) {
          v = code == 0 ? 0 : code == 1 ? 32 : 63;
        } else if (r.levels == 5) {
          static constexpr int k[5] = {0, 16, 32, 47, 63};
          v = k[code];
        } else if (r.trits || r.quints) {
          v = UnquantizeTritQuint(r, code, true);
        } else {
          v = ReplicateBits(code, r.bits, 6);
        }
        if (v > 32) ++v;
        weight[q][code] = static_cast<uint8_t>(v);
      }
    }
    for (int q = 0; q < kNumQuantLevels; ++q) {
      const RangeShape& r = kRanges[q];
      for (int code = 0; code < r.levels; ++code) {
        int v = (r.trits || r.quints) ? (q < kQuant6 ? 0 : UnquantizeTritQuint(r, code, false))
                                      : ReplicateBits(code, r.bits, 8);
        color[q][code] = static_cast<uint8_t>(v);
      }
    }
  }
};
const UnquantTables& Unquant() {
  static const UnquantTables tables;
  return tables;
}

}  // namespace

int QuantLevelCount(int quant) { return kRanges[quant].levels; }

int IseBitCount(int count, int quant) {
  const RangeShape& r = kRanges[quant];
  return count * r.bits + (r.trits ? (8 * count + 4) / 5 : 0) + (r.quints ? (7 * count + 2) / 3 : 0);
}

Bits128 Bits128::Load(const uint8_t* bytes) {
  Bits128 b;
  for (int i = 7; i >= 0; --i) b.lo = b.lo << 8 | bytes[i];
  for (int i = 15; i >= 8; --i) b.hi = b.hi << 8 | bytes[i];
  return b;
}

void Bits128::Store(uint8_t* bytes) const {
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<uint8_t>(lo >> (8 * i));
  for (int i = 0; i < 8; ++i) bytes[8 + i] = static_cast<uint8_t>(hi >> (8 * i));
}

uint32_t Bits128::Read(int pos, int count) const {
  if (count == 0 || pos >= 128) return 0;
  uint64_t v;
  if (pos >= 64) {
    v = hi >> (pos - 64);
  } else {
    v = lo >> pos;
    if (pos > 0) v |= hi << (64 - pos);
  }
  return static_cast<uint32_t>(v & ((uint64_t{1} << count) - 1));
}

void Bits128::Write(int pos, int count, uint32_t value) {
  for (int i = 0; i < count; ++i) {
    int p = pos + i;
    uint64_t bit = (value >> i) & 1;
    if (p < 64)
      lo |= bit << p;
    else if (p < 128)
      hi |= bit << (p - 64);
  }
}

Bits128 Bits128::Reversed() const {
  auto rev = [](uint64_t x) {
    x = ((x >> 1) & 0x5555555555555555ull) | ((x & 0x5555555555555555ull) << 1);
    x = ((x >> 2) & 0x3333333333333333ull) | ((x & 0x3333333333333333ull) << 2);
    x = ((x >> 4) & 0x0f0f0f0f0f0f0f0full) | ((x & 0x0f0f0f0f0f0f0f0full) << 4);
    x = ((x >> 8) & 0x00ff00ff00ff00ffull) | ((x & 0x00ff00ff00ff00ffull) << 8);
    x = ((x >> 16) & 0x0000ffff0000ffffull) | ((x & 0x0000ffff0000ffffull) << 16);
    return (x >> 32) | (x << 32);
  };
  Bits128 r;
  r.lo = rev(hi);
  r.hi = rev(lo);
  return r;
}

void IseDecode(const Bits128& bits, int pos, int count, int quant, uint8_t* out) {
  const RangeShape& r = kRanges[quant];
  const int group = r.trits ? 5 : r.quints ? 3 : 1;
  for (int base = 0; base < count; base += group) {
    int n = count - base < group ? count - base : group;
    int low[5] = {0, 0, 0, 0, 0};
    int packed = 0, packed_bits = 0;
    for (int i = 0; i < n; ++i) {
      low[i] = static_cast<int>(bits.Read(pos, r.bits));
      pos += r.bits;
      int extra = r.trits ? kTritBitsAfter[i] : r.quints ? kQuintBitsAfter[i] : 0;
      packed |= static_cast<int>(bits.Read(pos, extra)) << packed_bits;
      pos += extra;
      packed_bits += extra;
    }
    for (int i = 0; i < n; ++i) {
      int high = r.trits ? Tables().trit_decode[packed][i] : r.quints ? Tables().quint_decode[packed][i] : 0;
      out[base + i] = static_cast<uint8_t>(high << r.bits | low[i]);
    }
  }
}

void IseEncode(Bits128& bits, int pos, int count, int quant, const uint8_t* values) {
  const RangeShape& r = kRanges[quant];
  const int group = r.trits ? 5 : r.quints ? 3 : 1;
  for (int base = 0; base < count; base += group) {
    int n = count - base < group ? count - base : group;
    int high[5] = {0, 0, 0, 0, 0};
    for (int i = 0; i < n; ++i) high[i] = values[base + i] >> r.bits;
    int packed = 0;
    if (r.trits)
      packed = Tables().trit_encode[high[0] + 3 * high[1] + 9 * high[2] + 27 * high[3] + 81 * high[4]];
    else if (r.quints)
      packed = Tables().quint_encode[high[0] + 5 * high[1] + 25 * high[2]];
    for (int i = 0; i < n; ++i) {
      bits.Write(pos, r.bits, values[base + i] & ((1u << r.bits) - 1));
      pos += r.bits;
      int extra = r.trits ? kTritBitsAfter[i] : r.quints ? kQuintBitsAfter[i] : 0;
      bits.Write(pos, extra, static_cast<uint32_t>(packed) & ((1u << extra) - 1));
      packed >>= extra;
      pos += extra;
    }
  }
}

int UnquantizeWeight(int quant, int code) { return Unquant().weight[quant][code]; }
int UnquantizeColor(int quant, int code) { return Unquant().color[quant][code]; }

int ColorQuantForBits(int count, int bits) {
  for (int q = kQuant256; q >= kQuant6; --q)
    if (IseBitCount(count, q) <= bits) return q;
  return -1;
}

}  // namespace tp::astc::internal
