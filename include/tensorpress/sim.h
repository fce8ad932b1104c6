// Accelerator cost model: what a model's GEMMs cost on a dense systolic
// array, a SIMD array, Sibia and Panacea, with or without an Atalanta
// lossless codec at the DRAM interface.
//
// Read me first. The model is analytical, one GEMM at a time:
//   Y[M,N] = X[M,K] · W[K,N]   (M: tokens or batch×output pixels, K: the
//   reduction, in-features or in-channels×kernel area, N: out-features).
// 1. A Workload lists the GEMMs of a model with per-operand statistics as plain
//    numbers (int8 bytes, lossless ratio, zero fraction, slice sparsities).
//    BuildWorkload measures what tensorpress can measure today; the lossless
//    ratio and the bit-slice sparsities come through the Measurers seam and
//    stay at their documented defaults (ratio 1, sparsity 0) until a measurer
//    is plugged in. Every OperandStats says which of its numbers are measured.
// 2. An ArchConfig (JSON, data/arch/*.json) describes an accelerator; an
//    EnergyTable (JSON, data/energy/*.json) prices its operations. Both are
//    validated field by field at load (astc-encoder's pattern: *Init gives the
//    defaults, Validate* checks them, the parser rejects unknown keys).
// 3. SimulateLayer tiles the GEMM to fit the SRAM split (the tiling that
//    minimises DRAM traffic for the architecture's dataflow), counts DRAM and
//    SRAM bytes and executed multiplies, and turns them into cycles
//    (max(compute, memory) with double buffering) and energy by component.
// The formulas are written out in docs/simulate.md and pinned by unit tests
// with hand-computed values in src/sim/sim_test.cc.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tensorpress/codec.h"
#include "tensorpress/gemm.h"
#include "tensorpress/model.h"
#include "tensorpress/status.h"
#include "tensorpress/tensor.h"

namespace tp::sim {

// ---------------------------------------------------------------------------
// Workload
// ---------------------------------------------------------------------------

// How 8-bit operands are split into a high-order (HO) and a low-order (LO)
// 4-bit slice: Panacea's asymmetric slicing plain, with zero-point
// manipulation, with ZPM and distribution-based slicing, and Sibia's
// symmetric slicing.
enum class SliceSetting : uint8_t { kAsym, kZpm, kZpmDbs, kSibia };
inline constexpr int kNumSliceSettings = 4;
std::string_view SliceSettingName(SliceSetting s);  // "asym", "zpm", "zpm_dbs", "sibia"
std::optional<SliceSetting> SliceSettingFromName(std::string_view name);

struct SliceSparsity {
  double ho_slice = 0;   // fraction of HO slices that need no multiply
  double ho_vector = 0;  // fraction of HO vectors (vector_length slices along K) that are skipped
};

// An operand's bytes per element in a bit-slice design's memory format, as a
// multiple of its int8 byte: `dense` is Sibia's uncompressed slice format
// (every HO and LO slice, padding lanes of the last vector included),
// `compressed` Panacea's (stored HO vectors, their 4-bit run-length indices,
// every LO slice). Measured from the slice analysis's OperandTraffic; 1.0
// (the int8 size) until then.
struct SliceBytes {
  double dense = 1.0;
  double compressed = 1.0;
};

struct OperandStats {
  uint64_t elements = 0;    // distinct elements in memory (a conv input before im2col)
  uint64_t int8_bytes = 0;  // bytes at 8 bits per element
  // Compressed bytes / int8 bytes under the lossless DRAM codec.
  double compressed_ratio = 1.0;
  // Fraction of quantized values that represent real zero (weights: q == 0;
  // activations: q == zero point). Drives zero gating.
  double zero_fraction = 0.0;
  std::array<SliceSparsity, kNumSliceSettings> slices{};
  std::array<SliceBytes, kNumSliceSettings> slice_bytes{};  // measured with slices[]
  int lo_bits = 4;  // bits of the low-order slice (8-bit operands: 4 + 4)
  // Which numbers come from data; the rest are defaults.
  bool quant_measured = false;   // int8 bytes and zero fraction
  bool ratio_measured = false;   // compressed_ratio
  bool slices_measured = false;  // slices[]
};

struct GemmLayer {
  std::string name;
  uint64_t m = 0, k = 0, n = 0;
  // Where M came from: "activations" (batch/tokens/pixels measured) or
  // "default" (no activation for this layer: one sample, one output pixel).
  std::string m_source = "default";
  OperandStats weights, activations;
  // Outputs leave the chip as int8 and are not measured (they are the next
  // layer's input); their ratio stays 1 unless a caller sets it.
  double output_compressed_ratio = 1.0;
  // 4b multiplies executed / dense 4b multiplies per slice setting, counted
  // by the slice analysis on the real operands (joint skips of both
  // operands, not their product of independent rates); 0 = not measured.
  std::array<double, kNumSliceSettings> measured_mult_fraction{};
  // The weight matrix's non-zero pattern, n outputs x k reduction, row-major
  // (1 = non-zero), for the sparse kinds (EIE's per-PE load, STA's N:M
  // test); AttachWeightPatterns in sparse_sim.h fills it. Shared, not copied,
  // when a workload is copied.
  std::shared_ptr<const std::vector<uint8_t>> weight_nonzero;
  // Operand precisions the layer runs at (1..8). Only the precision-scalable
  // kind (psma) acts on them: its mode, its MACs per cycle and energy per
  // MAC, and operands stored at these widths; every other kind runs 8-bit.
  int weight_bits = 8, activation_bits = 8;
};

struct Workload {
  std::string model;
  std::vector<GemmLayer> layers;
  // Weights that are not GEMMs and are left out (depthwise kernels: one
  // small filter per channel).
  std::vector<std::string> skipped;
};

// The seam through which other subsystems' measurements enter. Each member
// is optional; an empty one leaves its statistics at the defaults above and
// marked unmeasured. `quantized` is the int8 tensor (i8 weights from
// QuantizeWeightsSymmetric, u8 activations from QuantizeActivationsMinMax,
// with their QuantParams).
//   lossless_ratio: compressed bytes / int8 bytes under the lossless codec
//     (issue #3, Atalanta).
//   slice_sparsity: HO slice and HO vector sparsity of the operand under a
//     slicing setting at the given vector length (issue #4, Panacea).
struct Measurers {
  std::function<StatusOr<double>(const Tensor& quantized)> lossless_ratio;
  std::function<StatusOr<SliceSparsity>(const Tensor& quantized, SliceSetting setting,
                                        bool is_weight, int vector_length)>
      slice_sparsity;
  int vector_length = 16;  // passed to slice_sparsity
  // How weights are scaled before they are measured (quant.h).
  WeightGranularity weight_granularity = WeightGranularity::kChannel;
};

// The GEMMs of `model` (FindGemms, graph.h: from the graph of an ONNX or
// TFLite file, with strides and padding; otherwise by name): rank-2 weights ("*.weight" [out,in]; Keras "*kernel"
// [in,out]) and rank-4 convolutions (Keras HWIO, otherwise OIHW) lowered by
// im2col; embeddings, norms and biases are skipped, and a llama2.c model with
// a shared classifier gets its classifier GEMM. With `activations`, each
// layer's input `<layer>.input` (llama2.c: `.wqkv.input` feeds wq/wk/wv,
// `.w1w3.input` feeds w1/w3) gives M (rows, or batch×output pixels for a
// stride-1 unpadded convolution) and the activation statistics. Layers with
// no recorded input get M = `default_rows` (tokens, or output pixels).
StatusOr<Workload> BuildWorkload(const Model& model, const Model* activations,
                                 const Measurers& measurers = {}, uint64_t default_rows = 1);

// A lossless_ratio measurer that codes each quantized operand with `codec`
// (Atalanta by default, tensorpress/codec.h) on all cores and returns its
// real coded size, tables and headers included, over the int8 size.
std::function<StatusOr<double>(const Tensor& quantized)> LosslessRatioMeasurer(
    Codec codec = Codec::kAtalanta, CodecOptions options = DefaultCodecOptions());

// Fills each layer's HO slice and HO vector sparsities from Panacea's
// analysis of the real layers (tp::AnalyzeSlices in gemm.h: 7-bit SBR
// weights; activations under plain asymmetric slicing, ZPM, ZPM+DBS and
// Sibia's symmetric slicing; Panacea's 4-lane slice vectors), matched by
// layer name. Layers the analysis did not cover keep their defaults.
// Returns the number of layers filled.
size_t AttachSliceAnalysis(const std::vector<LayerSliceReport>& reports, Workload* workload);

// ---------------------------------------------------------------------------
// Architectures
// ---------------------------------------------------------------------------

// kEnvision..kSta are the sparse designs of sparse_sim.h run at a dense
// array's dataflow, SRAM and DRAM (docs/sparsity.md, "simulate kinds");
// kPsma is a precision-scalable MAC array (sparse_sim.h, PsmaOperatingPoint).
enum class ArchKind : uint8_t { kDense, kSibia, kPanacea, kEnvision, kEie, kScnn, kSta, kPsma };
// Which operand stays put: in the DRAM tiling loop order and in the array.
// kSimd: lanes along N, inputs broadcast, weights read for every MAC.
enum class Dataflow : uint8_t { kWeightStationary, kOutputStationary, kInputStationary, kSimd };
std::string_view ArchKindName(ArchKind k);   // "dense", "sibia", ..., "sta", "psma"
bool IsBitSliceKind(ArchKind k);             // sibia, panacea: 4b×4b slice multipliers
bool IsSparseKind(ArchKind k);               // envision, eie, scnn, sta: 8b MACs that skip zeros
std::string_view DataflowName(Dataflow d);   // "ws", "os", "is", "simd"

struct SramSplit {
  double weights_kib = 64, activations_kib = 64, outputs_kib = 64;
};

// An Atalanta encoder/decoder at the DRAM interface: weights and activations
// are read compressed (scaled by their measured ratio) and decoded on the way
// in; outputs are encoded on the way out. Partial sums bypass it.
struct CodecConfig {
  bool enabled = false;
  double encode_pj_per_byte = 1.0;  // per uncompressed byte
  double decode_pj_per_byte = 1.0;
  double bytes_per_cycle = 64;      // uncompressed bytes the codec passes per cycle
  uint64_t latency_cycles = 32;     // pipeline fill, paid once per layer
};

struct SlicingConfig {
  SliceSetting setting = SliceSetting::kSibia;  // Sibia only; Panacea derives it from zpm/dbs
  int vector_length = 16;
  bool skip_weight_ho = false;     // skip zero HO weight vectors
  bool skip_activation_ho = true;  // skip zero HO activation vectors
};

struct PanaceaConfig {
  int dynamic_operators = 4;  // per PE array: HO activation slices, sparse
  int static_operators = 8;   // per PE array: LO activation slices, dense
  bool zpm = true;            // zero-point manipulation
  bool dbs = true;            // distribution-based slicing (needs zpm)
  bool double_tile = true;    // two tiles share the operator pools
  bool rle_activations = true;  // compressed HO vectors are not read from SRAM
};

// The sparse kinds' own parameters (the JSON object "sparse").
struct SparseDesignConfig {
  double reuse = 16;             // MACs per SRAM operand fetch in the sparse model
  double scnn_efficiency = 1.0;  // fraction of SCNN's multipliers doing useful products
  double scnn_index_bytes = 0.5; // per stored non-zero (4-bit run length)
  double eie_index_bytes = 0.5;  // per stored weight (EIE's 4-bit relative index)
  int sta_n = 2, sta_m = 4;      // STA's density bound
};

// The precision-scalable MAC styles of Camus et al. (JETCAS 2019) and
// Ibrahim, Mei and Verhelst (TCAS-I 2022, arXiv 2108.04773).
enum class PsmaStyle : uint8_t {
  kDataGating,        // a full 8b MAC whose unused input bits are gated: energy only
  kSubwordParallel,   // one 8b multiplier split into subwords (DVAFS-like, "SWU")
  kDivideConquer2d,   // 2b units combined by add/shift in both operands (BitFusion, "FU")
  kBitSerial1d,       // one operand fed bit by bit (UNPU, Stripes)
  kBitSerial2d,       // both operands fed in 2-bit groups (LOOM)
};
inline constexpr int kNumPsmaStyles = 5;
std::string_view PsmaStyleName(PsmaStyle s);  // "data_gating", "subword_parallel", ...
std::optional<PsmaStyle> PsmaStyleFromName(std::string_view name);

// One run-time precision mode. Modes are unordered pairs: hi x lo covers a
// layer whose wider operand has <= hi bits and narrower one <= lo bits.
struct PsmaMode {
  int hi_bits = 8, lo_bits = 8;
  double throughput = 1;  // MACs per cycle per 8x8-mode MAC of the array
  double energy = 1;      // energy per MAC over the reference 8-bit MAC (psma.reference)
};

struct PsmaConfig {
  PsmaStyle style = PsmaStyle::kDataGating;
  std::vector<PsmaMode> modes;  // must include 8x8 with throughput 1
  double area = 1;              // array area over the reference array's (reported, not simulated)
  std::string reference;        // what energy and area are relative to
  std::string provenance;       // where every number comes from
};

// DVAFS as a simulate option (Moons et al., DATE 2017; DvafsRelativePower in
// sparse_sim.h): per precision mode the activity and supply scaling of one
// word per cycle at f0 (DAS, DVAS) or of N subwords per cycle at f0/N (DVAFS).
struct DvafsModeConfig {
  int bits = 4;
  double das_activity = 1, dvas_voltage = 1, dvafs_activity = 1, dvafs_voltage = 1;
  int subwords = 1;
};
enum class DvafsScheme : uint8_t { kOff, kDas, kDvas, kDvafs };
std::string_view DvafsSchemeName(DvafsScheme s);  // "off", "das", "dvas", "dvafs"
std::optional<DvafsScheme> DvafsSchemeFromName(std::string_view name);
struct DvafsConfig {
  DvafsScheme scheme = DvafsScheme::kOff;
  std::vector<DvafsModeConfig> modes;
  std::string provenance;
};

struct ArchConfig {
  std::string name = "custom";
  std::string description;
  ArchKind kind = ArchKind::kDense;
  Dataflow dataflow = Dataflow::kWeightStationary;
  double clock_mhz = 1000;
  int pe_arrays = 1;
  int array_rows = 32;
  int array_cols = 24;
  int multipliers_per_pe = 1;
  int multiplier_bits = 8;      // 8: dense 8b×8b MACs; 4: 4b×4b slice multipliers
  double utilisation = 1.0;     // extra efficiency on top of the mapping's own
  SramSplit sram;
  bool double_buffering = true;
  double dram_bits_per_cycle = 256;
  bool zero_gating = false;     // Envision-style: saves energy, not cycles
  int psum_bytes = 4;
  CodecConfig atalanta;
  SlicingConfig slicing;
  PanaceaConfig panacea;
  SparseDesignConfig sparse;
  PsmaConfig psma;    // kind psma only
  DvafsConfig dvafs;  // kind psma only

  uint64_t Multipliers() const;              // physical multipliers
  uint64_t Multipliers4bEquivalent() const;  // an 8b×8b MAC counts as four
  SliceSetting EffectiveSliceSetting() const;
};

// Defaults for a kind (what the JSON parser starts from before overriding).
void ArchConfigInit(ArchKind kind, ArchConfig* config);
// Every field in range and consistent; the message names the field.
Status ValidateArchConfig(const ArchConfig& config);
// Parses one JSON architecture (see docs/simulate.md). Text that is not JSON
// is kCorruptData; unknown keys, wrong types and out-of-range values are
// kInvalidArgument; both name `source` and the field.
StatusOr<ArchConfig> ParseArchConfig(std::string_view json, std::string_view source);
StatusOr<ArchConfig> ReadArchConfig(const std::string& path);

// The shipped architectures, in this order: sa-ws, sa-os, simd, sibia,
// panacea, envision, eie, scnn, sta, psma-subword, psma-bitfusion, psma-loom,
// psma-bitblade.
// The JSON text is identical to data/arch/<name>.json.
std::vector<std::string> DefaultArchNames();
StatusOr<std::string_view> DefaultArchJson(std::string_view name);
StatusOr<ArchConfig> DefaultArchConfig(std::string_view name);

// ---------------------------------------------------------------------------
// Energy tables
// ---------------------------------------------------------------------------

struct EnergyTable {
  std::string name, process, provenance;
  // Picojoules per operation.
  double int8_add = 0, int16_add = 0, int32_add = 0;
  double int4_mult = 0, int8_mult = 0, int32_mult = 0;
  double fp16_add = 0, fp16_mult = 0, fp32_add = 0, fp32_mult = 0;
  // SRAM read or write of 64 bits by array capacity: (KiB, pJ), increasing
  // capacity. Interpolated linearly in log2(capacity), clamped at the ends.
  std::vector<std::pair<double, double>> sram_64b;
  double dram_64b = 0;  // pJ per 64 bits off chip

  double SramPer64b(double kib) const;
};

Status ValidateEnergyTable(const EnergyTable& table);
StatusOr<EnergyTable> ParseEnergyTable(std::string_view json, std::string_view source);
StatusOr<EnergyTable> ReadEnergyTable(const std::string& path);
// "horowitz45nm" and "28nm", identical to data/energy/<name>.json.
std::vector<std::string> DefaultEnergyTableNames();
StatusOr<std::string_view> DefaultEnergyTableJson(std::string_view name);
StatusOr<EnergyTable> DefaultEnergyTable(std::string_view name);

// ---------------------------------------------------------------------------
// Dataflow, memory and cost
// ---------------------------------------------------------------------------

struct Tiling {
  uint64_t tm = 1, tk = 1, tn = 1;
};

// Bytes moved between DRAM and the chip for one GEMM, before compression.
struct DramTraffic {
  double weights = 0, activations = 0;
  double outputs = 0;  // final int8 outputs, written once
  double psums = 0;    // partial sums spilled and read back when K is tiled
  double Total() const { return weights + activations + outputs + psums; }
};

// DRAM traffic of a tiled GEMM whose stationary operand sits in the outer
// loops (docs/simulate.md, "Dataflow"). With T(x, t) = ceil(x / t), xpass the
// bytes of one pass over the input (its int8 size; M·K for a linear layer)
// and pb the partial-sum bytes:
//   WS: W = K·N,         X = xpass·T(N,tn), P = 2·(T(K,tk)-1)·M·N·pb
//   IS: W = K·N·T(M,tm), X = xpass,         P = as WS
//   OS: W = K·N·T(M,tm), X = xpass·T(N,tn), P = 0
//   Y = M·N for all three; kSimd tiles as OS.
DramTraffic DataflowDramTraffic(Dataflow dataflow, uint64_t m, uint64_t k, uint64_t n,
                                const Tiling& t, double x_pass_bytes, int psum_bytes);
// 2·M·K·N operations per DRAM byte.
double ArithmeticIntensity(Dataflow dataflow, uint64_t m, uint64_t k, uint64_t n,
                           const Tiling& t, double x_pass_bytes, int psum_bytes);
// The tiling (each tile dimension a power of two or the full dimension) that
// fits the SRAM split (halved when double buffering) and moves the fewest
// DRAM bytes; ties go to larger tiles. `w_bytes` and `x_bytes` are the bytes
// one weight and one input element occupy in SRAM (1 for int8; a psma array
// packs narrower operands: bits / 8).
StatusOr<Tiling> ChooseTiling(const ArchConfig& arch, uint64_t m, uint64_t k, uint64_t n,
                              double x_pass_bytes, double w_bytes = 1.0, double x_bytes = 1.0);

struct EnergyBreakdown {
  double dram = 0, sram = 0, compute = 0, codec = 0;
  double Total() const { return dram + sram + compute + codec; }
};

struct LayerCost {
  Tiling tiling;
  double mapping_utilisation = 0;  // useful fraction of the multipliers the mapping keeps busy
  double mults_8b = 0;             // executed 8b×8b MACs (dense designs)
  double mults_4b = 0;             // executed 4b×4b slice products (bit-slice designs)
  double compensation_ops = 0;     // Panacea's compensator multiply-adds
  double dense_ops = 0;            // 2·M·K·N
  DramTraffic dram_raw;            // before the codec
  DramTraffic dram_wire;           // per tensor on the wire: memory format or codec applied
  double dram_bytes = 0;           // on the wire: dram_wire.Total()
  double sram_read_bytes = 0, sram_write_bytes = 0;
  // The operand reads inside sram_read_bytes / energy_pj.sram (weights and
  // inputs read into the array; fills, psums and drains excluded): what a
  // sparse kind replaces with its own schedule's reads.
  double sram_operand_read_bytes = 0, sram_operand_read_pj = 0;
  double compute_cycles = 0, memory_cycles = 0, cycles = 0;
  EnergyBreakdown energy_pj;
  double SramBytes() const { return sram_read_bytes + sram_write_bytes; }
};

StatusOr<LayerCost> SimulateLayer(const GemmLayer& layer, const ArchConfig& arch,
                                  const EnergyTable& energy);

struct ModelCost {
  std::vector<LayerCost> layers;
  LayerCost total;  // sums (tiling and utilisation left empty)
  double TopsPerWatt() const;            // dense ops per pJ
  double OpsPerCycle() const;            // dense ops per cycle
};

StatusOr<ModelCost> SimulateWorkload(const Workload& workload, const ArchConfig& arch,
                                     const EnergyTable& energy);

}  // namespace tp::sim
