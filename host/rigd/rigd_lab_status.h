// What rigd tells clients about its lab services (LabStatusSource): the upload queue and,
// when served, the metrics endpoint. Each part is optional; rigd sets the ones it runs
// before serving.
//
// Thread safety: Set* before the server starts; FillStatus/Uploads from any thread (the
// parts answer from snapshots).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "host/service/lab_status.h"

namespace rollrig::host {

class RigdLabStatus final : public LabStatusSource {
 public:
  using UploadsGetter = std::function<rollrig::v1::UploadStatus(bool with_items)>;
  using ProblemsGetter = std::function<std::vector<std::string>()>;
  // Fills what the metrics endpoint reports (metrics_address, its lab_problems).
  using MetricsPart = std::function<void(rollrig::v1::RigStatus*)>;

  void SetUploads(UploadsGetter uploads, ProblemsGetter problems);
  void SetMetrics(MetricsPart metrics);

  void FillStatus(rollrig::v1::RigStatus* status) const override;
  rollrig::v1::UploadStatus Uploads() const override;

 private:
  UploadsGetter uploads_;
  ProblemsGetter upload_problems_;
  MetricsPart metrics_;
};

}  // namespace rollrig::host
