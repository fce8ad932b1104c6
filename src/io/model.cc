#include "tensorpress/model.h"

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "io/readers.h"

namespace tp {

std::string_view ModelFormatName(ModelFormat format) {
  switch (format) {
    case ModelFormat::kUnknown: return "unknown";
    case ModelFormat::kSafetensors: return "safetensors";
    case ModelFormat::kNpy: return "npy";
    case ModelFormat::kNpz: return "npz";
    case ModelFormat::kGguf: return "gguf";
    case ModelFormat::kOnnx: return "onnx";
    case ModelFormat::kLlama2c: return "llama2c";
    case ModelFormat::kTflite: return "tflite";
    case ModelFormat::kPytorch: return "pytorch";
  }
  return "unknown";
}

namespace {

bool HasPrefix(std::span<const uint8_t> b, std::string_view magic, size_t at = 0) {
  return b.size() >= at + magic.size() && std::memcmp(b.data() + at, magic.data(), magic.size()) == 0;
}

std::string Extension(std::string_view path) {
  std::string ext = std::filesystem::path(std::string(path)).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext;
}

}  // namespace

ModelFormat DetectFormat(std::span<const uint8_t> b, std::string_view path) {
  if (HasPrefix(b, "\x93NUMPY")) return ModelFormat::kNpy;
  if (HasPrefix(b, "PK\x03\x04") || HasPrefix(b, "PK\x05\x06"))
    return io::LooksLikePytorchZip(b) ? ModelFormat::kPytorch : ModelFormat::kNpz;
  if (io::LooksLikeLegacyPytorch(b)) return ModelFormat::kPytorch;
  if (HasPrefix(b, "GGUF")) return ModelFormat::kGguf;
  if (HasPrefix(b, "TFL3", 4)) return ModelFormat::kTflite;
  // safetensors: u64 header length, then a JSON object.
  if (b.size() >= 9 && b[8] == '{') {
    uint64_t n;
    std::memcpy(&n, b.data(), 8);
    if (n >= 2 && n <= b.size() - 8) return ModelFormat::kSafetensors;
  }
  if (io::LooksLikeLlama2c(b)) return ModelFormat::kLlama2c;
  // ONNX is a bare protobuf with no magic: a ModelProto starts with field 1
  // (ir_version, varint, tag 0x08) in every exporter's output.
  std::string ext = Extension(path);
  if (ext == ".onnx") return ModelFormat::kOnnx;
  if (b.size() >= 2 && b[0] == 0x08 && b[1] > 0 && b[1] < 0x20) return ModelFormat::kOnnx;
  // Name-only fallbacks for files whose content did not decide.
  if (ext == ".safetensors") return ModelFormat::kSafetensors;
  if (ext == ".gguf") return ModelFormat::kGguf;
  if (ext == ".tflite") return ModelFormat::kTflite;
  if (ext == ".npy") return ModelFormat::kNpy;
  if (ext == ".npz") return ModelFormat::kNpz;
  if (ext == ".pt" || ext == ".pth") return ModelFormat::kPytorch;
  if (ext == ".bin") return ModelFormat::kLlama2c;
  return ModelFormat::kUnknown;
}

StatusOr<Model> ReadModelFromBuffer(std::shared_ptr<const Buffer> buffer, const std::string& path,
                                    const ReadOptions& options) {
  ModelFormat format = options.format;
  if (format == ModelFormat::kUnknown) format = DetectFormat(buffer->bytes(), path);
  StatusOr<Model> model = [&]() -> StatusOr<Model> {
    switch (format) {
      case ModelFormat::kSafetensors: return io::ReadSafetensors(buffer, path);
      case ModelFormat::kNpy: return io::ReadNpy(buffer, path);
      case ModelFormat::kNpz: return io::ReadNpz(buffer, path);
      case ModelFormat::kGguf: return io::ReadGguf(buffer, path);
      case ModelFormat::kOnnx: return io::ReadOnnx(buffer, path, options.allow_external_data);
      case ModelFormat::kLlama2c: return io::ReadLlama2c(buffer, path);
      case ModelFormat::kTflite: return io::ReadTflite(buffer, path);
      case ModelFormat::kPytorch: return io::ReadPytorch(buffer, path);
      case ModelFormat::kUnknown: break;
    }
    return UnsupportedError(
        "unrecognised file format (expected safetensors, npy, npz, gguf, onnx, tflite, a PyTorch "
        "checkpoint or a llama2.c checkpoint)");
  }();
  if (!model.ok()) return model.status().WithContext(path);
  model->path = path;
  model->format = format;
  // Every format's names must be unique for tools that select by name.
  std::vector<std::string_view> names;
  names.reserve(model->tensors.size());
  for (const Tensor& t : model->tensors) names.push_back(t.name());
  std::sort(names.begin(), names.end());
  auto dup = std::adjacent_find(names.begin(), names.end());
  if (dup != names.end())
    return CorruptDataError(path + ": duplicate tensor name '" + std::string(*dup) + "'");
  return model;
}

StatusOr<Model> ReadModel(const std::string& path, const ReadOptions& options) {
  TP_ASSIGN_OR_RETURN(std::shared_ptr<MappedFile> file, MappedFile::Open(path));
  return ReadModelFromBuffer(std::move(file), path, options);
}

}  // namespace tp
