// Integer GEMMs: a dense reference and the bit-slice GEMMs of Panacea
// (AQS-GEMM) and Sibia, which skip compressed HO slice vectors and still
// equal the dense int32 result bit for bit.
//
// Shapes: Y (M x N) = W (M x K) * X (K x N), all row-major; W holds output
// rows (a PyTorch [out, in] weight), X holds one token per column.
//
// AQS-GEMM (7-bit SBR weights W = 8 W_H + W_L, 8-bit unsigned activations
// X = 16 X_H + X_L with zero point z, z_H = z >> 4):
//   W X = 128 W_H X_H + 16 W_L X_H + 8 W_H X_L + W_L X_L,
// computed as 4x1 (x) 1x4 outer products of slice vectors. A weight HO vector
// that is all zero contributes nothing and is skipped. An activation HO
// vector that is all z_H is skipped and compensated: with M_C the mask of
// compressed (k, token) positions and M_U = 1 - M_C, for each weight slice
// W_s
//   W_s X_H = W_s X_H^U + z_H W_s M_C,
//   z_H W_s M_C = z_H (W_s 1) 1^T - z_H W_s M_U,
// where X_H^U is X_H with compressed positions zeroed. The first term is a
// per-row constant precomputed once per layer (CompensationBias); the second
// sums, per row and token block, the weight slices the kernel has already
// loaded for the uncompressed activation vectors it multiplied, and is
// subtracted once per output. Generalized here to any slice shifts, so the
// same kernel runs 4/7/10-bit weights, DBS activations (X_H = X >> b, X_L the
// top 4 bits of the rest; then the exact result is W times the DBS-rounded X)
// and Sibia (SBR activations, skip value 0, no compensation).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "tensorpress/model.h"
#include "tensorpress/quant.h"
#include "tensorpress/slice.h"
#include "tensorpress/status.h"

namespace tp {

// Y = W X with int32 wrap-around arithmetic; the reference every kernel is
// compared against.
void ReferenceGemm(std::span<const int32_t> w, std::span<const int32_t> x, int m, int k, int n,
                   std::span<int32_t> y);

// What moves from memory for one operand, in bytes of 4-bit slices and
// 4-bit run-length indices (padding lanes included: vectors move whole).
struct OperandTraffic {
  uint64_t ho_bytes_dense = 0;       // every HO vector, uncompressed (Sibia's format)
  uint64_t ho_bytes_compressed = 0;  // stored HO vectors only
  uint64_t index_bytes = 0;          // one 4-bit index per stored HO vector
  uint64_t lo_bytes = 0;             // LO slices, never compressed
  uint64_t dense_bytes() const { return ho_bytes_dense + lo_bytes; }
  uint64_t compressed_bytes() const { return ho_bytes_compressed + index_bytes + lo_bytes; }
  double ho_slice_sparsity = 0;   // real HO slices equal to the skip value
  double ho_vector_sparsity = 0;  // HO vectors with all four slices equal to it
};
OperandTraffic MeasureOperand(const SlicedOperand& op, const CompressedHo& ho);

struct SliceGemmCounters {
  uint64_t multiplies = 0;        // 4b x 4b multiplies executed (16 per outer product)
  uint64_t dense_multiplies = 0;  // the same slices with nothing skipped
  uint64_t additions = 0;         // product accumulations + shift-and-add merges + bias adds
  uint64_t compensation_ops = 0;  // slice additions into compensation sums + z_H multiply-subtracts
  OperandTraffic weights, activations;
  double mac_reduction() const {
    return dense_multiplies ? 1.0 - double(multiplies) / double(dense_multiplies) : 0.0;
  }
};

// An operand ready for the slice GEMMs: its slices and compressed HO vectors.
struct SliceGemmOperand {
  SlicedOperand sliced;
  CompressedHo ho;
};
SliceGemmOperand PrepareSliceOperand(SlicedOperand sliced);

// z_H (W 1) 1^T, re-aligned to the activation HO shift: per output row,
// (skip << hi_shift) * sum_k W[m, k] (computed from the slices). Zero for
// Sibia (skip value 0).
std::vector<int32_t> CompensationBias(const SliceGemmOperand& w, const SliceGemmOperand& x);

// The scalar slice GEMM: Y = W X exactly, W given as SBR weights
// (SliceWeightsSbr), X as unsigned (SliceActivationsUnsigned) or SBR
// (SliceActivationsSbr) activations; `bias` from CompensationBias. When
// `counters` is given, the operation counts are added to it and the operand
// traffic fields describe this GEMM.
Status SliceGemmScalar(const SliceGemmOperand& w, const SliceGemmOperand& x, std::span<const int32_t> bias,
                       std::span<int32_t> y, SliceGemmCounters* counters = nullptr);
// The same on Highway SIMD (dynamic dispatch); bit-identical output.
Status SliceGemmSimd(const SliceGemmOperand& w, const SliceGemmOperand& x, std::span<const int32_t> bias,
                     std::span<int32_t> y);

// The counters SliceGemmScalar would produce, computed from the operands'
// stored-vector positions without multiplying anything.
SliceGemmCounters CountSliceGemm(const SliceGemmOperand& w, const SliceGemmOperand& x);

// Conveniences over the above.
// Panacea: W (M x K, `weight_bits`), X (K x N) uint8 with zero point z, LO width lo_bits.
StatusOr<std::vector<int32_t>> AqsGemm(std::span<const int32_t> w, std::span<const uint8_t> x, int m, int k,
                                       int n, int weight_bits, int zero_point, int lo_bits = 4,
                                       SliceGemmCounters* counters = nullptr);
// Sibia: W and X signed (weights `weight_bits`, activations 7-bit), SBR on both.
StatusOr<std::vector<int32_t>> SibiaGemm(std::span<const int32_t> w, std::span<const int32_t> x, int m, int k,
                                         int n, int weight_bits, int activation_bits = 7,
                                         SliceGemmCounters* counters = nullptr);

// --- Panacea on real layers (slice_analysis.cc) ---
//
// Matching activations to weights: the GEMMs come from FindGemms (graph.h):
// from the graph of an ONNX or TFLite file, whose recorded input is found
// under the graph value's name or `<layer>.input`; otherwise by names, where
// an activation tensor `P.input` feeds the
// weight `P.weight` or `P.kernel`; when P's last component C names several
// fused consumers (`wqkv`, `w1w3`) it feeds every sibling weight `parent.D.*`
// whose D shares a nonempty stem with C and whose remainder after the stem is
// empty or appears in C's remainder (wq, wk, wv for wqkv; w1, w3 for w1w3; not
// wo or w2). A candidate is kept only when its input dimension equals the
// activation's feature dimension.
// Layouts: `*.kernel` follows Keras (dense [in, out], conv HWIO with NHWC
// activations), anything else PyTorch/ONNX/llama2.c (dense [out, in], conv
// OIHW with NCHW activations); for a dense weight whose conventional input
// axis does not match the activation but the other axis does, the shapes
// win. Convolutions are lowered to GEMM by im2col (K = kh kw C_in, N = batch
// x output positions) with the graph's stride, padding and dilation; found by
// name, stride 1 and no padding.
// A layer as a GEMM: float W (M x K) and X (K x N), row-major. Returns
// false in `fits` when the two tensors' shapes do not belong together.
// A grouped (or depthwise) convolution is `groups` GEMMs: W keeps all M
// output rows, group g's M / groups rows from M / groups * g on, and X holds
// the groups' im2col matrices one after the other (groups x K x N), each
// multiplied only by its own rows; M * K * N is still the layer's MACs.
struct LoweredLayer {
  int m = 0, k = 0, n = 0;
  int groups = 1;
  std::vector<float> w, x;
};
StatusOr<bool> LowerToGemm(const Tensor& weight, const Tensor& activation, LoweredLayer& out);
// The same for a layer found in a graph (graph.h): its layout, stride,
// padding, dilation and groups (one im2col block per group, as above).
struct GemmOp;
StatusOr<bool> LowerGemmOp(const GemmOp& op, const Tensor& weight, const Tensor& activation, LoweredLayer& out);

// Panacea's activation path on real values, exactly as the slice analysis
// measures it: asymmetric uint8 codes (QuantizeU8 with `scale` and
// `zero_point`), each code's DBS-truncated value ActJoin(high, low, lo_bits)
// (slice.h; lo_bits 4 keeps every bit), back to reals as scale * (kept - z).
// Non-finite inputs pass through. `out` has x's size.
Status PanaceaActivationRoundTrip(std::span<const float> x, float scale, int zero_point, int lo_bits,
                                  std::span<float> out);

struct SliceSetting {
  int zero_point = 0;
  int seed_zero_point = 0;    // the calibrated z that ZPM started from (= zero_point without ZPM)
  int lo_bits = 4;
  float scale = 0;       // activation scale (Sibia: symmetric 7-bit)
  double quant_mse = 0;  // activation round trip (real units), DBS truncation included
  QuantError error;      // the same as RMSE and SQNR against the float activations
  double clipped_fraction = 0;  // activation values whose code saturated at 0 or 255
  SliceGemmCounters counters;
};
struct LayerSliceReport {
  std::string layer, weight, activation;
  // The lowered GEMM (LoweredLayer): for a grouped convolution, `groups`
  // GEMMs of m / groups x k x n whose counters and traffic are summed here
  // (each group's weight rows are sliced into their own 4-row blocks, so a
  // depthwise group's one row pads three lanes, as hardware would run it).
  // One activation calibration covers the whole input (all groups).
  int m = 0, k = 0, n = 0;
  int groups = 1;
  OperandTraffic weights;  // 7-bit SBR (shared by every setting)
  QuantError weight_error;  // dequantized weights against the float weights
  SliceSetting asym, zpm, zpm_dbs, sibia;
  bool verified = false;   // the slice GEMM was run and equalled the reference
};
struct SliceAnalysisOptions {
  int weight_bits = 7;
  // Per output row (the default) or one scale for the whole weight matrix.
  WeightGranularity weight_granularity = WeightGranularity::kChannel;
  double dbs_target = 0.9;
  // Sparsity-aware ZPM (quant.h) for +ZPM (LO width 4) and for each DBS
  // width; lo_bits is set per use.
  ZpmOptions zpm;
  bool verify = false;     // also run every slice GEMM and compare with ReferenceGemm
  CalibrationOptions calibration;  // the activation range (min/max by default)
};
StatusOr<std::vector<LayerSliceReport>> AnalyzeSlices(const Model& weights, const Model& activations,
                                                      const SliceAnalysisOptions& options = {});

}  // namespace tp
