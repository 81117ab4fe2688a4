#include "host/upload/upload_queue.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "host/upload/digests.h"
#include "host/upload/run_manifest.h"
#include "rig/base/clock.h"

namespace rollrig::upload {
namespace {

using rollrig::v1::RunInfo;
using rollrig::v1::UploadItem;

std::string ItemKey(const std::string& run_id, const std::string& file) {
  return absl::StrCat(run_id, "/", file);
}

bool IsPending(const UploadItem& item) {
  return item.state() == rollrig::v1::UPLOAD_ITEM_STATE_QUEUED ||
         item.state() == rollrig::v1::UPLOAD_ITEM_STATE_UPLOADING ||
         item.state() == rollrig::v1::UPLOAD_ITEM_STATE_RETRYING;
}

bool IsActive(rollrig::v1::RunState state) {
  return state == rollrig::v1::RUN_STATE_ARMING || state == rollrig::v1::RUN_STATE_RUNNING ||
         state == rollrig::v1::RUN_STATE_PAUSED || state == rollrig::v1::RUN_STATE_HELD ||
         state == rollrig::v1::RUN_STATE_UNSPECIFIED || state == rollrig::v1::RUN_STATE_IDLE;
}

// Ended for good: nothing will add files or read its local copies to continue it.
bool IsFinal(rollrig::v1::RunState state) {
  return state == rollrig::v1::RUN_STATE_COMPLETED || state == rollrig::v1::RUN_STATE_ABORTED ||
         state == rollrig::v1::RUN_STATE_FAULTED;
}

std::string BaseName(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::optional<uint64_t> RegularFileSize(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return static_cast<uint64_t>(st.st_size);
}

absl::StatusOr<std::string> ReadRange(const std::string& path, uint64_t offset, uint64_t size) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path, ": ", strerror(errno)));
  in.seekg(static_cast<std::streamoff>(offset));
  std::string data(size, '\0');
  in.read(data.data(), static_cast<std::streamsize>(size));
  if (static_cast<uint64_t>(in.gcount()) != size) {
    return absl::DataLossError(absl::StrCat(path, " is shorter than it was (", offset + in.gcount(),
                                            " bytes read, ", offset + size, " expected)"));
  }
  return data;
}

}  // namespace

std::string JournalDir(const std::string& runs_dir, const S3Location& location) {
  return absl::StrCat(runs_dir, "/.uploads/", location.bucket);
}

UploadQueue::UploadQueue(ObjectStore* store, UploadJournal* journal, RunsSource runs,
                         UploadOptions options)
    : store_(store),
      journal_(journal),
      runs_(std::move(runs)),
      options_(std::move(options)),
      destination_(DescribeDestination(options_.location, options_.endpoint)),
      jitter_(options_.jitter_seed) {}

int64_t UploadQueue::Now() const {
  return options_.now_unix_ns ? options_.now_unix_ns() : UnixNanosNow();
}

void UploadQueue::Log(const std::string& message) const {
  if (options_.log) options_.log(message);
}

void UploadQueue::Publish(const std::string& run_id, const std::string& message) {
  Log(message);
  if (!options_.publish) return;
  rollrig::v1::RigEvent event;
  event.set_kind(rollrig::v1::RIG_EVENT_UPLOAD);
  event.set_host_time_ns(Now());
  event.set_run_id(run_id);
  event.set_message(message);
  options_.publish(std::move(event));
}

std::string UploadQueue::LocalPath(const std::string& file) const {
  return absl::StartsWith(file, "/") ? file : absl::StrCat(options_.runs_dir, "/", file);
}

void UploadQueue::Put(const UploadItem& item) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    items_[ItemKey(item.run_id(), item.file())] = item;
  }
  const absl::Status saved = journal_->Save(item);
  std::lock_guard<std::mutex> lock(mu_);
  if (saved.ok()) {
    spool_problem_.clear();
  } else if (spool_problem_ != saved.message()) {
    spool_problem_ = std::string(saved.message());
    Log(absl::StrCat(spool_problem_, " (the queue goes on in memory; recording is unaffected)"));
  }
}

void UploadQueue::Load() {
  std::vector<std::string> problems;
  std::vector<UploadItem> items = journal_->Load(&problems);
  for (const std::string& p : problems) Log(p);
  const std::string prefix = options_.location.prefix.empty() ? "" : options_.location.prefix + "/";
  for (UploadItem& item : items) {
    // Queued for another prefix (the flag changed): this destination has not got them.
    if (!absl::StartsWith(item.key(), prefix)) continue;
    if (item.state() == rollrig::v1::UPLOAD_ITEM_STATE_UPLOADING) {
      item.set_state(rollrig::v1::UPLOAD_ITEM_STATE_QUEUED);  // cut off: again from the start
      item.set_bytes_sent(0);
    }
    std::lock_guard<std::mutex> lock(mu_);
    items_[ItemKey(item.run_id(), item.file())] = item;
  }
}

absl::Status UploadQueue::CheckStore() {
  const absl::Status s = store_->CheckBucket();
  bool news = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!s.ok()) {
      news = last_error_ != s.message();
      last_error_ = std::string(s.message());
      last_error_ns_ = Now();
      last_error_from_check_ = true;
    } else if (last_error_from_check_) {
      last_error_.clear();
      last_error_from_check_ = false;
    }
  }
  if (news)
    Publish("",
            absl::StrCat("uploads to ", destination_, ": the store is not usable: ", s.message()));
  return s;
}

// ---- What to upload ----

void UploadQueue::Refresh(int64_t now) {
  const std::optional<uint64_t> version =
      runs_.version ? std::optional<uint64_t>(runs_.version()) : std::nullopt;
  const bool due = now - last_refresh_ns_ >= absl::ToInt64Nanoseconds(options_.refresh_period);
  if (version && version == runs_version_ && !due) return;
  runs_version_ = version;
  last_refresh_ns_ = now;
  runs_seen_.clear();
  for (RunInfo& info : runs_.list()) {
    RunFacts run{std::move(info), ""};
    run.serial =
        run.info.device_serial().empty() ? options_.fallback_serial : run.info.device_serial();
    QueueClosedFiles(run, now);
    QueueManifest(run, now);
    runs_seen_[run.info.id()] = std::move(run);
  }
  DeleteExpiredCopies(now);
}

void UploadQueue::QueueClosedFiles(const RunFacts& run, int64_t now) {
  for (const std::string& recording : run.info.recordings()) {
    if (absl::EndsWith(recording, ".part")) continue;  // still being written
    const std::string name = BaseName(recording);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (items_.count(ItemKey(run.info.id(), name))) continue;
    }
    const std::optional<uint64_t> size = RegularFileSize(LocalPath(name));
    if (!size) continue;  // renamed away or never there: nothing to send
    UploadItem item;
    item.set_run_id(run.info.id());
    item.set_file(name);
    item.set_key(ObjectKey(options_.location, run.serial, run.info.id(), name));
    item.set_size_bytes(*size);
    item.set_state(rollrig::v1::UPLOAD_ITEM_STATE_QUEUED);
    item.set_queued_unix_ns(now);
    Put(item);
  }
}

void UploadQueue::QueueManifest(const RunFacts& run, int64_t now) {
  if (IsActive(run.info.state())) return;
  std::vector<ManifestFile> files;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const std::string& recording : run.info.recordings()) {
      auto it = items_.find(ItemKey(run.info.id(), BaseName(recording)));
      if (it == items_.end()) {
        if (absl::EndsWith(recording, ".part")) return;  // not finalized yet
        continue;                                        // gone before it was queued
      }
      if (it->second.state() != rollrig::v1::UPLOAD_ITEM_STATE_UPLOADED) return;
      const UploadItem& f = it->second;
      files.push_back({f.file(), f.key(), f.size_bytes(), f.sha256()});
    }
  }
  if (files.empty()) return;
  const std::string content = RunManifestJson(run.info, run.serial, files);
  const std::string sha = Sha256Hex(content);
  manifests_[run.info.id()] = content;
  UploadItem item;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = items_.find(ItemKey(run.info.id(), kManifestFile));
    if (it != items_.end()) {
      if (it->second.sha256() == sha) return;  // uploaded or queued as it is
      item = it->second;
    }
  }
  const bool again = item.state() == rollrig::v1::UPLOAD_ITEM_STATE_UPLOADED;
  item.set_run_id(run.info.id());
  item.set_file(kManifestFile);
  item.set_key(ObjectKey(options_.location, run.serial, run.info.id(), kManifestFile));
  item.set_size_bytes(content.size());
  item.set_sha256(sha);
  if (item.state() == rollrig::v1::UPLOAD_ITEM_STATE_UNSPECIFIED || again) {
    item.set_state(rollrig::v1::UPLOAD_ITEM_STATE_QUEUED);
    item.set_queued_unix_ns(now);
    item.set_attempts(0);
    item.set_next_attempt_unix_ns(0);
  }
  Put(item);
}

void UploadQueue::DeleteExpiredCopies(int64_t now) {
  std::vector<UploadItem> expired;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [key, item] : items_) {
      if (item.file() == kManifestFile) continue;
      if (item.state() != rollrig::v1::UPLOAD_ITEM_STATE_UPLOADED) continue;
      if (item.delete_local_after_unix_ns() > now) continue;
      expired.push_back(item);
    }
  }
  for (const UploadItem& item : expired) {
    auto run = runs_seen_.find(item.run_id());
    if (run == runs_seen_.end() || !IsFinal(run->second.info.state())) continue;
    const std::string path = LocalPath(item.file());
    if (!RegularFileSize(path)) continue;  // already gone
    if (unlink(path.c_str()) == 0) {
      Log(absl::StrCat("uploads: deleted the local copy ", path, " (verified in the store as ",
                       item.key(), ", retention over)"));
    } else {
      Log(absl::StrCat("uploads: cannot delete ", path, ": ", strerror(errno)));
    }
  }
}

// ---- Uploading ----

std::optional<UploadItem> UploadQueue::NextDue(int64_t now) const {
  std::lock_guard<std::mutex> lock(mu_);
  const UploadItem* best = nullptr;
  for (const auto& [key, item] : items_) {
    if (!IsPending(item) || item.next_attempt_unix_ns() > now) continue;
    if (best == nullptr || item.queued_unix_ns() < best->queued_unix_ns()) best = &item;
  }
  if (best == nullptr) return std::nullopt;
  return *best;
}

std::optional<int64_t> UploadQueue::NextDueNs() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::optional<int64_t> next;
  for (const auto& [key, item] : items_) {
    if (!IsPending(item)) continue;
    if (!next || item.next_attempt_unix_ns() < *next) next = item.next_attempt_unix_ns();
  }
  return next;
}

bool UploadQueue::Step() {
  const int64_t now = Now();
  Refresh(now);
  std::optional<UploadItem> item = NextDue(now);
  if (!item) return false;
  Upload(*std::move(item));
  return true;
}

void UploadQueue::Upload(UploadItem item) {
  const bool manifest = item.file() == kManifestFile;
  if (!manifest && !RegularFileSize(LocalPath(item.file()))) {
    item.set_state(rollrig::v1::UPLOAD_ITEM_STATE_FAILED);
    item.set_last_error(
        absl::StrCat("the local file ", LocalPath(item.file()), " is gone; it cannot be uploaded"));
    Put(item);
    Publish(item.run_id(), absl::StrCat("upload of ", item.file(), " failed: ", item.last_error()));
    return;
  }
  item.set_state(rollrig::v1::UPLOAD_ITEM_STATE_UPLOADING);
  item.set_attempts(item.attempts() + 1);
  item.set_bytes_sent(0);
  Put(item);
  const absl::Status s = manifest ? UploadManifest(&item) : UploadFile(&item);
  const int64_t now = Now();
  if (s.ok()) {
    Succeeded(std::move(item), now);
  } else if (absl::IsCancelled(s)) {
    item.set_state(rollrig::v1::UPLOAD_ITEM_STATE_QUEUED);  // stopping: next time from the start
    item.set_attempts(item.attempts() - 1);
    Put(item);
  } else {
    Failed(std::move(item), s, now);
  }
}

absl::Status UploadQueue::UploadFile(UploadItem* item) {
  const std::string path = LocalPath(item->file());
  absl::StatusOr<FileDigests> digests = DigestFile(path, options_.part_size);
  if (!digests.ok()) return digests.status();
  item->set_size_bytes(digests->size);
  item->set_sha256(digests->sha256_hex);
  const ObjectMetadata metadata = {{"sha256", digests->sha256_hex}};
  if (digests->size <= options_.multipart_threshold) {
    absl::StatusOr<std::string> body = ReadRange(path, 0, digests->size);
    if (!body.ok()) return body.status();
    if (Sha256Hex(*body) != digests->sha256_hex) {
      return absl::DataLossError(absl::StrCat(path, " changed while it was being uploaded"));
    }
    absl::StatusOr<std::string> etag = store_->Put(item->key(), *body, metadata);
    if (!etag.ok()) return etag.status();
  } else if (absl::Status s = UploadInParts(*item, path, metadata, *digests); !s.ok()) {
    return s;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    items_[ItemKey(item->run_id(), item->file())].set_bytes_sent(digests->size);
  }
  item->set_bytes_sent(digests->size);
  return Verify(*item, digests->size, {digests->md5_hex, digests->MultipartEtag()},
                digests->sha256_hex);
}

absl::Status UploadQueue::UploadInParts(const UploadItem& item, const std::string& path,
                                        const ObjectMetadata& metadata,
                                        const FileDigests& digests) {
  const uint64_t size = digests.size;
  absl::StatusOr<std::string> upload_id = store_->CreateMultipart(item.key(), metadata);
  if (!upload_id.ok()) return upload_id.status();
  std::vector<std::string> etags;
  absl::Status s;
  for (uint64_t offset = 0; offset < size && s.ok(); offset += options_.part_size) {
    absl::StatusOr<std::string> part =
        ReadRange(path, offset, std::min(options_.part_size, size - offset));
    if (!part.ok()) {
      s = part.status();
      break;
    }
    const int number = static_cast<int>(etags.size()) + 1;
    absl::StatusOr<std::string> etag = store_->UploadPart(item.key(), *upload_id, number, *part);
    if (!etag.ok()) {
      s = etag.status();
    } else if (*etag != digests.part_md5_hex[etags.size()]) {
      s = absl::DataLossError(absl::StrCat("checksum mismatch: part ", number, " of ", item.key(),
                                           " on ", destination_, " came back with ETag ", *etag,
                                           ", its bytes' MD5 is ",
                                           digests.part_md5_hex[etags.size()]));
    } else {
      etags.push_back(*etag);
      std::lock_guard<std::mutex> lock(mu_);
      items_[ItemKey(item.run_id(), item.file())].set_bytes_sent(offset + part->size());
    }
  }
  if (s.ok()) s = store_->CompleteMultipart(item.key(), *upload_id, etags).status();
  if (!s.ok() && !absl::IsCancelled(s)) (void)store_->AbortMultipart(item.key(), *upload_id);
  return s;
}

absl::Status UploadQueue::UploadManifest(UploadItem* item) {
  auto it = manifests_.find(item->run_id());
  if (it == manifests_.end()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the manifest of run ", item->run_id(), " waits for the run's record"));
  }
  const std::string content = it->second;
  item->set_size_bytes(content.size());
  item->set_sha256(Sha256Hex(content));
  absl::StatusOr<std::string> etag =
      store_->Put(item->key(), content, {{"sha256", item->sha256()}});
  if (!etag.ok()) return etag.status();
  item->set_bytes_sent(content.size());
  return Verify(*item, content.size(), {Md5Hex(content)}, item->sha256());
}

absl::Status UploadQueue::Verify(const UploadItem& item, uint64_t size,
                                 const std::vector<std::string>& etags, const std::string& sha256) {
  absl::StatusOr<ObjectInfo> held = store_->Head(item.key());
  if (!held.ok()) return held.status();
  const bool etag_ok = std::find(etags.begin(), etags.end(), held->etag) != etags.end();
  auto meta = held->metadata.find("sha256");
  const bool sha_ok = meta == held->metadata.end() || meta->second == sha256;
  if (held->size == size && etag_ok && sha_ok) return absl::OkStatus();
  return absl::DataLossError(
      absl::StrCat("checksum mismatch: ", item.key(), " on ", destination_, " holds ", held->size,
                   " bytes with ETag ", held->etag.empty() ? "(none)" : held->etag, "; the local ",
                   item.file(), " has ", size, " bytes, ETag ", absl::StrJoin(etags, " or "),
                   " (the store did not keep what was sent)"));
}

int64_t UploadQueue::BackoffNs(uint32_t attempts) {
  const double initial = absl::ToDoubleSeconds(options_.backoff_initial);
  const double cap = absl::ToDoubleSeconds(options_.backoff_max);
  const double base = std::min(cap, initial * std::pow(2.0, std::min<uint32_t>(attempts, 40) - 1));
  std::uniform_real_distribution<double> spread(-options_.backoff_jitter, options_.backoff_jitter);
  const double wait = std::min(cap, base * (1.0 + spread(jitter_)));
  return static_cast<int64_t>(wait * 1e9);
}

void UploadQueue::Succeeded(UploadItem item, int64_t now) {
  const bool manifest = item.file() == kManifestFile;
  item.set_state(rollrig::v1::UPLOAD_ITEM_STATE_UPLOADED);
  item.set_uploaded_unix_ns(now);
  item.set_last_error("");
  item.set_next_attempt_unix_ns(0);
  if (!manifest) {
    item.set_delete_local_after_unix_ns(now + absl::ToInt64Nanoseconds(options_.keep_local));
  }
  Put(item);
  {
    std::lock_guard<std::mutex> lock(mu_);
    last_error_.clear();
    last_error_from_check_ = false;
    last_success_ns_ = now;
  }
  const std::string where = absl::StrCat("s3://", options_.location.bucket, "/", item.key());
  Publish(item.run_id(),
          manifest ? absl::StrCat("run ", item.run_id(), ": manifest uploaded to ", where)
                   : absl::StrCat("run ", item.run_id(), ": ", item.file(), " uploaded to ", where,
                                  " and verified (", item.size_bytes(), " bytes, sha256 ",
                                  item.sha256().substr(0, 12), ")"));
}

void UploadQueue::Failed(UploadItem item, const absl::Status& why, int64_t now) {
  const int64_t wait = BackoffNs(item.attempts());
  item.set_state(rollrig::v1::UPLOAD_ITEM_STATE_RETRYING);
  item.set_last_error(std::string(why.message()));
  item.set_next_attempt_unix_ns(now + wait);
  {  // the error before the item's state, so whoever sees it retrying sees why
    std::lock_guard<std::mutex> lock(mu_);
    ++failures_total_;
    last_error_ = std::string(why.message());
    last_error_ns_ = now;
    last_error_from_check_ = false;
  }
  Put(item);
  Publish(
      item.run_id(),
      absl::StrCat("upload of ", item.file(), " failed (attempt ", item.attempts(), "; next in ",
                   absl::FormatDuration(absl::Milliseconds(wait / 1000000)), "): ", why.message()));
}

// ---- Status ----

std::vector<const UploadItem*> UploadQueue::ListedItems(std::vector<const UploadItem*> items) {
  // Every waiting item; of those done, the newest kMaxDoneItemsListed: months of hourly
  // files would otherwise make the answer too large to send, and unreadable.
  std::vector<const UploadItem*> waiting, done;
  for (const UploadItem* item : items) (IsPending(*item) ? waiting : done).push_back(item);
  const auto by_queued = [](const UploadItem* a, const UploadItem* b) {
    return a->queued_unix_ns() < b->queued_unix_ns();
  };
  std::stable_sort(done.begin(), done.end(), by_queued);
  if (done.size() > kMaxDoneItemsListed) done.erase(done.begin(), done.end() - kMaxDoneItemsListed);
  done.insert(done.end(), waiting.begin(), waiting.end());
  std::stable_sort(done.begin(), done.end(), by_queued);
  return done;
}

rollrig::v1::UploadStatus UploadQueue::Status(bool with_items) const {
  rollrig::v1::UploadStatus status;
  status.set_enabled(true);
  status.set_destination(destination_);
  status.set_keep_local_s(absl::ToInt64Seconds(options_.keep_local));
  status.set_bandwidth_limit_bytes_per_s(options_.bandwidth_limit_bytes_per_s);
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<const UploadItem*> ordered;
  for (const auto& [key, item] : items_) {
    if (IsPending(item)) {
      status.set_files_pending(status.files_pending() + 1);
      status.set_bytes_pending(status.bytes_pending() + item.size_bytes() - item.bytes_sent());
    } else if (item.state() == rollrig::v1::UPLOAD_ITEM_STATE_UPLOADED) {
      status.set_files_uploaded_total(status.files_uploaded_total() + 1);
      status.set_bytes_uploaded_total(status.bytes_uploaded_total() + item.size_bytes());
    }
    ordered.push_back(&item);
  }
  status.set_failures_total(failures_total_);
  status.set_last_error(last_error_);
  status.set_last_error_unix_ns(last_error_.empty() ? 0 : last_error_ns_);
  status.set_last_success_unix_ns(last_success_ns_);
  if (with_items) {
    for (const UploadItem* item : ListedItems(std::move(ordered))) *status.add_items() = *item;
  }
  return status;
}

std::vector<std::string> UploadQueue::Problems() const {
  std::vector<std::string> problems;
  std::lock_guard<std::mutex> lock(mu_);
  if (!last_error_.empty()) {
    size_t pending = 0;
    for (const auto& [key, item] : items_) pending += IsPending(item) ? 1 : 0;
    problems.push_back(absl::StrCat("uploads to ", destination_, " failing (", pending,
                                    " files waiting): ", last_error_));
  }
  if (!spool_problem_.empty()) {
    problems.push_back(absl::StrCat(spool_problem_, " (queue kept in memory only)"));
  }
  return problems;
}

}  // namespace rollrig::upload
