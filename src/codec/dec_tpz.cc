// .tpz reader (layout in include/tensorpress/tpz.h). Every field of the
// untrusted header is checked before use; a failure names the tensor and
// plane. Never includes the encoder.
#include <xxhash.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
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

// An ASTC tensor's header entry, checked; its data still unread.
struct AstcRef {
  astc::AstcTensor meta;  // everything but the blocks and tile ranges
  std::span<const uint8_t> data;
  std::string checksum;
  double rmse = 0, max_error = 0, snr_db = 0;
};

// Parses the "astc" entry of a tensor; every field is checked against the
// data section and the tensor's shape before anything is allocated.
StatusOr<AstcRef> ParseAstcEntry(const nlohmann::ordered_json& e, std::span<const uint8_t> data, DType dtype,
                                 uint64_t elements) {
  auto bad = [](const std::string& what) { return CorruptDataError("ASTC entry: " + what); };
  auto uint_field = [&](const nlohmann::ordered_json& o, const char* key, uint64_t max) -> std::optional<uint64_t> {
    if (!o.is_object() || !o.contains(key) || !o[key].is_number_unsigned() || o[key].get<uint64_t>() > max)
      return std::nullopt;
    return o[key].get<uint64_t>();
  };
  auto float_field = [](const nlohmann::ordered_json& o, const char* key) -> std::optional<double> {
    if (!o.is_object() || !o.contains(key) || !o[key].is_number()) return std::nullopt;
    return o[key].get<double>();
  };
  if (!e.is_object()) return bad("not an object");
  if (dtype != DType::kF32 && dtype != DType::kF64 && dtype != DType::kF16 && dtype != DType::kBF16)
    return bad("dtype is not a float type");
  AstcRef r;
  astc::AstcTensor& a = r.meta;
  if (!e.contains("footprint") || !e["footprint"].is_array() || e["footprint"].size() != 2 ||
      !e["footprint"][0].is_number_integer() || !e["footprint"][1].is_number_integer())
    return bad("no footprint");
  const int64_t bx = e["footprint"][0].get<int64_t>(), by = e["footprint"][1].get<int64_t>();
  if (bx < 4 || bx > 12 || by < 4 || by > 12 || !astc::IsValidFootprint(int(bx), int(by)))
    return bad("footprint is not an ASTC 2-D footprint");
  a.image.block_x = int(bx);
  a.image.block_y = int(by);
  auto channels = uint_field(e, "channels", 4);
  if (!channels || (*channels != 1 && *channels != 4)) return bad("channels must be 1 or 4");
  a.channels = int(*channels);
  if (!e.contains("matrix") || !e["matrix"].is_array() || e["matrix"].size() != 2 ||
      !e["matrix"][0].is_number_unsigned() || !e["matrix"][1].is_number_unsigned())
    return bad("no matrix shape");
  const uint64_t rows = e["matrix"][0].get<uint64_t>(), cols = e["matrix"][1].get<uint64_t>();
  if (rows == 0 || cols == 0 || rows > 0xffffff || cols % a.channels != 0 || cols / a.channels > 0xffffff)
    return bad("matrix shape is not an ASTC image");
  if (rows * cols != elements) return bad("matrix shape does not hold the tensor's elements");
  a.shape = {int64_t(rows), int64_t(cols)};
  a.image.height = int(rows);
  a.image.width = int(cols / a.channels);
  if (!e.contains("map") || !e["map"].is_object()) return bad("no affine map");
  auto offset = float_field(e["map"], "offset"), scale = float_field(e["map"], "scale");
  auto tile = uint_field(e["map"], "tile", 0xffffff);
  if (!offset || !scale || !tile) return bad("malformed affine map");
  a.offset = static_cast<float>(*offset);
  a.scale = static_cast<float>(*scale);
  a.affine_tile = int(*tile);
  if (!std::isfinite(a.offset) || !std::isfinite(a.scale) || !std::isfinite(std::abs(a.offset) + std::abs(a.scale)))
    return bad("affine map is not finite");
  const uint64_t block_bytes = uint64_t(a.image.blocks_x()) * uint64_t(a.image.blocks_y()) * astc::kBlockBytes;
  const uint64_t tile_bytes = a.affine_tile ? 2 * uint64_t(a.tiles_x()) * uint64_t(a.tiles_y()) : 0;
  auto off = uint_field(e, "offset", UINT64_MAX), size = uint_field(e, "size", UINT64_MAX);
  if (!off || !size || !e.contains("xxh3") || !e["xxh3"].is_string()) return bad("malformed data location");
  if (*off > data.size() || *size > data.size() - *off) return bad("data runs past the end of the file");
  if (*size != block_bytes + tile_bytes)
    return bad("data holds " + std::to_string(*size) + " bytes, not the " + std::to_string(a.image.blocks_x()) +
               "x" + std::to_string(a.image.blocks_y()) + " blocks" + (tile_bytes ? " and tile ranges" : "") +
               " of the matrix (" + std::to_string(block_bytes + tile_bytes) + " bytes)");
  r.data = data.subspan(*off, *size);
  r.checksum = e["xxh3"].get<std::string>();
  if (!e.contains("error") || !e["error"].is_object()) return bad("no error record");
  auto rmse = float_field(e["error"], "rmse"), max_error = float_field(e["error"], "max_error");
  if (!rmse || !max_error || !(*rmse >= 0) || !(*max_error >= 0)) return bad("malformed error record");
  r.rmse = *rmse;
  r.max_error = *max_error;
  r.snr_db = std::numeric_limits<double>::infinity();
  if (e["error"].contains("snr_db")) {
    auto snr = float_field(e["error"], "snr_db");
    if (!snr) return bad("malformed error record");
    r.snr_db = *snr;
  }
  return r;
}

// Checks the data's checksum, then decodes the blocks through the map into
// the tensor's dtype.
Status DecodeAstcTensor(const std::string& name, DType dtype, const Shape& shape, const AstcRef& ref,
                        std::vector<uint8_t>& out) {
  if (Hex64(XXH3_64bits(ref.data.data(), ref.data.size())) != ref.checksum)
    return CorruptDataError("ASTC data checksum mismatch");
  astc::AstcTensor a = ref.meta;
  const size_t block_bytes = ref.data.size() - (a.affine_tile ? 2 * size_t(a.tiles_x()) * size_t(a.tiles_y()) : 0);
  a.image.blocks.assign(ref.data.begin(), ref.data.begin() + static_cast<std::ptrdiff_t>(block_bytes));
  a.tile_ranges.assign(ref.data.begin() + static_cast<std::ptrdiff_t>(block_bytes), ref.data.end());
  auto t = astc::DecodeTensor(a, name, dtype, shape);
  if (!t.ok()) return CorruptDataError(t.status().message());
  out.assign(t->bytes().begin(), t->bytes().end());
  return Status::Ok();
}

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
    std::optional<AstcRef> astc;
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
    if (tj.contains("astc")) {
      if (tj.contains("planes") || p.quant) return bad("an ASTC tensor has planes or quantization");
      auto a = ParseAstcEntry(tj["astc"], data, p.dtype, *elements);
      if (!a.ok()) return bad(a.status().message());
      p.astc = std::move(*a);
      pending.push_back(std::move(p));
      continue;
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
    if (pending[i].astc) {
      planes[i].resize(1);  // filled with the restored tensor's bytes
      jobs.push_back({i, 0});
      continue;
    }
    planes[i].resize(pending[i].planes.size());
    for (size_t k = 0; k < pending[i].planes.size(); ++k) {
      planes[i][k].resize(pending[i].plane_values);
      jobs.push_back({i, k});
    }
  }
  std::vector<Status> status(jobs.size());
  ParallelFor(jobs.size(), threads, [&](size_t j) {
    const Pending& p = pending[jobs[j].tensor];
    if (p.astc) {
      status[j] = DecodeAstcTensor(p.name, p.dtype, p.shape, *p.astc, planes[jobs[j].tensor][0]);
      if (!status[j].ok()) status[j] = CorruptDataError(name + ": tensor '" + p.name + "': " + status[j].message());
      return;
    }
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
    if (p.astc) {
      TP_ASSIGN_OR_RETURN(Tensor t, Tensor::FromBytes(p.name, p.dtype, p.shape, std::move(planes[i][0])));
      model.tensors.push_back(std::move(t));
      continue;
    }
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

StatusOr<std::vector<TpzLossyTensor>> TpzLossyTensors(std::span<const uint8_t> bytes, const std::string& name) {
  auto corrupt = [&](const std::string& what) { return CorruptDataError(name + ": " + what); };
  if (bytes.size() < tpz::kPrefixBytes || std::memcmp(bytes.data(), tpz::kMagic, 4) != 0)
    return corrupt("not a .tpz file (bad magic or too short)");
  uint64_t hsize, hsum;
  std::memcpy(&hsize, bytes.data() + 8, 8);
  std::memcpy(&hsum, bytes.data() + 16, 8);
  if (hsize > bytes.size() - tpz::kPrefixBytes) return corrupt("header size runs past the end of the file");
  const auto header_bytes = bytes.subspan(tpz::kPrefixBytes, hsize);
  if (XXH3_64bits(header_bytes.data(), header_bytes.size()) != hsum) return corrupt("header checksum mismatch");
  const auto data = bytes.subspan(tpz::kPrefixBytes + hsize);
  nlohmann::ordered_json header =
      nlohmann::ordered_json::parse(header_bytes.begin(), header_bytes.end(), nullptr, false);
  if (header.is_discarded() || !header.is_object() || !header.contains("tensors") || !header["tensors"].is_array())
    return corrupt("header has no tensor list");
  std::vector<TpzLossyTensor> out;
  for (const auto& tj : header["tensors"]) {
    if (!tj.is_object() || !tj.contains("astc")) continue;
    if (!tj.contains("name") || !tj["name"].is_string() || !tj.contains("dtype") || !tj["dtype"].is_string() ||
        !tj.contains("shape") || !tj["shape"].is_array())
      return corrupt("malformed tensor entry");
    TpzLossyTensor info;
    info.name = tj["name"].get<std::string>();
    auto dtype = DTypeFromName(tj["dtype"].get<std::string>());
    Shape shape;
    for (const auto& d : tj["shape"]) {
      if (!d.is_number_integer() || d.get<int64_t>() < 0) return corrupt("tensor '" + info.name + "': bad dimension");
      shape.push_back(d.get<int64_t>());
    }
    auto elements = ElementCount(shape);
    if (!dtype || !elements) return corrupt("tensor '" + info.name + "': bad dtype or shape");
    auto ref = ParseAstcEntry(tj["astc"], data, *dtype, *elements);
    if (!ref.ok()) return corrupt("tensor '" + info.name + "': " + ref.status().message());
    const astc::AstcTensor& a = ref->meta;
    info.codec = "astc " + std::to_string(a.image.block_x) + "x" + std::to_string(a.image.block_y) +
                 (a.channels == 4 ? " rgba" : " luminance") +
                 (a.affine_tile == 0   ? ", map per tensor"
                  : a.affine_tile == 1 ? ", map per block"
                                       : ", map per " + std::to_string(a.affine_tile) + "x" +
                                             std::to_string(a.affine_tile) + " blocks");
    info.weights = *elements;
    info.stored_bytes = ref->data.size() + 8;
    info.bits_per_weight = 8.0 * double(info.stored_bytes) / double(info.weights);
    info.rmse = ref->rmse;
    info.max_error = ref->max_error;
    info.snr_db = ref->snr_db;
    out.push_back(std::move(info));
  }
  return out;
}

StatusOr<Model> ReadTpz(const std::string& path, int threads) {
  TP_ASSIGN_OR_RETURN(auto file, MappedFile::Open(path));
  return DecodeTpz(file->bytes(), path, threads);
}

}  // namespace tp
