// ONNX: a protobuf ModelProto (parsed with Debian's libonnx generated code).
//
// Weights come from three places, all collected here:
//   - graph.initializer tensors (named by the initializer);
//   - Constant nodes (named by the node's output), whose `value` tensor, or
//     `value_float(s)` / `value_int(s)` list, holds the constant;
//   - the same two inside subgraphs: If/Loop/Scan nodes carry graphs in
//     attributes of type GRAPH or GRAPHS, visited recursively up to
//     kMaxGraphDepth levels.
// FunctionProto bodies are templates, not weights, and are not read.
//
// A tensor's bytes are either `raw_data` (little-endian, the usual case),
// one of the typed repeated fields, or external: `external_data` names a
// file beside the model (location, offset, length) which is mapped, so big
// models are never copied. Protobuf copies everything it parses, so tensors
// of inline data own their bytes (the parsed raw_data string is moved, not
// copied again).
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstring>
#include <filesystem>
#include <map>

#include <onnx/onnx_pb.h>  // defines ONNX_API, then includes onnx-ml.pb.h

#include "io/readers.h"

namespace tp::io {
namespace {

constexpr int kMaxGraphDepth = 16;

// TensorProto.DataType numbers, including those newer than the libonnx
// headers (INT4/UINT4 arrived in ONNX 1.16).
enum OnnxType : int32_t {
  kUndefined = 0, kFloat = 1, kUint8 = 2, kInt8 = 3, kUint16 = 4, kInt16 = 5, kInt32 = 6,
  kInt64 = 7, kString = 8, kBool = 9, kFloat16 = 10, kDouble = 11, kUint32 = 12, kUint64 = 13,
  kComplex64 = 14, kComplex128 = 15, kBfloat16 = 16, kFloat8E4M3FN = 17, kFloat8E4M3FNUZ = 18,
  kFloat8E5M2 = 19, kFloat8E5M2FNUZ = 20, kUint4 = 21, kInt4 = 22, kFloat4E2M1 = 23,
};

std::optional<DType> DTypeFromOnnx(int32_t type) {
  switch (type) {
    case kFloat: return DType::kF32;
    case kUint8: return DType::kU8;
    case kInt8: return DType::kI8;
    case kUint16: return DType::kU16;
    case kInt16: return DType::kI16;
    case kInt32: return DType::kI32;
    case kInt64: return DType::kI64;
    case kBool: return DType::kBool;
    case kFloat16: return DType::kF16;
    case kDouble: return DType::kF64;
    case kUint32: return DType::kU32;
    case kUint64: return DType::kU64;
    case kBfloat16: return DType::kBF16;
    case kUint4: return DType::kU4;
    case kInt4: return DType::kI4;
    default: return std::nullopt;
  }
}

std::string OnnxTypeName(int32_t type) {
  switch (type) {
    case kString: return "STRING";
    case kComplex64: return "COMPLEX64";
    case kComplex128: return "COMPLEX128";
    case kFloat8E4M3FN: return "FLOAT8E4M3FN";
    case kFloat8E4M3FNUZ: return "FLOAT8E4M3FNUZ";
    case kFloat8E5M2: return "FLOAT8E5M2";
    case kFloat8E5M2FNUZ: return "FLOAT8E5M2FNUZ";
    case kFloat4E2M1: return "FLOAT4E2M1";
    default: return "";
  }
}

struct Context {
  std::filesystem::path folder;
  bool allow_external_data;
  std::map<std::string, std::shared_ptr<MappedFile>> external_files;
  Model* model;
};

template <typename To, typename From>
Status Narrow(const google::protobuf::RepeatedField<From>& values, int64_t lo, int64_t hi,
              std::vector<uint8_t>* out) {
  out->resize(values.size() * sizeof(To));
  for (int i = 0; i < values.size(); ++i) {
    From v = values.Get(i);
    if (static_cast<int64_t>(v) < lo || static_cast<int64_t>(v) > hi)
      return CorruptDataError("value " + std::to_string(v) + " at index " + std::to_string(i) +
                              " is out of range for the data type");
    To narrow = static_cast<To>(v);
    std::memcpy(out->data() + i * sizeof(To), &narrow, sizeof(To));
  }
  return Status::Ok();
}

template <typename T>
void CopyAll(const google::protobuf::RepeatedField<T>& values, std::vector<uint8_t>* out) {
  out->resize(values.size() * sizeof(T));
  if (!values.empty()) std::memcpy(out->data(), values.data(), out->size());
}

// Bytes of a tensor stored in one of the typed fields. `count` is how many
// entries the field must hold.
Status TypedFieldBytes(const onnx::TensorProto& t, DType dtype, uint64_t elements, std::vector<uint8_t>* out) {
  auto expect = [&](int size, uint64_t want, const char* field) -> Status {
    if (static_cast<uint64_t>(size) != want)
      return CorruptDataError(std::string(field) + " holds " + std::to_string(size) + " values but the shape needs " +
                              std::to_string(want));
    return Status::Ok();
  };
  switch (dtype) {
    case DType::kF32:
      TP_RETURN_IF_ERROR(expect(t.float_data_size(), elements, "float_data"));
      CopyAll(t.float_data(), out);
      return Status::Ok();
    case DType::kF64:
      TP_RETURN_IF_ERROR(expect(t.double_data_size(), elements, "double_data"));
      CopyAll(t.double_data(), out);
      return Status::Ok();
    case DType::kI64:
      TP_RETURN_IF_ERROR(expect(t.int64_data_size(), elements, "int64_data"));
      CopyAll(t.int64_data(), out);
      return Status::Ok();
    case DType::kU64:
      TP_RETURN_IF_ERROR(expect(t.uint64_data_size(), elements, "uint64_data"));
      CopyAll(t.uint64_data(), out);
      return Status::Ok();
    case DType::kU32:
      TP_RETURN_IF_ERROR(expect(t.uint64_data_size(), elements, "uint64_data"));
      return Narrow<uint32_t>(t.uint64_data(), 0, UINT32_MAX, out);
    case DType::kI32:
      TP_RETURN_IF_ERROR(expect(t.int32_data_size(), elements, "int32_data"));
      CopyAll(t.int32_data(), out);
      return Status::Ok();
    // Narrower types are widened to int32 one value per entry; 16-bit floats
    // keep their bit pattern in the low 16 bits.
    case DType::kI16:
      TP_RETURN_IF_ERROR(expect(t.int32_data_size(), elements, "int32_data"));
      return Narrow<int16_t>(t.int32_data(), INT16_MIN, INT16_MAX, out);
    case DType::kU16:
    case DType::kF16:
    case DType::kBF16:
      TP_RETURN_IF_ERROR(expect(t.int32_data_size(), elements, "int32_data"));
      return Narrow<uint16_t>(t.int32_data(), 0, UINT16_MAX, out);
    case DType::kI8:
      TP_RETURN_IF_ERROR(expect(t.int32_data_size(), elements, "int32_data"));
      return Narrow<int8_t>(t.int32_data(), INT8_MIN, INT8_MAX, out);
    case DType::kU8:
      TP_RETURN_IF_ERROR(expect(t.int32_data_size(), elements, "int32_data"));
      return Narrow<uint8_t>(t.int32_data(), 0, UINT8_MAX, out);
    case DType::kBool:
      TP_RETURN_IF_ERROR(expect(t.int32_data_size(), elements, "int32_data"));
      return Narrow<uint8_t>(t.int32_data(), 0, 1, out);
    // 4-bit types: each int32 entry holds one byte, i.e. two elements, the
    // first in the low nibble (onnx.proto, TensorProto.int32_data).
    case DType::kI4:
    case DType::kU4:
      TP_RETURN_IF_ERROR(expect(t.int32_data_size(), (elements + 1) / 2, "int32_data"));
      return Narrow<uint8_t>(t.int32_data(), 0, UINT8_MAX, out);
    default: return InternalError("no typed field for " + std::string(DTypeName(dtype)));
  }
}

// Parses a decimal external_data value with no sign, spaces or suffix.
std::optional<uint64_t> ParseDecimal(const std::string& s) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// A location must name a file inside the model's folder: relative, with no
// ".." component. (Symbolic links are followed: model folders such as the
// Hugging Face cache link their files to a blob store elsewhere.)
bool LocationStaysInFolder(const std::string& location) {
  if (location.empty() || location.find('\0') != std::string::npos) return false;
  if (location[0] == '/' || location[0] == '\\') return false;
  if (location.size() >= 2 && location[1] == ':') return false;  // "C:..."
  size_t begin = 0;
  while (begin <= location.size()) {
    size_t end = location.find_first_of("/\\", begin);
    if (end == std::string::npos) end = location.size();
    if (location.compare(begin, end - begin, "..") == 0) return false;
    begin = end + 1;
  }
  return true;
}

Status ExternalBytes(Context& ctx, const onnx::TensorProto& t, uint64_t need, std::span<const uint8_t>* bytes,
                     std::shared_ptr<const void>* owner) {
  if (!ctx.allow_external_data) return UnsupportedError("external data is disabled");
  std::string location;
  std::optional<uint64_t> offset = 0, length;
  bool has_location = false;
  for (const auto& kv : t.external_data()) {
    if (kv.key() == "location") {
      location = kv.value();
      has_location = true;
    } else if (kv.key() == "offset") {
      offset = ParseDecimal(kv.value());
      if (!offset) return CorruptDataError("external data offset '" + kv.value() + "' is not a number");
    } else if (kv.key() == "length") {
      length = ParseDecimal(kv.value());
      if (!length) return CorruptDataError("external data length '" + kv.value() + "' is not a number");
    }
  }
  if (!has_location) return CorruptDataError("external data has no location");
  if (!LocationStaysInFolder(location))
    return CorruptDataError("external data location '" + location + "' leaves the model's folder");
  if (length && *length != need)
    return CorruptDataError("external data length " + std::to_string(*length) + " differs from the " +
                            std::to_string(need) + " bytes the shape needs");
  auto it = ctx.external_files.find(location);
  if (it == ctx.external_files.end()) {
    std::filesystem::path file = ctx.folder / location;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec))
      return CorruptDataError("external data file '" + location + "' is missing from " + ctx.folder.string());
    TP_ASSIGN_OR_RETURN(std::shared_ptr<MappedFile> mapped, MappedFile::Open(file.string()));
    it = ctx.external_files.emplace(location, std::move(mapped)).first;
  }
  const MappedFile& f = *it->second;
  if (*offset > f.size() || need > f.size() - *offset)
    return CorruptDataError("external data [" + std::to_string(*offset) + ", +" + std::to_string(need) +
                            ") runs past the end of '" + location + "' (" + std::to_string(f.size()) + " bytes)");
  *bytes = f.bytes().subspan(*offset, need);
  *owner = it->second;
  return Status::Ok();
}

Status AddTensor(Context& ctx, onnx::TensorProto* t, const std::string& name) {
  if (name.empty()) return CorruptDataError("a tensor has no name");
  if (t->has_segment()) return UnsupportedError("segmented tensors are not supported");
  const int32_t type = t->data_type();
  if (type == kUndefined) return CorruptDataError("data type is undefined");
  auto dtype = DTypeFromOnnx(type);
  if (!dtype) {
    std::string type_name = OnnxTypeName(type);
    if (type_name.empty()) return UnsupportedError("unknown data type " + std::to_string(type));
    return UnsupportedError("data type " + type_name + " (" + std::to_string(type) + ") is not supported");
  }
  Shape shape;
  for (int64_t d : t->dims()) {
    if (d < 0) return CorruptDataError("negative dimension " + std::to_string(d));
    shape.push_back(d);
  }
  auto elements = ElementCount(shape);
  if (!elements) return CorruptDataError("element count of shape " + ShapeToString(shape) + " overflows");
  auto need = StorageBytes(*dtype, *elements);
  if (!need) return CorruptDataError("size of shape " + ShapeToString(shape) + " overflows");

  std::span<const uint8_t> bytes;
  std::shared_ptr<const void> owner;
  if (t->data_location() == onnx::TensorProto_DataLocation_EXTERNAL) {
    TP_RETURN_IF_ERROR(ExternalBytes(ctx, *t, *need, &bytes, &owner));
  } else if (t->has_raw_data()) {
    if (t->raw_data().size() != *need)
      return CorruptDataError("raw_data holds " + std::to_string(t->raw_data().size()) + " bytes but shape " +
                              ShapeToString(shape) + " of " + std::string(DTypeName(*dtype)) + " needs " +
                              std::to_string(*need));
    auto holder = std::make_shared<std::string>(std::move(*t->mutable_raw_data()));
    bytes = {reinterpret_cast<const uint8_t*>(holder->data()), holder->size()};
    owner = std::move(holder);
  } else {
    auto holder = std::make_shared<std::vector<uint8_t>>();
    TP_RETURN_IF_ERROR(TypedFieldBytes(*t, *dtype, *elements, holder.get()));
    bytes = *holder;
    owner = std::move(holder);
  }
  TP_ASSIGN_OR_RETURN(Tensor tensor, Tensor::View(name, *dtype, std::move(shape), bytes, std::move(owner)));
  ctx.model->tensors.push_back(std::move(tensor));
  return Status::Ok();
}

// Constant's list-valued attributes become 1-D (or scalar) tensors.
template <typename T>
Status AddListConstant(Context& ctx, const std::string& name, DType dtype, bool scalar, std::span<const T> values) {
  Shape shape = scalar ? Shape{} : Shape{static_cast<int64_t>(values.size())};
  TP_ASSIGN_OR_RETURN(Tensor t, Tensor::FromValues<T>(name, dtype, std::move(shape), values));
  ctx.model->tensors.push_back(std::move(t));
  return Status::Ok();
}

Status VisitConstant(Context& ctx, onnx::NodeProto* node) {
  if (node->output_size() < 1) return CorruptDataError("Constant node '" + node->name() + "' has no output");
  const std::string name = node->output(0);
  for (onnx::AttributeProto& a : *node->mutable_attribute()) {
    Status s;
    if (a.name() == "value") {
      s = AddTensor(ctx, a.mutable_t(), name);
    } else if (a.name() == "value_float") {
      float v = a.f();
      s = AddListConstant<float>(ctx, name, DType::kF32, true, {&v, 1});
    } else if (a.name() == "value_floats") {
      s = AddListConstant<float>(ctx, name, DType::kF32, false, {a.floats().data(), size_t(a.floats_size())});
    } else if (a.name() == "value_int") {
      int64_t v = a.i();
      s = AddListConstant<int64_t>(ctx, name, DType::kI64, true, {&v, 1});
    } else if (a.name() == "value_ints") {
      s = AddListConstant<int64_t>(ctx, name, DType::kI64, false, {a.ints().data(), size_t(a.ints_size())});
    } else if (a.name() == "sparse_value" || a.name() == "value_string" || a.name() == "value_strings") {
      s = UnsupportedError("Constant attribute " + a.name() + " is not supported");
    } else {
      continue;
    }
    if (!s.ok()) return s.WithContext("tensor '" + name + "'");
  }
  return Status::Ok();
}

Status VisitGraph(Context& ctx, onnx::GraphProto* graph, int depth) {
  if (depth > kMaxGraphDepth)
    return CorruptDataError("subgraphs nested deeper than " + std::to_string(kMaxGraphDepth) + " levels");
  if (graph->sparse_initializer_size() > 0) return UnsupportedError("sparse initializers are not supported");
  for (onnx::TensorProto& t : *graph->mutable_initializer()) {
    Status s = AddTensor(ctx, &t, t.name());
    if (!s.ok()) return s.WithContext("tensor '" + t.name() + "'");
  }
  for (onnx::NodeProto& node : *graph->mutable_node()) {
    if (node.op_type() == "Constant" && (node.domain().empty() || node.domain() == "ai.onnx"))
      TP_RETURN_IF_ERROR(VisitConstant(ctx, &node));
    for (onnx::AttributeProto& a : *node.mutable_attribute()) {
      if (a.has_g()) TP_RETURN_IF_ERROR(VisitGraph(ctx, a.mutable_g(), depth + 1));
      for (onnx::GraphProto& g : *a.mutable_graphs()) TP_RETURN_IF_ERROR(VisitGraph(ctx, &g, depth + 1));
    }
  }
  return Status::Ok();
}

}  // namespace

StatusOr<Model> ReadOnnx(std::shared_ptr<const Buffer> buffer, const std::string& path, bool allow_external_data) {
  std::span<const uint8_t> b = buffer->bytes();
  if (b.size() > static_cast<size_t>(INT_MAX))
    return UnsupportedError("ONNX files over 2 GB (the protobuf limit) are not supported; "
                            "keep the weights in external data");
  onnx::ModelProto proto;
  if (!proto.ParseFromArray(b.data(), static_cast<int>(b.size())))
    return CorruptDataError("not a valid ONNX protobuf (ModelProto did not parse)");
  if (!proto.has_graph()) return CorruptDataError("ONNX model has no graph");

  Model model;
  Context ctx{std::filesystem::path(path).parent_path(), allow_external_data, {}, &model};
  if (ctx.folder.empty()) ctx.folder = ".";
  TP_RETURN_IF_ERROR(VisitGraph(ctx, proto.mutable_graph(), 0));

  auto& meta = model.metadata;
  meta.emplace_back("ir_version", std::to_string(proto.ir_version()));
  if (!proto.producer_name().empty()) meta.emplace_back("producer_name", proto.producer_name());
  if (!proto.producer_version().empty()) meta.emplace_back("producer_version", proto.producer_version());
  if (!proto.domain().empty()) meta.emplace_back("domain", proto.domain());
  if (proto.has_model_version()) meta.emplace_back("model_version", std::to_string(proto.model_version()));
  for (const auto& op : proto.opset_import())
    meta.emplace_back("opset." + (op.domain().empty() ? std::string("ai.onnx") : op.domain()),
                      std::to_string(op.version()));
  meta.emplace_back("graph.name", proto.graph().name());
  for (const auto& kv : proto.metadata_props()) meta.emplace_back("metadata." + kv.key(), kv.value());
  return model;
}

}  // namespace tp::io
