// .tpz reader (layout in include/tensorpress/tpz.h). Every field of the
// untrusted header is checked before use; a failure names the tensor and
// plane. Never includes the encoder.
#include <xxhash.h>

#include <algorithm>
#include <cstring>
#include <optional>
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

struct PlaneRef {
  std::span<const uint8_t> stream;
  std::vector<std::string> checksums;  // stream header, then each chunk
};

}  // namespace

StatusOr<Model> DecodeTpz(std::span<const uint8_t> bytes, const std::string& name, int threads) {
  auto corrupt = [&](const std::string& what) { return CorruptDataError(name + ": " + what); };
  if (bytes.size() < tpz::kPrefixBytes || std::memcmp(bytes.data(), tpz::kMagic, 4) != 0)
    return corrupt("not a .tpz file (bad magic or too short)");
  uint32_t version;
  uint64_t hsize, hsum;
  std::memcpy(&version, bytes.data() + 4, 4);
  std::memcpy(&hsize, bytes.data() + 8, 8);
  std::memcpy(&hsum, bytes.data() + 16, 8);
  if (version != tpz::kVersion) return corrupt("format version " + std::to_string(version) + " is not supported");
  if (hsize > bytes.size() - tpz::kPrefixBytes) return corrupt("header size runs past the end of the file");
  const auto header_bytes = bytes.subspan(tpz::kPrefixBytes, hsize);
  if (XXH3_64bits(header_bytes.data(), header_bytes.size()) != hsum) return corrupt("header checksum mismatch");
  const auto data = bytes.subspan(tpz::kPrefixBytes + hsize);

  nlohmann::ordered_json header =
      nlohmann::ordered_json::parse(header_bytes.begin(), header_bytes.end(), nullptr, false);
  if (header.is_discarded() || !header.is_object()) return corrupt("header is not a JSON object");
  Model model;
  model.path = name;
  model.format = ModelFormat::kUnknown;
  if (header.contains("metadata")) {
    if (!header["metadata"].is_object()) return corrupt("metadata is not an object");
    for (const auto& [k, v] : header["metadata"].items()) {
      if (!v.is_string()) return corrupt("metadata value of '" + k + "' is not a string");
      model.metadata.push_back({k, v.get<std::string>()});
    }
  }
  if (!header.contains("tensors") || !header["tensors"].is_array()) return corrupt("header has no tensor list");

  struct Pending {
    std::string name;
    DType dtype;
    Shape shape;
    std::vector<PlaneRef> planes;
    uint64_t plane_values = 0;
    std::optional<QuantParams> quant;
  };
  std::vector<Pending> pending;
  for (const auto& tj : header["tensors"]) {
    if (!tj.is_object() || !tj.contains("name") || !tj["name"].is_string()) return corrupt("tensor without a name");
    Pending p;
    p.name = tj["name"].get<std::string>();
    auto bad = [&](const std::string& what) { return corrupt("tensor '" + p.name + "': " + what); };
    if (!tj.contains("dtype") || !tj["dtype"].is_string()) return bad("no dtype");
    auto dtype = DTypeFromName(tj["dtype"].get<std::string>());
    if (!dtype) return bad("unknown dtype");
    p.dtype = *dtype;
    if (!tj.contains("shape") || !tj["shape"].is_array()) return bad("no shape");
    for (const auto& d : tj["shape"]) {
      if (!d.is_number_integer() || d.get<int64_t>() < 0) return bad("bad dimension");
      p.shape.push_back(d.get<int64_t>());
    }
    auto elements = ElementCount(p.shape);
    if (!elements) return bad("shape overflows");
    auto nbytes = StorageBytes(p.dtype, *elements);
    if (!nbytes) return bad("size overflows or is not a whole number of blocks");
    const int count = tpz::PlaneCount(p.dtype);
    p.plane_values = *nbytes / count;
    if (tj.contains("quantization")) {
      const auto& q = tj["quantization"];
      if (!q.is_object() || !q.contains("scale") || !q["scale"].is_array() || !q.contains("zero_point") ||
          !q["zero_point"].is_array() || !q.contains("axis") || !q["axis"].is_number_integer())
        return bad("malformed quantization record");
      QuantParams qp;
      qp.axis = static_cast<int>(std::clamp<int64_t>(q["axis"].get<int64_t>(), -1, 64));
      if (q["scale"].size() > std::max<uint64_t>(*elements, 1) || q["scale"].size() != q["zero_point"].size())
        return bad("quantization record does not fit the tensor");
      for (const auto& v : q["scale"]) {
        if (!v.is_number()) return bad("quantization scale is not a number");
        qp.scale.push_back(v.get<float>());
      }
      for (const auto& v : q["zero_point"]) {
        if (!v.is_number_integer()) return bad("quantization zero point is not an integer");
        qp.zero_point.push_back(v.get<int64_t>());
      }
      p.quant = std::move(qp);
    }
    if (!tj.contains("planes") || !tj["planes"].is_array() || tj["planes"].size() != size_t(count))
      return bad("expected " + std::to_string(count) + " planes");
    for (const auto& pj : tj["planes"]) {
      if (!pj.is_object() || !pj.contains("offset") || !pj.contains("size") || !pj.contains("xxh3") ||
          !pj["offset"].is_number_unsigned() || !pj["size"].is_number_unsigned() || !pj["xxh3"].is_array())
        return bad("malformed plane entry");
      std::vector<std::string> sums;
      for (const auto& h : pj["xxh3"]) {
        if (!h.is_string()) return bad("malformed checksum");
        sums.push_back(h.get<std::string>());
      }
      const uint64_t off = pj["offset"].get<uint64_t>(), size = pj["size"].get<uint64_t>();
      if (off > data.size() || size > data.size() - off) return bad("plane runs past the end of the file");
      if (p.plane_values / tpz::kMaxExpansion > size) return bad("plane is too small for its tensor");
      p.planes.push_back({data.subspan(off, size), std::move(sums)});
    }
    pending.push_back(std::move(p));
  }

  // Decode every plane (in parallel over planes; chunks inside on one thread each).
  struct Job {
    size_t tensor;
    size_t plane;
  };
  std::vector<Job> jobs;
  std::vector<std::vector<std::vector<uint8_t>>> planes(pending.size());
  for (size_t i = 0; i < pending.size(); ++i) {
    planes[i].resize(pending[i].planes.size());
    for (size_t k = 0; k < pending[i].planes.size(); ++k) {
      planes[i][k].resize(pending[i].plane_values);
      jobs.push_back({i, k});
    }
  }
  std::vector<Status> status(jobs.size());
  ParallelFor(jobs.size(), threads, [&](size_t j) {
    const Pending& p = pending[jobs[j].tensor];
    const PlaneRef& ref = p.planes[jobs[j].plane];
    const std::string where = "tensor '" + p.name + "' plane " + std::to_string(jobs[j].plane);
    // The stream's header first (it locates the chunks), then every chunk.
    auto spans = StreamChunkSpans(ref.stream);
    if (ref.checksums.empty() ||
        (spans.ok() && !spans->empty() &&
         Hex64(XXH3_64bits(ref.stream.data(), (*spans)[0].size)) != ref.checksums[0]) ||
        (!spans.ok() && Hex64(XXH3_64bits(ref.stream.data(), ref.stream.size())) != ref.checksums[0])) {
      status[j] = corrupt(where + ": stream header checksum mismatch");
      return;
    }
    if (!spans.ok()) {
      status[j] = corrupt(where + ": " + spans.status().message());
      return;
    }
    if (spans->size() != ref.checksums.size()) {
      status[j] = corrupt(where + ": " + std::to_string(ref.checksums.size() - 1) + " chunk checksums for " +
                          std::to_string(spans->size() - 1) + " chunks");
      return;
    }
    for (size_t c = 1; c < spans->size(); ++c)
      if (Hex64(XXH3_64bits(ref.stream.data() + (*spans)[c].offset, (*spans)[c].size)) != ref.checksums[c]) {
        status[j] = corrupt(where + " chunk " + std::to_string(c - 1) + ": checksum mismatch");
        return;
      }
    Status st = DecodeCodes(ref.stream, planes[jobs[j].tensor][jobs[j].plane], 1);
    if (!st.ok()) status[j] = CorruptDataError(name + ": " + where + ": " + st.message());
  });
  for (const Status& st : status) TP_RETURN_IF_ERROR(st);

  for (size_t i = 0; i < pending.size(); ++i) {
    Pending& p = pending[i];
    const size_t count = planes[i].size();
    std::vector<uint8_t> bytes(p.plane_values * count);
    for (size_t k = 0; k < count; ++k)
      for (uint64_t v = 0; v < p.plane_values; ++v) bytes[v * count + k] = planes[i][k][v];
    if (p.dtype == DType::kI8)
      for (uint8_t& b : bytes) b ^= 0x80;  // codes back to values
    planes[i].clear();
    TP_ASSIGN_OR_RETURN(Tensor t, Tensor::FromBytes(p.name, p.dtype, p.shape, std::move(bytes)));
    if (p.quant) t.set_quant(std::move(*p.quant));
    model.tensors.push_back(std::move(t));
  }
  return model;
}

StatusOr<Model> ReadTpz(const std::string& path, int threads) {
  TP_ASSIGN_OR_RETURN(auto file, MappedFile::Open(path));
  return DecodeTpz(file->bytes(), path, threads);
}

}  // namespace tp
