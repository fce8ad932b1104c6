// Architecture configs: defaults per kind, validation, JSON parsing.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <sstream>

#include "sim/default_configs.h"
#include "sim/json_fields.h"
#include "tensorpress/sim.h"
#include "tensorpress/sparse_sim.h"

namespace tp::sim {
namespace {

using internal::Json;
using internal::ObjectReader;

constexpr std::string_view kSliceNames[kNumSliceSettings] = {"asym", "zpm", "zpm_dbs", "sibia"};

Status Bad(const ArchConfig& c, const std::string& field, const std::string& what) {
  return InvalidArgumentError("architecture '" + c.name + "': " + field + " " + what);
}

bool Finite(double v) { return std::isfinite(v); }

// Precision-scalable arrays: a sane mode table with the 8x8 baseline, and
// DVAFS modes the power formulas accept.
Status ValidatePsma(const ArchConfig& c) {
  const PsmaConfig& p = c.psma;
  if (p.modes.empty() || p.modes.size() > 36) return Bad(c, "psma.modes", "must hold 1..36 modes");
  bool has_base = false;
  for (size_t i = 0; i < p.modes.size(); ++i) {
    const PsmaMode& m = p.modes[i];
    const std::string f = "psma.modes[" + std::to_string(i) + "]";
    if (m.lo_bits < 1 || m.hi_bits > 8 || m.lo_bits > m.hi_bits)
      return Bad(c, f + ".bits", "must be [hi, lo] with 8 >= hi >= lo >= 1");
    if (!Finite(m.throughput) || m.throughput <= 0 || m.throughput > 256)
      return Bad(c, f + ".throughput", "must be in (0, 256]");
    if (!Finite(m.energy) || m.energy <= 0 || m.energy > 100) return Bad(c, f + ".energy", "must be in (0, 100]");
    for (size_t j = 0; j < i; ++j)
      if (p.modes[j].hi_bits == m.hi_bits && p.modes[j].lo_bits == m.lo_bits)
        return Bad(c, f + ".bits", "repeats an earlier mode");
    if (m.hi_bits == 8 && m.lo_bits == 8) {
      has_base = true;
      if (m.throughput != 1) return Bad(c, f + ".throughput", "must be 1 for the 8x8 mode (the array's unit)");
    }
  }
  if (!has_base) return Bad(c, "psma.modes", "must include the 8x8 mode");
  if (!Finite(p.area) || p.area <= 0 || p.area > 100) return Bad(c, "psma.area", "must be in (0, 100]");
  if (c.multiplier_bits != 8) return Bad(c, "multiplier_bits", "must be 8 for kind psma (counted in 8x8-mode MACs)");
  const DvafsConfig& d = c.dvafs;
  if (d.scheme != DvafsScheme::kOff && d.modes.empty())
    return Bad(c, "dvafs.modes", "must list at least one mode when dvafs.scheme is not \"off\"");
  for (size_t i = 0; i < d.modes.size(); ++i) {
    const DvafsModeConfig& m = d.modes[i];
    const std::string f = "dvafs.modes[" + std::to_string(i) + "]";
    if (m.bits < 1 || m.bits > 7) return Bad(c, f + ".bits", "must be 1..7 (8 bits is the baseline)");
    auto r = DvafsRelativePower({m.bits, m.das_activity, m.dvas_voltage, m.dvafs_activity, m.dvafs_voltage, m.subwords});
    if (!r.ok()) return Bad(c, f, "is out of range: " + std::string(r.status().message()));
    for (size_t j = 0; j < i; ++j)
      if (d.modes[j].bits == m.bits) return Bad(c, f + ".bits", "repeats an earlier mode");
  }
  return Status::Ok();
}

}  // namespace

std::string_view SliceSettingName(SliceSetting s) { return kSliceNames[static_cast<int>(s)]; }

std::optional<SliceSetting> SliceSettingFromName(std::string_view name) {
  for (int i = 0; i < kNumSliceSettings; ++i)
    if (kSliceNames[i] == name) return static_cast<SliceSetting>(i);
  return std::nullopt;
}

std::string_view ArchKindName(ArchKind k) {
  switch (k) {
    case ArchKind::kDense: return "dense";
    case ArchKind::kSibia: return "sibia";
    case ArchKind::kPanacea: return "panacea";
    case ArchKind::kEnvision: return "envision";
    case ArchKind::kEie: return "eie";
    case ArchKind::kScnn: return "scnn";
    case ArchKind::kSta: return "sta";
    case ArchKind::kPsma: return "psma";
  }
  return "?";
}

bool IsBitSliceKind(ArchKind k) { return k == ArchKind::kSibia || k == ArchKind::kPanacea; }

bool IsSparseKind(ArchKind k) {
  return k == ArchKind::kEnvision || k == ArchKind::kEie || k == ArchKind::kScnn || k == ArchKind::kSta;
}

std::string_view DataflowName(Dataflow d) {
  switch (d) {
    case Dataflow::kWeightStationary: return "ws";
    case Dataflow::kOutputStationary: return "os";
    case Dataflow::kInputStationary: return "is";
    case Dataflow::kSimd: return "simd";
  }
  return "?";
}

uint64_t ArchConfig::Multipliers() const {
  return uint64_t(pe_arrays) * uint64_t(array_rows) * uint64_t(array_cols) * uint64_t(multipliers_per_pe);
}

uint64_t ArchConfig::Multipliers4bEquivalent() const {
  // An 8b×8b multiplier does the work of four 4b×4b ones (2 slices × 2 slices).
  return Multipliers() * (multiplier_bits == 8 ? 4 : 1);
}

SliceSetting ArchConfig::EffectiveSliceSetting() const {
  if (kind != ArchKind::kPanacea) return slicing.setting;
  if (!panacea.zpm) return SliceSetting::kAsym;
  return panacea.dbs ? SliceSetting::kZpmDbs : SliceSetting::kZpm;
}

void ArchConfigInit(ArchKind kind, ArchConfig* c) {
  *c = ArchConfig{};
  c->kind = kind;
  if (!IsBitSliceKind(kind)) return;
  // The bit-slice designs of the papers: 16 arrays × 12 operators × 16 4b×4b multipliers.
  c->dataflow = Dataflow::kOutputStationary;
  c->pe_arrays = 16;
  c->array_rows = 12;
  c->array_cols = 16;
  c->multiplier_bits = 4;
  c->slicing.setting = kind == ArchKind::kSibia ? SliceSetting::kSibia : SliceSetting::kZpmDbs;
}

Status ValidateArchConfig(const ArchConfig& c) {
  if (c.name.empty()) return InvalidArgumentError("architecture name must not be empty");
  for (char ch : c.name)
    if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' || ch == '.'))
      return Bad(c, "name", "may hold only letters, digits, '-', '_' and '.'");
  if (!Finite(c.clock_mhz) || c.clock_mhz <= 0 || c.clock_mhz > 1e5)
    return Bad(c, "clock_mhz", "must be in (0, 100000]");
  const std::pair<const char*, int> counts[] = {{"pe_arrays", c.pe_arrays},
                                                {"array_rows", c.array_rows},
                                                {"array_cols", c.array_cols},
                                                {"multipliers_per_pe", c.multipliers_per_pe}};
  for (const auto& [field, v] : counts)
    if (v < 1 || v > 65536) return Bad(c, field, "must be in 1..65536");
  if (c.Multipliers() > (uint64_t{1} << 32)) return Bad(c, "multiplier count", "exceeds 2^32");
  if (c.multiplier_bits != 4 && c.multiplier_bits != 8) return Bad(c, "multiplier_bits", "must be 4 or 8");
  if (!IsBitSliceKind(c.kind) && c.multiplier_bits != 8)
    return Bad(c, "multiplier_bits", "must be 8 for a dense or sparse design (8b×8b MACs)");
  if (IsBitSliceKind(c.kind) && c.multiplier_bits != 4)
    return Bad(c, "multiplier_bits", "must be 4 for a bit-slice design (4b×4b multipliers)");
  if (!Finite(c.utilisation) || c.utilisation <= 0 || c.utilisation > 1)
    return Bad(c, "utilisation", "must be in (0, 1]");
  const std::pair<const char*, double> sram[] = {{"sram_kib.weights", c.sram.weights_kib},
                                                 {"sram_kib.activations", c.sram.activations_kib},
                                                 {"sram_kib.outputs", c.sram.outputs_kib}};
  for (const auto& [field, v] : sram)
    if (!Finite(v) || v <= 0 || v > 1024.0 * 1024) return Bad(c, field, "must be in (0, 1048576] KiB");
  if (!Finite(c.dram_bits_per_cycle) || c.dram_bits_per_cycle <= 0 || c.dram_bits_per_cycle > 1e6)
    return Bad(c, "dram_bits_per_cycle", "must be in (0, 1000000]");
  if (c.psum_bytes < 1 || c.psum_bytes > 8) return Bad(c, "psum_bytes", "must be in 1..8");
  const CodecConfig& a = c.atalanta;
  if (!Finite(a.encode_pj_per_byte) || a.encode_pj_per_byte < 0 || a.encode_pj_per_byte > 1e6)
    return Bad(c, "atalanta.encode_pj_per_byte", "must be in [0, 1000000]");
  if (!Finite(a.decode_pj_per_byte) || a.decode_pj_per_byte < 0 || a.decode_pj_per_byte > 1e6)
    return Bad(c, "atalanta.decode_pj_per_byte", "must be in [0, 1000000]");
  if (!Finite(a.bytes_per_cycle) || a.bytes_per_cycle <= 0 || a.bytes_per_cycle > 1e6)
    return Bad(c, "atalanta.bytes_per_cycle", "must be in (0, 1000000]");
  if (a.latency_cycles > 1'000'000'000) return Bad(c, "atalanta.latency_cycles", "must be at most 1e9");
  if (c.slicing.vector_length < 1 || c.slicing.vector_length > 4096)
    return Bad(c, "slicing.vector_length", "must be in 1..4096");
  if (IsSparseKind(c.kind) && c.zero_gating)
    return Bad(c, "zero_gating", "must be false for a sparse kind (its model decides what is skipped)");
  const SparseDesignConfig& sp = c.sparse;
  if (!Finite(sp.reuse) || sp.reuse < 1 || sp.reuse > 1e9) return Bad(c, "sparse.reuse", "must be in [1, 1e9]");
  if (!Finite(sp.scnn_efficiency) || sp.scnn_efficiency <= 0 || sp.scnn_efficiency > 1)
    return Bad(c, "sparse.scnn_efficiency", "must be in (0, 1]");
  if (!Finite(sp.scnn_index_bytes) || sp.scnn_index_bytes < 0 || sp.scnn_index_bytes > 8)
    return Bad(c, "sparse.scnn_index_bytes", "must be in [0, 8]");
  if (!Finite(sp.eie_index_bytes) || sp.eie_index_bytes < 0 || sp.eie_index_bytes > 8)
    return Bad(c, "sparse.eie_index_bytes", "must be in [0, 8]");
  if (sp.sta_m < 1 || sp.sta_m > 256 || sp.sta_n < 1 || sp.sta_n > sp.sta_m)
    return Bad(c, "sparse.sta_n/sta_m", "must satisfy 1 <= sta_n <= sta_m <= 256");
  if (c.kind == ArchKind::kPsma) TP_RETURN_IF_ERROR(ValidatePsma(c));
  if (c.kind != ArchKind::kPsma && (!c.psma.modes.empty() || !c.dvafs.modes.empty() ||
                                    c.dvafs.scheme != DvafsScheme::kOff))
    return Bad(c, "psma/dvafs", "apply only to kind psma");
  if (c.kind == ArchKind::kPanacea) {
    const PanaceaConfig& p = c.panacea;
    if (p.dynamic_operators < 1 || p.static_operators < 1)
      return Bad(c, "panacea.dynamic_operators/static_operators", "must be at least 1");
    if (int64_t{p.dynamic_operators} + p.static_operators != c.array_rows)
      return Bad(c, "panacea.dynamic_operators + static_operators",
                 "must equal array_rows (" + std::to_string(c.array_rows) + ")");
    if (p.dbs && !p.zpm) return Bad(c, "panacea.dbs", "needs panacea.zpm (there is no DBS-only slicing)");
  }
  return Status::Ok();
}

namespace {

// The "psma" and "dvafs" objects of a kind psma config. Every mode must say
// its energy: no number is assumed for a style whose published figures were
// not at hand (docs/sparsity.md); the throughput defaults to the style's
// structural one (PsmaStructuralThroughput).
Status ParsePsma(ObjectReader& top, const std::string& source, ArchConfig* c) {
  TP_ASSIGN_OR_RETURN(const Json* ps, top.Object("psma"));
  TP_ASSIGN_OR_RETURN(const Json* dv, top.Object("dvafs"));
  if ((ps || dv) && c->kind != ArchKind::kPsma) return top.Error(ps ? "psma" : "dvafs", "applies only to kind psma");
  if (c->kind != ArchKind::kPsma) return Status::Ok();
  if (!ps) return top.Error("psma", "is required for kind psma");
  ObjectReader r(*ps, source, "psma");
  std::string style;
  TP_RETURN_IF_ERROR(r.String("style", &style));
  auto st = PsmaStyleFromName(style);
  if (!st)
    return r.Error("style",
                   "must be \"data_gating\", \"subword_parallel\", \"divide_conquer_2d\", \"bit_serial_1d\" or "
                   "\"bit_serial_2d\"");
  c->psma.style = *st;
  TP_RETURN_IF_ERROR(r.Number("area", &c->psma.area));
  TP_RETURN_IF_ERROR(r.String("reference", &c->psma.reference));
  TP_RETURN_IF_ERROR(r.String("provenance", &c->psma.provenance));
  const Json* modes = r.Raw("modes");
  if (!modes || !modes->is_array() || modes->empty())
    return r.Error("modes", "is required: a non-empty array of {\"bits\": [hi, lo], \"throughput\", \"energy\"}");
  if (modes->size() > 36) return r.Error("modes", "has more than 36 modes");
  for (size_t i = 0; i < modes->size(); ++i) {
    const Json& m = (*modes)[i];
    const std::string where = "psma.modes[" + std::to_string(i) + "]";
    if (!m.is_object()) return r.Error("modes", "entries must be objects");
    ObjectReader mr(m, source, where);
    const Json* bits = mr.Raw("bits");
    if (!bits || !bits->is_array() || bits->size() != 2 || !(*bits)[0].is_number_integer() ||
        !(*bits)[1].is_number_integer())
      return mr.Error("bits", "is required: [hi, lo], two integers");
    PsmaMode mode;
    const int64_t a = (*bits)[0].get<int64_t>(), b = (*bits)[1].get<int64_t>();
    if (a < 1 || a > 8 || b < 1 || b > 8) return mr.Error("bits", "must be 1..8");
    mode.hi_bits = int(std::max(a, b));
    mode.lo_bits = int(std::min(a, b));
    mode.throughput = PsmaStructuralThroughput(c->psma.style, mode.hi_bits, mode.lo_bits);
    TP_RETURN_IF_ERROR(mr.Number("throughput", &mode.throughput));
    if (!mr.Has("energy"))
      return mr.Error("energy", "is required (energy per MAC over the reference 8-bit MAC; no default is assumed)");
    TP_RETURN_IF_ERROR(mr.Number("energy", &mode.energy));
    std::string ignored;
    TP_RETURN_IF_ERROR(mr.String("source", &ignored));
    TP_RETURN_IF_ERROR(mr.NoUnknownKeys());
    c->psma.modes.push_back(mode);
  }
  TP_RETURN_IF_ERROR(r.NoUnknownKeys());
  if (dv) {
    ObjectReader d(*dv, source, "dvafs");
    std::string scheme = "off";
    TP_RETURN_IF_ERROR(d.String("scheme", &scheme));
    auto sc = DvafsSchemeFromName(scheme);
    if (!sc) return d.Error("scheme", "must be \"off\", \"das\", \"dvas\" or \"dvafs\"");
    c->dvafs.scheme = *sc;
    TP_RETURN_IF_ERROR(d.String("provenance", &c->dvafs.provenance));
    const Json* dm = d.Raw("modes");
    if (dm) {
      if (!dm->is_array() || dm->size() > 8) return d.Error("modes", "must be an array of at most 8 modes");
      for (size_t i = 0; i < dm->size(); ++i) {
        if (!(*dm)[i].is_object()) return d.Error("modes", "entries must be objects");
        ObjectReader mr((*dm)[i], source, "dvafs.modes[" + std::to_string(i) + "]");
        DvafsModeConfig m;
        for (const char* key : {"bits", "das_activity", "dvas_voltage", "dvafs_activity", "dvafs_voltage", "subwords"})
          if (!mr.Has(key)) return mr.Error(key, "is required (no default is assumed)");
        TP_RETURN_IF_ERROR(mr.Integer("bits", &m.bits));
        TP_RETURN_IF_ERROR(mr.Number("das_activity", &m.das_activity));
        TP_RETURN_IF_ERROR(mr.Number("dvas_voltage", &m.dvas_voltage));
        TP_RETURN_IF_ERROR(mr.Number("dvafs_activity", &m.dvafs_activity));
        TP_RETURN_IF_ERROR(mr.Number("dvafs_voltage", &m.dvafs_voltage));
        TP_RETURN_IF_ERROR(mr.Integer("subwords", &m.subwords));
        TP_RETURN_IF_ERROR(mr.NoUnknownKeys());
        c->dvafs.modes.push_back(m);
      }
    }
    TP_RETURN_IF_ERROR(d.NoUnknownKeys());
  }
  return Status::Ok();
}

}  // namespace

StatusOr<ArchConfig> ParseArchConfig(std::string_view text, std::string_view source_view) {
  const std::string source(source_view);
  TP_ASSIGN_OR_RETURN(Json j, internal::ParseJsonText(text, source));
  ObjectReader top(j, source, "");
  std::string kind_name = "dense";
  TP_RETURN_IF_ERROR(top.String("kind", &kind_name));
  ArchConfig c;
  if (kind_name == "dense") ArchConfigInit(ArchKind::kDense, &c);
  else if (kind_name == "sibia") ArchConfigInit(ArchKind::kSibia, &c);
  else if (kind_name == "panacea") ArchConfigInit(ArchKind::kPanacea, &c);
  else if (kind_name == "envision") ArchConfigInit(ArchKind::kEnvision, &c);
  else if (kind_name == "eie") ArchConfigInit(ArchKind::kEie, &c);
  else if (kind_name == "scnn") ArchConfigInit(ArchKind::kScnn, &c);
  else if (kind_name == "sta") ArchConfigInit(ArchKind::kSta, &c);
  else if (kind_name == "psma") ArchConfigInit(ArchKind::kPsma, &c);
  else
    return top.Error("kind",
                     "must be \"dense\", \"sibia\", \"panacea\", \"envision\", \"eie\", \"scnn\", \"sta\" or \"psma\"");

  TP_RETURN_IF_ERROR(top.String("name", &c.name));
  TP_RETURN_IF_ERROR(top.String("description", &c.description));
  std::string dataflow;
  TP_RETURN_IF_ERROR(top.String("dataflow", &dataflow));
  if (!dataflow.empty()) {
    if (dataflow == "ws") c.dataflow = Dataflow::kWeightStationary;
    else if (dataflow == "os") c.dataflow = Dataflow::kOutputStationary;
    else if (dataflow == "is") c.dataflow = Dataflow::kInputStationary;
    else if (dataflow == "simd") c.dataflow = Dataflow::kSimd;
    else return top.Error("dataflow", "must be \"ws\", \"os\", \"is\" or \"simd\"");
  }
  TP_RETURN_IF_ERROR(top.Number("clock_mhz", &c.clock_mhz));
  TP_RETURN_IF_ERROR(top.Integer("pe_arrays", &c.pe_arrays));
  TP_RETURN_IF_ERROR(top.Integer("array_rows", &c.array_rows));
  TP_RETURN_IF_ERROR(top.Integer("array_cols", &c.array_cols));
  TP_RETURN_IF_ERROR(top.Integer("multipliers_per_pe", &c.multipliers_per_pe));
  TP_RETURN_IF_ERROR(top.Integer("multiplier_bits", &c.multiplier_bits));
  TP_RETURN_IF_ERROR(top.Number("utilisation", &c.utilisation));
  TP_RETURN_IF_ERROR(top.Bool("double_buffering", &c.double_buffering));
  TP_RETURN_IF_ERROR(top.Number("dram_bits_per_cycle", &c.dram_bits_per_cycle));
  TP_RETURN_IF_ERROR(top.Bool("zero_gating", &c.zero_gating));
  TP_RETURN_IF_ERROR(top.Integer("psum_bytes", &c.psum_bytes));

  TP_ASSIGN_OR_RETURN(const Json* sram, top.Object("sram_kib"));
  if (sram) {
    ObjectReader r(*sram, source, "sram_kib");
    TP_RETURN_IF_ERROR(r.Number("weights", &c.sram.weights_kib));
    TP_RETURN_IF_ERROR(r.Number("activations", &c.sram.activations_kib));
    TP_RETURN_IF_ERROR(r.Number("outputs", &c.sram.outputs_kib));
    TP_RETURN_IF_ERROR(r.NoUnknownKeys());
  }
  TP_ASSIGN_OR_RETURN(const Json* codec, top.Object("atalanta"));
  if (codec) {
    ObjectReader r(*codec, source, "atalanta");
    TP_RETURN_IF_ERROR(r.Bool("enabled", &c.atalanta.enabled));
    TP_RETURN_IF_ERROR(r.Number("encode_pj_per_byte", &c.atalanta.encode_pj_per_byte));
    TP_RETURN_IF_ERROR(r.Number("decode_pj_per_byte", &c.atalanta.decode_pj_per_byte));
    TP_RETURN_IF_ERROR(r.Number("bytes_per_cycle", &c.atalanta.bytes_per_cycle));
    TP_RETURN_IF_ERROR(r.Unsigned("latency_cycles", &c.atalanta.latency_cycles));
    TP_RETURN_IF_ERROR(r.NoUnknownKeys());
  }
  TP_ASSIGN_OR_RETURN(const Json* slicing, top.Object("slicing"));
  if (slicing) {
    if (!IsBitSliceKind(c.kind)) return top.Error("slicing", "applies only to kind sibia or panacea");
    ObjectReader r(*slicing, source, "slicing");
    std::string setting;
    TP_RETURN_IF_ERROR(r.String("setting", &setting));
    if (r.Has("setting")) {
      if (c.kind == ArchKind::kPanacea)
        return r.Error("setting", "is derived from panacea.zpm and panacea.dbs for kind panacea");
      auto s = SliceSettingFromName(setting);
      if (!s) return r.Error("setting", "must be \"asym\", \"zpm\", \"zpm_dbs\" or \"sibia\"");
      c.slicing.setting = *s;
    }
    TP_RETURN_IF_ERROR(r.Integer("vector_length", &c.slicing.vector_length));
    TP_RETURN_IF_ERROR(r.Bool("skip_weight_ho", &c.slicing.skip_weight_ho));
    TP_RETURN_IF_ERROR(r.Bool("skip_activation_ho", &c.slicing.skip_activation_ho));
    TP_RETURN_IF_ERROR(r.NoUnknownKeys());
  }
  TP_ASSIGN_OR_RETURN(const Json* pan, top.Object("panacea"));
  if (pan) {
    if (c.kind != ArchKind::kPanacea) return top.Error("panacea", "applies only to kind panacea");
    ObjectReader r(*pan, source, "panacea");
    TP_RETURN_IF_ERROR(r.Integer("dynamic_operators", &c.panacea.dynamic_operators));
    TP_RETURN_IF_ERROR(r.Integer("static_operators", &c.panacea.static_operators));
    TP_RETURN_IF_ERROR(r.Bool("zpm", &c.panacea.zpm));
    TP_RETURN_IF_ERROR(r.Bool("dbs", &c.panacea.dbs));
    TP_RETURN_IF_ERROR(r.Bool("double_tile", &c.panacea.double_tile));
    TP_RETURN_IF_ERROR(r.Bool("rle_activations", &c.panacea.rle_activations));
    TP_RETURN_IF_ERROR(r.NoUnknownKeys());
  }
  TP_ASSIGN_OR_RETURN(const Json* sp, top.Object("sparse"));
  if (sp) {
    if (!IsSparseKind(c.kind)) return top.Error("sparse", "applies only to kind envision, eie, scnn or sta");
    ObjectReader r(*sp, source, "sparse");
    TP_RETURN_IF_ERROR(r.Number("reuse", &c.sparse.reuse));
    TP_RETURN_IF_ERROR(r.Number("scnn_efficiency", &c.sparse.scnn_efficiency));
    TP_RETURN_IF_ERROR(r.Number("scnn_index_bytes", &c.sparse.scnn_index_bytes));
    TP_RETURN_IF_ERROR(r.Number("eie_index_bytes", &c.sparse.eie_index_bytes));
    TP_RETURN_IF_ERROR(r.Integer("sta_n", &c.sparse.sta_n));
    TP_RETURN_IF_ERROR(r.Integer("sta_m", &c.sparse.sta_m));
    TP_RETURN_IF_ERROR(r.NoUnknownKeys());
  }
  TP_RETURN_IF_ERROR(ParsePsma(top, source, &c));
  TP_RETURN_IF_ERROR(top.NoUnknownKeys());
  TP_RETURN_IF_ERROR(ValidateArchConfig(c).WithContext(source));
  return c;
}

namespace internal {
StatusOr<std::string> ReadSmallTextFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return NotFoundError(path + ": cannot open");
  std::string text;
  char buf[4096];
  while (f.read(buf, sizeof buf) || f.gcount() > 0) {
    text.append(buf, static_cast<size_t>(f.gcount()));
    if (text.size() > (size_t{1} << 20)) return InvalidArgumentError(path + ": larger than 1 MiB; not a config file");
  }
  if (f.bad()) return IoError(path + ": read failed");
  return text;
}
}  // namespace internal

StatusOr<ArchConfig> ReadArchConfig(const std::string& path) {
  TP_ASSIGN_OR_RETURN(std::string text, internal::ReadSmallTextFile(path));
  return ParseArchConfig(text, path);
}

std::vector<std::string> DefaultArchNames() {
  std::vector<std::string> names;
  for (const auto& t : internal::DefaultArchTexts()) names.emplace_back(t.name);
  return names;
}

StatusOr<std::string_view> DefaultArchJson(std::string_view name) {
  for (const auto& t : internal::DefaultArchTexts())
    if (t.name == name) return t.text;
  std::string known;
  for (const auto& t : internal::DefaultArchTexts()) known += (known.empty() ? "" : ", ") + std::string(t.name);
  return NotFoundError("no built-in architecture '" + std::string(name) + "' (known: " + known + ")");
}

StatusOr<ArchConfig> DefaultArchConfig(std::string_view name) {
  TP_ASSIGN_OR_RETURN(std::string_view text, DefaultArchJson(name));
  return ParseArchConfig(text, "built-in " + std::string(name));
}

}  // namespace tp::sim
