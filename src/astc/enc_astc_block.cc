// The ASTC block encoder, tuned for weights.
//
// Read me first: a candidate encoding is a (partition pattern, block mode)
// pair. For each candidate the fit alternates between
//   1. grid weights: ideal per-texel weights (projection of each texel on
//      its partition's endpoint line) are fitted through the bilinear infill
//      by weighted least squares (Gauss-Seidel), quantised, then improved by
//      coordinate descent on the exact decoded error;
//   2. endpoints: given the texels' integer weights each channel's endpoint
//      pair is an independent 2x2 least-squares problem; the result is
//      quantised by trying the neighbouring levels of each end against the
//      exact decoded error.
// Errors are always measured on the bit-exact decode_float16 value (the
// unorm16 interpolation truncated to half), so the encoder optimises what a
// decoder will actually return. The search evaluates many candidates briefly
// and refines the best few; EffortForQuality sets how many.
#include "astc/enc_astc_block.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "tensorpress/astc.h"
#include "tensorpress/half.h"

namespace tp::astc::internal {
namespace {

// decode_float16 result of every unorm16 interpolation value.
const float* Unorm16Float() {
  static const std::vector<float> table = [] {
    std::vector<float> t(65536);
    for (int v = 0; v < 65536; ++v) t[v] = HalfToFloat(Unorm16ToHalf(v));
    return t;
  }();
  return table.data();
}

// Quantisation levels of one BISE range in value order.
struct Levels {
  int count = 0;
  int value[256];         // by code
  int rank[256];          // by code
  int code_at_rank[256];
  int nearest[256];       // code nearest each value 0..255 (weights: 0..64)
};

Levels MakeLevels(int quant, bool weight) {
  Levels l;
  l.count = QuantLevelCount(quant);
  std::vector<std::pair<int, int>> order;
  for (int c = 0; c < l.count; ++c) {
    l.value[c] = weight ? UnquantizeWeight(quant, c) : UnquantizeColor(quant, c);
    order.push_back({l.value[c], c});
  }
  std::sort(order.begin(), order.end());
  for (int r = 0; r < l.count; ++r) {
    l.code_at_rank[r] = order[static_cast<size_t>(r)].second;
    l.rank[order[static_cast<size_t>(r)].second] = r;
  }
  int top = weight ? 64 : 255;
  for (int v = 0; v <= top; ++v) {
    int best = 0, best_d = 1 << 30;
    for (int c = 0; c < l.count; ++c) {
      int d = std::abs(l.value[c] - v);
      if (d < best_d) best_d = d, best = c;
    }
    l.nearest[v] = best;
  }
  return l;
}

const Levels& WeightLevels(int quant) {
  static const std::vector<Levels> levels = [] {
    std::vector<Levels> v;
    for (int q = 0; q < kNumWeightQuantLevels; ++q) v.push_back(MakeLevels(q, true));
    return v;
  }();
  return levels[static_cast<size_t>(quant)];
}

const Levels& ColorLevels(int quant) {
  static const std::vector<Levels> levels = [] {
    std::vector<Levels> v;
    for (int q = 0; q < kNumQuantLevels; ++q) v.push_back(MakeLevels(q, false));
    return v;
  }();
  return levels[static_cast<size_t>(quant)];
}

inline int TexelWeight(int sum) { return (sum + 8) >> 4; }

// Starting endpoint lines of one partitioning and plane split, and the
// unquantised least-squares grid fitted through them per weight grid: it
// depends on the grid but not on the weight range, so the quick fits of one
// grid's ranges share it.
struct EndpointLines {
  bool ready = false;
  double ef[4][4][2];
  std::vector<std::array<double, 128>> grid_fit;  // per grid index: plane 0, then plane 1
  std::vector<uint8_t> grid_fit_ready;
};

// One candidate encoding and its fitting state.
class Fit {
 public:
  Fit(const FootprintContext& ctx, const BlockTarget& target, const ModeChoice& mode, int partitions,
      int seed, int ccs, int color_quant)
      : t_(target), mode_(mode), grid_(ctx.grids()[static_cast<size_t>(mode.grid)]),
        partitions_(partitions), seed_(seed), ccs_(ccs), nc_(target.channels),
        wl_(WeightLevels(mode.weight_quant)), cl_(ColorLevels(color_quant)), color_quant_(color_quant) {
    n_ = ctx.texels();
    part_ = partitions > 1 ? ctx.Pattern(partitions, seed) : nullptr;
    planes_ = mode.dual_plane ? 2 : 1;
    points_ = grid_.grid_x * grid_.grid_y;
  }

  double error() const { return s_.error; }

  // Enough to rank candidates: the least-squares grid and its endpoints.
  // `init` (same partitioning and plane split) skips recomputing the
  // starting endpoint lines, which do not depend on the block mode.
  void QuickFit(EndpointLines* lines = nullptr) {
    if (lines && lines->ready) {
      std::memcpy(s_.ef, lines->ef, sizeof(s_.ef));
    } else {
      InitEndpoints();
      if (lines) {
        std::memcpy(lines->ef, s_.ef, sizeof(s_.ef));
        lines->ready = true;
      }
    }
    if (lines) {
      const size_t grid = static_cast<size_t>(mode_.grid);
      if (lines->grid_fit.size() <= grid) {
        lines->grid_fit.resize(grid + 1);
        lines->grid_fit_ready.resize(grid + 1, 0);
      }
      double* g = lines->grid_fit[grid].data();
      if (!lines->grid_fit_ready[grid]) {
        FitGridUnquantised(g);
        lines->grid_fit_ready[grid] = 1;
      }
      QuantiseGrid(g);
    } else {
      FitGrid();
    }
    RefitEndpoints();
  }

  // Alternates weight descent and endpoint refits; then also tries a fresh
  // least-squares grid through the refitted endpoints and keeps the better.
  void Refine(int iterations) {
    radius_ = 2;
    for (int round = 0; round < 2; ++round) {
      for (int it = 0; it < iterations; ++it) {
        double before = s_.error;
        Descend(8);
        RefitEndpoints();
        if (s_.error >= before * 0.9999) break;
      }
      if (round == 1) break;
      State kept = s_;
      FitGrid();
      RefitEndpoints();
      Descend(8);
      RefitEndpoints();
      if (kept.error <= s_.error) {
        s_ = kept;
        break;
      }
    }
  }

  void Pack(uint8_t out[16]) const;

 private:
  int Part(int i) const { return part_ ? part_[i] : 0; }
  int PlaneOf(int c) const { return c == ccs_ ? 1 : 0; }

  double TexelError(int i) const {
    if (!t_.valid[i]) return 0;
    const float* f = Unorm16Float();
    int p = Part(i);
    double e = 0;
    for (int c = 0; c < nc_; ++c) {
      int w = TexelWeight(s_.tsum[PlaneOf(c)][i]);
      double d = f[LerpUnorm16(s_.ep[p][c][0], s_.ep[p][c][1], w)] - t_.value[i][c];
      e += d * d;
    }
    return e;
  }

  void RecomputeErrors() {
    s_.error = 0;
    for (int i = 0; i < n_; ++i) s_.error += (s_.te[i] = TexelError(i));
  }

  // Endpoint lines from the data: min/max for one channel, the principal
  // axis for several; oriented so that RGB sums rise from end 0 to end 1 (the
  // direct RGBA mode swaps the ends otherwise).
  void InitEndpoints() {
    for (int p = 0; p < partitions_; ++p) {
      double mean[4] = {0, 0, 0, 0};
      int n = 0;
      for (int i = 0; i < n_; ++i)
        if (t_.valid[i] && Part(i) == p) {
          for (int c = 0; c < nc_; ++c) mean[c] += t_.value[i][c];
          ++n;
        }
      if (n == 0) {
        for (int c = 0; c < nc_; ++c) s_.ef[p][c][0] = s_.ef[p][c][1] = 0;
        continue;
      }
      for (double& m : mean) m /= n;
      // Channels on plane 0 share a line; a plane-1 channel gets its own range.
      double cov[4][4] = {};
      for (int i = 0; i < n_; ++i)
        if (t_.valid[i] && Part(i) == p)
          for (int a = 0; a < nc_; ++a)
            for (int b = 0; b < nc_; ++b)
              if (PlaneOf(a) == 0 && PlaneOf(b) == 0)
                cov[a][b] += (t_.value[i][a] - mean[a]) * (t_.value[i][b] - mean[b]);
      double dir[4] = {1, 1, 1, 1};
      for (int c = 0; c < nc_; ++c)
        if (PlaneOf(c)) dir[c] = 0;
      for (int iter = 0; iter < 8; ++iter) {
        double next[4] = {0, 0, 0, 0}, norm = 0;
        for (int a = 0; a < nc_; ++a)
          for (int b = 0; b < nc_; ++b) next[a] += cov[a][b] * dir[b];
        for (int a = 0; a < nc_; ++a) norm += next[a] * next[a];
        if (norm < 1e-30) break;
        norm = std::sqrt(norm);
        for (int a = 0; a < nc_; ++a) dir[a] = next[a] / norm;
      }
      double rgb_sum = 0;
      for (int c = 0; c < std::min(nc_, 3); ++c)
        if (!PlaneOf(c)) rgb_sum += dir[c];
      if (rgb_sum < 0)
        for (double& d : dir) d = -d;
      double lo = 1e30, hi = -1e30, lo2 = 1e30, hi2 = -1e30;
      for (int i = 0; i < n_; ++i)
        if (t_.valid[i] && Part(i) == p) {
          double s = 0;
          for (int c = 0; c < nc_; ++c)
            if (!PlaneOf(c)) s += (t_.value[i][c] - mean[c]) * dir[c];
          lo = std::min(lo, s);
          hi = std::max(hi, s);
          if (ccs_ >= 0) {
            lo2 = std::min<double>(lo2, t_.value[i][ccs_]);
            hi2 = std::max<double>(hi2, t_.value[i][ccs_]);
          }
        }
      for (int c = 0; c < nc_; ++c) {
        if (PlaneOf(c)) {
          s_.ef[p][c][0] = 255 * lo2;
          s_.ef[p][c][1] = 255 * hi2;
        } else {
          s_.ef[p][c][0] = 255 * (mean[c] + lo * dir[c]);
          s_.ef[p][c][1] = 255 * (mean[c] + hi * dir[c]);
        }
      }
    }
  }

  // Least-squares grid weights through the infill, then quantised.
  void FitGrid() {
    double g[128];
    FitGridUnquantised(g);
    QuantiseGrid(g);
  }

  // The grid weights (0..64 as reals, 64 per plane) that fit the texels'
  // ideal weights through the infill by weighted least squares.
  void FitGridUnquantised(double* grid_weights) {
    for (int pl = 0; pl < planes_; ++pl) {
      double* g = grid_weights + 64 * pl;
      double u[144], lambda[144], fitted[144];
      for (int i = 0; i < n_; ++i) {
        u[i] = 0;
        lambda[i] = 0;
        fitted[i] = 0;
        if (!t_.valid[i]) continue;
        int p = Part(i);
        double len2 = 0, dot = 0;
        for (int c = 0; c < nc_; ++c) {
          if (PlaneOf(c) != pl) continue;
          double d = s_.ef[p][c][1] - s_.ef[p][c][0];
          len2 += d * d;
          dot += (255.0 * t_.value[i][c] - s_.ef[p][c][0]) * d;
        }
        if (len2 < 1e-9) {
          lambda[i] = 1e-6;
          continue;
        }
        u[i] = 64.0 * std::clamp(dot / len2, 0.0, 1.0);
        lambda[i] = len2;
      }
      for (int j = 0; j < points_; ++j) {
        double num = 0, den = 0;
        for (auto [i, f] : grid_.feeds[static_cast<size_t>(j)]) {
          num += lambda[i] * f * u[i];
          den += lambda[i] * f;
        }
        g[j] = den > 0 ? num / den : 32;
      }
      for (int i = 0; i < n_; ++i) {
        double s = 0;
        for (int k = 0; k < 4; ++k) s += grid_.infill[static_cast<size_t>(i)].weight[k] * g[grid_.infill[static_cast<size_t>(i)].index[k]];
        fitted[i] = s / 16;
      }
      for (int sweep = 0; sweep < 6; ++sweep) {
        for (int j = 0; j < points_; ++j) {
          double num = 0, den = 0;
          for (auto [i, f] : grid_.feeds[static_cast<size_t>(j)]) {
            double a = f / 16.0;
            num += lambda[i] * a * (u[i] - fitted[i]);
            den += lambda[i] * a * a;
          }
          if (den <= 0) continue;
          double step = num / den;
          double ng = std::clamp(g[j] + step, 0.0, 64.0);
          step = ng - g[j];
          g[j] = ng;
          for (auto [i, f] : grid_.feeds[static_cast<size_t>(j)]) fitted[i] += step * f / 16.0;
        }
      }
    }
  }

  // Nearest levels of the weight range, and the texel weight sums they give.
  void QuantiseGrid(const double* grid_weights) {
    for (int pl = 0; pl < planes_; ++pl) {
      const double* g = grid_weights + 64 * pl;
      for (int j = 0; j < points_; ++j) {
        int code = wl_.nearest[std::clamp(static_cast<int>(std::lround(g[j])), 0, 64)];
        s_.gcode[pl][j] = code;
        s_.gval[pl][j] = wl_.value[code];
      }
      for (int i = 0; i < n_; ++i) {
        int s = 0;
        for (int k = 0; k < 4; ++k) s += grid_.infill[static_cast<size_t>(i)].weight[k] * s_.gval[pl][grid_.infill[static_cast<size_t>(i)].index[k]];
        s_.tsum[pl][i] = s;
      }
    }
    if (planes_ == 1)
      for (int i = 0; i < n_; ++i) s_.tsum[1][i] = s_.tsum[0][i];
  }

  double ChannelError(int p, int c, int v0, int v1) const {
    const float* f = Unorm16Float();
    double e = 0;
    for (int i = 0; i < n_; ++i) {
      if (!t_.valid[i] || Part(i) != p) continue;
      double d = f[LerpUnorm16(v0, v1, TexelWeight(s_.tsum[PlaneOf(c)][i]))] - t_.value[i][c];
      e += d * d;
    }
    return e;
  }

  // Per channel 2x2 least squares given the integer texel weights, then the
  // best of the neighbouring quantisation levels of each end.
  void RefitEndpoints() {
    for (int p = 0; p < partitions_; ++p) {
      double cost[4] = {0, 0, 0, 0};
      for (int c = 0; c < nc_; ++c) {
        double s00 = 0, s01 = 0, s11 = 0, r0 = 0, r1 = 0, sum = 0, xx = 0;
        int n = 0;
        for (int i = 0; i < n_; ++i) {
          if (!t_.valid[i] || Part(i) != p) continue;
          double s = TexelWeight(s_.tsum[PlaneOf(c)][i]) / 64.0, x = 255.0 * t_.value[i][c];
          s00 += (1 - s) * (1 - s);
          s01 += (1 - s) * s;
          s11 += s * s;
          r0 += (1 - s) * x;
          r1 += s * x;
          sum += x;
          xx += x * x;
          ++n;
        }
        if (n == 0) {
          s_.ep_code[p][c][0] = s_.ep_code[p][c][1] = cl_.nearest[0];
          s_.ep[p][c][0] = s_.ep[p][c][1] = cl_.value[cl_.nearest[0]];
          continue;
        }
        double det = s00 * s11 - s01 * s01, a, b;
        if (std::abs(det) < 1e-9) {
          a = b = sum / n;
        } else {
          a = (r0 * s11 - r1 * s01) / det;
          b = (r1 * s00 - r0 * s01) / det;
        }
        int ca = cl_.nearest[std::clamp(static_cast<int>(std::lround(a)), 0, 255)];
        int cb = cl_.nearest[std::clamp(static_cast<int>(std::lround(b)), 0, 255)];
        double best = std::numeric_limits<double>::infinity();
        int best_a = ca, best_b = cb;
        for (int da = -radius_; da <= radius_; ++da) {
          int ra = cl_.rank[ca] + da;
          if (ra < 0 || ra >= cl_.count) continue;
          for (int db = -radius_; db <= radius_; ++db) {
            int rb = cl_.rank[cb] + db;
            if (rb < 0 || rb >= cl_.count) continue;
            int xa = cl_.code_at_rank[ra], xb = cl_.code_at_rank[rb];
            // Quick fits rank endpoint pairs by the real-valued model (the
            // sums above); refinement uses the exact decoded error.
            double va = cl_.value[xa], vb = cl_.value[xb];
            double e = radius_ > 1 ? ChannelError(p, c, cl_.value[xa], cl_.value[xb])
                                   : xx - 2 * va * r0 - 2 * vb * r1 + va * va * s00 + 2 * va * vb * s01 +
                                         vb * vb * s11;
            if (e < best) best = e, best_a = xa, best_b = xb;
          }
        }
        s_.ep_code[p][c][0] = best_a;
        s_.ep_code[p][c][1] = best_b;
        s_.ep[p][c][0] = cl_.value[best_a];
        s_.ep[p][c][1] = cl_.value[best_b];
        cost[c] = best;
      }
      if (nc_ == 4) EnforceDirectOrder(p, cost);
    }
    RecomputeErrors();
    // Keep float endpoints in step for a later FitGrid.
    for (int p = 0; p < partitions_; ++p)
      for (int c = 0; c < nc_; ++c)
        for (int e = 0; e < 2; ++e) s_.ef[p][c][e] = s_.ep[p][c][e];
  }

  // The direct RGBA mode swaps (and blue-contracts) the ends when end 1's
  // RGB sum is below end 0's; nudge the cheapest end until the order holds.
  void EnforceDirectOrder(int p, double* cost) {
    bool exact_costs = false;
    for (int guard = 0; guard < 1024; ++guard) {
      int s0 = s_.ep[p][0][0] + s_.ep[p][1][0] + s_.ep[p][2][0];
      int s1 = s_.ep[p][0][1] + s_.ep[p][1][1] + s_.ep[p][2][1];
      if (s1 >= s0) return;
      if (!exact_costs) {  // the search may have ranked with the real-valued model
        for (int c = 0; c < 3; ++c) cost[c] = ChannelError(p, c, s_.ep[p][c][0], s_.ep[p][c][1]);
        exact_costs = true;
      }
      double best = std::numeric_limits<double>::infinity();
      int best_c = -1, best_end = 0, best_code = 0;
      for (int c = 0; c < 3; ++c) {
        for (int end = 0; end < 2; ++end) {
          int r = cl_.rank[s_.ep_code[p][c][end]] + (end == 0 ? -1 : 1);
          if (r < 0 || r >= cl_.count) continue;
          int code = cl_.code_at_rank[r];
          int v0 = end == 0 ? cl_.value[code] : s_.ep[p][c][0];
          int v1 = end == 1 ? cl_.value[code] : s_.ep[p][c][1];
          double e = ChannelError(p, c, v0, v1) - cost[c];
          if (e < best) best = e, best_c = c, best_end = end, best_code = code;
        }
      }
      if (best_c < 0) break;
      s_.ep_code[p][best_c][best_end] = best_code;
      s_.ep[p][best_c][best_end] = cl_.value[best_code];
      cost[best_c] += best;
    }
    // Unreachable order (cannot happen with levels spanning 0..255): make
    // the candidate lose rather than mis-encode.
    int s0 = s_.ep[p][0][0] + s_.ep[p][1][0] + s_.ep[p][2][0];
    int s1 = s_.ep[p][0][1] + s_.ep[p][1][1] + s_.ep[p][2][1];
    if (s1 < s0) invalid_ = true;
  }

  // Coordinate descent over grid codes: move each grid weight one level up
  // or down while the exact error falls.
  void Descend(int max_sweeps) {
    for (int sweep = 0; sweep < max_sweeps; ++sweep) {
      bool changed = false;
      for (int pl = 0; pl < planes_; ++pl) {
        for (int j = 0; j < points_; ++j) {
          const auto& feeds = grid_.feeds[static_cast<size_t>(j)];
          int rank = wl_.rank[s_.gcode[pl][j]];
          for (int dir = -1; dir <= 1; dir += 2) {
            int r = rank + dir;
            if (r < 0 || r >= wl_.count) continue;
            int code = wl_.code_at_rank[r];
            int delta = wl_.value[code] - s_.gval[pl][j];
            double diff = 0, new_err[144];
            int k = 0;
            for (auto [i, f] : feeds) {
              s_.tsum[pl][i] += f * delta;
              if (planes_ == 1) s_.tsum[1][i] = s_.tsum[0][i];
              new_err[k] = TexelError(i);
              diff += new_err[k] - s_.te[i];
              s_.tsum[pl][i] -= f * delta;
              if (planes_ == 1) s_.tsum[1][i] = s_.tsum[0][i];
              ++k;
            }
            if (diff < -1e-12) {
              k = 0;
              for (auto [i, f] : feeds) {
                s_.tsum[pl][i] += f * delta;
                if (planes_ == 1) s_.tsum[1][i] = s_.tsum[0][i];
                s_.te[i] = new_err[k++];
              }
              s_.error += diff;
              s_.gcode[pl][j] = code;
              s_.gval[pl][j] = wl_.value[code];
              changed = true;
              break;
            }
          }
        }
      }
      if (!changed) break;
    }
  }

  const BlockTarget& t_;
  const ModeChoice& mode_;
  const GridInfo& grid_;
  int partitions_, seed_, ccs_, nc_;
  const Levels& wl_;
  const Levels& cl_;
  int color_quant_;
  int n_ = 0, planes_ = 1, points_ = 0;
  const uint8_t* part_ = nullptr;
  int radius_ = 1;  // quantisation levels tried either side of each LS endpoint

  // Everything a refinement step changes, copyable as a whole.
  struct State {
    double ef[4][4][2] = {};   // endpoints as reals (0..255), for grid fits
    int ep[4][4][2] = {};      // unquantised endpoints
    int ep_code[4][4][2] = {};
    int gcode[2][64] = {};     // grid weight codes per plane
    int gval[2][64] = {};      // their unquantised values
    int tsum[2][144] = {};     // texel weight sums before (x + 8) >> 4
    double te[144] = {};       // texel errors
    double error = std::numeric_limits<double>::infinity();
  } s_;

 public:
  bool invalid_ = false;
};

void Fit::Pack(uint8_t out[16]) const {
  Bits128 bits;
  bits.Write(0, 11, static_cast<uint32_t>(mode_.block_mode));
  bits.Write(11, 2, static_cast<uint32_t>(partitions_ - 1));
  const int cem = nc_ == 1 ? 0 : 12;
  int color_start;
  if (partitions_ == 1) {
    bits.Write(13, 4, cem);
    color_start = 17;
  } else {
    bits.Write(13, 10, static_cast<uint32_t>(seed_));
    bits.Write(23, 6, static_cast<uint32_t>(cem << 2));  // selector 0: every partition shares the mode
    color_start = 29;
  }
  if (ccs_ >= 0) bits.Write(128 - mode_.weight_bits - 2, 2, static_cast<uint32_t>(ccs_));
  uint8_t colors[18];
  int k = 0;
  for (int p = 0; p < partitions_; ++p)
    for (int c = 0; c < nc_; ++c)
      for (int e = 0; e < 2; ++e) colors[k++] = static_cast<uint8_t>(s_.ep_code[p][c][e]);
  IseEncode(bits, color_start, k, color_quant_, colors);
  uint8_t weights[64];
  for (int j = 0; j < points_; ++j)
    for (int pl = 0; pl < planes_; ++pl) weights[j * planes_ + pl] = static_cast<uint8_t>(s_.gcode[pl][j]);
  Bits128 wbits;
  IseEncode(wbits, 0, points_ * planes_, mode_.weight_quant, weights);
  Bits128 rev = wbits.Reversed();
  bits.lo |= rev.lo;
  bits.hi |= rev.hi;
  bits.Store(out);
}

// Seeds whose patterns split the block's values best (SeedScores), best first.
std::vector<int> RankSeeds(const FootprintContext& ctx, const BlockTarget& t, int count, int keep, bool simd) {
  double score[1024];
  uint8_t empty[1024];
  if (simd) {
    SeedScores(ctx, t, count, score, empty);
  } else {
    SeedScoresScalar(ctx, t, count, score, empty);
  }
  std::vector<std::pair<double, int>> scored;
  for (int seed = 0; seed < 1024; ++seed)
    if (!empty[seed]) scored.push_back({score[seed], seed});
  size_t k = std::min(scored.size(), static_cast<size_t>(keep));
  std::partial_sort(scored.begin(), scored.begin() + static_cast<std::ptrdiff_t>(k), scored.end());
  std::vector<int> out;
  for (size_t i = 0; i < k; ++i) out.push_back(scored[i].second);
  return out;
}

}  // namespace

// The score is the quantity that sets the weight step each partition must
// cover; formed here, in one place, for both ways of gathering the stats.
static void ScoreSeedRun(const SeedStats& st, int count, int channels, int first_seed, double* score_out,
                  uint8_t* empty_out) {
  for (int k = 0; k < kSeedRun; ++k) {
    bool empty = false;
    double score = 0;
    for (int p = 0; p < count; ++p) {
      const int m = st.members[p][k];
      if (m == 0) empty = true;
      for (int c = 0; c < channels && m; ++c)
        score += m * double(st.hi[p][c][k] - st.lo[p][c][k]) * double(st.hi[p][c][k] - st.lo[p][c][k]);
    }
    score_out[first_seed + k] = score;
    empty_out[first_seed + k] = empty;
  }
}

void SeedScores(const FootprintContext& ctx, const BlockTarget& t, int count, double* score, uint8_t* empty) {
  SeedStats st;
  for (int s0 = 0; s0 < 1024; s0 += kSeedRun) {
    SeedStatsSimd(ctx, t, count, s0, &st);
    ScoreSeedRun(st, count, t.channels, s0, score, empty);
  }
}

void SeedScoresScalar(const FootprintContext& ctx, const BlockTarget& t, int count, double* score,
                      uint8_t* empty) {
  const int n = ctx.texels();
  SeedStats st;
  for (int s0 = 0; s0 < 1024; s0 += kSeedRun) {
    for (int k = 0; k < kSeedRun; ++k) {
      const uint8_t* pat = ctx.Pattern(count, s0 + k);
      for (int p = 0; p < 4; ++p) {
        st.members[p][k] = 0;
        for (int c = 0; c < 4; ++c) st.lo[p][c][k] = 2, st.hi[p][c][k] = -1;
      }
      for (int i = 0; i < n; ++i) {
        if (!t.valid[i]) continue;
        const int p = pat[i];
        ++st.members[p][k];
        for (int c = 0; c < t.channels; ++c) {
          st.lo[p][c][k] = std::min(st.lo[p][c][k], t.value[i][c]);
          st.hi[p][c][k] = std::max(st.hi[p][c][k], t.value[i][c]);
        }
      }
    }
    ScoreSeedRun(st, count, t.channels, s0, score, empty);
  }
}

SearchEffort EffortForQuality(int quality, int channels) {
  SearchEffort e;
  int max_p = channels == 1 ? 4 : 2;  // RGBA: 8 values a partition, 18 at most
  if (quality < 10) {
    e = {1, 0, 1, 1, 1, false};
  } else if (quality < 40) {
    e = {2, 2, 2, 2, 2, false};
  } else if (quality < 80) {
    e = {3, 4, 10, 3, 3, channels == 4};
  } else {
    e = {4, 16, 16, 6, 12, channels == 4};
  }
  e.max_partitions = std::min(e.max_partitions, max_p);
  return e;
}

FootprintContext::FootprintContext(int block_x, int block_y) : block_x_(block_x), block_y_(block_y) {
  const int n = texels();
  int grid_index[13][13];
  for (int gy = 2; gy <= std::min(block_y, 12); ++gy) {
    for (int gx = 2; gx <= std::min(block_x, 12); ++gx) {
      grid_index[gx][gy] = -1;
      if (gx * gy > 64) continue;
      GridInfo g;
      g.grid_x = gx;
      g.grid_y = gy;
      g.infill.resize(static_cast<size_t>(n));
      ComputeInfill(block_x, block_y, gx, gy, g.infill.data());
      g.feeds.resize(static_cast<size_t>(gx * gy));
      for (int i = 0; i < n; ++i)
        for (int k = 0; k < 4; ++k)
          if (g.infill[static_cast<size_t>(i)].weight[k])
            g.feeds[g.infill[static_cast<size_t>(i)].index[k]].push_back(
                {static_cast<uint8_t>(i), g.infill[static_cast<size_t>(i)].weight[k]});
      grid_index[gx][gy] = static_cast<int>(grids_.size());
      grids_.push_back(std::move(g));
    }
  }
  for (int m = 0; m < 2048; ++m) {
    BlockMode bm;
    if (!DecodeBlockMode(m, block_x, block_y, &bm)) continue;
    // Several modes can encode the same grid and range; keep the first.
    if (EncodeBlockMode(bm.grid_x, bm.grid_y, bm.dual_plane, bm.weight_quant) != m) continue;
    ModeChoice mc;
    mc.grid = grid_index[bm.grid_x][bm.grid_y];
    mc.block_mode = m;
    mc.weight_quant = bm.weight_quant;
    mc.weight_bits = bm.weight_bits;
    mc.dual_plane = bm.dual_plane;
    modes_.push_back(mc);
  }
  modes_fine_first_.resize(modes_.size());
  for (size_t m = 0; m < modes_.size(); ++m) modes_fine_first_[m] = m;
  std::stable_sort(modes_fine_first_.begin(), modes_fine_first_.end(),
                   [&](size_t a, size_t b) { return modes_[a].weight_quant > modes_[b].weight_quant; });
  patterns_.resize(static_cast<size_t>(3 * 1024 * n));
  const bool small = IsSmallBlock(block_x, block_y);
  for (int count = 2; count <= 4; ++count)
    for (int seed = 0; seed < 1024; ++seed)
      for (int y = 0; y < block_y; ++y)
        for (int x = 0; x < block_x; ++x)
          patterns_[(static_cast<size_t>(count - 2) * 1024 + static_cast<size_t>(seed)) * static_cast<size_t>(n) +
                    static_cast<size_t>(y * block_x + x)] =
              static_cast<uint8_t>(SelectPartition(seed, x, y, count, small));
  patterns_by_texel_.resize(static_cast<size_t>(3 * 1024 * n));
  for (int count = 2; count <= 4; ++count)
    for (int seed = 0; seed < 1024; ++seed)
      for (int i = 0; i < n; ++i)
        patterns_by_texel_[(static_cast<size_t>(count - 2) * static_cast<size_t>(n) + static_cast<size_t>(i)) * 1024 +
                           static_cast<size_t>(seed)] = Pattern(count, seed)[i];
}

double EncodeBlock(const FootprintContext& ctx, const BlockTarget& target, const SearchEffort& effort,
                   uint8_t out[16]) {
  const int nc = target.channels;
  const int values_per_partition = nc == 1 ? 2 : 8;
  struct Quick {
    double error;
    int mode, partitions, seed, ccs, color_quant;
  };
  std::vector<Quick> quick;
  std::vector<int> good_grids;  // grids that did well with one partition

  // Modes worth a quick fit: for each grid and plane count, the few finest
  // weight ranges that still leave room for the colour endpoints (coarser
  // ones lose to a larger grid at the same bit cost on weight data).
  auto feasible_modes = [&](int partitions, bool only_good_grids) {
    std::vector<std::pair<int, int>> picked;  // (mode index, colour quant)
    std::vector<int> taken(ctx.grids().size() * 2, 0);
    for (size_t m : ctx.modes_fine_first()) {
      const ModeChoice& mode = ctx.modes()[m];
      if (mode.dual_plane && (!effort.try_dual_plane || nc == 1 || partitions == 4)) continue;
      if (only_good_grids && std::find(good_grids.begin(), good_grids.end(), mode.grid) == good_grids.end())
        continue;
      int avail = 128 - mode.weight_bits - (partitions == 1 ? 17 : 29) - (mode.dual_plane ? 2 : 0);
      int count = partitions * values_per_partition;
      if (count > 18 || avail <= 0) continue;
      int cq = ColorQuantForBits(count, avail);
      if (cq < 0) continue;
      int& n = taken[static_cast<size_t>(mode.grid) * 2 + mode.dual_plane];
      if (n >= effort.quants_per_grid) continue;
      ++n;
      picked.push_back({static_cast<int>(m), cq});
    }
    return picked;
  };
  auto try_modes = [&](int partitions, int seed, bool only_good_grids) {
    EndpointLines lines[5];  // per plane-2 channel, -1..3
    for (auto [m, cq] : feasible_modes(partitions, only_good_grids)) {
      const ModeChoice& mode = ctx.modes()[static_cast<size_t>(m)];
      for (int ccs = mode.dual_plane ? 0 : -1; ccs < (mode.dual_plane ? 4 : 0); ++ccs) {
        Fit fit(ctx, target, mode, partitions, seed, ccs, cq);
        fit.QuickFit(&lines[ccs + 1]);
        if (!fit.invalid_) quick.push_back({fit.error(), m, partitions, seed, ccs, cq});
      }
    }
  };

  try_modes(1, 0, false);
  {
    std::vector<Quick> sorted = quick;
    std::sort(sorted.begin(), sorted.end(), [](const Quick& a, const Quick& b) { return a.error < b.error; });
    for (const Quick& q : sorted) {
      int g = ctx.modes()[static_cast<size_t>(q.mode)].grid;
      if (std::find(good_grids.begin(), good_grids.end(), g) == good_grids.end()) good_grids.push_back(g);
      if (good_grids.size() >= 8) break;
    }
  }
  for (int partitions = 2; partitions <= effort.max_partitions; ++partitions)
    for (int seed : RankSeeds(ctx, target, partitions, effort.seeds_per_count, effort.simd))
      try_modes(partitions, seed, true);

  std::sort(quick.begin(), quick.end(), [](const Quick& a, const Quick& b) { return a.error < b.error; });
  double best = std::numeric_limits<double>::infinity();
  for (size_t k = 0; k < quick.size() && k < static_cast<size_t>(effort.refine_modes); ++k) {
    const Quick& q = quick[k];
    Fit fit(ctx, target, ctx.modes()[static_cast<size_t>(q.mode)], q.partitions, q.seed, q.ccs, q.color_quant);
    fit.QuickFit();
    fit.Refine(effort.refine_iterations);
    if (!fit.invalid_ && fit.error() < best) {
      best = fit.error();
      fit.Pack(out);
    }
  }
  return best;
}

double BlockError(const FootprintContext& ctx, const BlockTarget& target, const uint8_t block[16]) {
  // Decoding through the public single-block path keeps this check
  // independent of the encoder's own error model.
  uint16_t texels[144 * 4];
  DecodeBlockFloat16(block, ctx.block_x(), ctx.block_y(), texels);
  double e = 0;
  for (int i = 0; i < ctx.texels(); ++i) {
    if (!target.valid[i]) continue;
    for (int c = 0; c < target.channels; ++c) {
      double d = HalfToFloat(texels[4 * i + c]) - target.value[i][c];
      e += d * d;
    }
  }
  return e;
}

}  // namespace tp::astc::internal
