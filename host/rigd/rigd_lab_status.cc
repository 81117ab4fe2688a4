#include "host/rigd/rigd_lab_status.h"

#include "absl/strings/str_cat.h"

namespace rollrig::host {

void RigdLabStatus::SetMetricsAddress(const std::string& url) {
  std::lock_guard<std::mutex> lock(mu_);
  metrics_address_ = url;
}

bool RigdLabStatus::SetProblem(const std::string& source, const std::string& problem) {
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = problems_.find(source);
  if (problem.empty()) {
    if (it == problems_.end()) return false;
    problems_.erase(it);
    return true;
  }
  if (it != problems_.end() && it->second == problem) return false;
  problems_[source] = problem;
  return true;
}

void RigdLabStatus::SetUploads(UploadsFn uploads, ProblemsFn problems) {
  std::lock_guard<std::mutex> lock(mu_);
  uploads_ = std::move(uploads);
  upload_problems_ = std::move(problems);
}

void RigdLabStatus::FillStatus(rollrig::v1::RigStatus* status) const {
  UploadsFn uploads;
  ProblemsFn upload_problems;
  {
    std::lock_guard<std::mutex> lock(mu_);
    status->set_metrics_address(metrics_address_);
    for (const auto& [source, problem] : problems_) status->add_lab_problems(problem);
    uploads = uploads_;
    upload_problems = upload_problems_;
  }
  if (!uploads) return;
  *status->mutable_uploads() = uploads(false);
  if (upload_problems) {
    for (std::string& p : upload_problems()) status->add_lab_problems(std::move(p));
    return;
  }
  const rollrig::v1::UploadStatus& u = status->uploads();
  if (u.enabled() && !u.last_error().empty()) {
    status->add_lab_problems(absl::StrCat("uploads failing: ", u.last_error()));
  }
}

rollrig::v1::UploadStatus RigdLabStatus::Uploads() const {
  UploadsFn uploads;
  {
    std::lock_guard<std::mutex> lock(mu_);
    uploads = uploads_;
  }
  return uploads ? uploads(true) : rollrig::v1::UploadStatus();
}

}  // namespace rollrig::host
