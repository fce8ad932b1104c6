// Byte buffers and safe file output.
//
// Readers work on a Buffer: an immutable run of bytes that is either a
// read-only memory map of a file (so a multi-GB model is paged in on demand,
// never copied whole) or bytes owned in memory (decompressed data, tests,
// fuzzers). Tensors hold a shared_ptr to the buffer they view, so a view
// stays valid for as long as any tensor uses it.
//
// Output goes through AtomicFile: bytes are written to a temporary file in
// the destination folder and renamed into place only by Commit(), so a
// crash or error never leaves a half-written file under the final name, and
// an existing file is replaced only when the caller allows it.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "tensorpress/status.h"

namespace tp {

class Buffer {
 public:
  virtual ~Buffer() = default;
  virtual std::span<const uint8_t> bytes() const = 0;
  const uint8_t* data() const { return bytes().data(); }
  size_t size() const { return bytes().size(); }
};

class OwnedBuffer final : public Buffer {
 public:
  explicit OwnedBuffer(std::vector<uint8_t> bytes) : bytes_(std::move(bytes)) {}
  std::span<const uint8_t> bytes() const override { return bytes_; }

 private:
  std::vector<uint8_t> bytes_;
};

// A read-only, private memory map of a whole file. Empty files map to an
// empty span.
class MappedFile final : public Buffer {
 public:
  static StatusOr<std::shared_ptr<MappedFile>> Open(const std::string& path);
  ~MappedFile() override;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  std::span<const uint8_t> bytes() const override { return {data_, size_}; }
  const std::string& path() const { return path_; }

 private:
  MappedFile(std::string path, const uint8_t* data, size_t size)
      : path_(std::move(path)), data_(data), size_(size) {}
  std::string path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

std::shared_ptr<const Buffer> MakeOwnedBuffer(std::vector<uint8_t> bytes);

struct WriteOptions {
  bool overwrite = false;  // replace an existing file (the CLI's --force)
};

class AtomicFile {
 public:
  // Creates a temporary file beside `path`. Fails with kAlreadyExists when
  // `path` exists and options.overwrite is false.
  static StatusOr<std::unique_ptr<AtomicFile>> Create(const std::string& path,
                                                      const WriteOptions& options);
  ~AtomicFile();  // removes the temporary file unless committed
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  Status Write(std::span<const uint8_t> bytes);
  Status Write(const void* data, size_t size) {
    return Write({static_cast<const uint8_t*>(data), size});
  }
  uint64_t bytes_written() const { return written_; }
  // Flushes, fsyncs and renames the temporary file to the final path.
  Status Commit();

 private:
  AtomicFile(std::string path, std::string temp_path, int fd, bool overwrite)
      : path_(std::move(path)), temp_path_(std::move(temp_path)), fd_(fd), overwrite_(overwrite) {}
  std::string path_;
  std::string temp_path_;
  int fd_ = -1;
  bool overwrite_ = false;
  bool committed_ = false;
  uint64_t written_ = 0;
  int signal_slot_ = -1;  // in the registry RemoveTemporaryFilesOnSignals reads
};

// Installs handlers for SIGINT, SIGTERM, SIGHUP and SIGPIPE that remove the
// temporary files of every AtomicFile not yet committed, then die of the
// signal: a killed command leaves no partial output. For programs (the CLI).
void RemoveTemporaryFilesOnSignals();

// Convenience: writes all of `bytes` to `path` atomically.
Status WriteFileAtomically(const std::string& path, std::span<const uint8_t> bytes,
                           const WriteOptions& options);

}  // namespace tp
