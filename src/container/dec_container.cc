// Reading version-3 containers (include/tensorpress/container.h): streaming
// restore from any byte source, and random access to a mapped file. Never
// includes the encoder. Every field of the untrusted index is checked
// before use, and every frame against the index (a frame spliced in from
// elsewhere fails even when its own checksum holds).
#include <xxhash.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>

#include "common/ordered_pipeline.h"
#include "container/frame.h"
#include "container/tpz3_format.h"
#include "tensorpress/container.h"
#include "tensorpress/parallel.h"

namespace tp {
namespace {

using tpz3::FrameView;

struct SegmentRef {
  uint64_t offset = 0, bytes = 0;
  int64_t tensor = -1;
  uint64_t chunk = 0, first_frame = 0, frames = 0;
  bool tensor_seen = false;  // while parsing: a table entry points here
};

struct Index {
  ArchiveInfo info;
  std::vector<SegmentRef> segments;
  std::vector<uint64_t> frames;  // offsets in the container
  uint64_t xxh3 = 0;
};

Status Bad(const std::string& what) { return CorruptDataError("index: " + what); }

bool GetU64(const nlohmann::json& j, uint64_t& v) {
  if (!j.is_number_unsigned()) return false;
  v = j.get<uint64_t>();
  return true;
}

StatusOr<Index> ParseIndex(std::span<const uint8_t> json_bytes) {
  nlohmann::json j = nlohmann::json::parse(json_bytes.begin(), json_bytes.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Bad("not a JSON object");
  Index x;
  uint64_t version = 0;
  if (!j.contains("version") || !GetU64(j["version"], version) || version != tpz3::kVersion)
    return Bad("wrong version");
  if (!j.contains("name") || !j["name"].is_string()) return Bad("no file name");
  x.info.name = j["name"].get<std::string>();
  if (x.info.name.empty() || x.info.name.find('/') != std::string::npos || x.info.name == "." ||
      x.info.name == "..")
    return Bad("file name is not a plain name");
  if (j.contains("format") && j["format"].is_string()) x.info.format = j["format"].get<std::string>();
  if (!j.contains("bytes") || !GetU64(j["bytes"], x.info.file_bytes)) return Bad("no file size");
  if (!j.contains("xxh3") || !j["xxh3"].is_string() || j["xxh3"].get<std::string>().size() != 16)
    return Bad("no file checksum");
  {
    const std::string h = j["xxh3"].get<std::string>();
    for (char c : h) {
      const int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
      if (d < 0) return Bad("file checksum is not hex");
      x.xxh3 = x.xxh3 << 4 | uint64_t(d);
    }
  }
  if (!j.contains("frames") || !j["frames"].is_array()) return Bad("no frame list");
  const auto& frames = j["frames"];
  x.frames.reserve(frames.size());
  for (const auto& f : frames) {
    uint64_t v;
    if (!GetU64(f, v)) return Bad("frame offset is not a number");
    if (!x.frames.empty() && v <= x.frames.back()) return Bad("frame offsets are not increasing");
    if (v < tpz3::kPreludeBytes) return Bad("frame offset inside the prelude");
    x.frames.push_back(v);
  }
  if (!j.contains("segments") || !j["segments"].is_array()) return Bad("no segment list");
  uint64_t at = 0, frame = 0;
  for (const auto& s : j["segments"]) {
    SegmentRef r;
    if (!s.is_array() || s.size() != 5 || !GetU64(s[0], r.offset) || !GetU64(s[1], r.bytes) ||
        !s[2].is_number_integer() || !GetU64(s[3], r.chunk) || !GetU64(s[4], r.first_frame))
      return Bad("malformed segment");
    r.tensor = s[2].get<int64_t>();
    if (r.offset != at || r.bytes == 0 || r.bytes > x.info.file_bytes - at)
      return Bad("segments do not cover the file in order");
    if (r.chunk == 0 || r.chunk > tpz3::kMaxChunkBytes) return Bad("segment chunk size out of range");
    if (r.first_frame != frame) return Bad("segment frames out of order");
    r.frames = (r.bytes + r.chunk - 1) / r.chunk;
    if (r.frames > x.frames.size() - frame) return Bad("more chunks than frames");
    frame += r.frames;
    at += r.bytes;
    x.segments.push_back(r);
  }
  if (at != x.info.file_bytes) return Bad("segments do not cover the file");
  if (frame != x.frames.size()) return Bad("frame count does not match the segments");
  if (!j.contains("tensors") || !j["tensors"].is_array()) return Bad("no tensor list");
  for (const auto& t : j["tensors"]) {
    ArchiveTensor a;
    uint64_t seg = 0;
    if (!t.is_object() || !t.contains("name") || !t["name"].is_string() || !t.contains("dtype") ||
        !t["dtype"].is_string() || !t.contains("shape") || !t["shape"].is_array() || !t.contains("segment") ||
        !GetU64(t["segment"], seg))
      return Bad("malformed tensor entry");
    a.name = t["name"].get<std::string>();
    auto dtype = DTypeFromName(t["dtype"].get<std::string>());
    if (!dtype) return Bad("tensor '" + a.name + "': unknown dtype");
    a.dtype = *dtype;
    uint64_t elements = 1;
    for (const auto& d : t["shape"]) {
      uint64_t v;
      if (!GetU64(d, v) || v > (uint64_t(1) << 48)) return Bad("tensor '" + a.name + "': bad shape");
      a.shape.push_back(int64_t(v));
      if (v && elements > (uint64_t(1) << 62) / v) return Bad("tensor '" + a.name + "': shape overflows");
      elements *= v;
    }
    if (seg >= x.segments.size() || x.segments[seg].tensor != int64_t(x.info.tensors.size()) ||
        x.segments[seg].tensor_seen)
      return Bad("tensor '" + a.name + "': segment does not point back at it");
    auto need = StorageBytes(a.dtype, elements);
    if (!need || *need != x.segments[seg].bytes) return Bad("tensor '" + a.name + "': size does not match its shape");
    const uint64_t unit = uint64_t(std::max(1, Traits(a.dtype).block_bytes));
    if (x.segments[seg].chunk % unit != 0) return Bad("tensor '" + a.name + "': chunks split elements");
    if (t.contains("quantization")) {
      // Written as {"scale_f32": hex of f32 bits, "axis", "zero_point"
      // (absent: all zero)}; containers of the first v3 writer used a
      // "scale" array of numbers and always wrote "zero_point".
      const auto& q = t["quantization"];
      const std::string bad_quant = "tensor '" + a.name + "': malformed quantization";
      if (!q.is_object() || !q.contains("axis") || !q["axis"].is_number_integer()) return Bad(bad_quant);
      QuantParams p;
      p.axis = q["axis"].get<int>();
      if (p.axis < -1 || p.axis >= int(a.shape.size())) return Bad("tensor '" + a.name + "': quantization axis");
      if (q.contains("scale_f32") && q["scale_f32"].is_string()) {
        const std::string& hex = q["scale_f32"].get_ref<const std::string&>();
        if (hex.size() % 8 != 0 || hex.size() / 8 > elements) return Bad(bad_quant);
        for (size_t k = 0; k < hex.size(); k += 8) {
          uint32_t bits = 0;
          for (size_t d = 0; d < 8; ++d) {
            const char c = hex[k + d];
            const int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
            if (v < 0) return Bad("tensor '" + a.name + "': quantization scale");
            bits = bits << 4 | uint32_t(v);
          }
          float f;
          std::memcpy(&f, &bits, 4);
          p.scale.push_back(f);
        }
      } else if (q.contains("scale") && q["scale"].is_array() && q["scale"].size() <= elements) {
        for (const auto& v : q["scale"]) {
          if (!v.is_number()) return Bad("tensor '" + a.name + "': quantization scale");
          p.scale.push_back(v.get<float>());
        }
      } else {
        return Bad(bad_quant);
      }
      if (p.scale.empty()) return Bad(bad_quant);
      if (q.contains("zero_point")) {
        if (!q["zero_point"].is_array() || q["zero_point"].size() != p.scale.size()) return Bad(bad_quant);
        for (const auto& v : q["zero_point"]) {
          if (!v.is_number_integer()) return Bad("tensor '" + a.name + "': quantization zero point");
          p.zero_point.push_back(v.get<int64_t>());
        }
      } else {
        p.zero_point.assign(p.scale.size(), 0);
      }
      a.quant = std::move(p);
    }
    a.segment = uint32_t(seg);
    x.segments[seg].tensor_seen = true;
    a.file_offset = x.segments[seg].offset;
    a.bytes = x.segments[seg].bytes;
    x.info.tensors.push_back(std::move(a));
  }
  for (const SegmentRef& s : x.segments)
    if (s.tensor < -1 || (s.tensor >= 0 && !s.tensor_seen)) return Bad("segment names a missing tensor");
  if (j.contains("metadata") && j["metadata"].is_object())
    for (const auto& [k, v] : j["metadata"].items())
      if (v.is_string()) x.info.metadata.push_back({k, v.get<std::string>()});
  x.info.frames = x.frames.size();
  return x;
}

// Which segment and where in it frame `i` must restore.
struct Expected {
  uint32_t segment;
  uint64_t offset, bytes;
};
Expected ExpectedFrame(const Index& x, uint64_t i) {
  auto it = std::upper_bound(x.segments.begin(), x.segments.end(), i,
                             [](uint64_t v, const SegmentRef& s) { return v < s.first_frame; });
  const SegmentRef& s = *(it - 1);
  const uint64_t off = (i - s.first_frame) * s.chunk;
  return {uint32_t(it - 1 - x.segments.begin()), off, std::min(s.chunk, s.bytes - off)};
}

std::string FrameName(const Index& x, uint64_t i) {
  const Expected e = ExpectedFrame(x, i);
  const SegmentRef& s = x.segments[e.segment];
  const std::string chunk = "chunk " + std::to_string(i - s.first_frame);
  if (s.tensor >= 0) return "tensor '" + x.info.tensors[size_t(s.tensor)].name + "' " + chunk;
  return "bytes " + std::to_string(s.offset) + ".." + std::to_string(s.offset + s.bytes) + " (not a tensor) " + chunk;
}

Status CheckPlace(const Index& x, uint64_t i, const tpz3::FrameHeader& h) {
  const Expected e = ExpectedFrame(x, i);
  if (h.kind != tpz3::FrameKind::kData || h.segment != e.segment || h.offset != e.offset || h.raw_bytes != e.bytes)
    return CorruptDataError("frame does not belong here (spliced or reordered)");
  return Status::Ok();
}

StatusOr<Index> DecodeIndexFrame(const FrameView& f) {
  if (f.header.kind != tpz3::FrameKind::kIndex || f.header.layout != tpz3::Layout::kZstd || f.header.planes != 1 ||
      f.payload.size() < tpz3::kPlaneEntryBytes || f.payload[0] != tpz3::kCodingZstd ||
      tpz3::Get32(f.payload.data() + 1) != f.payload.size() - tpz3::kPlaneEntryBytes)
    return Bad("index frame is malformed");
  std::vector<uint8_t> json(f.header.raw_bytes);
  const auto z = f.payload.subspan(tpz3::kPlaneEntryBytes);
  if (ZSTD_getFrameContentSize(z.data(), z.size()) != json.size()) return Bad("index size mismatch");
  const size_t got = ZSTD_decompress(json.data(), json.size(), z.data(), z.size());
  if (ZSTD_isError(got) || got != json.size()) return Bad("index is corrupt");
  if (XXH3_64bits(json.data(), json.size()) != f.header.xxh3) return Bad("checksum mismatch");
  return ParseIndex(json);
}

Status ReadExactly(ByteSource& in, std::span<uint8_t> out, const char* what) {
  size_t at = 0;
  while (at < out.size()) {
    TP_ASSIGN_OR_RETURN(size_t got, in.Read(out.subspan(at)));
    if (got == 0) return CorruptDataError(std::string("truncated in ") + what);
    at += got;
  }
  return Status::Ok();
}

struct CountingSource : ByteSource {
  explicit CountingSource(ByteSource& in) : in(in) {}
  StatusOr<size_t> Read(std::span<uint8_t> out) override {
    auto got = in.Read(out);
    if (got.ok()) count += *got;
    return got;
  }
  ByteSource& in;
  uint64_t count = 0;
};

// kFlagZstd: the file as one zstd frame after the plain header; restored in
// 1 MiB steps, never past the size the header claims, and checked.
Status DecodeWholeZstd(ByteSource& in, uint64_t size, uint64_t want, ByteSink& out) {
  if (size > tpz3::kWholeZstdMaxBytes) return CorruptDataError("whole-file zstd frame larger than allowed");
  struct FreeD {
    void operator()(ZSTD_DStream* d) const { ZSTD_freeDStream(d); }
  };
  std::unique_ptr<ZSTD_DStream, FreeD> ds(ZSTD_createDStream());
  ZSTD_initDStream(ds.get());
  std::vector<uint8_t> ibuf(ZSTD_DStreamInSize()), obuf(1 << 20);
  XXH3_state_t* h = XXH3_createState();
  XXH3_64bits_reset(h);
  uint64_t done = 0;
  bool frame_end = false;
  // One decompression step from `ib` (empty once the input is exhausted:
  // it drains what zstd still holds). False when nothing could be made.
  auto step = [&](ZSTD_inBuffer& ib) -> StatusOr<bool> {
    if (frame_end) return CorruptDataError("bytes after the whole-file zstd frame");
    ZSTD_outBuffer ob{obuf.data(), obuf.size(), 0};
    const size_t r = ZSTD_decompressStream(ds.get(), &ob, &ib);
    if (ZSTD_isError(r)) return CorruptDataError("whole-file zstd frame is corrupt");
    if (ob.pos > size - done) return CorruptDataError("whole-file zstd frame holds more than its size");
    XXH3_64bits_update(h, obuf.data(), ob.pos);
    TP_RETURN_IF_ERROR(out.Write({obuf.data(), ob.pos}));
    done += ob.pos;
    frame_end = r == 0;
    return ob.pos > 0 || frame_end;
  };
  Status st = Status::Ok();
  while (st.ok()) {
    auto got = in.Read(ibuf);
    if (!got.ok()) {
      st = got.status();
      break;
    }
    if (*got == 0) break;
    ZSTD_inBuffer ib{ibuf.data(), *got, 0};
    while (st.ok() && ib.pos < ib.size) st = step(ib).status();
  }
  // Output still buffered inside zstd once the input ran out.
  while (st.ok() && !frame_end) {
    ZSTD_inBuffer ib{nullptr, 0, 0};
    auto made = step(ib);
    if (!made.ok()) st = made.status();
    else if (!*made) st = CorruptDataError("whole-file zstd frame is truncated");
  }
  const uint64_t got = XXH3_64bits_digest(h);
  XXH3_freeState(h);
  TP_RETURN_IF_ERROR(st);
  if (done != size) return CorruptDataError("whole-file zstd frame is truncated");
  if (got != want) return CorruptDataError("restored file does not match its checksum");
  return Status::Ok();
}

}  // namespace

Status DecompressStream(ByteSource& in, const std::string& name, ByteSink& out, const EngineOptions& o,
                        ArchiveInfo* info_out) {
  TP_RETURN_IF_ERROR(ValidateEngineOptions(o));
  auto fail = [&](const Status& s) { return s.WithContext(name); };
  uint8_t prelude[tpz3::kPreludeBytes];
  if (Status s = ReadExactly(in, prelude, "the prelude"); !s.ok()) return fail(s);
  if (!IsStreamingTpz(prelude)) return fail(CorruptDataError("not a version-3 .tpz"));
  const uint64_t flags = tpz3::Get64(prelude + 8);
  if (flags != 0 && flags != tpz3::kFlagPlain && flags != tpz3::kFlagZstd)
    return fail(CorruptDataError("unknown flags"));
  if (flags == tpz3::kFlagZstd) {
    uint8_t head[tpz3::kPlainHeaderBytes];
    TP_RETURN_IF_ERROR(fail(ReadExactly(in, head, "the whole-file header")));
    const uint64_t size = tpz3::Get64(head), want = tpz3::Get64(head + 8);
    CountingSource counted(in);
    TP_RETURN_IF_ERROR(fail(DecodeWholeZstd(counted, size, want, out)));
    if (info_out) {
      *info_out = {};
      info_out->file_bytes = size;
      info_out->stored_bytes = tpz3::kPreludeBytes + tpz3::kPlainHeaderBytes + counted.count;
    }
    return Status::Ok();
  }
  if (flags & tpz3::kFlagPlain) {
    uint8_t head[tpz3::kPlainHeaderBytes];
    TP_RETURN_IF_ERROR(fail(ReadExactly(in, head, "the plain header")));
    const uint64_t size = tpz3::Get64(head), want = tpz3::Get64(head + 8);
    XXH3_state_t* h = XXH3_createState();
    XXH3_64bits_reset(h);
    std::vector<uint8_t> buf(1 << 20);
    uint64_t done = 0;
    Status st = Status::Ok();
    while (st.ok() && done < size) {
      const size_t k = size_t(std::min<uint64_t>(buf.size(), size - done));
      st = ReadExactly(in, {buf.data(), k}, "the stored file");
      if (!st.ok()) break;
      XXH3_64bits_update(h, buf.data(), k);
      st = out.Write({buf.data(), k});
      done += k;
    }
    const uint64_t got = XXH3_64bits_digest(h);
    XXH3_freeState(h);
    TP_RETURN_IF_ERROR(fail(st));
    uint8_t extra;
    auto more = in.Read({&extra, 1});
    if (!more.ok() || *more != 0) return fail(CorruptDataError("bytes after the stored file"));
    if (got != want) return fail(CorruptDataError("stored file does not match its checksum"));
    if (info_out) {
      *info_out = {};
      info_out->file_bytes = size;
      info_out->stored_bytes = tpz3::kPreludeBytes + tpz3::kPlainHeaderBytes + size;
    }
    return Status::Ok();
  }
  const unsigned threads = ResolveThreads(o.threads);
  const size_t batch_max = 2 * threads;
  struct Pending {
    tpz3::FrameHeader header;
    std::vector<uint8_t> bytes;  // the whole frame
    std::vector<uint8_t> restored;
  };
  std::vector<Pending> batch;
  std::vector<Expected> seen;
  XXH3_state_t* whole = XXH3_createState();
  XXH3_64bits_reset(whole);
  uint64_t restored = 0, position = tpz3::kPreludeBytes;
  std::vector<uint64_t> offsets;
  auto flush = [&]() -> Status {
    std::vector<Status> status(batch.size());
    ParallelFor(batch.size(), int(threads), [&](size_t i) {
      auto f = tpz3::ParseFrame(batch[i].bytes);
      if (!f.ok()) {
        status[i] = f.status();
        return;
      }
      batch[i].restored.resize(f->header.raw_bytes);
      status[i] = tpz3::DecodeFrame(*f, batch[i].restored);
    });
    for (size_t i = 0; i < batch.size(); ++i) {
      const uint64_t frame = seen.size() - batch.size() + i;
      if (!status[i].ok())
        return status[i].WithContext("frame " + std::to_string(frame) + " (segment " +
                                     std::to_string(batch[i].header.segment) + ")");
      TP_RETURN_IF_ERROR(out.Write(batch[i].restored));
      XXH3_64bits_update(whole, batch[i].restored.data(), batch[i].restored.size());
      restored += batch[i].restored.size();
      if (o.progress) o.progress(restored, 0);
    }
    batch.clear();
    return Status::Ok();
  };
  Status st = Status::Ok();
  std::optional<Index> index;
  while (st.ok()) {
    uint8_t head[tpz3::kFrameHeaderBytes];
    st = ReadExactly(in, head, "a frame header");
    if (!st.ok()) break;
    tpz3::FrameHeader h;
    if (!tpz3::ParseFrameHeader(head, h)) {
      st = CorruptDataError("frame header at byte " + std::to_string(position) + " is corrupt");
      break;
    }
    const uint64_t bound = h.kind == tpz3::FrameKind::kIndex ? tpz3::kMaxIndexBytes : uint64_t(h.raw_bytes) + 4096;
    if (h.payload_bytes > bound) {
      st = CorruptDataError("frame at byte " + std::to_string(position) + " is larger than its content allows");
      break;
    }
    Pending p;
    p.header = h;
    // Grown as bytes arrive: a truncated stream never makes the reader
    // allocate what its header merely claims.
    p.bytes.assign(head, head + sizeof head);
    for (uint64_t left = h.payload_bytes; left > 0 && st.ok();) {
      const size_t k = size_t(std::min<uint64_t>(left, uint64_t(1) << 20)), at = p.bytes.size();
      p.bytes.resize(at + k);
      st = ReadExactly(in, std::span(p.bytes).subspan(at), "a frame");
      left -= k;
    }
    if (!st.ok()) break;
    if (h.kind == tpz3::FrameKind::kIndex) {
      st = flush();
      if (!st.ok()) break;
      auto f = tpz3::ParseFrame(p.bytes);
      auto x = f.ok() ? DecodeIndexFrame(*f) : StatusOr<Index>(f.status());
      if (!x.ok()) {
        st = x.status();
        break;
      }
      index = std::move(*x);
      uint8_t trailer[tpz3::kTrailerBytes];
      st = ReadExactly(in, trailer, "the trailer");
      if (!st.ok()) break;
      if (std::memcmp(trailer + 20, tpz3::kTrailerMagic, 4) != 0 || tpz3::Get64(trailer) != position ||
          tpz3::Get64(trailer + 8) != p.bytes.size() || tpz3::Get32(trailer + 16) != tpz3::kVersion) {
        st = CorruptDataError("trailer does not point at the index");
        break;
      }
      uint8_t extra;
      auto more = in.Read({&extra, 1});
      if (!more.ok() || *more != 0) st = CorruptDataError("bytes after the trailer");
      break;
    }
    offsets.push_back(position);
    seen.push_back({h.segment, h.offset, h.raw_bytes});
    position += p.bytes.size();
    batch.push_back(std::move(p));
    if (batch.size() >= batch_max) st = flush();
  }
  const uint64_t hash = XXH3_64bits_digest(whole);
  XXH3_freeState(whole);
  TP_RETURN_IF_ERROR(fail(st));
  if (!index) return fail(CorruptDataError("no index"));
  if (index->frames.size() != seen.size()) return fail(CorruptDataError("index lists a different number of frames"));
  for (size_t i = 0; i < seen.size(); ++i) {
    const Expected e = ExpectedFrame(*index, i);
    if (offsets[i] != index->frames[i] || e.segment != seen[i].segment || e.offset != seen[i].offset ||
        e.bytes != seen[i].bytes)
      return fail(CorruptDataError(FrameName(*index, i) + ": frame does not belong here (spliced or reordered)"));
  }
  if (restored != index->info.file_bytes || hash != index->xxh3)
    return fail(CorruptDataError("restored file does not match its checksum"));
  index->info.stored_bytes = position + 0;
  if (info_out) *info_out = index->info;
  return Status::Ok();
}

struct TpzArchive::Impl {
  bool plain = false;  // kFlagPlain / kFlagZstd: the file after a 32-byte header
  bool whole_zstd = false;  // kFlagZstd: as one zstd frame
  std::shared_ptr<const Buffer> restored;  // plain modes: the file, when small
  uint64_t plain_hash = 0;
  std::string name;
  std::shared_ptr<const Buffer> buffer;
  Index index;
  uint64_t index_offset = 0;

  StatusOr<FrameView> Frame(uint64_t i) const {
    const auto bytes = buffer->bytes();
    const uint64_t at = index.frames[i];
    const uint64_t end = i + 1 < index.frames.size() ? index.frames[i + 1] : index_offset;
    auto f = tpz3::ParseFrame(bytes.subspan(at, end - at));
    if (!f.ok()) return f.status().WithContext(FrameName(index, i));
    if (tpz3::kFrameHeaderBytes + f->payload.size() != end - at)
      return CorruptDataError(FrameName(index, i) + ": frame size does not match the index");
    TP_RETURN_IF_ERROR(CheckPlace(index, i, f->header).WithContext(FrameName(index, i)));
    return f;
  }
  Status DecodeInto(uint64_t i, std::span<uint8_t> out) const {
    TP_ASSIGN_OR_RETURN(FrameView f, Frame(i));
    return tpz3::DecodeFrame(f, out).WithContext(FrameName(index, i));
  }
};

StatusOr<TpzArchive> TpzArchive::Open(std::shared_ptr<const Buffer> buffer, const std::string& name) {
  auto impl = std::make_shared<Impl>();
  impl->name = name;
  impl->buffer = buffer;
  const auto bytes = buffer->bytes();
  auto bad = [&](const std::string& what) { return CorruptDataError(name + ": " + what); };
  if (bytes.size() < tpz3::kPreludeBytes || !IsStreamingTpz(bytes)) return bad("not a version-3 .tpz");
  const uint64_t flags = tpz3::Get64(bytes.data() + 8);
  if (flags != 0 && flags != tpz3::kFlagPlain && flags != tpz3::kFlagZstd) return bad("unknown flags");
  if (flags != 0) {
    if (bytes.size() < tpz3::kPreludeBytes + tpz3::kPlainHeaderBytes) return bad("truncated");
    const uint64_t size = tpz3::Get64(bytes.data() + 16);
    if (flags == tpz3::kFlagPlain && size != bytes.size() - tpz3::kPreludeBytes - tpz3::kPlainHeaderBytes)
      return bad("stored file size does not match the container");
    if (flags == tpz3::kFlagZstd && size > tpz3::kWholeZstdMaxBytes)
      return bad("whole-file zstd frame larger than allowed");
    impl->whole_zstd = flags == tpz3::kFlagZstd;
    impl->plain = true;
    impl->plain_hash = tpz3::Get64(bytes.data() + 24);
    impl->index.info.file_bytes = size;
    impl->index.info.stored_bytes = bytes.size();
    // No index: a small file's tensors are found by restoring it (at most
    // kPlainCheckBytes) and reading it, so inspect and --to work alike.
    if (size <= tpz3::kPlainCheckBytes) {
      std::vector<uint8_t> restored;
      auto sink = SinkForVector(restored);
      const auto stored = bytes.subspan(tpz3::kPreludeBytes + tpz3::kPlainHeaderBytes);
      if (impl->whole_zstd) {
        auto source = SourceForBytes(stored);
        TP_RETURN_IF_ERROR(DecodeWholeZstd(*source, size, impl->plain_hash, *sink).WithContext(name));
      } else {
        if (XXH3_64bits(stored.data(), stored.size()) != impl->plain_hash)
          return bad("stored file does not match its checksum");
        restored.assign(stored.begin(), stored.end());
      }
      impl->restored = MakeOwnedBuffer(std::move(restored));
      auto model = ReadModelFromBuffer(impl->restored, name);
      if (model.ok()) {
        const uintptr_t base = reinterpret_cast<uintptr_t>(impl->restored->bytes().data());
        impl->index.info.format = std::string(ModelFormatName(model->format));
        impl->index.info.metadata = model->metadata;
        for (Tensor& t : model->tensors) {
          const auto b = t.bytes();
          const uintptr_t p = reinterpret_cast<uintptr_t>(b.data());
          if (b.empty() || p < base || p - base + b.size() > size) continue;
          ArchiveTensor a;
          a.name = t.name();
          a.dtype = t.dtype();
          a.shape = t.shape();
          a.file_offset = p - base;
          a.bytes = b.size();
          if (t.quant()) a.quant = *t.quant();
          impl->index.info.tensors.push_back(std::move(a));
        }
      }
    }
    TpzArchive a;
    a.impl_ = std::move(impl);
    return a;
  }
  if (bytes.size() < tpz3::kPreludeBytes + tpz3::kTrailerBytes) return bad("truncated (no trailer)");
  const uint8_t* trailer = bytes.data() + bytes.size() - tpz3::kTrailerBytes;
  if (std::memcmp(trailer + 20, tpz3::kTrailerMagic, 4) != 0 || tpz3::Get32(trailer + 16) != tpz3::kVersion)
    return bad("truncated (no trailer)");
  const uint64_t at = tpz3::Get64(trailer), size = tpz3::Get64(trailer + 8);
  const uint64_t limit = bytes.size() - tpz3::kTrailerBytes;
  if (at < tpz3::kPreludeBytes || at > limit || size != limit - at) return bad("trailer does not point at the index");
  auto f = tpz3::ParseFrame(bytes.subspan(at, size));
  if (!f.ok()) return f.status().WithContext(name + ": index");
  auto x = DecodeIndexFrame(*f);
  if (!x.ok()) return x.status().WithContext(name);
  impl->index = std::move(*x);
  impl->index_offset = at;
  for (uint64_t off : impl->index.frames)
    if (off + tpz3::kFrameHeaderBytes > at) return bad("index: frame offset past the data");
  impl->index.info.stored_bytes = bytes.size();
  TpzArchive a;
  a.impl_ = std::move(impl);
  return a;
}

const ArchiveInfo& TpzArchive::info() const { return impl_->index.info; }

Status TpzArchive::Restore(ByteSink& out, const EngineOptions& o) const {
  TP_RETURN_IF_ERROR(ValidateEngineOptions(o));
  const Impl& m = *impl_;
  if (m.restored) {
    TP_RETURN_IF_ERROR(out.Write(m.restored->bytes()));
    if (o.progress) o.progress(m.index.info.file_bytes, m.index.info.file_bytes);
    return Status::Ok();
  }
  if (m.whole_zstd) {
    const auto stored = m.buffer->bytes().subspan(tpz3::kPreludeBytes + tpz3::kPlainHeaderBytes);
    auto source = SourceForBytes(stored);
    TP_RETURN_IF_ERROR(DecodeWholeZstd(*source, m.index.info.file_bytes, m.plain_hash, out).WithContext(m.name));
    if (o.progress) o.progress(m.index.info.file_bytes, m.index.info.file_bytes);
    return Status::Ok();
  }
  if (m.plain) {
    const auto stored = m.buffer->bytes().subspan(tpz3::kPreludeBytes + tpz3::kPlainHeaderBytes);
    if (XXH3_64bits(stored.data(), stored.size()) != m.plain_hash)
      return CorruptDataError(m.name + ": stored file does not match its checksum");
    TP_RETURN_IF_ERROR(out.Write(stored));
    if (o.progress) o.progress(stored.size(), stored.size());
    return Status::Ok();
  }
  const unsigned threads = ResolveThreads(o.threads);
  XXH3_state_t* whole = XXH3_createState();
  XXH3_64bits_reset(whole);
  uint64_t done = 0;
  auto produce = [&](size_t i) -> StatusOr<std::vector<uint8_t>> {
    const Expected e = ExpectedFrame(m.index, i);
    std::vector<uint8_t> v(e.bytes);
    TP_RETURN_IF_ERROR(m.DecodeInto(i, v));
    return v;
  };
  auto consume = [&](size_t, std::vector<uint8_t>& v) -> Status {
    TP_RETURN_IF_ERROR(out.Write(v));
    XXH3_64bits_update(whole, v.data(), v.size());
    done += v.size();
    if (o.progress) o.progress(done, m.index.info.file_bytes);
    return Status::Ok();
  };
  Status st = OrderedPipeline<std::vector<uint8_t>>(m.index.frames.size(), int(threads), 2 * threads + 2, produce,
                                                   consume);
  const uint64_t hash = XXH3_64bits_digest(whole);
  XXH3_freeState(whole);
  TP_RETURN_IF_ERROR(st.WithContext(m.name));
  if (done != m.index.info.file_bytes || hash != m.index.xxh3)
    return CorruptDataError(m.name + ": restored file does not match its checksum");
  return Status::Ok();
}

StatusOr<Tensor> TpzArchive::ReadTensor(size_t index, int threads) const {
  const Impl& m = *impl_;
  if (index >= m.index.info.tensors.size()) return InvalidArgumentError("no tensor " + std::to_string(index));
  const ArchiveTensor& t = m.index.info.tensors[index];
  if (m.restored) {
    const auto b = m.restored->bytes().subspan(t.file_offset, t.bytes);
    TP_ASSIGN_OR_RETURN(Tensor out, Tensor::FromBytes(t.name, t.dtype, t.shape, std::vector<uint8_t>(b.begin(), b.end())));
    if (t.quant) out.set_quant(*t.quant);
    return out;
  }
  const SegmentRef& s = m.index.segments[t.segment];
  std::vector<uint8_t> bytes(s.bytes);
  std::vector<Status> status(s.frames);
  ParallelFor(s.frames, threads, [&](size_t k) {
    const uint64_t off = k * s.chunk;
    status[k] = m.DecodeInto(s.first_frame + k, std::span(bytes).subspan(off, std::min(s.chunk, s.bytes - off)));
  });
  for (const Status& st : status) TP_RETURN_IF_ERROR(st.WithContext(m.name));
  TP_ASSIGN_OR_RETURN(Tensor out, Tensor::FromBytes(t.name, t.dtype, t.shape, std::move(bytes)));
  if (t.quant) out.set_quant(*t.quant);
  return out;
}

StatusOr<Tensor> TpzArchive::ReadElements(size_t index, uint64_t begin, uint64_t count, int threads) const {
  const Impl& m = *impl_;
  if (index >= m.index.info.tensors.size()) return InvalidArgumentError("no tensor " + std::to_string(index));
  const ArchiveTensor& t = m.index.info.tensors[index];
  const auto& traits = Traits(t.dtype);
  const uint64_t per = uint64_t(std::max(1, traits.block_elements));
  uint64_t elements = 1;
  for (int64_t d : t.shape) elements *= uint64_t(d);
  if (begin > elements || count > elements - begin)
    return InvalidArgumentError("elements " + std::to_string(begin) + ":" + std::to_string(count) + " outside '" +
                                t.name + "' (" + std::to_string(elements) + " elements)");
  if (begin % per != 0 || count % per != 0)
    return InvalidArgumentError("'" + t.name + "' is stored in blocks of " + std::to_string(per) +
                                " elements: the range must start and end on a block");
  const uint64_t b0 = begin / per * uint64_t(traits.block_bytes), b1 = (begin + count) / per * uint64_t(traits.block_bytes);
  std::vector<uint8_t> bytes(b1 - b0);
  if (m.restored) {
    const auto b = m.restored->bytes().subspan(t.file_offset + b0, b1 - b0);
    bytes.assign(b.begin(), b.end());
  } else if (b1 > b0) {
    const SegmentRef& s = m.index.segments[t.segment];
    const uint64_t k0 = b0 / s.chunk, k1 = (b1 - 1) / s.chunk + 1;
    std::vector<Status> status(k1 - k0);
    ParallelFor(k1 - k0, threads, [&](size_t j) {
      const uint64_t k = k0 + j, off = k * s.chunk, size = std::min(s.chunk, s.bytes - off);
      std::vector<uint8_t> chunk(size);
      status[j] = m.DecodeInto(s.first_frame + k, chunk);
      if (!status[j].ok()) return;
      const uint64_t lo = std::max(off, b0), hi = std::min(off + size, b1);
      std::memcpy(bytes.data() + (lo - b0), chunk.data() + (lo - off), hi - lo);
    });
    for (const Status& st : status) TP_RETURN_IF_ERROR(st.WithContext(m.name));
  }
  TP_ASSIGN_OR_RETURN(Tensor out, Tensor::FromBytes(t.name, t.dtype, {int64_t(count)}, std::move(bytes)));
  if (t.quant && t.quant->axis < 0) out.set_quant(*t.quant);
  return out;
}

}  // namespace tp
