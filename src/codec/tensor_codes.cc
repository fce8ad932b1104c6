// From tensors to the 8-bit codes the codecs work on (codec.h).
#include <cmath>
#include <string>

#include "codec/block_fields.h"
#include "tensorpress/codec.h"
#include "tensorpress/quant.h"

namespace tp {
namespace {

bool EndsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

uint64_t RowsOf(const Tensor& t) {
  if (t.rank() < 2 || t.shape()[0] <= 0) return 1;
  return static_cast<uint64_t>(t.shape()[0]);
}

// Integer values as codes: a signed dtype whose values fit int8 gives signed
// codes (value + 128); otherwise values in 0..255 are their own codes.
StatusOr<TensorCodes> IntegerCodes(const Tensor& t) {
  TensorCodes out;
  out.rows = RowsOf(t);
  const uint64_t n = t.elements();
  double lo = 0, hi = 0;
  std::vector<double> v(std::min<uint64_t>(n, 1u << 16));
  for (uint64_t b = 0; b < n; b += v.size()) {
    const uint64_t m = std::min<uint64_t>(v.size(), n - b);
    ElementsAsDouble(t, b, m, v.data());
    for (uint64_t i = 0; i < m; ++i) lo = std::min(lo, v[i]), hi = std::max(hi, v[i]);
  }
  out.signed_codes = Traits(t.dtype()).is_signed && lo >= -128 && hi <= 127;
  if (!out.signed_codes && (lo < 0 || hi > 255))
    return UnsupportedError("tensor '" + t.name() + "' holds values outside 8 bits (" + std::to_string(lo) +
                            ".." + std::to_string(hi) + "); quantize it first");
  out.codes.resize(n);
  const int bias = out.signed_codes ? 128 : 0;
  for (uint64_t b = 0; b < n; b += v.size()) {
    const uint64_t m = std::min<uint64_t>(v.size(), n - b);
    ElementsAsDouble(t, b, m, v.data());
    for (uint64_t i = 0; i < m; ++i) out.codes[b + i] = static_cast<uint8_t>(static_cast<int>(v[i]) + bias);
  }
  out.zero_code = bias;
  if (t.dtype() == DType::kU8 && t.quant() && t.quant()->zero_point.size() == 1) {
    const int64_t z = t.quant()->zero_point[0];
    if (z >= 0 && z <= 255) out.zero_code = static_cast<int>(z);
  }
  out.coded_dtype = out.signed_codes ? "i8" : "u8";
  return out;
}

}  // namespace

StatusOr<TensorCodes> PrepareCodes(const Tensor& tensor, const PrepareOptions& options) {
  const DTypeTraits& traits = Traits(tensor.dtype());
  if (traits.is_quantized_block) {
    if (!options.quantize_int8)
      return UnsupportedError("tensor '" + tensor.name() + "' is block-quantized (" + std::string(traits.name) +
                              "); pass --quantize int8 to requantize its dequantized values");
    // GGUF blocks: dequantized to f32 (bit-exact ggml values) first.
    TP_ASSIGN_OR_RETURN(Tensor real, ToF32(tensor));
    return PrepareCodes(real, options);
  }
  if (!traits.is_float) return IntegerCodes(tensor);
  if (!options.quantize_int8)
    return UnsupportedError("tensor '" + tensor.name() + "' is " + std::string(traits.name) +
                            "; pass --quantize int8 to code it");
  TP_ASSIGN_OR_RETURN(Tensor q, QuantizeForCoding(tensor, options));
  TP_ASSIGN_OR_RETURN(TensorCodes out, IntegerCodes(q));
  out.quantized = true;
  return out;
}

StatusOr<Tensor> QuantizeForCoding(const Tensor& tensor, const PrepareOptions& options) {
  if (Traits(tensor.dtype()).is_quantized_block) {
    TP_ASSIGN_OR_RETURN(Tensor real, ToF32(tensor));
    return QuantizeForCoding(real, options);
  }
  if (!Traits(tensor.dtype()).is_float || Traits(tensor.dtype()).is_quantized_block)
    return InvalidArgumentError("tensor '" + tensor.name() + "' is not a float tensor");
  if (options.all_activations || EndsWith(tensor.name(), ".input")) return QuantizeActivationsMinMax(tensor);
  const bool keras = options.keras_safetensors && (tensor.rank() == 2 || tensor.rank() == 4) &&
                     tensor.name().find("kernel") != std::string::npos;
  WeightQuantOptions w;
  w.bits = 8;
  w.channel_axis = options.weight_granularity == WeightGranularity::kTensor ? -1 : OutputChannelAxis(tensor, keras);
  return QuantizeWeightsSymmetric(tensor, w);
}

StatusOr<std::vector<TensorCodes>> PrepareBytePlanes(const Tensor& tensor) {
  const DTypeTraits& traits = Traits(tensor.dtype());
  if (!traits.is_float || traits.block_elements != 1 || traits.bits % 8 != 0)
    return UnsupportedError("tensor '" + tensor.name() + "' is not a plain float tensor");
  const size_t width = static_cast<size_t>(traits.bits / 8);
  const uint64_t n = tensor.elements();
  if (tensor.nbytes() != n * width) return InternalError("tensor '" + tensor.name() + "' has a bad size");
  std::vector<TensorCodes> planes(width);
  const uint8_t* bytes = tensor.bytes().data();
  for (size_t k = 0; k < width; ++k) {
    TensorCodes& p = planes[k];
    p.codes.resize(n);
    for (uint64_t i = 0; i < n; ++i) p.codes[i] = bytes[i * width + k];
    p.rows = RowsOf(tensor);
    p.coded_dtype = std::string(traits.name) + " byte planes";
  }
  return planes;
}

StatusOr<std::vector<TensorCodes>> PrepareBlockFieldPlanes(const Tensor& tensor) {
  if (!HasBlockFields(tensor.dtype()))
    return UnsupportedError("tensor '" + tensor.name() + "' is not block-quantized");
  TP_ASSIGN_OR_RETURN(std::vector<FieldPlane> fields, SplitBlockFields(tensor.dtype(), tensor.bytes()));
  std::vector<TensorCodes> planes;
  for (FieldPlane& f : fields) {
    TensorCodes c;
    c.codes = std::move(f.bytes);
    c.coded_dtype = "u8";
    c.plane_name = std::move(f.name);
    planes.push_back(std::move(c));
  }
  return planes;
}

}  // namespace tp
