#include "rig/sim/replay_runner.h"

#include <chrono>
#include <utility>
#include <vector>

namespace rollrig::sim {
namespace {

// The replay thread looks at the clock this often (real time).
constexpr auto kWake = std::chrono::milliseconds(1);
// Recorded items per wake when fast: bounded so the lock is never held for long.
constexpr size_t kFastItemsPerWake = 2000;

}  // namespace

ReplayRunner::ReplayRunner(std::unique_ptr<ReplaySource> source, const ReplayOptions& options,
                           Clock* clock, std::function<void(const std::string&)> log)
    : clock_(clock), log_(std::move(log)), device_(std::move(source), options) {}

ReplayRunner::~ReplayRunner() { Stop(); }

void ReplayRunner::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (running_) return;
  StartThreadLocked();
}

void ReplayRunner::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (running_) {
    if (host_pipe_has_room()) {
      device_.Pump(clock_->NowNanos(), kFastItemsPerWake);
      if (device_.TakeOutput(host_pipe_back()) > 0) output_ready_.notify_all();
    }
    std::vector<std::string> notes = device_.TakeNotes();
    if (!notes.empty() && log_) {
      lock.unlock();
      for (const std::string& note : notes) log_(note);
      lock.lock();
    }
    wake_.wait_for(lock, kWake);
  }
}

void ReplayRunner::WriteFromHost(const uint8_t* data, size_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  device_.ReceiveFromHost(data, n);
}

void ReplayRunner::DiscardPipes() {
  std::lock_guard<std::mutex> lock(mu_);
  DiscardHostPipeLocked();
  std::vector<uint8_t> drop;
  device_.TakeOutput(&drop);
}

bool ReplayRunner::finished() {
  std::lock_guard<std::mutex> lock(mu_);
  return device_.finished();
}

uint64_t ReplayRunner::samples_sent() {
  std::lock_guard<std::mutex> lock(mu_);
  return device_.samples_sent();
}

}  // namespace rollrig::sim
