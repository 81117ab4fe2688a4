// RigService: a run's report, rendered on rigd from the run's recording files.
#include <algorithm>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "host/recording/file_system.h"
#include "host/report/run_report.h"
#include "host/service/rig_service.h"

namespace rollrig::host {
namespace {

constexpr size_t kReportChunkBytes = 256 << 10;

// The report being rendered on its own thread (reading a long run's files must not hold up
// the pump, which feeds every other stream), shared with the stream until both are done.
struct ReportJob {
  std::mutex mu;
  bool done = false;
  absl::StatusOr<std::string> html = std::string();
};

// The run's files as they are now: a .part renamed since the snapshot is read as .mcap.
std::vector<std::string> CurrentPaths(const rollrig::v1::RunInfo& run) {
  std::vector<std::string> paths;
  recording::FileSystem* fs = recording::RealFileSystem();
  for (const std::string& path : run.recordings()) {
    std::string p = path;
    if (absl::EndsWith(p, ".part") && !fs->Exists(p)) p.resize(p.size() - 5);
    paths.push_back(std::move(p));
  }
  return paths;
}

absl::StatusOr<std::string> Render(const rollrig::v1::RunInfo& run) {
  if (run.recordings_size() == 0) {
    return absl::NotFoundError(absl::StrCat("run ", run.id(), " has no recording"));
  }
  const std::vector<std::string> paths = CurrentPaths(run);
  absl::StatusOr<std::string> html = report::RunReportHtml(paths, run);
  if (html.ok()) return html;
  // An error names the file as clients know it: by its name, not where rigd keeps it.
  std::string message(html.status().message());
  for (const std::string& path : paths) {
    message = absl::StrReplaceAll(message, {{path, path.substr(path.rfind('/') + 1)}});
  }
  return absl::Status(html.status().code(), message);
}

class RunReportStream final : public PumpedWriter<rollrig::v1::ReportChunk> {
 public:
  explicit RunReportStream(absl::StatusOr<rollrig::v1::RunInfo> run)
      : job_(std::make_shared<ReportJob>()) {
    if (!run.ok()) {
      job_->html = run.status();
      job_->done = true;
      return;
    }
    chunk_.set_file_name(report::ReportFileName(run->id()));
    std::thread([job = job_, info = *std::move(run)] {
      absl::StatusOr<std::string> html = Render(info);
      std::lock_guard<std::mutex> lock(job->mu);
      job->html = std::move(html);
      job->done = true;
    }).detach();
  }

 private:
  const rollrig::v1::ReportChunk* Next() override {
    {
      std::lock_guard<std::mutex> lock(job_->mu);
      if (!job_->done) return nullptr;
    }
    if (!job_->html.ok()) {
      EndStream(ToGrpcStatus(job_->html.status()));
      return nullptr;
    }
    const std::string& html = *job_->html;
    const size_t n = std::min(kReportChunkBytes, html.size() - offset_);
    chunk_.set_offset(offset_);
    chunk_.set_data(html.substr(offset_, n));
    offset_ += n;
    if (offset_ >= html.size()) EndStream(grpc::Status::OK);
    return &chunk_;
  }

  std::shared_ptr<ReportJob> job_;
  size_t offset_ = 0;
  rollrig::v1::ReportChunk chunk_;
};

}  // namespace

grpc::ServerWriteReactor<rollrig::v1::ReportChunk>* RigServiceImpl::GetRunReport(
    grpc::CallbackServerContext* ctx, const rollrig::v1::GetRunReportRequest* req) {
  return ServeStream<rollrig::v1::ReportChunk>(
      ctx, "GetRunReport", [&] { return new RunReportStream(runs_->Get(req->run_id())); });
}

}  // namespace rollrig::host
