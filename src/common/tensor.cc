#include "tensorpress/tensor.h"

#include <algorithm>
#include <cstring>

#include "common/dequant.h"
#include "tensorpress/fp8.h"
#include "tensorpress/half.h"

namespace tp {

std::optional<uint64_t> ElementCount(const Shape& shape) {
  uint64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) return std::nullopt;
    uint64_t u = static_cast<uint64_t>(d);
    if (u != 0 && n > UINT64_MAX / u) return std::nullopt;
    n *= u;
  }
  return n;
}

std::string ShapeToString(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

StatusOr<Tensor> Tensor::View(std::string name, DType dtype, Shape shape,
                              std::span<const uint8_t> bytes, std::shared_ptr<const void> owner) {
  auto n = ElementCount(shape);
  if (!n) return CorruptDataError("tensor '" + name + "': invalid shape " + ShapeToString(shape));
  auto need = StorageBytes(dtype, *n);
  if (!need)
    return CorruptDataError("tensor '" + name + "': " + std::to_string(*n) + " elements of " +
                            std::string(DTypeName(dtype)) + " do not fill whole blocks");
  if (*need != bytes.size())
    return CorruptDataError("tensor '" + name + "': shape " + ShapeToString(shape) + " of " +
                            std::string(DTypeName(dtype)) + " needs " + std::to_string(*need) +
                            " bytes but " + std::to_string(bytes.size()) + " are given");
  Tensor t;
  t.name_ = std::move(name);
  t.dtype_ = dtype;
  t.shape_ = std::move(shape);
  t.elements_ = *n;
  t.bytes_ = bytes;
  t.owner_ = std::move(owner);
  return t;
}

StatusOr<Tensor> Tensor::FromBytes(std::string name, DType dtype, Shape shape,
                                   std::vector<uint8_t> bytes) {
  auto holder = std::make_shared<std::vector<uint8_t>>(std::move(bytes));
  std::span<const uint8_t> span(holder->data(), holder->size());
  return View(std::move(name), dtype, std::move(shape), span, std::move(holder));
}

namespace {

template <typename T>
T Load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

// Elements [begin, begin+count) of a GGUF block-quantized tensor: each
// block they touch is dequantized whole (ggml's definitions, dequant.cc).
void BlockElements(DType dtype, const uint8_t* base, uint64_t begin, uint64_t count, double* out) {
  const DTypeTraits& t = Traits(dtype);
  const uint64_t per_block = static_cast<uint64_t>(t.block_elements);
  float block[256];
  static_assert(sizeof block / sizeof block[0] >= 256, "largest ggml block");
  uint64_t i = 0;
  while (i < count) {
    const uint64_t e = begin + i;
    const uint64_t blk = e / per_block, within = e % per_block;
    DequantizeBlocks(dtype, base + blk * t.block_bytes, 1, block);
    const uint64_t n = std::min(per_block - within, count - i);
    for (uint64_t k = 0; k < n; ++k) out[i + k] = block[within + k];
    i += n;
  }
}

}  // namespace

void ElementsAsDouble(const Tensor& tensor, uint64_t begin, uint64_t count, double* out) {
  const uint8_t* p = tensor.bytes().data();
  const DType dt = tensor.dtype();
  auto loop = [&](auto load, size_t size) {
    for (uint64_t i = 0; i < count; ++i) out[i] = load(p + (begin + i) * size);
  };
  switch (dt) {
    case DType::kF64: loop([](const uint8_t* q) { return Load<double>(q); }, 8); break;
    case DType::kF32: loop([](const uint8_t* q) { return double(Load<float>(q)); }, 4); break;
    case DType::kF16: loop([](const uint8_t* q) { return double(HalfToFloat(Load<uint16_t>(q))); }, 2); break;
    case DType::kBF16: loop([](const uint8_t* q) { return double(Bf16ToFloat(Load<uint16_t>(q))); }, 2); break;
    case DType::kF8E4M3: loop([](const uint8_t* q) { return double(Fp8ToFloat(*q, Fp8Format::kE4M3)); }, 1); break;
    case DType::kF8E5M2: loop([](const uint8_t* q) { return double(Fp8ToFloat(*q, Fp8Format::kE5M2)); }, 1); break;
    case DType::kI64: loop([](const uint8_t* q) { return double(Load<int64_t>(q)); }, 8); break;
    case DType::kI32: loop([](const uint8_t* q) { return double(Load<int32_t>(q)); }, 4); break;
    case DType::kI16: loop([](const uint8_t* q) { return double(Load<int16_t>(q)); }, 2); break;
    case DType::kI8: loop([](const uint8_t* q) { return double(static_cast<int8_t>(*q)); }, 1); break;
    case DType::kU64: loop([](const uint8_t* q) { return double(Load<uint64_t>(q)); }, 8); break;
    case DType::kU32: loop([](const uint8_t* q) { return double(Load<uint32_t>(q)); }, 4); break;
    case DType::kU16: loop([](const uint8_t* q) { return double(Load<uint16_t>(q)); }, 2); break;
    case DType::kU8:
    case DType::kBool: loop([](const uint8_t* q) { return double(*q); }, 1); break;
    case DType::kI4:
    case DType::kU4:
      for (uint64_t i = 0; i < count; ++i) {
        uint64_t e = begin + i;
        int nib = (p[e / 2] >> ((e & 1) * 4)) & 15;
        out[i] = (dt == DType::kI4 && nib >= 8) ? nib - 16 : nib;
      }
      break;
    default:
      // Every other dtype is a ggml block type (CanDequantizeBlocks).
      BlockElements(dt, p, begin, count, out);
      break;
  }
}

StatusOr<Tensor> ToF32(const Tensor& tensor) {
  if (tensor.dtype() == DType::kF32) return tensor;
  std::vector<uint8_t> bytes(tensor.elements() * sizeof(float));
  constexpr uint64_t kChunk = 4096;
  double tmp[kChunk];
  for (uint64_t i = 0; i < tensor.elements(); i += kChunk) {
    uint64_t n = std::min(kChunk, tensor.elements() - i);
    ElementsAsDouble(tensor, i, n, tmp);
    for (uint64_t j = 0; j < n; ++j) {
      float f = static_cast<float>(tmp[j]);
      std::memcpy(bytes.data() + (i + j) * 4, &f, 4);
    }
  }
  return Tensor::FromBytes(tensor.name(), DType::kF32, tensor.shape(), std::move(bytes));
}

}  // namespace tp
