// Strict, exception-free reading of JSON objects for the simulator's config
// files: each key is read at most once with its type checked, and whatever
// was not read is reported as an unknown key (a typo in a config must not
// silently fall back to a default).
#pragma once

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>

#include "tensorpress/status.h"

namespace tp::sim::internal {

using Json = nlohmann::json;

// The whole of a config file (at most 1 MiB).
StatusOr<std::string> ReadSmallTextFile(const std::string& path);

// Parses `text` without exceptions; a syntax error is kCorruptData.
StatusOr<Json> ParseJsonText(std::string_view text, std::string_view source);

class ObjectReader {
 public:
  // `where` prefixes field names in messages ("sram_kib" -> "sram_kib.weights").
  ObjectReader(const Json& object, std::string source, std::string where);

  // Each reads the key if present (absent leaves *out untouched) and fails
  // on a wrong type.
  Status Number(const char* key, double* out);
  Status Integer(const char* key, int* out);
  Status Unsigned(const char* key, uint64_t* out);
  Status Bool(const char* key, bool* out);
  Status String(const char* key, std::string* out);
  // The sub-object under `key`, or nullptr when absent.
  StatusOr<const Json*> Object(const char* key);
  // The raw value under `key` (any type), or nullptr; marks it read.
  const Json* Raw(const char* key);
  bool Has(const char* key) const;
  // Fails on the first key that no call above asked for.
  Status NoUnknownKeys() const;

  std::string FieldName(const char* key) const;
  Status Error(const char* key, const std::string& what) const;

 private:
  const Json& object_;
  std::string source_, where_;
  std::set<std::string> seen_;
};

}  // namespace tp::sim::internal
