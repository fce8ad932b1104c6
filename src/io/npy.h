// Internal: the .npy array format, shared by the .npy and .npz readers and
// writers.
//
// A .npy file is the magic "\x93NUMPY", a major and minor version byte, the
// header length (u16 in version 1.0, u32 in 2.0 and 3.0), a header that is a
// Python dict literal such as
//   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
// padded with spaces and ended by '\n', then the raw array bytes.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "tensorpress/tensor.h"

namespace tp::io {

// Parses one .npy image into a tensor called `name`. The tensor views
// `bytes` (kept alive by `owner`) when its data is aligned for its element
// type, and holds an aligned copy otherwise (members of an .npz archive sit
// at arbitrary offsets). Big-endian, Fortran-ordered (rank >= 2),
// structured and object arrays are kUnsupported; anything malformed is
// kCorruptData.
StatusOr<Tensor> ParseNpy(std::span<const uint8_t> bytes, std::string name,
                          std::shared_ptr<const void> owner);

// The bytes numpy's np.save writes before the data of an array shaped and
// typed like `tensor` (same dict text, padding and version choice), so that
// header + tensor.bytes() is a .npy image identical to numpy's. dtypes with
// no numpy equivalent (bf16, packed 4-bit, GGUF blocks) are
// kInvalidArgument.
StatusOr<std::string> NpyHeader(const Tensor& tensor);

}  // namespace tp::io
