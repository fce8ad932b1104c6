// ASTC encoder throughput with its Highway kernels against the scalar
// reference kernels, measured in the same run (the outputs are identical,
// tested in src/astc/enc_astc_simd_test.cc), on a real weight matrix: the
// shared MNIST CNN's conv2d_2 kernel as a [288, 64] matrix at 6x6, the
// encoder's default quality 60, one thread. Compare the ratio, not the
// absolute numbers.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <random>

#include "astc/enc_astc_block.h"
#include "tensorpress/astc.h"
#include "tensorpress/model.h"

namespace {

std::string SharedDir() {
  if (const char* env = std::getenv("TP_SHARED_DIR")) return env;
  // TP_SOURCE_DIR (CMake), not __FILE__, which Ninja makes relative to the build folder.
  return (std::filesystem::path(TP_SOURCE_DIR) / ".." / "shared").string();
}

// Texels in [0, 1]: the kernel's affine map, or uniform noise if ../shared is missing.
const std::vector<float>& Texels() {
  static std::vector<float> texels = [] {
    std::vector<float> out;
    auto model = tp::ReadModel(SharedDir() + "/data/models/mnist-cnn/mnist_cnn.safetensors");
    if (model.ok())
      for (const auto& t : model->tensors)
        if (t.name() == "conv2d_2.kernel") {
          auto v = t.values<float>();
          const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
          for (float x : v) out.push_back((x - *lo) / (*hi - *lo));
        }
    if (out.empty()) {
      std::mt19937 rng(1);
      std::uniform_real_distribution<float> unit(0.0f, 1.0f);
      out.resize(288 * 64);
      for (float& x : out) x = unit(rng);
    }
    return out;
  }();
  return texels;
}

// Whole-image encode at 6x6, quality 60; arg 0: scalar kernels, 1: SIMD.
void BM_AstcEncode6x6(benchmark::State& state) {
  const std::vector<float>& texels = Texels();
  tp::astc::EncodeOptions o;
  o.quality = 60;
  o.threads = 1;
  o.simd = state.range(0) != 0;
  for (auto _ : state) {
    auto image = tp::astc::EncodeImage(texels, 64, static_cast<int>(texels.size() / 64), 1, o);
    benchmark::DoNotOptimize(image);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(texels.size()));
  state.SetLabel(o.simd ? "simd" : "scalar");
}
BENCHMARK(BM_AstcEncode6x6)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// The seed-ranking kernel alone on the image's first 6x6 blocks; args:
// (SIMD?, partition count).
void BM_AstcSeedScores6x6(benchmark::State& state) {
  const std::vector<float>& texels = Texels();
  const tp::astc::internal::FootprintContext ctx(6, 6);
  std::vector<tp::astc::internal::BlockTarget> blocks(8);
  for (size_t b = 0; b < blocks.size(); ++b) {
    blocks[b].channels = 1;
    for (int i = 0; i < 36; ++i) {
      blocks[b].valid[i] = true;
      blocks[b].value[i][0] = texels[(size_t(i / 6) * 64) + b * 6 + size_t(i % 6)];
    }
  }
  const bool simd = state.range(0) != 0;
  const int count = static_cast<int>(state.range(1));
  double score[1024];
  uint8_t empty[1024];
  size_t b = 0;
  for (auto _ : state) {
    if (simd) {
      tp::astc::internal::SeedScores(ctx, blocks[b], count, score, empty);
    } else {
      tp::astc::internal::SeedScoresScalar(ctx, blocks[b], count, score, empty);
    }
    benchmark::DoNotOptimize(score);
    b = (b + 1) % blocks.size();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetLabel(simd ? "simd (blocks/s)" : "scalar (blocks/s)");
}
BENCHMARK(BM_AstcSeedScores6x6)->ArgsProduct({{0, 1}, {2, 3}});

}  // namespace
