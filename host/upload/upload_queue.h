// The upload queue: every closed recording file of every run in the runs directory goes to
// the store, verified, then the run's manifest; local copies go after the retention.
//
// Where files come from: the runs themselves (RunInfo.recordings; a name without ".part"
// is a closed file, rotated or finished). Each Step compares them with the queue, so
// files closed while rigd was down, or before uploads were enabled, are queued too and
// the recording path needs no hook.
//
// Each file: SHA-256 and MD5s computed locally; a single PUT up to multipart_threshold,
// else a multipart upload in part_size parts; then a HEAD must show the local size and an
// ETag made of the local bytes (the object's MD5, or MD5 of the parts' MD5s + "-N"), and
// the x-amz-meta-sha256 sent. Anything else (a store that accepts and corrupts) is an
// error: retried with capped exponential backoff, jittered from a seeded generator.
// The manifest (run_manifest.h) is queued once the run has ended and all its files are
// uploaded, and queued again if its content changes (a resumed run added files).
//
// Durability: every change of an item is saved to the UploadJournal before the next step;
// an item found UPLOADING at Load was cut off and is uploaded again from the start.
//
// Retention: a local file is deleted only when verified in the store, keep_local after
// that, and its run has ended (COMPLETED, ABORTED or FAULTED: never an active or an
// interrupted, resumable one).
//
// Time: every stamp, backoff and retention reads options.now_unix_ns (tests inject one).
// Thread safety: Load/Step/CheckStore from one thread (the upload thread); Status and
// Problems from any thread (a snapshot under a mutex, never waiting on I/O).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "host/upload/digests.h"
#include "host/upload/object_store.h"
#include "host/upload/s3_location.h"
#include "host/upload/upload_journal.h"
#include "rollrig/v1/rig_service.pb.h"

namespace rollrig::upload {

struct UploadOptions {
  S3Location location;
  std::string endpoint;  // for messages and the status's destination
  std::string runs_dir;  // where recordings named without a directory are
  absl::Duration keep_local = absl::Hours(24 * 7);
  uint64_t multipart_threshold = uint64_t{16} << 20;  // larger files go in parts
  uint64_t part_size = uint64_t{8} << 20;
  absl::Duration backoff_initial = absl::Seconds(1);
  absl::Duration backoff_max = absl::Seconds(30);
  double backoff_jitter = 0.2;  // each wait is scaled by 1 +- this, at random
  uint64_t jitter_seed = 1;
  double bandwidth_limit_bytes_per_s = 0;  // reported in the status (the store applies it)
  // Runs are re-read at most this often unless RunsSource.version changes.
  absl::Duration refresh_period = absl::Seconds(2);
  std::string fallback_serial = "unknown-serial";  // for runs that name no device
  std::function<int64_t()> now_unix_ns;            // nullptr = the system clock
  // RIG_EVENT_UPLOAD events: a file or manifest uploaded, an attempt failed. May be empty.
  std::function<void(rollrig::v1::RigEvent)> publish;
  std::function<void(const std::string&)> log;  // may be empty
};

struct RunsSource {
  std::function<std::vector<rollrig::v1::RunInfo>()> list;
  std::function<uint64_t()> version;  // optional: re-read when it changes
};

inline constexpr char kManifestFile[] = "manifest.json";

// RUNS_DIR/.uploads/BUCKET: each bucket has its own queue, so a new --upload destination
// gets every recording again.
std::string JournalDir(const std::string& runs_dir, const S3Location& location);

class UploadQueue {
 public:
  // Not owned; must outlive the queue.
  UploadQueue(ObjectStore* store, UploadJournal* journal, RunsSource runs, UploadOptions options);

  // Reads the journal back (the items of this prefix: a journal is per bucket, see
  // JournalDir).
  void Load();
  // Checks the bucket and credentials; a failure becomes the queue's last error.
  absl::Status CheckStore();
  // Re-reads the runs (queues new files and manifests, deletes expired local copies),
  // then uploads the next item that is due, if any. True if it tried one.
  bool Step();
  // When the next waiting item is due (Unix ns); nullopt when none waits.
  std::optional<int64_t> NextDueNs() const;

  // Items listed by Status(true): every waiting one, and the newest this many of those done
  // (uploaded or failed); the totals count them all.
  static constexpr size_t kMaxDoneItemsListed = 200;
  rollrig::v1::UploadStatus Status(bool with_items) const;
  // One line per current problem (the last error, the spool); empty when all is well.
  std::vector<std::string> Problems() const;

 private:
  struct RunFacts {
    rollrig::v1::RunInfo info;
    std::string serial;
  };
  int64_t Now() const;
  static std::vector<const rollrig::v1::UploadItem*> ListedItems(
      std::vector<const rollrig::v1::UploadItem*> items);
  void Refresh(int64_t now);
  void QueueClosedFiles(const RunFacts& run, int64_t now);
  void QueueManifest(const RunFacts& run, int64_t now);
  void DeleteExpiredCopies(int64_t now);
  std::optional<rollrig::v1::UploadItem> NextDue(int64_t now) const;
  void Upload(rollrig::v1::UploadItem item);
  absl::Status UploadFile(rollrig::v1::UploadItem* item);
  absl::Status UploadManifest(rollrig::v1::UploadItem* item);
  // The parts' MD5s come from the digest pass (`digests`).
  absl::Status UploadInParts(const rollrig::v1::UploadItem& item, const std::string& path,
                             const ObjectMetadata& metadata, const FileDigests& digests);
  absl::Status Verify(const rollrig::v1::UploadItem& item, uint64_t size,
                      const std::vector<std::string>& etags, const std::string& sha256);
  void Succeeded(rollrig::v1::UploadItem item, int64_t now);
  void Failed(rollrig::v1::UploadItem item, const absl::Status& why, int64_t now);
  int64_t BackoffNs(uint32_t attempts);
  // Stores the item in the map and the journal.
  void Put(const rollrig::v1::UploadItem& item);
  std::string LocalPath(const std::string& file) const;
  void Publish(const std::string& run_id, const std::string& message);
  void Log(const std::string& message) const;

  ObjectStore* const store_;
  UploadJournal* const journal_;
  const RunsSource runs_;
  const UploadOptions options_;
  const std::string destination_;

  // Upload thread only.
  std::map<std::string, RunFacts> runs_seen_;
  std::map<std::string, std::string> manifests_;  // run id -> content to upload
  std::optional<uint64_t> runs_version_;
  int64_t last_refresh_ns_ = 0;
  std::mt19937_64 jitter_;

  mutable std::mutex mu_;
  std::map<std::string, rollrig::v1::UploadItem> items_;  // by RUN_ID/FILE
  uint64_t failures_total_ = 0;
  std::string last_error_;
  int64_t last_error_ns_ = 0;
  bool last_error_from_check_ = false;
  int64_t last_success_ns_ = 0;
  std::string spool_problem_;
};

}  // namespace rollrig::upload
