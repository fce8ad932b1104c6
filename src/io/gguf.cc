// GGUF (ggml's model container, versions 2 and 3):
//
//   u32 magic "GGUF", u32 version, u64 tensor_count, u64 kv_count,
//   kv_count x { string key, u32 value_type, value },
//   tensor_count x { string name, u32 n_dims, u64 ne[n_dims], u32 ggml_type, u64 offset },
//   padding to `general.alignment` (default 32), then the data section;
//   each tensor's offset is relative to the start of the data section.
//
// Strings are a u64 length and that many bytes (no terminator). Version 1
// used u32 lengths and counts and is refused; version 3 only added
// big-endian files, which show up here as a byte-swapped version and are
// refused too.
//
// Shape order: ggml lists dimensions fastest-varying first (ne[0] is the row
// length), the reverse of tensorpress's row-major shapes. The reader reverses
// them, so a matrix stored with ne = {4096, 11008} reads as Shape{11008, 4096},
// and the writer reverses them back.
//
// Every count and length is bounded by the bytes that remain before anything
// is reserved, so a hostile header cannot make the reader allocate.
#include <algorithm>
#include <bit>
#include <charconv>
#include <cstring>
#include <set>

#include "io/byte_reader.h"
#include "io/gguf_format.h"
#include "io/readers.h"

namespace tp::io {
namespace {

constexpr int kMaxArrayDepth = 8;        // nested arrays: ggml itself allows 1 level
constexpr int kMaxDims = 8;              // ggml has 4; accept a little more
constexpr size_t kArrayRenderLimit = 16;  // longer arrays are summarised

// Smallest encoded size of one value of each type, used to bound counts by
// the remaining bytes before iterating over them.
uint64_t MinValueBytes(uint32_t type) {
  switch (type) {
    case kGgufString: return 8;
    case kGgufArray: return 12;
    default: return GgufScalarBytes(type);
  }
}

std::string QuoteString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

Status ReadString(ByteReader& r, std::string_view* out, const char* what) {
  uint64_t n = 0;
  TP_RETURN_IF_ERROR(r.Read(&n, what));
  std::span<const uint8_t> s;
  TP_RETURN_IF_ERROR(r.ReadSpan(n, &s, what));
  *out = {reinterpret_cast<const char*>(s.data()), s.size()};
  return Status::Ok();
}

// Shortest text that reads back as the same float.
template <typename T>
Status FloatText(ByteReader& r, const char* what, std::string* text) {
  T v = 0;
  TP_RETURN_IF_ERROR(r.Read(&v, what));
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  *text = ec == std::errc() ? std::string(buf, end) : "?";
  return Status::Ok();
}

// Reads one value of `type` and renders it as text. `integer` receives the
// value of integer scalars (for general.alignment).
Status ReadValue(ByteReader& r, uint32_t type, int depth, std::string* text,
                 std::optional<int64_t>* integer) {
  switch (type) {
    case kGgufU8: { uint8_t v = 0; TP_RETURN_IF_ERROR(r.Read(&v, "uint8 value")); *text = std::to_string(v); *integer = v; return Status::Ok(); }
    case kGgufI8: { int8_t v = 0; TP_RETURN_IF_ERROR(r.Read(&v, "int8 value")); *text = std::to_string(v); *integer = v; return Status::Ok(); }
    case kGgufU16: { uint16_t v = 0; TP_RETURN_IF_ERROR(r.Read(&v, "uint16 value")); *text = std::to_string(v); *integer = v; return Status::Ok(); }
    case kGgufI16: { int16_t v = 0; TP_RETURN_IF_ERROR(r.Read(&v, "int16 value")); *text = std::to_string(v); *integer = v; return Status::Ok(); }
    case kGgufU32: { uint32_t v = 0; TP_RETURN_IF_ERROR(r.Read(&v, "uint32 value")); *text = std::to_string(v); *integer = v; return Status::Ok(); }
    case kGgufI32: { int32_t v = 0; TP_RETURN_IF_ERROR(r.Read(&v, "int32 value")); *text = std::to_string(v); *integer = v; return Status::Ok(); }
    case kGgufU64: {
      uint64_t v = 0;
      TP_RETURN_IF_ERROR(r.Read(&v, "uint64 value"));
      *text = std::to_string(v);
      if (v <= static_cast<uint64_t>(INT64_MAX)) *integer = static_cast<int64_t>(v);
      return Status::Ok();
    }
    case kGgufI64: { int64_t v = 0; TP_RETURN_IF_ERROR(r.Read(&v, "int64 value")); *text = std::to_string(v); *integer = v; return Status::Ok(); }
    case kGgufF32: return FloatText<float>(r, "float32 value", text);
    case kGgufF64: return FloatText<double>(r, "float64 value", text);
    case kGgufBool: {
      uint8_t v = 0;
      TP_RETURN_IF_ERROR(r.Read(&v, "bool value"));
      if (v > 1) return CorruptDataError("bool value " + std::to_string(v) + " is neither 0 nor 1");
      *text = v ? "true" : "false";
      return Status::Ok();
    }
    case kGgufString: {
      std::string_view v;
      TP_RETURN_IF_ERROR(ReadString(r, &v, "string value"));
      *text = std::string(v);
      return Status::Ok();
    }
    case kGgufArray: {
      if (depth >= kMaxArrayDepth)
        return CorruptDataError("arrays nested deeper than " + std::to_string(kMaxArrayDepth) + " levels");
      uint32_t elem_type = 0;
      uint64_t count = 0;
      TP_RETURN_IF_ERROR(r.Read(&elem_type, "array element type"));
      TP_RETURN_IF_ERROR(r.Read(&count, "array length"));
      uint64_t min_bytes = MinValueBytes(elem_type);
      if (min_bytes == 0) return CorruptDataError("unknown array element type " + std::to_string(elem_type));
      if (count > r.remaining() / min_bytes)
        return CorruptDataError("array of " + std::to_string(count) + " " +
                                std::string(GgufValueTypeName(elem_type)) +
                                " values runs past the end of the file");
      const bool render = count <= kArrayRenderLimit;
      std::string out = "[";
      for (uint64_t i = 0; i < count; ++i) {
        // Fixed-size elements of a long array need no decoding: skip them.
        if (!render && elem_type != kGgufString && elem_type != kGgufArray) {
          TP_RETURN_IF_ERROR(r.Skip((count - i) * min_bytes, "array values"));
          break;
        }
        std::string item;
        std::optional<int64_t> ignored;
        if (!render && elem_type == kGgufString) {
          std::string_view skipped;
          TP_RETURN_IF_ERROR(ReadString(r, &skipped, "string value"));
          continue;
        }
        TP_RETURN_IF_ERROR(ReadValue(r, elem_type, depth + 1, &item, &ignored));
        if (!render) continue;
        if (i) out += ", ";
        out += elem_type == kGgufString ? QuoteString(item) : item;
      }
      *text = render ? out + "]"
                     : "[array of " + std::to_string(count) + " " +
                           std::string(GgufValueTypeName(elem_type)) + "]";
      return Status::Ok();
    }
    default: return CorruptDataError("unknown value type " + std::to_string(type));
  }
}

struct TensorInfo {
  std::string name;
  DType dtype;
  Shape shape;
  uint64_t offset;
  uint64_t nbytes;
  uint32_t ggml_type;
  bool opaque;           // unknown ggml type: raw bytes up to the next tensor
  Shape ggml_shape = {};  // opaque tensors: the declared shape, for the warning
};

}  // namespace

StatusOr<Model> ReadGguf(std::shared_ptr<const Buffer> buffer, const std::string& path) {
  std::span<const uint8_t> b = buffer->bytes();
  ByteReader r(b);
  uint32_t magic = 0, version = 0;
  TP_RETURN_IF_ERROR(r.Read(&magic, "magic"));
  if (std::memcmp(&magic, "GGUF", 4) != 0) return CorruptDataError("not a GGUF file (bad magic)");
  TP_RETURN_IF_ERROR(r.Read(&version, "version"));
  if (version == 1) return UnsupportedError("GGUF version 1 is not supported (versions 2 and 3 are)");
  if (version != 2 && version != 3) {
    if (__builtin_bswap32(version) == 2 || __builtin_bswap32(version) == 3)
      return UnsupportedError("big-endian GGUF files are not supported");
    return UnsupportedError("unknown GGUF version " + std::to_string(version));
  }
  uint64_t tensor_count = 0, kv_count = 0;
  TP_RETURN_IF_ERROR(r.Read(&tensor_count, "tensor count"));
  TP_RETURN_IF_ERROR(r.Read(&kv_count, "key/value count"));
  // Smallest possible entries: a kv is an empty key, a type and a 1-byte
  // value; a tensor info is an empty name, n_dims, type and offset.
  if (kv_count > r.remaining() / 13)
    return CorruptDataError("key/value count " + std::to_string(kv_count) + " exceeds what the file can hold");
  if (tensor_count > r.remaining() / 24)
    return CorruptDataError("tensor count " + std::to_string(tensor_count) + " exceeds what the file can hold");

  Model model;
  std::set<std::string, std::less<>> keys;
  uint64_t alignment = kGgufDefaultAlignment;
  for (uint64_t i = 0; i < kv_count; ++i) {
    std::string_view key;
    TP_RETURN_IF_ERROR(ReadString(r, &key, "key"));
    uint32_t type = 0;
    TP_RETURN_IF_ERROR(r.Read(&type, "value type"));
    std::string text;
    std::optional<int64_t> integer;
    Status s = ReadValue(r, type, 0, &text, &integer);
    if (!s.ok()) return s.WithContext("key '" + std::string(key) + "'");
    if (!keys.insert(std::string(key)).second)
      return CorruptDataError("duplicate key '" + std::string(key) + "'");
    if (key == "general.alignment") {
      if (!integer || *integer <= 0 || *integer > (int64_t{1} << 30) || !std::has_single_bit(static_cast<uint64_t>(*integer)))
        return CorruptDataError("general.alignment " + text + " is not a positive power of two");
      alignment = static_cast<uint64_t>(*integer);
    }
    model.metadata.emplace_back(std::string(key), std::move(text));
  }

  std::vector<TensorInfo> infos;
  infos.reserve(std::min<uint64_t>(tensor_count, 4096));  // counts are only bounded by the file size
  std::set<std::string, std::less<>> names;
  for (uint64_t i = 0; i < tensor_count; ++i) {
    std::string_view name;
    TP_RETURN_IF_ERROR(ReadString(r, &name, "tensor name"));
    std::string quoted = "tensor '" + std::string(name) + "'";
    uint32_t n_dims = 0;
    TP_RETURN_IF_ERROR(r.Read(&n_dims, "dimension count"));
    if (n_dims > kMaxDims)
      return CorruptDataError(quoted + ": " + std::to_string(n_dims) + " dimensions (at most " +
                              std::to_string(kMaxDims) + ")");
    uint64_t ne[kMaxDims] = {};
    for (uint32_t d = 0; d < n_dims; ++d) {
      TP_RETURN_IF_ERROR(r.Read(&ne[d], "dimension"));
      if (ne[d] > static_cast<uint64_t>(INT64_MAX))
        return CorruptDataError(quoted + ": dimension " + std::to_string(ne[d]) + " is too large");
    }
    uint32_t ggml_type = 0;
    uint64_t offset = 0;
    TP_RETURN_IF_ERROR(r.Read(&ggml_type, "tensor type"));
    TP_RETURN_IF_ERROR(r.Read(&offset, "tensor offset"));
    auto dtype = DTypeFromGgml(ggml_type);
    if (!names.insert(std::string(name)).second)
      return CorruptDataError("duplicate tensor name '" + std::string(name) + "'");
    if (offset % alignment != 0)
      return CorruptDataError(quoted + ": offset " + std::to_string(offset) + " is not a multiple of the alignment " +
                              std::to_string(alignment));
    if (!dtype) {
      // A type this reader does not know (a future ggml type, or one ggml
      // removed): its size is unknown, so it is kept as the opaque bytes up
      // to the next tensor (or the end of the data), sized once all offsets
      // are known.
      TensorInfo info{std::string(name), DType::kU8, {}, offset, 0, ggml_type, true};
      for (uint32_t d = n_dims; d-- > 0;) info.ggml_shape.push_back(static_cast<int64_t>(ne[d]));
      infos.push_back(std::move(info));
      continue;
    }
    TensorInfo info{std::string(name), *dtype, {}, offset, 0, ggml_type, false};
    for (uint32_t d = n_dims; d-- > 0;) info.shape.push_back(static_cast<int64_t>(ne[d]));
    auto elements = ElementCount(info.shape);
    if (!elements) return CorruptDataError(quoted + ": element count overflows");
    // ggml quantizes rows: each row must be a whole number of blocks.
    const DTypeTraits& traits = Traits(*dtype);
    if (traits.is_quantized_block && n_dims > 0 && ne[0] % traits.block_elements != 0)
      return CorruptDataError(quoted + ": row length " + std::to_string(ne[0]) + " is not a multiple of the " +
                              std::string(traits.name) + " block size " + std::to_string(traits.block_elements));
    auto nbytes = StorageBytes(*dtype, *elements);
    if (!nbytes)
      return CorruptDataError(quoted + ": " + std::to_string(*elements) + " elements of " +
                              std::string(traits.name) + " do not fill whole blocks");
    info.nbytes = *nbytes;
    infos.push_back(std::move(info));
  }

  const uint64_t infos_end = r.offset();
  const uint64_t data_start = (infos_end + alignment - 1) / alignment * alignment;
  if (infos.empty()) return model;
  if (data_start > b.size())
    return CorruptDataError("data section starts at " + std::to_string(data_start) +
                            ", past the end of the file (" + std::to_string(b.size()) + " bytes)");
  const uint64_t data_size = b.size() - data_start;
  for (const TensorInfo& t : infos) {
    if (t.offset > data_size || t.nbytes > data_size - t.offset)
      return CorruptDataError("tensor '" + t.name + "': " + std::to_string(t.nbytes) + " bytes at offset " +
                              std::to_string(t.offset) + " run past the end of the data section (" +
                              std::to_string(data_size) + " bytes)");
  }
  {  // Opaque tensors extend to the next tensor's offset or the end of the data.
    std::vector<uint64_t> starts;
    for (const TensorInfo& t : infos) starts.push_back(t.offset);
    std::sort(starts.begin(), starts.end());
    for (TensorInfo& t : infos) {
      if (!t.opaque) continue;
      auto next = std::upper_bound(starts.begin(), starts.end(), t.offset);
      t.nbytes = (next == starts.end() ? data_size : *next) - t.offset;
      t.shape = {static_cast<int64_t>(t.nbytes)};
      std::string_view type_name = GgmlTypeName(t.ggml_type);
      model.warnings.push_back("tensor '" + t.name + "': ggml type " +
                               (type_name.empty() ? std::string("id ") + std::to_string(t.ggml_type)
                                                  : std::string(type_name) + " (" + std::to_string(t.ggml_type) + ")") +
                               " of shape " + ShapeToString(t.ggml_shape) + " is not known to tensorpress; kept as " +
                               std::to_string(t.nbytes) + " opaque bytes");
    }
  }
  std::vector<const TensorInfo*> order;
  for (const TensorInfo& t : infos) order.push_back(&t);
  std::sort(order.begin(), order.end(), [](const TensorInfo* a, const TensorInfo* c) {
    return a->offset < c->offset;
  });
  for (size_t i = 1; i < order.size(); ++i) {
    const TensorInfo* prev = order[i - 1];
    if (prev->nbytes != 0 && order[i]->nbytes != 0 && order[i]->offset < prev->offset + prev->nbytes)
      return CorruptDataError("tensors '" + prev->name + "' and '" + order[i]->name + "' overlap");
  }
  model.tensors.reserve(infos.size());
  for (const TensorInfo& t : infos) {  // the file's tensor order
    TP_ASSIGN_OR_RETURN(Tensor tensor, Tensor::View(t.name, t.dtype, t.shape,
                                                    b.subspan(data_start + t.offset, t.nbytes), buffer));
    model.tensors.push_back(std::move(tensor));
  }
  (void)path;
  return model;
}

}  // namespace tp::io
