// Sparse accelerators and DVAFS (formulas in include/tensorpress/sparse_sim.h).
#include <algorithm>
#include <cmath>

#include "tensorpress/sparse_sim.h"

namespace tp::sim {

std::string_view SparseArchName(SparseArchKind kind) {
  switch (kind) {
    case SparseArchKind::kDense: return "dense";
    case SparseArchKind::kEnvision: return "envision";
    case SparseArchKind::kEie: return "eie";
    case SparseArchKind::kScnn: return "scnn";
    case SparseArchKind::kSta: return "sta";
  }
  return "?";
}

SparseLayerStats MeasureSparseLayer(const sparse::SparseMatrix& w, uint64_t pes, int sta_n, int sta_m) {
  SparseLayerStats s;
  s.k = uint64_t(w.cols), s.n = uint64_t(w.rows);
  s.fits_sta = sta_m >= 1 && sta_n >= 1;
  pes = std::max<uint64_t>(pes, 1);
  std::vector<uint64_t> per_pe(size_t(std::min<uint64_t>(pes, uint64_t(std::max<int64_t>(w.rows, 1)))), 0);
  for (int64_t k = 0; k < w.cols; ++k) {
    std::fill(per_pe.begin(), per_pe.end(), 0);
    for (int64_t o = 0; o < w.rows; ++o)
      if (!w.IsZero(o, k)) ++per_pe[size_t(uint64_t(o) % per_pe.size())], ++s.weight_nonzeros;
    s.eie_busiest_sum += *std::max_element(per_pe.begin(), per_pe.end());
  }
  if (s.fits_sta)
    for (int64_t o = 0; o < w.rows && s.fits_sta; ++o)
      for (int64_t k0 = 0; k0 < w.cols && s.fits_sta; k0 += sta_m) {
        int nz = 0;
        for (int64_t k = k0; k < std::min<int64_t>(w.cols, k0 + sta_m); ++k) nz += !w.IsZero(o, k);
        s.fits_sta = nz <= sta_n;
      }
  return s;
}

StatusOr<SparseLayerCost> SimulateSparseLayer(const SparseLayerStats& l, SparseArchKind kind,
                                              const SparseArchConfig& c, const EnergyTable& e) {
  if (c.multipliers == 0 || !(c.reuse >= 1) || !(c.sram_kib > 0) || !(c.scnn_efficiency > 0 && c.scnn_efficiency <= 1) ||
      c.scnn_index_bytes < 0 || c.eie_index_bytes < 0 || c.sta_m < 1 || c.sta_n < 1 || c.sta_n > c.sta_m)
    return InvalidArgumentError("sparse architecture: multipliers >= 1, reuse >= 1, sram_kib > 0, "
                                "0 < scnn_efficiency <= 1, 1 <= sta_n <= sta_m");
  if (!(l.activation_density >= 0 && l.activation_density <= 1) || l.weight_nonzeros > l.k * l.n)
    return InvalidArgumentError("sparse layer '" + l.name + "': densities out of range");
  const double macs = double(l.m) * double(l.k) * double(l.n);
  const double p = double(c.multipliers);
  const double dw = (l.k * l.n) != 0 ? double(l.weight_nonzeros) / (double(l.k) * double(l.n)) : 0.0;
  const double da = l.activation_density;
  const double e_mac = e.int8_mult + e.int32_add;
  const double e_byte = e.SramPer64b(c.sram_kib) / 8.0;
  const double fetches = macs / c.reuse;  // SRAM fetches of one operand stream
  SparseLayerCost r;
  switch (kind) {
    case SparseArchKind::kDense:
      r.cycles = r.ideal_cycles = macs / p;
      r.mults = macs;
      r.compute_pj = macs * e_mac;
      r.sram_pj = 2 * fetches * e_byte;
      break;
    case SparseArchKind::kEnvision:
      r.cycles = r.ideal_cycles = macs / p;
      r.mults = macs * da * dw;
      r.compute_pj = r.mults * e_mac;
      r.sram_pj = fetches * (1 + da + 1.0 / 8) * e_byte;
      break;
    case SparseArchKind::kEie: {
      const double products = double(l.m) * da * double(l.weight_nonzeros);
      r.mults = products;
      r.cycles = double(l.m) * da * double(l.eie_busiest_sum);
      r.ideal_cycles = products / p;
      r.balanced_cycles = products / std::min(p, double(std::max<uint64_t>(l.n, 1)));
      r.compute_pj = products * e_mac;
      r.sram_pj = products * (1 + c.eie_index_bytes) * e_byte + double(l.m) * double(l.k) * e_byte;
      break;
    }
    case SparseArchKind::kScnn:
      r.mults = macs * dw * da;
      r.cycles = r.mults / (p * c.scnn_efficiency);
      r.ideal_cycles = r.mults / p;
      r.compute_pj = r.mults * (e_mac + e.int8_add);
      r.sram_pj = fetches * (dw + da) * (1 + c.scnn_index_bytes) * e_byte;
      break;
    case SparseArchKind::kSta: {
      if (!l.fits_sta) return SimulateSparseLayer(l, SparseArchKind::kDense, c, e);
      const double keep = double(c.sta_n) / double(c.sta_m);
      r.mults = macs * keep;
      r.cycles = r.ideal_cycles = r.mults / p;
      r.compute_pj = r.mults * (e_mac + e.int8_add);
      r.sram_pj = fetches * (keep * (1 + std::log2(double(c.sta_m)) / 8) + 1) * e_byte;
      break;
    }
  }
  if (kind != SparseArchKind::kEie) r.balanced_cycles = r.ideal_cycles;
  r.energy_pj = r.compute_pj + r.sram_pj;
  return r;
}

StatusOr<DvafsPower> DvafsRelativePower(const DvafsMode& m) {
  auto unit = [](double v) { return v > 0 && v <= 1; };
  if (m.bits < 1 || m.subwords < 1 || !unit(m.das_activity) || !unit(m.dvas_voltage) || !(m.dvafs_activity > 0) ||
      !unit(m.dvafs_voltage))
    return InvalidArgumentError("DVAFS: activities and voltages must lie in (0, 1] (DVAFS activity > 0), subwords >= 1");
  DvafsPower r;
  r.das = m.das_activity;
  r.dvas = m.das_activity * m.dvas_voltage * m.dvas_voltage;
  r.dvafs = m.dvafs_activity * m.dvafs_voltage * m.dvafs_voltage / double(m.subwords);
  return r;
}

}  // namespace tp::sim
