// The file seam of the recorder (as LevelDB's Env): real POSIX files, an in-memory file
// system for fast tests, and a fault-injecting one (disk full, failed sync, torn writes).
// Every write path of a recording goes through it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace rollrig::recording {

// An open file being appended to. Not thread-safe: one writer.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual absl::Status Append(const uint8_t* data, size_t n) = 0;
  // Data (not metadata) durable: fdatasync.
  virtual absl::Status Sync() = 0;
  virtual absl::Status Close() = 0;
  virtual uint64_t size() const = 0;
};

// A whole file for reading: positioned reads (pread), its size.
class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  virtual uint64_t size() const = 0;
  // Reads n bytes at offset; fewer only at the end of the file.
  virtual absl::StatusOr<size_t> Read(uint64_t offset, uint8_t* out, size_t n) const = 0;
};

// Thread-safe.
class FileSystem {
 public:
  virtual ~FileSystem() = default;
  virtual absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(
      const std::string& path) = 0;
  // Opens an existing file to append (finalizing a crashed recording), after truncating
  // it to `keep_bytes`.
  virtual absl::StatusOr<std::unique_ptr<WritableFile>> ReopenTruncated(const std::string& path,
                                                                        uint64_t keep_bytes) = 0;
  virtual absl::StatusOr<std::unique_ptr<RandomAccessFile>> OpenForRead(
      const std::string& path) = 0;
  virtual absl::Status Rename(const std::string& from, const std::string& to) = 0;
  // Deletes a file (a temporary one a failed salvage leaves).
  virtual absl::Status Remove(const std::string& path) = 0;
  virtual absl::Status SyncDir(const std::string& dir) = 0;
  virtual absl::StatusOr<uint64_t> FreeBytes(const std::string& dir) = 0;
  virtual bool Exists(const std::string& path) = 0;
};

// The process's real file system (POSIX). Never null, never freed.
FileSystem* RealFileSystem();

}  // namespace rollrig::recording
