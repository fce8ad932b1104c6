// The cost model proper: tiling, DRAM and SRAM traffic, executed multiplies,
// cycles and energy of one GEMM on one architecture. Every formula here is
// written out in docs/simulate.md; keep the two in step.
#include <algorithm>
#include <cmath>

#include "sim/sparse_cost.h"
#include "tensorpress/sim.h"
#include "tensorpress/sparse_sim.h"

namespace tp::sim {
namespace {

double Ceil(double x, double t) { return std::ceil(x / t); }

// Tile sizes worth trying along a dimension: the full size and the powers of
// two below it.
std::vector<uint64_t> TileCandidates(uint64_t d) {
  std::vector<uint64_t> c = {d};
  for (uint64_t p = 1; p < d; p *= 2) c.push_back(p);
  return c;
}

// Fraction of the `units` lanes along one array dimension that hold useful
// work when `d` is spread over them in ceil(d/units) passes.
double SpatialUtilisation(uint64_t d, uint64_t units) {
  return double(d) / (Ceil(double(d), double(units)) * double(units));
}

bool IsBitSlice(const ArchConfig& a) { return IsBitSliceKind(a.kind); }

double InputDensity(uint64_t m, uint64_t k, double x_pass_bytes) {
  // A convolution's input holds fewer distinct bytes than its im2col matrix;
  // tiles of that matrix occupy proportionally less SRAM.
  return std::min(1.0, x_pass_bytes / (double(m) * double(k)));
}

}  // namespace

DramTraffic DataflowDramTraffic(Dataflow dataflow, uint64_t m, uint64_t k, uint64_t n,
                                const Tiling& t, double x_pass_bytes, int psum_bytes) {
  const double M = double(m), K = double(k), N = double(n);
  DramTraffic d;
  d.outputs = M * N;
  const double spill = 2 * (Ceil(K, double(t.tk)) - 1) * M * N * psum_bytes;
  switch (dataflow) {
    case Dataflow::kWeightStationary:
      d.weights = K * N;
      d.activations = x_pass_bytes * Ceil(N, double(t.tn));
      d.psums = spill;
      break;
    case Dataflow::kInputStationary:
      d.weights = K * N * Ceil(M, double(t.tm));
      d.activations = x_pass_bytes;
      d.psums = spill;
      break;
    case Dataflow::kOutputStationary:
    case Dataflow::kSimd:
      d.weights = K * N * Ceil(M, double(t.tm));
      d.activations = x_pass_bytes * Ceil(N, double(t.tn));
      break;
  }
  return d;
}

double ArithmeticIntensity(Dataflow dataflow, uint64_t m, uint64_t k, uint64_t n, const Tiling& t,
                           double x_pass_bytes, int psum_bytes) {
  return 2.0 * double(m) * double(k) * double(n) /
         DataflowDramTraffic(dataflow, m, k, n, t, x_pass_bytes, psum_bytes).Total();
}

StatusOr<Tiling> ChooseTiling(const ArchConfig& arch, uint64_t m, uint64_t k, uint64_t n,
                              double x_pass_bytes, double w_bytes, double x_bytes) {
  if (m == 0 || k == 0 || n == 0) return InvalidArgumentError("GEMM with a zero dimension");
  // Double buffering keeps the next tile loading while this one computes,
  // so each tile may use half of its SRAM partition.
  const double share = arch.double_buffering ? 0.5 : 1.0;
  const double w_cap = arch.sram.weights_kib * 1024 * share;
  const double x_cap = arch.sram.activations_kib * 1024 * share;
  const double o_cap = arch.sram.outputs_kib * 1024 * share;
  const double density = InputDensity(m, k, x_pass_bytes);
  bool found = false;
  Tiling best;
  double best_traffic = 0, best_volume = 0;
  const auto tms = TileCandidates(m), tks = TileCandidates(k), tns = TileCandidates(n);
  for (uint64_t tk : tks)
    for (uint64_t tn : tns) {
      if (double(tk) * double(tn) * w_bytes > w_cap) continue;
      for (uint64_t tm : tms) {
        if (double(tm) * double(tk) * density * x_bytes > x_cap) continue;
        if (double(tm) * double(tn) * arch.psum_bytes > o_cap) continue;
        Tiling t{tm, tk, tn};
        double traffic = DataflowDramTraffic(arch.dataflow, m, k, n, t, x_pass_bytes, arch.psum_bytes).Total();
        double volume = double(tm) * double(tk) * double(tn);
        if (!found || traffic < best_traffic || (traffic == best_traffic && volume > best_volume)) {
          found = true;
          best = t;
          best_traffic = traffic;
          best_volume = volume;
        }
      }
    }
  if (!found)
    return InvalidArgumentError("architecture '" + arch.name + "': SRAM too small for even a 1x1x1 tile");
  return best;
}

StatusOr<LayerCost> SimulateLayer(const GemmLayer& layer, const ArchConfig& arch, const EnergyTable& e) {
  TP_RETURN_IF_ERROR(ValidateArchConfig(arch));
  TP_RETURN_IF_ERROR(ValidateEnergyTable(e));
  if (IsSparseKind(arch.kind)) return internal::SimulateSparseKindLayer(layer, arch, e);
  const uint64_t m = layer.m, k = layer.k, n = layer.n;
  if (m == 0 || k == 0 || n == 0)
    return InvalidArgumentError("layer '" + layer.name + "': GEMM with a zero dimension");
  if (double(m) * double(k) * double(n) > 1e21)
    return InvalidArgumentError("layer '" + layer.name + "': GEMM too large to model");
  const double M = double(m), K = double(k), N = double(n), MKN = M * K * N;
  const double x_pass = layer.activations.int8_bytes ? double(layer.activations.int8_bytes) : M * K;
  const int pb = arch.psum_bytes;

  // A precision-scalable array keeps weights and inputs packed at their
  // precision, in SRAM (more elements per tile) and on the DRAM wire.
  const bool psma = arch.kind == ArchKind::kPsma;
  PsmaPoint point;
  if (psma) {
    TP_ASSIGN_OR_RETURN(point, PsmaOperatingPoint(arch, layer.weight_bits, layer.activation_bits));
  }
  const double pw = psma ? layer.weight_bits / 8.0 : 1.0, px = psma ? layer.activation_bits / 8.0 : 1.0;

  LayerCost c;
  c.dense_ops = 2 * MKN;
  TP_ASSIGN_OR_RETURN(c.tiling, ChooseTiling(arch, m, k, n, x_pass, pw, px));
  const Tiling& t = c.tiling;

  // --- DRAM, with the codec scaling the operands it carries.
  c.dram_raw = DataflowDramTraffic(arch.dataflow, m, k, n, t, x_pass, pb);
  const DramTraffic& raw = c.dram_raw;
  const SliceSetting setting = arch.EffectiveSliceSetting();
  const int si = static_cast<int>(setting);
  // Bytes per int8 byte of each operand in the design's memory format: bit-
  // slice designs hold slices, Sibia uncompressed, Panacea with its HO
  // vectors run-length coded where it skips them (measured, 1.0 otherwise).
  double fw = 1.0, fx = 1.0;
  if (IsBitSlice(arch)) {
    const SliceBytes& bw = layer.weights.slice_bytes[si];
    const SliceBytes& bx = layer.activations.slice_bytes[si];
    const bool panacea = arch.kind == ArchKind::kPanacea;
    fw = panacea && arch.slicing.skip_weight_ho ? bw.compressed : bw.dense;
    fx = panacea && arch.panacea.rle_activations ? bx.compressed : bx.dense;
  }
  if (psma) fw = pw, fx = px;
  // Without the codec operands cross the DRAM interface in the memory
  // format. With it they cross as Atalanta-coded int8 (the form whose ratio
  // is measured) and a bit-slice design slices them after decoding: the two
  // compressions are alternatives, not stacked (docs/simulate.md).
  const bool codec = arch.atalanta.enabled;
  const double rw = codec ? layer.weights.compressed_ratio : fw;
  const double rx = codec ? layer.activations.compressed_ratio : fx;
  const double ro = codec ? layer.output_compressed_ratio : 1.0;
  c.dram_wire = {raw.weights * rw, raw.activations * rx, raw.outputs * ro, raw.psums};
  c.dram_bytes = c.dram_wire.Total();

  // --- Executed multiplies and the spatial mapping.
  const double A = arch.pe_arrays, R = arch.array_rows, C = arch.array_cols;
  const double per_pe = arch.multipliers_per_pe;
  const double s_a = arch.slicing.skip_activation_ho ? layer.activations.slices[si].ho_vector : 0.0;
  const double s_w = arch.slicing.skip_weight_ho ? layer.weights.slices[si].ho_vector : 0.0;
  const double z_w = layer.weights.zero_fraction, z_a = layer.activations.zero_fraction;
  const double live = arch.zero_gating ? (1 - z_w) * (1 - z_a) : 1.0;  // fraction not gated

  double compute_cycles = 0;
  if (!IsBitSlice(arch)) {
    switch (arch.dataflow) {
      case Dataflow::kWeightStationary:
      case Dataflow::kSimd:
        c.mapping_utilisation = SpatialUtilisation(m, A) * SpatialUtilisation(k, R) * SpatialUtilisation(n, C);
        break;
      case Dataflow::kOutputStationary:
        c.mapping_utilisation = SpatialUtilisation(k, A) * SpatialUtilisation(m, R) * SpatialUtilisation(n, C);
        break;
      case Dataflow::kInputStationary:
        c.mapping_utilisation = SpatialUtilisation(n, A) * SpatialUtilisation(k, R) * SpatialUtilisation(m, C);
        break;
    }
    c.mults_8b = MKN;
    compute_cycles = MKN / (double(arch.Multipliers()) * c.mapping_utilisation * arch.utilisation);
    if (psma) compute_cycles /= point.throughput;
  } else {
    // Operators are dot-product units of `cols` multipliers along K; arrays
    // take different rows of M; N is spread over the operators by the scheduler.
    c.mapping_utilisation = SpatialUtilisation(m, A) * SpatialUtilisation(k, C);
    // An 8b×8b product is four 4b×4b slice products: LO·LO always, HO_w·LO_a
    // unless the weight HO vector is skipped, LO_w·HO_a unless the activation
    // HO vector is, HO·HO unless either is.
    double lo_a_products = MKN * (1 + (1 - s_w));          // LO_a with both weight slices
    double ho_a_products = MKN * (1 - s_a) * (1 + (1 - s_w));  // HO_a with both weight slices
    c.mults_4b = lo_a_products + ho_a_products;
    // Measured on the real operands (both skips at once, with 4-lane
    // vectors): the counted fraction of the four 4b products per MAC.
    // Only when both operands skip as the analysis did (Panacea's default).
    const double measured = layer.measured_mult_fraction[si];
    if (measured > 0 && arch.slicing.skip_activation_ho && arch.slicing.skip_weight_ho && c.mults_4b > 0) {
      const double scale = 4 * MKN * measured / c.mults_4b;
      c.mults_4b *= scale;
      lo_a_products *= scale;
      ho_a_products *= scale;
    }
    const double eff = c.mapping_utilisation * arch.utilisation;
    if (arch.kind == ArchKind::kSibia) {
      compute_cycles = c.mults_4b / (double(arch.Multipliers()) * eff);
    } else {
      const PanaceaConfig& p = arch.panacea;
      const double static_mults = A * p.static_operators * C * per_pe;
      const double dynamic_mults = A * p.dynamic_operators * C * per_pe;
      if (p.double_tile)
        compute_cycles = c.mults_4b / ((static_mults + dynamic_mults) * eff);
      else
        compute_cycles = std::max(lo_a_products / static_mults, ho_a_products / dynamic_mults) / eff;
      // A skipped (compressed) HO activation vector holds a known constant:
      // its contribution is that constant times the precomputed sum of the
      // weight vector, one compensator multiply-add per weight slice and
      // output column.
      const double vl = arch.slicing.vector_length;
      c.compensation_ops = M * Ceil(K, vl) * s_a * N * 2;
    }
  }

  // --- SRAM accesses (bytes). Fills from DRAM and drains to it pass
  // through SRAM; operands are read as the array's reuse allows; partial
  // sums accumulate in the output SRAM.
  double w_reads = 0, x_reads = 0, partials = 0;
  switch (arch.dataflow) {
    case Dataflow::kWeightStationary:
      w_reads = K * N * Ceil(M, double(t.tm));
      x_reads = M * K * Ceil(N, IsBitSlice(arch) ? R : C);
      partials = std::max(Ceil(K, R), Ceil(K, double(t.tk)));
      break;
    case Dataflow::kInputStationary:
      w_reads = K * N * Ceil(M, IsBitSlice(arch) ? A : C);
      x_reads = M * K;
      partials = std::max(Ceil(K, R), Ceil(K, double(t.tk)));
      break;
    case Dataflow::kOutputStationary:
      w_reads = K * N * Ceil(M, IsBitSlice(arch) ? A : R);
      x_reads = M * K * Ceil(N, IsBitSlice(arch) ? R : C);
      partials = Ceil(K, double(t.tk));
      break;
    case Dataflow::kSimd:
      w_reads = MKN;  // no weight reuse: every lane reads its own weight
      x_reads = M * K * Ceil(N, C);  // broadcast to the lanes
      partials = Ceil(K, double(t.tk));
      break;
  }
  // Operands sit in SRAM in the memory format: a compressed HO vector is
  // neither stored nor read.
  w_reads *= fw;
  x_reads *= fx;
  const double psum_writes = M * N * partials * pb;
  const double psum_reads = M * N * (partials - 1) * pb;
  const double out_drain = M * N;  // int8 outputs read out to DRAM
  const double w_fill = raw.weights * fw, x_fill = raw.activations * fx;
  const double spill_each_way = raw.psums / 2;
  c.sram_read_bytes = w_reads + x_reads + psum_reads + out_drain + spill_each_way;
  c.sram_write_bytes = w_fill + x_fill + psum_writes + spill_each_way;

  // --- Cycles.
  c.compute_cycles = std::ceil(compute_cycles);
  double memory = c.dram_bytes * 8 / arch.dram_bits_per_cycle;
  if (codec) {
    const double through = raw.weights + raw.activations + raw.outputs;
    memory = std::max(memory, through / arch.atalanta.bytes_per_cycle) + double(arch.atalanta.latency_cycles);
  }
  c.memory_cycles = std::ceil(memory);
  c.cycles = arch.double_buffering ? std::max(c.compute_cycles, c.memory_cycles)
                                   : c.compute_cycles + c.memory_cycles;

  // --- Energy (pJ).
  c.energy_pj.dram = c.dram_bytes * 8 / 64 * e.dram_64b;
  const double ew = e.SramPer64b(arch.sram.weights_kib) / 8;
  const double ex = e.SramPer64b(arch.sram.activations_kib) / 8;
  const double eo = e.SramPer64b(arch.sram.outputs_kib) / 8;
  c.sram_operand_read_bytes = w_reads + x_reads;
  c.sram_operand_read_pj = w_reads * ew + x_reads * ex;
  c.energy_pj.sram = (w_reads + w_fill) * ew + (x_reads + x_fill) * ex +
                     (psum_reads + psum_writes + out_drain + raw.psums) * eo;
  if (!IsBitSlice(arch)) {
    c.energy_pj.compute = c.mults_8b * live * (e.int8_mult + e.int32_add) * (psma ? point.energy : 1.0);
  } else {
    // Each slice product is shifted into an adder tree about 16 bits wide;
    // a compensator multiplies a 4-bit constant by a weight sum (priced as an
    // 8-bit multiply) and adds it in.
    c.energy_pj.compute = c.mults_4b * live * (e.int4_mult + e.int16_add) +
                          c.compensation_ops * (e.int8_mult + e.int16_add);
  }
  if (codec)
    c.energy_pj.codec = (raw.weights + raw.activations) * arch.atalanta.decode_pj_per_byte +
                        raw.outputs * arch.atalanta.encode_pj_per_byte;
  return c;
}

double ModelCost::TopsPerWatt() const {
  // ops/pJ = 1e12 ops / 1 J = TOPS per watt.
  double e = total.energy_pj.Total();
  return e > 0 ? total.dense_ops / e : 0;
}

double ModelCost::OpsPerCycle() const { return total.cycles > 0 ? total.dense_ops / total.cycles : 0; }

StatusOr<ModelCost> SimulateWorkload(const Workload& workload, const ArchConfig& arch, const EnergyTable& energy) {
  ModelCost mc;
  LayerCost& s = mc.total;
  for (const GemmLayer& layer : workload.layers) {
    TP_ASSIGN_OR_RETURN(LayerCost c, SimulateLayer(layer, arch, energy));
    s.mults_8b += c.mults_8b;
    s.mults_4b += c.mults_4b;
    s.compensation_ops += c.compensation_ops;
    s.dense_ops += c.dense_ops;
    s.dram_raw.weights += c.dram_raw.weights;
    s.dram_raw.activations += c.dram_raw.activations;
    s.dram_raw.outputs += c.dram_raw.outputs;
    s.dram_raw.psums += c.dram_raw.psums;
    s.dram_wire.weights += c.dram_wire.weights;
    s.dram_wire.activations += c.dram_wire.activations;
    s.dram_wire.outputs += c.dram_wire.outputs;
    s.dram_wire.psums += c.dram_wire.psums;
    s.dram_bytes += c.dram_bytes;
    s.sram_read_bytes += c.sram_read_bytes;
    s.sram_write_bytes += c.sram_write_bytes;
    s.sram_operand_read_bytes += c.sram_operand_read_bytes;
    s.sram_operand_read_pj += c.sram_operand_read_pj;
    s.compute_cycles += c.compute_cycles;
    s.memory_cycles += c.memory_cycles;
    s.cycles += c.cycles;
    s.energy_pj.dram += c.energy_pj.dram;
    s.energy_pj.sram += c.energy_pj.sram;
    s.energy_pj.compute += c.energy_pj.compute;
    s.energy_pj.codec += c.energy_pj.codec;
    mc.layers.push_back(c);
  }
  return mc;
}

}  // namespace tp::sim
