#include "host/rigd/rigd_lab_status.h"

namespace rollrig::host {

void RigdLabStatus::SetUploads(UploadsGetter uploads, ProblemsGetter problems) {
  uploads_ = std::move(uploads);
  upload_problems_ = std::move(problems);
}

void RigdLabStatus::SetMetrics(MetricsPart metrics) { metrics_ = std::move(metrics); }

void RigdLabStatus::FillStatus(rollrig::v1::RigStatus* status) const {
  if (uploads_) *status->mutable_uploads() = uploads_(false);
  if (upload_problems_) {
    for (std::string& p : upload_problems_()) status->add_lab_problems(std::move(p));
  }
  if (metrics_) metrics_(status);
}

rollrig::v1::UploadStatus RigdLabStatus::Uploads() const {
  if (!uploads_) return rollrig::v1::UploadStatus();  // enabled = false
  return uploads_(true);
}

}  // namespace rollrig::host
