#include "tensorpress/buffer.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace tp {
namespace {

std::string Errno() { return std::strerror(errno); }

}  // namespace

StatusOr<std::shared_ptr<MappedFile>> MappedFile::Open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return NotFoundError(path + ": no such file");
    return IoError(path + ": cannot open: " + Errno());
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    std::string e = Errno();
    ::close(fd);
    return IoError(path + ": cannot stat: " + e);
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    return InvalidArgumentError(path + ": is a directory");
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return InvalidArgumentError(path + ": not a regular file");
  }
  size_t size = static_cast<size_t>(st.st_size);
  const uint8_t* data = nullptr;
  if (size > 0) {
    void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      std::string e = Errno();
      ::close(fd);
      return IoError(path + ": cannot map: " + e);
    }
    data = static_cast<const uint8_t*>(p);
  }
  ::close(fd);  // the mapping keeps the file's pages reachable
  return std::shared_ptr<MappedFile>(new MappedFile(path, data, size));
}

MappedFile::~MappedFile() {
  if (data_ != nullptr) ::munmap(const_cast<uint8_t*>(data_), size_);
}

std::shared_ptr<const Buffer> MakeOwnedBuffer(std::vector<uint8_t> bytes) {
  return std::make_shared<OwnedBuffer>(std::move(bytes));
}

StatusOr<std::unique_ptr<AtomicFile>> AtomicFile::Create(const std::string& path,
                                                         const WriteOptions& options) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!options.overwrite && fs::exists(path, ec))
    return AlreadyExistsError(path + ": exists (use --force to overwrite)");
  if (fs::is_directory(path, ec)) return InvalidArgumentError(path + ": is a directory");
  fs::path target(path);
  fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::string tmpl = (dir / ("." + target.filename().string() + ".tmp.XXXXXX")).string();
  std::vector<char> name(tmpl.begin(), tmpl.end());
  name.push_back('\0');
  int fd = ::mkostemp(name.data(), O_CLOEXEC);
  if (fd < 0) return IoError(path + ": cannot create temporary file: " + Errno());
  // mkstemp makes the file 0600; give it the permissions a plain create would.
  mode_t mask = ::umask(0);
  ::umask(mask);
  ::fchmod(fd, 0666 & ~mask);
  return std::unique_ptr<AtomicFile>(
      new AtomicFile(path, std::string(name.data()), fd, options.overwrite));
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temp_path_.c_str());
}

Status AtomicFile::Write(std::span<const uint8_t> bytes) {
  if (fd_ < 0) return InternalError(path_ + ": write after commit");
  const uint8_t* p = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError(path_ + ": write failed: " + Errno());
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  written_ += bytes.size();
  return Status::Ok();
}

Status AtomicFile::Commit() {
  if (fd_ < 0) return InternalError(path_ + ": committed twice");
  if (::fsync(fd_) != 0) return IoError(path_ + ": fsync failed: " + Errno());
  if (::close(fd_) != 0) {
    fd_ = -1;
    return IoError(path_ + ": close failed: " + Errno());
  }
  fd_ = -1;
  if (!overwrite_) {
    // link() fails if the target appeared meanwhile, unlike rename().
    if (::link(temp_path_.c_str(), path_.c_str()) != 0) {
      if (errno == EEXIST) return AlreadyExistsError(path_ + ": exists (use --force to overwrite)");
      if (::rename(temp_path_.c_str(), path_.c_str()) != 0)
        return IoError(path_ + ": cannot rename into place: " + Errno());
    } else {
      ::unlink(temp_path_.c_str());
    }
  } else if (::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    return IoError(path_ + ": cannot rename into place: " + Errno());
  }
  committed_ = true;
  return Status::Ok();
}

Status WriteFileAtomically(const std::string& path, std::span<const uint8_t> bytes,
                           const WriteOptions& options) {
  TP_ASSIGN_OR_RETURN(auto file, AtomicFile::Create(path, options));
  TP_RETURN_IF_ERROR(file->Write(bytes));
  return file->Commit();
}

}  // namespace tp
