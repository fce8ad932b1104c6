// Internal: one version-3 frame, coded and decoded (tpz3_format.h). The
// decoder (dec_frame.cc) never includes the encoder (enc_frame.cc).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "container/tpz3_format.h"
#include "tensorpress/container.h"
#include "tensorpress/status.h"

namespace tp::tpz3 {

// A parsed frame: its header and the bytes after it (plane table + data).
struct FrameView {
  FrameHeader header;
  std::span<const uint8_t> payload;
};
// Parses the frame at the start of `bytes` (which may extend past it).
StatusOr<FrameView> ParseFrame(std::span<const uint8_t> bytes);

// Decodes a data frame into `out` (header.raw_bytes bytes) and checks the
// restored bytes' XXH3. Uses per-thread scratch memory.
Status DecodeFrame(const FrameView& frame, std::span<uint8_t> out);

// Encoder side (enc_frame.cc).
struct ChunkToCode {
  uint32_t segment = 0;
  uint64_t offset = 0;               // within the segment
  std::span<const uint8_t> bytes;    // the chunk
  bool tensor = false;               // false: other bytes (zstd)
  DType dtype = DType::kU8;          // of a tensor's elements
  bool gguf_header = false;          // other bytes that are a GGUF file's whole header
};
struct PlaneOutcome {
  std::string name;  // "f32 exponent"
  uint64_t bytes = 0, coded_bytes = 0;
  double entropy_bits = 0;  // H * bytes
  std::string codec;        // "stored", "zstd", codec name
};
struct CodedFrame {
  std::vector<uint8_t> bytes;  // the whole frame
  std::vector<PlaneOutcome> planes;
};
StatusOr<CodedFrame> EncodeFrame(const ChunkToCode& chunk, const EngineOptions& options);

}  // namespace tp::tpz3
