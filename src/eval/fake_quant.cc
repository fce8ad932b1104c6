// Fake quantization of GEMM inputs and weights (eval.h).
#include <algorithm>
#include <cmath>

#include "tensorpress/eval.h"
#include "tensorpress/slice.h"

namespace tp::eval {
namespace {

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

void FakeQuantize(const ActivationQuant& q, std::span<float> x) {
  switch (q.kind) {
    case ActivationQuant::Kind::kFloat:
      return;
    case ActivationQuant::Kind::kAsymmetric: {
      const float z = float(q.zero_point);
      for (float& v : x) {
        const float c = std::clamp(std::nearbyint(v / q.scale) + z, 0.0f, 255.0f);
        const uint8_t code = static_cast<uint8_t>(c);
        const int32_t kept = ActJoin(ActHighSlice(code, q.lo_bits), ActLowSlice(code, q.lo_bits), q.lo_bits);
        v = q.scale * (float(kept) - z);
      }
      return;
    }
    case ActivationQuant::Kind::kSymmetric: {
      const float qmax = float((1 << (q.bits - 1)) - 1);
      for (float& v : x) v = q.scale * std::clamp(std::nearbyint(v / q.scale), -qmax, qmax);
      return;
    }
  }
}

StatusOr<ActivationQuantMap> QuantMapFromSlices(const std::vector<LayerSliceReport>& reports,
                                                std::string_view setting) {
  ActivationQuantMap map;
  if (setting == "float") return map;
  for (const LayerSliceReport& r : reports) {
    const SliceSetting* s = setting == "asym"      ? &r.asym
                            : setting == "zpm"     ? &r.zpm
                            : setting == "zpm_dbs" ? &r.zpm_dbs
                            : setting == "sibia"   ? &r.sibia
                                                   : nullptr;
    if (!s) return InvalidArgumentError("unknown activation setting '" + std::string(setting) + "'");
    ActivationQuant q;
    q.scale = s->scale;
    if (setting == "sibia") {
      q.kind = ActivationQuant::Kind::kSymmetric;
      q.bits = 7;
    } else {
      q.kind = ActivationQuant::Kind::kAsymmetric;
      q.zero_point = s->zero_point;
      q.lo_bits = s->lo_bits;
    }
    if (!(q.scale > 0)) return InternalError("slice report for '" + r.layer + "' lacks its scale");
    // Fused consumers (wq/wk/wv) share one input and one calibration.
    map[r.activation] = q;
  }
  return map;
}

StatusOr<Model> FakeQuantizeWeights(const Model& model, int bits, WeightGranularity granularity) {
  Model out;
  out.path = model.path;
  out.format = model.format;
  out.metadata = model.metadata;
  for (const Tensor& t : model.tensors) {
    const bool gemm = (EndsWith(t.name(), ".weight") || EndsWith(t.name(), ".kernel")) &&
                      (t.rank() == 2 || t.rank() == 4) && Traits(t.dtype()).is_float;
    // llama2.c's token embedding is also the classifier; it stays float, as
    // the slice analysis (which has no classifier input) leaves it.
    if (!gemm || t.name() == "tok_embeddings.weight") {
      out.tensors.push_back(t);
      continue;
    }
    const bool keras = EndsWith(t.name(), ".kernel");
    WeightQuantOptions o;
    o.bits = bits;
    o.channel_axis = granularity == WeightGranularity::kTensor ? -1 : OutputChannelAxis(t, keras);
    TP_ASSIGN_OR_RETURN(Tensor q, QuantizeWeightsSymmetric(t, o));
    TP_ASSIGN_OR_RETURN(Tensor back, Dequantize(q));
    std::span<const float> v = back.values<float>();
    TP_ASSIGN_OR_RETURN(Tensor f, Tensor::FromValues<float>(t.name(), DType::kF32, t.shape(),
                                                            std::vector<float>(v.begin(), v.end())));
    out.tensors.push_back(std::move(f));
  }
  return out;
}

}  // namespace tp::eval
