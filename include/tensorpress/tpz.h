// The .tpz container: a whole model, every tensor coded losslessly.
//
// Layout (little-endian):
//   "TPZ1"        magic
//   u32           format version (1)
//   u64           header bytes H
//   u64           XXH3-64 of the header
//   H bytes       header, UTF-8 JSON:
//                   {"metadata": {key: value, ...},
//                    "tensors": [{"name", "dtype", "shape",
//                                 "planes": [{"codec", "offset", "size", "xxh3": [...]}, ...]}, ...]}
//   data          the planes' codec streams (include/tensorpress/codec.h), each at
//                 `offset` bytes from the start of the data, `size` bytes long.
//                 Each stream carries its own chunk index; "xxh3" lists the XXH3-64
//                 (hex) of the stream's header, then of each chunk (StreamChunkSpans).
//                 A quantized tensor also has "quantization": {"scale": [...],
//                 "zero_point": [...], "axis", "original_dtype"} (real = scale * (q - zero_point)).
//                 An ASTC tensor (lossy) has "astc" instead of "planes":
//                   {"footprint": [bx, by], "channels", "matrix": [rows, cols],
//                    "map": {"offset", "scale", "tile"}, "offset", "size", "xxh3",
//                    "error": {"rmse", "max_error", "snr_db"}}
//                 and its data is the image's blocks (row by row, 16 bytes each)
//                 followed by the tile ranges (2 bytes per tile when "tile" > 0),
//                 as include/tensorpress/astc.h describes AstcTensor.
// A tensor of 1-byte elements is one plane (int8 as value + 128); wider
// whole-byte dtypes are split into byte planes (plane k = byte k of every
// element); packed and block-quantized dtypes are one plane of raw bytes.
// Decoding checks the header checksum, every stream header's and chunk's
// checksum and the codec streams' own structure, and names the tensor, plane
// and chunk that failed.
#pragma once

#include <optional>
#include <span>
#include <string>

#include "tensorpress/astc.h"
#include "tensorpress/buffer.h"
#include "tensorpress/codec.h"
#include "tensorpress/model.h"

namespace tp {

struct TpzOptions {
  std::optional<Codec> codec;  // nullopt: "auto", the smallest codec per plane
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
// Reads only the (checksummed) header.
StatusOr<std::vector<TpzLossyTensor>> TpzLossyTensors(std::span<const uint8_t> bytes, const std::string& name);

// The container's bytes for these tensors.
StatusOr<std::vector<uint8_t>> EncodeTpz(std::span<const Tensor> tensors, const Metadata& metadata,
                                         const TpzOptions& options);
Status WriteTpz(const std::string& path, std::span<const Tensor> tensors, const Metadata& metadata,
                const TpzOptions& options, const WriteOptions& write);

// Decodes a container; `name` names the source in messages.
StatusOr<Model> DecodeTpz(std::span<const uint8_t> bytes, const std::string& name, int threads = 0);
StatusOr<Model> ReadTpz(const std::string& path, int threads = 0);

}  // namespace tp
