#include "host/recording/recording_layout.h"

#include <algorithm>
#include <limits>

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

void SetOverviewChunkSpans(recording::McapWriterOptions* options) {
  options->group_chunk_max_duration_ns[kOverviewChunkGroup] = kOverviewChunkSpanNs;
  options->group_chunk_max_duration_ns[kCoarseOverviewChunkGroup] = kCoarseOverviewChunkSpanNs;
}

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
  id = AddChannelFor(writer, rollrig::v1::OverviewRecord::descriptor(), kCoarseOverviewTopic,
                     kCoarseOverviewChunkGroup);
  if (!id.ok()) return id.status();
  c.coarse_overview = *id;
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

absl::Status WriteCoarseOverview(recording::McapWriter& writer, const RecordingChannels& channels,
                                 const OverviewEntry& entry, uint32_t sequence,
                                 std::string* scratch) {
  return WriteProto(writer, channels.coarse_overview, sequence, entry.log_time, entry.publish_time,
                    entry.record, scratch);
}

namespace {

constexpr size_t Channel(std::string_view name) { return *FindChannel(name); }

// The fields every recording had before the per-channel arrays, filled from them.
void SetLegacyFields(const OverviewWindow& w, rollrig::v1::OverviewRecord* r) {
  constexpr size_t kRpm = Channel("roller_rpm"), kTorque = Channel("torque_nm"),
                   kForce = Channel("force_n"), kHead = Channel("head_deg"),
                   kTemp = Channel("temp_c");
  r->set_roller_rpm_min(w.min[kRpm]);
  r->set_roller_rpm_max(w.max[kRpm]);
  r->set_torque_nm_min(w.min[kTorque]);
  r->set_torque_nm_max(w.max[kTorque]);
  r->set_force_n_min(w.min[kForce]);
  r->set_force_n_max(w.max[kForce]);
  r->set_head_deg_min(w.min[kHead]);
  r->set_head_deg_max(w.max[kHead]);
  r->set_temp_c_max(w.max[kTemp]);
}

}  // namespace

void OverviewWindow::Start(uint64_t window_index) {
  *this = OverviewWindow{};
  index = window_index;
}

void OverviewWindow::Add(const host::Sample& s) {
  if (samples == 0) {
    first_seq = s.seq;
    first_time_us = s.time_us;
  }
  ++samples;
  last_seq = s.seq;
  last_time_us = s.time_us;
  last_host_ns = s.host_time_ns;
  cycle = s.cycle;
  for (size_t c = 0; c < kTelemetryChannelCount; ++c) {
    if (!ChannelPresent(s, c)) continue;
    const float v = s.*kTelemetryChannels[c].member;
    min[c] = count[c] == 0 ? v : std::min(min[c], v);
    max[c] = count[c] == 0 ? v : std::max(max[c], v);
    sum[c] += v;
    ++count[c];
  }
}

void OverviewWindow::Merge(const OverviewWindow& later) {
  if (later.samples == 0) return;
  if (samples == 0) {
    const uint64_t keep = index;
    *this = later;
    index = keep;
    return;
  }
  samples += later.samples;
  last_seq = later.last_seq;
  last_time_us = later.last_time_us;
  last_host_ns = later.last_host_ns;
  cycle = later.cycle;
  for (size_t c = 0; c < kTelemetryChannelCount; ++c) {
    if (later.count[c] == 0) continue;
    min[c] = count[c] == 0 ? later.min[c] : std::min(min[c], later.min[c]);
    max[c] = count[c] == 0 ? later.max[c] : std::max(max[c], later.max[c]);
    sum[c] += later.sum[c];
    count[c] += later.count[c];
  }
}

void OverviewWindow::ToEntry(uint64_t window_us, int64_t clock_offset_ns,
                             OverviewEntry* out) const {
  rollrig::v1::OverviewRecord& r = out->record;
  r.Clear();
  r.set_first_seq(first_seq);
  r.set_last_seq(last_seq);
  r.set_samples(samples);
  r.set_t_start_s(static_cast<double>(index * window_us) / 1e6);
  r.set_t_end_s(static_cast<double>((index + 1) * window_us) / 1e6);
  r.set_cycle(cycle);
  r.set_first_time_us(first_time_us);
  r.set_last_time_us(last_time_us);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (size_t c = 0; c < kTelemetryChannelCount; ++c) {
    const bool have = count[c] > 0;
    r.add_channel_min(have ? min[c] : nan);
    r.add_channel_max(have ? max[c] : nan);
    r.add_channel_mean(have ? static_cast<float>(sum[c] / count[c]) : nan);
  }
  SetLegacyFields(*this, &r);
  out->log_time = last_host_ns > 0 ? static_cast<uint64_t>(last_host_ns) : 0;
  out->publish_time = PublishTimeNs(last_time_us, clock_offset_ns);
}

OverviewBuilder::OverviewBuilder(int64_t clock_offset_ns, uint64_t window_us,
                                 uint64_t coarse_window_us)
    : clock_offset_ns_(clock_offset_ns),
      window_us_(std::max<uint64_t>(1, window_us)),
      fine_per_coarse_(std::max<uint64_t>(1, coarse_window_us / window_us_)) {}

void OverviewBuilder::CloseFine(OverviewEntry* out) {
  fine_.ToEntry(window_us_, clock_offset_ns_, out);
  coarse_.Merge(fine_);
}

bool OverviewBuilder::Add(const host::Sample& s, OverviewEntry* out) {
  if (!have_first_) {
    have_first_ = true;
    first_time_us_ = s.time_us;
  }
  const uint64_t window =
      s.time_us > first_time_us_ ? (s.time_us - first_time_us_) / window_us_ : 0;
  bool emitted = false;
  if (window > fine_.index) {
    if (fine_.samples > 0) {
      CloseFine(out);
      emitted = true;
    }
    fine_.Start(window);
    const uint64_t coarse_window = window / fine_per_coarse_;
    if (coarse_window > coarse_.index) {
      if (coarse_.samples > 0) {
        coarse_.ToEntry(window_us_ * fine_per_coarse_, clock_offset_ns_, &coarse_entry_);
        coarse_ready_ = true;
      }
      coarse_.Start(coarse_window);
    }
  }
  fine_.Add(s);
  return emitted;
}

bool OverviewBuilder::Flush(OverviewEntry* out) {
  if (fine_.samples == 0) return false;
  CloseFine(out);
  fine_.Start(fine_.index);
  coarse_.ToEntry(window_us_ * fine_per_coarse_, clock_offset_ns_, &coarse_entry_);
  coarse_ready_ = true;
  coarse_.Start(coarse_.index);
  return true;
}

bool OverviewBuilder::TakeCoarse(OverviewEntry* out) {
  if (!coarse_ready_) return false;
  coarse_ready_ = false;
  *out = coarse_entry_;
  return true;
}

}  // namespace rollrig::recorder
