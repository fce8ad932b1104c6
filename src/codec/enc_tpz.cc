// .tpz writer (layout in include/tensorpress/tpz.h).
#include <xxhash.h>

#include <cmath>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>

#include "codec/float_fields.h"
#include "codec/tpz_format.h"
#include "tensorpress/parallel.h"
#include "tensorpress/tpz.h"

namespace tp {
namespace {

struct Plane {
  tpz::PlaneSpec spec;
  std::vector<uint8_t> codes;
  uint64_t rows = 1;
};

// The tensor's planes under `layout` (which must apply to its dtype).
std::vector<Plane> PlanesOf(const Tensor& t, TpzLayout layout) {
  const std::vector<tpz::PlaneSpec> specs = *tpz::LayoutPlanes(layout, t.dtype(), t.elements());
  const auto bytes = t.bytes();
  std::vector<Plane> planes(specs.size());
  for (size_t k = 0; k < specs.size(); ++k) planes[k].spec = specs[k];
  if (layout == TpzLayout::kFloatFields) {
    std::vector<std::vector<uint8_t>> split;
    tpz::SplitFloatFields(*tpz::FieldFormatOf(t.dtype()), bytes, t.elements(), split);
    for (size_t k = 0; k < specs.size(); ++k) planes[k].codes = std::move(split[k]);
    return planes;
  }
  if (layout == TpzLayout::kWhole) {
    planes[0].codes.assign(bytes.begin(), bytes.end());
    return planes;
  }
  const size_t count = specs.size();
  const uint64_t n = bytes.size() / count;
  for (size_t k = 0; k < count; ++k) {
    planes[k].codes.resize(n);
    for (uint64_t i = 0; i < n; ++i) planes[k].codes[i] = bytes[i * count + k];
    if (t.rank() >= 2 && t.shape()[0] > 0 && count == 1 && n % uint64_t(t.shape()[0]) == 0)
      planes[k].rows = static_cast<uint64_t>(t.shape()[0]);
  }
  if (t.dtype() == DType::kI8)
    for (uint8_t& c : planes[0].codes) c ^= 0x80;  // code = value + 128
  return planes;
}

// The layouts to try for a tensor.
std::vector<TpzLayout> LayoutsFor(const Tensor& t, TpzLayout requested) {
  const bool fields = tpz::FieldFormatOf(t.dtype()).has_value();
  switch (requested) {
    case TpzLayout::kAuto:
      if (fields) return {TpzLayout::kBytePlanes, TpzLayout::kFloatFields};
      return {TpzLayout::kBytePlanes};
    case TpzLayout::kFloatFields: return {fields ? TpzLayout::kFloatFields : TpzLayout::kBytePlanes};
    default: return {requested};
  }
}

// The stored form of one plane: a codec stream, or the bytes (raw).
struct Stored {
  bool raw = false;
  EncodedStream stream;
  uint64_t size() const { return stream.bytes.size(); }
};

// XXH3 of each part a reader checks on its own: the stream header and every
// chunk, or every block of a raw plane.
StatusOr<nlohmann::ordered_json> Checksums(const Stored& s) {
  nlohmann::ordered_json sums = nlohmann::ordered_json::array();
  const auto& b = s.stream.bytes;
  if (s.raw) {
    for (uint64_t off = 0; off < b.size(); off += tpz::kRawBlockBytes)
      sums.push_back(tpz::Xxh3Hex(b.data() + off, std::min<uint64_t>(tpz::kRawBlockBytes, b.size() - off)));
    return sums;
  }
  TP_ASSIGN_OR_RETURN(std::vector<StreamSpan> spans, StreamChunkSpans(b));
  for (const StreamSpan& sp : spans) sums.push_back(tpz::Xxh3Hex(b.data() + sp.offset, sp.size));
  return sums;
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
  e["xxh3"] = tpz::Xxh3Hex(data.data(), data.size());
  e["error"] = {{"rmse", err.rmse}, {"max_error", err.max_abs}};
  if (std::isfinite(err.snr_db)) e["error"]["snr_db"] = err.snr_db;  // JSON has no infinity: absent when exact
  return e;
}

}  // namespace

StatusOr<std::vector<uint8_t>> EncodeTpz(std::span<const Tensor> tensors, const Metadata& metadata,
                                         const TpzOptions& options, TpzReport* report) {
  std::map<std::string, std::string> original_dtype(options.original_dtype.begin(), options.original_dtype.end());
  TP_RETURN_IF_ERROR(ValidateCodecOptions(options.codec_options));
  struct Job {
    size_t tensor;
    size_t candidate;  // index into the tensor's layouts
    Plane data;
    Stored best;
    Status status;
  };
  std::vector<std::vector<TpzLayout>> layouts(tensors.size());
  std::vector<Job> jobs;
  std::map<std::string, const astc::AstcTensor*> astc_of;
  for (const auto& [name, a] : options.astc) astc_of[name] = &a;
  size_t astc_found = 0;
  for (const Tensor& t : tensors) astc_found += astc_of.count(t.name());
  if (astc_found != options.astc.size())
    return InvalidArgumentError("an ASTC tensor names no tensor of the model, or names one twice");
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (astc_of.count(tensors[i].name())) continue;  // stored as ASTC, not as planes
    layouts[i] = LayoutsFor(tensors[i], options.layout);
    for (size_t c = 0; c < layouts[i].size(); ++c)
      for (Plane& p : PlanesOf(tensors[i], layouts[i][c])) jobs.push_back({i, c, std::move(p), {}, {}});
  }
  ParallelFor(jobs.size(), options.codec_options.threads, [&](size_t j) {
    Job& job = jobs[j];
    CodecOptions o = options.codec_options;
    o.threads = 1;
    o.signed_codes = job.data.spec.signed_codes;
    o.zero_code = -1;
    o.rows = job.data.rows;
    std::vector<Codec> candidates;
    if (options.codec) {
      candidates.push_back(*options.codec);  // zstd-3 is added below only as a fallback
    } else {
      candidates.assign(AllCodecs().begin(), AllCodecs().end());
      // Stored bytes are the bound every codec is measured against.
      job.best.raw = true;
      job.best.stream.bytes = job.data.codes;
    }
    bool have = !options.codec;
    // An explicit codec is used unless its stream would expand beyond the
    // reader's bound (tpz_format.h); zstd-3 then stands in.
    if (options.codec && options.codec != Codec::kZstd3) candidates.push_back(Codec::kZstd3);
    for (size_t ci = 0; ci < candidates.size(); ++ci) {
      auto e = EncodeCodes(candidates[ci], job.data.codes, o);
      if (!e.ok()) {
        if (!options.codec) continue;  // auto: e.g. CSR of a tensor above 2^30 values
        job.status = e.status().WithContext("tensor '" + tensors[job.tensor].name() + "'");
        return;
      }
      if (job.data.codes.size() / tpz::kMaxExpansion > e->bytes.size()) continue;
      if (!have || e->bytes.size() < job.best.size()) job.best = {false, std::move(*e)};
      have = true;
      if (options.codec) break;
    }
    if (!have) job.status = InternalError("no codec could code tensor '" + tensors[job.tensor].name() + "'");
  });
  for (const Job& job : jobs) TP_RETURN_IF_ERROR(job.status);

  // Per tensor, the candidate layout whose planes are smallest (the first on a tie).
  std::vector<size_t> chosen(tensors.size(), 0);
  std::vector<std::vector<uint64_t>> sizes(tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) sizes[i].assign(layouts[i].size(), 0);
  for (const Job& job : jobs) sizes[job.tensor][job.candidate] += job.best.size();
  for (size_t i = 0; i < tensors.size(); ++i)
    for (size_t c = 1; c < sizes[i].size(); ++c)
      if (sizes[i][c] < sizes[i][chosen[i]]) chosen[i] = c;

  nlohmann::ordered_json header;
  header["metadata"] = nlohmann::ordered_json::object();
  for (const auto& [k, v] : metadata) header["metadata"][k] = v;
  header["tensors"] = nlohmann::ordered_json::array();
  if (report) *report = {};
  uint64_t offset = 0;
  size_t j = 0;
  // The data pieces in file order: the chosen planes' streams and the ASTC
  // tensors' blocks, each in its tensor's place.
  std::vector<const std::vector<uint8_t>*> written;
  std::vector<std::vector<uint8_t>> astc_data(tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    nlohmann::ordered_json tj;
    tj["name"] = t.name();
    tj["dtype"] = std::string(DTypeName(t.dtype()));
    tj["shape"] = t.shape();
    if (auto it = astc_of.find(t.name()); it != astc_of.end()) {
      TP_ASSIGN_OR_RETURN(tj["astc"], AstcEntry(t, *it->second, offset, astc_data[i]));
      offset += astc_data[i].size();
      written.push_back(&astc_data[i]);
      header["tensors"].push_back(std::move(tj));
      continue;
    }
    tj["layout"] = std::string(TpzLayoutName(layouts[i][chosen[i]]));
    if (t.quant()) {
      // So that `decompress --dequantize` can restore real values.
      tj["quantization"] = {{"scale", t.quant()->scale},
                            {"zero_point", t.quant()->zero_point},
                            {"axis", t.quant()->axis}};
      if (auto it = original_dtype.find(t.name()); it != original_dtype.end())
        tj["quantization"]["original_dtype"] = it->second;
    }
    TpzTensorReport tr;
    tr.name = t.name();
    tr.dtype = t.dtype();
    tr.elements = t.elements();
    tr.bytes = t.nbytes();
    tr.layout = layouts[i][chosen[i]];
    for (size_t c = 0; c < layouts[i].size(); ++c) tr.tried.push_back({layouts[i][c], sizes[i][c]});
    tj["planes"] = nlohmann::ordered_json::array();
    for (; j < jobs.size() && jobs[j].tensor == i; ++j) {
      const Job& job = jobs[j];
      if (job.candidate != chosen[i]) continue;
      TP_ASSIGN_OR_RETURN(nlohmann::ordered_json sums, Checksums(job.best));
      const std::string codec = job.best.raw ? tpz::kRawCodec : std::string(CodecName(job.best.stream.codec));
      tj["planes"].push_back({{"codec", codec}, {"offset", offset}, {"size", job.best.size()}, {"xxh3", std::move(sums)}});
      offset += job.best.size();
      written.push_back(&job.best.stream.bytes);
      if (report)
        tr.planes.push_back({job.data.spec.name, codec, job.data.codes.size(), job.best.size(),
                             EntropyBitsPerValue(job.data.codes)});
    }
    header["tensors"].push_back(std::move(tj));
    if (report) report->tensors.push_back(std::move(tr));
  }
  const std::vector<uint8_t> h = tpz::PackHeader(header.dump());
  if (h.empty()) return InternalError("could not compress the .tpz header");
  std::vector<uint8_t> out(tpz::kPrefixBytes);
  std::memcpy(out.data(), tpz::kMagic, 4);
  const uint32_t version = tpz::kVersion;
  const uint64_t hsize = h.size(), hsum = XXH3_64bits(h.data(), h.size());
  std::memcpy(out.data() + 4, &version, 4);
  std::memcpy(out.data() + 8, &hsize, 8);
  std::memcpy(out.data() + 16, &hsum, 8);
  out.insert(out.end(), h.begin(), h.end());
  out.reserve(out.size() + offset);
  for (const std::vector<uint8_t>* piece : written) out.insert(out.end(), piece->begin(), piece->end());
  if (report) {
    report->header_bytes = tpz::kPrefixBytes + h.size();
    report->file_bytes = out.size();
  }
  return out;
}

Status WriteTpz(const std::string& path, std::span<const Tensor> tensors, const Metadata& metadata,
                const TpzOptions& options, const WriteOptions& write, TpzReport* report) {
  TP_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, EncodeTpz(tensors, metadata, options, report));
  TP_ASSIGN_OR_RETURN(auto file, AtomicFile::Create(path, write));
  TP_RETURN_IF_ERROR(file->Write(bytes));
  return file->Commit();
}

}  // namespace tp
