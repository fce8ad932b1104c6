// The engine-facing options of `compress` / `decompress` (cmd_engine.cc).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "tensorpress/status.h"

namespace tp::cli {

struct EngineArgs {
  std::vector<std::string> inputs;
  std::string output;  // "-" or empty
  bool to_stdout = false, rm = false, force = false, quiet = false, stats = false, json = false;
  bool fast = false, max = false, raw = false, no_verify = false;
  int threads = 0;
  uint64_t chunk_bytes = uint64_t(1) << 20;
  std::string codec;
  // A lossy step done before compressing (--cast): printed after the
  // summary, and as "lossy" in --json.
  std::string lossy_note;
  std::vector<std::pair<std::string, double>> lossy_fields;
  uint64_t lossy_input_bytes = 0;  // the file before the lossy step
};

Status RunEngine(const EngineArgs& args, bool decompress);
// Compresses a file this process prepared (a cast model in a temporary
// file) as if it were `shown_as`, to args.output (or shown_as + ".tpz");
// the container restores it under `restored_name`.
Status CompressPrepared(const std::string& path, const std::string& shown_as, const std::string& restored_name,
                        const EngineArgs& args);
// A new empty file under $TMPDIR (or /tmp) named after `stem`.
StatusOr<std::string> TemporaryPath(const std::string& stem);
// True for "-" and for files that start like a version-3 container.
bool IsStreamingContainer(const std::string& path);
std::string UnknownCodecMessage(const std::string& name);

}  // namespace tp::cli
