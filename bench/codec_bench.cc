// Lossless codec throughput on real int8 weights (the shared MNIST CNN's
// dense_1 kernel, 1.18 M values, quantized per output channel), every codec
// measured in the same program so the numbers compare as ratios. The
// entropy coders alone are measured too, on the same symbols.
#include <benchmark/benchmark.h>

#include <time.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>

#include "entropy/dec_arith.h"
#include "codec/dec_rans_simd.h"
#include "codec/profiler.h"
#include "codec/profiler_simd.h"
#include "entropy/dec_rans.h"
#include "entropy/dec_rans_byte.h"
#include "entropy/enc_arith.h"
#include "entropy/enc_rans.h"
#include "entropy/enc_rans_fast.h"
#include "entropy/frequency.h"
#include "tensorpress/codec.h"
#include "tensorpress/model.h"

namespace {

// ../shared beside the source tree (or $TP_SHARED_DIR). From TP_SOURCE_DIR
// (set by CMake), not __FILE__: under Ninja __FILE__ is relative to the
// build folder, so a run from anywhere else silently fell back to the
// stand-in below.
std::string SharedDir() {
  if (const char* env = std::getenv("TP_SHARED_DIR")) return env;
  return (std::filesystem::path(TP_SOURCE_DIR) / ".." / "shared").string();
}

struct Data {
  tp::TensorCodes codes;
  tp::CodecOptions options;
};

// The real tensor when ../shared is there; otherwise a Laplacian stand-in.
const Data& Weights() {
  static Data d = [] {
    Data out;
    auto model = tp::ReadModel(SharedDir() + "/data/models/mnist-cnn/mnist_cnn.safetensors");
    if (model.ok())
      for (const auto& t : model->tensors)
        if (t.name() == "dense_1.kernel") {
          tp::PrepareOptions p;
          p.quantize_int8 = true;
          p.keras_safetensors = true;
          auto c = tp::PrepareCodes(t, p);
          if (c.ok()) out.codes = std::move(*c);
        }
    if (out.codes.codes.empty()) {
      std::mt19937 rng(1);
      std::geometric_distribution<int> geo(0.05);
      out.codes.codes.resize(1 << 20);
      for (auto& c : out.codes.codes) c = static_cast<uint8_t>(128 + ((rng() & 1) ? 1 : -1) * std::min(geo(rng), 127));
      out.codes.signed_codes = true;
      out.codes.zero_code = 128;
    }
    out.options = tp::DefaultCodecOptions();
    out.options.signed_codes = out.codes.signed_codes;
    out.options.zero_code = out.codes.zero_code;
    out.options.rows = out.codes.rows;
    return out;
  }();
  return d;
}

void BM_Encode(benchmark::State& state, tp::Codec codec) {
  const Data& d = Weights();
  for (auto _ : state) {
    auto e = tp::EncodeCodes(codec, d.codes.codes, d.options);
    benchmark::DoNotOptimize(e);
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(d.codes.codes.size()));
}

void BM_Decode(benchmark::State& state, tp::Codec codec) {
  const Data& d = Weights();
  auto e = tp::EncodeCodes(codec, d.codes.codes, d.options);
  std::vector<uint8_t> out(d.codes.codes.size());
  for (auto _ : state) {
    if (!tp::DecodeCodes(e->bytes, out).ok()) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(d.codes.codes.size()));
  state.counters["ratio"] = double(d.codes.codes.size()) / double(e->bytes.size());
}

// atalanta-rans through its portable scalar loop, to show what the AVX2 one buys.
void BM_DecodeRansScalar(benchmark::State& state) {
  tp::codec::SetRansSimdEnabledForTesting(false);
  BM_Decode(state, tp::Codec::kAtalantaRans);
  tp::codec::SetRansSimdEnabledForTesting(true);
}

// The entropy coders alone on Atalanta's range symbols of the same tensor.
struct Symbols {
  std::vector<uint8_t> symbols;
  std::vector<uint32_t> freqs;
};
const Symbols& RangeSymbols() {
  static Symbols s = [] {
    const Data& d = Weights();
    auto table = tp::ProfileAtalanta(d.codes.codes, d.options);
    Symbols out;
    out.freqs = table->frequency;
    std::vector<uint8_t> symbol_of(256);
    for (size_t r = 0; r < table->range_start.size(); ++r)
      for (int v = table->range_start[r]; v < 256; ++v) symbol_of[v] = static_cast<uint8_t>(r);
    for (uint8_t c : d.codes.codes) out.symbols.push_back(symbol_of[c]);
    return out;
  }();
  return s;
}

void BM_RansDecodeSymbols(benchmark::State& state) {
  const Symbols& s = RangeSymbols();
  auto enc = tp::entropy::RansEncode(s.symbols, s.freqs, 10);
  auto table = tp::entropy::BuildRansDecodeTable(s.freqs, 10);
  std::vector<uint8_t> out(s.symbols.size());
  for (auto _ : state) {
    if (!tp::entropy::RansDecode(*enc, *table, out).ok()) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(out.size()));
}

void BM_ArithDecodeSymbols(benchmark::State& state) {
  const Symbols& s = RangeSymbols();
  tp::entropy::ArithConfig cfg{16, 10};
  auto enc = tp::entropy::ArithEncode(s.symbols, s.freqs, cfg);
  auto table = tp::entropy::BuildDecodeTable(s.freqs, 10);
  std::vector<uint8_t> out(s.symbols.size());
  for (auto _ : state) {
    if (!tp::entropy::ArithDecode(*enc, *table, cfg, out).ok()) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(out.size()));
}

// ---- Interleaved rounds ----
// The machine is shared and noisy, so codecs timed one after another compare
// badly: these benchmarks time every codec once per round, rotating the
// order, and report each codec's median MB/s over the rounds (counters
// "<codec>_MB/s", and "<codec>_spread" = (highest - lowest) / median) and
// the median of its per-round ratio to zstd-3 ("<codec>_vs_zstd3").

double CpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

// The dense_1 kernel's bf16 planes: exponent (8 bits) and sign | 7 mantissa bits.
const std::vector<std::vector<uint8_t>>& Bf16Planes() {
  static std::vector<std::vector<uint8_t>> planes = [] {
    std::vector<std::vector<uint8_t>> out(2);
    auto model = tp::ReadModel(SharedDir() + "/data/models/mnist-cnn/mnist_cnn.safetensors");
    if (!model.ok()) return out;
    for (const auto& t : model->tensors) {
      if (t.name() != "dense_1.kernel") continue;
      const size_t n = t.bytes().size() / 4;
      for (size_t i = 0; i < n; ++i) {
        uint16_t b;
        std::memcpy(&b, t.bytes().data() + 4 * i + 2, 2);
        out[0].push_back(static_cast<uint8_t>(b >> 7));
        out[1].push_back(static_cast<uint8_t>((b & 0x7f) | (b >> 15) << 7));
      }
    }
    return out;
  }();
  return planes;
}

void Interleaved(benchmark::State& state, bool decode, bool float_planes) {
  const std::vector<tp::Codec> codecs = {tp::Codec::kRans, tp::Codec::kAtalantaRans, tp::Codec::kHuffman,
                                         tp::Codec::kZstd3, tp::Codec::kLz4};
  std::vector<std::pair<std::vector<uint8_t>, tp::CodecOptions>> inputs;
  if (float_planes) {
    for (const auto& p : Bf16Planes()) inputs.push_back({p, tp::DefaultCodecOptions()});
  } else {
    inputs.push_back({Weights().codes.codes, Weights().options});
  }
  uint64_t total = 0;
  for (auto& in : inputs) {
    in.second.chunk_values = 1u << 20;  // the container's chunk size
    total += in.first.size();
  }
  if (total == 0) {
    state.SkipWithError("shared model not found");
    return;
  }
  std::vector<std::vector<std::vector<uint8_t>>> streams(codecs.size());
  for (size_t c = 0; c < codecs.size(); ++c)
    for (const auto& in : inputs) streams[c].push_back(tp::EncodeCodes(codecs[c], in.first, in.second)->bytes);
  std::vector<std::vector<double>> mb_s(codecs.size());
  std::vector<uint8_t> out;
  int round = 0;
  for (auto _ : state) {
    for (size_t k = 0; k < codecs.size(); ++k) {
      const size_t c = (k + size_t(round)) % codecs.size();
      const double start = CpuSeconds();
      int runs = 0;
      do {
        for (size_t i = 0; i < inputs.size(); ++i) {
          if (decode) {
            out.resize(inputs[i].first.size());
            if (!tp::DecodeCodes(streams[c][i], out).ok()) state.SkipWithError("decode failed");
          } else {
            benchmark::DoNotOptimize(tp::EncodeCodes(codecs[c], inputs[i].first, inputs[i].second));
          }
        }
        ++runs;
      } while (CpuSeconds() - start < 0.02);
      mb_s[c].push_back(double(total) * runs / (CpuSeconds() - start) / 1e6);
    }
    ++round;
  }
  const size_t zstd = 3;
  for (size_t c = 0; c < codecs.size(); ++c) {
    std::string name(tp::CodecName(codecs[c]));
    const double median = Median(mb_s[c]);
    state.counters[name + "_MB/s"] = median;
    state.counters[name + "_spread"] =
        (*std::max_element(mb_s[c].begin(), mb_s[c].end()) - *std::min_element(mb_s[c].begin(), mb_s[c].end())) / median;
    std::vector<double> ratio;
    for (size_t r = 0; r < mb_s[c].size(); ++r) ratio.push_back(mb_s[c][r] / mb_s[zstd][r]);
    if (c != zstd) state.counters[name + "_vs_zstd3"] = Median(ratio);
  }
}

// The order-0 rANS decoder's kernels alone on the same int8 codes, so that
// what each SIMD path buys shows.
void BM_RansByteKernel(benchmark::State& state, tp::entropy::RansByteKernel kernel) {
  bool supported = false;
  for (auto k : tp::entropy::SupportedRansByteKernels()) supported = supported || k == kernel;
  if (!supported) {
    state.SkipWithError("kernel not supported on this CPU");
    return;
  }
  const auto& codes = Weights().codes.codes;
  std::vector<uint64_t> hist(256, 0);
  for (uint8_t c : codes) ++hist[c];
  auto freqs = tp::entropy::NormalizeFrequencies(hist, 12);
  tp::CodecOptions o;
  o.chunk_values = 1u << 30;
  auto e = tp::EncodeCodes(tp::Codec::kRans, codes, o);
  tp::entropy::RansByteTable table;
  if (!tp::entropy::BuildRansByteTable(*freqs, 12, &table).ok()) state.SkipWithError("table");
  auto enc = tp::entropy::RansEncode(codes, *freqs, 12);
  std::vector<uint8_t> out(codes.size());
  for (auto _ : state) {
    if (!tp::entropy::DecodeRansBytes(*enc, table, out, kernel).ok()) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(out.size()));
}

// The rANS decoder kernels in interleaved rounds on the same stream (the
// figures behind the kernel choice in entropy/dec_rans_byte_x86.cc):
// counters "<kernel>_MB/s" (medians) and "<kernel>_vs_scalar".
void BM_RansByteKernelsInterleaved(benchmark::State& state) {
  const auto& codes = Weights().codes.codes;
  std::vector<uint64_t> hist(256, 0);
  for (uint8_t c : codes) ++hist[c];
  auto freqs = tp::entropy::NormalizeFrequencies(hist, 12);
  tp::entropy::RansByteTable table;
  if (!freqs.ok() || !tp::entropy::BuildRansByteTable(*freqs, 12, &table).ok()) {
    state.SkipWithError("table");
    return;
  }
  auto enc = tp::entropy::RansEncode(codes, *freqs, 12);
  const auto kernels = tp::entropy::SupportedRansByteKernels();
  std::vector<std::vector<double>> mb_s(kernels.size());
  std::vector<uint8_t> out(codes.size());
  size_t round = 0;
  for (auto _ : state) {
    for (size_t k = 0; k < kernels.size(); ++k) {
      const size_t i = (k + round) % kernels.size();
      const double start = CpuSeconds();
      int runs = 0;
      do {
        if (!tp::entropy::DecodeRansBytes(*enc, table, out, kernels[i]).ok()) state.SkipWithError("decode failed");
        ++runs;
      } while (CpuSeconds() - start < 0.02);
      mb_s[i].push_back(double(codes.size()) * runs / (CpuSeconds() - start) / 1e6);
    }
    ++round;
  }
  for (size_t i = 0; i < kernels.size(); ++i) {
    const std::string name = tp::entropy::RansByteKernelName(kernels[i]);
    state.counters[name + "_MB/s"] = Median(mb_s[i]);
    state.counters[name + "_vs_scalar"] = Median(mb_s[i]) / Median(mb_s[0]);
  }
}

// The rANS encoder kernels (enc_rans_fast.h) in interleaved rounds on the
// same int8 codes, one 64 KiB chunk per call as the .tpz engine codes
// planes (the figures behind the kernel choice in enc_rans_fast_x86.cc);
// every kernel's stream is checked against the scalar loop's. Counters
// "<kernel>_MB/s" (medians) and "<kernel>_vs_scalar".
void BM_RansEncodeKernelsInterleaved(benchmark::State& state) {
  const auto& codes = Weights().codes.codes;
  std::vector<uint64_t> hist(256, 0);
  for (uint8_t c : codes) ++hist[c];
  auto freqs = tp::entropy::NormalizeFrequencies(hist, 12);
  tp::entropy::RansCodeEncoder enc;
  if (!freqs.ok() || !tp::entropy::BuildRansCodeEncoder(*freqs, 12, &enc).ok()) {
    state.SkipWithError("table");
    return;
  }
  constexpr size_t kChunk = 65536;
  auto encode_all = [&](tp::entropy::RansEncodeKernel k, std::vector<uint8_t>& out) {
    out.clear();
    for (size_t b = 0; b < codes.size(); b += kChunk) {
      const std::span<const uint8_t> chunk(codes.data() + b, std::min(kChunk, codes.size() - b));
      if (!tp::entropy::RansEncodeCodes(enc, chunk, out, k).ok()) return false;
    }
    return true;
  };
  // kScalar first, the reference of the ratios.
  std::vector<tp::entropy::RansEncodeKernel> kernels = {tp::entropy::RansEncodeKernel::kScalar};
  for (auto k : tp::entropy::SupportedRansEncodeKernels())
    if (k != tp::entropy::RansEncodeKernel::kScalar) kernels.push_back(k);
  std::vector<uint8_t> want, got;
  if (!encode_all(kernels[0], want)) state.SkipWithError("encode failed");
  for (auto k : kernels)
    if (!encode_all(k, got) || got != want) state.SkipWithError("a kernel's stream differs from the scalar loop's");
  std::vector<std::vector<double>> mb_s(kernels.size());
  size_t round = 0;
  for (auto _ : state) {
    for (size_t k = 0; k < kernels.size(); ++k) {
      const size_t i = (k + round) % kernels.size();
      const double start = CpuSeconds();
      int runs = 0;
      do {
        if (!encode_all(kernels[i], got)) state.SkipWithError("encode failed");
        ++runs;
      } while (CpuSeconds() - start < 0.02);
      mb_s[i].push_back(double(codes.size()) * runs / (CpuSeconds() - start) / 1e6);
    }
    ++round;
  }
  for (size_t i = 0; i < kernels.size(); ++i) {
    const std::string name = tp::entropy::RansEncodeKernelName(kernels[i]);
    state.counters[name + "_MB/s"] = Median(mb_s[i]);
    state.counters[name + "_vs_scalar"] = Median(mb_s[i]) / Median(mb_s[0]);
  }
}

// atalanta-rans decoding (the whole DecodeCodes call, one 1 Mi-value chunk
// as the container codes them) with each group kernel of dec_rans_simd.h
// forced, in interleaved rounds: counters "<kernel>_MB/s" (medians) and
// "<kernel>_vs_scalar" (the figures behind the kernel choice there).
void BM_AtalantaRansKernelsInterleaved(benchmark::State& state) {
  const Data& d = Weights();
  tp::CodecOptions o = d.options;
  o.chunk_values = 1u << 20;
  auto e = tp::EncodeCodes(tp::Codec::kAtalantaRans, d.codes.codes, o);
  const auto kernels = tp::codec::SupportedRansKernels();
  std::vector<std::vector<double>> mb_s(kernels.size());
  std::vector<uint8_t> out(d.codes.codes.size());
  size_t round = 0;
  for (auto _ : state) {
    for (size_t k = 0; k < kernels.size(); ++k) {
      const size_t i = (k + round) % kernels.size();
      tp::codec::SetRansKernelForTesting(kernels[i]);
      const double start = CpuSeconds();
      int runs = 0;
      do {
        if (!tp::DecodeCodes(e->bytes, out).ok() || out != d.codes.codes) state.SkipWithError("decode failed");
        ++runs;
      } while (CpuSeconds() - start < 0.02);
      mb_s[i].push_back(double(out.size()) * runs / (CpuSeconds() - start) / 1e6);
    }
    ++round;
  }
  tp::codec::SetRansKernelForTesting(tp::codec::RansKernel::kBest);
  for (size_t i = 0; i < kernels.size(); ++i) {
    const std::string name = tp::codec::RansKernelName(kernels[i]);
    state.counters[name + "_MB/s"] = Median(mb_s[i]);
    state.counters[name + "_vs_scalar"] = Median(mb_s[i]) / Median(mb_s[0]);
  }
}

// One call of the profiler's dynamic programme as atalanta-rans makes it
// (K = 16, P = 10, ranges of at most 64 codes, serialized table cost) on the
// histogram of the same int8 codes; arg 1: the vector kernel, 0: the scalar
// reference. Time per call (it does not depend on the tensor's size).
void BM_OptimalPartition(benchmark::State& state) {
  std::vector<uint64_t> hist(256, 0);
  for (uint8_t c : Weights().codes.codes) ++hist[c];
  tp::codec::SetProfilerSimdForTesting(state.range(0) != 0);
  for (auto _ : state) {
    auto p = tp::codec::OptimalPartition(hist, 16, tp::codec::SerializedTableCost(10, 30), 6);
    benchmark::DoNotOptimize(p);
  }
  tp::codec::SetProfilerSimdForTesting(true);
}

// Histogram256 alone (every encoder's first pass) on the int8 codes (arg
// 0), the bf16 exponent plane of the same tensor (1: few values, one
// dominant), and one repeated byte (2).
void BM_Histogram256(benchmark::State& state) {
  std::vector<uint8_t> bytes;
  if (state.range(0) == 0) bytes = Weights().codes.codes;
  if (state.range(0) == 1) bytes = Bf16Planes()[0];
  if (state.range(0) == 2) bytes.assign(Weights().codes.codes.size(), 7);
  if (bytes.empty()) {
    state.SkipWithError("shared model not found");
    return;
  }
  uint64_t h[256];
  for (auto _ : state) {
    tp::Histogram256(bytes, std::span<uint64_t, 256>(h, 256));
    benchmark::DoNotOptimize(h);
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(bytes.size()));
}

}  // namespace

BENCHMARK(BM_Histogram256)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_OptimalPartition)->Arg(1)->Arg(0)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_AtalantaRansKernelsInterleaved)->Iterations(15)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RansEncodeKernelsInterleaved)->Iterations(15)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RansByteKernelsInterleaved)->Iterations(15)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(Interleaved, decode_int8, true, false)->Iterations(9)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(Interleaved, encode_int8, false, false)->Iterations(9)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(Interleaved, decode_bf16_planes, true, true)->Iterations(9)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(Interleaved, encode_bf16_planes, false, true)->Iterations(9)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_RansByteKernel, scalar, tp::entropy::RansByteKernel::kScalar)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_RansByteKernel, avx2, tp::entropy::RansByteKernel::kAvx2)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_RansByteKernel, avx512, tp::entropy::RansByteKernel::kAvx512)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RansDecodeSymbols)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ArithDecodeSymbols)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Decode, atalanta, tp::Codec::kAtalanta)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Decode, atalanta_order0, tp::Codec::kAtalantaOrder0)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Decode, atalanta_rans, tp::Codec::kAtalantaRans)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodeRansScalar)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Decode, huffman, tp::Codec::kHuffman)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Decode, bpc, tp::Codec::kBpc)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Decode, zstd3, tp::Codec::kZstd3)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Decode, lz4, tp::Codec::kLz4)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Encode, atalanta, tp::Codec::kAtalanta)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Encode, atalanta_rans, tp::Codec::kAtalantaRans)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Encode, zstd3, tp::Codec::kZstd3)->Unit(benchmark::kMillisecond);
