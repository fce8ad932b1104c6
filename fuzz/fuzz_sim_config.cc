// Fuzzes the simulator's JSON readers (architecture configs and energy
// tables): any bytes must give a validated config or a clean error, and a
// config that parses must simulate a small GEMM without trouble.
#include <cstdint>
#include <string_view>

#include "tensorpress/sim.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto arch = tp::sim::ParseArchConfig(text, "fuzz.json");
  auto energy = tp::sim::ParseEnergyTable(text, "fuzz.json");
  if (arch.ok()) {
    auto table = tp::sim::DefaultEnergyTable("horowitz45nm");
    tp::sim::GemmLayer layer;
    layer.name = "fuzz";
    layer.m = 37, layer.k = 300, layer.n = 19;
    layer.activations.int8_bytes = 37 * 300;
    (void)tp::sim::SimulateLayer(layer, *arch, *table);
    // A psma config at narrow operands too (its mode choice, DVAFS, packed tiles).
    layer.weight_bits = 4, layer.activation_bits = 2;
    (void)tp::sim::SimulateLayer(layer, *arch, *table);
  }
  if (energy.ok()) {
    (void)energy->SramPer64b(48);
    auto a = tp::sim::DefaultArchConfig("panacea");
    tp::sim::GemmLayer layer;
    layer.name = "fuzz";
    layer.m = 5, layer.k = 7, layer.n = 3;
    (void)tp::sim::SimulateLayer(layer, *a, *energy);
  }
  return 0;
}
