#include "host/upload/upload_journal.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"

namespace rollrig::upload {
namespace {

absl::Status Errno(const std::string& what, const std::string& path) {
  const int e = errno;
  const std::string text =
      absl::StrCat("upload queue: cannot ", what, " ", path, ": ", strerror(e));
  return e == ENOSPC ? absl::ResourceExhaustedError(text) : absl::InternalError(text);
}

absl::Status WriteAll(int fd, const std::string& data, const std::string& path) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("write", path);
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

absl::Status SyncDir(const std::string& dir) {
  const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return Errno("open", dir);
  const int rc = fsync(fd);
  close(fd);
  return rc == 0 ? absl::OkStatus() : Errno("fsync", dir);
}

absl::Status WriteAtomically(const std::string& dir, const std::string& path,
                             const std::string& data) {
  const std::string tmp = path + ".tmp";
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("create", tmp);
  absl::Status s = WriteAll(fd, data, tmp);
  if (s.ok() && fsync(fd) != 0) s = Errno("fsync", tmp);
  close(fd);
  if (s.ok() && rename(tmp.c_str(), path.c_str()) != 0) s = Errno("rename", tmp);
  if (!s.ok()) {
    unlink(tmp.c_str());
    return s;
  }
  return SyncDir(dir);
}

std::string Key(const rollrig::v1::UploadItem& item) {
  return absl::StrCat(item.run_id(), "/", item.file());
}

}  // namespace

std::string DirectoryJournal::PathOf(const rollrig::v1::UploadItem& item) const {
  return absl::StrCat(dir_, "/", item.run_id(), "--", item.file(), ".json");
}

std::vector<rollrig::v1::UploadItem> DirectoryJournal::Load(std::vector<std::string>* problems) {
  std::vector<rollrig::v1::UploadItem> items;
  DIR* d = opendir(dir_.c_str());
  if (d == nullptr) return items;  // nothing queued yet
  while (dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (!absl::EndsWith(name, ".json")) continue;
    const std::string path = absl::StrCat(dir_, "/", name);
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    rollrig::v1::UploadItem item;
    if (!google::protobuf::util::JsonStringToMessage(text.str(), &item).ok() ||
        item.run_id().empty() || item.file().empty()) {
      if (problems) problems->push_back(absl::StrCat("upload queue: unreadable record ", path));
      continue;
    }
    items.push_back(std::move(item));
  }
  closedir(d);
  return items;
}

absl::Status DirectoryJournal::Save(const rollrig::v1::UploadItem& item) {
  const std::string parent = dir_.substr(0, dir_.rfind('/'));
  if (!parent.empty() && mkdir(parent.c_str(), 0755) != 0 && errno != EEXIST) {
    return Errno("create", parent);
  }
  if (mkdir(dir_.c_str(), 0755) != 0 && errno != EEXIST) return Errno("create", dir_);
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(item, &json).ok()) {
    return absl::InternalError(absl::StrCat("upload queue: cannot encode ", Key(item)));
  }
  return WriteAtomically(dir_, PathOf(item), json);
}

std::vector<rollrig::v1::UploadItem> MemoryJournal::Load(std::vector<std::string>*) {
  std::vector<rollrig::v1::UploadItem> out;
  for (const auto& [key, item] : items) out.push_back(item);
  return out;
}

absl::Status MemoryJournal::Save(const rollrig::v1::UploadItem& item) {
  if (!fail_with.ok()) return fail_with;
  items[Key(item)] = item;
  return absl::OkStatus();
}

}  // namespace rollrig::upload
