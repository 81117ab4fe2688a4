// Test recordings: a writer run over telemetry-like channels in two chunk groups, with
// every message written kept as the oracle, and a reader helper that returns all messages.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "host/recording/file_system.h"
#include "host/recording/mcap_reader.h"
#include "host/recording/mcap_writer.h"

namespace rollrig::recording::testing {

inline constexpr uint64_t kRunStartNs = 1'760'000'000'000'000'000;  // 2025-10-09, Unix ns

struct WrittenMessage {
  std::string topic;
  uint32_t sequence = 0;
  uint64_t log_time = 0;
  uint64_t publish_time = 0;
  std::string data;
};

struct TestRecordingSpec {
  int samples = 2000;  // /telemetry messages
  uint64_t sample_period_ns = 1'000'000;
  int event_every = 250;     // one /events message per this many samples
  int overview_every = 100;  // one /overview message (group 1) per this many samples
  bool finish = true;        // false: leave it as a crash would (no summary)
  McapWriterOptions options;
};

struct TestRecording {
  std::vector<WrittenMessage> messages;  // in the order written
  uint64_t bytes = 0;
};

// Writes `spec` to `path` on `fs`. Stops at the first error and returns it.
absl::StatusOr<TestRecording> WriteTestRecording(FileSystem* fs, const std::string& path,
                                                 const TestRecordingSpec& spec);

// Every message of the file at `path`, in reader order, with its topic.
absl::StatusOr<std::vector<WrittenMessage>> ReadAllMessages(FileSystem* fs, const std::string& path,
                                                            bool* has_summary = nullptr);

// The messages sorted as the reader compares them: by topic, then log time, then sequence.
std::vector<WrittenMessage> SortedByTopicAndTime(std::vector<WrittenMessage> messages);

}  // namespace rollrig::recording::testing
