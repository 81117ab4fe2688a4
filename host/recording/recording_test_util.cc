#include "host/recording/recording_test_util.h"

#include <algorithm>
#include <tuple>

#include "testdata/test_telemetry.pb.h"

namespace rollrig::recording::testing {

absl::StatusOr<TestRecording> WriteTestRecording(FileSystem* fs, const std::string& path,
                                                 const TestRecordingSpec& spec) {
  auto file = fs->NewWritableFile(path);
  if (!file.ok()) return file.status();
  McapWriter writer(*std::move(file), spec.options);
  if (absl::Status s = writer.Open(); !s.ok()) return s;
  auto sample_schema = writer.AddSchema(test::TestSample::descriptor()->full_name(), "protobuf",
                                        ProtobufSchemaData(test::TestSample::descriptor()));
  if (!sample_schema.ok()) return sample_schema.status();
  auto event_schema = writer.AddSchema(test::TestEvent::descriptor()->full_name(), "protobuf",
                                       ProtobufSchemaData(test::TestEvent::descriptor()));
  if (!event_schema.ok()) return event_schema.status();
  auto telemetry = writer.AddChannel("/telemetry", *sample_schema, "protobuf", 0);
  if (!telemetry.ok()) return telemetry.status();
  auto events = writer.AddChannel("/events", *event_schema, "protobuf", 0, {{"kind", "events"}});
  if (!events.ok()) return events.status();
  auto overview = writer.AddChannel("/overview", *sample_schema, "protobuf", 1);
  if (!overview.ok()) return overview.status();
  if (absl::Status s =
          writer.WriteMetadata("rollrig.run", {{"run_id", "test-run"}, {"spec", "{}"}});
      !s.ok()) {
    return s;
  }

  TestRecording recording;
  auto write = [&](uint16_t channel, const std::string& topic, uint32_t sequence, uint64_t t,
                   const std::string& data) -> absl::Status {
    // publish_time: a device clock a little behind the host's receive time.
    uint64_t publish = t - 250'000;
    if (absl::Status s =
            writer.WriteMessage(channel, sequence, t, publish,
                                reinterpret_cast<const uint8_t*>(data.data()), data.size());
        !s.ok()) {
      return s;
    }
    recording.messages.push_back({topic, sequence, t, publish, data});
    return absl::OkStatus();
  };
  test::TestSample sample;
  test::TestEvent event;
  std::string data;
  for (int i = 0; i < spec.samples; ++i) {
    const uint64_t t = kRunStartNs + static_cast<uint64_t>(i) * spec.sample_period_ns;
    sample.set_seq(static_cast<uint64_t>(i));
    sample.set_roller_rpm(40.0 + (i % 100) * 0.25);
    sample.set_torque_nm(0.5 + (i % 37) * 0.01);
    sample.set_force_n(20.0 + (i % 53) * 0.1);
    sample.set_head_deg((i % 360) * 1.0);
    sample.set_temp_c(31.5);
    sample.set_segment(i / 500);
    sample.mutable_stamp()->set_seconds(static_cast<int64_t>(t / 1'000'000'000));
    sample.mutable_stamp()->set_nanos(static_cast<int32_t>(t % 1'000'000'000));
    sample.SerializeToString(&data);
    if (absl::Status s = write(*telemetry, "/telemetry", static_cast<uint32_t>(i), t, data);
        !s.ok()) {
      return s;
    }
    if (spec.event_every > 0 && i % spec.event_every == 0) {
      event.set_text("segment " + std::to_string(i / spec.event_every));
      event.set_code(static_cast<uint32_t>(i));
      event.SerializeToString(&data);
      if (absl::Status s =
              write(*events, "/events", static_cast<uint32_t>(i / spec.event_every), t, data);
          !s.ok()) {
        return s;
      }
    }
    if (spec.overview_every > 0 && i % spec.overview_every == spec.overview_every - 1) {
      sample.SerializeToString(&data);
      if (absl::Status s = write(*overview, "/overview",
                                 static_cast<uint32_t>(i / spec.overview_every), t, data);
          !s.ok()) {
        return s;
      }
    }
  }
  if (spec.finish) {
    if (absl::Status s = writer.Finish(); !s.ok()) return s;
  } else {
    if (absl::Status s = writer.Flush(); !s.ok()) return s;
  }
  recording.bytes = writer.bytes_written();
  return recording;
}

absl::StatusOr<std::vector<WrittenMessage>> ReadAllMessages(FileSystem* fs, const std::string& path,
                                                            bool* has_summary) {
  auto file = fs->OpenForRead(path);
  if (!file.ok()) return file.status();
  auto reader = McapReader::Open(file->get());
  if (!reader.ok()) return reader.status();
  if (has_summary != nullptr) *has_summary = (*reader)->has_summary();
  std::vector<WrittenMessage> messages;
  const auto& channels = (*reader)->channels();
  absl::Status status = (*reader)->ReadMessages({}, [&](const McapMessage& m) {
    auto channel = channels.find(m.channel_id);
    messages.push_back({channel == channels.end() ? "?" : channel->second.topic, m.sequence,
                        m.log_time, m.publish_time, m.data});
    return true;
  });
  if (!status.ok()) return status;
  return messages;
}

std::vector<WrittenMessage> SortedByTopicAndTime(std::vector<WrittenMessage> messages) {
  std::stable_sort(messages.begin(), messages.end(), [](const auto& a, const auto& b) {
    return std::tie(a.topic, a.log_time, a.sequence) < std::tie(b.topic, b.log_time, b.sequence);
  });
  return messages;
}

}  // namespace rollrig::recording::testing
