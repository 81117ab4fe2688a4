// Wraps a FileSystem and injects the faults a recorder must survive: a disk that fills up
// (writes fail with RESOURCE_EXHAUSTED after a byte budget, the part that fit written as a
// real write(2) would; FreeBytes reports the budget), a failing fdatasync, and a crash that keeps
// only what was synced (or a chosen prefix) of each file written through it.
//
// Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "host/recording/file_system.h"

namespace rollrig::recording {

class FaultInjectingFileSystem : public FileSystem {
 public:
  // `base` must outlive this.
  explicit FaultInjectingFileSystem(FileSystem* base);
  ~FaultInjectingFileSystem() override;

  absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override;
  absl::StatusOr<std::unique_ptr<WritableFile>> ReopenTruncated(const std::string& path,
                                                                uint64_t keep_bytes) override;
  absl::StatusOr<std::unique_ptr<RandomAccessFile>> OpenForRead(const std::string& path) override;
  absl::Status Rename(const std::string& from, const std::string& to) override;
  absl::Status Remove(const std::string& path) override;
  absl::Status SyncDir(const std::string& dir) override;
  absl::StatusOr<uint64_t> FreeBytes(const std::string& dir) override;
  bool Exists(const std::string& path) override;

  // Writes succeed for `bytes` more bytes (across all files), then fail with
  // RESOURCE_EXHAUSTED "no space left on device writing PATH". nullopt: no limit.
  void SetWriteBudget(std::optional<uint64_t> bytes);
  // While set, Sync and SyncDir fail with an I/O error naming the path.
  void SetSyncFails(bool fail);
  // The next `count` Syncs of files (not directories) fail with an I/O error naming the
  // path, as a transient EIO from fdatasync; later ones succeed.
  void FailNextSyncs(int count);
  // Simulates a crash: every file written through this keeps only the bytes its last
  // successful Sync made durable. Files still open must not be used afterwards.
  absl::Status CrashKeepingSyncedBytes();
  // Simulates a torn write: `path` keeps only its first `bytes` bytes.
  absl::Status CrashKeepingPrefix(const std::string& path, uint64_t bytes);

  uint64_t bytes_written() const;  // through this wrapper, all files

  // Internal state shared with open files.
  struct Shared;

 private:
  FileSystem* base_;
  std::shared_ptr<Shared> shared_;
};

}  // namespace rollrig::recording
