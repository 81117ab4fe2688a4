#include "rig/base/channel_fields.h"

#include <string>

namespace rollrig {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

ChannelFields::ChannelFields(const google::protobuf::Descriptor* message, Naming naming)
    : reflection_(google::protobuf::MessageFactory::generated_factory()
                      ->GetPrototype(message)
                      ->GetReflection()) {
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
  if (f->has_presence() && !reflection_->HasField(m, f)) return std::nullopt;
  return reflection_->GetDouble(m, f);
}

void ChannelFields::Set(Message* m, size_t channel, double value) const {
  if (const FieldDescriptor* f = fields_[channel]) reflection_->SetDouble(m, f, value);
}

void ChannelFields::Clear(Message* m, size_t channel) const {
  if (const FieldDescriptor* f = fields_[channel]) reflection_->ClearField(m, f);
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
  return f == nullptr ? 0 : reflection_->FieldSize(m, f);
}

int32_t ChannelFields::ColumnValue(const Message& m, size_t channel, int index) const {
  return reflection_->GetRepeatedInt32(m, fields_[channel], index);
}

void ChannelFields::AddToColumn(Message* m, size_t channel, int32_t value) const {
  if (const FieldDescriptor* f = fields_[channel]) reflection_->AddInt32(m, f, value);
}

}  // namespace rollrig
