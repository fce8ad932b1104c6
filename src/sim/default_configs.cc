// The shipped architecture configs and energy tables, embedded so that the
// CLI needs no data files at run time. Each string is byte-for-byte the file
// under data/ that users copy and edit; sim_test.cc checks that they agree.
// After editing a file under data/, paste it here between the same markers.
#include <array>
#include <string_view>

#include "sim/default_configs.h"

namespace tp::sim::internal {
namespace {

constexpr std::string_view kArch_sa_ws = R"json({
  "name": "sa-ws",
  "description": "Weight-stationary systolic array of 768 dense 8bx8b MACs (3072 4bx4b-equivalent multipliers): rows hold K, columns hold N, weights stay in the PEs while inputs stream through.",
  "kind": "dense",
  "dataflow": "ws",
  "clock_mhz": 500,
  "pe_arrays": 1,
  "array_rows": 32,
  "array_cols": 24,
  "multipliers_per_pe": 1,
  "multiplier_bits": 8,
  "utilisation": 1.0,
  "sram_kib": { "weights": 64, "activations": 64, "outputs": 64 },
  "double_buffering": true,
  "dram_bits_per_cycle": 256,
  "zero_gating": false,
  "psum_bytes": 4,
  "atalanta": {
    "enabled": false,
    "encode_pj_per_byte": 1.0,
    "decode_pj_per_byte": 1.0,
    "bytes_per_cycle": 64,
    "latency_cycles": 32
  }
}
)json";

constexpr std::string_view kArch_sa_os = R"json({
  "name": "sa-os",
  "description": "Output-stationary systolic array of 768 dense 8bx8b MACs (3072 4bx4b-equivalent multipliers): rows hold M, columns hold N, each PE accumulates one output over all of K.",
  "kind": "dense",
  "dataflow": "os",
  "clock_mhz": 500,
  "pe_arrays": 1,
  "array_rows": 32,
  "array_cols": 24,
  "multipliers_per_pe": 1,
  "multiplier_bits": 8,
  "utilisation": 1.0,
  "sram_kib": { "weights": 64, "activations": 64, "outputs": 64 },
  "double_buffering": true,
  "dram_bits_per_cycle": 256,
  "zero_gating": false,
  "psum_bytes": 4,
  "atalanta": {
    "enabled": false,
    "encode_pj_per_byte": 1.0,
    "decode_pj_per_byte": 1.0,
    "bytes_per_cycle": 64,
    "latency_cycles": 32
  }
}
)json";

constexpr std::string_view kArch_simd = R"json({
  "name": "simd",
  "description": "SIMD array of 768 dense 8bx8b MAC lanes (16 units x 48 lanes; 3072 4bx4b-equivalent multipliers): lanes hold N, one input is broadcast to all lanes, every MAC reads its own weight from SRAM.",
  "kind": "dense",
  "dataflow": "simd",
  "clock_mhz": 500,
  "pe_arrays": 16,
  "array_rows": 1,
  "array_cols": 48,
  "multipliers_per_pe": 1,
  "multiplier_bits": 8,
  "utilisation": 1.0,
  "sram_kib": { "weights": 64, "activations": 64, "outputs": 64 },
  "double_buffering": true,
  "dram_bits_per_cycle": 256,
  "zero_gating": false,
  "psum_bytes": 4,
  "atalanta": {
    "enabled": false,
    "encode_pj_per_byte": 1.0,
    "decode_pj_per_byte": 1.0,
    "bytes_per_cycle": 64,
    "latency_cycles": 32
  }
}
)json";

constexpr std::string_view kArch_sibia = R"json({
  "name": "sibia",
  "description": "Sibia-style bit-slice accelerator: 16 PE arrays x 12 operators x 16 4bx4b multipliers (3072), symmetric slicing of both operands, zero HO activation vectors skipped.",
  "kind": "sibia",
  "dataflow": "os",
  "clock_mhz": 500,
  "pe_arrays": 16,
  "array_rows": 12,
  "array_cols": 16,
  "multipliers_per_pe": 1,
  "multiplier_bits": 4,
  "utilisation": 1.0,
  "sram_kib": { "weights": 64, "activations": 64, "outputs": 64 },
  "double_buffering": true,
  "dram_bits_per_cycle": 256,
  "zero_gating": false,
  "psum_bytes": 4,
  "atalanta": {
    "enabled": false,
    "encode_pj_per_byte": 1.0,
    "decode_pj_per_byte": 1.0,
    "bytes_per_cycle": 64,
    "latency_cycles": 32
  },
  "slicing": {
    "setting": "sibia",
    "vector_length": 16,
    "skip_weight_ho": false,
    "skip_activation_ho": true
  }
}
)json";

constexpr std::string_view kArch_panacea = R"json({
  "name": "panacea",
  "description": "Panacea AQS-GEMM: 16 PE arrays x (4 dynamic + 8 static operators) x 16 4bx4b multipliers (3072), asymmetric activation slicing with zero-point manipulation and distribution-based slicing, RLE-compressed HO weight and activation vectors (4-long slice vectors), compensators, double-tile processing.",
  "kind": "panacea",
  "dataflow": "os",
  "clock_mhz": 500,
  "pe_arrays": 16,
  "array_rows": 12,
  "array_cols": 16,
  "multipliers_per_pe": 1,
  "multiplier_bits": 4,
  "utilisation": 1.0,
  "sram_kib": { "weights": 64, "activations": 64, "outputs": 64 },
  "double_buffering": true,
  "dram_bits_per_cycle": 256,
  "zero_gating": false,
  "psum_bytes": 4,
  "atalanta": {
    "enabled": false,
    "encode_pj_per_byte": 1.0,
    "decode_pj_per_byte": 1.0,
    "bytes_per_cycle": 64,
    "latency_cycles": 32
  },
  "slicing": {
    "vector_length": 4,
    "skip_weight_ho": true,
    "skip_activation_ho": true
  },
  "panacea": {
    "dynamic_operators": 4,
    "static_operators": 8,
    "zpm": true,
    "dbs": true,
    "double_tile": true,
    "rle_activations": true
  }
}
)json";

constexpr std::string_view kEnergy_horowitz45nm = R"json({
  "name": "horowitz45nm",
  "process": "45 nm, 0.9 V",
  "provenance": "M. Horowitz, 'Computing's energy problem (and what we can do about it)', ISSCC 2014, pp. 10-14: integer add/mult, float add/mult, SRAM 64-bit read for 8 KB/32 KB/1 MB arrays, DRAM 1.3-2.6 nJ per 64 bits. int4_mult and int16_add are derived (see derivations).",
  "ops_pj": {
    "int8_add": 0.03,
    "int16_add": 0.0533,
    "int32_add": 0.1,
    "int4_mult": 0.05,
    "int8_mult": 0.2,
    "int32_mult": 3.1,
    "fp16_add": 0.4,
    "fp16_mult": 1.1,
    "fp32_add": 0.9,
    "fp32_mult": 3.7
  },
  "derivations": {
    "int4_mult": "int8_mult x (4/8)^2 = 0.05 pJ: an array multiplier has n^2 partial-product cells, so its energy grows with the square of the width; the table itself agrees (int32_mult / int8_mult = 15.5, against (32/8)^2 = 16).",
    "int16_add": "linear interpolation between int8_add and int32_add, 0.03 + (0.1 - 0.03) x 8/24 = 0.0533 pJ: a ripple/carry-lookahead adder's energy grows linearly with its width. Used for the shift-and-add of 4b slice products."
  },
  "sram_64b_pj": [
    { "kib": 8, "pj": 10 },
    { "kib": 32, "pj": 20 },
    { "kib": 1024, "pj": 100 }
  ],
  "sram_notes": "Per 64-bit access, read or write, by the capacity of the array accessed; interpolated linearly in log2(capacity) between the points and clamped outside them.",
  "dram_64b_pj": 1950,
  "dram_64b_pj_range": [1300, 2600],
  "dram_notes": "Midpoint of Horowitz's 1.3-2.6 nJ per 64 bits."
}
)json";

constexpr std::string_view kEnergy_28nm = R"json({
  "name": "28nm",
  "process": "28 nm, 0.9 V (scaled, not measured silicon)",
  "provenance": "Derived from horowitz45nm (Horowitz, ISSCC 2014, 45 nm at 0.9 V) by constant-field scaling of switched capacitance with feature size and of energy with V^2: factor (28/45) x (0.9/1.0)^2 = 0.504 for logic and SRAM. DRAM energy is set by the DRAM device and its interface, not by the accelerator's node, and is kept. Replace with your PDK's numbers where you have them.",
  "ops_pj": {
    "int8_add": 0.01512,
    "int16_add": 0.02686,
    "int32_add": 0.0504,
    "int4_mult": 0.0252,
    "int8_mult": 0.1008,
    "int32_mult": 1.562,
    "fp16_add": 0.2016,
    "fp16_mult": 0.5544,
    "fp32_add": 0.4536,
    "fp32_mult": 1.865
  },
  "derivations": {
    "all": "horowitz45nm value x 0.504, rounded to 4 significant digits.",
    "int4_mult": "horowitz45nm int4_mult (int8_mult x (4/8)^2) x 0.504.",
    "int16_add": "horowitz45nm int16_add (linear between int8_add and int32_add) x 0.504."
  },
  "sram_64b_pj": [
    { "kib": 8, "pj": 5.04 },
    { "kib": 32, "pj": 10.08 },
    { "kib": 1024, "pj": 50.4 }
  ],
  "sram_notes": "Per 64-bit access, read or write; interpolated linearly in log2(capacity), clamped outside the points.",
  "dram_64b_pj": 1950,
  "dram_64b_pj_range": [1300, 2600],
  "dram_notes": "Kept from horowitz45nm (midpoint of 1.3-2.6 nJ per 64 bits)."
}
)json";

constexpr std::string_view kArch_envision = R"json({
  "name": "envision",
  "description": "Envision-style array: the weight-stationary 32x24 array of sa-ws (768 8bx8b MACs) with 1-bit zero flags on the activations that guard the weight SRAM read and the MAC of every zero operand; saves energy, never cycles (Moons et al., ISSCC 2017, as taught in the lecture; formulas in include/tensorpress/sparse_sim.h).",
  "kind": "envision",
  "dataflow": "ws",
  "clock_mhz": 500,
  "pe_arrays": 1,
  "array_rows": 32,
  "array_cols": 24,
  "multipliers_per_pe": 1,
  "multiplier_bits": 8,
  "utilisation": 1.0,
  "sram_kib": { "weights": 64, "activations": 64, "outputs": 64 },
  "double_buffering": true,
  "dram_bits_per_cycle": 256,
  "zero_gating": false,
  "psum_bytes": 4,
  "atalanta": {
    "enabled": false,
    "encode_pj_per_byte": 1.0,
    "decode_pj_per_byte": 1.0,
    "bytes_per_cycle": 64,
    "latency_cycles": 32
  },
  "sparse": {
    "reuse": 16,
    "scnn_efficiency": 1.0,
    "scnn_index_bytes": 0.5,
    "eie_index_bytes": 0.5,
    "sta_n": 2,
    "sta_m": 4
  }
}
)json";

constexpr std::string_view kArch_eie = R"json({
  "name": "eie",
  "description": "EIE-like engine: 768 PEs of one 8bx8b MAC (16 x 48 as simd), weights in CSC (value + 4-bit relative index), outputs interleaved over the PEs, only non-zero activations broadcast; a column waits for its busiest PE, measured on the real matrix (Han et al., ISCA 2016; formulas in include/tensorpress/sparse_sim.h).",
  "kind": "eie",
  "dataflow": "simd",
  "clock_mhz": 500,
  "pe_arrays": 16,
  "array_rows": 1,
  "array_cols": 48,
  "multipliers_per_pe": 1,
  "multiplier_bits": 8,
  "utilisation": 1.0,
  "sram_kib": { "weights": 64, "activations": 64, "outputs": 64 },
  "double_buffering": true,
  "dram_bits_per_cycle": 256,
  "zero_gating": false,
  "psum_bytes": 4,
  "atalanta": {
    "enabled": false,
    "encode_pj_per_byte": 1.0,
    "decode_pj_per_byte": 1.0,
    "bytes_per_cycle": 64,
    "latency_cycles": 32
  },
  "sparse": {
    "reuse": 16,
    "scnn_efficiency": 1.0,
    "scnn_index_bytes": 0.5,
    "eie_index_bytes": 0.5,
    "sta_n": 2,
    "sta_m": 4
  }
}
)json";

constexpr std::string_view kArch_scnn = R"json({
  "name": "scnn",
  "description": "SCNN-like engine: 48 PEs x 4x4 multipliers (768 8bx8b) multiplying the Cartesian product of compressed non-zero weights and activations, products scattered to accumulator banks through a crossbar (Parashar et al., ISCA 2017; formulas in include/tensorpress/sparse_sim.h).",
  "kind": "scnn",
  "dataflow": "is",
  "clock_mhz": 500,
  "pe_arrays": 48,
  "array_rows": 4,
  "array_cols": 4,
  "multipliers_per_pe": 1,
  "multiplier_bits": 8,
  "utilisation": 1.0,
  "sram_kib": { "weights": 64, "activations": 64, "outputs": 64 },
  "double_buffering": true,
  "dram_bits_per_cycle": 256,
  "zero_gating": false,
  "psum_bytes": 4,
  "atalanta": {
    "enabled": false,
    "encode_pj_per_byte": 1.0,
    "decode_pj_per_byte": 1.0,
    "bytes_per_cycle": 64,
    "latency_cycles": 32
  },
  "sparse": {
    "reuse": 16,
    "scnn_efficiency": 1.0,
    "scnn_index_bytes": 0.5,
    "eie_index_bytes": 0.5,
    "sta_n": 2,
    "sta_m": 4
  }
}
)json";

constexpr std::string_view kArch_sta = R"json({
  "name": "sta",
  "description": "ARM Systolic Tensor Array with density-bound blocks: the weight-stationary 32x24 array of sa-ws (768 8bx8b MACs) that stores and multiplies only n of every m weights along K (2:4 here, 2-bit positions, a mux per kept weight); a layer that breaks the bound runs dense (Liu et al., 2020; formulas in include/tensorpress/sparse_sim.h).",
  "kind": "sta",
  "dataflow": "ws",
  "clock_mhz": 500,
  "pe_arrays": 1,
  "array_rows": 32,
  "array_cols": 24,
  "multipliers_per_pe": 1,
  "multiplier_bits": 8,
  "utilisation": 1.0,
  "sram_kib": { "weights": 64, "activations": 64, "outputs": 64 },
  "double_buffering": true,
  "dram_bits_per_cycle": 256,
  "zero_gating": false,
  "psum_bytes": 4,
  "atalanta": {
    "enabled": false,
    "encode_pj_per_byte": 1.0,
    "decode_pj_per_byte": 1.0,
    "bytes_per_cycle": 64,
    "latency_cycles": 32
  },
  "sparse": {
    "reuse": 16,
    "scnn_efficiency": 1.0,
    "scnn_index_bytes": 0.5,
    "eie_index_bytes": 0.5,
    "sta_n": 2,
    "sta_m": 4
  }
}
)json";

constexpr std::string_view kArch_psma_subword = R"json({
  "name": "psma-subword",
  "description": "Precision-scalable MAC array, subword-parallel style (SWU, DVAFS-like: one 8b multiplier split into 2 x 4b or 4 x 2b subwords, symmetric modes only) in sa-ws's weight-stationary 32x24 geometry: 768 MACs per cycle at 8x8, 1536 at 4x4, 3072 at 2x2. Energy per MAC per mode and area from Ibrahim et al.'s benchmark (psma.provenance).",
  "kind": "psma",
  "dataflow": "ws",
  "clock_mhz": 500,
  "pe_arrays": 1,
  "array_rows": 32,
  "array_cols": 24,
  "multipliers_per_pe": 1,
  "multiplier_bits": 8,
  "utilisation": 1.0,
  "sram_kib": { "weights": 64, "activations": 64, "outputs": 64 },
  "double_buffering": true,
  "dram_bits_per_cycle": 256,
  "zero_gating": false,
  "psum_bytes": 4,
  "atalanta": {
    "enabled": false,
    "encode_pj_per_byte": 1.0,
    "decode_pj_per_byte": 1.0,
    "bytes_per_cycle": 64,
    "latency_cycles": 32
  },
  "psma": {
    "style": "subword_parallel",
    "area": 1,
    "reference": "8x8 mode of the most efficient design in the same files, SWU/BG_L2_L4_00_L3_11_L2_11_DVAFS_1 (665.6 fJ per MAC at 1 GHz incl. input registers and accumulators; also the smallest area, 109332 um^2); the benchmark has no fixed-precision MAC, so 1.0 is itself a precision-scalable array",
    "provenance": "Ibrahim, Mei, Verhelst, arXiv 2108.04773 (IEEE TCAS-I 69(5), 2022): post-synthesis results, 28 nm, 1 GHz (clock 1.00 ns), github.com/KULeuven-MICAS/PSMA-benchmark commit 94913e3b, results/breakdown/1.00/SWU/power.csv (column top, row BG_L2_L4_00_L3_11_L2_11_DVAFS_1 per mode) and area.csv; energy per MAC = 2 x P_top x 1 ns x 1e3 / ops per cycle as in the repository's plotting_functions.py energy_extract; recomputed by scripts/psma-data",
    "modes": [
      { "bits": [8, 8], "throughput": 1, "energy": 1 },
      { "bits": [4, 4], "throughput": 2, "energy": 0.2785 },
      { "bits": [2, 2], "throughput": 4, "energy": 0.08703 }
    ]
  }
}
)json";

constexpr std::string_view kArch_psma_bitfusion = R"json({
  "name": "psma-bitfusion",
  "description": "Precision-scalable MAC array, 2-D divide-and-conquer style (BitFusion: 2b x 2b units combined by add/shift along both operands) in sa-ws's weight-stationary 32x24 geometry: 768 MACs per cycle at 8x8, x2 at 8x4, x4 at 8x2 and 4x4, x16 at 2x2. Energy per MAC per mode and area from Ibrahim et al.'s benchmark (psma.provenance).",
  "kind": "psma",
  "dataflow": "ws",
  "clock_mhz": 500,
  "pe_arrays": 1,
  "array_rows": 32,
  "array_cols": 24,
  "multipliers_per_pe": 1,
  "multiplier_bits": 8,
  "utilisation": 1.0,
  "sram_kib": { "weights": 64, "activations": 64, "outputs": 64 },
  "double_buffering": true,
  "dram_bits_per_cycle": 256,
  "zero_gating": false,
  "psum_bytes": 4,
  "atalanta": {
    "enabled": false,
    "encode_pj_per_byte": 1.0,
    "decode_pj_per_byte": 1.0,
    "bytes_per_cycle": 64,
    "latency_cycles": 32
  },
  "psma": {
    "style": "divide_conquer_2d",
    "area": 1.701,
    "reference": "8x8 mode of the most efficient design in the same files, SWU/BG_L2_L4_00_L3_11_L2_11_DVAFS_1 (665.6 fJ per MAC at 1 GHz incl. input registers and accumulators; also the smallest area, 109332 um^2); the benchmark has no fixed-precision MAC, so 1.0 is itself a precision-scalable array",
    "provenance": "Ibrahim, Mei, Verhelst, arXiv 2108.04773 (IEEE TCAS-I 69(5), 2022): post-synthesis results, 28 nm, 1 GHz (clock 1.00 ns), github.com/KULeuven-MICAS/PSMA-benchmark commit 94913e3b, results/breakdown/1.00/FU/power.csv (column top, row BITFUSION per mode) and area.csv; energy per MAC = 2 x P_top x 1 ns x 1e3 / ops per cycle as in the repository's plotting_functions.py energy_extract; recomputed by scripts/psma-data",
    "modes": [
      { "bits": [8, 8], "throughput": 1, "energy": 1.686 },
      { "bits": [8, 4], "throughput": 2, "energy": 0.8177 },
      { "bits": [8, 2], "throughput": 4, "energy": 0.4049 },
      { "bits": [4, 4], "throughput": 4, "energy": 0.4003 },
      { "bits": [2, 2], "throughput": 16, "energy": 0.09794 }
    ]
  }
}
)json";

constexpr std::string_view kArch_psma_loom = R"json({
  "name": "psma-loom",
  "description": "Precision-scalable MAC array, 2-D bit-serial style (LOOM: both operands in 2-bit groups over cycles, the array sized to 768 MACs per cycle at 8x8) in sa-ws's weight-stationary 32x24 geometry: x2 at 8x4, x4 at 8x2 and 4x4, x16 at 2x2. Energy per MAC per mode and area from Ibrahim et al.'s benchmark (psma.provenance).",
  "kind": "psma",
  "dataflow": "ws",
  "clock_mhz": 500,
  "pe_arrays": 1,
  "array_rows": 32,
  "array_cols": 24,
  "multipliers_per_pe": 1,
  "multiplier_bits": 8,
  "utilisation": 1.0,
  "sram_kib": { "weights": 64, "activations": 64, "outputs": 64 },
  "double_buffering": true,
  "dram_bits_per_cycle": 256,
  "zero_gating": false,
  "psum_bytes": 4,
  "atalanta": {
    "enabled": false,
    "encode_pj_per_byte": 1.0,
    "decode_pj_per_byte": 1.0,
    "bytes_per_cycle": 64,
    "latency_cycles": 32
  },
  "psma": {
    "style": "bit_serial_2d",
    "area": 1.748,
    "reference": "8x8 mode of the most efficient design in the same files, SWU/BG_L2_L4_00_L3_11_L2_11_DVAFS_1 (665.6 fJ per MAC at 1 GHz incl. input registers and accumulators; also the smallest area, 109332 um^2); the benchmark has no fixed-precision MAC, so 1.0 is itself a precision-scalable array",
    "provenance": "Ibrahim, Mei, Verhelst, arXiv 2108.04773 (IEEE TCAS-I 69(5), 2022): post-synthesis results, 28 nm, 1 GHz (clock 1.00 ns), github.com/KULeuven-MICAS/PSMA-benchmark commit 94913e3b, results/breakdown/1.00/FU/power.csv (column top, row LOOM per mode) and area.csv; energy per MAC = 2 x P_top x 1 ns x 1e3 / ops per cycle as in the repository's plotting_functions.py energy_extract; recomputed by scripts/psma-data",
    "modes": [
      { "bits": [8, 8], "throughput": 1, "energy": 1.206 },
      { "bits": [8, 4], "throughput": 2, "energy": 0.6488 },
      { "bits": [8, 2], "throughput": 4, "energy": 0.3473 },
      { "bits": [4, 4], "throughput": 4, "energy": 0.3501 },
      { "bits": [2, 2], "throughput": 16, "energy": 0.09472 }
    ]
  }
}
)json";

constexpr std::string_view kArch_psma_bitblade = R"json({
  "name": "psma-bitblade",
  "description": "Precision-scalable MAC array, 2-D divide-and-conquer style with the shifts shared (BitBlade: 2b x 2b products of equal significance summed across a group of units before one shift-add, bit groups at L3 in Ibrahim et al.'s taxonomy) in sa-ws's weight-stationary 32x24 geometry: 768 MACs per cycle at 8x8, x2 at 8x4, x4 at 8x2 and 4x4, x16 at 2x2. Energy per MAC per mode and area from Ibrahim et al.'s benchmark (psma.provenance).",
  "kind": "psma",
  "dataflow": "ws",
  "clock_mhz": 500,
  "pe_arrays": 1,
  "array_rows": 32,
  "array_cols": 24,
  "multipliers_per_pe": 1,
  "multiplier_bits": 8,
  "utilisation": 1.0,
  "sram_kib": { "weights": 64, "activations": 64, "outputs": 64 },
  "double_buffering": true,
  "dram_bits_per_cycle": 256,
  "zero_gating": false,
  "psum_bytes": 4,
  "atalanta": {
    "enabled": false,
    "encode_pj_per_byte": 1.0,
    "decode_pj_per_byte": 1.0,
    "bytes_per_cycle": 64,
    "latency_cycles": 32
  },
  "psma": {
    "style": "divide_conquer_2d",
    "area": 1.177,
    "reference": "8x8 mode of the most efficient design in the same files, SWU/BG_L2_L4_00_L3_11_L2_11_DVAFS_1 (665.6 fJ per MAC at 1 GHz incl. input registers and accumulators; also the smallest area, 109332 um^2); the benchmark has no fixed-precision MAC, so 1.0 is itself a precision-scalable array",
    "provenance": "Ibrahim, Mei, Verhelst, arXiv 2108.04773 (IEEE TCAS-I 69(5), 2022): post-synthesis results, 28 nm, 1 GHz (clock 1.00 ns), github.com/KULeuven-MICAS/PSMA-benchmark commit 94913e3b, results/breakdown/1.00/FU/power.csv (column top, row BITBLADE per mode) and area.csv; energy per MAC = 2 x P_top x 1 ns x 1e3 / ops per cycle as in the repository's plotting_functions.py energy_extract; recomputed by scripts/psma-data",
    "modes": [
      { "bits": [8, 8], "throughput": 1, "energy": 1.428 },
      { "bits": [8, 4], "throughput": 2, "energy": 0.7038 },
      { "bits": [8, 2], "throughput": 4, "energy": 0.3458 },
      { "bits": [4, 4], "throughput": 4, "energy": 0.355 },
      { "bits": [2, 2], "throughput": 16, "energy": 0.08709 }
    ]
  }
}
)json";

}  // namespace

std::span<const NamedText> DefaultArchTexts() {
  static constexpr std::array<NamedText, 13> kTexts = {{
      {"sa-ws", kArch_sa_ws},
      {"sa-os", kArch_sa_os},
      {"simd", kArch_simd},
      {"sibia", kArch_sibia},
      {"panacea", kArch_panacea},
      {"envision", kArch_envision},
      {"eie", kArch_eie},
      {"scnn", kArch_scnn},
      {"sta", kArch_sta},
      {"psma-subword", kArch_psma_subword},
      {"psma-bitfusion", kArch_psma_bitfusion},
      {"psma-loom", kArch_psma_loom},
      {"psma-bitblade", kArch_psma_bitblade},
  }};
  return kTexts;
}

std::span<const NamedText> DefaultEnergyTexts() {
  static constexpr std::array<NamedText, 2> kTexts = {{
      {"horowitz45nm", kEnergy_horowitz45nm},
      {"28nm", kEnergy_28nm},
  }};
  return kTexts;
}

}  // namespace tp::sim::internal
