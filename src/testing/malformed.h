// The malformed-file table. Each format's test file registers cases of bad
// bytes; src/io/malformed_test.cc feeds every case to ReadModel and to
// `tensorpress inspect` and checks a clean, one-line kCorruptData or
// kUnsupported error (exit status 2) — never a crash or a silent success.
//
//   static tp::testing::MalformedRegistrar reg("gguf", [] {
//     return std::vector<tp::testing::MalformedCase>{{"bad magic", "x.gguf", bytes}, ...};
//   });
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace tp::testing {

struct MalformedCase {
  std::string what;       // "header length past end of file"
  std::string file_name;  // written under this name (extension matters for detection)
  std::vector<uint8_t> bytes;
};

using MalformedSource = std::function<std::vector<MalformedCase>()>;

struct MalformedFormat {
  std::string format;
  MalformedSource source;
};

inline std::vector<MalformedFormat>& MalformedRegistry() {
  static std::vector<MalformedFormat> registry;
  return registry;
}

struct MalformedRegistrar {
  MalformedRegistrar(std::string format, MalformedSource source) {
    MalformedRegistry().push_back({std::move(format), std::move(source)});
  }
};

}  // namespace tp::testing
