// Version-3 frame headers and the engine's byte sinks and sources; shared
// by the writer and the reader.
#include <xxhash.h>

#include <cstdio>
#include <cstring>

#include "container/frame.h"
#include "container/tpz3_format.h"
#include "tensorpress/container.h"

namespace tp {
namespace tpz3 {

void PutFrameHeader(const FrameHeader& h, uint8_t* out) {
  std::memcpy(out, kFrameMagic, 4);
  out[4] = uint8_t(h.kind);
  out[5] = uint8_t(h.layout);
  out[6] = h.dtype;
  out[7] = h.planes;
  Put32(out + 8, h.segment);
  Put32(out + 12, h.raw_bytes);
  Put64(out + 16, h.offset);
  Put64(out + 24, h.xxh3);
  Put32(out + 32, h.payload_bytes);
  Put32(out + 36, uint32_t(XXH3_64bits(out, 36)));
}

bool ParseFrameHeader(const uint8_t* in, FrameHeader& h) {
  if (std::memcmp(in, kFrameMagic, 4) != 0) return false;
  if (Get32(in + 36) != uint32_t(XXH3_64bits(in, 36))) return false;
  if (in[4] != uint8_t(FrameKind::kData) && in[4] != uint8_t(FrameKind::kIndex)) return false;
  if (in[5] > uint8_t(kLastLayout)) return false;
  h.kind = FrameKind(in[4]);
  h.layout = Layout(in[5]);
  h.dtype = in[6];
  h.planes = in[7];
  h.segment = Get32(in + 8);
  h.raw_bytes = Get32(in + 12);
  h.offset = Get64(in + 16);
  h.xxh3 = Get64(in + 24);
  h.payload_bytes = Get32(in + 32);
  if (h.planes == 0 || h.planes > kMaxPlanes) return false;
  if (h.kind == FrameKind::kData && h.raw_bytes > kMaxChunkBytes) return false;
  if (h.kind == FrameKind::kIndex && (h.raw_bytes > kMaxIndexBytes || h.payload_bytes > kMaxIndexBytes)) return false;
  if (h.dtype >= uint8_t(kNumDTypes)) return false;
  return true;
}

StatusOr<FrameView> ParseFrame(std::span<const uint8_t> bytes) {
  if (bytes.size() < kFrameHeaderBytes) return CorruptDataError("frame header is truncated");
  FrameView f;
  if (!ParseFrameHeader(bytes.data(), f.header)) return CorruptDataError("frame header is corrupt");
  if (f.header.payload_bytes > bytes.size() - kFrameHeaderBytes) return CorruptDataError("frame is truncated");
  f.payload = bytes.subspan(kFrameHeaderBytes, f.header.payload_bytes);
  return f;
}

}  // namespace tpz3

namespace {

class AtomicFileSink final : public ByteSink {
 public:
  explicit AtomicFileSink(AtomicFile& f) : f_(f) {}
  Status Write(std::span<const uint8_t> bytes) override { return f_.Write(bytes); }

 private:
  AtomicFile& f_;
};

class StdioSink final : public ByteSink {
 public:
  explicit StdioSink(std::FILE* f) : f_(f) {}
  Status Write(std::span<const uint8_t> bytes) override {
    if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), f_) != bytes.size())
      return IoError("cannot write to standard output");
    return Status::Ok();
  }

 private:
  std::FILE* f_;
};

class VectorSink final : public ByteSink {
 public:
  explicit VectorSink(std::vector<uint8_t>& v) : v_(v) {}
  Status Write(std::span<const uint8_t> bytes) override {
    v_.insert(v_.end(), bytes.begin(), bytes.end());
    return Status::Ok();
  }

 private:
  std::vector<uint8_t>& v_;
};

class StdioSource final : public ByteSource {
 public:
  explicit StdioSource(std::FILE* f) : f_(f) {}
  StatusOr<size_t> Read(std::span<uint8_t> out) override {
    size_t got = std::fread(out.data(), 1, out.size(), f_);
    if (got < out.size() && std::ferror(f_)) return IoError("cannot read standard input");
    return got;
  }

 private:
  std::FILE* f_;
};

class BytesSource final : public ByteSource {
 public:
  explicit BytesSource(std::span<const uint8_t> b) : b_(b) {}
  StatusOr<size_t> Read(std::span<uint8_t> out) override {
    const size_t k = std::min(out.size(), b_.size() - pos_);
    if (k) std::memcpy(out.data(), b_.data() + pos_, k);
    pos_ += k;
    return k;
  }

 private:
  std::span<const uint8_t> b_;
  size_t pos_ = 0;
};

}  // namespace

std::unique_ptr<ByteSink> SinkFor(AtomicFile& file) { return std::make_unique<AtomicFileSink>(file); }
std::unique_ptr<ByteSink> SinkForStdio(std::FILE* stream) { return std::make_unique<StdioSink>(stream); }
std::unique_ptr<ByteSink> SinkForVector(std::vector<uint8_t>& out) { return std::make_unique<VectorSink>(out); }
std::unique_ptr<ByteSource> SourceForStdio(std::FILE* stream) { return std::make_unique<StdioSource>(stream); }
std::unique_ptr<ByteSource> SourceForBytes(std::span<const uint8_t> bytes) {
  return std::make_unique<BytesSource>(bytes);
}

EngineOptions DefaultEngineOptions() { return EngineOptions{}; }

Status ValidateEngineOptions(const EngineOptions& o) {
  if (o.threads < 0 || o.threads > 4096) return InvalidArgumentError("threads must be 0 (all cores) .. 4096");
  if (o.chunk_bytes < tpz3::kMinChunkBytes || o.chunk_bytes > tpz3::kMaxChunkBytes)
    return InvalidArgumentError("chunk size must be 64 KiB .. 64 MiB");
  if (o.level != EngineLevel::kFast && o.level != EngineLevel::kDefault && o.level != EngineLevel::kMax)
    return InvalidArgumentError("unknown level");
  return Status::Ok();
}

bool IsStreamingTpz(std::span<const uint8_t> prefix) {
  return prefix.size() >= 8 && std::memcmp(prefix.data(), tpz3::kMagic, 4) == 0 &&
         tpz3::Get32(prefix.data() + 4) == tpz3::kVersion;
}

}  // namespace tp
