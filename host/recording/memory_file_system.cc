#include "host/recording/memory_file_system.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace rollrig::recording {

struct MemoryFileSystem::FileState {
  std::mutex mutex;
  std::string data;
  uint64_t synced = 0;
};

namespace {

using FileState = MemoryFileSystem::FileState;

class MemoryWritableFile : public WritableFile {
 public:
  MemoryWritableFile(std::shared_ptr<FileState> state, std::string path)
      : state_(std::move(state)), path_(std::move(path)) {}

  absl::Status Append(const uint8_t* data, size_t n) override {
    if (closed_) return absl::FailedPreconditionError(absl::StrCat("writing closed file ", path_));
    std::lock_guard lock(state_->mutex);
    state_->data.append(reinterpret_cast<const char*>(data), n);
    return absl::OkStatus();
  }
  absl::Status Sync() override {
    if (closed_) return absl::FailedPreconditionError(absl::StrCat("syncing closed file ", path_));
    std::lock_guard lock(state_->mutex);
    state_->synced = state_->data.size();
    return absl::OkStatus();
  }
  absl::Status Close() override {
    closed_ = true;
    return absl::OkStatus();
  }
  uint64_t size() const override {
    std::lock_guard lock(state_->mutex);
    return state_->data.size();
  }

 private:
  std::shared_ptr<FileState> state_;
  std::string path_;
  bool closed_ = false;
};

class MemoryRandomAccessFile : public RandomAccessFile {
 public:
  explicit MemoryRandomAccessFile(std::shared_ptr<FileState> state) : state_(std::move(state)) {}

  uint64_t size() const override {
    std::lock_guard lock(state_->mutex);
    return state_->data.size();
  }
  absl::StatusOr<size_t> Read(uint64_t offset, uint8_t* out, size_t n) const override {
    std::lock_guard lock(state_->mutex);
    if (offset >= state_->data.size()) return size_t{0};
    size_t count = std::min<uint64_t>(n, state_->data.size() - offset);
    std::memcpy(out, state_->data.data() + offset, count);
    return count;
  }

 private:
  std::shared_ptr<FileState> state_;
};

}  // namespace

MemoryFileSystem::MemoryFileSystem() = default;
MemoryFileSystem::~MemoryFileSystem() = default;

absl::StatusOr<std::unique_ptr<WritableFile>> MemoryFileSystem::NewWritableFile(
    const std::string& path) {
  std::lock_guard lock(mutex_);
  auto state = std::make_shared<FileState>();
  files_[path] = state;
  return std::make_unique<MemoryWritableFile>(state, path);
}

absl::StatusOr<std::unique_ptr<WritableFile>> MemoryFileSystem::ReopenTruncated(
    const std::string& path, uint64_t keep_bytes) {
  std::lock_guard lock(mutex_);
  auto it = files_.find(path);
  if (it == files_.end())
    return absl::NotFoundError(absl::StrCat("opening ", path, ": no such file"));
  {
    std::lock_guard file_lock(it->second->mutex);
    if (keep_bytes < it->second->data.size()) it->second->data.resize(keep_bytes);
    it->second->synced = std::min<uint64_t>(it->second->synced, keep_bytes);
  }
  return std::make_unique<MemoryWritableFile>(it->second, path);
}

absl::StatusOr<std::unique_ptr<RandomAccessFile>> MemoryFileSystem::OpenForRead(
    const std::string& path) {
  std::lock_guard lock(mutex_);
  auto it = files_.find(path);
  if (it == files_.end())
    return absl::NotFoundError(absl::StrCat("opening ", path, ": no such file"));
  return std::make_unique<MemoryRandomAccessFile>(it->second);
}

absl::Status MemoryFileSystem::Rename(const std::string& from, const std::string& to) {
  std::lock_guard lock(mutex_);
  auto it = files_.find(from);
  if (it == files_.end()) {
    return absl::NotFoundError(absl::StrCat("renaming ", from, " to ", to, ": no such file"));
  }
  auto state = it->second;
  files_.erase(it);
  files_[to] = std::move(state);
  return absl::OkStatus();
}

absl::Status MemoryFileSystem::Remove(const std::string& path) {
  std::lock_guard lock(mutex_);
  if (files_.erase(path) == 0) {
    return absl::NotFoundError(absl::StrCat("removing ", path, ": no such file"));
  }
  return absl::OkStatus();
}

absl::Status MemoryFileSystem::SyncDir(const std::string&) { return absl::OkStatus(); }

absl::StatusOr<uint64_t> MemoryFileSystem::FreeBytes(const std::string&) {
  std::lock_guard lock(mutex_);
  return free_bytes_;
}

bool MemoryFileSystem::Exists(const std::string& path) {
  std::lock_guard lock(mutex_);
  return files_.count(path) > 0;
}

std::optional<std::string> MemoryFileSystem::Contents(const std::string& path) const {
  std::lock_guard lock(mutex_);
  auto it = files_.find(path);
  if (it == files_.end()) return std::nullopt;
  std::lock_guard file_lock(it->second->mutex);
  return it->second->data;
}

void MemoryFileSystem::SetContents(const std::string& path, std::string data) {
  std::lock_guard lock(mutex_);
  auto state = std::make_shared<FileState>();
  state->synced = data.size();
  state->data = std::move(data);
  files_[path] = std::move(state);
}

uint64_t MemoryFileSystem::SyncedBytes(const std::string& path) const {
  std::lock_guard lock(mutex_);
  auto it = files_.find(path);
  if (it == files_.end()) return 0;
  std::lock_guard file_lock(it->second->mutex);
  return it->second->synced;
}

void MemoryFileSystem::SetFreeBytes(uint64_t bytes) {
  std::lock_guard lock(mutex_);
  free_bytes_ = bytes;
}

}  // namespace rollrig::recording
