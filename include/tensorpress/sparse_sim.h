// Sparse and precision-scalable accelerators in the cost model: what a
// pruned layer costs on a dense array, Envision (zero flags), EIE (CSC
// weights, non-zero activations), SCNN (both operands compressed, Cartesian
// products) and ARM's STA with density-bound N:M blocks, all with the same
// multiplier budget; plus DVAFS's power formulas.
//
// Read me first. One GEMM Y[M,N] = X[M,K] W[K,N] (sim.h's convention), 8-bit
// operands, P multipliers, an operand fetched from SRAM once per `reuse`
// MACs that use it (register-file reuse inside the array). With
// MACs = M K N, dw = weight density, da = activation density:
//   dense     cycles = MACs / P;   mults = MACs
//             E = MACs (e_mul + e_add) + 2 MACs / reuse * e_byte
//   envision  cycles = dense (flags save energy, not time)
//             mults = MACs da dw;  E = mults (e_mul + e_add)
//                 + MACs / reuse * (1 + da + 1/8) * e_byte
//             (every activation and its 1-bit flag is read, a weight only
//             for a non-zero activation; a MAC only when both are non-zero)
//   eie       products = M da nnz(W); cycles = M da sum_k max_p nnz_p(k)
//             (outputs interleaved over P PEs, a column's work waits for its
//             busiest PE: the load imbalance, measured on the real matrix;
//             `ideal_cycles` = products / P is the bound with every PE busy,
//             `balanced_cycles` = products / min(P, N) with the PEs that own
//             an output perfectly balanced)
//             E = products (e_mul + e_add + (1 + eie_index_bytes) e_byte) + M K e_byte
//             (a weight value and its 4-bit relative index per product; every
//             activation read once to find the non-zeros)
//   scnn      products = MACs dw da; cycles = products / (P efficiency)
//             E = products (e_mul + e_add + e_xbar)
//                 + MACs / reuse * (dw + da) (1 + index_bytes) e_byte
//             (products scatter through a crossbar to accumulator banks)
//   sta       when every group of m weights along K holds <= n non-zeros:
//             cycles = MACs (n/m) / P; mults = MACs n/m;
//             E = mults (e_mul + e_add + e_mux)
//                 + MACs / reuse * ((n/m)(1 + log2(m)/8) + 1) e_byte
//             otherwise it runs dense.
// As `simulate` kinds (ArchKind kEnvision..kSta, data/arch/{envision,eie,
// scnn,sta}.json) a design runs at a dense array's dataflow: the dense
// array's DRAM traffic, tiling, psums and SRAM energy (cost.cc) are kept and
// the formulas above change what sparsity changes: compute energy = this
// model's compute_pj; SRAM operand reads (LayerCost::sram_operand_read_pj)
// = the dense array's x (sram_pj / the dense model's sram_pj) for Envision
// and STA (the same array and reuse, fewer reads), this model's sram_pj for
// EIE and SCNN (their own schedules; EIE reads a weight per product), fills,
// partial sums and drains kept; compute cycles = this model's cycles / utilisation
// for EIE and SCNN (their own schedules), the dense array's x (cycles /
// dense cycles) for Envision and STA (systolic arrays keep the dense
// mapping); DRAM weight bytes x the stored format (EIE: dw (1 + index
// bytes), SCNN: dw (1 + index bytes) and activations da (1 + index bytes),
// STA when the layer fits n:m: n/m (1 + log2(m)/8), Envision: 1), unless an
// Atalanta codec already codes them.
// e_mul = int8_mult, e_add = int32_add, e_byte = SRAM 64-bit access / 8 at
// `sram_kib`, e_xbar = e_mux = int8_add of the energy table (a byte moved
// through a mux stage costs about an 8-bit add). These formulas are ours,
// written from the lecture's description of each design; they are pinned by
// hand-computed unit tests in src/sim/sparse_arch_test.cc.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tensorpress/sim.h"
#include "tensorpress/sparse.h"
#include "tensorpress/status.h"

namespace tp::sim {

enum class SparseArchKind : uint8_t { kDense, kEnvision, kEie, kScnn, kSta };
std::string_view SparseArchName(SparseArchKind kind);  // "dense", "envision", "eie", "scnn", "sta"
inline constexpr SparseArchKind kAllSparseArchs[] = {SparseArchKind::kDense, SparseArchKind::kEnvision,
                                                     SparseArchKind::kEie, SparseArchKind::kScnn,
                                                     SparseArchKind::kSta};

struct SparseArchConfig {
  uint64_t multipliers = 768;   // P, the same for every design compared (simulate's budget)
  double reuse = 16;            // MACs per SRAM operand fetch
  double sram_kib = 64;
  double scnn_efficiency = 1.0; // fraction of SCNN's multipliers doing useful products
  double scnn_index_bytes = 0.5;
  double eie_index_bytes = 0.5; // EIE's 4-bit relative index per stored weight
  int sta_n = 2, sta_m = 4;     // STA's density bound
};

// What the model needs to know about one layer's operands.
struct SparseLayerStats {
  std::string name;
  uint64_t m = 0, k = 0, n = 0;
  uint64_t weight_nonzeros = 0;
  double activation_density = 1.0;
  // EIE: sum over k of the busiest PE's non-zeros in W[k, :] (outputs
  // interleaved over `multipliers` PEs).
  uint64_t eie_busiest_sum = 0;
  bool fits_sta = false;  // every group of sta_m weights along K has <= sta_n non-zeros
};

// Measures a weight matrix (output-first, as sparse::SparseMatrixOf gives):
// non-zeros, EIE's busiest-PE sums for `pes` PEs, and whether it meets n:m.
SparseLayerStats MeasureSparseLayer(const sparse::SparseMatrix& w, uint64_t pes, int sta_n, int sta_m);
// The same from a non-zero pattern: `nonzero` holds rows x cols bytes,
// row-major, output-first (GemmLayer::weight_nonzero).
SparseLayerStats MeasureSparsePattern(std::span<const uint8_t> nonzero, uint64_t rows, uint64_t cols, uint64_t pes,
                                      int sta_n, int sta_m);

// Fills each workload layer's weight_nonzero from the model's weight tensor
// (found by the layer's name as BuildWorkload names it; Keras tensors taken
// output-last). Layers whose tensor is missing or whose matrix does not have
// the layer's k x n shape are left empty; returns the number filled. The
// simulate kinds envision/eie/scnn/sta need it (SimulateLayer refuses a
// layer without it).
StatusOr<size_t> AttachWeightPatterns(const Model& model, Workload* workload);

struct SparseLayerCost {
  double cycles = 0, ideal_cycles = 0;
  // EIE: products / min(P, N), perfect balance over the PEs that own an
  // output; cycles / balanced_cycles is the load imbalance proper, and
  // balanced_cycles / ideal_cycles the PEs left idle because N < P.
  // Equal to ideal_cycles for the other designs.
  double balanced_cycles = 0;
  double mults = 0;
  double energy_pj = 0;
  double compute_pj = 0, sram_pj = 0;
};

StatusOr<SparseLayerCost> SimulateSparseLayer(const SparseLayerStats& layer, SparseArchKind kind,
                                              const SparseArchConfig& config, const EnergyTable& energy);

// --- DVAFS (Moons et al., DATE 2017) ------------------------------------------
// Dynamic power P = alpha C f V^2 at precision k, relative to the
// full-precision baseline alpha0 C f0 V0^2 (one word per cycle at f0, V0):
//   DAS   (accuracy scaling: unused bits stop toggling)  P = a_k C f0 V0^2
//   DVAS  (+ the shorter critical path lets V drop)      P = a_k C f0 V_k^2
//   DVAFS (+ N_k subwords per cycle: the same words/s at f0 / N_k, so V
//          drops further)                                P = a'_k C (f0/N_k) V'_k^2
// Every mode delivers f0 words per second, so energy per word scales as P.
struct DvafsMode {
  int bits = 16;
  double das_activity = 1.0;    // a_k / alpha0
  double dvas_voltage = 1.0;    // V_k / V0
  double dvafs_activity = 1.0;  // a'_k / alpha0 (all N_k subwords toggling)
  double dvafs_voltage = 1.0;   // V'_k / V0
  int subwords = 1;             // N_k
};
struct DvafsPower {
  double das = 0, dvas = 0, dvafs = 0;  // each relative to alpha0 C f0 V0^2
};
StatusOr<DvafsPower> DvafsRelativePower(const DvafsMode& mode);

// --- Precision-scalable MAC arrays (kind psma) ---------------------------------
// A layer whose operands have w and a bits (hi = max, lo = min) runs in the
// arch's mode hi_m x lo_m with hi_m >= hi and lo_m >= lo that has the most
// MACs per cycle (ties: the least energy). On the dense array of the config
// (its dataflow, tiling, SRAM and DRAM):
//   compute cycles = the dense array's / throughput_m
//   compute energy = MACs (e_mul + e_add) energy_m      (e_* of the 8b MAC)
//   operand bytes (DRAM and SRAM, fills and reads) x w/8 for weights, x a/8
//   for activations (stored packed; outputs and partial sums unchanged), and
//   the tiling chosen for the packed sizes (ChooseTiling's w_bytes, x_bytes).
// With DVAFS on (psma's `dvafs`, scheme s) and a DVAFS mode for k = hi
// (the smallest with bits >= hi; none for 8 bits) the mode table is
// replaced by DvafsRelativePower: one word per f0 cycle (throughput 1) at
//   energy = energy_8x8 P_s(k)
// (DAS: activity only; DVAS: also the voltage; DVAFS: N subwords per cycle
// at f0/N, the same words per second, lower voltage again).
// The structural throughput of each style (what its mode table must say,
// checked by the tests against the shipped configs): data gating 1;
// subword parallel 8/hi; 2-D divide and conquer and 2-D bit-serial
// (8/hi)(8/lo) (the bit-serial array normalised to the same 8x8 rate, as
// in Ibrahim et al.); 1-D bit-serial 8/lo (the narrower operand serial).
double PsmaStructuralThroughput(PsmaStyle style, int hi_bits, int lo_bits);

struct PsmaPoint {
  PsmaMode mode;          // the mode chosen (8x8 under DVAFS)
  double throughput = 1;  // MACs per cycle per 8x8 MAC
  double energy = 1;      // energy per MAC over the reference 8-bit MAC
  bool dvafs = false;     // the DVAFS model priced it
  int dvafs_bits = 0;     // its DVAFS mode
};
StatusOr<PsmaPoint> PsmaOperatingPoint(const ArchConfig& arch, int weight_bits, int activation_bits);

}  // namespace tp::sim
