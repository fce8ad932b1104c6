#include "sim/json_fields.h"

#include <climits>

namespace tp::sim::internal {

StatusOr<Json> ParseJsonText(std::string_view text, std::string_view source) {
  Json j = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return CorruptDataError(std::string(source) + ": not valid JSON");
  if (!j.is_object()) return CorruptDataError(std::string(source) + ": the top level must be a JSON object");
  return j;
}

ObjectReader::ObjectReader(const Json& object, std::string source, std::string where)
    : object_(object), source_(std::move(source)), where_(std::move(where)) {}

std::string ObjectReader::FieldName(const char* key) const {
  return where_.empty() ? std::string(key) : where_ + "." + key;
}

Status ObjectReader::Error(const char* key, const std::string& what) const {
  return InvalidArgumentError(source_ + ": field '" + FieldName(key) + "' " + what);
}

bool ObjectReader::Has(const char* key) const { return object_.contains(key); }

const Json* ObjectReader::Raw(const char* key) {
  auto it = object_.find(key);
  if (it == object_.end()) return nullptr;
  seen_.insert(key);
  return &*it;
}

Status ObjectReader::Number(const char* key, double* out) {
  const Json* v = Raw(key);
  if (!v) return Status::Ok();
  if (!v->is_number()) return Error(key, "must be a number");
  *out = v->get<double>();
  return Status::Ok();
}

Status ObjectReader::Integer(const char* key, int* out) {
  const Json* v = Raw(key);
  if (!v) return Status::Ok();
  if (v->is_number_unsigned()) {
    uint64_t u = v->get<uint64_t>();
    if (u > static_cast<uint64_t>(INT_MAX)) return Error(key, "is too large");
    *out = static_cast<int>(u);
    return Status::Ok();
  }
  if (!v->is_number_integer()) return Error(key, "must be an integer");
  int64_t i = v->get<int64_t>();
  if (i < INT_MIN || i > INT_MAX) return Error(key, "is out of range");
  *out = static_cast<int>(i);
  return Status::Ok();
}

Status ObjectReader::Unsigned(const char* key, uint64_t* out) {
  const Json* v = Raw(key);
  if (!v) return Status::Ok();
  if (!v->is_number_unsigned()) return Error(key, "must be a non-negative integer");
  *out = v->get<uint64_t>();
  return Status::Ok();
}

Status ObjectReader::Bool(const char* key, bool* out) {
  const Json* v = Raw(key);
  if (!v) return Status::Ok();
  if (!v->is_boolean()) return Error(key, "must be true or false");
  *out = v->get<bool>();
  return Status::Ok();
}

Status ObjectReader::String(const char* key, std::string* out) {
  const Json* v = Raw(key);
  if (!v) return Status::Ok();
  if (!v->is_string()) return Error(key, "must be a string");
  *out = v->get<std::string>();
  return Status::Ok();
}

StatusOr<const Json*> ObjectReader::Object(const char* key) {
  const Json* v = Raw(key);
  if (!v) return static_cast<const Json*>(nullptr);
  if (!v->is_object()) return Error(key, "must be an object");
  return v;
}

Status ObjectReader::NoUnknownKeys() const {
  for (auto it = object_.begin(); it != object_.end(); ++it)
    if (!seen_.count(it.key()))
      return InvalidArgumentError(source_ + ": unknown field '" +
                                  (where_.empty() ? it.key() : where_ + "." + it.key()) + "'");
  return Status::Ok();
}

}  // namespace tp::sim::internal
