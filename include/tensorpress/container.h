// The streaming .tpz engine: whole model files, any size, back byte for byte.
//
// ---- Design ----
// A model file is a few tensors' bytes with other bytes around them
// (headers, metadata, graphs, padding). The engine cuts the input file into
// *segments* in file order: each tensor whose bytes lie plainly in the file
// (every reader returns such tensors as views of the memory-mapped file) is
// one segment, and the bytes between them are "other" segments. Segments are
// cut into chunks of about `chunk_bytes` (on element and block boundaries),
// and every chunk becomes one self-contained *frame*: a fixed header, then
// the chunk split into planes (a float's sign, exponent and mantissa fields,
// an integer's byte planes, a block type's bytes), each plane coded by the
// codec its histogram says is smallest, or stored. Other bytes are coded
// with zstd. Each frame carries the XXH3 of the bytes it restores.
//
// Frames are written in file order, so the file decompresses by reading
// frames front to back (a pipe is enough) and appending what they restore.
// The index (segments, tensors, the offset of every frame) and a fixed-size
// trailer pointing at it come last, as in a ZIP central directory or zstd's
// seekable format: a streaming writer knows them only at the end, and a
// reader with a seekable file reads them first for random access.
//
// Memory: frames are encoded by a pool of threads over a bounded window of
// chunks and written in order; decoding does the same. Peak memory is about
// threads x (a few chunks), never the model's size. The input is mapped, not
// read into memory.
//
// Layout (little-endian; src/container/tpz3_format.h has the exact fields):
//   "TPZ1" u32 version (3) u64 flags        16-byte prelude
//   frame*                                 data frames in file order
//   index frame                            zstd frame of UTF-8 JSON
//   u64 index offset, u64 index bytes, u32 version, "TPZE"   24-byte trailer
//
// Lossy options (quantization, ASTC) still write version 2 (tpz.h).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tensorpress/buffer.h"
#include "tensorpress/codec.h"
#include "tensorpress/model.h"
#include "tensorpress/status.h"

namespace tp {

// Where the engine writes; AtomicFile and standard output are sinks.
class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual Status Write(std::span<const uint8_t> bytes) = 0;
};
// Where the streaming decoder reads: Read returns 0 only at the end.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual StatusOr<size_t> Read(std::span<uint8_t> out) = 0;
};
// Adapters: an AtomicFile, a stdio stream (stdout, stdin), bytes in memory.
std::unique_ptr<ByteSink> SinkFor(AtomicFile& file);
std::unique_ptr<ByteSink> SinkForStdio(std::FILE* stream);
std::unique_ptr<ByteSink> SinkForVector(std::vector<uint8_t>& out);
std::unique_ptr<ByteSource> SourceForStdio(std::FILE* stream);
std::unique_ptr<ByteSource> SourceForBytes(std::span<const uint8_t> bytes);

// Levels in zstd's spirit.
enum class EngineLevel {
  kFast = 1,     // one order-0 coder per plane chosen from its histogram
  kDefault = 2,  // the fastest-decoding coder within ~0.5% of the smallest estimate
  kMax = 3,      // every codec and both float layouts tried per chunk; zstd -19 on other bytes
};

struct EngineOptions {
  int threads = 0;  // 0: all cores; 1: exactly one thread
  EngineLevel level = EngineLevel::kDefault;
  uint64_t chunk_bytes = uint64_t(1) << 20;  // 64 KiB .. 64 MiB
  bool verify = true;                        // decode every frame while its input is in memory
  std::optional<Codec> codec;                // force this codec on every coded plane
  // Inputs up to 1 MiB (64 MiB with kMax) also try zstd -19 on the whole
  // file, kept when smaller than the frames (small TFLite models).
  bool whole_file_zstd = true;
  // Called in file order from the writing thread: bytes of input done, of total.
  std::function<void(uint64_t done, uint64_t total)> progress;
};
// The defaults above, checked (astc-encoder's *_init idiom).
EngineOptions DefaultEngineOptions();
Status ValidateEngineOptions(const EngineOptions& options);

// What compress did, for reports: per plane kind, bytes in and out.
struct EnginePlaneStats {
  std::string name;  // "f32 exponent", "bf16 mantissa-high", "i8 codes", "other bytes"
  uint64_t bytes = 0, coded_bytes = 0;
  double entropy_bits = 0;                       // sum over chunks of H * bytes
  std::vector<std::pair<std::string, uint64_t>> codecs;  // codec -> coded bytes
};
struct EngineStats {
  uint64_t input_bytes = 0, output_bytes = 0;
  uint64_t tensor_bytes = 0, other_bytes = 0;  // of the input
  uint64_t tensors = 0, frames = 0;
  std::vector<EnginePlaneStats> planes;
};

// One file's bytes and how they split into tensors: `tensors` are views of
// `file` (others are ignored and their bytes coded as other bytes).
struct EngineInput {
  std::string name;  // the file's name as it will be restored
  ModelFormat format = ModelFormat::kUnknown;
  std::shared_ptr<const Buffer> file;
  std::vector<Tensor> tensors;
  Metadata metadata;
};
// Reads `path` (mapped) with the model readers. A file they cannot parse is
// an error unless `raw_fallback`, which stores it as other bytes; a file
// with no tensor is an error (there is nothing tensorpress can add to zstd).
StatusOr<EngineInput> OpenEngineInput(const std::string& path, bool raw_fallback);

Status CompressStream(const EngineInput& input, ByteSink& out, const EngineOptions& options,
                      EngineStats* stats = nullptr);

// The index of a version-3 container, checked.
struct ArchiveTensor {
  std::string name;
  DType dtype = DType::kF32;
  Shape shape;
  uint64_t file_offset = 0, bytes = 0;  // in the original file
  uint32_t segment = 0;
  std::optional<QuantParams> quant;  // as the reader found them (TFLite int8 ...)
};
struct ArchiveInfo {
  std::string name;  // the original file's name
  std::string format;
  uint64_t file_bytes = 0;
  uint64_t stored_bytes = 0;  // the container's size
  uint64_t frames = 0;
  std::vector<ArchiveTensor> tensors;
  Metadata metadata;
};

// True when `bytes` start like a version-3 container.
bool IsStreamingTpz(std::span<const uint8_t> prefix);

// Restores the original file from a container read front to back (stdin
// works); checks every frame, the index and the whole file's XXH3.
Status DecompressStream(ByteSource& in, const std::string& name, ByteSink& out, const EngineOptions& options,
                        ArchiveInfo* info = nullptr);

// Random access to a version-3 container in memory (mapped): the trailer
// and index are read and checked first.
class TpzArchive {
 public:
  static StatusOr<TpzArchive> Open(std::shared_ptr<const Buffer> bytes, const std::string& name);
  const ArchiveInfo& info() const;
  // The original file, in order, decoded on `options.threads`.
  Status Restore(ByteSink& out, const EngineOptions& options) const;
  // One tensor's bytes; elements [begin, begin+count) decode only the frames
  // they touch (block types need block-aligned ranges).
  StatusOr<Tensor> ReadTensor(size_t index, int threads = 0) const;
  StatusOr<Tensor> ReadElements(size_t index, uint64_t begin, uint64_t count, int threads = 0) const;

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
};

}  // namespace tp
