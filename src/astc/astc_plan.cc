// Footprint sweeps of weight tensors and per-layer rate selection.
#include <algorithm>
#include <cmath>
#include <sstream>

#include "tensorpress/astc.h"

namespace tp::astc {

const std::vector<Footprint>& AllFootprints() {
  static const std::vector<Footprint> all = {{4, 4}, {5, 4},  {5, 5},  {6, 5},   {6, 6},   {8, 5},   {8, 6},
                                             {8, 8}, {10, 5}, {10, 6}, {10, 8}, {10, 10}, {12, 10}, {12, 12}};
  return all;
}

StatusOr<std::vector<Footprint>> ParseFootprints(const std::string& list) {
  if (list == "all") return AllFootprints();
  std::vector<Footprint> out;
  std::stringstream in(list);
  for (std::string item; std::getline(in, item, ',');) {
    int x = 0, y = 0;
    char extra = 0;
    if (std::sscanf(item.c_str(), "%dx%d%c", &x, &y, &extra) != 2 || !IsValidFootprint(x, y))
      return InvalidArgumentError("'" + item + "' is not an ASTC 2-D footprint (4x4 5x4 5x5 6x5 6x6 8x5 8x6 8x8 "
                                  "10x5 10x6 10x8 10x10 12x10 12x12)");
    if (std::find(out.begin(), out.end(), Footprint{x, y}) == out.end()) out.push_back({x, y});
  }
  if (out.empty()) return InvalidArgumentError("no footprint given");
  return out;
}

bool IsWeightMatrix(const Tensor& tensor) {
  const DTypeTraits& t = Traits(tensor.dtype());
  return tensor.shape().size() >= 2 && t.is_float && !t.is_quantized_block && tensor.elements() > 0;
}

StatusOr<FootprintResult> MeasureFootprint(const Tensor& tensor, Footprint footprint, int quality, int threads,
                                           std::vector<float>* decoded_out) {
  TensorEncodeOptions options;
  options.encode.block_x = footprint.x;
  options.encode.block_y = footprint.y;
  options.encode.quality = quality;
  options.encode.threads = threads;
  TP_ASSIGN_OR_RETURN(AstcTensor encoded, EncodeTensor(tensor, options));
  TP_ASSIGN_OR_RETURN(std::vector<float> decoded, DecodeTensorValues(encoded));
  TP_ASSIGN_OR_RETURN(Tensor f32, ToF32(tensor));
  FootprintResult r;
  r.footprint = footprint;
  r.weights = tensor.elements();
  r.bytes = encoded.image.blocks.size() + 2 * sizeof(float);
  r.bits_per_weight = 8.0 * double(r.bytes) / double(r.weights);
  r.ratio = 32.0 / r.bits_per_weight;
  r.error = CompareValues(f32.values<float>(), decoded);
  if (decoded_out) *decoded_out = std::move(decoded);
  return r;
}

RatePlan EvaluatePlan(const std::vector<LayerCandidates>& layers, std::vector<size_t> choice) {
  RatePlan plan;
  plan.choice = std::move(choice);
  plan.met.assign(layers.size(), true);
  double se = 0;
  uint64_t weights = 0;
  for (size_t l = 0; l < layers.size(); ++l) {
    const FootprintResult& c = layers[l].candidates[plan.choice[l]];
    plan.bits += 8 * c.bytes;
    se += c.squared_error();
    weights += c.weights;
  }
  plan.rmse = weights ? std::sqrt(se / double(weights)) : 0;
  return plan;
}

namespace {

// Per layer, the fewest bits among candidates that `meets`; a layer where
// none does gets the candidate `better` ranks first, and met = false.
template <typename Meets, typename Better>
RatePlan PlanPerLayer(const std::vector<LayerCandidates>& layers, Meets meets, Better better) {
  std::vector<size_t> choice(layers.size(), 0);
  std::vector<bool> met(layers.size(), false);
  for (size_t l = 0; l < layers.size(); ++l) {
    const auto& cands = layers[l].candidates;
    size_t best = 0;
    bool found = false;
    for (size_t i = 0; i < cands.size(); ++i) {
      if (meets(cands[i])) {
        if (!found || cands[i].bytes < cands[best].bytes) best = i;
        found = true;
      } else if (!found && better(cands[i], cands[best])) {
        best = i;
      }
    }
    choice[l] = best;
    met[l] = found;
  }
  RatePlan plan = EvaluatePlan(layers, std::move(choice));
  plan.met = std::move(met);
  return plan;
}

}  // namespace

RatePlan PlanForTolerance(const std::vector<LayerCandidates>& layers, double rmse_tolerance) {
  return PlanPerLayer(
      layers, [&](const FootprintResult& c) { return c.error.rmse <= rmse_tolerance; },
      [](const FootprintResult& a, const FootprintResult& b) { return a.error.rmse < b.error.rmse; });
}

RatePlan PlanForSnr(const std::vector<LayerCandidates>& layers, double min_snr_db) {
  return PlanPerLayer(
      layers, [&](const FootprintResult& c) { return c.error.snr_db >= min_snr_db; },
      [](const FootprintResult& a, const FootprintResult& b) { return a.error.snr_db > b.error.snr_db; });
}

namespace {

// Indices of the lower convex hull of (bits, squared error), cheapest first:
// the only points a marginal-gain greedy can reach optimally.
std::vector<size_t> LowerHull(const std::vector<FootprintResult>& cands) {
  std::vector<size_t> order(cands.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (cands[a].bytes != cands[b].bytes) return cands[a].bytes < cands[b].bytes;
    return cands[a].squared_error() < cands[b].squared_error();
  });
  std::vector<size_t> hull;
  for (size_t i : order) {
    const double x = double(cands[i].bytes), y = cands[i].squared_error();
    // A point costing more must remove error to be worth keeping.
    if (!hull.empty() && y >= cands[hull.back()].squared_error()) continue;
    if (!hull.empty() && cands[hull.back()].bytes == cands[i].bytes) hull.pop_back();
    while (hull.size() >= 2) {
      const auto& a = cands[hull[hull.size() - 2]];
      const auto& b = cands[hull.back()];
      // b lies on or above the chord a..i: drop it.
      const double cross = (double(b.bytes) - double(a.bytes)) * (y - a.squared_error()) -
                           (b.squared_error() - a.squared_error()) * (x - double(a.bytes));
      if (cross <= 0) hull.pop_back();
      else break;
    }
    hull.push_back(i);
  }
  return hull;
}

}  // namespace

StatusOr<RatePlan> PlanForBudget(const std::vector<LayerCandidates>& layers, uint64_t bit_budget) {
  std::vector<std::vector<size_t>> hulls(layers.size());
  std::vector<size_t> position(layers.size(), 0);
  uint64_t bits = 0;
  for (size_t l = 0; l < layers.size(); ++l) {
    if (layers[l].candidates.empty()) return InvalidArgumentError("layer '" + layers[l].name + "' has no candidates");
    hulls[l] = LowerHull(layers[l].candidates);
    bits += 8 * layers[l].candidates[hulls[l][0]].bytes;
  }
  if (bits > bit_budget)
    return InvalidArgumentError("a budget of " + std::to_string(bit_budget) + " bits is below the " +
                                std::to_string(bits) + " bits of the coarsest footprints");
  for (;;) {
    // Upgrades along a convex hull have falling gain per bit, so taking the
    // best next step of any layer is the greedy on the whole frontier.
    size_t best_layer = layers.size();
    double best_gain = 0;
    for (size_t l = 0; l < layers.size(); ++l) {
      if (position[l] + 1 >= hulls[l].size()) continue;
      const auto& now = layers[l].candidates[hulls[l][position[l]]];
      const auto& next = layers[l].candidates[hulls[l][position[l] + 1]];
      const uint64_t extra = 8 * (next.bytes - now.bytes);
      if (bits + extra > bit_budget) continue;
      const double gain = (now.squared_error() - next.squared_error()) / double(extra);
      if (best_layer == layers.size() || gain > best_gain) {
        best_layer = l;
        best_gain = gain;
      }
    }
    if (best_layer == layers.size()) break;
    const auto& now = layers[best_layer].candidates[hulls[best_layer][position[best_layer]]];
    const auto& next = layers[best_layer].candidates[hulls[best_layer][position[best_layer] + 1]];
    bits += 8 * (next.bytes - now.bytes);
    ++position[best_layer];
  }
  std::vector<size_t> choice(layers.size());
  for (size_t l = 0; l < layers.size(); ++l) choice[l] = hulls[l][position[l]];
  return EvaluatePlan(layers, std::move(choice));
}

}  // namespace tp::astc
