// TFLite models: a FlatBuffer (file identifier "TFL3" at bytes 4..8) whose
// root Model lists subgraphs of tensors and a table of raw data buffers.
// A tensor with constant data (a weight, a bias, a shape constant) names a
// non-empty buffer; activations name buffer 0, the empty sentinel, or an
// empty buffer. Models above 2 GB keep buffer data after the FlatBuffer and
// give its place as a file offset and size instead of an inline vector.
//
// Safety rests on two layers. flatbuffers' Verifier first walks every
// table, vector and string reachable through our schema subset
// (tflite_schema.fbs) and proves that each offset, length and alignment lies
// inside the file, bounded in depth and table count; only then do we touch
// the accessors. Everything the Verifier cannot know — buffer indices,
// shapes against data sizes, quantization counts against channels, external
// data against the file size — is checked here before a tensor is built.
//
// Tensors view the file's bytes (zero-copy) and carry the file's affine
// quantization parameters, so a quantized model's int8 weights dequantize
// with tp::Dequantize exactly as TFLite would.
#include <flatbuffers/flatbuffers.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <set>
#include <unordered_map>

#include "io/readers.h"
#include "tensorpress_gen/tflite_schema_generated.h"

namespace tp::io {
namespace {

namespace fb = tp::tflite_schema;

// The only layout we read: version 3 moved tensor data into Model.buffers.
constexpr uint32_t kSchemaVersion = 3;
// No operator accepts tensors of higher rank; refusing more keeps hostile
// shapes from costing time in messages and element counts.
constexpr uint32_t kMaxRank = 64;

// Names and strings from the file go into one-line messages: control
// characters are masked and very long names shortened.
std::string Printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 200)) out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
  if (s.size() > 200) out += "...";
  return out;
}

std::string_view StrView(const flatbuffers::String* s) {
  return s ? std::string_view(s->c_str(), s->size()) : std::string_view();
}

std::optional<DType> DTypeOf(fb::TensorType type) {
  switch (type) {
    case fb::TensorType_FLOAT32: return DType::kF32;
    case fb::TensorType_FLOAT16: return DType::kF16;
    case fb::TensorType_FLOAT64: return DType::kF64;
    case fb::TensorType_INT64: return DType::kI64;
    case fb::TensorType_INT32: return DType::kI32;
    case fb::TensorType_INT16: return DType::kI16;
    case fb::TensorType_INT8: return DType::kI8;
    case fb::TensorType_UINT64: return DType::kU64;
    case fb::TensorType_UINT32: return DType::kU32;
    case fb::TensorType_UINT16: return DType::kU16;
    case fb::TensorType_UINT8: return DType::kU8;
    case fb::TensorType_BOOL: return DType::kBool;
    // TFLite packs INT4 constants two to a byte, the first in the low
    // nibble: the same layout as kI4.
    case fb::TensorType_INT4: return DType::kI4;
    default: return std::nullopt;
  }
}

std::string TypeName(fb::TensorType type) {
  const char* name = (type >= fb::TensorType_MIN && type <= fb::TensorType_MAX) ? fb::EnumNameTensorType(type) : "";
  return *name ? std::string(name) : "TensorType " + std::to_string(static_cast<int>(type));
}

// Names of the builtin operators that small vision, audio and language
// models use (upstream enum BuiltinOperator); others print as a number.
std::string BuiltinName(int32_t code) {
  static const std::map<int32_t, const char*> kNames = {
      {0, "ADD"}, {1, "AVERAGE_POOL_2D"}, {2, "CONCATENATION"}, {3, "CONV_2D"},
      {4, "DEPTHWISE_CONV_2D"}, {5, "DEPTH_TO_SPACE"}, {6, "DEQUANTIZE"}, {7, "EMBEDDING_LOOKUP"},
      {8, "FLOOR"}, {9, "FULLY_CONNECTED"}, {11, "L2_NORMALIZATION"}, {14, "LOGISTIC"},
      {16, "LSTM"}, {17, "MAX_POOL_2D"}, {18, "MUL"}, {19, "RELU"}, {21, "RELU6"},
      {22, "RESHAPE"}, {23, "RESIZE_BILINEAR"}, {25, "SOFTMAX"}, {27, "SVDF"}, {28, "TANH"},
      {32, "CUSTOM"}, {34, "PAD"}, {36, "GATHER"}, {39, "TRANSPOSE"}, {40, "MEAN"}, {41, "SUB"},
      {42, "DIV"}, {43, "SQUEEZE"}, {44, "UNIDIRECTIONAL_SEQUENCE_LSTM"}, {45, "STRIDED_SLICE"},
      {47, "EXP"}, {49, "SPLIT"}, {53, "CAST"}, {54, "PRELU"}, {55, "MAXIMUM"}, {56, "ARG_MAX"},
      {57, "MINIMUM"}, {67, "TRANSPOSE_CONV"}, {70, "EXPAND_DIMS"}, {74, "SUM"}, {75, "SQRT"},
      {76, "RSQRT"}, {83, "PACK"}, {88, "UNPACK"}, {97, "RESIZE_NEAREST_NEIGHBOR"},
      {98, "LEAKY_RELU"}, {114, "QUANTIZE"}, {117, "HARD_SWISH"}, {126, "BATCH_MATMUL"},
      {150, "GELU"},
  };
  auto it = kNames.find(code);
  return it != kNames.end() ? it->second : "BUILTIN_" + std::to_string(code);
}

// "CONV_2D v3": upstream resolves the operator as the larger of the old byte
// field and the newer int field, since old writers fill only the former.
std::string OperatorCodeText(const fb::OperatorCode* op) {
  int32_t code = std::max<int32_t>(op->deprecated_builtin_code(), op->builtin_code());
  std::string text = BuiltinName(code);
  if (code == 32 && op->custom_code()) text += "(" + Printable(StrView(op->custom_code())) + ")";
  if (op->version() != 1) text += " v" + std::to_string(op->version());
  return text;
}

// The bytes of buffer `index`, inline or external; empty for none.
Status BufferBytes(const fb::Model* m, std::span<const uint8_t> file, uint32_t index,
                   std::span<const uint8_t>* out) {
  *out = {};
  if (index == 0) return Status::Ok();  // the sentinel: no data, whatever it holds
  const auto* buffers = m->buffers();
  if (!buffers || index >= buffers->size())
    return CorruptDataError("buffer index " + std::to_string(index) + " is out of range (" +
                            std::to_string(buffers ? buffers->size() : 0) + " buffers)");
  const fb::Buffer* buf = buffers->Get(index);
  const auto* data = buf->data();
  // Upstream treats offset 0 and 1 as "no external data".
  if (buf->offset() > 1) {
    if (data && data->size() > 0)
      return CorruptDataError("buffer " + std::to_string(index) + " has both inline data and an external offset");
    if (buf->offset() > file.size() || buf->size() > file.size() - buf->offset())
      return CorruptDataError("buffer " + std::to_string(index) + ": external data at offset " +
                              std::to_string(buf->offset()) + " with size " + std::to_string(buf->size()) +
                              " runs past the end of the file (" + std::to_string(file.size()) + " bytes)");
    *out = file.subspan(buf->offset(), buf->size());
    return Status::Ok();
  }
  if (buf->size() > 0 && (!data || data->size() == 0))
    return CorruptDataError("buffer " + std::to_string(index) + " declares " + std::to_string(buf->size()) +
                            " external bytes without an offset");
  if (data && data->size() > 0) {
    // The Verifier proved the vector lies inside the file.
    *out = file.subspan(static_cast<size_t>(data->data() - file.data()), data->size());
  }
  return Status::Ok();
}

Status ReadQuant(const fb::Tensor* t, const Tensor& tensor, const std::string& name,
                 std::optional<QuantParams>* out) {
  const fb::QuantizationParameters* q = t->quantization();
  if (!q || !q->scale() || q->scale()->size() == 0) return Status::Ok();
  if (q->details_type() != 0)
    return UnsupportedError(name + ": custom quantization details are not supported");
  // real = scale * (q - zero_point) has no meaning for float data: such
  // parameters (min/max-only or stray scales) are not attached.
  if (Traits(tensor.dtype()).is_float) return Status::Ok();
  const auto* scale = q->scale();
  const auto* zero = q->zero_point();
  if (!zero || zero->size() != scale->size())
    return CorruptDataError(name + ": " + std::to_string(scale->size()) + " scales but " +
                            std::to_string(zero ? zero->size() : 0) + " zero points");
  QuantParams p;
  if (scale->size() > 1) {
    int32_t axis = q->quantized_dimension();
    if (axis < 0 || axis >= tensor.rank())
      return CorruptDataError(name + ": quantized_dimension " + std::to_string(axis) + " is outside rank " +
                              std::to_string(tensor.rank()));
    if (static_cast<uint64_t>(tensor.shape()[axis]) != scale->size())
      return CorruptDataError(name + ": " + std::to_string(scale->size()) + " scales for dimension " +
                              std::to_string(axis) + " of size " + std::to_string(tensor.shape()[axis]));
    p.axis = axis;
  }
  p.scale.reserve(scale->size());
  for (float s : *scale) {
    if (!std::isfinite(s) || s < 0)
      return CorruptDataError(name + ": quantization scale " + std::to_string(s) + " is not a finite non-negative number");
    p.scale.push_back(s);
  }
  // The Verifier checks a vector's alignment only to its 4-byte length, so
  // 8-byte zero points may sit misaligned: copy them out bytewise.
  p.zero_point.resize(zero->size());
  std::memcpy(p.zero_point.data(), zero->Data(), zero->size() * sizeof(int64_t));
  *out = std::move(p);
  return Status::Ok();
}

// A weight found in the file, before names are made unique.
struct Found {
  uint32_t subgraph;
  uint32_t index;  // in its subgraph's tensor list
  Tensor tensor;
};

// Weights that share a name across (or within) subgraphs get
// "subgraph<i>/" in front; if that still repeats, "#<tensor index>" after,
// and a counter as the last resort against names built to collide.
void MakeNamesUnique(std::vector<Found>* found) {
  std::unordered_map<std::string, int> uses;
  for (const Found& f : *found) ++uses[f.tensor.name()];
  std::set<std::string> taken;
  for (Found& f : *found) {
    std::string name = f.tensor.name();
    // Built with append: GCC 12 warns falsely (-Wrestrict) on
    // "literal" + std::string&& chains.
    if (uses[name] > 1) name = std::string("subgraph").append(std::to_string(f.subgraph)).append("/").append(name);
    if (taken.count(name)) name.append("#").append(std::to_string(f.index));
    const std::string base = name;
    for (int k = 2; taken.count(name); ++k) name = std::string(base).append("~").append(std::to_string(k));
    taken.insert(name);
    f.tensor.set_name(std::move(name));
  }
}

}  // namespace

StatusOr<Model> ReadTflite(std::shared_ptr<const Buffer> buffer, const std::string& /*path*/) {
  // FlatBuffer accessors read scalars in place, so the base must be aligned
  // for the widest one (8 bytes); maps and vectors are, other Buffers get a
  // copy.
  if (reinterpret_cast<uintptr_t>(buffer->data()) % 16 != 0)
    buffer = MakeOwnedBuffer(std::vector<uint8_t>(buffer->bytes().begin(), buffer->bytes().end()));
  std::span<const uint8_t> file = buffer->bytes();
  if (file.size() < 8 || std::memcmp(file.data() + 4, fb::ModelIdentifier(), 4) != 0)
    return CorruptDataError("not a TFLite flatbuffer (no \"TFL3\" identifier at byte 4)");
  // The FlatBuffer itself is below 2 GB; external data may follow it.
  const size_t fb_size = std::min<uint64_t>(file.size(), FLATBUFFERS_MAX_BUFFER_SIZE - 1);
  flatbuffers::Verifier verifier(file.data(), fb_size);
  if (!fb::VerifyModelBuffer(verifier))
    return CorruptDataError("TFLite flatbuffer failed verification (an offset, length or alignment is invalid)");
  const fb::Model* m = fb::GetModel(file.data());
  if (m->version() != kSchemaVersion)
    return UnsupportedError("TFLite schema version " + std::to_string(m->version()) + " (only version 3 is read)");
  const auto* subgraphs = m->subgraphs();
  if (!subgraphs || subgraphs->size() == 0) return CorruptDataError("model has no subgraphs");

  Model model;
  uint64_t total_tensors = 0, total_operators = 0;
  std::vector<Found> found;
  for (uint32_t s = 0; s < subgraphs->size(); ++s) {
    const fb::SubGraph* sg = subgraphs->Get(s);
    if (sg->operators()) total_operators += sg->operators()->size();
    if (!sg->tensors()) continue;
    total_tensors += sg->tensors()->size();
    for (uint32_t i = 0; i < sg->tensors()->size(); ++i) {
      const fb::Tensor* t = sg->tensors()->Get(i);
      std::string name(StrView(t->name()));
      if (name.empty()) name = "tensor" + std::to_string(i);
      const std::string where = "tensor '" + Printable(name) + "' (subgraph " + std::to_string(s) + ")";
      std::span<const uint8_t> bytes;
      Status st = BufferBytes(m, file, t->buffer(), &bytes);
      if (!st.ok()) return st.WithContext(where);
      // Activations and state have no constant data: they are not weights.
      if (bytes.empty() || t->is_variable()) continue;
      if (t->sparsity()) return UnsupportedError(where + ": sparse tensors are not supported");
      auto dtype = DTypeOf(t->type());
      if (!dtype) return UnsupportedError(where + ": type " + TypeName(t->type()) + " is not supported");
      Shape shape;
      if (const auto* dims = t->shape()) {
        if (dims->size() > kMaxRank)
          return CorruptDataError(where + ": rank " + std::to_string(dims->size()) + " exceeds " +
                                  std::to_string(kMaxRank));
        for (int32_t d : *dims) {
          if (d < 0) return CorruptDataError(where + ": shape has negative dimension " + std::to_string(d));
          shape.push_back(d);
        }
      }
      auto elements = ElementCount(shape);
      auto need = elements ? StorageBytes(*dtype, *elements) : std::nullopt;
      if (!need) return CorruptDataError(where + ": size of shape " + ShapeToString(shape) + " overflows");
      if (*need != bytes.size())
        return CorruptDataError(where + ": shape " + ShapeToString(shape) + " of " + TypeName(t->type()) +
                                " needs " + std::to_string(*need) + " bytes but its buffer holds " +
                                std::to_string(bytes.size()));
      TP_ASSIGN_OR_RETURN(Tensor view, Tensor::View(name, *dtype, shape, bytes, buffer));
      std::optional<QuantParams> quant;
      TP_RETURN_IF_ERROR(ReadQuant(t, view, where, &quant));
      if (quant) view.set_quant(std::move(*quant));
      found.push_back({s, i, std::move(view)});
    }
  }
  MakeNamesUnique(&found);
  model.tensors.reserve(found.size());
  for (Found& f : found) model.tensors.push_back(std::move(f.tensor));

  model.metadata.emplace_back("version", std::to_string(m->version()));
  if (m->description()) model.metadata.emplace_back("description", Printable(StrView(m->description())));
  model.metadata.emplace_back("subgraphs", std::to_string(subgraphs->size()));
  model.metadata.emplace_back("tensors", std::to_string(total_tensors));
  model.metadata.emplace_back("operators", std::to_string(total_operators));
  std::string codes;
  if (const auto* ops = m->operator_codes())
    for (const fb::OperatorCode* op : *ops) codes += (codes.empty() ? "" : ", ") + OperatorCodeText(op);
  model.metadata.emplace_back("operator_codes", codes);
  // Named metadata buffers (min_runtime_version, conversion options...):
  // short printable ones as text, others by size.
  if (const auto* entries = m->metadata()) {
    for (const fb::Metadata* e : *entries) {
      std::span<const uint8_t> bytes;
      TP_RETURN_IF_ERROR(BufferBytes(m, file, e->buffer(), &bytes)
                             .WithContext("metadata '" + Printable(StrView(e->name())) + "'"));
      // Writers pad strings with NULs; anything else after the first NUL
      // makes the buffer binary.
      std::string_view all(reinterpret_cast<const char*>(bytes.data()), bytes.size());
      std::string_view text = all.substr(0, all.find('\0'));
      bool printable = text.size() <= 200 && all.find_first_not_of('\0', text.size()) == std::string_view::npos;
      for (char c : text) printable = printable && c >= 0x20 && c < 0x7f;
      model.metadata.emplace_back("metadata." + Printable(StrView(e->name())),
                                  printable ? std::string(text) : std::to_string(bytes.size()) + " bytes");
    }
  }
  return model;
}

}  // namespace tp::io
