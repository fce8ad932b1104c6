// .npy reader and writer (format: see io/npy.h).
//
// The header is a Python literal that numpy reads with ast.literal_eval. We
// parse the small grammar numpy and other writers actually produce, by hand
// and strictly: a dict of exactly the keys 'descr' (a string),
// 'fortran_order' (True/False) and 'shape' (a tuple of non-negative ints),
// single or double quotes, spaces between tokens, an optional trailing comma,
// and (as numpy tolerates for files from Python 2) an 'L' after integers in
// versions 1.0 and 2.0. Anything else is corrupt rather than guessed at.
#include "io/npy.h"

#include <cctype>
#include <cstring>
#include <optional>
#include <vector>
#include <filesystem>
#include <string_view>

#include "io/readers.h"

namespace tp::io {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicBytes = 6;
// Current numpy aligns the data to 64 bytes (older versions used 16) and pads
// the header to let a growing first axis be rewritten in place.
constexpr size_t kArrayAlign = 64;
constexpr size_t kGrowthAxisMaxDigits = 21;
constexpr size_t kMaxRank = 64;  // NPY_MAXDIMS in numpy 2

struct HeaderFields {
  std::string descr;
  bool fortran_order = false;
  Shape shape;
};

class HeaderParser {
 public:
  HeaderParser(std::string_view text, bool allow_long_suffix)
      : text_(text), allow_long_suffix_(allow_long_suffix) {}

  Status Parse(HeaderFields* out) {
    SkipSpaces();
    TP_RETURN_IF_ERROR(Expect('{', "the header dict"));
    bool seen_descr = false, seen_fortran = false, seen_shape = false;
    SkipSpaces();
    if (!Consume('}')) {
      for (;;) {
        std::string key;
        TP_RETURN_IF_ERROR(ParseString(&key, "a dict key"));
        SkipSpaces();
        TP_RETURN_IF_ERROR(Expect(':', "':' after a dict key"));
        SkipSpaces();
        bool* seen = nullptr;
        if (key == "descr") {
          seen = &seen_descr;
          if (Peek() == '[')
            return UnsupportedError("structured dtypes (a list descr) are not supported");
          TP_RETURN_IF_ERROR(ParseString(&out->descr, "the descr string"));
        } else if (key == "fortran_order") {
          seen = &seen_fortran;
          TP_RETURN_IF_ERROR(ParseBool(&out->fortran_order));
        } else if (key == "shape") {
          seen = &seen_shape;
          TP_RETURN_IF_ERROR(ParseShape(&out->shape));
        } else {
          return Error("unexpected key '" + key + "'");
        }
        if (*seen) return Error("key '" + key + "' appears twice");
        *seen = true;
        SkipSpaces();
        if (Consume(',')) {
          SkipSpaces();
          if (Consume('}')) break;
          continue;
        }
        TP_RETURN_IF_ERROR(Expect('}', "',' or '}' after a value"));
        break;
      }
    }
    SkipSpaces();
    if (pos_ != text_.size()) return Error("unexpected text after the dict");
    if (!seen_descr || !seen_fortran || !seen_shape)
      return Error("the dict must hold 'descr', 'fortran_order' and 'shape'");
    return Status::Ok();
  }

 private:
  char Peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  bool AtEnd() const { return pos_ >= text_.size(); }
  void SkipSpaces() {
    while (!AtEnd() && text_[pos_] == ' ') ++pos_;
  }
  bool Consume(char c) {
    if (AtEnd() || text_[pos_] != c) return false;
    ++pos_;
    return true;
  }
  Status Error(const std::string& what) const {
    return CorruptDataError("bad .npy header at byte " + std::to_string(pos_) + ": " + what);
  }
  Status Expect(char c, const char* what) {
    if (Consume(c)) return Status::Ok();
    return Error(std::string("expected ") + what);
  }

  Status ParseString(std::string* out, const char* what) {
    char quote = Peek();
    if (quote != '\'' && quote != '"') return Error(std::string("expected ") + what);
    ++pos_;
    size_t begin = pos_;
    while (!AtEnd() && text_[pos_] != quote) {
      if (text_[pos_] == '\\' || text_[pos_] == '\n')
        return Error("escapes and line breaks in strings are not supported");
      ++pos_;
    }
    if (AtEnd()) return Error("unterminated string");
    out->assign(text_.substr(begin, pos_ - begin));
    ++pos_;
    return Status::Ok();
  }

  bool ConsumeWord(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    size_t after = pos_ + word.size();
    if (after < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[after])) || text_[after] == '_'))
      return false;
    pos_ = after;
    return true;
  }

  Status ParseBool(bool* out) {
    if (ConsumeWord("True")) {
      *out = true;
    } else if (ConsumeWord("False")) {
      *out = false;
    } else {
      return Error("fortran_order must be True or False");
    }
    return Status::Ok();
  }

  Status ParseInt(int64_t* out) {
    if (Peek() == '-') return Error("negative dimension");
    if (!std::isdigit(static_cast<unsigned char>(Peek()))) return Error("expected an integer dimension");
    if (Peek() == '0' && pos_ + 1 < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_ + 1])))
      return Error("integer with a leading zero");
    uint64_t v = 0;
    while (std::isdigit(static_cast<unsigned char>(Peek()))) {
      uint64_t digit = static_cast<uint64_t>(text_[pos_] - '0');
      if (v > (static_cast<uint64_t>(INT64_MAX) - digit) / 10) return Error("dimension too large");
      v = v * 10 + digit;
      ++pos_;
    }
    if (allow_long_suffix_) Consume('L');
    if (std::isalnum(static_cast<unsigned char>(Peek())) || Peek() == '.' || Peek() == '_')
      return Error("expected an integer dimension");
    *out = static_cast<int64_t>(v);
    return Status::Ok();
  }

  Status ParseShape(Shape* out) {
    TP_RETURN_IF_ERROR(Expect('(', "a shape tuple"));
    SkipSpaces();
    if (Consume(')')) return Status::Ok();
    for (;;) {
      if (out->size() == kMaxRank) return Error("more than 64 dimensions");
      int64_t d = 0;
      TP_RETURN_IF_ERROR(ParseInt(&d));
      out->push_back(d);
      SkipSpaces();
      if (Consume(',')) {
        SkipSpaces();
        if (Consume(')')) return Status::Ok();
        continue;
      }
      // "(3)" is an int in Python, not a tuple.
      if (out->size() == 1) return Error("shape is not a tuple (a 1-tuple needs a trailing comma)");
      return Expect(')', "',' or ')' in the shape");
    }
  }

  std::string_view text_;
  bool allow_long_suffix_;
  size_t pos_ = 0;
};

struct NpyType {
  char kind;
  int bytes;
  DType dtype;
};
constexpr NpyType kNpyTypes[] = {
    {'f', 8, DType::kF64}, {'f', 4, DType::kF32}, {'f', 2, DType::kF16},
    {'i', 8, DType::kI64}, {'i', 4, DType::kI32}, {'i', 2, DType::kI16}, {'i', 1, DType::kI8},
    {'u', 8, DType::kU64}, {'u', 4, DType::kU32}, {'u', 2, DType::kU16}, {'u', 1, DType::kU8},
    {'b', 1, DType::kBool},
};

StatusOr<DType> DTypeFromDescr(const std::string& descr) {
  // A byte-order mark, a kind letter and the size in bytes: "<f4", "|u1".
  if (descr.size() == 3 && descr[2] >= '1' && descr[2] <= '8') {
    char order = descr[0];
    int bytes = descr[2] - '0';
    for (const NpyType& t : kNpyTypes) {
      if (t.kind != descr[1] || t.bytes != bytes) continue;
      if (bytes == 1 && (order == '|' || order == '<' || order == '>' || order == '='))
        return t.dtype;
      // '=' is native order: numpy never writes it, and tensorpress only
      // runs on little-endian hosts.
      if (order == '<' || order == '=') return t.dtype;
      if (order == '>')
        return UnsupportedError("big-endian arrays ('" + descr +
                                "') are not supported; save with arr.astype(arr.dtype.newbyteorder('<'))");
      break;
    }
  }
  return UnsupportedError("unsupported numpy dtype '" + descr +
                          "' (supported: f8 f4 f2 i8 i4 i2 i1 u8 u4 u2 u1 b1)");
}

std::string_view DescrOf(DType dtype) {
  switch (dtype) {
    case DType::kF64: return "<f8";
    case DType::kF32: return "<f4";
    case DType::kF16: return "<f2";
    case DType::kI64: return "<i8";
    case DType::kI32: return "<i4";
    case DType::kI16: return "<i2";
    case DType::kI8: return "|i1";
    case DType::kU64: return "<u8";
    case DType::kU32: return "<u4";
    case DType::kU16: return "<u2";
    case DType::kU8: return "|u1";
    case DType::kBool: return "|b1";
    default: return "";
  }
}

}  // namespace

StatusOr<Tensor> ParseNpy(std::span<const uint8_t> b, std::string name,
                          std::shared_ptr<const void> owner) {
  if (b.size() < kMagicBytes + 2)
    return CorruptDataError("too short for the .npy magic and version (" + std::to_string(b.size()) +
                            " bytes)");
  if (std::memcmp(b.data(), kMagic, kMagicBytes) != 0) return CorruptDataError("bad .npy magic");
  const int major = b[6], minor = b[7];
  if (major < 1 || major > 3 || minor != 0)
    return UnsupportedError(".npy format version " + std::to_string(major) + "." +
                            std::to_string(minor) + " is not supported (1.0, 2.0 and 3.0 are)");
  const size_t length_bytes = major == 1 ? 2 : 4;
  const size_t prefix = kMagicBytes + 2 + length_bytes;
  if (b.size() < prefix) return CorruptDataError("truncated: no room for the .npy header length");
  uint64_t header_len = b[8] | (b[9] << 8);
  if (length_bytes == 4) header_len |= (static_cast<uint64_t>(b[10]) << 16) | (static_cast<uint64_t>(b[11]) << 24);
  if (header_len > b.size() - prefix)
    return CorruptDataError("header length " + std::to_string(header_len) +
                            " runs past the end of the data (" + std::to_string(b.size()) + " bytes)");
  std::string_view text(reinterpret_cast<const char*>(b.data() + prefix), header_len);
  if (text.empty() || text.back() != '\n') return CorruptDataError("the .npy header does not end with a newline");
  text.remove_suffix(1);

  HeaderFields h;
  TP_RETURN_IF_ERROR(HeaderParser(text, /*allow_long_suffix=*/major <= 2).Parse(&h));
  TP_ASSIGN_OR_RETURN(DType dtype, DTypeFromDescr(h.descr));
  if (h.fortran_order && h.shape.size() >= 2)
    return UnsupportedError("Fortran-ordered arrays of rank " + std::to_string(h.shape.size()) +
                            " are not supported; save np.ascontiguousarray(arr) instead");
  std::optional<uint64_t> elements = ElementCount(h.shape);
  if (!elements) return CorruptDataError("element count of shape " + ShapeToString(h.shape) + " overflows");
  std::optional<uint64_t> need = StorageBytes(dtype, *elements);
  if (!need) return CorruptDataError("byte size of shape " + ShapeToString(h.shape) + " overflows");
  const uint64_t data_start = prefix + header_len;
  const uint64_t have = b.size() - data_start;
  if (have < *need)
    return CorruptDataError("truncated: " + h.descr + " data of shape " + ShapeToString(h.shape) + " needs " +
                            std::to_string(*need) + " bytes but " + std::to_string(have) + " remain");
  if (have > *need)
    return CorruptDataError(std::to_string(have - *need) + " unexpected bytes after the " + h.descr +
                            " data of shape " + ShapeToString(h.shape));
  std::span<const uint8_t> data = b.subspan(data_start, *need);
  const size_t element_bytes = static_cast<size_t>(Traits(dtype).block_bytes);
  if (reinterpret_cast<uintptr_t>(data.data()) % element_bytes == 0)
    return Tensor::View(std::move(name), dtype, std::move(h.shape), data, std::move(owner));
  // Typed access needs natural alignment: copy into memory new[] aligned.
  return Tensor::FromBytes(std::move(name), dtype, std::move(h.shape),
                           std::vector<uint8_t>(data.begin(), data.end()));
}

StatusOr<std::string> NpyHeader(const Tensor& tensor) {
  std::string_view descr = DescrOf(tensor.dtype());
  if (descr.empty())
    return InvalidArgumentError("tensor '" + tensor.name() + "': dtype " +
                                std::string(DTypeName(tensor.dtype())) + " has no NumPy equivalent");
  if (tensor.shape().size() > kMaxRank)
    return InvalidArgumentError("tensor '" + tensor.name() + "': NumPy arrays have at most 64 dimensions");
  // Python's repr of a tuple: "()", "(3,)", "(2, 3)".
  std::string shape = "(";
  for (size_t i = 0; i < tensor.shape().size(); ++i) {
    if (i > 0) shape += ", ";
    shape += std::to_string(tensor.shape()[i]);
  }
  if (tensor.shape().size() == 1) shape += ",";
  shape += ")";
  std::string dict = "{'descr': '" + std::string(descr) + "', 'fortran_order': False, 'shape': " + shape + ", }";
  if (!tensor.shape().empty())
    dict.append(kGrowthAxisMaxDigits - std::to_string(tensor.shape()[0]).size(), ' ');
  // numpy picks version 1.0 unless the header length overflows its u16.
  const size_t text_len = dict.size() + 1;  // with the final '\n'
  size_t length_bytes = 2;
  size_t pad = kArrayAlign - (kMagicBytes + 2 + length_bytes + text_len) % kArrayAlign;
  if (text_len + pad > 0xFFFF) {
    length_bytes = 4;
    pad = kArrayAlign - (kMagicBytes + 2 + length_bytes + text_len) % kArrayAlign;
  }
  const uint64_t header_len = text_len + pad;
  std::string out(kMagic, kMagicBytes);
  out += static_cast<char>(length_bytes == 2 ? 1 : 2);
  out += '\0';
  for (size_t i = 0; i < length_bytes; ++i) out += static_cast<char>((header_len >> (8 * i)) & 0xFF);
  out += dict;
  out.append(pad, ' ');
  out += '\n';
  return out;
}

StatusOr<Model> ReadNpy(std::shared_ptr<const Buffer> buffer, const std::string& path) {
  // The array is named after the file: weights.npy holds "weights".
  std::string name = std::filesystem::path(path).stem().string();
  if (name.empty()) name = "array";
  std::span<const uint8_t> bytes = buffer->bytes();
  TP_ASSIGN_OR_RETURN(Tensor tensor, ParseNpy(bytes, std::move(name), std::move(buffer)));
  Model model;
  model.tensors.push_back(std::move(tensor));
  return model;
}

}  // namespace tp::io

namespace tp {

Status WriteNpy(const std::string& path, const Tensor& tensor, const WriteOptions& options) {
  StatusOr<std::string> header = io::NpyHeader(tensor);
  if (!header.ok()) return header.status().WithContext(path);
  TP_ASSIGN_OR_RETURN(auto file, AtomicFile::Create(path, options));
  TP_RETURN_IF_ERROR(file->Write(header->data(), header->size()));
  TP_RETURN_IF_ERROR(file->Write(tensor.bytes()));
  return file->Commit();
}

}  // namespace tp
