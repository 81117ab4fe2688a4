// Server streams are fed by our own thread, never by gRPC's: every period the pump visits
// each open stream, which drains its subscription and starts at most one write (gRPC's
// rule: one write in flight). Reactor callbacks only flip atomic flags, so nothing gRPC
// calls can block or deadlock against the pump.
//
// A stream may carry its admission: the pump re-checks it whenever the access control's
// table changes (a reload) and every second (for expiry), and ends the stream with the
// refusal once its call's credential no longer admits it.
//
// Ownership: the pump owns the streams given to it and deletes each after gRPC has
// called its OnDone. Thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "host/security/access_control.h"

namespace rollrig::host {

class PumpedStream {
 public:
  virtual ~PumpedStream() = default;
  // On the pump thread: start a write if there is data and none is in flight; finish
  // if asked to or cancelled.
  virtual void Pump() = 0;
  // gRPC has called OnDone: the pump may delete the stream.
  virtual bool done() const = 0;
  // Ends the stream with `status` at the next pump (after the write in flight).
  void RequestFinish(const grpc::Status& status);
  // Before the stream is given to the pump: OK while the call's credential still admits
  // it, else why not (the stream then ends with it).
  void set_admission(std::function<grpc::Status()> admission) { admission_ = std::move(admission); }
  // On the pump thread: ends the stream if its admission now refuses it.
  void RecheckAdmission();

 protected:
  bool finish_requested() const { return finish_requested_.load(); }
  grpc::Status finish_status() const;

 private:
  std::atomic<bool> finish_requested_{false};
  mutable std::mutex status_mu_;
  grpc::Status finish_status_;
  std::function<grpc::Status()> admission_;  // empty: nothing to re-check
};

// A streaming call refused before it started (e.g. by the access control): finishes at
// once with the refusal, deletes itself when gRPC is done with it. Never given to a pump.
template <typename Message>
class RefusedWriter final : public grpc::ServerWriteReactor<Message> {
 public:
  explicit RefusedWriter(const grpc::Status& refusal) { this->Finish(refusal); }
  void OnDone() override { delete this; }
};

// A server-streaming call fed by the pump: one write in flight, Finish once, after the
// write in flight, when the call is cancelled, rigd shuts down, or the stream ends
// itself. Subclasses say what to write next and what to release at the end.
template <typename Message>
class PumpedWriter : public grpc::ServerWriteReactor<Message>, public PumpedStream {
 public:
  void Pump() final {
    if (done_.load()) return;
    if (finish_requested() || cancelled_.load() || ending_) {
      if (!in_flight_.load() && !finish_called_) {
        finish_called_ = true;
        Release();
        this->Finish(cancelled_.load() ? grpc::Status::CANCELLED
                                       : (ending_ ? end_status_ : finish_status()));
      }
      return;
    }
    if (in_flight_.load()) return;
    if (const Message* next = Next()) {
      in_flight_.store(true);
      this->StartWrite(next);
    }
  }
  bool done() const final { return done_.load(); }
  void OnWriteDone(bool ok) final {
    if (!ok) cancelled_.store(true);
    in_flight_.store(false);
  }
  void OnCancel() final { cancelled_.store(true); }
  void OnDone() final {
    if (!finish_called_) Release();
    done_.store(true);
  }

 protected:
  // On the pump thread: the next message to write (it must stay valid until the next
  // call), or nullptr for nothing now.
  virtual const Message* Next() = 0;
  // Releases subscriptions; called once, when the stream ends.
  virtual void Release() {}
  // Ends the stream with `status` once the write in flight (if any) is done.
  void EndStream(const grpc::Status& status) {
    ending_ = true;
    end_status_ = status;
  }

 private:
  bool finish_called_ = false;  // pump thread only (and OnDone after it)
  bool ending_ = false;         // pump thread only
  grpc::Status end_status_;
  std::atomic<bool> in_flight_{false};
  std::atomic<bool> cancelled_{false};
  std::atomic<bool> done_{false};
};

class StreamPump {
 public:
  // With `access` (not owned), streams' admissions are re-checked as described above.
  explicit StreamPump(absl::Duration period = absl::Milliseconds(10),
                      const AccessControl* access = nullptr);
  ~StreamPump();  // Stop()s

  void Start();
  // Takes ownership.
  void Add(PumpedStream* stream);
  // Asks every stream to finish with `status`, waits up to `timeout` for gRPC to be done
  // with them. Returns whether all were done.
  bool FinishAll(const grpc::Status& status, absl::Duration timeout);
  // Stops the thread; deletes streams gRPC is done with.
  void Stop();
  size_t open_streams() const;

 private:
  void Loop();
  // Whether the streams' admissions are due for a re-check (pump thread).
  bool AdmissionsDue();

  const absl::Duration period_;
  const AccessControl* const access_;
  uint64_t checked_generation_ = 0;
  absl::Time next_admission_check_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<PumpedStream>> streams_;
  bool running_ = false;
  std::thread thread_;
};

}  // namespace rollrig::host
