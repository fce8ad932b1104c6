// The .tpz container: a whole model, every tensor coded losslessly (or, on
// request, weight matrices stored lossily as ASTC textures).
//
// Layout (little-endian):
//   "TPZ1"        magic
//   u32           format version (2; version 1 files are rejected)
//   u64           header bytes H
//   u64           XXH3-64 of the header
//   H bytes       header: one zstd frame (content size stated) of UTF-8 JSON:
//                   {"metadata": {key: value, ...},
//                    "tensors": [{"name", "dtype", "shape", "layout",
//                                 "planes": [{"codec", "offset", "size", "xxh3": [...]}, ...]}, ...]}
//   data          the planes, each at `offset` bytes from the start of the
//                 data, `size` bytes long: a codec stream
//                 (include/tensorpress/codec.h) carrying its own chunk index,
//                 or with "codec": "raw" the plane's bytes themselves.
//                 "xxh3" lists XXH3-64 (hex): of a stream's header, then of
//                 each chunk (StreamChunkSpans); of a raw plane, one per
//                 65536-byte block.
//                 A quantized tensor also has "quantization": {"scale": [...],
//                 "zero_point": [...], "axis", "original_dtype"} (real = scale * (q - zero_point)).
//                 An ASTC tensor (lossy) has "astc" instead of "layout" and "planes":
//                   {"footprint": [bx, by], "channels", "matrix": [rows, cols],
//                    "map": {"offset", "scale", "tile"}, "offset", "size", "xxh3",
//                    "error": {"rmse", "max_error", "snr_db"}}
//                 and its data is the image's blocks (row by row, 16 bytes each)
//                 followed by the tile ranges (2 bytes per tile when "tile" > 0),
//                 as include/tensorpress/astc.h describes AstcTensor.
// "layout" says how a tensor's bytes become planes:
//   "bytes"   1-byte elements are one plane (int8 as value + 128); wider
//             whole-byte dtypes are byte planes (plane k = byte k of every
//             element); packed and block-quantized dtypes one plane of raw bytes.
//   "fields"  f32, f16, bf16: sign bits (packed 8 a byte), exponent (a byte per
//             value), the mantissa bits above its whole low bytes (a byte per
//             value), then the low mantissa bytes, most significant first
//             (src/codec/float_fields.h).
//   "whole"   one plane: the tensor's bytes as stored.
// Decoding checks the header checksum, every stream header's and chunk's
// checksum and the codec streams' own structure, and names the tensor, plane
// and chunk that failed. TpzReader decodes one tensor, or a range of one
// tensor's elements, touching only the chunks it needs.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "tensorpress/astc.h"
#include "tensorpress/buffer.h"
#include "tensorpress/codec.h"
#include "tensorpress/model.h"

namespace tp {

enum class TpzLayout {
  kAuto,         // writer only: the smaller of bytes and fields per tensor
  kBytePlanes,   // "bytes"
  kFloatFields,  // "fields" (f32, f16, bf16; other dtypes fall back to bytes)
  kWhole,        // "whole"
};
std::string_view TpzLayoutName(TpzLayout layout);  // "auto", "bytes", "fields", "whole"
std::optional<TpzLayout> TpzLayoutFromName(std::string_view name);

struct TpzOptions {
  std::optional<Codec> codec;  // nullopt: "auto", the smallest codec (or raw) per plane
  TpzLayout layout = TpzLayout::kAuto;
  CodecOptions codec_options = DefaultCodecOptions();
  // Tensors that a lossy quantization produced: name -> dtype before it. A
  // tensor carrying QuantParams has them recorded in the header either way.
  std::vector<std::pair<std::string, std::string>> original_dtype;
  // Tensors stored lossily as ASTC textures (astc::EncodeTensor of the
  // tensor of that name): the container keeps the blocks and the affine
  // map, and records the weight-domain error of the decode it stores.
  std::vector<std::pair<std::string, astc::AstcTensor>> astc;
};

// A tensor the container stores lossily, with the error measured when it
// was written (weight domain, against the original values).
struct TpzLossyTensor {
  std::string name;
  std::string codec;  // "astc 6x6 luminance, per-tensor map" ...
  uint64_t weights = 0;
  uint64_t stored_bytes = 0;  // blocks + affine map
  double bits_per_weight = 0;
  double rmse = 0, max_error = 0, snr_db = 0;
};
// What the writer chose, for reports: per tensor, the size of each layout it
// tried and, for the chosen one, every plane.
struct TpzPlaneReport {
  std::string name;         // "exponent", "byte3", ...
  std::string codec;        // codec name or "raw"
  uint64_t bytes = 0;       // uncoded
  uint64_t coded_bytes = 0;
  double entropy_bits = 0;  // order-0 entropy of the plane's bytes, bits per byte
};
struct TpzTensorReport {
  std::string name;
  DType dtype = DType::kF32;
  uint64_t elements = 0, bytes = 0;
  TpzLayout layout = TpzLayout::kBytePlanes;
  std::vector<std::pair<TpzLayout, uint64_t>> tried;  // layout -> coded bytes of all its planes
  std::vector<TpzPlaneReport> planes;
};
struct TpzReport {
  std::vector<TpzTensorReport> tensors;
  uint64_t header_bytes = 0, file_bytes = 0;
};

// The container's bytes for these tensors; `report`, if given, is filled.
StatusOr<std::vector<uint8_t>> EncodeTpz(std::span<const Tensor> tensors, const Metadata& metadata,
                                         const TpzOptions& options, TpzReport* report = nullptr);
Status WriteTpz(const std::string& path, std::span<const Tensor> tensors, const Metadata& metadata,
                const TpzOptions& options, const WriteOptions& write, TpzReport* report = nullptr);

// Random access to a container: the header is parsed and checked once;
// tensors are decoded on request. Copies share the bytes.
struct TpzTensorInfo {
  std::string name;
  DType dtype = DType::kF32;
  Shape shape;
  uint64_t elements = 0;
  TpzLayout layout = TpzLayout::kBytePlanes;
  uint64_t stored_bytes = 0;  // all its planes
  std::optional<QuantParams> quant;
  std::string original_dtype;  // before a lossy quantization, if recorded
  // Set for a tensor stored lossily (ASTC); its `layout` then means nothing.
  std::optional<TpzLossyTensor> lossy;
};
class TpzReader {
 public:
  // `bytes` must outlive the reader unless `owner` keeps them alive.
  static StatusOr<TpzReader> FromBytes(std::span<const uint8_t> bytes, std::string name,
                                       std::shared_ptr<const void> owner = nullptr);
  static StatusOr<TpzReader> Open(const std::string& path);

  const Metadata& metadata() const;
  std::span<const TpzTensorInfo> tensors() const;
  std::optional<size_t> Find(std::string_view name) const;

  // One whole tensor, carrying its QuantParams. threads: 0 = all cores.
  StatusOr<Tensor> ReadTensor(size_t index, int threads = 0) const;
  StatusOr<Tensor> ReadTensor(std::string_view name, int threads = 0) const;
  // Elements [begin, begin + count) of a tensor as a 1-D tensor of its dtype
  // (with its QuantParams only when they are per tensor). A range outside the
  // tensor is InvalidArgumentError; block-quantized dtypes need a range on
  // block boundaries.
  StatusOr<Tensor> ReadElements(std::string_view name, uint64_t begin, uint64_t count, int threads = 0) const;
  StatusOr<Model> ReadAll(int threads = 0) const;

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
};

// The lossy tensors of a container, from its (checksummed) header alone.
StatusOr<std::vector<TpzLossyTensor>> TpzLossyTensors(std::span<const uint8_t> bytes, const std::string& name);

// Decodes a container; `name` names the source in messages.
StatusOr<Model> DecodeTpz(std::span<const uint8_t> bytes, const std::string& name, int threads = 0);
StatusOr<Model> ReadTpz(const std::string& path, int threads = 0);

}  // namespace tp
