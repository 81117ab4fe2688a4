#include "host/transport/replay_transport.h"

#include <algorithm>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "host/transport/mcap_replay_source.h"

namespace rollrig::host {
namespace {

constexpr int64_t kReadSliceNs = 10'000'000;  // Close() ends a blocked Read() this promptly

}  // namespace

absl::StatusOr<std::unique_ptr<ReplayTransport>> ReplayTransport::Create(
    const std::string& path, const sim::ReplayOptions& options,
    const RecordedProgramLoader& load_program, Clock* clock) {
  absl::StatusOr<std::unique_ptr<McapReplaySource>> source =
      McapReplaySource::Open(path, load_program);
  if (!source.ok()) {
    return absl::Status(source.status().code(),
                        absl::StrCat("replay: ", source.status().message()));
  }
  std::unique_ptr<ReplayTransport> t(new ReplayTransport());
  t->describe_ = absl::StrCat(options.fast ? "replay-fast:" : "replay:", path);
  t->samples_to_play_ = (*source)->samples_to_play();
  t->runner_ = std::make_unique<sim::ReplayRunner>(
      std::move(*source), options, clock,
      [](const std::string& note) { std::fprintf(stderr, "replay: %s\n", note.c_str()); });
  return t;
}

ReplayTransport::~ReplayTransport() {
  Close();
  runner_->Stop();
}

absl::Status ReplayTransport::Open() {
  {
    std::lock_guard<std::mutex> lock(start_mu_);
    if (!started_) {
      runner_->Start();
      started_ = true;
    }
  }
  runner_->DiscardPipes();
  open_.store(true, std::memory_order_release);
  return absl::OkStatus();
}

absl::Status ReplayTransport::Write(const uint8_t* data, size_t n) {
  if (!open_.load(std::memory_order_acquire)) {
    return absl::UnavailableError("replay: transport is closed");
  }
  runner_->WriteFromHost(data, n);
  return absl::OkStatus();
}

absl::StatusOr<size_t> ReplayTransport::Read(uint8_t* buf, size_t cap, absl::Duration timeout) {
  int64_t remaining_ns = std::max<int64_t>(0, absl::ToInt64Nanoseconds(timeout));
  do {
    if (!open_.load(std::memory_order_acquire)) {
      return absl::UnavailableError("replay: transport is closed");
    }
    const int64_t slice_ns = std::min(remaining_ns, kReadSliceNs);
    const size_t got = runner_->ReadToHost(buf, cap, slice_ns);
    if (got > 0) return got;
    remaining_ns -= slice_ns;
  } while (remaining_ns > 0);
  return size_t{0};
}

void ReplayTransport::Close() { open_.store(false, std::memory_order_release); }

}  // namespace rollrig::host
