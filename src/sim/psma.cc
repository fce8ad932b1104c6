// Precision-scalable MAC arrays as a `simulate` kind: style names, the
// structural throughput of each style, and the operating point (mode,
// throughput, energy per MAC) of a layer at its operand precisions, with
// DVAFS as an option. Formulas in include/tensorpress/sparse_sim.h.
#include <algorithm>
#include <array>
#include <cmath>

#include "tensorpress/sim.h"
#include "tensorpress/sparse_sim.h"

namespace tp::sim {
namespace {

constexpr std::array<std::string_view, kNumPsmaStyles> kStyleNames = {
    "data_gating", "subword_parallel", "divide_conquer_2d", "bit_serial_1d", "bit_serial_2d"};
constexpr std::array<std::string_view, 4> kSchemeNames = {"off", "das", "dvas", "dvafs"};

}  // namespace

std::string_view PsmaStyleName(PsmaStyle s) { return kStyleNames[static_cast<int>(s)]; }

std::optional<PsmaStyle> PsmaStyleFromName(std::string_view name) {
  for (int i = 0; i < kNumPsmaStyles; ++i)
    if (kStyleNames[size_t(i)] == name) return static_cast<PsmaStyle>(i);
  return std::nullopt;
}

std::string_view DvafsSchemeName(DvafsScheme s) { return kSchemeNames[static_cast<int>(s)]; }

std::optional<DvafsScheme> DvafsSchemeFromName(std::string_view name) {
  for (size_t i = 0; i < kSchemeNames.size(); ++i)
    if (kSchemeNames[i] == name) return static_cast<DvafsScheme>(i);
  return std::nullopt;
}

double PsmaStructuralThroughput(PsmaStyle style, int hi, int lo) {
  switch (style) {
    case PsmaStyle::kDataGating: return 1;  // gating saves toggles, not cycles
    case PsmaStyle::kSubwordParallel: return 8.0 / hi;  // subwords as wide as the wider operand
    case PsmaStyle::kDivideConquer2d:
    case PsmaStyle::kBitSerial2d: return (8.0 / hi) * (8.0 / lo);
    case PsmaStyle::kBitSerial1d: return 8.0 / lo;
  }
  return 1;
}

StatusOr<PsmaPoint> PsmaOperatingPoint(const ArchConfig& arch, int weight_bits, int activation_bits) {
  if (arch.kind != ArchKind::kPsma)
    return InvalidArgumentError("architecture '" + arch.name + "' is not of kind psma");
  if (weight_bits < 1 || weight_bits > 8 || activation_bits < 1 || activation_bits > 8)
    return InvalidArgumentError("operand precisions must be 1..8 bits (got " + std::to_string(weight_bits) + "x" +
                                std::to_string(activation_bits) + ")");
  const int hi = std::max(weight_bits, activation_bits), lo = std::min(weight_bits, activation_bits);
  const PsmaMode* base = nullptr;
  for (const PsmaMode& m : arch.psma.modes)
    if (m.hi_bits == 8 && m.lo_bits == 8) base = &m;
  if (!base) return InvalidArgumentError("architecture '" + arch.name + "': psma.modes has no 8x8 mode");

  PsmaPoint p;
  const DvafsConfig& dv = arch.dvafs;
  if (dv.scheme != DvafsScheme::kOff && hi < 8) {
    const DvafsModeConfig* best = nullptr;
    for (const DvafsModeConfig& m : dv.modes)
      if (m.bits >= hi && (!best || m.bits < best->bits)) best = &m;
    if (best) {
      DvafsMode mode{best->bits, best->das_activity, best->dvas_voltage, best->dvafs_activity, best->dvafs_voltage,
                     best->subwords};
      TP_ASSIGN_OR_RETURN(DvafsPower power, DvafsRelativePower(mode));
      const double rel = dv.scheme == DvafsScheme::kDas ? power.das
                         : dv.scheme == DvafsScheme::kDvas ? power.dvas
                                                           : power.dvafs;
      p.mode = *base;
      p.throughput = 1;  // one word per f0 cycle (DVAFS: N_k subwords per f0/N_k cycle)
      p.energy = base->energy * rel;
      p.dvafs = true;
      p.dvafs_bits = best->bits;
      return p;
    }
  }
  const PsmaMode* chosen = nullptr;
  for (const PsmaMode& m : arch.psma.modes) {
    if (m.hi_bits < hi || m.lo_bits < lo) continue;
    if (!chosen || m.throughput > chosen->throughput ||
        (m.throughput == chosen->throughput && m.energy < chosen->energy))
      chosen = &m;
  }
  // 8x8 always covers, so `chosen` is set.
  p.mode = *chosen;
  p.throughput = chosen->throughput;
  p.energy = chosen->energy;
  return p;
}

}  // namespace tp::sim
