#include "host/transport/replay_transport.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "host/transport/mcap_replay_source.h"

namespace rollrig::host {
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

}  // namespace rollrig::host
