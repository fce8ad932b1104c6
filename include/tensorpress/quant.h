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
//
// Panacea's additions (calibrate.cc): range calibration by percentile
// clipping or an MSE-optimal search besides min/max, symmetric signed
// activations (Sibia's setting), folding the zero-point term -z (W 1) into an
// integer bias, zero-point manipulation (ZPM) and the choice of the LO slice
// width by distribution-based slicing (DBS).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

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

// --- Calibration (calibrate.cc) ---

enum class RangeMethod {
  kMinMax,      // the extremes of the data
  kPercentile,  // clip at the p-th and (100 - p)-th percentiles
  kMse,         // the range [a * min, a * max], a in (0, 1], minimizing the round-trip MSE
};
struct CalibrationOptions {
  RangeMethod method = RangeMethod::kMinMax;
  double percentile = 99.99;  // for kPercentile, in (50, 100]
  int mse_steps = 64;         // candidates a = 1 - i / mse_steps * (1 - mse_min_fraction)
  double mse_min_fraction = 0.2;
};
// The range of the finite values of `x` by `options` (0..0 for no data).
StatusOr<ActivationRange> CalibrateRange(std::span<const float> x, const CalibrationOptions& options);

// Quantizes raw values with scale s and zero point z into uint8 codes.
void QuantizeU8(std::span<const float> x, float scale, int zero_point, std::span<uint8_t> out);
// Mean squared error of the round trip x -> q -> s (q - z) over finite values.
double AsymmetricRoundTripMse(std::span<const float> x, float scale, int zero_point);

// Symmetric signed activations of `bits` bits (Sibia): s = max|x| / (2^(b-1) - 1),
// q = clamp(round(x / s), -(2^(b-1) - 1), 2^(b-1) - 1).
QuantParams SymmetricParams(float absmax, int bits);
void QuantizeSymmetric(std::span<const float> x, float scale, int bits, std::span<int32_t> out);
double SymmetricRoundTripMse(std::span<const float> x, float scale, int bits);
StatusOr<Tensor> QuantizeActivationsSymmetric(const Tensor& x, int bits);

// W (M x K) X with asymmetric X = s (q - z) needs W q - z (W 1): returns
// bias[m] - z * sum_k W[m, k] (an empty bias is zeros).
std::vector<int32_t> FoldZeroPointIntoBias(std::span<const int32_t> bias, std::span<const int32_t> w, int m,
                                           int k, int zero_point);

// ZPM: the zero point moved to the middle of its skip range of width 2^lo_bits,
// z' = floor(z / 2^b) 2^b + 2^(b-1), so that values near real zero share z's
// HO slice on both sides instead of straddling a slice boundary.
int ManipulatedZeroPoint(int zero_point, int lo_bits);

// Sparsity-aware ZPM (zero_point.cc), what Panacea's ZPM is for: of the
// zero points z' in z's HO bin [h 2^b, (h+1) 2^b) and its two neighbouring
// bins (h = z >> b, b = lo_bits), clipped to [0, 255], the one whose
// quantized activations have the most HO vectors equal to the skip value
// z' >> b (then the most HO slices, then the nearest to z), measured on the
// calibration data `x` (K x N row-major, the 1 x `vector_lanes` vectors of
// slice.h, padding lanes ignored), with the scale unchanged. Admissible
// candidates clip no more than `max_extra_clip_fraction` of the values
// beyond what z itself clips, and lower neither the HO slice nor the HO
// vector sparsity of z; z is always admissible, so the result never has
// lower sparsity than plain asymmetric quantization. What ZPM cannot
// recover: the seed z (eq. 7 of the paper) is not stored with the model, so
// an inference engine that only sees z' cannot tell a manipulated zero point
// from a calibrated one; here both are reported.
struct ZpmOptions {
  int lo_bits = 4;                        // 4..6 (DBS widths)
  double max_extra_clip_fraction = 1e-3;  // 0.1% of the values
  int vector_lanes = 4;
};
struct ZpmChoice {
  int zero_point = 0;              // z'
  int seed_zero_point = 0;         // z
  double ho_slice_sparsity = 0;    // at z', over real values
  double ho_vector_sparsity = 0;   // at z', over vectors (padding lanes never block a skip)
  double seed_ho_slice_sparsity = 0, seed_ho_vector_sparsity = 0;  // the same at z
  double clipped_fraction = 0;     // values whose code leaves [0, 255] at z'
  int candidates = 0;              // zero points evaluated
};
StatusOr<ZpmChoice> ChooseZeroPointBySparsity(std::span<const float> x, int k, int n, float scale,
                                              int zero_point, const ZpmOptions& options = {});

// Quantization error of `approx` against the float `reference` over the
// finite reference values: RMSE and SQNR = 10 log10(sum x^2 / sum e^2) dB
// (infinite when exact).
struct QuantError {
  double rmse = 0;
  double sqnr_db = 0;
  double signal_power = 0;  // mean x^2
};
QuantError MeasureQuantError(std::span<const float> reference, std::span<const float> approx);
// The same from a mean squared error and the reference's mean square.
QuantError QuantErrorFromMse(double mse, double signal_power);

// How weights are scaled: one scale per output channel (row) or one per
// tensor. Per tensor gives more small codes (more zero HO slices, better
// entropy coding) at a higher error.
enum class WeightGranularity : uint8_t { kChannel, kTensor };
const char* WeightGranularityName(WeightGranularity g);  // "channel", "tensor"
StatusOr<WeightGranularity> ParseWeightGranularity(const std::string& name);

// DBS: the LO width b in {4, 5, 6} for a layer, from the standard deviation
// sigma (in codes) of the calibrated distribution: modelled as a normal
// distribution centred on z', the HO slice sparsity with width b is
// erf(2^(b-1) / (sigma sqrt 2)); the smallest b whose predicted sparsity
// reaches `target` wins (6 when none does).
struct DbsChoice {
  int lo_bits = 4;
  double sigma_codes = 0;
  double predicted_sparsity = 0;
};
DbsChoice ChooseDbsWidth(std::span<const uint8_t> codes, double target_sparsity = 0.9);

}  // namespace tp
