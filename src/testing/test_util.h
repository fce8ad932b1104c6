// Helpers shared by the unit tests (compiled into tensorpress_tests only).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tensorpress/model.h"

namespace tp::testing {

// The repository's root and the shared data beside it.
inline std::string SourceDir() { return TP_SOURCE_DIR; }
inline std::string SharedDir() { return std::string(TP_SOURCE_DIR) + "/../shared"; }
inline std::string SharedModel(const std::string& rel) { return SharedDir() + "/data/models/" + rel; }
// One tensor of a shared model (it keeps the file mapped); NotFound if absent.
inline StatusOr<Tensor> SharedTensor(const std::string& rel, const std::string& name) {
  TP_ASSIGN_OR_RETURN(Model m, ReadModel(SharedModel(rel)));
  for (Tensor& t : m.tensors)
    if (t.name() == name) return std::move(t);
  return NotFoundError(rel + " has no tensor '" + name + "'");
}

// A fresh temporary folder removed at destruction.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "tp_test_XXXXXX").string();
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    path_ = ::mkdtemp(buf.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string File(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline void WriteBytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

inline std::vector<uint8_t> ReadBytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

struct CliResult {
  int exit_code;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs the built `tensorpress` binary with `args` (shell-quoted by caller).
inline CliResult RunCli(const std::string& args, const TempDir& scratch) {
  std::string out = scratch.File(".cli_out"), err = scratch.File(".cli_err");
  std::string cmd = std::string(TP_CLI_PATH) + " " + args + " >" + out + " 2>" + err;
  int rc = std::system(cmd.c_str());
  CliResult r;
  r.exit_code = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  auto o = ReadBytes(out), e = ReadBytes(err);
  r.out.assign(o.begin(), o.end());
  r.err.assign(e.begin(), e.end());
  return r;
}

}  // namespace tp::testing
