// .tpz reader (layout in include/tensorpress/tpz.h). Every field of the
// untrusted header is checked before use; a failure names the tensor and
// plane. Never includes the encoder.
#include <xxhash.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>

#include "codec/float_fields.h"
#include "codec/tpz_format.h"
#include "tensorpress/container.h"
#include "tensorpress/parallel.h"
#include "tensorpress/tpz.h"

namespace tp {
namespace {

struct PlaneRef {
  tpz::PlaneSpec spec;
  bool raw = false;
  std::span<const uint8_t> stored;
  std::vector<std::string> checksums;  // raw: per block; stream: header, then each chunk
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
  if (tpz::Xxh3Hex(ref.data.data(), ref.data.size()) != ref.checksum)
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

// What TpzLossyTensors and TpzTensorInfo::lossy report of an ASTC tensor.
TpzLossyTensor LossyInfo(const std::string& name, uint64_t elements, const AstcRef& ref) {
  TpzLossyTensor info;
  info.name = name;
  const astc::AstcTensor& a = ref.meta;
  info.codec = "astc " + std::to_string(a.image.block_x) + "x" + std::to_string(a.image.block_y) +
               (a.channels == 4 ? " rgba" : " luminance") +
               (a.affine_tile == 0   ? ", map per tensor"
                : a.affine_tile == 1 ? ", map per block"
                                     : ", map per " + std::to_string(a.affine_tile) + "x" +
                                           std::to_string(a.affine_tile) + " blocks");
  info.weights = elements;
  info.stored_bytes = ref.data.size() + 8;
  info.bits_per_weight = 8.0 * double(info.stored_bytes) / double(info.weights);
  info.rmse = ref.rmse;
  info.max_error = ref.max_error;
  info.snr_db = ref.snr_db;
  return info;
}

struct Entry {
  TpzTensorInfo info;
  std::vector<PlaneRef> planes;
  std::optional<AstcRef> astc;  // an ASTC tensor has no planes
};

}  // namespace

struct TpzReader::Impl {
  // A version-3 (streaming) container: every call goes to it.
  std::optional<TpzArchive> v3;
  std::string name;
  std::span<const uint8_t> bytes;
  std::shared_ptr<const void> owner;
  Metadata metadata;
  std::vector<TpzTensorInfo> infos;
  std::vector<Entry> entries;

  Status Corrupt(const std::string& what) const { return CorruptDataError(name + ": " + what); }
  Status Parse();
  // Bytes [range) of one plane, checking only the checksums of the parts read.
  // `out` is sized only once the stream's header has passed its checks.
  Status ReadPlane(const Entry& e, size_t plane, tpz::ByteRange range, std::vector<uint8_t>& out, int threads) const;

  // Elements [first, last) of tensor `index`: the plane bytes they need,
  // decoded by ReadPlane, then put back together by Assemble.
  struct Pending {
    size_t index;
    uint64_t first, last;
    std::vector<tpz::ByteRange> ranges;
    std::vector<std::vector<uint8_t>> planes;
  };
  StatusOr<Pending> Prepare(size_t index, uint64_t first, uint64_t last) const;
  StatusOr<Tensor> Assemble(Pending& p) const;
  struct Span {
    size_t index;
    uint64_t first, last;
  };
  StatusOr<std::vector<Tensor>> Read(std::span<const Span> spans, int threads) const;
  StatusOr<Tensor> ReadOne(size_t index, uint64_t first, uint64_t last, int threads) const {
    const Span s{index, first, last};
    TP_ASSIGN_OR_RETURN(std::vector<Tensor> t, Read({&s, 1}, threads));
    return std::move(t[0]);
  }
};

Status TpzReader::Impl::Parse() {
  if (bytes.size() < tpz::kPrefixBytes || std::memcmp(bytes.data(), tpz::kMagic, 4) != 0)
    return Corrupt("not a .tpz file (bad magic or too short)");
  uint32_t version;
  uint64_t hsize, hsum;
  std::memcpy(&version, bytes.data() + 4, 4);
  std::memcpy(&hsize, bytes.data() + 8, 8);
  std::memcpy(&hsum, bytes.data() + 16, 8);
  if (version != tpz::kVersion)
    return Corrupt(".tpz format version " + std::to_string(version) + " is not supported (this build reads version " +
                   std::to_string(tpz::kVersion) + "; compress the model again)");
  if (hsize > bytes.size() - tpz::kPrefixBytes) return Corrupt("header size runs past the end of the file");
  const auto header_bytes = bytes.subspan(tpz::kPrefixBytes, hsize);
  if (XXH3_64bits(header_bytes.data(), header_bytes.size()) != hsum) return Corrupt("header checksum mismatch");
  const auto data = bytes.subspan(tpz::kPrefixBytes + hsize);

  auto json = tpz::UnpackHeader(header_bytes);
  if (!json.ok()) return Corrupt(json.status().message());
  nlohmann::ordered_json header = nlohmann::ordered_json::parse(*json, nullptr, false);
  if (header.is_discarded() || !header.is_object()) return Corrupt("header is not a JSON object");
  if (header.contains("metadata")) {
    if (!header["metadata"].is_object()) return Corrupt("metadata is not an object");
    for (const auto& [k, v] : header["metadata"].items()) {
      if (!v.is_string()) return Corrupt("metadata value of '" + k + "' is not a string");
      metadata.push_back({k, v.get<std::string>()});
    }
  }
  if (!header.contains("tensors") || !header["tensors"].is_array()) return Corrupt("header has no tensor list");

  for (const auto& tj : header["tensors"]) {
    if (!tj.is_object() || !tj.contains("name") || !tj["name"].is_string()) return Corrupt("tensor without a name");
    Entry e;
    TpzTensorInfo& info = e.info;
    info.name = tj["name"].get<std::string>();
    auto bad = [&](const std::string& what) { return Corrupt("tensor '" + info.name + "': " + what); };
    if (!tj.contains("dtype") || !tj["dtype"].is_string()) return bad("no dtype");
    auto dtype = DTypeFromName(tj["dtype"].get<std::string>());
    if (!dtype) return bad("unknown dtype");
    info.dtype = *dtype;
    if (!tj.contains("shape") || !tj["shape"].is_array()) return bad("no shape");
    for (const auto& d : tj["shape"]) {
      if (!d.is_number_integer() || d.get<int64_t>() < 0) return bad("bad dimension");
      info.shape.push_back(d.get<int64_t>());
    }
    auto elements = ElementCount(info.shape);
    if (!elements) return bad("shape overflows");
    if (!StorageBytes(info.dtype, *elements)) return bad("size overflows or is not a whole number of blocks");
    info.elements = *elements;
    if (tj.contains("astc")) {
      if (tj.contains("planes") || tj.contains("layout") || tj.contains("quantization"))
        return bad("an ASTC tensor has planes, a layout or quantization");
      auto a = ParseAstcEntry(tj["astc"], data, info.dtype, info.elements);
      if (!a.ok()) return bad(a.status().message());
      info.lossy = LossyInfo(info.name, info.elements, *a);
      info.stored_bytes = a->data.size();
      e.astc = std::move(*a);
      infos.push_back(info);
      entries.push_back(std::move(e));
      continue;
    }
    if (!tj.contains("layout") || !tj["layout"].is_string()) return bad("no layout");
    const auto layout = TpzLayoutFromName(tj["layout"].get<std::string>());
    if (!layout || *layout == TpzLayout::kAuto) return bad("unknown layout");
    info.layout = *layout;
    auto specs = tpz::LayoutPlanes(info.layout, info.dtype, info.elements);
    if (!specs) return bad("layout '" + std::string(TpzLayoutName(info.layout)) + "' does not apply to its dtype");
    if (tj.contains("quantization")) {
      const auto& q = tj["quantization"];
      if (!q.is_object() || !q.contains("scale") || !q["scale"].is_array() || !q.contains("zero_point") ||
          !q["zero_point"].is_array() || !q.contains("axis") || !q["axis"].is_number_integer())
        return bad("malformed quantization record");
      QuantParams qp;
      const int64_t axis = q["axis"].get<int64_t>();
      if (axis < -1 || axis >= int64_t(info.shape.size())) return bad("quantization axis is outside the shape");
      qp.axis = static_cast<int>(axis);
      const uint64_t channels = axis < 0 ? 1 : uint64_t(info.shape[size_t(axis)]);
      if (q["scale"].size() != channels || q["zero_point"].size() != channels)
        return bad("quantization record does not fit the tensor");
      for (const auto& v : q["scale"]) {
        if (!v.is_number()) return bad("quantization scale is not a number");
        qp.scale.push_back(v.get<float>());
      }
      for (const auto& v : q["zero_point"]) {
        if (!v.is_number_integer()) return bad("quantization zero point is not an integer");
        qp.zero_point.push_back(v.get<int64_t>());
      }
      if (q.contains("original_dtype")) {
        if (!q["original_dtype"].is_string()) return bad("original dtype is not a string");
        info.original_dtype = q["original_dtype"].get<std::string>();
      }
      info.quant = std::move(qp);
    }
    if (!tj.contains("planes") || !tj["planes"].is_array() || tj["planes"].size() != specs->size())
      return bad("expected " + std::to_string(specs->size()) + " planes");
    for (size_t k = 0; k < specs->size(); ++k) {
      const auto& pj = tj["planes"][k];
      if (!pj.is_object() || !pj.contains("offset") || !pj.contains("size") || !pj.contains("xxh3") ||
          !pj.contains("codec") || !pj["codec"].is_string() || !pj["offset"].is_number_unsigned() ||
          !pj["size"].is_number_unsigned() || !pj["xxh3"].is_array())
        return bad("malformed plane entry");
      PlaneRef ref;
      ref.spec = (*specs)[k];
      for (const auto& h : pj["xxh3"]) {
        if (!h.is_string()) return bad("malformed checksum");
        ref.checksums.push_back(h.get<std::string>());
      }
      const uint64_t off = pj["offset"].get<uint64_t>(), size = pj["size"].get<uint64_t>();
      if (off > data.size() || size > data.size() - off) return bad("plane runs past the end of the file");
      ref.raw = pj["codec"].get<std::string>() == tpz::kRawCodec;
      if (ref.raw) {
        if (size != ref.spec.bytes) return bad("raw plane " + ref.spec.name + " has the wrong size");
        if (ref.checksums.size() != (size + tpz::kRawBlockBytes - 1) / tpz::kRawBlockBytes)
          return bad("raw plane " + ref.spec.name + " has the wrong number of checksums");
      } else {
        const auto codec = CodecFromName(pj["codec"].get<std::string>());
        if (!codec) return bad("plane " + ref.spec.name + " has an unknown codec");
        if (ref.spec.bytes / tpz::kMaxExpansion > size) return bad("plane is too small for its tensor");
        if (ref.checksums.empty()) return bad("plane " + ref.spec.name + " has no checksums");
      }
      ref.stored = data.subspan(off, size);
      info.stored_bytes += size;
      e.planes.push_back(std::move(ref));
    }
    infos.push_back(info);
    entries.push_back(std::move(e));
  }
  return Status::Ok();
}

Status TpzReader::Impl::ReadPlane(const Entry& e, size_t plane, tpz::ByteRange range, std::vector<uint8_t>& out,
                                  int threads) const {
  const PlaneRef& ref = e.planes[plane];
  const std::string where = "tensor '" + e.info.name + "' plane " + ref.spec.name;
  if (range.end == range.begin) return Status::Ok();
  if (ref.raw) {
    for (uint64_t b = range.begin / tpz::kRawBlockBytes; b * tpz::kRawBlockBytes < range.end; ++b) {
      const uint64_t off = b * tpz::kRawBlockBytes, size = std::min(tpz::kRawBlockBytes, ref.stored.size() - off);
      if (tpz::Xxh3Hex(ref.stored.data() + off, size) != ref.checksums[b])
        return Corrupt(where + " block " + std::to_string(b) + ": checksum mismatch");
    }
    out.assign(ref.stored.begin() + std::ptrdiff_t(range.begin), ref.stored.begin() + std::ptrdiff_t(range.end));
    return Status::Ok();
  }
  // The stream's header first (it locates the chunks), then the chunks read.
  auto spans = StreamChunkSpans(ref.stored);
  if ((spans.ok() && !spans->empty() && tpz::Xxh3Hex(ref.stored.data(), (*spans)[0].size) != ref.checksums[0]) ||
      (!spans.ok() && tpz::Xxh3Hex(ref.stored.data(), ref.stored.size()) != ref.checksums[0]))
    return Corrupt(where + ": stream header checksum mismatch");
  if (!spans.ok()) return Corrupt(where + ": " + spans.status().message());
  if (spans->size() != ref.checksums.size())
    return Corrupt(where + ": " + std::to_string(ref.checksums.size() - 1) + " chunk checksums for " +
                   std::to_string(spans->size() - 1) + " chunks");
  auto info = GetStreamInfo(ref.stored);
  if (!info.ok()) return Corrupt(where + ": " + info.status().message());
  if (info->values != ref.spec.bytes)
    return Corrupt(where + ": stream holds " + std::to_string(info->values) + " values, expected " +
                   std::to_string(ref.spec.bytes));
  const uint64_t first = range.begin / info->chunk_values, last = (range.end - 1) / info->chunk_values;
  for (uint64_t c = first; c <= last && c + 1 < spans->size(); ++c)
    if (tpz::Xxh3Hex(ref.stored.data() + (*spans)[c + 1].offset, (*spans)[c + 1].size) != ref.checksums[c + 1])
      return Corrupt(where + " chunk " + std::to_string(c) + ": checksum mismatch");
  out.resize(range.end - range.begin);
  Status st = DecodeCodeRange(ref.stored, range.begin, out, threads);
  if (!st.ok()) return Corrupt(where + ": " + st.message());
  return Status::Ok();
}

StatusOr<TpzReader::Impl::Pending> TpzReader::Impl::Prepare(size_t index, uint64_t first, uint64_t last) const {
  const Entry& e = entries[index];
  Pending p{index, first, last, {}, {}};
  if (e.astc) {  // decoded whole (blocks carry no element index), then sliced
    p.ranges.push_back({0, 0});
    p.planes.emplace_back();
    return p;
  }
  auto not_blocks = [&] {
    return InvalidArgumentError("tensor '" + e.info.name + "': elements " + std::to_string(first) + ".." +
                                std::to_string(last) + " are not whole storage blocks");
  };
  if (!StorageBytes(e.info.dtype, last - first)) return not_blocks();
  for (size_t k = 0; k < e.planes.size(); ++k) {
    auto r = tpz::PlaneByteRange(e.info.layout, e.info.dtype, int(k), first, last);
    if (!r) return not_blocks();
    p.ranges.push_back(*r);
    p.planes.emplace_back();
  }
  return p;
}

StatusOr<Tensor> TpzReader::Impl::Assemble(Pending& p) const {
  const TpzTensorInfo& info = entries[p.index].info;
  const uint64_t first = p.first, last = p.last, count = last - first;
  std::vector<std::vector<uint8_t>>& planes = p.planes;
  const bool whole = first == 0 && last == info.elements;
  if (entries[p.index].astc) {  // float elements, whole bytes each
    const uint64_t size = Traits(info.dtype).bits / 8;
    std::vector<uint8_t> bytes(planes[0].begin() + std::ptrdiff_t(first * size),
                               planes[0].begin() + std::ptrdiff_t(last * size));
    return Tensor::FromBytes(info.name, info.dtype, whole ? info.shape : Shape{int64_t(count)}, std::move(bytes));
  }
  std::vector<uint8_t> bytes(*StorageBytes(info.dtype, count));
  if (info.layout == TpzLayout::kFloatFields) {
    const tpz::FloatFormat f = *tpz::FieldFormatOf(info.dtype);
    std::vector<std::span<const uint8_t>> views(planes.begin(), planes.end());
    if (!tpz::MergeFloatFields(f, views, first, count, bytes))
      return Corrupt("tensor '" + info.name + "': a field value does not fit its bits");
    // The sign plane's unused high bits must be zero, as the writer leaves them.
    if (last == info.elements && last % 8 != 0 && !planes[0].empty() && (planes[0].back() >> (last % 8)) != 0)
      return Corrupt("tensor '" + info.name + "': sign plane has bits past the last value");
  } else if (Traits(info.dtype).block_elements == 2 && first % 2 != 0) {
    // 4-bit elements from an odd start: nibble by nibble.
    const std::vector<uint8_t>& src = planes[0];
    for (uint64_t i = 0; i < count; ++i) {
      const uint64_t s = first % 2 + i;
      const uint8_t nib = (src[s / 2] >> (4 * (s % 2))) & 0xF;
      bytes[i / 2] |= uint8_t(nib << (4 * (i % 2)));
    }
  } else if (planes.size() == 1) {
    bytes = std::move(planes[0]);
    // A range ending inside a byte of 4-bit elements drops the next element;
    // the whole tensor keeps its bytes as stored, padding nibble included.
    if (Traits(info.dtype).block_elements == 2 && count % 2 != 0 && last != info.elements) bytes.back() &= 0x0f;
    if (info.dtype == DType::kI8 && info.layout == TpzLayout::kBytePlanes)
      for (uint8_t& b : bytes) b ^= 0x80;  // codes back to values
  } else {
    const size_t w = planes.size();
    for (size_t k = 0; k < w; ++k)
      for (uint64_t v = 0; v < count; ++v) bytes[v * w + k] = planes[k][v];
  }
  planes.clear();
  TP_ASSIGN_OR_RETURN(Tensor out, Tensor::FromBytes(info.name, info.dtype,
                                                    whole ? info.shape : Shape{int64_t(count)}, std::move(bytes)));
  if (info.quant && (whole || info.quant->axis < 0)) out.set_quant(*info.quant);
  return out;
}

StatusOr<std::vector<Tensor>> TpzReader::Impl::Read(std::span<const Span> spans, int threads) const {
  std::vector<Pending> pending;
  struct Job {
    size_t pending, plane;
  };
  std::vector<Job> jobs;
  for (const Span& s : spans) {
    TP_ASSIGN_OR_RETURN(Pending p, Prepare(s.index, s.first, s.last));
    for (size_t k = 0; k < p.planes.size(); ++k) jobs.push_back({pending.size(), k});
    pending.push_back(std::move(p));
  }
  // Planes in parallel; a lone plane spreads its chunks over the threads instead.
  std::vector<Status> status(jobs.size());
  const int inner = jobs.size() == 1 ? threads : 1;
  ParallelFor(jobs.size(), threads, [&](size_t j) {
    Pending& p = pending[jobs[j].pending];
    if (const Entry& e = entries[p.index]; e.astc) {
      status[j] = DecodeAstcTensor(e.info.name, e.info.dtype, e.info.shape, *e.astc, p.planes[0]);
      if (!status[j].ok()) status[j] = Corrupt("tensor '" + e.info.name + "': " + status[j].message());
      return;
    }
    status[j] = ReadPlane(entries[p.index], jobs[j].plane, p.ranges[jobs[j].plane], p.planes[jobs[j].plane], inner);
  });
  for (const Status& st : status) TP_RETURN_IF_ERROR(st);
  std::vector<Tensor> out;
  for (Pending& p : pending) {
    TP_ASSIGN_OR_RETURN(Tensor t, Assemble(p));
    out.push_back(std::move(t));
  }
  return out;
}

StatusOr<TpzReader> TpzReader::FromBytes(std::span<const uint8_t> bytes, std::string name,
                                         std::shared_ptr<const void> owner) {
  auto impl = std::make_shared<Impl>();
  impl->name = std::move(name);
  impl->bytes = bytes;
  impl->owner = std::move(owner);
  if (IsStreamingTpz(bytes)) {
    // A Buffer over bytes the caller (or `owner`) keeps alive.
    class View final : public Buffer {
     public:
      View(std::span<const uint8_t> b, std::shared_ptr<const void> o) : b_(b), o_(std::move(o)) {}
      std::span<const uint8_t> bytes() const override { return b_; }

     private:
      std::span<const uint8_t> b_;
      std::shared_ptr<const void> o_;
    };
    TP_ASSIGN_OR_RETURN(TpzArchive a, TpzArchive::Open(std::make_shared<View>(bytes, impl->owner), impl->name));
    for (const ArchiveTensor& t : a.info().tensors) {
      TpzTensorInfo info;
      info.name = t.name;
      info.dtype = t.dtype;
      info.shape = t.shape;
      info.elements = 1;
      for (int64_t d : t.shape) info.elements *= uint64_t(d);
      info.stored_bytes = t.bytes;
      info.quant = t.quant;
      impl->infos.push_back(std::move(info));
    }
    impl->metadata = a.info().metadata;
    impl->v3 = std::move(a);
    TpzReader r;
    r.impl_ = std::move(impl);
    return r;
  }
  TP_RETURN_IF_ERROR(impl->Parse());
  TpzReader r;
  r.impl_ = std::move(impl);
  return r;
}

StatusOr<TpzReader> TpzReader::Open(const std::string& path) {
  TP_ASSIGN_OR_RETURN(auto file, MappedFile::Open(path));
  std::shared_ptr<const MappedFile> shared = std::move(file);
  return FromBytes(shared->bytes(), path, shared);
}

const Metadata& TpzReader::metadata() const { return impl_->metadata; }
std::span<const TpzTensorInfo> TpzReader::tensors() const { return impl_->infos; }

std::optional<size_t> TpzReader::Find(std::string_view name) const {
  for (size_t i = 0; i < impl_->infos.size(); ++i)
    if (impl_->infos[i].name == name) return i;
  return std::nullopt;
}

StatusOr<Tensor> TpzReader::ReadTensor(size_t index, int threads) const {
  if (impl_->v3) return impl_->v3->ReadTensor(index, threads);
  if (index >= impl_->entries.size()) return InvalidArgumentError(impl_->name + ": no tensor #" + std::to_string(index));
  return impl_->ReadOne(index, 0, impl_->infos[index].elements, threads);
}

StatusOr<Tensor> TpzReader::ReadTensor(std::string_view name, int threads) const {
  const auto i = Find(name);
  if (!i) return NotFoundError(impl_->name + ": no tensor named '" + std::string(name) + "'");
  return ReadTensor(*i, threads);
}

StatusOr<Tensor> TpzReader::ReadElements(std::string_view name, uint64_t begin, uint64_t count, int threads) const {
  const auto i = Find(name);
  if (!i) return NotFoundError(impl_->name + ": no tensor named '" + std::string(name) + "'");
  const uint64_t n = impl_->infos[*i].elements;
  if (begin > n || count > n - begin)
    return InvalidArgumentError(impl_->name + ": elements " + std::to_string(begin) + "+" + std::to_string(count) +
                                " lie outside tensor '" + std::string(name) + "' of " + std::to_string(n));
  if (impl_->v3) return impl_->v3->ReadElements(*i, begin, count, threads);
  return impl_->ReadOne(*i, begin, begin + count, threads);
}

StatusOr<Model> TpzReader::ReadAll(int threads) const {
  Model model;
  model.path = impl_->name;
  model.format = ModelFormat::kUnknown;
  model.metadata = impl_->metadata;
  if (impl_->v3) {
    for (size_t i = 0; i < impl_->infos.size(); ++i) {
      TP_ASSIGN_OR_RETURN(Tensor t, impl_->v3->ReadTensor(i, threads));
      model.tensors.push_back(std::move(t));
    }
    return model;
  }
  std::vector<Impl::Span> spans;
  for (size_t i = 0; i < impl_->infos.size(); ++i) spans.push_back({i, 0, impl_->infos[i].elements});
  TP_ASSIGN_OR_RETURN(model.tensors, impl_->Read(spans, threads));
  return model;
}

StatusOr<std::vector<TpzLossyTensor>> TpzLossyTensors(std::span<const uint8_t> bytes, const std::string& name) {
  TP_ASSIGN_OR_RETURN(TpzReader reader, TpzReader::FromBytes(bytes, name));
  std::vector<TpzLossyTensor> out;
  for (const TpzTensorInfo& t : reader.tensors())
    if (t.lossy) out.push_back(*t.lossy);
  return out;
}

StatusOr<Model> DecodeTpz(std::span<const uint8_t> bytes, const std::string& name, int threads) {
  TP_ASSIGN_OR_RETURN(TpzReader reader, TpzReader::FromBytes(bytes, name));
  return reader.ReadAll(threads);
}

StatusOr<Model> ReadTpz(const std::string& path, int threads) {
  TP_ASSIGN_OR_RETURN(TpzReader reader, TpzReader::Open(path));
  TP_ASSIGN_OR_RETURN(Model model, reader.ReadAll(threads));
  model.path = path;
  return model;
}

}  // namespace tp
