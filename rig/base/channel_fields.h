// The telemetry channel table (telemetry_channels.h) mapped onto one protobuf message
// type: for each channel, the field that carries it, found by name through the message's
// descriptor once (at construction). The protos keep their named fields (users plot
// /telemetry.torque_nm in their own tools); this is how our code reaches them without
// writing each one out.
//
// Cost: construction looks the fields up by name (once per message type: use
// DisplayFieldsOf<M>() / WireColumnsOf<M>()). Reading and writing then go through protobuf
// reflection with the resolved field: a few indirections per value, no allocation (a repeated
// column grows geometrically, as its generated add_ does).
//
// Presence: a field with explicit presence (proto3 `optional`) that is not set, or a
// repeated column with no values, reads as absent. Channels added after the first
// recordings are optional fields, so older files read as absent, never as zero.
//
// Thread safety: immutable after construction; any number of threads may use one.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "rig/base/telemetry_channels.h"

namespace rollrig {

class ChannelFields {
 public:
  enum class Naming : uint8_t {
    kDisplay,  // fields named like the channel, double, display units (records, rows)
    kWire,     // repeated sint32 columns named by wire_field (TelemetryBatch)
  };

  ChannelFields(const google::protobuf::Descriptor* message, Naming naming);

  // Every method below takes a message of the type given at construction (the
  // *FieldsOf<M>() helpers make that hold by type).

  // The field of `channel`; nullptr if the message lacks it (a test keeps ours complete).
  const google::protobuf::FieldDescriptor* field(size_t channel) const { return fields_[channel]; }

  // Display messages.
  std::optional<double> Get(const google::protobuf::Message& m, size_t channel) const;
  void Set(google::protobuf::Message* m, size_t channel, double value) const;
  void Clear(google::protobuf::Message* m, size_t channel) const;
  // All channels of `s` into `m` (absent ones cleared), and back (absent ones flagged).
  void Write(const TelemetrySample& s, google::protobuf::Message* m) const;
  void Read(const google::protobuf::Message& m, TelemetrySample* s) const;

  // Wire columns.
  int ColumnSize(const google::protobuf::Message& m, size_t channel) const;
  int32_t ColumnValue(const google::protobuf::Message& m, size_t channel, int index) const;
  void AddToColumn(google::protobuf::Message* m, size_t channel, int32_t value) const;

 private:
  // The message type's reflection, looked up once: Message::GetReflection() runs the
  // descriptor-assignment once-check on every call, a third of a per-value access.
  const google::protobuf::Reflection* reflection_;
  std::array<const google::protobuf::FieldDescriptor*, kTelemetryChannelCount> fields_{};
};

// The channel fields of message type M (a generated message), resolved on first use.
template <typename M>
const ChannelFields& DisplayFieldsOf() {
  static const ChannelFields fields(M::descriptor(), ChannelFields::Naming::kDisplay);
  return fields;
}
template <typename M>
const ChannelFields& WireColumnsOf() {
  static const ChannelFields fields(M::descriptor(), ChannelFields::Naming::kWire);
  return fields;
}

}  // namespace rollrig
