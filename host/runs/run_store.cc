#include "host/runs/run_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/json_util.h"
#include "rig/base/bounded_text.h"

namespace rollrig::host {
namespace {

absl::Status Errno(const std::string& what, const std::string& path) {
  return absl::UnavailableError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

absl::Status MakeDirs(const std::string& dir) {
  std::string path;
  for (absl::string_view part : absl::StrSplit(dir, '/')) {
    path += std::string(part) + "/";
    if (part.empty()) continue;
    if (mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) return Errno("cannot create", path);
  }
  return absl::OkStatus();
}

absl::Status SyncDir(const std::string& dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return Errno("cannot open", dir);
  fsync(fd);
  close(fd);
  return absl::OkStatus();
}

absl::Status WriteAll(int fd, const std::string& data, const std::string& path) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("cannot write", path);
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

bool ValidId(const std::string& id) {
  return !id.empty() && id.size() < 200 &&
         id.find_first_not_of(
             "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") ==
             std::string::npos &&
         id[0] != '.';
}

}  // namespace

std::string DefaultRunsDir() {
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg) {
    return absl::StrCat(xdg, "/rollrig/runs");
  }
  const char* home = std::getenv("HOME");
  return absl::StrCat(home && *home ? home : ".", "/.local/share/rollrig/runs");
}

absl::StatusOr<std::unique_ptr<RunStore>> RunStore::Open(const std::string& dir) {
  if (absl::Status s = MakeDirs(dir); !s.ok()) return s;
  const std::string lock_path = dir + "/.rigd.lock";
  int fd = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("cannot open", lock_path);
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    char buf[32] = {};
    (void)pread(fd, buf, sizeof(buf) - 1, 0);
    close(fd);
    return absl::FailedPreconditionError(
        absl::StrCat("the runs directory ", dir, " is in use by another rigd (pid ",
                     std::string(buf).substr(0, std::string(buf).find('\n')),
                     "); give this one its own --runs-dir"));
  }
  const std::string pid = absl::StrCat(getpid(), "\n");
  if (ftruncate(fd, 0) == 0) (void)pwrite(fd, pid.data(), pid.size(), 0);
  return std::unique_ptr<RunStore>(new RunStore(dir, fd));
}

RunStore::RunStore(std::string dir, int lock_fd) : dir_(std::move(dir)), lock_fd_(lock_fd) {}

RunStore::~RunStore() { close(lock_fd_); }

std::string RunStore::RunPath(const std::string& id) const {
  return absl::StrCat(dir_, "/", id, ".run.json");
}

absl::Status RunStore::Save(const rollrig::v1::RunInfo& run) {
  if (!ValidId(run.id()))
    return absl::InvalidArgumentError(absl::StrCat("bad run id ", QuoteInput(run.id())));
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  if (auto s = google::protobuf::util::MessageToJsonString(run, &json, options); !s.ok()) {
    return absl::InternalError(absl::StrCat("cannot serialize run ", run.id()));
  }
  std::lock_guard<std::mutex> lock(mu_);
  const std::string path = RunPath(run.id());
  const std::string tmp = path + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("cannot create", tmp);
  absl::Status s = WriteAll(fd, json, tmp);
  if (s.ok() && fdatasync(fd) != 0) s = Errno("cannot sync", tmp);
  close(fd);
  if (!s.ok()) return s;
  if (rename(tmp.c_str(), path.c_str()) != 0) return Errno("cannot rename", tmp);
  return SyncDir(dir_);
}

absl::Status RunStore::AppendCycle(const std::string& run_id,
                                   const rollrig::v1::CycleStats& cycle) {
  if (!ValidId(run_id))
    return absl::InvalidArgumentError(absl::StrCat("bad run id ", QuoteInput(run_id)));
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(cycle, &json, options);
  json += "\n";
  std::lock_guard<std::mutex> lock(mu_);
  const std::string path = absl::StrCat(dir_, "/", run_id, ".cycles.jsonl");
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("cannot open", path);
  absl::Status s = WriteAll(fd, json, path);
  if (s.ok() && fdatasync(fd) != 0) s = Errno("cannot sync", path);
  close(fd);
  return s;
}

absl::StatusOr<rollrig::v1::RunInfo> RunStore::Load(const std::string& run_id) const {
  if (!ValidId(run_id))
    return absl::InvalidArgumentError(absl::StrCat("bad run id ", QuoteInput(run_id)));
  const std::string path = RunPath(run_id);
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("no run ", QuoteInput(run_id), " in ", dir_));
  std::stringstream ss;
  ss << in.rdbuf();
  rollrig::v1::RunInfo run;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  if (!google::protobuf::util::JsonStringToMessage(ss.str(), &run, options).ok()) {
    return absl::DataLossError(absl::StrCat("run file ", path, " is not valid JSON of a run"));
  }
  return run;
}

std::vector<rollrig::v1::RunInfo> RunStore::LoadAll(std::vector<std::string>* problems) const {
  std::vector<rollrig::v1::RunInfo> runs;
  DIR* d = opendir(dir_.c_str());
  if (!d) return runs;
  while (dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (!absl::EndsWith(name, ".run.json")) continue;
    absl::StatusOr<rollrig::v1::RunInfo> run = Load(name.substr(0, name.size() - 9));
    if (run.ok()) {
      runs.push_back(*std::move(run));
    } else if (problems) {
      problems->push_back(std::string(run.status().message()));
    }
  }
  closedir(d);
  std::sort(runs.begin(), runs.end(), [](const auto& a, const auto& b) {
    return a.started_unix_ns() != b.started_unix_ns() ? a.started_unix_ns() > b.started_unix_ns()
                                                      : a.id() > b.id();
  });
  return runs;
}

absl::StatusOr<std::vector<rollrig::v1::CycleStats>> RunStore::LoadCycles(
    const std::string& run_id) const {
  if (!ValidId(run_id))
    return absl::InvalidArgumentError(absl::StrCat("bad run id ", QuoteInput(run_id)));
  std::vector<rollrig::v1::CycleStats> cycles;
  std::ifstream in(absl::StrCat(dir_, "/", run_id, ".cycles.jsonl"));
  std::string line;
  while (std::getline(in, line)) {
    rollrig::v1::CycleStats c;
    // A torn last line (power cut mid-append) is skipped: the cycle before it is intact.
    if (google::protobuf::util::JsonStringToMessage(line, &c).ok()) cycles.push_back(c);
  }
  return cycles;
}

int64_t RunStore::SavedAtNs(const std::string& run_id) const {
  if (!ValidId(run_id)) return 0;
  struct stat st {};
  if (stat(RunPath(run_id).c_str(), &st) != 0) return 0;
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

}  // namespace rollrig::host
