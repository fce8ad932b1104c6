// The sparse designs as `simulate` kinds: a dense array's memory system with
// the sparse model's compute (formulas in include/tensorpress/sparse_sim.h).
#include "sim/sparse_cost.h"

#include <algorithm>
#include <cmath>

#include <optional>

#include "tensorpress/graph.h"
#include "tensorpress/sparse.h"
#include "tensorpress/sparse_sim.h"

namespace tp::sim {
namespace {

SparseArchKind SparseKindOf(ArchKind k) {
  switch (k) {
    case ArchKind::kEnvision: return SparseArchKind::kEnvision;
    case ArchKind::kEie: return SparseArchKind::kEie;
    case ArchKind::kScnn: return SparseArchKind::kScnn;
    case ArchKind::kSta: return SparseArchKind::kSta;
    default: return SparseArchKind::kDense;
  }
}

// The weight tensor behind a workload layer: BuildWorkload strips ".weight",
// ".kernel", "/kernel", "/Conv2D" and "/MatMul" from the tensor's name, and
// names llama2.c's shared classifier "classifier (tok_embeddings.weight)".
const Tensor* LayerTensor(const std::vector<Tensor>& tensors, const std::string& layer) {
  std::string want = layer;
  if (auto open = layer.find('('); open != std::string::npos && layer.back() == ')')
    want = layer.substr(open + 1, layer.size() - open - 2);
  for (const std::string& name :
       {want, want + ".kernel", want + "/kernel", want + ".weight", want + "/MatMul", want + "/Conv2D"})
    for (const Tensor& t : tensors)
      if (t.name() == name) return &t;
  return nullptr;
}

}  // namespace

SparseLayerStats MeasureSparsePattern(std::span<const uint8_t> nonzero, uint64_t rows, uint64_t cols, uint64_t pes,
                                      int sta_n, int sta_m) {
  SparseLayerStats s;
  s.k = cols, s.n = rows;
  s.fits_sta = sta_m >= 1 && sta_n >= 1;
  if (nonzero.size() != rows * cols) return s;
  pes = std::max<uint64_t>(pes, 1);
  // Output o belongs to PE o mod P; a column k costs its busiest PE's count.
  std::vector<uint64_t> per_pe(size_t(std::min<uint64_t>(pes, std::max<uint64_t>(rows, 1))), 0);
  for (uint64_t k = 0; k < cols; ++k) {
    std::fill(per_pe.begin(), per_pe.end(), 0);
    for (uint64_t o = 0; o < rows; ++o)
      if (nonzero[o * cols + k]) ++per_pe[size_t(o % per_pe.size())], ++s.weight_nonzeros;
    s.eie_busiest_sum += *std::max_element(per_pe.begin(), per_pe.end());
  }
  for (uint64_t o = 0; o < rows && s.fits_sta; ++o)
    for (uint64_t k0 = 0; k0 < cols && s.fits_sta; k0 += uint64_t(sta_m)) {
      int nz = 0;
      for (uint64_t k = k0; k < std::min<uint64_t>(cols, k0 + uint64_t(sta_m)); ++k) nz += nonzero[o * cols + k] != 0;
      s.fits_sta = nz <= sta_n;
    }
  return s;
}

StatusOr<size_t> AttachWeightPatterns(const Model& model, Workload* workload) {
  size_t filled = 0;
  // The graph's GEMMs, for layers the name-based lookup cannot map (a TFLite
  // depthwise kernel [1, kh, kw, C] under a fused name is a K = kh kw by
  // N = C GEMM): read lazily, only when a layer needs it.
  std::optional<StatusOr<GemmGraph>> graph;
  for (GemmLayer& layer : workload->layers) {
    const Tensor* t = LayerTensor(model.tensors, layer.name);
    if (t && t->rank() >= 2) {
      auto w = sparse::SparseMatrixOf(*t, sparse::GuessLayout(t->name()));
      // A dtype the sparse view does not take, or another shape: try the graph.
      if (w.ok() && uint64_t(w->rows) == layer.n && uint64_t(w->cols) == layer.k) {
        auto pattern = std::make_shared<std::vector<uint8_t>>(layer.n * layer.k);
        for (int64_t o = 0; o < w->rows; ++o)
          for (int64_t k = 0; k < w->cols; ++k) (*pattern)[uint64_t(o) * layer.k + uint64_t(k)] = !w->IsZero(o, k);
        layer.weight_nonzero = std::move(pattern);
        ++filled;
        continue;
      }
    }
    if (!graph) graph = FindGemms(model);
    if (!graph->ok()) continue;
    for (const GemmOp& op : (*graph)->ops) {
      if (op.layer != layer.name || uint64_t(op.n) != layer.n || uint64_t(op.k) != layer.k) continue;
      const Tensor* wt = nullptr;
      for (const Tensor& x : model.tensors)
        if (x.name() == op.weight) wt = &x;
      if (!wt) break;
      auto w = GemmWeightMatrix(op, *wt);  // W [n, k], dequantized
      if (!w.ok() || w->size() != layer.n * layer.k) break;
      auto pattern = std::make_shared<std::vector<uint8_t>>(w->size());
      for (size_t i = 0; i < w->size(); ++i) (*pattern)[i] = (*w)[i] != 0.0f;
      layer.weight_nonzero = std::move(pattern);
      ++filled;
      break;
    }
  }
  return filled;
}

namespace internal {

StatusOr<LayerCost> SimulateSparseKindLayer(const GemmLayer& layer, const ArchConfig& arch, const EnergyTable& e) {
  const std::string kind_name(ArchKindName(arch.kind));
  if (!layer.weight_nonzero)
    return InvalidArgumentError("layer '" + layer.name + "': architecture '" + arch.name + "' (kind " + kind_name +
                                ") needs the weight matrix's non-zero pattern, which this layer lacks");
  if (layer.weight_nonzero->size() != layer.n * layer.k)
    return InvalidArgumentError("layer '" + layer.name + "': weight pattern is not k x n");
  ArchConfig dense = arch;
  dense.kind = ArchKind::kDense;
  TP_ASSIGN_OR_RETURN(LayerCost c, SimulateLayer(layer, dense, e));

  const SparseDesignConfig& sp = arch.sparse;
  SparseArchConfig sc;
  sc.multipliers = arch.Multipliers();
  sc.reuse = sp.reuse;
  sc.sram_kib = arch.sram.weights_kib;
  sc.scnn_efficiency = sp.scnn_efficiency;
  sc.scnn_index_bytes = sp.scnn_index_bytes;
  sc.eie_index_bytes = sp.eie_index_bytes;
  sc.sta_n = sp.sta_n, sc.sta_m = sp.sta_m;
  SparseLayerStats s =
      MeasureSparsePattern(*layer.weight_nonzero, layer.n, layer.k, sc.multipliers, sp.sta_n, sp.sta_m);
  s.name = layer.name;
  s.m = layer.m;
  s.activation_density = std::clamp(1.0 - layer.activations.zero_fraction, 0.0, 1.0);
  const SparseArchKind kind = SparseKindOf(arch.kind);
  TP_ASSIGN_OR_RETURN(SparseLayerCost base, SimulateSparseLayer(s, SparseArchKind::kDense, sc, e));
  TP_ASSIGN_OR_RETURN(SparseLayerCost r, SimulateSparseLayer(s, kind, sc, e));

  // Compute: EIE and SCNN schedule their own products; Envision and STA
  // keep the systolic mapping and scale its cycles.
  double compute = (kind == SparseArchKind::kEie || kind == SparseArchKind::kScnn)
                       ? r.cycles / arch.utilisation
                       : c.compute_cycles * (base.cycles > 0 ? r.cycles / base.cycles : 1.0);
  c.compute_cycles = std::ceil(compute);
  c.mults_8b = r.mults;
  c.energy_pj.compute = r.compute_pj;
  // Operand reads from SRAM: Envision and STA keep the array's reuse and
  // read what the sparse model's ratio to its dense baseline says; EIE and
  // SCNN read as their own schedules do (a weight per product for EIE), in
  // absolute terms. Fills, partial sums and drains stay the array's.
  const double e_byte = e.SramPer64b(arch.sram.weights_kib) / 8;
  double reads_pj = c.sram_operand_read_pj, reads_bytes = c.sram_operand_read_bytes;
  if (kind == SparseArchKind::kEie || kind == SparseArchKind::kScnn) {
    reads_pj = r.sram_pj;
    reads_bytes = e_byte > 0 ? r.sram_pj / e_byte : 0.0;
  } else if (base.sram_pj > 0) {
    reads_pj *= r.sram_pj / base.sram_pj;
    reads_bytes *= r.sram_pj / base.sram_pj;
  }
  c.energy_pj.sram += reads_pj - c.sram_operand_read_pj;
  c.sram_read_bytes += reads_bytes - c.sram_operand_read_bytes;
  c.sram_operand_read_pj = reads_pj;
  c.sram_operand_read_bytes = reads_bytes;

  // DRAM: operands cross in the design's stored format (the codec, when on,
  // already coded the zeros away and is left as it is).
  if (!arch.atalanta.enabled) {
    const double kn = double(layer.k) * double(layer.n);
    const double dw = kn > 0 ? double(s.weight_nonzeros) / kn : 0.0, da = s.activation_density;
    double fw = 1.0, fx = 1.0;
    switch (kind) {
      case SparseArchKind::kEie: fw = dw * (1 + sp.eie_index_bytes); break;
      case SparseArchKind::kScnn:
        fw = dw * (1 + sp.scnn_index_bytes);
        fx = da * (1 + sp.scnn_index_bytes);
        break;
      case SparseArchKind::kSta:
        if (s.fits_sta) fw = double(sp.sta_n) / sp.sta_m * (1 + std::log2(double(sp.sta_m)) / 8);
        break;
      default: break;
    }
    c.dram_wire.weights = c.dram_raw.weights * fw;
    c.dram_wire.activations = c.dram_raw.activations * fx;
    c.dram_bytes = c.dram_wire.Total();
    c.memory_cycles = std::ceil(c.dram_bytes * 8 / arch.dram_bits_per_cycle);
    c.energy_pj.dram = c.dram_bytes * 8 / 64 * e.dram_64b;
  }
  c.cycles = arch.double_buffering ? std::max(c.compute_cycles, c.memory_cycles) : c.compute_cycles + c.memory_cycles;
  return c;
}

}  // namespace internal
}  // namespace tp::sim
