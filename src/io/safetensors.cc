// safetensors: u64 little-endian header length N, N bytes of JSON, then the
// data. The JSON maps each tensor name to {dtype, shape, data_offsets:[b,e]}
// with offsets relative to the start of the data, plus an optional
// "__metadata__" object of string values.
#include <algorithm>
#include <cstring>
#include <set>

#include <nlohmann/json.hpp>

#include "io/readers.h"

namespace tp::io {
namespace {

using json = nlohmann::json;

// The reference implementation refuses headers above 100 MB; so do we, so a
// hostile length cannot make us parse gigabytes of JSON.
constexpr uint64_t kMaxHeaderBytes = 100u << 20;

Status CheckShape(const json& shape, const std::string& name, Shape* out) {
  if (!shape.is_array()) return CorruptDataError("tensor '" + name + "': shape is not an array");
  if (shape.size() > 64) return CorruptDataError("tensor '" + name + "': more than 64 dimensions");
  for (const json& d : shape) {
    if (!d.is_number_unsigned())
      return CorruptDataError("tensor '" + name + "': shape has a non-integer or negative dimension");
    uint64_t v = d.get<uint64_t>();
    if (v > static_cast<uint64_t>(INT64_MAX))
      return CorruptDataError("tensor '" + name + "': dimension too large");
    out->push_back(static_cast<int64_t>(v));
  }
  if (!ElementCount(*out)) return CorruptDataError("tensor '" + name + "': element count overflows");
  return Status::Ok();
}

struct Entry {
  std::string name;
  DType dtype;
  Shape shape;
  uint64_t begin, end;
};

}  // namespace

StatusOr<Model> ReadSafetensors(std::shared_ptr<const Buffer> buffer, const std::string& path) {
  std::span<const uint8_t> b = buffer->bytes();
  if (b.size() < 8) return CorruptDataError("file too short for a safetensors header (" +
                                            std::to_string(b.size()) + " bytes)");
  uint64_t header_len;
  std::memcpy(&header_len, b.data(), 8);
  if (header_len > kMaxHeaderBytes)
    return CorruptDataError("header length " + std::to_string(header_len) + " exceeds the 100 MB limit");
  if (header_len > b.size() - 8)
    return CorruptDataError("header length " + std::to_string(header_len) +
                            " runs past the end of the file (" + std::to_string(b.size()) + " bytes)");
  const char* text = reinterpret_cast<const char*>(b.data() + 8);

  // Duplicated keys would be silently merged by a JSON parser; spot them
  // with the parser callback at the top level.
  std::set<std::string> keys;
  bool duplicate = false;
  std::string duplicate_name;
  json::parser_callback_t cb = [&](int depth, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::key && depth == 1) {
      std::string k = parsed.get<std::string>();
      if (!keys.insert(k).second && !duplicate) {
        duplicate = true;
        duplicate_name = k;
      }
    }
    return true;
  };
  json header = json::parse(text, text + header_len, cb, /*allow_exceptions=*/false);
  if (header.is_discarded()) return CorruptDataError("header is not valid JSON");
  if (duplicate) return CorruptDataError("duplicate tensor name '" + duplicate_name + "' in header");
  if (!header.is_object()) return CorruptDataError("header is not a JSON object");

  const uint64_t data_start = 8 + header_len;
  const uint64_t data_size = b.size() - data_start;
  Model model;
  std::vector<Entry> entries;
  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string& name = it.key();
    const json& v = it.value();
    if (name == "__metadata__") {
      if (!v.is_object()) return CorruptDataError("__metadata__ is not an object");
      for (auto m = v.begin(); m != v.end(); ++m) {
        if (!m.value().is_string())
          return CorruptDataError("__metadata__ value of '" + m.key() + "' is not a string");
        model.metadata.emplace_back(m.key(), m.value().get<std::string>());
      }
      continue;
    }
    if (!v.is_object()) return CorruptDataError("tensor '" + name + "': entry is not an object");
    auto dt = v.find("dtype");
    auto sh = v.find("shape");
    auto off = v.find("data_offsets");
    if (dt == v.end() || sh == v.end() || off == v.end())
      return CorruptDataError("tensor '" + name + "': needs dtype, shape and data_offsets");
    if (!dt->is_string()) return CorruptDataError("tensor '" + name + "': dtype is not a string");
    auto dtype = DTypeFromSafetensors(dt->get<std::string>());
    if (!dtype)
      return UnsupportedError("tensor '" + name + "': unknown dtype '" + dt->get<std::string>() + "'");
    Entry e{name, *dtype, {}, 0, 0};
    TP_RETURN_IF_ERROR(CheckShape(*sh, name, &e.shape));
    if (!off->is_array() || off->size() != 2 || !(*off)[0].is_number_unsigned() ||
        !(*off)[1].is_number_unsigned())
      return CorruptDataError("tensor '" + name + "': data_offsets must be two unsigned integers");
    e.begin = (*off)[0].get<uint64_t>();
    e.end = (*off)[1].get<uint64_t>();
    if (e.begin > e.end) return CorruptDataError("tensor '" + name + "': data_offsets end before they begin");
    if (e.end > data_size)
      return CorruptDataError("tensor '" + name + "': data_offsets [" + std::to_string(e.begin) + ", " +
                              std::to_string(e.end) + "] run past the end of the data (" +
                              std::to_string(data_size) + " bytes)");
    uint64_t need = *StorageBytes(e.dtype, *ElementCount(e.shape));
    if (need != e.end - e.begin)
      return CorruptDataError("tensor '" + name + "': shape " + ShapeToString(e.shape) + " of " +
                              std::string(DTypeName(e.dtype)) + " needs " + std::to_string(need) +
                              " bytes but data_offsets span " + std::to_string(e.end - e.begin));
    entries.push_back(std::move(e));
  }
  // Overlapping tensors would alias each other's bytes: reject.
  std::vector<const Entry*> order;
  for (const Entry& e : entries) order.push_back(&e);
  std::sort(order.begin(), order.end(), [](const Entry* a, const Entry* c) { return a->begin < c->begin; });
  for (size_t i = 1; i < order.size(); ++i)
    if (order[i]->begin < order[i - 1]->end && order[i]->begin != order[i]->end &&
        order[i - 1]->begin != order[i - 1]->end)
      return CorruptDataError("tensors '" + order[i - 1]->name + "' and '" + order[i]->name +
                              "' overlap");
  // Keep the file's order of data (the JSON object itself is unordered).
  for (const Entry* e : order) {
    TP_ASSIGN_OR_RETURN(Tensor t, Tensor::View(e->name, e->dtype, e->shape,
                                               b.subspan(data_start + e->begin, e->end - e->begin),
                                               buffer));
    model.tensors.push_back(std::move(t));
  }
  return model;
}

}  // namespace tp::io

namespace tp {

Status WriteSafetensorsFrom(const std::string& path, std::span<const TensorSpec> specs, const Metadata& metadata,
                            const std::function<StatusOr<Tensor>(size_t)>& produce, const WriteOptions& options) {
  using json = nlohmann::ordered_json;
  json header = json::object();
  if (!metadata.empty()) {
    json meta = json::object();
    for (const auto& [k, v] : metadata) meta[k] = v;
    header["__metadata__"] = meta;
  }
  uint64_t offset = 0;
  std::set<std::string> seen;
  std::vector<uint64_t> sizes;
  for (const TensorSpec& t : specs) {
    if (t.name.empty()) return InvalidArgumentError(path + ": a tensor has an empty name");
    if (t.name == "__metadata__" || !seen.insert(t.name).second)
      return InvalidArgumentError(path + ": duplicate or reserved tensor name '" + t.name + "'");
    std::string_view st = Traits(t.dtype).safetensors;
    if (st.empty())
      return InvalidArgumentError(path + ": tensor '" + t.name + "': dtype " + std::string(DTypeName(t.dtype)) +
                                  " has no safetensors equivalent");
    uint64_t elements = 1;
    for (int64_t d : t.shape) elements *= uint64_t(d);
    auto bytes = StorageBytes(t.dtype, elements);
    if (!bytes) return InvalidArgumentError(path + ": tensor '" + t.name + "': size overflows");
    header[t.name] = {{"dtype", st}, {"shape", t.shape}, {"data_offsets", {offset, offset + *bytes}}};
    offset += *bytes;
    sizes.push_back(*bytes);
  }
  std::string text = header.dump();
  // Pad with spaces so the data starts 8-byte aligned, as the reference does.
  text.append((8 - text.size() % 8) % 8, ' ');
  uint64_t n = text.size();
  TP_ASSIGN_OR_RETURN(auto file, AtomicFile::Create(path, options));
  TP_RETURN_IF_ERROR(file->Write(&n, 8));
  TP_RETURN_IF_ERROR(file->Write(text.data(), text.size()));
  for (size_t i = 0; i < specs.size(); ++i) {
    TP_ASSIGN_OR_RETURN(Tensor t, produce(i));
    if (t.name() != specs[i].name || t.dtype() != specs[i].dtype || t.shape() != specs[i].shape ||
        t.nbytes() != sizes[i])
      return InternalError(path + ": tensor '" + specs[i].name + "' does not match its header entry");
    TP_RETURN_IF_ERROR(file->Write(t.bytes()));
  }
  return file->Commit();
}

Status WriteSafetensors(const std::string& path, std::span<const Tensor> tensors,
                        const Metadata& metadata, const WriteOptions& options) {
  std::vector<TensorSpec> specs;
  specs.reserve(tensors.size());
  for (const Tensor& t : tensors) specs.push_back({t.name(), t.dtype(), t.shape()});
  return WriteSafetensorsFrom(path, specs, metadata, [&](size_t i) -> StatusOr<Tensor> { return tensors[i]; },
                              options);
}

}  // namespace tp
