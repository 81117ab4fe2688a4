#include "host/recording/fault_injecting_file_system.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace rollrig::recording {

struct FaultInjectingFileSystem::Shared {
  std::mutex mutex;
  std::optional<uint64_t> budget;
  bool sync_fails = false;
  int failing_syncs = 0;  // the next file Syncs that fail
  uint64_t bytes_written = 0;
  std::map<std::string, uint64_t> synced;  // path -> durable bytes
};

namespace {

using Shared = FaultInjectingFileSystem::Shared;

class FaultInjectingWritableFile : public WritableFile {
 public:
  FaultInjectingWritableFile(std::unique_ptr<WritableFile> base, std::string path,
                             std::shared_ptr<Shared> shared)
      : base_(std::move(base)), path_(std::move(path)), shared_(std::move(shared)) {}

  absl::Status Append(const uint8_t* data, size_t n) override {
    size_t allowed = n;
    {
      std::lock_guard lock(shared_->mutex);
      if (shared_->budget) {
        allowed = std::min<uint64_t>(n, *shared_->budget);
        *shared_->budget -= allowed;
      }
      shared_->bytes_written += allowed;
    }
    if (allowed > 0) {
      if (absl::Status status = base_->Append(data, allowed); !status.ok()) return status;
    }
    if (allowed < n) {
      return absl::ResourceExhaustedError(absl::StrCat("no space left on device writing ", path_));
    }
    return absl::OkStatus();
  }

  absl::Status Sync() override {
    {
      std::lock_guard lock(shared_->mutex);
      if (shared_->sync_fails || shared_->failing_syncs > 0) {
        if (shared_->failing_syncs > 0) --shared_->failing_syncs;
        return absl::DataLossError(absl::StrCat("syncing ", path_, ": Input/output error"));
      }
    }
    if (absl::Status status = base_->Sync(); !status.ok()) return status;
    std::lock_guard lock(shared_->mutex);
    shared_->synced[path_] = base_->size();
    return absl::OkStatus();
  }

  absl::Status Close() override { return base_->Close(); }
  uint64_t size() const override { return base_->size(); }

 private:
  std::unique_ptr<WritableFile> base_;
  std::string path_;
  std::shared_ptr<Shared> shared_;
};

}  // namespace

FaultInjectingFileSystem::FaultInjectingFileSystem(FileSystem* base)
    : base_(base), shared_(std::make_shared<Shared>()) {}
FaultInjectingFileSystem::~FaultInjectingFileSystem() = default;

absl::StatusOr<std::unique_ptr<WritableFile>> FaultInjectingFileSystem::NewWritableFile(
    const std::string& path) {
  auto file = base_->NewWritableFile(path);
  if (!file.ok()) return file.status();
  {
    std::lock_guard lock(shared_->mutex);
    shared_->synced[path] = 0;
  }
  return std::make_unique<FaultInjectingWritableFile>(*std::move(file), path, shared_);
}

absl::StatusOr<std::unique_ptr<WritableFile>> FaultInjectingFileSystem::ReopenTruncated(
    const std::string& path, uint64_t keep_bytes) {
  auto file = base_->ReopenTruncated(path, keep_bytes);
  if (!file.ok()) return file.status();
  {
    std::lock_guard lock(shared_->mutex);
    uint64_t& synced = shared_->synced[path];
    synced = std::min(synced, keep_bytes);
  }
  return std::make_unique<FaultInjectingWritableFile>(*std::move(file), path, shared_);
}

absl::StatusOr<std::unique_ptr<RandomAccessFile>> FaultInjectingFileSystem::OpenForRead(
    const std::string& path) {
  return base_->OpenForRead(path);
}

absl::Status FaultInjectingFileSystem::Rename(const std::string& from, const std::string& to) {
  if (absl::Status status = base_->Rename(from, to); !status.ok()) return status;
  std::lock_guard lock(shared_->mutex);
  auto it = shared_->synced.find(from);
  if (it != shared_->synced.end()) {
    shared_->synced[to] = it->second;
    shared_->synced.erase(it);
  }
  return absl::OkStatus();
}

absl::Status FaultInjectingFileSystem::Remove(const std::string& path) {
  if (absl::Status status = base_->Remove(path); !status.ok()) return status;
  std::lock_guard lock(shared_->mutex);
  shared_->synced.erase(path);
  return absl::OkStatus();
}

absl::Status FaultInjectingFileSystem::SyncDir(const std::string& dir) {
  {
    std::lock_guard lock(shared_->mutex);
    if (shared_->sync_fails) {
      return absl::DataLossError(absl::StrCat("syncing directory ", dir, ": Input/output error"));
    }
  }
  return base_->SyncDir(dir);
}

absl::StatusOr<uint64_t> FaultInjectingFileSystem::FreeBytes(const std::string& dir) {
  auto free = base_->FreeBytes(dir);
  if (!free.ok()) return free;
  std::lock_guard lock(shared_->mutex);
  return shared_->budget ? std::min(*free, *shared_->budget) : *free;
}

bool FaultInjectingFileSystem::Exists(const std::string& path) { return base_->Exists(path); }

void FaultInjectingFileSystem::SetWriteBudget(std::optional<uint64_t> bytes) {
  std::lock_guard lock(shared_->mutex);
  shared_->budget = bytes;
}

void FaultInjectingFileSystem::SetSyncFails(bool fail) {
  std::lock_guard lock(shared_->mutex);
  shared_->sync_fails = fail;
}

void FaultInjectingFileSystem::FailNextSyncs(int count) {
  std::lock_guard lock(shared_->mutex);
  shared_->failing_syncs = count;
}

absl::Status FaultInjectingFileSystem::CrashKeepingSyncedBytes() {
  std::map<std::string, uint64_t> synced;
  {
    std::lock_guard lock(shared_->mutex);
    synced = shared_->synced;
  }
  for (const auto& [path, bytes] : synced) {
    if (absl::Status status = CrashKeepingPrefix(path, bytes); !status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::Status FaultInjectingFileSystem::CrashKeepingPrefix(const std::string& path, uint64_t bytes) {
  auto file = base_->ReopenTruncated(path, bytes);
  if (!file.ok()) return file.status();
  return (*file)->Close();
}

uint64_t FaultInjectingFileSystem::bytes_written() const {
  std::lock_guard lock(shared_->mutex);
  return shared_->bytes_written;
}

}  // namespace rollrig::recording
