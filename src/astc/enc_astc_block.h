// Internal: the ASTC block encoder. One FootprintContext per footprint holds
// the tables every block of an image shares (weight grids, infill, partition
// patterns); EncodeBlock searches modes for one block's texels.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "astc/astc_internal.h"

namespace tp::astc::internal {

// A weight grid the footprint admits and its infill, inverted so that the
// encoder can see which texels each grid point feeds.
struct GridInfo {
  int grid_x = 0, grid_y = 0;
  std::vector<InfillTexel> infill;                   // per texel
  std::vector<std::vector<std::pair<uint8_t, uint8_t>>> feeds;  // per grid point: (texel, factor)
};

// A block mode the encoder may choose: grid, weight range, planes.
struct ModeChoice {
  int grid = 0;  // index into FootprintContext::grids
  int block_mode = 0;
  int weight_quant = 0;
  int weight_bits = 0;
  bool dual_plane = false;
};

struct SearchEffort {
  int max_partitions = 1;
  int seeds_per_count = 0;    // partition seeds tried per partition count
  int refine_modes = 1;       // modes refined fully after the quick pass
  int refine_iterations = 2;  // endpoint/weight alternations for refined modes
  int quants_per_grid = 3;    // finest weight ranges tried per weight grid
  bool try_dual_plane = false;
  bool simd = true;           // false: the scalar reference kernels (same output)
};
SearchEffort EffortForQuality(int quality, int channels);

class FootprintContext {
 public:
  FootprintContext(int block_x, int block_y);
  int block_x() const { return block_x_; }
  int block_y() const { return block_y_; }
  int texels() const { return block_x_ * block_y_; }
  const std::vector<GridInfo>& grids() const { return grids_; }
  const std::vector<ModeChoice>& modes() const { return modes_; }
  // Indices into modes(), finest weight range first.
  const std::vector<size_t>& modes_fine_first() const { return modes_fine_first_; }
  // Partition of each texel for `count` partitions (2..4) and a seed.
  const uint8_t* Pattern(int count, int seed) const {
    return patterns_.data() + (static_cast<size_t>(count - 2) * 1024 + static_cast<size_t>(seed)) * texels();
  }
  // The same patterns texel-major: the partitions of texel `texel` for
  // seeds 0..1023 (what the seed-ranking kernel loads, seeds in lanes).
  const uint8_t* PatternsOfTexel(int count, int texel) const {
    return patterns_by_texel_.data() + (static_cast<size_t>(count - 2) * static_cast<size_t>(texels()) +
                                        static_cast<size_t>(texel)) * 1024;
  }

 private:
  int block_x_, block_y_;
  std::vector<GridInfo> grids_;
  std::vector<ModeChoice> modes_;
  std::vector<size_t> modes_fine_first_;
  std::vector<uint8_t> patterns_;
  std::vector<uint8_t> patterns_by_texel_;
};

// One block's texels: `channels` (1 or 4) values in [0, 1] per texel; texels
// outside the image are marked invalid and cost nothing.
struct BlockTarget {
  int channels = 1;
  float value[144][4];
  bool valid[144];
};

// How well each of the 1024 seeds of `count` (2..4) partitions splits the
// block: the sum over partitions of member count times each channel's
// squared value range (lower is better; `score[seed]`), and whether one of
// its partitions holds no valid texel (`empty[seed]`, score then unused).
// SeedScores gathers each seed's per-partition minimum, maximum and member
// count with the Highway kernel (SeedStatsSimd: min/max and integer counts
// only, so order-independent) and SeedScoresScalar with plain loops; both
// then form the scores with the same baseline-compiled code, so the two are
// bit-identical (tested) whatever the SIMD target contracts into FMAs.
void SeedScores(const FootprintContext& ctx, const BlockTarget& target, int count, double* score, uint8_t* empty);
void SeedScoresScalar(const FootprintContext& ctx, const BlockTarget& target, int count, double* score,
                      uint8_t* empty);

// Per seed of a run of kSeedRun seeds: per partition and channel the
// minimum (2 when no member) and maximum (-1), and the member count.
inline constexpr int kSeedRun = 64;
struct SeedStats {
  float lo[4][4][kSeedRun], hi[4][4][kSeedRun];
  int members[4][kSeedRun];
};
void SeedStatsSimd(const FootprintContext& ctx, const BlockTarget& target, int count, int first_seed,
                   SeedStats* stats);

// Encodes one block; returns the squared error (sum over valid texels and
// the channels that carry data) the encoder predicts for the decoded block.
double EncodeBlock(const FootprintContext& ctx, const BlockTarget& target, const SearchEffort& effort,
                   uint8_t out[16]);

// Squared error of the decode_float16 output of `block` against `target`.
double BlockError(const FootprintContext& ctx, const BlockTarget& target, const uint8_t block[16]);

}  // namespace tp::astc::internal
