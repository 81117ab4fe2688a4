#include "host/runs/run_view.h"

#include "absl/strings/str_cat.h"
#include "host/runs/active_run.h"
#include "rig/base/bounded_text.h"

namespace rollrig::host {

using rollrig::v1::RunInfo;

void RunView::Reset(std::vector<RunInfo> runs) {
  std::lock_guard<std::mutex> lock(mu_);
  runs_ = std::move(runs);
  ++version_;
}

void RunView::Put(const RunInfo& run) {
  std::lock_guard<std::mutex> lock(mu_);
  bool found = false;
  for (RunInfo& r : runs_) {
    if (r.id() == run.id()) {
      r = run;
      found = true;
    }
  }
  if (!found) runs_.insert(runs_.begin(), run);
  active_id_ = rollrig::v1::RunIsActive(run.state()) ? run.id() : "";
  ++version_;
}

void RunView::Replace(const RunInfo& run) {
  std::lock_guard<std::mutex> lock(mu_);
  for (RunInfo& r : runs_) {
    if (r.id() == run.id()) r = run;
  }
}

void RunView::RenameRecording(const std::string& run_id, const std::string& from,
                              const std::string& to) {
  std::lock_guard<std::mutex> lock(mu_);
  for (RunInfo& r : runs_) {
    if (r.id() != run_id) continue;
    for (std::string& f : *r.mutable_recordings()) {
      if (f == from) f = to;
    }
  }
  ++version_;
}

std::optional<RunInfo> RunView::Find(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::optional<RunInfo> found;
  for (const RunInfo& r : runs_) {
    if (r.id() == id) found = r;
  }
  return found;
}

absl::StatusOr<RunInfo> RunView::Get(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string want = id.empty() ? active_id_ : id;
  if (want.empty()) {
    if (runs_.empty()) return absl::NotFoundError("no runs yet");
    return runs_.front();
  }
  for (const RunInfo& r : runs_) {
    if (r.id() == want) return r;
  }
  return absl::NotFoundError(absl::StrCat("no run ", QuoteInput(want)));
}

std::vector<RunInfo> RunView::List() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<RunInfo> list = runs_;
  for (RunInfo& r : list) r.mutable_spec()->mutable_profile()->clear_text();
  return list;
}

std::string RunView::ActiveRunId() const {
  std::lock_guard<std::mutex> lock(mu_);
  return active_id_;
}

uint64_t RunView::version() const {
  std::lock_guard<std::mutex> lock(mu_);
  return version_;
}

}  // namespace rollrig::host
