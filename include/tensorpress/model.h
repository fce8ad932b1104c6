// Model files: reading every supported format into a list of tensors, and
// writing the formats tensorpress can produce.
//
// ReadModel detects the format from the file's first bytes (falling back to
// the extension only where a format has no magic: llama2.c checkpoints), maps
// the file and returns tensors that view the mapping. Every reader checks
// each size, count and offset against the file size and against overflow
// before it allocates or reads; a bad file yields kCorruptData with a
// message naming the file and the problem.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tensorpress/buffer.h"
#include "tensorpress/status.h"
#include "tensorpress/tensor.h"

namespace tp {

enum class ModelFormat { kUnknown, kSafetensors, kNpy, kNpz, kGguf, kOnnx, kLlama2c, kTflite, kPytorch };

std::string_view ModelFormatName(ModelFormat format);  // "safetensors", "gguf", ...

// Format-level key/value metadata, values rendered as text (safetensors
// __metadata__, GGUF key/values, ONNX producer, llama2.c config...).
using Metadata = std::vector<std::pair<std::string, std::string>>;

struct Model {
  std::string path;
  ModelFormat format = ModelFormat::kUnknown;
  std::vector<Tensor> tensors;
  Metadata metadata;
  // Things a reader kept but could not fully interpret (e.g. a GGUF tensor
  // of a ggml type newer than tensorpress, kept as opaque bytes), one line each.
  std::vector<std::string> warnings;
};

struct ReadOptions {
  // Skip detection and read as this format.
  ModelFormat format = ModelFormat::kUnknown;
  // Allow ONNX external-data files next to the model (off for fuzzing).
  bool allow_external_data = true;
};

// Guesses the format from the first bytes of a file and its name.
ModelFormat DetectFormat(std::span<const uint8_t> bytes, std::string_view path);

StatusOr<Model> ReadModel(const std::string& path, const ReadOptions& options = {});
// Reads from bytes in memory; `path` names the source in messages and
// locates ONNX external data when allowed.
StatusOr<Model> ReadModelFromBuffer(std::shared_ptr<const Buffer> buffer, const std::string& path,
                                    const ReadOptions& options = {});

// --- Writers. All go through AtomicFile (temporary file + rename). ---

// safetensors with optional __metadata__ (string values). Tensor names must
// be unique and non-empty; dtypes without a safetensors name (packed 4-bit,
// GGUF blocks) are rejected.
Status WriteSafetensors(const std::string& path, std::span<const Tensor> tensors,
                        const Metadata& metadata, const WriteOptions& options = {});

// The same file with tensors produced one at a time, so that a transformed
// model (a cast, a pruning) is written in the memory of one tensor:
// `produce(i)` must return a tensor with specs[i]'s name, dtype and shape.
struct TensorSpec {
  std::string name;
  DType dtype = DType::kF32;
  Shape shape;
};
Status WriteSafetensorsFrom(const std::string& path, std::span<const TensorSpec> specs, const Metadata& metadata,
                            const std::function<StatusOr<Tensor>(size_t)>& produce,
                            const WriteOptions& options = {});

// GGUF version 3 (readable by ggml/llama.cpp). Shapes are written reversed
// into ggml's order (ne[0] = the last, fastest-varying tensorpress dimension)
// and read back unchanged. Supports f32, f16, bf16, every ggml block type (q8_0, q4_k, iq2_xs, ...), i8,
// i16, i32, i64 and f64 tensors of rank <= 4; block-quantized rows must hold
// whole blocks. Metadata values are written as strings, except
// "general.alignment" (a power of two, default 32), written as uint32 and
// used to align the data section and every tensor.
Status WriteGguf(const std::string& path, std::span<const Tensor> tensors, const Metadata& metadata,
                 const WriteOptions& options = {});

// NumPy .npy: one array, header byte-identical to np.save's (data 64-byte
// aligned). dtypes without a NumPy equivalent (bf16, packed 4-bit, GGUF
// blocks) are rejected.
Status WriteNpy(const std::string& path, const Tensor& tensor, const WriteOptions& options = {});
// NumPy .npz as np.savez writes it: a ZIP of stored NAME.npy members (ZIP64
// where sizes or offsets need it). Names must be unique and non-empty.
Status WriteNpz(const std::string& path, std::span<const Tensor> tensors,
                const WriteOptions& options = {});

}  // namespace tp
