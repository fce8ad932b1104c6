#include "tensorpress/buffer.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
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

namespace {

// Temporary files alive now, for the signal handler: a killed run
// (Ctrl-C, SIGTERM) leaves no partial output behind. Fixed slots, so the
// handler only reads memory and calls unlink, both async-signal-safe.
constexpr int kTempSlots = 64;
constexpr size_t kTempPathMax = 4096;
char g_temp_paths[kTempSlots][kTempPathMax];
std::atomic<bool> g_temp_used[kTempSlots];

int RegisterTemp(const std::string& path) {
  if (path.size() >= kTempPathMax) return -1;
  for (int i = 0; i < kTempSlots; ++i) {
    bool expected = false;
    if (g_temp_used[i].compare_exchange_strong(expected, true)) {
      std::memcpy(g_temp_paths[i], path.c_str(), path.size() + 1);
      return i;
    }
  }
  return -1;
}
void UnregisterTemp(int slot) {
  if (slot >= 0) g_temp_used[slot].store(false);
}

extern "C" void RemoveTempsAndDie(int sig) {
  for (int i = 0; i < kTempSlots; ++i)
    if (g_temp_used[i].load()) ::unlink(g_temp_paths[i]);
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

}  // namespace

void RemoveTemporaryFilesOnSignals() {
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGPIPE}) ::signal(sig, RemoveTempsAndDie);
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
  auto file = std::unique_ptr<AtomicFile>(new AtomicFile(path, std::string(name.data()), fd, options.overwrite));
  file->signal_slot_ = RegisterTemp(file->temp_path_);
  return file;
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temp_path_.c_str());
  UnregisterTemp(signal_slot_);
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
