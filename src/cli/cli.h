// Shared pieces of the `tensorpress` command line. The CLI is a client of
// the library's public headers only (include/tensorpress/).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

#include "tensorpress/status.h"

namespace tp::cli {

// A verb registers a CLI11 subcommand and the function that runs it.
struct Command {
  CLI::App* app = nullptr;
  std::function<Status()> run;
};

void AddInspectCommand(CLI::App& root, std::vector<Command>& commands);
void AddSimulateCommand(CLI::App& root, std::vector<Command>& commands);
void AddSlicesCommand(CLI::App& root, std::vector<Command>& commands);
void AddAstcCommand(CLI::App& root, std::vector<Command>& commands);
void AddAnalyzeCommand(CLI::App& root, std::vector<Command>& commands);
void AddBenchCommand(CLI::App& root, std::vector<Command>& commands);
void AddCompressCommand(CLI::App& root, std::vector<Command>& commands);
void AddEvaluateCommand(CLI::App& root, std::vector<Command>& commands);
void AddPruneCommand(CLI::App& root, std::vector<Command>& commands);

// Exit statuses (documented in README): 0 success; 1 bad usage or an
// impossible request; 2 bad input (unreadable, corrupt or unsupported file);
// 3 internal error.
int ExitCodeFor(const Status& status);

// True when stderr is a terminal (progress is shown only then).
bool StderrIsTerminal();

// Progress on stderr: "label: 12/40 (30%)" redrawn in place on a terminal,
// nothing at all when stderr is not one.
class Progress {
 public:
  Progress(std::string label, uint64_t total);
  ~Progress();
  void Update(uint64_t done);

 private:
  std::string label_;
  uint64_t total_;
  bool enabled_;
  int last_percent_ = -1;
};

// Shell-style glob match ("*", "?", "[...]") of a tensor name.
bool GlobMatch(const std::string& pattern, const std::string& name);

std::string HumanBytes(uint64_t bytes);       // "86.7 MiB"
std::string HumanCount(uint64_t n);           // "22.7M"

}  // namespace tp::cli
