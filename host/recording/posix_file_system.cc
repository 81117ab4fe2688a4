// RealFileSystem(): the POSIX implementation of the file seam.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "host/recording/file_system.h"

namespace rollrig::recording {
namespace {

// Maps errno onto a status that names what failed, the path and the errno text.
absl::Status PosixError(const std::string& what, const std::string& path, int error) {
  std::string message = absl::StrCat(what, " ", path, ": ", std::strerror(error));
  switch (error) {
    case ENOENT:
      return absl::NotFoundError(message);
    case ENOSPC:
    case EDQUOT:
      return absl::ResourceExhaustedError(message);
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(message);
    case EEXIST:
      return absl::AlreadyExistsError(message);
    default:
      return absl::InternalError(message);
  }
}

struct OpenFile {
  int fd = -1;
  uint64_t size = 0;
};

// Opens an existing file (flags plus O_CLOEXEC) and reads its size; closes it again when
// the size cannot be read.
absl::StatusOr<OpenFile> OpenWithSize(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return PosixError("opening", path, errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int error = errno;
    ::close(fd);
    return PosixError("reading the size of", path, error);
  }
  return OpenFile{fd, static_cast<uint64_t>(st.st_size)};
}

class PosixWritableFile : public WritableFile {
 public:
  PosixWritableFile(int fd, std::string path, uint64_t size)
      : fd_(fd), path_(std::move(path)), size_(size) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) ::close(fd_);
  }

  absl::Status Append(const uint8_t* data, size_t n) override {
    if (fd_ < 0) return absl::FailedPreconditionError(absl::StrCat("writing closed file ", path_));
    while (n > 0) {
      ssize_t written = ::write(fd_, data, n);
      if (written < 0) {
        if (errno == EINTR) continue;
        return PosixError("writing", path_, errno);
      }
      data += written;
      n -= static_cast<size_t>(written);
      size_ += static_cast<uint64_t>(written);
    }
    return absl::OkStatus();
  }

  absl::Status Sync() override {
    if (fd_ < 0) return absl::FailedPreconditionError(absl::StrCat("syncing closed file ", path_));
    while (::fdatasync(fd_) != 0) {
      if (errno != EINTR) return PosixError("syncing", path_, errno);
    }
    return absl::OkStatus();
  }

  absl::Status Close() override {
    if (fd_ < 0) return absl::OkStatus();
    int fd = fd_;
    fd_ = -1;
    // close() is not retried on EINTR: on Linux the descriptor is gone either way.
    if (::close(fd) != 0 && errno != EINTR) return PosixError("closing", path_, errno);
    return absl::OkStatus();
  }

  uint64_t size() const override { return size_; }

 private:
  int fd_;
  std::string path_;
  uint64_t size_;
};

class PosixRandomAccessFile : public RandomAccessFile {
 public:
  PosixRandomAccessFile(int fd, std::string path, uint64_t size)
      : fd_(fd), path_(std::move(path)), size_(size) {}
  ~PosixRandomAccessFile() override { ::close(fd_); }

  uint64_t size() const override { return size_; }

  absl::StatusOr<size_t> Read(uint64_t offset, uint8_t* out, size_t n) const override {
    size_t done = 0;
    while (done < n) {
      ssize_t got = ::pread(fd_, out + done, n - done, static_cast<off_t>(offset + done));
      if (got < 0) {
        if (errno == EINTR) continue;
        return PosixError("reading", path_, errno);
      }
      if (got == 0) break;  // end of file
      done += static_cast<size_t>(got);
    }
    return done;
  }

 private:
  int fd_;
  std::string path_;
  uint64_t size_;
};

class PosixFileSystem : public FileSystem {
 public:
  absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return PosixError("creating", path, errno);
    return std::make_unique<PosixWritableFile>(fd, path, 0);
  }

  absl::StatusOr<std::unique_ptr<WritableFile>> ReopenTruncated(const std::string& path,
                                                                uint64_t keep_bytes) override {
    absl::StatusOr<OpenFile> file = OpenWithSize(path, O_WRONLY);
    if (!file.ok()) return file.status();
    const int fd = file->fd;
    // Never extends the file: keeping more than there is keeps it all.
    keep_bytes = std::min(keep_bytes, file->size);
    if (::ftruncate(fd, static_cast<off_t>(keep_bytes)) != 0 ||
        ::lseek(fd, static_cast<off_t>(keep_bytes), SEEK_SET) < 0) {
      int error = errno;
      ::close(fd);
      return PosixError("truncating", path, error);
    }
    return std::make_unique<PosixWritableFile>(fd, path, keep_bytes);
  }

  absl::StatusOr<std::unique_ptr<RandomAccessFile>> OpenForRead(const std::string& path) override {
    absl::StatusOr<OpenFile> file = OpenWithSize(path, O_RDONLY);
    if (!file.ok()) return file.status();
    return std::make_unique<PosixRandomAccessFile>(file->fd, path, file->size);
  }

  absl::Status Rename(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      return PosixError("renaming", absl::StrCat(from, " to ", to), errno);
    }
    return absl::OkStatus();
  }

  absl::Status Remove(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return PosixError("removing", path, errno);
    return absl::OkStatus();
  }

  absl::Status SyncDir(const std::string& dir) override {
    const std::string& name = dir.empty() ? std::string(".") : dir;
    int fd = ::open(name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return PosixError("opening directory", name, errno);
    int result;
    while ((result = ::fsync(fd)) != 0 && errno == EINTR) {
    }
    int error = errno;
    ::close(fd);
    if (result != 0) return PosixError("syncing directory", name, error);
    return absl::OkStatus();
  }

  absl::StatusOr<uint64_t> FreeBytes(const std::string& dir) override {
    struct statvfs st {};
    if (::statvfs(dir.c_str(), &st) != 0) return PosixError("checking free space of", dir, errno);
    return static_cast<uint64_t>(st.f_bavail) * static_cast<uint64_t>(st.f_frsize);
  }

  bool Exists(const std::string& path) override { return ::access(path.c_str(), F_OK) == 0; }
};

}  // namespace

FileSystem* RealFileSystem() {
  static auto* const file_system = new PosixFileSystem();
  return file_system;
}

}  // namespace rollrig::recording
