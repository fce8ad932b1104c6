// .tpz writer (layout in include/tensorpress/tpz.h).
#include <xxhash.h>

#include <cmath>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>

#include "tensorpress/parallel.h"
#include "codec/tpz_format.h"
#include "tensorpress/tpz.h"

namespace tp {
namespace {

std::string Hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

struct Plane {
  std::vector<uint8_t> codes;
  bool signed_codes = false;
  uint64_t rows = 1;
};

std::vector<Plane> PlanesOf(const Tensor& t) {
  const int count = tpz::PlaneCount(t.dtype());
  const auto bytes = t.bytes();
  std::vector<Plane> planes(count);
  const uint64_t n = bytes.size() / count;
  for (int k = 0; k < count; ++k) {
    planes[k].codes.resize(n);
    for (uint64_t i = 0; i < n; ++i) planes[k].codes[i] = bytes[i * count + k];
    if (t.rank() >= 2 && t.shape()[0] > 0 && count == 1 && n % uint64_t(t.shape()[0]) == 0)
      planes[k].rows = static_cast<uint64_t>(t.shape()[0]);
  }
  if (t.dtype() == DType::kI8) {
    for (uint8_t& c : planes[0].codes) c ^= 0x80;  // code = value + 128
    planes[0].signed_codes = true;
  }
  return planes;
}

// The "astc" header entry of a lossy tensor and its data (blocks, then tile
// ranges), with the weight-domain error of exactly what a reader restores.
StatusOr<nlohmann::ordered_json> AstcEntry(const Tensor& t, const astc::AstcTensor& a, uint64_t offset,
                                           std::vector<uint8_t>& data) {
  const std::string where = "tensor '" + t.name() + "'";
  TP_RETURN_IF_ERROR(astc::ValidateAstcTensor(a).WithContext(where));
  TP_ASSIGN_OR_RETURN(Tensor restored, astc::DecodeTensor(a, t.name(), t.dtype(), t.shape()));
  TP_ASSIGN_OR_RETURN(Tensor original, ToF32(t));
  TP_ASSIGN_OR_RETURN(Tensor restored_f32, ToF32(restored));
  const astc::ErrorStats err = astc::CompareValues(original.values<float>(), restored_f32.values<float>());
  data.assign(a.image.blocks.begin(), a.image.blocks.end());
  data.insert(data.end(), a.tile_ranges.begin(), a.tile_ranges.end());
  nlohmann::ordered_json e;
  e["footprint"] = {a.image.block_x, a.image.block_y};
  e["channels"] = a.channels;
  e["matrix"] = a.shape;
  e["map"] = {{"offset", a.offset}, {"scale", a.scale}, {"tile", a.affine_tile}};
  e["offset"] = offset;
  e["size"] = data.size();
  e["xxh3"] = Hex64(XXH3_64bits(data.data(), data.size()));
  e["error"] = {{"rmse", err.rmse}, {"max_error", err.max_abs}};
  if (std::isfinite(err.snr_db)) e["error"]["snr_db"] = err.snr_db;  // JSON has no infinity: absent when exact
  return e;
}

}  // namespace

StatusOr<std::vector<uint8_t>> EncodeTpz(std::span<const Tensor> tensors, const Metadata& metadata,
                                         const TpzOptions& options) {
  std::map<std::string, std::string> original_dtype(options.original_dtype.begin(), options.original_dtype.end());
  TP_RETURN_IF_ERROR(ValidateCodecOptions(options.codec_options));
  struct Job {
    size_t tensor;
    int plane;
    Plane data;
    EncodedStream best;
    Status status;
  };
  std::vector<Job> jobs;
  std::map<std::string, const astc::AstcTensor*> astc_of;
  for (const auto& [name, a] : options.astc) astc_of[name] = &a;
  size_t astc_found = 0;
  for (const Tensor& t : tensors) astc_found += astc_of.count(t.name());
  if (astc_found != options.astc.size())
    return InvalidArgumentError("an ASTC tensor names no tensor of the model, or names one twice");
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (astc_of.count(tensors[i].name())) continue;
    std::vector<Plane> planes = PlanesOf(tensors[i]);
    for (size_t k = 0; k < planes.size(); ++k) jobs.push_back({i, int(k), std::move(planes[k]), {}, {}});
  }
  ParallelFor(jobs.size(), options.codec_options.threads, [&](size_t j) {
    Job& job = jobs[j];
    CodecOptions o = options.codec_options;
    o.threads = 1;
    o.signed_codes = job.data.signed_codes;
    o.zero_code = -1;
    o.rows = job.data.rows;
    std::vector<Codec> candidates;
    if (options.codec) {
      candidates.push_back(*options.codec);  // zstd-3 is added below only as a fallback
    } else {
      candidates.assign(AllCodecs().begin(), AllCodecs().end());
    }
    // An explicit codec is used unless its stream would expand beyond the
    // reader's bound (tpz_format.h); zstd-3 then stands in.
    if (options.codec && options.codec != Codec::kZstd3) candidates.push_back(Codec::kZstd3);
    bool have = false;
    for (size_t ci = 0; ci < candidates.size(); ++ci) {
      auto e = EncodeCodes(candidates[ci], job.data.codes, o);
      if (!e.ok()) {
        if (!options.codec) continue;  // auto: e.g. CSR of a tensor above 2^30 values
        job.status = e.status().WithContext("tensor '" + tensors[job.tensor].name() + "'");
        return;
      }
      if (job.data.codes.size() / tpz::kMaxExpansion > e->bytes.size()) continue;
      if (!have || e->bytes.size() < job.best.bytes.size()) job.best = std::move(*e);
      have = true;
      if (options.codec) break;
    }
    if (!have) job.status = InternalError("no codec could code tensor '" + tensors[job.tensor].name() + "'");
  });
  nlohmann::ordered_json header;
  header["metadata"] = nlohmann::ordered_json::object();
  for (const auto& [k, v] : metadata) header["metadata"][k] = v;
  header["tensors"] = nlohmann::ordered_json::array();
  uint64_t offset = 0;
  size_t j = 0;
  std::vector<std::vector<uint8_t>> astc_data;  // in tensor order, between the planes' streams
  std::vector<std::pair<size_t, size_t>> order;  // data pieces in file order: (0, job) or (1, astc_data index)
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    nlohmann::ordered_json tj;
    tj["name"] = t.name();
    tj["dtype"] = std::string(DTypeName(t.dtype()));
    tj["shape"] = t.shape();
    if (t.quant()) {
      // So that `decompress --dequantize` can restore real values.
      tj["quantization"] = {{"scale", t.quant()->scale},
                            {"zero_point", t.quant()->zero_point},
                            {"axis", t.quant()->axis}};
      if (auto it = original_dtype.find(t.name()); it != original_dtype.end())
        tj["quantization"]["original_dtype"] = it->second;
    }
    if (auto it = astc_of.find(t.name()); it != astc_of.end()) {
      astc_data.emplace_back();
      TP_ASSIGN_OR_RETURN(tj["astc"], AstcEntry(t, *it->second, offset, astc_data.back()));
      offset += astc_data.back().size();
      order.push_back({1, astc_data.size() - 1});
      header["tensors"].push_back(std::move(tj));
      continue;
    }
    tj["planes"] = nlohmann::ordered_json::array();
    for (; j < jobs.size() && jobs[j].tensor == i; ++j) {
      order.push_back({0, j});
      TP_RETURN_IF_ERROR(jobs[j].status);
      const auto& s = jobs[j].best.bytes;
      TP_ASSIGN_OR_RETURN(std::vector<StreamSpan> spans, StreamChunkSpans(s));
      nlohmann::ordered_json sums = nlohmann::ordered_json::array();
      for (const StreamSpan& sp : spans) sums.push_back(Hex64(XXH3_64bits(s.data() + sp.offset, sp.size)));
      tj["planes"].push_back({{"codec", std::string(CodecName(jobs[j].best.codec))},
                              {"offset", offset},
                              {"size", s.size()},
                              {"xxh3", std::move(sums)}});
      offset += s.size();
    }
    header["tensors"].push_back(std::move(tj));
  }
  const std::string h = header.dump();
  std::vector<uint8_t> out(tpz::kPrefixBytes);
  std::memcpy(out.data(), tpz::kMagic, 4);
  const uint32_t version = tpz::kVersion;
  const uint64_t hsize = h.size(), hsum = XXH3_64bits(h.data(), h.size());
  std::memcpy(out.data() + 4, &version, 4);
  std::memcpy(out.data() + 8, &hsize, 8);
  std::memcpy(out.data() + 16, &hsum, 8);
  out.insert(out.end(), h.begin(), h.end());
  out.reserve(out.size() + offset);
  for (auto [astc_piece, k] : order) {
    const std::vector<uint8_t>& piece = astc_piece ? astc_data[k] : jobs[k].best.bytes;
    out.insert(out.end(), piece.begin(), piece.end());
  }
  return out;
}

Status WriteTpz(const std::string& path, std::span<const Tensor> tensors, const Metadata& metadata,
                const TpzOptions& options, const WriteOptions& write) {
  TP_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, EncodeTpz(tensors, metadata, options));
  TP_ASSIGN_OR_RETURN(auto file, AtomicFile::Create(path, write));
  TP_RETURN_IF_ERROR(file->Write(bytes));
  return file->Commit();
}

}  // namespace tp
