// `tensorpress bench FILE`: encode and decode throughput of every lossless
// codec on the file's tensors, on one thread and on all cores.
//
// The machine this runs on is usually shared and noisy, so codecs are never
// timed one after another: every round times each codec once (encode, then
// decode), in an order that rotates from round to round, and the report
// gives each codec's median over the rounds and the spread (lowest and
// highest round). A codec compared with another (atalanta-rans or rans vs
// zstd-3) is compared round by round, as the median of the per-round ratios.
#include <fmt/format.h>

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli.h"
#include "tensorpress/codec.h"
#include "tensorpress/model.h"

namespace tp::cli {
namespace {

struct BenchArgs {
  std::string file;
  std::vector<std::string> globs;
  std::vector<std::string> codecs;
  std::string quantize = "int8";
  bool activations = false;
  bool bf16_planes = false;
  bool json = false;
  double min_seconds = 0.05;
  int rounds = 7;
};

struct Input {
  TensorCodes codes;
  CodecOptions options;
};

// Per-round MB/s of one codec in one direction and thread setting.
struct Samples {
  std::vector<double> mb_s;
  double Median() const {
    if (mb_s.empty()) return 0;
    std::vector<double> v = mb_s;
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
  }
  double Min() const { return mb_s.empty() ? 0 : *std::min_element(mb_s.begin(), mb_s.end()); }
  double Max() const { return mb_s.empty() ? 0 : *std::max_element(mb_s.begin(), mb_s.end()); }
};

struct Speed {
  Samples encode_1t, decode_1t, encode_all, decode_all;
  uint64_t bytes = 0, coded = 0;
};

// Seconds of CPU time this process has used: single-thread throughput is
// measured in CPU time so that time spent descheduled does not count.
double ProcessCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}
double WallSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Runs fn() until min_seconds have passed (at least once); returns MB/s of
// `bytes` per run, in CPU time for one thread and wall time for all threads.
template <typename Fn>
StatusOr<double> Throughput(uint64_t bytes, double min_seconds, bool cpu_time, Fn&& fn) {
  auto now = [&] { return cpu_time ? ProcessCpuSeconds() : WallSeconds(); };
  const double start = now();
  uint64_t runs = 0;
  double elapsed = 0;
  do {
    TP_RETURN_IF_ERROR(fn());
    ++runs;
    elapsed = now() - start;
  } while (elapsed < min_seconds);
  return double(bytes) * double(runs) / elapsed / 1e6;
}

// Float tensors as bf16 (the f32's high half, truncated) split into an
// exponent plane (the 8 exponent bits) and a sign | 7-bit mantissa plane,
// each coded as unsigned codes: the planes a float container codes.
void AddBf16Planes(const Tensor& t, std::vector<Input>& inputs) {
  if (t.dtype() != DType::kF32 && t.dtype() != DType::kBF16) return;
  const bool f32 = t.dtype() == DType::kF32;
  const size_t width = f32 ? 4 : 2, n = t.bytes().size() / width;
  TensorCodes exponent, mantissa;
  exponent.codes.resize(n);
  mantissa.codes.resize(n);
  for (size_t i = 0; i < n; ++i) {
    uint16_t b;
    std::memcpy(&b, t.bytes().data() + i * width + (f32 ? 2 : 0), 2);
    exponent.codes[i] = static_cast<uint8_t>(b >> 7);
    mantissa.codes[i] = static_cast<uint8_t>((b & 0x7f) | (b >> 15) << 7);
  }
  for (TensorCodes* c : {&exponent, &mantissa}) {
    c->coded_dtype = "u8";
    Input in;
    in.codes = std::move(*c);
    in.options = DefaultCodecOptions();
    inputs.push_back(std::move(in));
  }
}

Status RunBench(const BenchArgs& args) {
  if (!args.quantize.empty() && args.quantize != "int8" && args.quantize != "none")
    return InvalidArgumentError("--quantize supports int8 or none");
  std::vector<Codec> codecs;
  for (const auto& name : args.codecs) {
    auto c = CodecFromName(name);
    if (!c) return InvalidArgumentError("unknown codec '" + name + "'");
    codecs.push_back(*c);
  }
  if (codecs.empty()) codecs.assign(AllCodecs().begin(), AllCodecs().end());
  TP_ASSIGN_OR_RETURN(Model model, ReadModel(args.file));
  PrepareOptions prep;
  prep.quantize_int8 = args.quantize == "int8";
  prep.all_activations = args.activations;
  prep.keras_safetensors = model.format == ModelFormat::kSafetensors;
  std::vector<Input> inputs;
  uint64_t total = 0;
  for (const Tensor& t : model.tensors) {
    bool keep = args.globs.empty();
    for (const auto& g : args.globs) keep = keep || GlobMatch(g, t.name());
    if (!keep) continue;
    if (args.bf16_planes) {
      AddBf16Planes(t, inputs);
      continue;
    }
    auto codes = PrepareCodes(t, prep);
    if (!codes.ok()) {
      if (codes.status().code() == StatusCode::kUnsupported) continue;
      return codes.status();
    }
    Input in;
    in.codes = std::move(*codes);
    in.options = DefaultCodecOptions();
    in.options.signed_codes = in.codes.signed_codes;
    in.options.zero_code = in.codes.zero_code;
    in.options.rows = in.codes.rows;
    inputs.push_back(std::move(in));
  }
  for (const Input& in : inputs) total += in.codes.codes.size();
  if (inputs.empty()) return NotFoundError(args.file + ": no tensor to code");
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());

  if (args.rounds < 1) return InvalidArgumentError("--rounds must be >= 1");
  std::vector<Speed> speeds(codecs.size());
  std::vector<std::vector<std::vector<uint8_t>>> streams(codecs.size(), std::vector<std::vector<uint8_t>>(inputs.size()));
  std::vector<std::vector<uint8_t>> decoded(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) decoded[i].resize(inputs[i].codes.codes.size());
  auto encode_all = [&](size_t ci, int threads) -> Status {
    for (size_t i = 0; i < inputs.size(); ++i) {
      CodecOptions o = inputs[i].options;
      o.threads = threads;
      TP_ASSIGN_OR_RETURN(EncodedStream e, EncodeCodes(codecs[ci], inputs[i].codes.codes, o));
      streams[ci][i] = std::move(e.bytes);
    }
    return Status::Ok();
  };
  auto decode_all = [&](size_t ci, int threads) -> Status {
    for (size_t i = 0; i < inputs.size(); ++i) TP_RETURN_IF_ERROR(DecodeCodes(streams[ci][i], decoded[i], threads));
    return Status::Ok();
  };
  // Every codec once, checked, before any timing.
  for (size_t ci = 0; ci < codecs.size(); ++ci) {
    Speed& s = speeds[ci];
    s.bytes = total;
    TP_RETURN_IF_ERROR(encode_all(ci, 1));
    TP_RETURN_IF_ERROR(decode_all(ci, 1));
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (decoded[i] != inputs[i].codes.codes)
        return InternalError(std::string(CodecName(codecs[ci])) + " did not round-trip");
      s.coded += streams[ci][i].size();
    }
  }
  Progress progress("bench", uint64_t(args.rounds) * 2);
  for (int threads : {1, 0}) {
    for (int round = 0; round < args.rounds; ++round) {
      for (size_t k = 0; k < codecs.size(); ++k) {
        const size_t ci = (k + size_t(round)) % codecs.size();  // rotate the order
        Speed& s = speeds[ci];
        TP_ASSIGN_OR_RETURN(double enc, Throughput(total, args.min_seconds, threads == 1,
                                                   [&] { return encode_all(ci, threads); }));
        TP_ASSIGN_OR_RETURN(double dec, Throughput(total, args.min_seconds, threads == 1,
                                                   [&] { return decode_all(ci, threads); }));
        (threads == 1 ? s.encode_1t : s.encode_all).mb_s.push_back(enc);
        (threads == 1 ? s.decode_1t : s.decode_all).mb_s.push_back(dec);
      }
      progress.Update(uint64_t(threads == 1 ? 0 : args.rounds) + uint64_t(round) + 1);
    }
  }

  auto speed_of = [&](Codec c) -> const Speed* {
    for (size_t i = 0; i < codecs.size(); ++i)
      if (codecs[i] == c) return &speeds[i];
    return nullptr;
  };
  // Round-by-round ratio of two codecs' 1-thread decode speeds, median.
  auto decode_ratio = [&](Codec a, Codec b) -> double {
    const Speed *sa = speed_of(a), *sb = speed_of(b);
    if (!sa || !sb) return 0;
    Samples r;
    for (size_t i = 0; i < sa->decode_1t.mb_s.size(); ++i) r.mb_s.push_back(sa->decode_1t.mb_s[i] / sb->decode_1t.mb_s[i]);
    return r.Median();
  };
  const std::pair<Codec, Codec> kComparisons[] = {{Codec::kAtalantaRans, Codec::kZstd3}, {Codec::kRans, Codec::kZstd3}};
  if (args.json) {
    nlohmann::ordered_json j;
    j["file"] = args.file;
    j["tensors"] = inputs.size();
    j["values"] = total;
    j["threads"] = cores;
    j["rounds"] = args.rounds;
    j["codecs"] = nlohmann::ordered_json::object();
    auto samples = [](const Samples& x) {
      return nlohmann::ordered_json{{"median", x.Median()}, {"min", x.Min()}, {"max", x.Max()}};
    };
    for (size_t i = 0; i < codecs.size(); ++i) {
      const Speed& s = speeds[i];
      j["codecs"][std::string(CodecName(codecs[i]))] = {
          {"ratio", s.coded ? double(s.bytes) / double(s.coded) : 0.0},
          {"encode_mb_s", s.encode_1t.Median()},
          {"decode_mb_s", s.decode_1t.Median()},
          {"encode_mb_s_all_threads", s.encode_all.Median()},
          {"decode_mb_s_all_threads", s.decode_all.Median()},
          {"rounds", {{"encode_1t", samples(s.encode_1t)}, {"decode_1t", samples(s.decode_1t)},
                      {"encode_all", samples(s.encode_all)}, {"decode_all", samples(s.decode_all)}}}};
    }
    for (const auto& [a, b] : kComparisons)
      if (speed_of(a) && speed_of(b))
        j[fmt::format("{}_decode_over_{}", CodecName(a), CodecName(b))] = decode_ratio(a, b);
    fmt::print("{}\n", j.dump(2));
    return Status::Ok();
  }
  fmt::print("{}: {} planes/tensors, {} values; MB/s of 8-bit codes, median of {} interleaved rounds "
             "[lowest-highest]; 1 thread (CPU time) and {} threads (wall time)\n",
             args.file, inputs.size(), total, args.rounds, cores);
  fmt::print("{:<16} {:>7} {:>18} {:>18} {:>18} {:>18}\n", "codec", "ratio", "enc 1t", "dec 1t", "enc all",
             "dec all");
  auto cell = [](const Samples& x) { return fmt::format("{:.0f} [{:.0f}-{:.0f}]", x.Median(), x.Min(), x.Max()); };
  for (size_t i = 0; i < codecs.size(); ++i) {
    const Speed& s = speeds[i];
    fmt::print("{:<16} {:>7.3f} {:>18} {:>18} {:>18} {:>18}\n", CodecName(codecs[i]),
               s.coded ? double(s.bytes) / double(s.coded) : 0.0, cell(s.encode_1t), cell(s.decode_1t),
               cell(s.encode_all), cell(s.decode_all));
  }
  for (const auto& [a, b] : kComparisons)
    if (speed_of(a) && speed_of(b))
      fmt::print("{} decodes {:.2f}x as fast as {} (1 thread, median of per-round ratios)\n", CodecName(a),
                 decode_ratio(a, b), CodecName(b));
  return Status::Ok();
}

}  // namespace

void AddBenchCommand(CLI::App& root, std::vector<Command>& commands) {
  auto args = std::make_shared<BenchArgs>();
  CLI::App* app = root.add_subcommand("bench", "Encode/decode throughput of every lossless codec");
  app->add_option("file", args->file, "Model file")->required();
  app->add_option("--tensor", args->globs, "Only tensors whose name matches this glob (repeatable)");
  app->add_option("--codec", args->codecs, "Only these codecs (repeatable)");
  app->add_option("--quantize", args->quantize, "int8 (default): quantize float tensors first; none: skip them");
  app->add_flag("--activations", args->activations, "Quantize every float tensor as an activation (uint8)");
  app->add_option("--min-seconds", args->min_seconds, "Minimum time per codec and round (default 0.05)");
  app->add_option("--rounds", args->rounds, "Interleaved rounds; the report gives the median (default 7)");
  app->add_flag("--bf16-planes", args->bf16_planes,
                "Code float tensors as bf16 exponent and sign|mantissa planes (unsigned codes) instead");
  app->add_flag("--json", args->json, "Print a JSON object instead of a table");
  commands.push_back({app, [args] { return RunBench(*args); }});
}

}  // namespace tp::cli
