// A FileSystem held in memory, for fast tests: files are byte strings; Sync records how
// much of each file is durable, so a crash can be simulated by keeping only that.
//
// Thread-safe.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "host/recording/file_system.h"

namespace rollrig::recording {

class MemoryFileSystem : public FileSystem {
 public:
  MemoryFileSystem();
  ~MemoryFileSystem() override;

  absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override;
  absl::StatusOr<std::unique_ptr<WritableFile>> ReopenTruncated(const std::string& path,
                                                                uint64_t keep_bytes) override;
  absl::StatusOr<std::unique_ptr<RandomAccessFile>> OpenForRead(const std::string& path) override;
  absl::Status Rename(const std::string& from, const std::string& to) override;
  absl::Status Remove(const std::string& path) override;
  absl::Status SyncDir(const std::string& dir) override;
  absl::StatusOr<uint64_t> FreeBytes(const std::string& dir) override;
  bool Exists(const std::string& path) override;

  // Test helpers. Contents: nullopt if there is no such file.
  std::optional<std::string> Contents(const std::string& path) const;
  // Creates or replaces `path` with `data` (all of it counted as synced).
  void SetContents(const std::string& path, std::string data);
  // Bytes of `path` made durable by the last Sync (0 if none or no such file).
  uint64_t SyncedBytes(const std::string& path) const;
  // Free space reported by FreeBytes (default: 1 TiB).
  void SetFreeBytes(uint64_t bytes);

  struct FileState;  // shared with open files

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<FileState>> files_;
  uint64_t free_bytes_ = uint64_t{1} << 40;
};

}  // namespace rollrig::recording
