// The slice GEMMs against a dense 8-bit GEMM (gemmlowp, Debian's
// libgemmlowp-dev) on MiniLM's layer shapes with 128 tokens: 384x384
// (attention projections), 1536x384 (FFN up), 384x1536 (FFN down).
//
// Operands are synthetic but shaped like a transformer's: N(0,1) weights
// quantized to 7 bits per output row, N(0,1) activations quantized
// asymmetrically to 8 bits by min/max, then ZPM + DBS chosen as in
// `tensorpress slices`. Every kernel is single-threaded and computes the
// same W X (checked once before timing). BM_SliceVsGemmlowp times both in the
// same iterations and reports each throughput in multiply-accumulates per
// second (of the dense M K N product) and their ratio.
#include <benchmark/benchmark.h>
#include <gemmlowp/public/gemmlowp.h>

#include <chrono>
#include <random>

#include "tensorpress/gemm.h"
#include "tensorpress/quant.h"

namespace {

struct Problem {
  int m, k, n;
  std::vector<int32_t> w;        // M x K, 7-bit
  std::vector<uint8_t> x;        // K x N codes
  std::vector<uint8_t> w_u8;     // W + 128, for gemmlowp
  std::vector<uint8_t> x_dbs;    // DBS-rounded codes (what the slice GEMM multiplies)
  tp::SliceGemmOperand wo, xo;
  std::vector<int32_t> bias;
};

Problem MakeProblem(int m, int k, int n) {
  Problem p;
  p.m = m, p.k = k, p.n = n;
  std::mt19937 rng(m * 131 + k);
  std::normal_distribution<float> g(0, 1);
  std::vector<float> wf(size_t(m) * k), xf(size_t(k) * n);
  for (auto& v : wf) v = g(rng);
  for (auto& v : xf) v = g(rng);
  auto wt = *tp::Tensor::FromValues<float>("w", tp::DType::kF32, {m, k}, wf);
  auto wq = *tp::QuantizeWeightsSymmetric(wt, {.bits = 7, .channel_axis = 0});
  p.w.assign(wq.values<int8_t>().begin(), wq.values<int8_t>().end());
  const tp::QuantParams qp = tp::AsymmetricU8Params(*tp::CalibrateRange(xf, {}));
  std::vector<uint8_t> codes(xf.size());
  tp::QuantizeU8(xf, qp.scale[0], int(qp.zero_point[0]), codes);
  const int lo_bits = tp::ChooseDbsWidth(codes).lo_bits;
  const int z = tp::ManipulatedZeroPoint(int(qp.zero_point[0]), lo_bits);
  p.x.resize(xf.size());
  tp::QuantizeU8(xf, qp.scale[0], z, p.x);
  p.x_dbs.resize(p.x.size());
  for (size_t i = 0; i < p.x.size(); ++i)
    p.x_dbs[i] = uint8_t(tp::ActJoin(tp::ActHighSlice(p.x[i], lo_bits), tp::ActLowSlice(p.x[i], lo_bits), lo_bits));
  for (int32_t v : p.w) p.w_u8.push_back(uint8_t(v + 128));
  p.wo = tp::PrepareSliceOperand(*tp::SliceWeightsSbr(p.w, m, k, 7));
  p.xo = tp::PrepareSliceOperand(*tp::SliceActivationsUnsigned(p.x, k, n, z, lo_bits));
  p.bias = tp::CompensationBias(p.wo, p.xo);
  return p;
}

void Gemmlowp(gemmlowp::GemmContext& ctx, const Problem& p, std::vector<int32_t>& y) {
  gemmlowp::MatrixMap<const uint8_t, gemmlowp::MapOrder::RowMajor> lhs(p.w_u8.data(), p.m, p.k);
  gemmlowp::MatrixMap<const uint8_t, gemmlowp::MapOrder::RowMajor> rhs(p.x_dbs.data(), p.k, p.n);
  gemmlowp::MatrixMap<int32_t, gemmlowp::MapOrder::RowMajor> out(y.data(), p.m, p.n);
  gemmlowp::GemmWithOutputPipeline<uint8_t, int32_t, gemmlowp::DefaultL8R8BitDepthParams>(
      &ctx, lhs, rhs, &out, -128, 0, std::make_tuple());
}

const Problem& Shape(int index) {
  static const Problem problems[] = {MakeProblem(384, 384, 128), MakeProblem(1536, 384, 128),
                                     MakeProblem(384, 1536, 128)};
  return problems[index];
}

double Macs(const Problem& p) { return double(p.m) * p.k * p.n; }

void SetLabel(benchmark::State& state, const Problem& p) {
  state.SetLabel(std::to_string(p.m) + "x" + std::to_string(p.k) + "x" + std::to_string(p.n));
}

bool CheckSame(benchmark::State& state, const Problem& p) {
  gemmlowp::GemmContext ctx;
  ctx.set_max_num_threads(1);
  std::vector<int32_t> a(size_t(p.m) * p.n), b(a.size()), c(a.size());
  Gemmlowp(ctx, p, a);
  (void)tp::SliceGemmSimd(p.wo, p.xo, p.bias, b);
  (void)tp::SliceGemmScalar(p.wo, p.xo, p.bias, c);
  if (a != b || a != c) {
    state.SkipWithError("kernels disagree");
    return false;
  }
  return true;
}

void BM_Gemmlowp(benchmark::State& state) {
  const Problem& p = Shape(int(state.range(0)));
  gemmlowp::GemmContext ctx;
  ctx.set_max_num_threads(1);
  std::vector<int32_t> y(size_t(p.m) * p.n);
  for (auto _ : state) {
    Gemmlowp(ctx, p, y);
    benchmark::DoNotOptimize(y.data());
  }
  SetLabel(state, p);
  state.counters["MAC/s"] = benchmark::Counter(Macs(p) * double(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_SliceGemmSimd(benchmark::State& state) {
  const Problem& p = Shape(int(state.range(0)));
  std::vector<int32_t> y(size_t(p.m) * p.n);
  for (auto _ : state) {
    (void)tp::SliceGemmSimd(p.wo, p.xo, p.bias, y);
    benchmark::DoNotOptimize(y.data());
  }
  SetLabel(state, p);
  state.counters["MAC/s"] = benchmark::Counter(Macs(p) * double(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_SliceGemmScalar(benchmark::State& state) {
  const Problem& p = Shape(int(state.range(0)));
  std::vector<int32_t> y(size_t(p.m) * p.n);
  for (auto _ : state) {
    (void)tp::SliceGemmScalar(p.wo, p.xo, p.bias, y);
    benchmark::DoNotOptimize(y.data());
  }
  SetLabel(state, p);
  state.counters["MAC/s"] = benchmark::Counter(Macs(p) * double(state.iterations()), benchmark::Counter::kIsRate);
}

// Both kernels in the same iterations: throughputs and their ratio from one run.
void BM_SliceVsGemmlowp(benchmark::State& state) {
  const Problem& p = Shape(int(state.range(0)));
  if (!CheckSame(state, p)) return;
  gemmlowp::GemmContext ctx;
  ctx.set_max_num_threads(1);
  std::vector<int32_t> y(size_t(p.m) * p.n);
  double slice_s = 0, dense_s = 0;
  for (auto _ : state) {
    auto t0 = std::chrono::steady_clock::now();
    (void)tp::SliceGemmSimd(p.wo, p.xo, p.bias, y);
    benchmark::DoNotOptimize(y.data());
    auto t1 = std::chrono::steady_clock::now();
    Gemmlowp(ctx, p, y);
    benchmark::DoNotOptimize(y.data());
    auto t2 = std::chrono::steady_clock::now();
    slice_s += std::chrono::duration<double>(t1 - t0).count();
    dense_s += std::chrono::duration<double>(t2 - t1).count();
    state.SetIterationTime(std::chrono::duration<double>(t2 - t0).count());
  }
  const double n = double(state.iterations());
  const tp::SliceGemmCounters c = tp::CountSliceGemm(p.wo, p.xo);
  SetLabel(state, p);
  state.counters["slice_GMAC/s"] = Macs(p) * n / slice_s / 1e9;
  state.counters["gemmlowp_GMAC/s"] = Macs(p) * n / dense_s / 1e9;
  state.counters["slice/gemmlowp"] = dense_s / slice_s;
  state.counters["mac_reduction"] = c.mac_reduction();
  state.counters["x_ho_vec_sparsity"] = c.activations.ho_vector_sparsity;
  state.counters["w_ho_vec_sparsity"] = c.weights.ho_vector_sparsity;
}

BENCHMARK(BM_Gemmlowp)->DenseRange(0, 2)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SliceGemmSimd)->DenseRange(0, 2)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SliceGemmScalar)->DenseRange(0, 2)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SliceVsGemmlowp)->DenseRange(0, 2)->UseManualTime()->Unit(benchmark::kMillisecond);

}  // namespace
