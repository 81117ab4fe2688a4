#include "rig/base/channel_fields.h"

#include <string>

namespace rollrig {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

ChannelFields::ChannelFields(const google::protobuf::Descriptor* message, Naming naming) {
  for (size_t i = 0; i < kTelemetryChannelCount; ++i) {
    const TelemetryChannel& c = kTelemetryChannels[i];
    const std::string_view name = naming == Naming::kWire ? c.wire_field : c.name;
    const FieldDescriptor* f = message->FindFieldByName(std::string(name));
    const bool fits =
        f != nullptr &&
        (naming == Naming::kWire ? f->is_repeated() && f->type() == FieldDescriptor::TYPE_SINT32
                                 : !f->is_repeated() && f->type() == FieldDescriptor::TYPE_DOUBLE);
    fields_[i] = fits ? f : nullptr;
  }
}

std::optional<double> ChannelFields::Get(const Message& m, size_t channel) const {
  const FieldDescriptor* f = fields_[channel];
  if (f == nullptr) return std::nullopt;
  const google::protobuf::Reflection* r = m.GetReflection();
  if (f->has_presence() && !r->HasField(m, f)) return std::nullopt;
  return r->GetDouble(m, f);
}

void ChannelFields::Set(Message* m, size_t channel, double value) const {
  if (const FieldDescriptor* f = fields_[channel]) m->GetReflection()->SetDouble(m, f, value);
}

void ChannelFields::Clear(Message* m, size_t channel) const {
  if (const FieldDescriptor* f = fields_[channel]) m->GetReflection()->ClearField(m, f);
}

void ChannelFields::Write(const TelemetrySample& s, Message* m) const {
  for (size_t i = 0; i < kTelemetryChannelCount; ++i) {
    if (ChannelPresent(s, i)) {
      Set(m, i, s.*kTelemetryChannels[i].member);
    } else {
      Clear(m, i);
    }
  }
}

void ChannelFields::Read(const Message& m, TelemetrySample* s) const {
  for (size_t i = 0; i < kTelemetryChannelCount; ++i) {
    const std::optional<double> v = Get(m, i);
    s->*kTelemetryChannels[i].member = v ? static_cast<float>(*v) : 0.0f;
    if (v) {
      s->absent_channels &= ~ChannelBit(i);
    } else {
      s->absent_channels |= ChannelBit(i);
    }
  }
}

int ChannelFields::ColumnSize(const Message& m, size_t channel) const {
  const FieldDescriptor* f = fields_[channel];
  return f == nullptr ? 0 : m.GetReflection()->FieldSize(m, f);
}

int32_t ChannelFields::ColumnValue(const Message& m, size_t channel, int index) const {
  return m.GetReflection()->GetRepeatedInt32(m, fields_[channel], index);
}

void ChannelFields::AddToColumn(Message* m, size_t channel, int32_t value) const {
  if (const FieldDescriptor* f = fields_[channel]) m->GetReflection()->AddInt32(m, f, value);
}

}  // namespace rollrig
