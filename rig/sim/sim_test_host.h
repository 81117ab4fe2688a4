// The host side of the device protocol, just enough for tests: frames HostMessages and
// decodes everything a device sends back. Not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "rig/codec/frame_codec.h"
#include "rig/firmware/firmware.h"
#include "rig/protocol/telemetry_columns.h"
#include "rollrig/v1/device.pb.h"

namespace rollrig::sim {

class TestHost {
 public:
  // Frames `m` (with the next sequence number) onto the end of `out`.
  void Encode(const rollrig::v1::HostMessage& m, std::vector<uint8_t>* out) {
    const std::string payload = m.SerializeAsString();
    codec::AppendFrame(tx_seq_++, reinterpret_cast<const uint8_t*>(payload.data()), payload.size(),
                       out);
  }

  // Decodes device-to-host bytes, sorting the messages into the lists below.
  void Decode(const std::vector<uint8_t>& bytes) {
    size_t pos = 0;
    codec::Frame frame;
    while (pos < bytes.size()) {
      pos += decoder_.Feed(bytes.data() + pos, bytes.size() - pos);
      while (decoder_.Next(&frame)) {
        rollrig::v1::DeviceMessage m;
        if (!m.ParseFromArray(frame.payload, static_cast<int>(frame.size))) {
          ++unparsable;
          continue;
        }
        switch (m.body_case()) {
          case rollrig::v1::DeviceMessage::kDeviceInfo:
            infos.push_back(m.device_info());
            break;
          case rollrig::v1::DeviceMessage::kAck:
            acks.push_back(m.ack());
            break;
          case rollrig::v1::DeviceMessage::kTelemetry:
            batches.push_back(m.telemetry());
            if (!protocol::UnpackTelemetryBatch(m.telemetry(), &samples).ok()) ++unparsable;
            break;
          case rollrig::v1::DeviceMessage::kEvent:
            events.push_back(m.event());
            break;
          case rollrig::v1::DeviceMessage::BODY_NOT_SET:
            ++unparsable;
            break;
        }
      }
    }
  }

  const rollrig::v1::CommandAck* FindAck(uint32_t command_id) const {
    for (const auto& ack : acks) {
      if (ack.command_id() == command_id) return &ack;
    }
    return nullptr;
  }

  bool HasEvent(rollrig::v1::DeviceEventKind kind,
                rollrig::v1::Fault fault = rollrig::v1::FAULT_NONE) const {
    for (const auto& e : events) {
      if (e.kind() == kind && (fault == rollrig::v1::FAULT_NONE || e.fault() == fault)) {
        return true;
      }
    }
    return false;
  }

  const codec::DecoderStats& decoder_stats() const { return decoder_.stats(); }

  std::vector<rollrig::v1::DeviceInfo> infos;
  std::vector<rollrig::v1::CommandAck> acks;
  std::vector<rollrig::v1::TelemetryBatch> batches;
  std::vector<firmware::TelemetrySample> samples;
  std::vector<rollrig::v1::DeviceEvent> events;
  int unparsable = 0;

 private:
  uint32_t tx_seq_ = 0;
  codec::FrameDecoder decoder_;
};

inline rollrig::v1::HostMessage Hello(uint32_t id, uint32_t version = 1) {
  rollrig::v1::HostMessage m;
  m.set_command_id(id);
  m.mutable_hello()->set_protocol_version(version);
  m.mutable_hello()->set_host_name("test");
  return m;
}

inline rollrig::v1::HostMessage Heartbeat() {
  rollrig::v1::HostMessage m;
  m.mutable_heartbeat()->set_host_time_ns(1);
  return m;
}

inline rollrig::v1::HostMessage RollerSpeed(uint32_t id, double rpm) {
  rollrig::v1::HostMessage m;
  m.set_command_id(id);
  m.mutable_set_roller_speed()->set_rpm(rpm);
  return m;
}

inline rollrig::v1::HostMessage Inject(uint32_t id, rollrig::v1::InjectedFault fault, bool active) {
  rollrig::v1::HostMessage m;
  m.set_command_id(id);
  m.mutable_inject_fault()->set_fault(fault);
  m.mutable_inject_fault()->set_active(active);
  return m;
}

}  // namespace rollrig::sim
