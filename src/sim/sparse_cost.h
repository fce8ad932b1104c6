// The sparse `simulate` kinds (envision, eie, scnn, sta) on a workload layer;
// the formulas are in include/tensorpress/sparse_sim.h.
#pragma once

#include "tensorpress/sim.h"

namespace tp::sim::internal {

StatusOr<LayerCost> SimulateSparseKindLayer(const GemmLayer& layer, const ArchConfig& arch, const EnergyTable& energy);

}  // namespace tp::sim::internal
