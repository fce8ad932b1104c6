// The streaming writer of version-3 containers (include/tensorpress/container.h).
#include <xxhash.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>

#include "codec/tpz_format.h"
#include "common/ordered_pipeline.h"
#include "container/frame.h"
#include "container/tpz3_format.h"
#include "tensorpress/container.h"

namespace tp {
namespace {

using tpz3::ChunkToCode;
using tpz3::CodedFrame;

struct Segment {
  uint64_t offset = 0, bytes = 0;
  int tensor = -1;  // index into EngineInput::tensors, -1 for other bytes
  uint64_t chunk = 0;
  uint64_t first_frame = 0, frames = 0;
};

// Tensors that are views of the file, in file order, without overlaps.
std::vector<Segment> PlanSegments(const EngineInput& in, uint64_t chunk_bytes) {
  const auto file = in.file->bytes();
  const uintptr_t base = reinterpret_cast<uintptr_t>(file.data());
  std::vector<Segment> views;
  for (size_t i = 0; i < in.tensors.size(); ++i) {
    const auto b = in.tensors[i].bytes();
    if (b.empty()) continue;
    const uintptr_t p = reinterpret_cast<uintptr_t>(b.data());
    if (p < base || p - base > file.size() || b.size() > file.size() - (p - base)) continue;
    views.push_back({p - base, b.size(), int(i)});
  }
  std::sort(views.begin(), views.end(), [](const Segment& a, const Segment& b) { return a.offset < b.offset; });
  std::vector<Segment> segments;
  uint64_t at = 0;
  for (const Segment& v : views) {
    if (v.offset < at) continue;  // overlaps a tensor already placed: its bytes are coded there
    if (v.offset > at) segments.push_back({at, v.offset - at, -1});
    segments.push_back(v);
    at = v.offset + v.bytes;
  }
  if (at < file.size()) segments.push_back({at, file.size() - at, -1});
  uint64_t frame = 0;
  for (Segment& s : segments) {
    uint64_t unit = 1;
    if (s.tensor >= 0) unit = uint64_t(std::max(1, Traits(in.tensors[size_t(s.tensor)].dtype()).block_bytes));
    s.chunk = std::max(unit, chunk_bytes / unit * unit);
    // A GGUF file's header is one chunk, so that its planes can be split
    // (layout kGgufHeader needs the walk from byte 0).
    if (in.format == ModelFormat::kGguf && s.offset == 0 && s.tensor < 0 && s.bytes <= tpz3::kMaxChunkBytes)
      s.chunk = std::max<uint64_t>(s.bytes, 1);
    s.first_frame = frame;
    s.frames = (s.bytes + s.chunk - 1) / s.chunk;
    frame += s.frames;
  }
  return segments;
}

std::vector<uint8_t> IndexFrame(const std::string& json, int level) {
  std::vector<uint8_t> z(ZSTD_compressBound(json.size()));
  const size_t got = ZSTD_compress(z.data(), z.size(), json.data(), json.size(), level);
  z.resize(ZSTD_isError(got) ? 0 : got);
  tpz3::FrameHeader h;
  h.kind = tpz3::FrameKind::kIndex;
  h.layout = tpz3::Layout::kZstd;
  h.dtype = uint8_t(DType::kU8);
  h.planes = 1;
  h.segment = tpz3::kIndexSegment;
  h.raw_bytes = uint32_t(json.size());
  h.xxh3 = XXH3_64bits(json.data(), json.size());
  h.payload_bytes = uint32_t(tpz3::kPlaneEntryBytes + z.size());
  std::vector<uint8_t> out(tpz3::kFrameHeaderBytes + h.payload_bytes);
  tpz3::PutFrameHeader(h, out.data());
  out[tpz3::kFrameHeaderBytes] = tpz3::kCodingZstd;
  tpz3::Put32(out.data() + tpz3::kFrameHeaderBytes + 1, uint32_t(z.size()));
  std::copy(z.begin(), z.end(), out.begin() + tpz3::kFrameHeaderBytes + tpz3::kPlaneEntryBytes);
  return out;
}

}  // namespace

StatusOr<EngineInput> OpenEngineInput(const std::string& path, bool raw_fallback) {
  TP_ASSIGN_OR_RETURN(std::shared_ptr<MappedFile> file, MappedFile::Open(path));
  EngineInput in;
  in.name = path.substr(path.find_last_of('/') + 1);
  in.file = file;
  auto model = ReadModelFromBuffer(file, path);
  if (!model.ok()) {
    if (!raw_fallback)
      return Status(model.status().code(),
                    model.status().message() + " (use --raw to store it as zstd-coded bytes)");
    return in;
  }
  if (model->tensors.empty() && !raw_fallback)
    return InvalidArgumentError(path + ": no tensors in this file, nothing for tensorpress to code (use --raw "
                                "to store it as zstd-coded bytes)");
  in.format = model->format;
  in.tensors = std::move(model->tensors);
  in.metadata = std::move(model->metadata);
  return in;
}

namespace {
Status CompressFrames(const EngineInput& in, ByteSink& out, const EngineOptions& o, EngineStats* stats) {
  const auto file = in.file->bytes();
  std::vector<Segment> segments = PlanSegments(in, o.chunk_bytes);
  struct Job {
    uint32_t segment;
    uint64_t offset, size;
  };
  std::vector<Job> jobs;
  for (size_t s = 0; s < segments.size(); ++s)
    for (uint64_t off = 0; off < segments[s].bytes; off += segments[s].chunk)
      jobs.push_back({uint32_t(s), off, std::min(segments[s].chunk, segments[s].bytes - off)});

  uint8_t prelude[tpz3::kPreludeBytes] = {};
  std::copy(std::begin(tpz3::kMagic), std::end(tpz3::kMagic), prelude);
  tpz3::Put32(prelude + 4, tpz3::kVersion);
  TP_RETURN_IF_ERROR(out.Write(prelude));
  uint64_t written = sizeof prelude;

  std::vector<uint64_t> frame_offsets;
  frame_offsets.reserve(jobs.size());
  XXH3_state_t* whole = XXH3_createState();
  XXH3_64bits_reset(whole);
  std::map<std::string, EnginePlaneStats> planes;
  std::map<std::string, std::map<std::string, uint64_t>> plane_codecs;
  uint64_t done = 0;

  const unsigned threads = ResolveThreads(o.threads);
  auto produce = [&](size_t i) -> StatusOr<CodedFrame> {
    const Job& j = jobs[i];
    const Segment& s = segments[j.segment];
    ChunkToCode c;
    c.segment = j.segment;
    c.offset = j.offset;
    c.bytes = file.subspan(s.offset + j.offset, j.size);
    c.tensor = s.tensor >= 0;
    c.gguf_header = in.format == ModelFormat::kGguf && s.offset == 0 && !c.tensor && j.offset == 0 &&
                    j.size == s.bytes;
    if (c.tensor) c.dtype = in.tensors[size_t(s.tensor)].dtype();
    TP_ASSIGN_OR_RETURN(CodedFrame f, tpz3::EncodeFrame(c, o));
    if (o.verify) {
      // Read back while the input chunk is in memory: no second pass.
      thread_local std::vector<uint8_t> back;
      back.resize(j.size);
      auto view = tpz3::ParseFrame(f.bytes);
      Status st = view.ok() ? tpz3::DecodeFrame(*view, back) : view.status();
      if (!st.ok() || !std::equal(back.begin(), back.end(), c.bytes.begin()))
        return InternalError("chunk at byte " + std::to_string(s.offset + j.offset) +
                             " does not read back identically" + (st.ok() ? "" : ": " + st.message()));
    }
    return f;
  };
  auto consume = [&](size_t i, CodedFrame& f) -> Status {
    const Job& j = jobs[i];
    const Segment& s = segments[j.segment];
    frame_offsets.push_back(written);
    TP_RETURN_IF_ERROR(out.Write(f.bytes));
    written += f.bytes.size();
    XXH3_64bits_update(whole, file.data() + s.offset + j.offset, j.size);
    for (const auto& p : f.planes) {
      EnginePlaneStats& ps = planes[p.name];
      ps.name = p.name;
      ps.bytes += p.bytes;
      ps.coded_bytes += p.coded_bytes;
      ps.entropy_bits += p.entropy_bits;
      plane_codecs[p.name][p.codec] += p.coded_bytes;
    }
    done += j.size;
    if (o.progress) o.progress(done, file.size());
    return Status::Ok();
  };
  Status st = OrderedPipeline<CodedFrame>(jobs.size(), int(threads), 2 * threads + 2, produce, consume);
  const uint64_t file_hash = XXH3_64bits_digest(whole);
  XXH3_freeState(whole);
  TP_RETURN_IF_ERROR(st);

  nlohmann::ordered_json index;
  index["version"] = tpz3::kVersion;
  index["name"] = in.name;
  index["format"] = std::string(ModelFormatName(in.format));
  index["bytes"] = file.size();
  index["xxh3"] = tpz::Hex64(file_hash);
  auto& segs = index["segments"] = nlohmann::ordered_json::array();
  for (const Segment& s : segments)
    segs.push_back({s.offset, s.bytes, s.tensor < 0 ? -1 : int64_t(s.tensor), s.chunk, s.first_frame});
  auto& tensors = index["tensors"] = nlohmann::ordered_json::array();
  // Tensor table: the tensors that got a segment, in the reader's order.
  std::vector<int64_t> table_of(in.tensors.size(), -1), segment_of(in.tensors.size(), -1);
  for (size_t k = 0; k < segments.size(); ++k)
    if (segments[k].tensor >= 0) segment_of[size_t(segments[k].tensor)] = int64_t(k);
  for (size_t i = 0; i < in.tensors.size(); ++i) {
    if (segment_of[i] < 0) continue;
    const Tensor& t = in.tensors[i];
    table_of[i] = int64_t(tensors.size());
    nlohmann::ordered_json e = {{"name", t.name()}, {"dtype", std::string(DTypeName(t.dtype()))},
                                {"shape", t.shape()}, {"segment", segment_of[i]}};
    if (t.quant()) {
      // Scales as the hex of their f32 bits: 8 characters where the shortest
      // decimal takes ~18, and exact. Zero points are left out when all zero
      // (TFLite's int8 weights): per-channel parameters were most of a small
      // model's index.
      const QuantParams& q = *t.quant();
      std::string scales;
      scales.reserve(q.scale.size() * 8);
      for (float f : q.scale) {
        uint32_t bits;
        std::memcpy(&bits, &f, 4);
        scales += tpz::Hex64(bits).substr(8);
      }
      nlohmann::ordered_json jq = {{"scale_f32", scales}, {"axis", q.axis}};
      if (std::any_of(q.zero_point.begin(), q.zero_point.end(), [](int64_t z) { return z != 0; }) ||
          q.zero_point.size() != q.scale.size())
        jq["zero_point"] = q.zero_point;
      e["quantization"] = std::move(jq);
    }
    tensors.push_back(std::move(e));
  }
  for (auto& s : segs) s[2] = s[2].get<int64_t>() < 0 ? -1 : table_of[size_t(s[2].get<int64_t>())];
  index["frames"] = frame_offsets;
  auto& meta = index["metadata"] = nlohmann::ordered_json::object();
  for (const auto& [k, v] : in.metadata) meta[k] = v;
  const std::string json = index.dump();
  if (json.size() > 0xffffffffu) return UnsupportedError("the index is larger than 4 GiB");
  // A small index (most models) costs nothing to code at zstd's best.
  const int index_level = o.level == EngineLevel::kMax || json.size() <= (uint64_t(4) << 20) ? 19 : 9;
  const auto frame = IndexFrame(json, index_level);
  TP_RETURN_IF_ERROR(out.Write(frame));
  uint8_t trailer[tpz3::kTrailerBytes];
  tpz3::Put64(trailer, written);
  tpz3::Put64(trailer + 8, frame.size());
  tpz3::Put32(trailer + 16, tpz3::kVersion);
  std::copy(std::begin(tpz3::kTrailerMagic), std::end(tpz3::kTrailerMagic), trailer + 20);
  TP_RETURN_IF_ERROR(out.Write(trailer));
  written += frame.size() + sizeof trailer;

  if (stats) {
    *stats = {};
    stats->input_bytes = file.size();
    stats->output_bytes = written;
    stats->frames = jobs.size();
    for (const Segment& s : segments) {
      if (s.tensor >= 0) {
        stats->tensor_bytes += s.bytes;
        ++stats->tensors;
      } else {
        stats->other_bytes += s.bytes;
      }
    }
    for (auto& [name, p] : planes) {
      for (const auto& [c, b] : plane_codecs[name]) p.codecs.push_back({c, b});
      stats->planes.push_back(std::move(p));
    }
  }
  return Status::Ok();
}
}  // namespace

// Inputs up to this size try zstd -19 on the whole file at the default level.
constexpr uint64_t kWholeZstdDefaultBytes = uint64_t(1) << 20;

Status CompressStream(const EngineInput& in, ByteSink& out, const EngineOptions& o, EngineStats* stats) {
  TP_RETURN_IF_ERROR(ValidateEngineOptions(o));
  const auto file = in.file->bytes();
  if (file.size() > tpz3::kPlainCheckBytes) return CompressFrames(in, out, o, stats);
  std::vector<uint8_t> coded;
  auto sink = SinkForVector(coded);
  EngineStats local;
  TP_RETURN_IF_ERROR(CompressFrames(in, *sink, o, &local));
  const uint64_t plain = tpz3::kPreludeBytes + tpz3::kPlainHeaderBytes + file.size();
  // Small files also try zstd -19 on the whole file (0.2 s a MiB at most).
  const uint64_t whole_limit = o.level == EngineLevel::kMax ? tpz3::kWholeZstdMaxBytes
                               : o.level == EngineLevel::kFast ? 0
                                                                : kWholeZstdDefaultBytes;
  // The whole file after the 32-byte header: as one zstd frame or as it is.
  auto write_whole = [&](uint64_t flag, std::span<const uint8_t> body, const char* plane,
                         const char* codec) -> Status {
    uint8_t head[tpz3::kPreludeBytes + tpz3::kPlainHeaderBytes] = {};
    std::copy(std::begin(tpz3::kMagic), std::end(tpz3::kMagic), head);
    tpz3::Put32(head + 4, tpz3::kVersion);
    tpz3::Put64(head + 8, flag);
    tpz3::Put64(head + 16, file.size());
    tpz3::Put64(head + 24, XXH3_64bits(file.data(), file.size()));
    TP_RETURN_IF_ERROR(out.Write(head));
    TP_RETURN_IF_ERROR(out.Write(body));
    if (o.progress) o.progress(file.size(), file.size());
    if (stats) {
      *stats = {};
      stats->input_bytes = file.size();
      stats->output_bytes = sizeof(head) + body.size();
      stats->tensors = local.tensors;
      stats->tensor_bytes = local.tensor_bytes;
      stats->other_bytes = local.other_bytes;
      stats->planes.push_back({plane, file.size(), body.size(), 0, {{codec, body.size()}}});
    }
    return Status::Ok();
  };
  if (file.size() <= whole_limit && !o.codec && o.whole_file_zstd) {
    std::vector<uint8_t> z(ZSTD_compressBound(file.size()));
    const size_t got = ZSTD_compress(z.data(), z.size(), file.data(), file.size(), 19);
    if (!ZSTD_isError(got) && tpz3::kPreludeBytes + tpz3::kPlainHeaderBytes + got < std::min(coded.size(), plain))
      return write_whole(tpz3::kFlagZstd, std::span(z).first(got), "whole file (zstd -19)", "zstd");
  }
  if (coded.size() <= plain) {
    TP_RETURN_IF_ERROR(out.Write(coded));
    if (stats) *stats = std::move(local);
    return Status::Ok();
  }
  // Coding would grow the file: store it with 32 bytes of framing.
  return write_whole(tpz3::kFlagPlain, file, "stored plainly", "stored");
}

}  // namespace tp
