// Where a run's history comes from: rigd's GetRunHistory (and GetRun), behind a small
// interface so the history store can be tested with a fake and never sees gRPC.
//
// Thread safety: a fetcher is used by one thread at a time (the history store's fetch
// thread); Cancel() may be called from any thread to end a call in flight. Calls block on
// the network (with a deadline): never call them on the render thread.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"
#include "rollrig/v1/rig_service.grpc.pb.h"

namespace rollrig::gui {

class HistoryFetcher {
 public:
  virtual ~HistoryFetcher() = default;
  // GetRunHistory; errors carry rigd's message (the run, the channel, the file).
  virtual absl::StatusOr<rollrig::v1::RunHistory> History(
      const rollrig::v1::GetRunHistoryRequest& request) = 0;
  // GetRun: the run's state, spec (profile text, hence its limits) and verdict.
  virtual absl::StatusOr<rollrig::v1::RunInfo> Run(const std::string& run_id) = 0;
  // Ends a call in flight (the store is closing); later calls fail at once.
  virtual void Cancel() {}
};

// The fetcher of a rigd reached through `channel` (host/client's channel, with its
// credentials); each call has `deadline_s`.
class GrpcHistoryFetcher : public HistoryFetcher {
 public:
  explicit GrpcHistoryFetcher(std::shared_ptr<grpc::Channel> channel, double deadline_s = 15);
  absl::StatusOr<rollrig::v1::RunHistory> History(
      const rollrig::v1::GetRunHistoryRequest& request) override;
  absl::StatusOr<rollrig::v1::RunInfo> Run(const std::string& run_id) override;
  void Cancel() override;

 private:
  std::unique_ptr<grpc::ClientContext> NewContext();
  void Done();

  std::unique_ptr<rollrig::v1::RigService::Stub> stub_;
  const double deadline_s_;
  std::mutex mu_;
  grpc::ClientContext* in_flight_ = nullptr;
  bool cancelled_ = false;
};

// "NOT_FOUND: no run 'x'" from a gRPC status, as an absl::Status of the same code.
absl::Status FromGrpc(const grpc::Status& s, const std::string& what);

}  // namespace rollrig::gui
