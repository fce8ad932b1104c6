// Energy tables: JSON parsing, validation and SRAM interpolation.
#include <cmath>

#include "sim/default_configs.h"
#include "sim/json_fields.h"
#include "tensorpress/sim.h"

namespace tp::sim {
namespace {

using internal::Json;
using internal::ObjectReader;

}  // namespace

double EnergyTable::SramPer64b(double kib) const {
  if (sram_64b.empty()) return 0;
  if (kib <= sram_64b.front().first) return sram_64b.front().second;
  if (kib >= sram_64b.back().first) return sram_64b.back().second;
  for (size_t i = 1; i < sram_64b.size(); ++i) {
    const auto [c0, e0] = sram_64b[i - 1];
    const auto [c1, e1] = sram_64b[i];
    if (kib <= c1) {
      // Access energy follows wire length, which grows with the log of the
      // capacity between the published points.
      double t = (std::log2(kib) - std::log2(c0)) / (std::log2(c1) - std::log2(c0));
      return e0 + t * (e1 - e0);
    }
  }
  return sram_64b.back().second;
}

Status ValidateEnergyTable(const EnergyTable& t) {
  auto bad = [&](const std::string& field, const std::string& what) {
    return InvalidArgumentError("energy table '" + t.name + "': " + field + " " + what);
  };
  const std::pair<const char*, double> ops[] = {
      {"int8_add", t.int8_add},   {"int16_add", t.int16_add}, {"int32_add", t.int32_add},
      {"int4_mult", t.int4_mult}, {"int8_mult", t.int8_mult}, {"int32_mult", t.int32_mult},
      {"fp16_add", t.fp16_add},   {"fp16_mult", t.fp16_mult}, {"fp32_add", t.fp32_add},
      {"fp32_mult", t.fp32_mult}, {"dram_64b_pj", t.dram_64b}};
  for (const auto& [field, v] : ops)
    if (!std::isfinite(v) || v < 0 || v > 1e9) return bad(field, "must be in [0, 1e9] pJ");
  if (t.sram_64b.empty()) return bad("sram_64b_pj", "needs at least one point");
  for (size_t i = 0; i < t.sram_64b.size(); ++i) {
    const auto [kib, pj] = t.sram_64b[i];
    if (!std::isfinite(kib) || kib <= 0 || kib > 1e9) return bad("sram_64b_pj.kib", "must be in (0, 1e9]");
    if (!std::isfinite(pj) || pj < 0 || pj > 1e9) return bad("sram_64b_pj.pj", "must be in [0, 1e9]");
    if (i > 0 && !(kib > t.sram_64b[i - 1].first))
      return bad("sram_64b_pj", "capacities must increase strictly");
  }
  return Status::Ok();
}

StatusOr<EnergyTable> ParseEnergyTable(std::string_view text, std::string_view source_view) {
  const std::string source(source_view);
  TP_ASSIGN_OR_RETURN(Json j, internal::ParseJsonText(text, source));
  ObjectReader top(j, source, "");
  EnergyTable t;
  TP_RETURN_IF_ERROR(top.String("name", &t.name));
  if (t.name.empty()) return top.Error("name", "is required");
  TP_RETURN_IF_ERROR(top.String("process", &t.process));
  TP_RETURN_IF_ERROR(top.String("provenance", &t.provenance));
  if (t.provenance.empty()) return top.Error("provenance", "is required: say where the numbers come from");
  TP_ASSIGN_OR_RETURN(const Json* ops, top.Object("ops_pj"));
  if (!ops) return top.Error("ops_pj", "is required");
  ObjectReader r(*ops, source, "ops_pj");
  const std::pair<const char*, double*> fields[] = {
      {"int8_add", &t.int8_add},   {"int16_add", &t.int16_add}, {"int32_add", &t.int32_add},
      {"int4_mult", &t.int4_mult}, {"int8_mult", &t.int8_mult}, {"int32_mult", &t.int32_mult},
      {"fp16_add", &t.fp16_add},   {"fp16_mult", &t.fp16_mult}, {"fp32_add", &t.fp32_add},
      {"fp32_mult", &t.fp32_mult}};
  for (const auto& [key, out] : fields) {
    if (!r.Has(key)) return r.Error(key, "is required");
    TP_RETURN_IF_ERROR(r.Number(key, out));
  }
  TP_RETURN_IF_ERROR(r.NoUnknownKeys());

  // Free-text documentation fields: strings (or an object of strings).
  for (const char* key : {"sram_notes", "dram_notes"}) {
    std::string ignored;
    TP_RETURN_IF_ERROR(top.String(key, &ignored));
  }
  TP_ASSIGN_OR_RETURN(const Json* derivations, top.Object("derivations"));
  if (derivations)
    for (auto it = derivations->begin(); it != derivations->end(); ++it)
      if (!it->is_string()) return top.Error("derivations", "must map names to strings");

  const Json* sram = top.Raw("sram_64b_pj");
  if (!sram || !sram->is_array() || sram->empty())
    return top.Error("sram_64b_pj", "is required: a non-empty array of {\"kib\", \"pj\"}");
  if (sram->size() > 64) return top.Error("sram_64b_pj", "has more than 64 points");
  for (const Json& point : *sram) {
    if (!point.is_object()) return top.Error("sram_64b_pj", "entries must be objects {\"kib\", \"pj\"}");
    ObjectReader p(point, source, "sram_64b_pj[]");
    double kib = -1, pj = -1;
    if (!p.Has("kib") || !p.Has("pj")) return top.Error("sram_64b_pj", "entries need both kib and pj");
    TP_RETURN_IF_ERROR(p.Number("kib", &kib));
    TP_RETURN_IF_ERROR(p.Number("pj", &pj));
    TP_RETURN_IF_ERROR(p.NoUnknownKeys());
    t.sram_64b.emplace_back(kib, pj);
  }
  if (!top.Has("dram_64b_pj")) return top.Error("dram_64b_pj", "is required");
  TP_RETURN_IF_ERROR(top.Number("dram_64b_pj", &t.dram_64b));
  if (const Json* range = top.Raw("dram_64b_pj_range")) {
    if (!range->is_array() || range->size() != 2 || !(*range)[0].is_number() || !(*range)[1].is_number())
      return top.Error("dram_64b_pj_range", "must be [low, high]");
    double lo = (*range)[0].get<double>(), hi = (*range)[1].get<double>();
    if (!(lo <= t.dram_64b && t.dram_64b <= hi))
      return top.Error("dram_64b_pj", "lies outside dram_64b_pj_range");
  }
  TP_RETURN_IF_ERROR(top.NoUnknownKeys());
  TP_RETURN_IF_ERROR(ValidateEnergyTable(t).WithContext(source));
  return t;
}

StatusOr<EnergyTable> ReadEnergyTable(const std::string& path) {
  TP_ASSIGN_OR_RETURN(std::string text, internal::ReadSmallTextFile(path));
  return ParseEnergyTable(text, path);
}

std::vector<std::string> DefaultEnergyTableNames() {
  std::vector<std::string> names;
  for (const auto& t : internal::DefaultEnergyTexts()) names.emplace_back(t.name);
  return names;
}

StatusOr<std::string_view> DefaultEnergyTableJson(std::string_view name) {
  for (const auto& t : internal::DefaultEnergyTexts())
    if (t.name == name) return t.text;
  return NotFoundError("no built-in energy table '" + std::string(name) + "' (known: horowitz45nm, 28nm)");
}

StatusOr<EnergyTable> DefaultEnergyTable(std::string_view name) {
  TP_ASSIGN_OR_RETURN(std::string_view text, DefaultEnergyTableJson(name));
  return ParseEnergyTable(text, "built-in " + std::string(name));
}

}  // namespace tp::sim
