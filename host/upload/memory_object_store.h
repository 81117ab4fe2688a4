// An ObjectStore in memory for tests, with the faults a real store has on demand: down
// (every call UNAVAILABLE), wrong credentials, no bucket, a number of calls failing, and
// corrupting what it stores (accepts, then holds other bytes). ETags as AWS makes them
// (MD5, or MD5 of the parts' MD5s + "-N").
//
// Thread-safe (tests inspect it while the queue's thread uploads).
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "host/upload/object_store.h"

namespace rollrig::upload {

class MemoryObjectStore final : public ObjectStore {
 public:
  struct Object {
    std::string data;
    std::string etag;
    ObjectMetadata metadata;
  };

  absl::Status CheckBucket() override;
  absl::StatusOr<std::string> Put(const std::string& key, absl::string_view body,
                                  const ObjectMetadata& metadata) override;
  absl::StatusOr<std::string> CreateMultipart(const std::string& key,
                                              const ObjectMetadata& metadata) override;
  absl::StatusOr<std::string> UploadPart(const std::string& key, const std::string& upload_id,
                                         int part_number, absl::string_view body) override;
  absl::StatusOr<std::string> CompleteMultipart(
      const std::string& key, const std::string& upload_id,
      const std::vector<std::string>& part_etags) override;
  absl::Status AbortMultipart(const std::string& key, const std::string& upload_id) override;
  absl::StatusOr<ObjectInfo> Head(const std::string& key) override;

  // Faults.
  void SetDown(bool down);
  void SetWrongCredentials(bool wrong);
  void SetNoBucket(bool missing);
  void FailNextCalls(int n);            // the next n calls fail UNAVAILABLE
  void SetCorrupting(bool corrupting);  // stored objects get one byte flipped
  // Called at the start of every call with its name ("Put", "UploadPart", ...).
  void SetOnCall(std::function<void(const std::string&)> on_call);

  std::map<std::string, Object> objects() const;
  size_t open_multipart_uploads() const;
  int calls(const std::string& name) const;

 private:
  struct Multipart {
    std::string key;
    ObjectMetadata metadata;
    std::map<int, std::string> parts;
  };
  absl::Status Enter(const std::string& name);
  Object Store(const std::string& data, const std::string& etag, const ObjectMetadata& metadata);

  mutable std::mutex mu_;
  std::map<std::string, Object> objects_;
  std::map<std::string, Multipart> uploads_;
  std::map<std::string, int> calls_;
  int next_upload_id_ = 1;
  bool down_ = false, wrong_credentials_ = false, no_bucket_ = false, corrupting_ = false;
  int fail_next_ = 0;
  std::function<void(const std::string&)> on_call_;
};

}  // namespace rollrig::upload
