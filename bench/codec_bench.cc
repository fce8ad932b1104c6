// Lossless codec throughput on real int8 weights (the shared MNIST CNN's
// dense_1 kernel, 1.18 M values, quantized per output channel), every codec
// measured in the same program so the numbers compare as ratios. The
// entropy coders alone are measured too, on the same symbols.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <random>

#include "entropy/dec_arith.h"
#include "codec/dec_rans_simd.h"
#include "entropy/dec_rans.h"
#include "entropy/enc_arith.h"
#include "entropy/enc_rans.h"
#include "entropy/frequency.h"
#include "tensorpress/codec.h"
#include "tensorpress/model.h"

namespace {

// ../shared beside the source tree (or $TP_SHARED_DIR).
std::string SharedDir() {
  if (const char* env = std::getenv("TP_SHARED_DIR")) return env;
  return (std::filesystem::path(__FILE__).parent_path().parent_path() / ".." / "shared").string();
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

}  // namespace

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
