// Tensor: a named, typed, shaped run of bytes.
//
// A Tensor does not own its bytes directly: it views a span and keeps alive
// whatever owns them (a memory-mapped file, or a vector it was built from).
// Copying a Tensor is cheap and shares the bytes. Bytes are little-endian and
// row-major (C order), as every supported format stores them on disk.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tensorpress/dtype.h"
#include "tensorpress/status.h"

namespace tp {

using Shape = std::vector<int64_t>;

// Number of elements in `shape`; nullopt on a negative dimension or overflow.
std::optional<uint64_t> ElementCount(const Shape& shape);
std::string ShapeToString(const Shape& shape);  // "[3, 3, 1, 32]"

// Affine quantization parameters carried by a tensor read from a quantized
// model (TFLite int8, ...): real = scale * (q - zero_point). One entry per
// tensor, or one per slice along `axis` (per-channel).
struct QuantParams {
  std::vector<float> scale;
  std::vector<int64_t> zero_point;
  int axis = -1;  // -1: per tensor
};

class Tensor {
 public:
  Tensor() = default;

  // A view of `bytes`, kept valid by `owner`. Fails unless bytes.size()
  // equals exactly the storage that dtype and shape require.
  static StatusOr<Tensor> View(std::string name, DType dtype, Shape shape,
                               std::span<const uint8_t> bytes,
                               std::shared_ptr<const void> owner);
  // A tensor owning `bytes`; same size rule.
  static StatusOr<Tensor> FromBytes(std::string name, DType dtype, Shape shape,
                                    std::vector<uint8_t> bytes);
  // A tensor of typed values; T must match the dtype's element size.
  template <typename T>
  static StatusOr<Tensor> FromValues(std::string name, DType dtype, Shape shape,
                                     std::span<const T> values) {
    const auto* p = reinterpret_cast<const uint8_t*>(values.data());
    return FromBytes(std::move(name), dtype, std::move(shape),
                     std::vector<uint8_t>(p, p + values.size_bytes()));
  }

  const std::string& name() const { return name_; }
  void set_name(std::string name) { name_ = std::move(name); }
  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int rank() const { return static_cast<int>(shape_.size()); }
  uint64_t elements() const { return elements_; }
  std::span<const uint8_t> bytes() const { return bytes_; }
  uint64_t nbytes() const { return bytes_.size(); }
  const std::shared_ptr<const void>& owner() const { return owner_; }

  // Typed access for dtypes whose element is a whole C++ type.
  template <typename T>
  std::span<const T> values() const {
    return {reinterpret_cast<const T*>(bytes_.data()), bytes_.size() / sizeof(T)};
  }

  const std::optional<QuantParams>& quant() const { return quant_; }
  void set_quant(QuantParams q) { quant_ = std::move(q); }

 private:
  std::string name_;
  DType dtype_ = DType::kF32;
  Shape shape_;
  uint64_t elements_ = 0;
  std::span<const uint8_t> bytes_;
  std::shared_ptr<const void> owner_;
  std::optional<QuantParams> quant_;
};

// Decodes elements [begin, begin+count) of any dtype to double: float types
// exactly, integers by value, packed 4-bit by nibble, GGUF blocks
// dequantized (begin and count need not be block-aligned).
void ElementsAsDouble(const Tensor& tensor, uint64_t begin, uint64_t count, double* out);

// A new f32 tensor holding the values of `tensor` (block types dequantized,
// integers converted by value). Meant for analysis and dequantized views:
// f64 and 64/32-bit integers beyond 2^24 are rounded to the nearest float.
StatusOr<Tensor> ToF32(const Tensor& tensor);

}  // namespace tp
