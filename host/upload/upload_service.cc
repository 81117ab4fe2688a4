#include "host/upload/upload_service.h"

#include "rig/base/clock.h"

namespace rollrig::upload {

UploadService::UploadService(std::unique_ptr<ObjectStore> store,
                             std::unique_ptr<UploadJournal> journal, RunsSource runs,
                             UploadOptions options, absl::Duration poll_period)
    : store_(std::move(store)),
      journal_(std::move(journal)),
      queue_(store_.get(), journal_.get(), std::move(runs), options),
      poll_period_(poll_period),
      recheck_period_(options.backoff_max) {}

UploadService::~UploadService() { Stop(); }

void UploadService::Start() {
  queue_.Load();
  thread_ = std::thread([this] { Loop(); });
}

void UploadService::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  store_->Cancel();
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void UploadService::Loop() {
  (void)queue_.CheckStore();  // its failure is the queue's last error
  absl::Time last_check = absl::Now();
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
    }
    if (queue_.Step()) continue;
    // A store found unusable (at start, or by the last upload) is looked at again while
    // nothing waits, so its problem clears once it is fixed even with nothing to upload.
    const rollrig::v1::UploadStatus status = queue_.Status(false);
    if (!status.last_error().empty() && status.files_pending() == 0 &&
        absl::Now() - last_check >= recheck_period_) {
      (void)queue_.CheckStore();
      last_check = absl::Now();
    }
    absl::Duration wait = poll_period_;
    if (std::optional<int64_t> due = queue_.NextDueNs()) {
      wait = std::min(wait, absl::Nanoseconds(*due - UnixNanosNow()));
    }
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, absl::ToChronoNanoseconds(std::max(wait, absl::Milliseconds(10))),
                 [this] { return stopping_; });
  }
}

}  // namespace rollrig::upload
