// Measurements from other subsystems entering the cost model's workload.
#include <map>

#include "tensorpress/sim.h"

namespace tp::sim {
namespace {

SliceSparsity FromTraffic(const OperandTraffic& t) { return {t.ho_slice_sparsity, t.ho_vector_sparsity}; }

SliceBytes BytesPerElement(const OperandTraffic& t, double elements) {
  if (elements <= 0) return {};
  return {double(t.dense_bytes()) / elements, double(t.compressed_bytes()) / elements};
}

}  // namespace

std::function<StatusOr<double>(const Tensor& quantized)> LosslessRatioMeasurer(Codec codec,
                                                                                 CodecOptions options) {
  return [codec, options](const Tensor& quantized) -> StatusOr<double> {
    TP_ASSIGN_OR_RETURN(TensorCodes codes, PrepareCodes(quantized, {}));
    if (codes.codes.empty()) return 1.0;
    CodecOptions o = options;
    o.signed_codes = codes.signed_codes;
    o.zero_code = codes.zero_code;
    o.rows = codes.rows;
    o.threads = 0;
    TP_RETURN_IF_ERROR(ValidateCodecOptions(o));
    TP_ASSIGN_OR_RETURN(EncodedStream stream, EncodeCodes(codec, codes.codes, o));
    return static_cast<double>(stream.bytes.size()) / static_cast<double>(codes.codes.size());
  };
}

size_t AttachSliceAnalysis(const std::vector<LayerSliceReport>& reports, Workload* workload) {
  std::map<std::string, const LayerSliceReport*> by_layer;
  for (const auto& r : reports) by_layer[r.layer] = &r;
  size_t filled = 0;
  for (GemmLayer& layer : workload->layers) {
    auto it = by_layer.find(layer.name);
    if (it == by_layer.end()) continue;
    const LayerSliceReport& r = *it->second;
    const std::pair<SliceSetting, const tp::SliceSetting*> settings[] = {
        {SliceSetting::kAsym, &r.asym}, {SliceSetting::kZpm, &r.zpm},
        {SliceSetting::kZpmDbs, &r.zpm_dbs}, {SliceSetting::kSibia, &r.sibia}};
    for (const auto& [setting, measured] : settings) {
      const int i = static_cast<int>(setting);
      layer.weights.slices[i] = FromTraffic(measured->counters.weights);
      layer.activations.slices[i] = FromTraffic(measured->counters.activations);
      layer.weights.slice_bytes[i] = BytesPerElement(measured->counters.weights, double(r.m) * double(r.k));
      layer.activations.slice_bytes[i] =
          BytesPerElement(measured->counters.activations, double(r.k) * double(r.n) * r.groups);  // every group's
      const SliceGemmCounters& c = measured->counters;
      layer.measured_mult_fraction[i] = c.dense_multiplies ? double(c.multiplies) / double(c.dense_multiplies) : 0;
    }
    layer.activations.lo_bits = r.zpm_dbs.lo_bits;
    layer.weights.slices_measured = layer.activations.slices_measured = true;
    ++filled;
  }
  return filled;
}

}  // namespace tp::sim
