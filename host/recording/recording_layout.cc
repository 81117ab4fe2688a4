#include "host/recording/recording_layout.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "rig/base/channel_fields.h"

namespace rollrig::recorder {
namespace {

constexpr char kProtobuf[] = "protobuf";

absl::StatusOr<uint16_t> AddChannelFor(recording::McapWriter& writer,
                                       const google::protobuf::Descriptor* descriptor,
                                       const std::string& topic, int group) {
  absl::StatusOr<uint16_t> schema = writer.AddSchema(descriptor->full_name(), kProtobuf,
                                                     recording::ProtobufSchemaData(descriptor));
  if (!schema.ok()) return schema.status();
  return writer.AddChannel(topic, *schema, kProtobuf, group);
}

absl::Status WriteProto(recording::McapWriter& writer, uint16_t channel, uint32_t sequence,
                        uint64_t log_time, uint64_t publish_time,
                        const google::protobuf::MessageLite& message, std::string* scratch) {
  scratch->clear();
  if (!message.AppendToString(scratch)) {
    return absl::InternalError(absl::StrCat("cannot serialize a ", message.GetTypeName()));
  }
  return writer.WriteMessage(channel, sequence, log_time, publish_time,
                             reinterpret_cast<const uint8_t*>(scratch->data()), scratch->size());
}

}  // namespace

absl::StatusOr<RecordingChannels> AddRunChannels(recording::McapWriter& writer) {
  RecordingChannels c;
  absl::StatusOr<uint16_t> id =
      AddChannelFor(writer, rollrig::v1::TelemetryRecord::descriptor(), kTelemetryTopic, 0);
  if (!id.ok()) return id.status();
  c.telemetry = *id;
  id = AddChannelFor(writer, rollrig::v1::RigEvent::descriptor(), kEventsTopic, 0);
  if (!id.ok()) return id.status();
  c.events = *id;
  id = AddChannelFor(writer, rollrig::v1::CycleStats::descriptor(), kCyclesTopic, 0);
  if (!id.ok()) return id.status();
  c.cycles = *id;
  id = AddChannelFor(writer, rollrig::v1::OverviewRecord::descriptor(), kOverviewTopic,
                     kOverviewChunkGroup);
  if (!id.ok()) return id.status();
  c.overview = *id;
  return c;
}

void SampleToRecord(const host::Sample& s, rollrig::v1::TelemetryRecord* r) {
  r->set_seq(s.seq);
  r->set_device_time_us(s.time_us);
  DisplayFieldsOf<rollrig::v1::TelemetryRecord>().Write(s, r);
  r->set_segment(s.segment);
  r->set_cycle(s.cycle);
}

void RecordToDeviceSample(const rollrig::v1::TelemetryRecord& r, TelemetrySample* s) {
  s->seq = r.seq();
  s->time_us = r.device_time_us();
  DisplayFieldsOf<rollrig::v1::TelemetryRecord>().Read(r, s);
  s->segment = r.segment();
  s->cycle = r.cycle();
}

void RecordToSample(const rollrig::v1::TelemetryRecord& r, host::Sample* s) {
  *s = host::Sample{};
  RecordToDeviceSample(r, s);
}

absl::Status WriteSample(recording::McapWriter& writer, const RecordingChannels& channels,
                         const host::Sample& sample, int64_t clock_offset_ns,
                         rollrig::v1::TelemetryRecord* record, std::string* scratch) {
  SampleToRecord(sample, record);
  return WriteProto(writer, channels.telemetry, SequenceOf(sample.seq), LogTimeNs(sample),
                    PublishTimeNs(sample.time_us, clock_offset_ns), *record, scratch);
}

absl::Status WriteEvent(recording::McapWriter& writer, const RecordingChannels& channels,
                        const rollrig::v1::RigEvent& event, uint32_t sequence,
                        std::string* scratch) {
  const uint64_t t = event.host_time_ns() > 0 ? static_cast<uint64_t>(event.host_time_ns()) : 0;
  return WriteProto(writer, channels.events, sequence, t, t, event, scratch);
}

absl::Status WriteCycle(recording::McapWriter& writer, const RecordingChannels& channels,
                        const rollrig::v1::CycleStats& cycle, uint64_t log_time_ns,
                        std::string* scratch) {
  return WriteProto(writer, channels.cycles, cycle.cycle(), log_time_ns, log_time_ns, cycle,
                    scratch);
}

absl::Status WriteOverview(recording::McapWriter& writer, const RecordingChannels& channels,
                           const OverviewEntry& entry, uint32_t sequence, std::string* scratch) {
  return WriteProto(writer, channels.overview, sequence, entry.log_time, entry.publish_time,
                    entry.record, scratch);
}

OverviewBuilder::OverviewBuilder(int64_t clock_offset_ns, uint64_t window_us)
    : clock_offset_ns_(clock_offset_ns), window_us_(std::max<uint64_t>(1, window_us)) {}

void OverviewBuilder::StartWindow(const host::Sample& s, uint64_t window) {
  window_ = window;
  current_.Clear();
  current_.set_first_seq(s.seq);
  current_.set_t_start_s(static_cast<double>(window * window_us_) / 1e6);
  current_.set_roller_rpm_min(s.roller_rpm);
  current_.set_roller_rpm_max(s.roller_rpm);
  current_.set_torque_nm_min(s.torque_nm);
  current_.set_torque_nm_max(s.torque_nm);
  current_.set_force_n_min(s.force_n);
  current_.set_force_n_max(s.force_n);
  current_.set_head_deg_min(s.head_deg);
  current_.set_head_deg_max(s.head_deg);
  current_.set_temp_c_max(s.temp_c);
}

void OverviewBuilder::Emit(OverviewEntry* out) {
  current_.set_t_end_s(static_cast<double>((window_ + 1) * window_us_) / 1e6);
  out->record = current_;
  out->log_time = last_host_ns_ > 0 ? static_cast<uint64_t>(last_host_ns_) : 0;
  out->publish_time = PublishTimeNs(last_time_us_, clock_offset_ns_);
  current_.Clear();
}

bool OverviewBuilder::Add(const host::Sample& s, OverviewEntry* out) {
  if (!have_first_) {
    have_first_ = true;
    first_time_us_ = s.time_us;
    StartWindow(s, 0);
  }
  const uint64_t window =
      s.time_us > first_time_us_ ? (s.time_us - first_time_us_) / window_us_ : 0;
  bool emitted = false;
  if (window > window_ && current_.samples() > 0) {
    Emit(out);
    emitted = true;
  }
  if (current_.samples() == 0) StartWindow(s, std::max(window, window_));
  current_.set_last_seq(s.seq);
  current_.set_samples(current_.samples() + 1);
  current_.set_roller_rpm_min(std::min<double>(current_.roller_rpm_min(), s.roller_rpm));
  current_.set_roller_rpm_max(std::max<double>(current_.roller_rpm_max(), s.roller_rpm));
  current_.set_torque_nm_min(std::min<double>(current_.torque_nm_min(), s.torque_nm));
  current_.set_torque_nm_max(std::max<double>(current_.torque_nm_max(), s.torque_nm));
  current_.set_force_n_min(std::min<double>(current_.force_n_min(), s.force_n));
  current_.set_force_n_max(std::max<double>(current_.force_n_max(), s.force_n));
  current_.set_head_deg_min(std::min<double>(current_.head_deg_min(), s.head_deg));
  current_.set_head_deg_max(std::max<double>(current_.head_deg_max(), s.head_deg));
  current_.set_temp_c_max(std::max<double>(current_.temp_c_max(), s.temp_c));
  current_.set_cycle(s.cycle);
  last_time_us_ = s.time_us;
  last_host_ns_ = s.host_time_ns;
  return emitted;
}

bool OverviewBuilder::Flush(OverviewEntry* out) {
  if (current_.samples() == 0) return false;
  Emit(out);
  return true;
}

}  // namespace rollrig::recorder
