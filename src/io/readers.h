// Internal: one entry point per model format. Each reads from a Buffer that
// the returned tensors keep alive. `path` is for messages and side files.
#pragma once

#include <memory>
#include <string>

#include "tensorpress/model.h"

namespace tp::io {

StatusOr<Model> ReadSafetensors(std::shared_ptr<const Buffer> buffer, const std::string& path);
StatusOr<Model> ReadNpy(std::shared_ptr<const Buffer> buffer, const std::string& path);
StatusOr<Model> ReadNpz(std::shared_ptr<const Buffer> buffer, const std::string& path);
StatusOr<Model> ReadGguf(std::shared_ptr<const Buffer> buffer, const std::string& path);
StatusOr<Model> ReadOnnx(std::shared_ptr<const Buffer> buffer, const std::string& path,
                         bool allow_external_data);
StatusOr<Model> ReadLlama2c(std::shared_ptr<const Buffer> buffer, const std::string& path);
StatusOr<Model> ReadTflite(std::shared_ptr<const Buffer> buffer, const std::string& path);
// PyTorch torch.save files (ZIP and legacy), through a restricted unpickler.
StatusOr<Model> ReadPytorch(std::shared_ptr<const Buffer> buffer, const std::string& path);

// True when the bytes are a plausible llama2.c checkpoint: seven positive
// int32 config fields whose implied weight size matches the file size.
bool LooksLikeLlama2c(std::span<const uint8_t> bytes);
// A ZIP holding data.pkl or <archive>/data.pkl (torch.save since 1.6).
bool LooksLikePytorchZip(std::span<const uint8_t> bytes);
// The legacy torch.save stream (its first pickle is torch's magic number).
bool LooksLikeLegacyPytorch(std::span<const uint8_t> bytes);

}  // namespace tp::io
