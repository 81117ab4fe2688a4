// The upload queue on disk: one small JSON file per item (an UploadItem) in
// RUNS_DIR/.uploads/BUCKET/, replaced atomically (temporary file, fsync, rename, directory
// fsync), so a rigd restart or a crash loses no item and never leaves half a record.
//
// Thread safety: one caller at a time (the upload thread).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "rollrig/v1/rig_service.pb.h"

namespace rollrig::upload {

class UploadJournal {
 public:
  virtual ~UploadJournal() = default;
  // Every item saved; unreadable records are skipped and named in `problems`.
  virtual std::vector<rollrig::v1::UploadItem> Load(std::vector<std::string>* problems) = 0;
  // Saves (or replaces) the item named by its run_id and file. Errors name the path.
  virtual absl::Status Save(const rollrig::v1::UploadItem& item) = 0;
};

class DirectoryJournal final : public UploadJournal {
 public:
  explicit DirectoryJournal(std::string dir) : dir_(std::move(dir)) {}
  std::vector<rollrig::v1::UploadItem> Load(std::vector<std::string>* problems) override;
  absl::Status Save(const rollrig::v1::UploadItem& item) override;
  const std::string& dir() const { return dir_; }

 private:
  std::string PathOf(const rollrig::v1::UploadItem& item) const;
  const std::string dir_;
};

// For tests: items in memory; Save fails while `fail_with` is not OK (a full disk).
class MemoryJournal final : public UploadJournal {
 public:
  std::vector<rollrig::v1::UploadItem> Load(std::vector<std::string>* problems) override;
  absl::Status Save(const rollrig::v1::UploadItem& item) override;
  absl::Status fail_with;
  std::map<std::string, rollrig::v1::UploadItem> items;
};

}  // namespace rollrig::upload
