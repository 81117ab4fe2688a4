// The upload queue on a thread of its own: it checks the store at start, then steps the
// queue whenever an item is due or the runs may have changed (at most poll_period apart).
// Nothing of the recording path waits for it: it only reads the runs' snapshots.
//
// Thread safety: Start/Stop from one controlling thread; Status/Problems from any thread.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "host/upload/object_store.h"
#include "host/upload/upload_journal.h"
#include "host/upload/upload_queue.h"

namespace rollrig::upload {

class UploadService {
 public:
  // Owns the store and the journal.
  UploadService(std::unique_ptr<ObjectStore> store, std::unique_ptr<UploadJournal> journal,
                RunsSource runs, UploadOptions options,
                absl::Duration poll_period = absl::Seconds(1));
  ~UploadService();  // Stop()s

  // Loads the journal and starts the thread (which checks the store first).
  void Start();
  // Ends a transfer in flight (the item is uploaded again next time) and joins.
  void Stop();

  rollrig::v1::UploadStatus Status(bool with_items) const { return queue_.Status(with_items); }
  std::vector<std::string> Problems() const { return queue_.Problems(); }

 private:
  void Loop();

  std::unique_ptr<ObjectStore> store_;
  std::unique_ptr<UploadJournal> journal_;
  UploadQueue queue_;
  const absl::Duration poll_period_;
  const absl::Duration recheck_period_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
};

}  // namespace rollrig::upload
