// Sparse GEMMs (CSR, EIE-style CSC, 4x4 block-sparse, N:M) against dense
// GEMMs on the shared models' layer shapes: the project's own dense kernel
// (the same Highway row loop over every k, src/kernels) and, for int8,
// gemmlowp. Weights are the real layers, magnitude-pruned by
// tp::sparse::PruneTensor to the benchmark's sparsity (element-wise for
// CSR/CSC, 4x4 blocks for BSR, N:M for N:M) and, for int8, quantized
// symmetrically per tensor. Activations are synthetic and dense (N(0,1) or
// uniform int8), so CSC skips no input.
//
// Each iteration runs sparse, dense and (int8) gemmlowp back to back (A B C
// A B C ...) and the counters are medians over iterations, so a noisy
// machine slows all of them alike. `dense/sparse` > 1 means the sparse kernel
// is faster; scripts/sparsity-table interpolates the break-even sparsity.
// Single-threaded; every result is checked against the dense one first.
#include <benchmark/benchmark.h>
#include <gemmlowp/public/gemmlowp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <random>

#include "tensorpress/model.h"
#include "tensorpress/sparse.h"

namespace {

using tp::sparse::KernelPath;

struct Shape {
  const char* name;
  const char* model;   // under ../shared/data/models
  const char* tensor;
  int n;               // tokens / pixels per GEMM
};
// M x K from the weight; N: MNIST dense_1 sees a batch of 64 digits, conv2d_2
// one image's 24x24 output pixels, stories260K 512 tokens (4 x 128).
const Shape kShapes[] = {
    {"mnist.dense_1", "mnist-cnn/mnist_cnn.safetensors", "dense_1.kernel", 64},
    {"mnist.conv2d_2", "mnist-cnn/mnist_cnn.safetensors", "conv2d_2.kernel", 576},
    {"stories.w1", "stories260k/stories260K.bin", "layers.0.feed_forward.w1.weight", 512},
    {"stories.w2", "stories260k/stories260K.bin", "layers.0.feed_forward.w2.weight", 512},
};

enum Format { kCsr, kCsc, kBlock, kNm };
const char* kFormatNames[] = {"csr", "csc_eie", "block4x4", "nm"};

// N:M patterns by the sparsity they give.
std::pair<int, int> NmFor(int sparsity_pct) {
  switch (sparsity_pct) {
    case 50: return {2, 4};
    case 75: return {1, 4};
    case 88: return {1, 8};
    default: return {1, 16};
  }
}

template <typename T>
struct Problem {
  int m = 0, k = 0, n = 0;
  std::vector<T> w, x;
  double sparsity = 0;
  tp::sparse::CompressedMatrix<T> csr, csc;
  tp::sparse::BlockMatrix<T> block;
  tp::sparse::NmMatrix<T> nm;
  std::vector<uint8_t> w_u8, x_u8;  // +128, for gemmlowp
};

const tp::Model& SharedModel(const std::string& rel) {
  static std::map<std::string, tp::Model> cache;
  auto it = cache.find(rel);
  if (it == cache.end()) {
    auto m = tp::ReadModel(std::string(TP_SOURCE_DIR) + "/../shared/data/models/" + rel);
    if (!m.ok()) {
      fprintf(stderr, "sparse_gemm_bench: %s\n", m.status().message().c_str());
      std::exit(1);
    }
    it = cache.emplace(rel, std::move(*m)).first;
  }
  return it->second;
}

template <typename T>
const Problem<T>& GetProblem(int shape, Format format, int sparsity_pct) {
  static std::map<std::tuple<int, int, int>, Problem<T>> cache;
  auto key = std::make_tuple(shape, int(format), sparsity_pct);
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  const Shape& s = kShapes[shape];
  const tp::Model& model = SharedModel(s.model);
  const tp::Tensor* t = nullptr;
  for (const auto& x : model.tensors)
    if (x.name() == s.tensor) t = &x;
  if (!t) std::exit(1);
  const auto layout = tp::sparse::GuessLayout(t->name());
  tp::sparse::PruneOptions o;
  o.sparsity = sparsity_pct / 100.0;
  if (format == kBlock) o.granularity = tp::sparse::Granularity::kBlock;
  if (format == kNm) {
    o.granularity = tp::sparse::Granularity::kNM;
    std::tie(o.n, o.m) = NmFor(sparsity_pct);
  }
  auto pruned = tp::sparse::PruneTensor(*t, layout, o);
  auto mat = tp::sparse::MatrixOf(t->shape(), layout);
  if (!pruned.ok() || !mat.ok()) std::exit(1);
  Problem<T>& p = cache[key];
  p.m = int(mat->rows), p.k = int(mat->cols), p.n = s.n;
  p.sparsity = pruned->report.sparsity();
  const auto v = pruned->tensor.values<float>();
  float maxabs = 0;
  for (float f : v) maxabs = std::max(maxabs, std::fabs(f));
  p.w.resize(size_t(p.m) * p.k);
  for (int o2 = 0; o2 < p.m; ++o2)
    for (int k = 0; k < p.k; ++k) {
      const float f = v[mat->Index(o2, k)];
      if constexpr (std::is_same_v<T, float>) p.w[size_t(o2) * p.k + k] = f;
      else p.w[size_t(o2) * p.k + k] = int8_t(std::lround(f / maxabs * 127));
    }
  std::mt19937 rng(shape * 7 + sparsity_pct);
  p.x.resize(size_t(p.k) * p.n);
  for (auto& e : p.x) {
    if constexpr (std::is_same_v<T, float>) e = std::normal_distribution<float>(0, 1)(rng);
    else e = int8_t(int(rng() % 255) - 127);
  }
  switch (format) {
    case kCsr: p.csr = tp::sparse::Compress<T>(p.w, p.m, p.k, true); break;
    case kCsc: p.csc = tp::sparse::Compress<T>(p.w, p.m, p.k, false); break;
    case kBlock: p.block = tp::sparse::CompressBlocks<T>(p.w, p.m, p.k, 4, 4); break;
    case kNm: p.nm = *tp::sparse::CompressNm<T>(p.w, p.m, p.k, o.n, o.m); break;
  }
  if constexpr (std::is_same_v<T, int8_t>) {
    for (int8_t q : p.w) p.w_u8.push_back(uint8_t(q + 128));
    for (int8_t q : p.x) p.x_u8.push_back(uint8_t(q + 128));
  }
  return p;
}

template <typename T>
void RunSparse(const Problem<T>& p, Format f, std::vector<tp::sparse::Acc<T>>& y) {
  switch (f) {
    case kCsr: (void)tp::sparse::CsrGemm<T>(p.csr, p.x, p.n, y); break;
    case kCsc: (void)tp::sparse::CscGemm<T>(p.csc, p.x, p.n, y); break;
    case kBlock: (void)tp::sparse::BlockGemm<T>(p.block, p.x, p.n, y); break;
    case kNm: (void)tp::sparse::NmGemm<T>(p.nm, p.x, p.n, y); break;
  }
}

void Gemmlowp(gemmlowp::GemmContext& ctx, const Problem<int8_t>& p, std::vector<int32_t>& y) {
  gemmlowp::MatrixMap<const uint8_t, gemmlowp::MapOrder::RowMajor> lhs(p.w_u8.data(), p.m, p.k);
  gemmlowp::MatrixMap<const uint8_t, gemmlowp::MapOrder::RowMajor> rhs(p.x_u8.data(), p.k, p.n);
  gemmlowp::MatrixMap<int32_t, gemmlowp::MapOrder::RowMajor> out(y.data(), p.m, p.n);
  gemmlowp::GemmWithOutputPipeline<uint8_t, int32_t, gemmlowp::DefaultL8R8BitDepthParams>(
      &ctx, lhs, rhs, &out, -128, -128, std::make_tuple());
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

template <typename T>
void BM_SparseVsDense(benchmark::State& state) {
  const int shape = int(state.range(0)), pct = int(state.range(2));
  const Format f = Format(state.range(1));
  const Problem<T>& p = GetProblem<T>(shape, f, pct);
  std::vector<tp::sparse::Acc<T>> ys(size_t(p.m) * p.n), yd(ys.size()), yg(ys.size());
  gemmlowp::GemmContext ctx;
  ctx.set_max_num_threads(1);
  RunSparse(p, f, ys);
  (void)tp::sparse::DenseGemm<T>(p.w, p.x, p.m, p.k, p.n, yd);
  if (ys != yd) return state.SkipWithError("sparse and dense results differ");
  if constexpr (std::is_same_v<T, int8_t>) {
    Gemmlowp(ctx, p, yg);
    if (yg != yd) return state.SkipWithError("gemmlowp differs");
  }
  std::vector<double> ts, td, tg;
  for (auto _ : state) {
    auto t0 = std::chrono::steady_clock::now();
    RunSparse(p, f, ys);
    benchmark::DoNotOptimize(ys.data());
    auto t1 = std::chrono::steady_clock::now();
    (void)tp::sparse::DenseGemm<T>(p.w, p.x, p.m, p.k, p.n, yd);
    benchmark::DoNotOptimize(yd.data());
    auto t2 = std::chrono::steady_clock::now();
    if constexpr (std::is_same_v<T, int8_t>) {
      Gemmlowp(ctx, p, yg);
      benchmark::DoNotOptimize(yg.data());
    }
    auto t3 = std::chrono::steady_clock::now();
    ts.push_back(std::chrono::duration<double>(t1 - t0).count());
    td.push_back(std::chrono::duration<double>(t2 - t1).count());
    tg.push_back(std::chrono::duration<double>(t3 - t2).count());
    state.SetIterationTime(std::chrono::duration<double>(t3 - t0).count());
  }
  const double macs = double(p.m) * p.k * p.n;
  state.SetLabel(std::string(kShapes[shape].name) + " " + std::to_string(p.m) + "x" + std::to_string(p.k) + "x" +
                 std::to_string(p.n) + " " + kFormatNames[f] + (std::is_same_v<T, float> ? " f32" : " int8"));
  state.counters["sparsity"] = p.sparsity;
  state.counters["sparse_ms"] = 1e3 * Median(ts);
  state.counters["dense_ms"] = 1e3 * Median(td);
  state.counters["dense/sparse"] = Median(td) / Median(ts);
  state.counters["dense_GMAC/s"] = macs / Median(td) / 1e9;
  if constexpr (std::is_same_v<T, int8_t>) {
    state.counters["gemmlowp_ms"] = 1e3 * Median(tg);
    state.counters["gemmlowp/sparse"] = Median(tg) / Median(ts);
  }
}

void Args(benchmark::internal::Benchmark* b) {
  for (int shape = 0; shape < int(std::size(kShapes)); ++shape) {
    for (int f : {kCsr, kCsc, kBlock})
      for (int pct : {50, 70, 80, 90, 95}) b->Args({shape, f, pct});
    for (int pct : {50, 75, 88, 94}) b->Args({shape, kNm, pct});
  }
}

BENCHMARK(BM_SparseVsDense<float>)->Apply(Args)->Iterations(11)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SparseVsDense<int8_t>)->Apply(Args)->Iterations(11)->UseManualTime()->Unit(benchmark::kMillisecond);

}  // namespace
