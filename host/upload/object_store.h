// The S3 operations uploads need, behind a small interface so the queue can be tested
// against an in-memory store that fails on demand (memory_object_store.h) and run against
// a real one (curl_object_store.h).
//
// Every error names the store (bucket and endpoint) and, for object calls, the key.
// Thread safety: one caller at a time (the upload thread); Cancel() from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace rollrig::upload {

// User metadata, sent as x-amz-meta-NAME (names lower case).
using ObjectMetadata = std::map<std::string, std::string>;

struct ObjectInfo {
  uint64_t size = 0;
  std::string etag;  // without quotes
  ObjectMetadata metadata;
};

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  // OK when the bucket exists and the credentials are accepted; else why not.
  virtual absl::Status CheckBucket() = 0;
  // A whole object in one PUT; returns the store's ETag.
  virtual absl::StatusOr<std::string> Put(const std::string& key, absl::string_view body,
                                          const ObjectMetadata& metadata) = 0;
  // Multipart: returns the upload id.
  virtual absl::StatusOr<std::string> CreateMultipart(const std::string& key,
                                                      const ObjectMetadata& metadata) = 0;
  // Part numbers from 1; returns the part's ETag.
  virtual absl::StatusOr<std::string> UploadPart(const std::string& key,
                                                 const std::string& upload_id, int part_number,
                                                 absl::string_view body) = 0;
  // `part_etags[i]` is part i+1's; returns the object's ETag.
  virtual absl::StatusOr<std::string> CompleteMultipart(
      const std::string& key, const std::string& upload_id,
      const std::vector<std::string>& part_etags) = 0;
  virtual absl::Status AbortMultipart(const std::string& key, const std::string& upload_id) = 0;
  // NOT_FOUND when there is no such object.
  virtual absl::StatusOr<ObjectInfo> Head(const std::string& key) = 0;
  // Ends a transfer in flight (it fails with CANCELLED); later calls fail too.
  virtual void Cancel() {}
};

}  // namespace rollrig::upload
