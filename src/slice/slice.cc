// SBR and unsigned slicing of whole operands into 4-lane slice vectors, and
// the in-memory run-length compression of their HO vectors (see slice.h).
#include <algorithm>
#include <string>

#include "tensorpress/slice.h"

namespace tp {

int SbrSliceCount(int bits) {
  if (bits < 4 || bits > 13 || (bits - 4) % 3 != 0) return 0;
  return 1 + (bits - 4) / 3;
}

void SbrSlice(int32_t w, int bits, int8_t* slices) {
  const int count = SbrSliceCount(bits);
  for (int s = count - 1; s > 0; --s) {
    // Three bits of w plus w's sign: the slice is in [-8, 7] and has w's sign
    // (or is 0), so the remainder (w - lo) / 8 is exact and keeps the sign.
    const int32_t lo = (w & 7) - (w < 0 ? 8 : 0);
    slices[s] = static_cast<int8_t>(lo);
    w = (w - lo) / 8;
  }
  slices[0] = static_cast<int8_t>(w);
}

int32_t SbrJoin(const int8_t* slices, int count) {
  int32_t w = 0;
  for (int s = 0; s < count; ++s) w = w * 8 + slices[s];
  return w;
}

namespace {

Status CheckShape(size_t size, int a, int b, const char* what) {
  if (a <= 0 || b <= 0) return InvalidArgumentError(std::string(what) + ": dimensions must be positive");
  if (uint64_t(a) * uint64_t(b) != size)
    return InvalidArgumentError(std::string(what) + ": " + std::to_string(size) + " values for " +
                                std::to_string(a) + " x " + std::to_string(b));
  if (uint64_t(a) * uint64_t(b) > (uint64_t(1) << 40)) return InvalidArgumentError(std::string(what) + ": too large");
  return Status::Ok();
}

SlicedOperand Empty(int rows, int cols, int lanes, int depth, int slice_count, int8_t skip) {
  const int blocks = (lanes + 3) / 4;
  SlicedOperand op;
  op.lanes = lanes;
  op.rows = rows;
  op.cols = cols;
  op.blocks = blocks;
  op.depth = depth;
  op.skip_value = skip;
  op.slices.assign(slice_count, std::vector<int8_t>(size_t(blocks) * depth * 4, 0));
  // Padding lanes of HO vectors hold the skip value so they never stop a
  // vector from compressing.
  std::fill(op.slices[0].begin(), op.slices[0].end(), skip);
  return op;
}

}  // namespace

StatusOr<SlicedOperand> SliceWeightsSbr(std::span<const int32_t> w, int m, int k, int bits) {
  TP_RETURN_IF_ERROR(CheckShape(w.size(), m, k, "weights"));
  const int count = SbrSliceCount(bits);
  if (count == 0) return InvalidArgumentError("SBR needs 4, 7, 10 or 13-bit weights, got " + std::to_string(bits));
  const int32_t lo = -(1 << (bits - 1)), hi = (1 << (bits - 1)) - 1;
  SlicedOperand op = Empty(m, k, m, k, count, 0);
  for (int s = 0; s < count; ++s) op.shift.push_back(3 * (count - 1 - s));
  int8_t sl[8];
  for (int r = 0; r < m; ++r)
    for (int c = 0; c < k; ++c) {
      const int32_t v = w[size_t(r) * k + c];
      if (v < lo || v > hi)
        return InvalidArgumentError("weight " + std::to_string(v) + " does not fit " + std::to_string(bits) + " bits");
      SbrSlice(v, bits, sl);
      const size_t at = (size_t(r / 4) * k + c) * 4 + r % 4;
      for (int s = 0; s < count; ++s) op.slices[s][at] = sl[s];
    }
  return op;
}

StatusOr<SlicedOperand> SliceActivationsUnsigned(std::span<const uint8_t> x, int k, int n, int zero_point,
                                                 int lo_bits) {
  TP_RETURN_IF_ERROR(CheckShape(x.size(), k, n, "activations"));
  if (lo_bits < 4 || lo_bits > 6) return InvalidArgumentError("LO width must be 4, 5 or 6");
  if (zero_point < 0 || zero_point > 255) return InvalidArgumentError("zero point must be 0..255");
  SlicedOperand op = Empty(k, n, n, k, 2, static_cast<int8_t>(zero_point >> lo_bits));
  op.shift = {lo_bits, lo_bits - 4};
  for (int c = 0; c < k; ++c)
    for (int t = 0; t < n; ++t) {
      const uint8_t v = x[size_t(c) * n + t];
      const size_t at = (size_t(t / 4) * k + c) * 4 + t % 4;
      op.slices[0][at] = static_cast<int8_t>(ActHighSlice(v, lo_bits));
      op.slices[1][at] = static_cast<int8_t>(ActLowSlice(v, lo_bits));
    }
  return op;
}

StatusOr<SlicedOperand> SliceActivationsSbr(std::span<const int32_t> x, int k, int n, int bits) {
  TP_RETURN_IF_ERROR(CheckShape(x.size(), k, n, "activations"));
  const int count = SbrSliceCount(bits);
  if (count == 0) return InvalidArgumentError("SBR needs 4, 7, 10 or 13-bit activations, got " + std::to_string(bits));
  const int32_t lo = -(1 << (bits - 1)), hi = (1 << (bits - 1)) - 1;
  SlicedOperand op = Empty(k, n, n, k, count, 0);
  for (int s = 0; s < count; ++s) op.shift.push_back(3 * (count - 1 - s));
  int8_t sl[8];
  for (int c = 0; c < k; ++c)
    for (int t = 0; t < n; ++t) {
      const int32_t v = x[size_t(c) * n + t];
      if (v < lo || v > hi)
        return InvalidArgumentError("activation " + std::to_string(v) + " does not fit " + std::to_string(bits) + " bits");
      SbrSlice(v, bits, sl);
      const size_t at = (size_t(t / 4) * k + c) * 4 + t % 4;
      for (int s = 0; s < count; ++s) op.slices[s][at] = sl[s];
    }
  return op;
}

CompressedHo CompressHo(const SlicedOperand& op) {
  CompressedHo c;
  c.blocks = op.blocks;
  c.depth = op.depth;
  c.skip_value = op.skip_value;
  c.start.push_back(0);
  for (int b = 0; b < op.blocks; ++b) {
    uint8_t run = 0;
    for (int k = 0; k < op.depth; ++k) {
      const int8_t* v = op.Vector(0, b, k);
      const bool skip = v[0] == op.skip_value && v[1] == op.skip_value && v[2] == op.skip_value &&
                        v[3] == op.skip_value;
      // The escape: a 16th consecutive compressed vector is stored as is.
      if (skip && run < 15) {
        ++run;
        continue;
      }
      c.run.push_back(run);
      c.slices.insert(c.slices.end(), v, v + 4);
      run = 0;
    }
    c.start.push_back(static_cast<uint32_t>(c.run.size()));
  }
  return c;
}

std::vector<int8_t> DecompressHo(const CompressedHo& c) {
  std::vector<int8_t> out(size_t(c.blocks) * c.depth * 4, c.skip_value);
  for (int b = 0; b < c.blocks; ++b) {
    size_t k = 0;
    for (uint32_t i = c.start[b]; i < c.start[b + 1]; ++i) {
      k += c.run[i];
      std::copy_n(c.slices.begin() + size_t(i) * 4, 4, out.begin() + (size_t(b) * c.depth + k) * 4);
      ++k;
    }
  }
  return out;
}

}  // namespace tp
