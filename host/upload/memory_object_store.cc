#include "host/upload/memory_object_store.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "host/upload/digests.h"

namespace rollrig::upload {
namespace {
constexpr char kWhere[] = "s3://memory at memory://";
}  // namespace

absl::Status MemoryObjectStore::Enter(const std::string& name) {
  std::function<void(const std::string&)> on_call;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++calls_[name];
    on_call = on_call_;
  }
  if (on_call) on_call(name);
  std::lock_guard<std::mutex> lock(mu_);
  if (down_) {
    return absl::UnavailableError(absl::StrCat(
        name, " on ", kWhere, " failed: the store is unreachable: Connection refused"));
  }
  if (fail_next_ > 0) {
    --fail_next_;
    return absl::UnavailableError(
        absl::StrCat(name, " on ", kWhere, " failed: InternalError (HTTP 500)"));
  }
  if (wrong_credentials_) {
    return absl::PermissionDeniedError(
        absl::StrCat(name, " on ", kWhere,
                     " failed: InvalidAccessKeyId: The AWS Access Key Id you provided "
                     "does not exist in our records. (HTTP 403)"));
  }
  if (no_bucket_) {
    return absl::NotFoundError(
        absl::StrCat(name, " on ", kWhere,
                     " failed: NoSuchBucket: The specified bucket does not exist (HTTP 404)"));
  }
  return absl::OkStatus();
}

MemoryObjectStore::Object MemoryObjectStore::Store(const std::string& data, const std::string& etag,
                                                   const ObjectMetadata& metadata) {
  Object o{data, etag, metadata};
  if (corrupting_ && !o.data.empty()) {
    o.data[o.data.size() / 2] ^= 0x5a;
    o.etag = Md5Hex(o.data);  // the store's ETag is of what it holds
  }
  return o;
}

absl::Status MemoryObjectStore::CheckBucket() { return Enter("CheckBucket"); }

absl::StatusOr<std::string> MemoryObjectStore::Put(const std::string& key, absl::string_view body,
                                                   const ObjectMetadata& metadata) {
  if (absl::Status s = Enter("Put"); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  const std::string etag = Md5Hex(body);
  objects_[key] = Store(std::string(body), etag, metadata);
  return etag;
}

absl::StatusOr<std::string> MemoryObjectStore::CreateMultipart(const std::string& key,
                                                               const ObjectMetadata& metadata) {
  if (absl::Status s = Enter("CreateMultipart"); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  const std::string id = absl::StrCat("upload-", next_upload_id_++);
  uploads_[id] = Multipart{key, metadata, {}};
  return id;
}

absl::StatusOr<std::string> MemoryObjectStore::UploadPart(const std::string& key,
                                                          const std::string& upload_id,
                                                          int part_number, absl::string_view body) {
  if (absl::Status s = Enter("UploadPart"); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = uploads_.find(upload_id);
  if (it == uploads_.end() || it->second.key != key) {
    return absl::NotFoundError(absl::StrCat("NoSuchUpload: ", upload_id, " for ", key));
  }
  it->second.parts[part_number] = std::string(body);
  return Md5Hex(body);
}

absl::StatusOr<std::string> MemoryObjectStore::CompleteMultipart(
    const std::string& key, const std::string& upload_id,
    const std::vector<std::string>& part_etags) {
  if (absl::Status s = Enter("CompleteMultipart"); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = uploads_.find(upload_id);
  if (it == uploads_.end() || it->second.key != key) {
    return absl::NotFoundError(absl::StrCat("NoSuchUpload: ", upload_id, " for ", key));
  }
  std::string data, md5s;
  for (size_t i = 0; i < part_etags.size(); ++i) {
    auto part = it->second.parts.find(static_cast<int>(i) + 1);
    if (part == it->second.parts.end() || Md5Hex(part->second) != part_etags[i]) {
      return absl::FailedPreconditionError(absl::StrCat("InvalidPart: part ", i + 1, " of ", key));
    }
    data += part->second;
    md5s += absl::HexStringToBytes(part_etags[i]);
  }
  const std::string etag = absl::StrCat(Md5Hex(md5s), "-", part_etags.size());
  objects_[key] = Store(data, etag, it->second.metadata);
  uploads_.erase(it);
  return etag;
}

absl::Status MemoryObjectStore::AbortMultipart(const std::string&, const std::string& upload_id) {
  if (absl::Status s = Enter("AbortMultipart"); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  uploads_.erase(upload_id);
  return absl::OkStatus();
}

absl::StatusOr<ObjectInfo> MemoryObjectStore::Head(const std::string& key) {
  if (absl::Status s = Enter("Head"); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return absl::NotFoundError(absl::StrCat("HEAD ", key, ": NoSuchKey"));
  return ObjectInfo{it->second.data.size(), it->second.etag, it->second.metadata};
}

void MemoryObjectStore::SetDown(bool down) {
  std::lock_guard<std::mutex> lock(mu_);
  down_ = down;
}
void MemoryObjectStore::SetWrongCredentials(bool wrong) {
  std::lock_guard<std::mutex> lock(mu_);
  wrong_credentials_ = wrong;
}
void MemoryObjectStore::SetNoBucket(bool missing) {
  std::lock_guard<std::mutex> lock(mu_);
  no_bucket_ = missing;
}
void MemoryObjectStore::FailNextCalls(int n) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_next_ = n;
}
void MemoryObjectStore::SetCorrupting(bool corrupting) {
  std::lock_guard<std::mutex> lock(mu_);
  corrupting_ = corrupting;
}
void MemoryObjectStore::SetOnCall(std::function<void(const std::string&)> on_call) {
  std::lock_guard<std::mutex> lock(mu_);
  on_call_ = std::move(on_call);
}
std::map<std::string, MemoryObjectStore::Object> MemoryObjectStore::objects() const {
  std::lock_guard<std::mutex> lock(mu_);
  return objects_;
}
size_t MemoryObjectStore::open_multipart_uploads() const {
  std::lock_guard<std::mutex> lock(mu_);
  return uploads_.size();
}
int MemoryObjectStore::calls(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = calls_.find(name);
  return it == calls_.end() ? 0 : it->second;
}

}  // namespace rollrig::upload
