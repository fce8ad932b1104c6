// The zstd-like front of `compress` / `decompress`: several inputs, FILE ->
// FILE.tpz and back, -c / -o - / - for pipes, -T threads, --rm, progress on a
// terminal. Whole files go through the streaming engine
// (include/tensorpress/container.h) and come back byte for byte; lossy
// options keep the version-2 path in cmd_compress.cc.
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "engine_cli.h"
#include "tensorpress/container.h"
#include "tensorpress/model.h"
#include "tensorpress/tpz.h"

namespace tp::cli {
namespace {

namespace fs = std::filesystem;

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// "model.safetensors: 45% 312.4 MB/s ETA 3 s" redrawn in place; silent off a terminal.
class RateProgress {
 public:
  RateProgress(std::string label, bool enabled) : label_(std::move(label)), enabled_(enabled && StderrIsTerminal()) {}
  ~RateProgress() {
    if (shown_) std::fputs("\r\x1b[K", stderr);
  }
  void operator()(uint64_t done, uint64_t total) {
    if (!enabled_) return;
    const double t = Now();
    if (t - last_ < 0.2) return;
    last_ = t;
    const double rate = double(done) / std::max(1e-9, t - start_) / 1e6;
    std::string eta;
    if (total > done && rate > 0) eta = fmt::format(" ETA {:.0f} s", double(total - done) / 1e6 / rate);
    if (total)
      std::fprintf(stderr, "\r\x1b[K%s: %d%% %.1f MB/s%s", label_.c_str(), int(100.0 * double(done) / double(total)),
                   rate, eta.c_str());
    else
      std::fprintf(stderr, "\r\x1b[K%s: %s %.1f MB/s", label_.c_str(), HumanBytes(done).c_str(), rate);
    std::fflush(stderr);
    shown_ = true;
  }

 private:
  std::string label_;
  bool enabled_;
  bool shown_ = false;
  double start_ = Now(), last_ = 0;
};

bool SamePath(const std::string& a, const std::string& b) {
  std::error_code ec1, ec2;
  return fs::exists(a, ec1) && fs::exists(b, ec2) && fs::equivalent(a, b, ec1);
}

// Standard input copied to a temporary file, so the readers can map it.
StatusOr<std::string> SpoolStdin() {
  const char* dir = std::getenv("TMPDIR");
  std::string path = std::string(dir && *dir ? dir : "/tmp") + "/tensorpress-stdin-XXXXXX";
  int fd = ::mkstemp(path.data());
  if (fd < 0) return IoError("cannot create a temporary file for standard input");
  std::vector<char> buf(1 << 20);
  size_t got;
  while ((got = std::fread(buf.data(), 1, buf.size(), stdin)) > 0)
    if (::write(fd, buf.data(), got) != ssize_t(got)) {
      ::close(fd);
      ::unlink(path.c_str());
      return IoError("cannot spool standard input to " + path);
    }
  ::close(fd);
  return path;
}

// Runs `write` into standard output or into `path` through a temporary file
// that is renamed into place only when `write` succeeded.
Status WriteOutput(const std::string& path, bool to_stdout, bool force, const std::function<Status(ByteSink&)>& write) {
  if (to_stdout) {
    auto sink = SinkForStdio(stdout);
    TP_RETURN_IF_ERROR(write(*sink));
    std::fflush(stdout);
    return Status::Ok();
  }
  WriteOptions w;
  w.overwrite = force;
  TP_ASSIGN_OR_RETURN(auto file, AtomicFile::Create(path, w));
  auto sink = SinkFor(*file);
  TP_RETURN_IF_ERROR(write(*sink));
  return file->Commit();
}

EngineOptions OptionsFrom(const EngineArgs& a) {
  EngineOptions o = DefaultEngineOptions();
  o.threads = a.threads;
  o.level = a.max ? EngineLevel::kMax : a.fast ? EngineLevel::kFast : EngineLevel::kDefault;
  o.chunk_bytes = a.chunk_bytes;
  o.verify = !a.no_verify;
  return o;
}

nlohmann::ordered_json StatsJson(const EngineStats& s) {
  nlohmann::ordered_json j;
  j["input_bytes"] = s.input_bytes;
  j["output_bytes"] = s.output_bytes;
  j["ratio"] = s.output_bytes ? double(s.input_bytes) / double(s.output_bytes) : 0.0;
  j["tensors"] = s.tensors;
  j["tensor_bytes"] = s.tensor_bytes;
  j["other_bytes"] = s.other_bytes;
  j["frames"] = s.frames;
  j["planes"] = nlohmann::ordered_json::array();
  for (const auto& p : s.planes) {
    nlohmann::ordered_json pj = {{"name", p.name},
                                 {"bytes", p.bytes},
                                 {"coded_bytes", p.coded_bytes},
                                 {"entropy_bits_per_byte", p.bytes ? p.entropy_bits / double(p.bytes) : 0.0}};
    for (const auto& [c, b] : p.codecs) pj["codecs"][c] = b;
    j["planes"].push_back(std::move(pj));
  }
  return j;
}

void PrintPlaneStats(const EngineStats& s) {
  fmt::print("{:<26} {:>13} {:>9} {:>13} {:>9}  {}\n", "plane", "bytes", "H b/byte", "coded", "b/byte",
             "codecs (share of coded bytes)");
  for (const auto& p : s.planes) {
    std::string codecs;
    for (const auto& [c, b] : p.codecs)
      codecs += fmt::format("{}{} {:.0f}%", codecs.empty() ? "" : ", ", c,
                            p.coded_bytes ? 100.0 * double(b) / double(p.coded_bytes) : 0);
    fmt::print("{:<26} {:>13} {:>9.3f} {:>13} {:>9.3f}  {}\n", p.name, p.bytes,
               p.bytes ? p.entropy_bits / double(p.bytes) : 0.0, p.coded_bytes,
               p.bytes ? 8.0 * double(p.coded_bytes) / double(p.bytes) : 0.0, codecs);
  }
}

// Compresses the file at `path`, shown as `in` in messages and restored
// under `restored_name` when that is not empty.
Status CompressPath(const std::string& path, const std::string& in, const std::string& restored_name,
                    const EngineArgs& a, bool to_stdout, const std::string& out_override) {
  const std::string out = to_stdout ? "-" : !out_override.empty() ? out_override : in + ".tpz";
  if (!to_stdout && in != "-" && SamePath(in, out)) return InvalidArgumentError(out + ": output is the input file");
  auto input = OpenEngineInput(path, a.raw);
  if (!input.ok()) return input.status();
  if (!restored_name.empty()) input->name = restored_name;
  EngineOptions o = OptionsFrom(a);
  if (!a.codec.empty()) {
    auto c = CodecFromName(a.codec);
    if (!c) return InvalidArgumentError(UnknownCodecMessage(a.codec));
    o.codec = *c;
  }
  RateProgress progress(in == "-" ? "stdin" : in, !a.quiet);
  o.progress = [&](uint64_t d, uint64_t t) { progress(d, t); };
  EngineStats stats;
  const double t0 = Now();
  TP_RETURN_IF_ERROR(
      WriteOutput(out, to_stdout, a.force, [&](ByteSink& sink) { return CompressStream(*input, sink, o, &stats); }));
  const double secs = Now() - t0;
  if (a.json) {
    auto j = StatsJson(stats);
    j["input"] = in;
    j["output"] = out;
    j["seconds"] = secs;
    j["verified"] = !a.no_verify;
    for (const auto& [k, v] : a.lossy_fields) j["lossy"][k] = v;
    if (a.lossy_input_bytes && stats.output_bytes)
      j["lossy"]["ratio_vs_input_file"] = double(a.lossy_input_bytes) / double(stats.output_bytes);
    fmt::print(to_stdout ? stderr : stdout, "{}\n", j.dump(2));
  } else if (!a.quiet) {
    std::FILE* f = to_stdout ? stderr : stdout;
    if (a.stats) {
      std::fflush(f);
      PrintPlaneStats(stats);
    }
    fmt::print(f, "{} -> {}: {} -> {} bytes, ratio {:.4f}, {} tensors ({} of {}), {:.2f} s, {:.0f} MB/s{}\n",
               in, out, stats.input_bytes, stats.output_bytes,
               stats.output_bytes ? double(stats.input_bytes) / double(stats.output_bytes) : 0.0, stats.tensors,
               HumanBytes(stats.tensor_bytes), HumanBytes(stats.input_bytes), secs,
               double(stats.input_bytes) / 1e6 / std::max(secs, 1e-9),
               a.no_verify ? "" : ", every chunk verified");
    if (a.lossy_input_bytes)
      fmt::print(f, "lossy: {} ({} bytes) -> {} bytes, ratio {:.4f} against the input file\n", in,
                 a.lossy_input_bytes, stats.output_bytes,
                 stats.output_bytes ? double(a.lossy_input_bytes) / double(stats.output_bytes) : 0.0);
    if (!a.lossy_note.empty()) fmt::print(f, "{}\n", a.lossy_note);
  }
  if (a.rm && in != "-" && !to_stdout) ::unlink(in.c_str());
  return Status::Ok();
}

Status CompressOne(const std::string& in, const EngineArgs& a, bool to_stdout, const std::string& out_override) {
  std::string path = in, spooled;
  if (in == "-") {
    TP_ASSIGN_OR_RETURN(spooled, SpoolStdin());
    path = spooled;
  }
  struct Cleanup {
    std::string p;
    ~Cleanup() {
      if (!p.empty()) ::unlink(p.c_str());
    }
  } cleanup{spooled};
  return CompressPath(path, in, in == "-" ? "stdin" : "", a, to_stdout, out_override);
}

std::string RestoredName(const std::string& in) {
  if (in.size() > 4 && in.compare(in.size() - 4, 4, ".tpz") == 0) return in.substr(0, in.size() - 4);
  return {};
}

Status DecompressOne(const std::string& in, const EngineArgs& a, bool to_stdout, const std::string& out_override) {
  EngineOptions o = OptionsFrom(a);
  RateProgress progress(in == "-" ? "stdin" : in, !a.quiet);
  o.progress = [&](uint64_t d, uint64_t t) { progress(d, t); };
  const double t0 = Now();
  ArchiveInfo info;
  std::string out;
  if (in == "-") {
    if (!to_stdout && out_override.empty()) return InvalidArgumentError("decompressing standard input needs -o or -c");
    auto source = SourceForStdio(stdin);
    out = to_stdout ? "-" : out_override;
    TP_RETURN_IF_ERROR(WriteOutput(out, to_stdout, a.force,
                                   [&](ByteSink& sink) { return DecompressStream(*source, "stdin", sink, o, &info); }));
  } else {
    TP_ASSIGN_OR_RETURN(auto mapped, MappedFile::Open(in));
    TP_ASSIGN_OR_RETURN(TpzArchive archive, TpzArchive::Open(mapped, in));
    info = archive.info();
    out = to_stdout ? "-" : !out_override.empty() ? out_override : RestoredName(in);
    if (out.empty()) return InvalidArgumentError(in + ": does not end in .tpz; name the output with -o");
    if (!to_stdout && SamePath(in, out)) return InvalidArgumentError(out + ": output is the input file");
    TP_RETURN_IF_ERROR(WriteOutput(out, to_stdout, a.force, [&](ByteSink& sink) { return archive.Restore(sink, o); }));
  }
  const double secs = Now() - t0;
  if (!a.quiet)
    fmt::print(to_stdout ? stderr : stdout, "{} -> {}: {} bytes restored ({} tensors), checksum verified, {:.2f} s, {:.0f} MB/s\n",
               in, out, info.file_bytes, info.tensors.size(), secs,
               double(info.file_bytes) / 1e6 / std::max(secs, 1e-9));
  if (a.rm && in != "-" && !to_stdout) ::unlink(in.c_str());
  return Status::Ok();
}

// Files under a folder that the readers know by their name, in order.
std::vector<std::string> ModelFilesUnder(const std::string& dir, bool all) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(dir, ec)) {
    if (!e.is_regular_file()) continue;
    const std::string p = e.path().string();
    const std::string ext = e.path().extension().string();
    if (ext == ".tpz") continue;
    if (all || ext == ".safetensors" || ext == ".gguf" || ext == ".onnx" || ext == ".tflite" || ext == ".npy" ||
        ext == ".npz" || ext == ".bin" || ext == ".pt" || ext == ".pth")
      files.push_back(p);
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

std::string UnknownCodecMessage(const std::string& name) {
  std::string valid;
  for (Codec c : AllCodecs()) valid += (valid.empty() ? "" : ", ") + std::string(CodecName(c));
  return "unknown codec '" + name + "' (valid: " + valid + ")";
}

Status RunEngine(const EngineArgs& a, bool decompress) {
  if (a.inputs.empty()) return InvalidArgumentError("no input file");
  if (a.threads < 0) return InvalidArgumentError("-T must be >= 0 (0: all cores)");
  const bool to_stdout = a.to_stdout || a.output == "-";
  std::vector<std::string> inputs;
  for (const auto& in : a.inputs) {
    std::error_code ec;
    if (in != "-" && fs::is_directory(in, ec)) {
      if (decompress) {
        for (const auto& e : fs::recursive_directory_iterator(in, ec))
          if (e.is_regular_file() && e.path().extension() == ".tpz") inputs.push_back(e.path().string());
      } else {
        auto files = ModelFilesUnder(in, a.raw);
        inputs.insert(inputs.end(), files.begin(), files.end());
      }
    } else {
      inputs.push_back(in);
    }
  }
  if (inputs.empty()) return InvalidArgumentError("no input file found");
  if ((inputs.size() > 1) && (!a.output.empty() && a.output != "-"))
    return InvalidArgumentError("-o names one output; with several inputs each output goes beside its input");
  if (to_stdout && inputs.size() > 1 && !decompress)
    return InvalidArgumentError("-c writes one container; give one input");
  Status first = Status::Ok();
  for (const auto& in : inputs) {
    Status s = decompress ? DecompressOne(in, a, to_stdout, to_stdout ? "" : a.output)
                          : CompressOne(in, a, to_stdout, to_stdout ? "" : a.output);
    if (!s.ok()) {
      if (inputs.size() == 1) return s;
      std::fprintf(stderr, "tensorpress: error: %s\n", s.message().c_str());
      if (first.ok()) first = s;
    }
  }
  return first;
}

Status CompressPrepared(const std::string& path, const std::string& shown_as, const std::string& restored_name,
                       const EngineArgs& a) {
  const bool to_stdout = a.to_stdout || a.output == "-";
  return CompressPath(path, shown_as, restored_name, a, to_stdout, to_stdout ? "" : a.output);
}

StatusOr<std::string> TemporaryPath(const std::string& stem) {
  const char* dir = std::getenv("TMPDIR");
  std::string path = std::string(dir && *dir ? dir : "/tmp") + "/tensorpress-" + stem + "-XXXXXX";
  int fd = ::mkstemp(path.data());
  if (fd < 0) return IoError("cannot create a temporary file in " + path.substr(0, path.find_last_of('/')));
  ::close(fd);
  return path;
}

bool IsStreamingContainer(const std::string& path) {
  if (path == "-") return true;
  auto f = MappedFile::Open(path);
  return f.ok() && IsStreamingTpz((*f)->bytes());
}

}  // namespace tp::cli
