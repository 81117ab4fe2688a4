// The channel table against the protos: every channel has its field in the recorded
// record, the streamed row and the wire batch, and the record conversion keeps a missing
// channel absent (an older recording) instead of reading it as zero.
#include <gtest/gtest.h>

#include <string>

#include "host/recording/recording_layout.h"
#include "rig/base/channel_fields.h"
#include "rig/base/telemetry_channels.h"
#include "rollrig/v1/device.pb.h"
#include "rollrig/v1/recording.pb.h"
#include "rollrig/v1/rig_service.pb.h"

namespace rollrig {
namespace {

TEST(ChannelMapping, EveryChannelHasItsFieldInEveryMessage) {
  const ChannelFields& record = DisplayFieldsOf<v1::TelemetryRecord>();
  const ChannelFields& row = DisplayFieldsOf<v1::TelemetryRow>();
  const ChannelFields& wire = WireColumnsOf<v1::TelemetryBatch>();
  for (size_t c = 0; c < kTelemetryChannelCount; ++c) {
    SCOPED_TRACE(std::string(kTelemetryChannels[c].name));
    EXPECT_NE(record.field(c), nullptr);
    EXPECT_NE(row.field(c), nullptr);
    EXPECT_NE(wire.field(c), nullptr);
    EXPECT_GT(kTelemetryChannels[c].wire_scale, 0);
  }
}

TEST(ChannelMapping, NamesAreUniqueAndLimitSignalsBackOneChannel) {
  for (size_t a = 0; a < kTelemetryChannelCount; ++a) {
    for (size_t b = a + 1; b < kTelemetryChannelCount; ++b) {
      EXPECT_NE(kTelemetryChannels[a].name, kTelemetryChannels[b].name);
      EXPECT_NE(kTelemetryChannels[a].wire_field, kTelemetryChannels[b].wire_field);
      if (kTelemetryChannels[a].limit_signal != 0) {
        EXPECT_NE(kTelemetryChannels[a].limit_signal, kTelemetryChannels[b].limit_signal);
      }
    }
    const TelemetryChannel& c = kTelemetryChannels[a];
    EXPECT_EQ(c.limit_signal != 0, c.limit_use != LimitUse::kNone) << c.name;
    EXPECT_TRUE(c.limit_signal == 0 || v1::Signal_IsValid(c.limit_signal)) << c.name;
    EXPECT_LT(c.plot_group, static_cast<int>(kPlotGroups.size())) << c.name;
  }
}

TEST(ChannelMapping, SampleRecordRoundTripKeepsEveryChannel) {
  host::Sample s;
  s.seq = 42;
  s.time_us = 1234;
  for (size_t c = 0; c < kTelemetryChannelCount; ++c) {
    s.*kTelemetryChannels[c].member = 0.5f + static_cast<float>(c);
  }
  s.segment = 3;
  s.cycle = 2;
  v1::TelemetryRecord record;
  recorder::SampleToRecord(s, &record);
  EXPECT_DOUBLE_EQ(record.torque_nm(), s.torque_nm);  // the named fields stay
  host::Sample back;
  recorder::RecordToSample(record, &back);
  EXPECT_EQ(back.seq, 42u);
  EXPECT_EQ(back.segment, 3);
  EXPECT_EQ(back.cycle, 2u);
  EXPECT_EQ(back.absent_channels, 0u);
  for (size_t c = 0; c < kTelemetryChannelCount; ++c) {
    EXPECT_FLOAT_EQ(back.*kTelemetryChannels[c].member, s.*kTelemetryChannels[c].member)
        << kTelemetryChannels[c].name;
  }
}

TEST(ChannelMapping, AnAbsentChannelStaysAbsentThroughTheRecord) {
  // Channels with presence (added after the first recordings) are the ones that can be
  // absent; a sample lacking one records without it and reads back lacking it.
  for (size_t c = 0; c < kTelemetryChannelCount; ++c) {
    const google::protobuf::FieldDescriptor* f = DisplayFieldsOf<v1::TelemetryRecord>().field(c);
    if (f == nullptr || !f->has_presence()) continue;
    SCOPED_TRACE(std::string(kTelemetryChannels[c].name));
    host::Sample s;
    s.absent_channels = ChannelBit(c);
    v1::TelemetryRecord record;
    recorder::SampleToRecord(s, &record);
    EXPECT_FALSE(DisplayFieldsOf<v1::TelemetryRecord>().Get(record, c).has_value());
    host::Sample back;
    recorder::RecordToSample(record, &back);
    EXPECT_FALSE(ChannelPresent(back, c));
    EXPECT_FALSE(ChannelValue(back, c).has_value());
  }
}

}  // namespace
}  // namespace rollrig
