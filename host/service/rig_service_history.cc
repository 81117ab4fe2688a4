// RigService: a run's history from its recording (GetRunHistory). Reading a window may take
// a while (a whole run's first picture, a cold file index), so it runs on a thread of our
// own, never on gRPC's: the handler queues the call and returns; the thread answers it.
// One thread, so the reader's cache of file indexes needs no lock.
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "enum_names.h"
#include "host/recording/run_history.h"
#include "host/service/rig_service.h"

namespace rollrig::host {

// Answers history calls in the order they came, on its own thread. Destroying it answers
// what is queued and joins the thread.
class HistoryServer {
 public:
  explicit HistoryServer(RunManager* runs) : runs_(runs), thread_([this] { Loop(); }) {}
  ~HistoryServer() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  void Serve(const rollrig::v1::GetRunHistoryRequest* req, rollrig::v1::RunHistory* resp,
             grpc::ServerUnaryReactor* reactor) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      calls_.push_back(
          [this, req, resp, reactor] { reactor->Finish(ToGrpcStatus(Answer(*req, resp))); });
    }
    cv_.notify_one();
  }

 private:
  absl::Status Answer(const rollrig::v1::GetRunHistoryRequest& req, rollrig::v1::RunHistory* resp) {
    absl::StatusOr<rollrig::v1::RunInfo> run = runs_->Get(req.run_id());
    if (!run.ok()) return run.status();
    recording::HistoryRun history;
    history.run_id = run->id();
    history.files.assign(run->recordings().begin(), run->recordings().end());
    history.interruptions.assign(run->interruptions().begin(), run->interruptions().end());
    history.recording = rollrig::v1::RunIsActive(run->state());
    absl::StatusOr<rollrig::v1::RunHistory> answer = reader_.Read(history, req);
    if (!answer.ok()) return answer.status();
    *resp = *std::move(answer);
    return absl::OkStatus();
  }

  void Loop() {
    for (;;) {
      std::function<void()> call;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [this] { return stopping_ || !calls_.empty(); });
        if (calls_.empty()) return;
        call = std::move(calls_.front());
        calls_.pop_front();
      }
      call();
    }
  }

  RunManager* runs_;
  recording::RunHistoryReader reader_;  // the thread's only
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> calls_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts once the rest is built
};

grpc::ServerUnaryReactor* RigServiceImpl::GetRunHistory(
    grpc::CallbackServerContext* ctx, const rollrig::v1::GetRunHistoryRequest* req,
    rollrig::v1::RunHistory* resp) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  if (!AdmitOrRefuse(ctx, "GetRunHistory", reactor)) return reactor;
  std::call_once(history_once_, [this] { history_ = std::make_shared<HistoryServer>(runs_); });
  history_->Serve(req, resp, reactor);
  return reactor;
}

}  // namespace rollrig::host
