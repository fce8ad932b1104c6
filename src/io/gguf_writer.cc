// GGUF writer (version 3, little-endian). Layout and shape order are
// described atop gguf.cc: shapes are written reversed (ne[0] = row length).
// Metadata values are written as strings, except `general.alignment`, which
// ggml reads as a uint32 and which sets the alignment of the data section
// and of every tensor.
#include <bit>
#include <charconv>
#include <set>

#include "io/gguf_format.h"
#include "tensorpress/model.h"

namespace tp {
namespace {

class Encoder {
 public:
  template <typename T>
  void Put(T v) {
    const auto* p = reinterpret_cast<const uint8_t*>(&v);
    bytes_.insert(bytes_.end(), p, p + sizeof(T));
  }
  void PutString(std::string_view s) {
    Put<uint64_t>(s.size());
    bytes_.insert(bytes_.end(), s.begin(), s.end());
  }
  void PadTo(uint64_t alignment) { bytes_.resize((bytes_.size() + alignment - 1) / alignment * alignment, 0); }
  const std::vector<uint8_t>& bytes() const { return bytes_; }

 private:
  std::vector<uint8_t> bytes_;
};

uint64_t AlignUp(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

}  // namespace

Status WriteGguf(const std::string& path, std::span<const Tensor> tensors, const Metadata& metadata,
                 const WriteOptions& options) {
  uint64_t alignment = io::kGgufDefaultAlignment;
  std::set<std::string_view> keys;
  for (const auto& [k, v] : metadata) {
    if (!keys.insert(k).second) return InvalidArgumentError(path + ": duplicate metadata key '" + k + "'");
    if (k != "general.alignment") continue;
    uint32_t a = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), a);
    if (ec != std::errc() || end != v.data() + v.size() || a == 0 || !std::has_single_bit(a))
      return InvalidArgumentError(path + ": general.alignment '" + v + "' is not a positive power of two");
    alignment = a;
  }

  Encoder e;
  e.Put<uint32_t>(0x46554747);  // "GGUF" read as a little-endian u32
  e.Put<uint32_t>(io::kGgufVersion);
  e.Put<uint64_t>(tensors.size());
  e.Put<uint64_t>(metadata.size());
  for (const auto& [k, v] : metadata) {
    e.PutString(k);
    if (k == "general.alignment") {
      e.Put<uint32_t>(io::kGgufU32);
      e.Put<uint32_t>(static_cast<uint32_t>(alignment));
    } else {
      e.Put<uint32_t>(io::kGgufString);
      e.PutString(v);
    }
  }

  std::set<std::string_view> names;
  uint64_t offset = 0;
  for (const Tensor& t : tensors) {
    const std::string where = path + ": tensor '" + t.name() + "'";
    if (t.name().empty()) return InvalidArgumentError(path + ": a tensor has an empty name");
    if (!names.insert(t.name()).second) return InvalidArgumentError(path + ": duplicate tensor name '" + t.name() + "'");
    auto type = io::GgmlFromDType(t.dtype());
    if (!type)
      return InvalidArgumentError(where + ": dtype " + std::string(DTypeName(t.dtype())) + " has no GGUF equivalent");
    if (t.rank() > 4) return InvalidArgumentError(where + ": GGUF holds at most 4 dimensions");
    const DTypeTraits& traits = Traits(t.dtype());
    if (traits.is_quantized_block && (t.rank() == 0 || t.shape().back() % traits.block_elements != 0))
      return InvalidArgumentError(where + ": rows of " + std::string(traits.name) + " must hold whole blocks of " +
                                  std::to_string(traits.block_elements));
    e.PutString(t.name());
    e.Put<uint32_t>(static_cast<uint32_t>(t.rank()));
    for (int d = t.rank(); d-- > 0;) e.Put<uint64_t>(static_cast<uint64_t>(t.shape()[d]));
    e.Put<uint32_t>(*type);
    e.Put<uint64_t>(offset);
    offset = AlignUp(offset + t.nbytes(), alignment);
  }
  e.PadTo(alignment);

  TP_ASSIGN_OR_RETURN(auto file, AtomicFile::Create(path, options));
  TP_RETURN_IF_ERROR(file->Write(e.bytes()));
  static const uint8_t kZeros[64] = {};
  for (const Tensor& t : tensors) {
    TP_RETURN_IF_ERROR(file->Write(t.bytes()));
    for (uint64_t pad = AlignUp(t.nbytes(), alignment) - t.nbytes(); pad > 0;) {
      uint64_t n = std::min<uint64_t>(pad, sizeof kZeros);
      TP_RETURN_IF_ERROR(file->Write(kZeros, n));
      pad -= n;
    }
  }
  return file->Commit();
}

}  // namespace tp
