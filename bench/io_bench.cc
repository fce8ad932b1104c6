// Throughput of reading a model and computing inspect's statistics, with a
// plain summation over the same bytes as the peer in the same run (the ratio
// says what the statistics cost over touching the data once).
#include <benchmark/benchmark.h>

#include <numeric>

#include "tensorpress/model.h"
#include "tensorpress/stats.h"

namespace {

const char* kModel = TP_SOURCE_DIR "/../shared/data/models/mnist-cnn/mnist_cnn.safetensors";

void BM_ReadModel(benchmark::State& state) {
  for (auto _ : state) {
    auto model = tp::ReadModel(kModel);
    if (!model.ok()) state.SkipWithError(model.status().message().c_str());
    benchmark::DoNotOptimize(model);
  }
}
BENCHMARK(BM_ReadModel);

void BM_ComputeStats(benchmark::State& state) {
  auto model = tp::ReadModel(kModel);
  if (!model.ok()) return state.SkipWithError(model.status().message().c_str());
  uint64_t bytes = 0;
  for (auto _ : state)
    for (const auto& t : model->tensors) {
      benchmark::DoNotOptimize(tp::ComputeStats(t));
      bytes += t.nbytes();
    }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_ComputeStats);

void BM_SumFloatsPeer(benchmark::State& state) {
  auto model = tp::ReadModel(kModel);
  if (!model.ok()) return state.SkipWithError(model.status().message().c_str());
  uint64_t bytes = 0;
  for (auto _ : state)
    for (const auto& t : model->tensors) {
      auto v = t.values<float>();
      benchmark::DoNotOptimize(std::accumulate(v.begin(), v.end(), 0.0));
      bytes += t.nbytes();
    }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_SumFloatsPeer);

}  // namespace
