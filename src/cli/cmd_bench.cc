// `tensorpress bench FILE`: encode and decode throughput of every lossless
// codec on the file's tensors, all codecs measured in the same run, on one
// thread and on all cores.
#include <fmt/format.h>

#include <time.h>

#include <chrono>
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
  bool json = false;
  double min_seconds = 0.3;
};

struct Input {
  TensorCodes codes;
  CodecOptions options;
};

struct Speed {
  double encode_1t = 0, decode_1t = 0, encode_all = 0, decode_all = 0;  // MB/s
  uint64_t bytes = 0, coded = 0;
};

// Seconds of CPU time this process has used: single-thread throughput is
// measured in CPU time so that other load on the machine does not count.
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
    total += in.codes.codes.size();
    inputs.push_back(std::move(in));
  }
  if (inputs.empty()) return NotFoundError(args.file + ": no tensor to code");
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());

  std::vector<Speed> speeds(codecs.size());
  Progress progress("bench", codecs.size());
  for (size_t ci = 0; ci < codecs.size(); ++ci) {
    const Codec codec = codecs[ci];
    Speed& s = speeds[ci];
    s.bytes = total;
    std::vector<std::vector<uint8_t>> streams(inputs.size());
    std::vector<std::vector<uint8_t>> decoded(inputs.size());
    for (size_t i = 0; i < inputs.size(); ++i) decoded[i].resize(inputs[i].codes.codes.size());
    for (int threads : {1, 0}) {
      auto encode_all = [&]() -> Status {
        for (size_t i = 0; i < inputs.size(); ++i) {
          CodecOptions o = inputs[i].options;
          o.threads = threads;
          TP_ASSIGN_OR_RETURN(EncodedStream e, EncodeCodes(codec, inputs[i].codes.codes, o));
          streams[i] = std::move(e.bytes);
        }
        return Status::Ok();
      };
      auto decode_all = [&]() -> Status {
        for (size_t i = 0; i < inputs.size(); ++i) TP_RETURN_IF_ERROR(DecodeCodes(streams[i], decoded[i], threads));
        return Status::Ok();
      };
      TP_ASSIGN_OR_RETURN(double enc, Throughput(total, args.min_seconds, threads == 1, encode_all));
      TP_ASSIGN_OR_RETURN(double dec, Throughput(total, args.min_seconds, threads == 1, decode_all));
      (threads == 1 ? s.encode_1t : s.encode_all) = enc;
      (threads == 1 ? s.decode_1t : s.decode_all) = dec;
    }
    s.coded = 0;
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (decoded[i] != inputs[i].codes.codes)
        return InternalError(std::string(CodecName(codec)) + " did not round-trip");
      s.coded += streams[i].size();
    }
    progress.Update(ci + 1);
  }

  auto speed_of = [&](Codec c) -> const Speed* {
    for (size_t i = 0; i < codecs.size(); ++i)
      if (codecs[i] == c) return &speeds[i];
    return nullptr;
  };
  const Speed* rans = speed_of(Codec::kAtalantaRans);
  const Speed* zstd3 = speed_of(Codec::kZstd3);
  if (args.json) {
    nlohmann::ordered_json j;
    j["file"] = args.file;
    j["tensors"] = inputs.size();
    j["values"] = total;
    j["threads"] = cores;
    j["codecs"] = nlohmann::ordered_json::object();
    for (size_t i = 0; i < codecs.size(); ++i) {
      const Speed& s = speeds[i];
      j["codecs"][std::string(CodecName(codecs[i]))] = {
          {"ratio", s.coded ? double(s.bytes) / double(s.coded) : 0.0},
          {"encode_mb_s", s.encode_1t},
          {"decode_mb_s", s.decode_1t},
          {"encode_mb_s_all_threads", s.encode_all},
          {"decode_mb_s_all_threads", s.decode_all}};
    }
    if (rans && zstd3) j["atalanta_rans_decode_over_zstd3"] = rans->decode_1t / zstd3->decode_1t;
    fmt::print("{}\n", j.dump(2));
    return Status::Ok();
  }
  fmt::print("{}: {} tensors, {} values; MB/s of 8-bit codes, 1 thread (CPU time) and {} threads (wall time)\n", args.file,
             inputs.size(), total, cores);
  fmt::print("{:<16} {:>7} {:>10} {:>10} {:>10} {:>10}\n", "codec", "ratio", "enc 1t", "dec 1t",
             "enc all", "dec all");
  for (size_t i = 0; i < codecs.size(); ++i) {
    const Speed& s = speeds[i];
    fmt::print("{:<16} {:>7.3f} {:>10.1f} {:>10.1f} {:>10.1f} {:>10.1f}\n", CodecName(codecs[i]),
               s.coded ? double(s.bytes) / double(s.coded) : 0.0, s.encode_1t, s.decode_1t, s.encode_all,
               s.decode_all);
  }
  if (rans && zstd3)
    fmt::print("atalanta-rans decodes {:.2f}x as fast as zstd-3 (1 thread)\n", rans->decode_1t / zstd3->decode_1t);
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
  app->add_option("--min-seconds", args->min_seconds, "Minimum time per measurement (default 0.3)");
  app->add_flag("--json", args->json, "Print a JSON object instead of a table");
  commands.push_back({app, [args] { return RunBench(*args); }});
}

}  // namespace tp::cli
