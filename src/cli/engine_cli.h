// The engine-facing options of `compress` / `decompress` (cmd_engine.cc).
#pragma once

#include <string>
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
};

Status RunEngine(const EngineArgs& args, bool decompress);
// True for "-" and for files that start like a version-3 container.
bool IsStreamingContainer(const std::string& path);
std::string UnknownCodecMessage(const std::string& name);

}  // namespace tp::cli
