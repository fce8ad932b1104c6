// Post-training quantization of float tensors.
//
// Weights: symmetric, signed, per output channel: q = clamp(round(w / s_c),
// -(2^(b-1) - 1), 2^(b-1) - 1) with s_c = max|w_c| / (2^(b-1) - 1), so zero
// maps to zero and the range is symmetric (the most negative code is unused).
// Activations: asymmetric, unsigned 8-bit, per tensor, from calibration
// data's min and max: s = (max - min) / 255, z = clamp(round(-min / s), 0,
// 255), q = clamp(round(x / s) + z, 0, 255).
//
// Results are ordinary tensors (i8 for up to 8 bits, i16 above; u8 for
// activations) carrying their QuantParams, so Dequantize needs nothing else.
#pragma once

#include "tensorpress/status.h"
#include "tensorpress/tensor.h"

namespace tp {

struct WeightQuantOptions {
  int bits = 8;          // 2..16
  int channel_axis = 0;  // axis of output channels; -1 quantizes per tensor
};

StatusOr<Tensor> QuantizeWeightsSymmetric(const Tensor& weights, const WeightQuantOptions& options);

struct ActivationRange {
  float min = 0, max = 0;
};
// Scale and zero point for an asymmetric uint8 range (min is raised to at
// most 0 and max lowered to at least 0 so that real zero is representable).
QuantParams AsymmetricU8Params(ActivationRange range);
StatusOr<Tensor> QuantizeActivationsAsymmetric(const Tensor& x, const QuantParams& params);
// Min/max calibration over the tensor's own values, then quantization.
StatusOr<Tensor> QuantizeActivationsMinMax(const Tensor& x);

// real = scale * (q - zero_point), per tensor or per channel.
StatusOr<Tensor> Dequantize(const Tensor& quantized);

// The axis that holds output channels, guessed from the tensor's rank and the
// convention of its source format: PyTorch/ONNX/GGUF/llama2.c store
// [out, in, ...] (axis 0); Keras/TFLite-float safetensors store dense [in,
// out] and conv HWIO (last axis). `keras_layout` selects the latter.
int OutputChannelAxis(const Tensor& weights, bool keras_layout);

}  // namespace tp
