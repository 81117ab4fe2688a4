#include "host/rigctl/interrupt.h"

#include <chrono>

namespace rollrig::host::rigctl {
namespace {

std::atomic<int> g_interrupts{0};

void OnInterrupt(int) { g_interrupts.fetch_add(1); }

}  // namespace

InterruptCatcher::InterruptCatcher() {
  g_interrupts.store(0);
  struct sigaction sa {};
  sa.sa_handler = OnInterrupt;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &old_);
}

InterruptCatcher::~InterruptCatcher() {
  done_.store(true);
  if (canceller_.joinable()) canceller_.join();
  sigaction(SIGINT, &old_, nullptr);
}

int InterruptCatcher::Count() { return g_interrupts.load(); }

void InterruptCatcher::CancelOnInterrupt(grpc::ClientContext* ctx) {
  if (canceller_.joinable()) return;
  // A signal handler may not call into gRPC: a thread watches the count instead.
  canceller_ = std::thread([this, ctx] {
    while (!done_.load()) {
      if (g_interrupts.load() > 0) {
        ctx->TryCancel();
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
}

}  // namespace rollrig::host::rigctl
