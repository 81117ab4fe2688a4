#include "gui/dash/history_fetcher.h"

#include <chrono>

#include "absl/strings/str_cat.h"

namespace rollrig::gui {

absl::Status FromGrpc(const grpc::Status& s, const std::string& what) {
  if (s.ok()) return absl::OkStatus();
  const std::string message =
      s.error_message().empty()
          ? absl::StrCat(what, ": gRPC status ", static_cast<int>(s.error_code()))
          : absl::StrCat(what, ": ", s.error_message());
  // gRPC's codes and absl's are the same numbers (both follow google.rpc.Code).
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), message);
}

GrpcHistoryFetcher::GrpcHistoryFetcher(std::shared_ptr<grpc::Channel> channel, double deadline_s)
    : stub_(rollrig::v1::RigService::NewStub(std::move(channel))), deadline_s_(deadline_s) {}

std::unique_ptr<grpc::ClientContext> GrpcHistoryFetcher::NewContext() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() +
                    std::chrono::microseconds(static_cast<int64_t>(deadline_s_ * 1e6)));
  std::lock_guard<std::mutex> lock(mu_);
  if (cancelled_) ctx->TryCancel();
  in_flight_ = ctx.get();
  return ctx;
}

void GrpcHistoryFetcher::Done() {
  std::lock_guard<std::mutex> lock(mu_);
  in_flight_ = nullptr;
}

void GrpcHistoryFetcher::Cancel() {
  std::lock_guard<std::mutex> lock(mu_);
  cancelled_ = true;
  if (in_flight_) in_flight_->TryCancel();
}

absl::StatusOr<rollrig::v1::RunHistory> GrpcHistoryFetcher::History(
    const rollrig::v1::GetRunHistoryRequest& request) {
  auto ctx = NewContext();
  rollrig::v1::RunHistory history;
  const grpc::Status s = stub_->GetRunHistory(ctx.get(), request, &history);
  Done();
  if (!s.ok()) {
    return FromGrpc(s, absl::StrCat("history of run '",
                                    request.run_id().empty() ? "(active)" : request.run_id(), "'"));
  }
  return history;
}

absl::StatusOr<rollrig::v1::RunInfo> GrpcHistoryFetcher::Run(const std::string& run_id) {
  auto ctx = NewContext();
  rollrig::v1::RunRequest request;
  request.set_id(run_id);
  rollrig::v1::RunInfo info;
  const grpc::Status s = stub_->GetRun(ctx.get(), request, &info);
  Done();
  if (!s.ok()) return FromGrpc(s, absl::StrCat("run '", run_id, "'"));
  return info;
}

}  // namespace rollrig::gui
