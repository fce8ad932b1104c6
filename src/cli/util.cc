#include <fmt/format.h>
#include <fnmatch.h>
#include <unistd.h>

#include <cstdio>

#include "cli.h"

namespace tp::cli {

int ExitCodeFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk: return 0;
    case StatusCode::kInvalidArgument:
    case StatusCode::kAlreadyExists: return 1;
    case StatusCode::kCorruptData:
    case StatusCode::kUnsupported:
    case StatusCode::kNotFound:
    case StatusCode::kIoError: return 2;
    case StatusCode::kInternal: return 3;
  }
  return 3;
}

bool StderrIsTerminal() { return ::isatty(STDERR_FILENO) == 1; }

Progress::Progress(std::string label, uint64_t total)
    : label_(std::move(label)), total_(total), enabled_(StderrIsTerminal() && total > 1) {}

Progress::~Progress() {
  if (enabled_ && last_percent_ >= 0) std::fputs("\r\x1b[K", stderr);
}

void Progress::Update(uint64_t done) {
  if (!enabled_) return;
  int pct = total_ ? static_cast<int>(100 * done / total_) : 100;
  if (pct == last_percent_) return;
  last_percent_ = pct;
  std::fprintf(stderr, "\r\x1b[K%s: %llu/%llu (%d%%)", label_.c_str(),
               static_cast<unsigned long long>(done), static_cast<unsigned long long>(total_), pct);
  std::fflush(stderr);
}

bool GlobMatch(const std::string& pattern, const std::string& name) {
  return ::fnmatch(pattern.c_str(), name.c_str(), 0) == 0;
}

std::string HumanBytes(uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  return u == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", v, units[u]);
}

std::string HumanCount(uint64_t n) {
  if (n >= 1'000'000'000) return fmt::format("{:.2f}G", n / 1e9);
  if (n >= 1'000'000) return fmt::format("{:.2f}M", n / 1e6);
  if (n >= 1'000) return fmt::format("{:.1f}K", n / 1e3);
  return fmt::format("{}", n);
}

}  // namespace tp::cli
