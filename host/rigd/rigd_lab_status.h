// rigd's LabStatusSource: where /metrics is served, the lab services' problems (the
// metrics endpoint's, the upload queue's last error) and the upload queue itself, from an
// optional function the uploader gives. Composed by RigdApp; read by the gRPC service.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "host/service/lab_status.h"
#include "rollrig/v1/rig_service.pb.h"

namespace rollrig::host {

class RigdLabStatus : public LabStatusSource {
 public:
  using UploadsFn = std::function<rollrig::v1::UploadStatus(bool with_items)>;
  using ProblemsFn = std::function<std::vector<std::string>()>;

  void SetMetricsAddress(const std::string& url);
  // Sets (or with "" clears) the problem of one source ("metrics disk", ...); true when it
  // changed, so the caller announces it once.
  bool SetProblem(const std::string& source, const std::string& problem);
  // Empty: uploads off. `problems`: the upload queue's own problems (the store, the spool
  // disk); without it a failing queue's last error is the problem.
  void SetUploads(UploadsFn uploads, ProblemsFn problems = {});

  void FillStatus(rollrig::v1::RigStatus* status) const override;
  rollrig::v1::UploadStatus Uploads() const override;

 private:
  mutable std::mutex mu_;
  std::string metrics_address_;
  std::map<std::string, std::string> problems_;  // by source; none empty
  UploadsFn uploads_;
  ProblemsFn upload_problems_;
};

}  // namespace rollrig::host
