#include "rig/sim/simulated_device.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "rig/sim/device_messages.h"
#include "rig/sim/independent_watchdog.h"
#include "rig/sim/program_messages.h"
#include "rig/sim/wire_enums.h"

namespace rollrig::sim {
namespace {

namespace v1 = rollrig::v1;
using firmware::CommandResult;

// Worst case of one sample on the wire: twelve sint32 columns at 5 bytes and the sint64
// time delta at 10. A batch is capped so that even the worst case fits one frame.
constexpr size_t kWorstCaseSampleBytes = 12 * 5 + 10;
constexpr size_t kBatchOverheadBytes = 128;  // column tags and lengths, status fields
constexpr size_t kMaxSamplesPerFrame =
    (codec::kMaxPayload - kBatchOverheadBytes) / kWorstCaseSampleBytes;

// The idle-gap rule for host-to-device input (frame_codec.h): a partial frame pending this
// long in device time with no frame completing is given up on. Every HostMessage is under
// a hundred bytes, two 64-byte full-speed packets that arrive within a millisecond or two
// of each other, and even a maximum frame takes only about 16 ms at full speed's ~1 MB/s,
// so a real frame is never still arriving after 20 ms. A length corrupted upwards, on the
// other hand, would hold every later command until kMaxPayload more bytes came in: at a
// ~20-byte heartbeat every 100 ms, about a minute, far past the watchdog (500 ms by
// default). After 20 ms the commands behind it run at most a few tens of ms late and the
// heartbeat that follows feeds the watchdog in time. Bytes that complete no frame do not
// restart the timer, so a host that sends continuously cannot postpone the recovery.
constexpr uint64_t kStalledFrameUs = 20'000;

// splitmix64: spreads (seed, boot count) into a boot id that differs at every boot.
uint64_t MixBits(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

std::string Number(double v) { return absl::StrFormat("%g", v); }

// The hardware watchdog's timeout, at least two control ticks (a kick every tick).
uint32_t HardwareWatchdogUs(const SimOptions& options) {
  const uint32_t tick_hz = std::max<uint32_t>(options.firmware.tick_hz, 1);
  const uint64_t two_ticks_us = 2 * ((1'000'000 + tick_hz - 1) / tick_hz);
  return static_cast<uint32_t>(std::clamp<uint64_t>(uint64_t{1000} * options.hardware_watchdog_ms,
                                                    two_ticks_us, UINT32_MAX));
}

}  // namespace

struct SimulatedDevice::Impl {
  explicit Impl(const SimOptions& opts)
      : options(opts), plant(opts.plant, opts.seed), hardware_watchdog(HardwareWatchdogUs(opts)) {
    max_batch_samples =
        std::clamp<size_t>(options.batch_max_samples, size_t{1}, kMaxSamplesPerFrame);
    Boot(v1::BOOT_REASON_POWER_ON);
  }

  // Power-on or reset: everything of the microcontroller starts again, the bridge off
  // (the power stage's default); the physical world (plant, injected faults) carries on.
  void Boot(v1::BootReason reason) {
    boot_reason = reason;
    hardware_watchdog.Kick();
    fw = std::make_unique<firmware::Firmware>(options.firmware);
    watchdog_ms = options.firmware.watchdog_ms;
    telemetry_divisor = std::max<uint32_t>(options.firmware.telemetry_divisor, 1);
    outputs = firmware::ActuatorOutputs{};
    decoder.Reset();
    input_progress_us = 0;
    input_progress_frames = decoder.stats().frames;
    inbox.clear();
    packer.Clear();
    output.clear();
    output_head = 0;
    tx_seq = 0;
    hung = false;
    boot_id = MixBits(options.seed ^ MixBits(boot_count++));
    RefreshInfo();
  }

  void RefreshInfo() {
    info.Clear();
    info.set_vendor(kVendor);
    info.set_model(kModel);
    info.set_serial(options.serial);
    info.set_firmware_version(kFirmwareVersion);
    info.set_protocol_version(v1::PROTOCOL_VERSION_CURRENT);
    info.set_simulated(true);
    *info.mutable_capabilities() =
        MakeCapabilities(options.firmware, options.plant, watchdog_ms, telemetry_divisor);
    info.set_boot_id(boot_id);
    info.set_boot_reason(boot_reason);
  }

  void Tick() {
    const uint32_t period_us = fw->tick_period_us();
    // A hung microcontroller still has its last PWM and servo commands latched in the
    // peripherals: the physics goes on with them until the hardware watchdog resets it.
    plant.Advance(outputs, period_us * 1e-6);
    if (hardware_watchdog.Elapse(period_us)) {
      ++watchdog_resets;
      Boot(v1::BOOT_REASON_WATCHDOG_RESET);
      return;
    }
    if (hung) return;
    const firmware::SensorInputs sensors = plant.ReadSensors();
    ProcessInput();
    if (hung) return;  // the input just hung it
    outputs = fw->Tick(sensors);
    hardware_watchdog.Kick();  // the main loop came round
    SendEvents();
    PumpTelemetry();
  }

  void ProcessInput() {
    size_t pos = 0;
    codec::Frame frame;
    while (pos < inbox.size() && !hung) {
      const size_t taken = decoder.Feed(inbox.data() + pos, inbox.size() - pos);
      pos += taken;
      bool delivered = false;
      while (!hung && decoder.Next(&frame)) {
        delivered = true;
        HandleFrame(frame);
      }
      if (taken == 0 && !delivered) break;  // cannot happen with a sane decoder; never spin
    }
    inbox.clear();
    if (!hung) AbandonStalledInput();
  }

  // The idle-gap rule (kStalledFrameUs): the timer runs while a partial frame is buffered
  // and no frame completes.
  void AbandonStalledInput() {
    const uint64_t now = fw->time_us();
    if (decoder.buffered_bytes() == 0 || decoder.stats().frames != input_progress_frames) {
      input_progress_us = now;
      input_progress_frames = decoder.stats().frames;
      return;
    }
    if (now - input_progress_us < kStalledFrameUs) return;
    decoder.AbandonPartialFrame();
    codec::Frame frame;
    while (!hung && decoder.Next(&frame)) HandleFrame(frame);
    // A partial frame still buffered (another one further on) gets a full period of its own.
    input_progress_us = now;
    input_progress_frames = decoder.stats().frames;
  }

  void HandleFrame(const codec::Frame& frame) {
    ++stats.frames_received;
    if (!request.ParseFromArray(frame.payload, static_cast<int>(frame.size))) {
      ++stats.messages_rejected;
      return;
    }
    fw->FeedWatchdog();
    std::string detail;
    const CommandResult result = Execute(request, &detail);
    if (request.command_id() != 0) {
      v1::DeviceMessage& reply = NewReply();
      v1::CommandAck* ack = reply.mutable_ack();
      ack->set_command_id(request.command_id());
      ack->set_result(ToWire(result));
      ack->set_detail(detail);
      Send(reply);
    }
  }

  CommandResult Execute(const v1::HostMessage& m, std::string* detail) {
    const firmware::FirmwareConfig& cfg = options.firmware;
    CommandResult r = CommandResult::kOk;
    switch (m.body_case()) {
      case v1::HostMessage::kHello: {
        const uint32_t version = m.hello().protocol_version();
        if (version != v1::PROTOCOL_VERSION_CURRENT) {
          *detail = absl::StrCat("host speaks protocol version ", version,
                                 ", this device speaks version ",
                                 static_cast<int>(v1::PROTOCOL_VERSION_CURRENT));
          return CommandResult::kBadRequest;
        }
        if (m.hello().watchdog_ms() != 0) {
          watchdog_ms = m.hello().watchdog_ms();
          fw->SetWatchdogMs(watchdog_ms);
          RefreshInfo();
        }
        v1::DeviceMessage& reply = NewReply();
        *reply.mutable_device_info() = info;
        Send(reply);
        return CommandResult::kOk;
      }
      case v1::HostMessage::kHeartbeat:
        return CommandResult::kOk;
      case v1::HostMessage::kSetRollerSpeed: {
        const double rpm = m.set_roller_speed().rpm();
        r = fw->SetRollerSpeed(static_cast<float>(rpm));
        *detail = RefusalDetail(
            r, fw->status(), absl::StrCat("roller ", Number(rpm), " rpm"),
            absl::StrCat(Number(-cfg.roller_max_rpm), "..", Number(cfg.roller_max_rpm), " rpm"));
        return r;
      }
      case v1::HostMessage::kSetHeadAngle: {
        const double deg = m.set_head_angle().deg();
        const double rate = m.set_head_angle().max_rate_dps();
        r = fw->SetHeadAngle(static_cast<float>(deg), static_cast<float>(rate));
        const bool angle_in_range = deg >= cfg.head_min_deg && deg <= cfg.head_max_deg;
        *detail =
            angle_in_range
                ? RefusalDetail(r, fw->status(), absl::StrCat("head rate ", Number(rate), " deg/s"),
                                absl::StrCat("0..", Number(cfg.head_max_rate_dps),
                                             " deg/s (0 = the maximum)"))
                : RefusalDetail(r, fw->status(), absl::StrCat("head ", Number(deg), " deg"),
                                absl::StrCat(Number(cfg.head_min_deg), "..",
                                             Number(cfg.head_max_deg), " deg"));
        return r;
      }
      case v1::HostMessage::kSetPreload: {
        const double n = m.set_preload().newtons();
        r = fw->SetPreload(static_cast<float>(n));
        *detail = RefusalDetail(r, fw->status(), absl::StrCat("preload ", Number(n), " N"),
                                absl::StrCat("0..", Number(cfg.preload_max_n), " N"));
        return r;
      }
      case v1::HostMessage::kStop:
        r = fw->Stop();
        *detail = RefusalDetail(r, fw->status(), "stop", "");
        return r;
      case v1::HostMessage::kEstop:
        fw->EStop();
        return CommandResult::kOk;
      case v1::HostMessage::kClearFaults:
        r = fw->ClearFaults();
        *detail = RefusalDetail(r, fw->status(), "clear faults", "");
        return r;
      case v1::HostMessage::kTare:
        r = fw->Tare();
        *detail = RefusalDetail(r, fw->status(), "tare", "");
        return r;
      case v1::HostMessage::kSetTelemetryDivisor: {
        const uint32_t divisor = m.set_telemetry_divisor().divisor();
        r = fw->SetTelemetryDivisor(divisor);
        if (r == CommandResult::kOk) {
          telemetry_divisor = divisor;
          RefreshInfo();
        }
        *detail = RefusalDetail(r, fw->status(), absl::StrCat("telemetry divisor ", divisor),
                                "the allowed divisors");
        return r;
      }
      case v1::HostMessage::kInjectFault: {
        const v1::InjectedFault fault = m.inject_fault().fault();
        if (fault == v1::INJECTED_FAULT_UNSPECIFIED || !v1::InjectedFault_IsValid(fault)) {
          *detail = absl::StrCat("inject fault: unknown fault ", static_cast<int>(fault));
          return CommandResult::kBadRequest;
        }
        InjectFault(fault, m.inject_fault().active());
        return CommandResult::kOk;
      }
      case v1::HostMessage::kLoadProgram:
        return LoadProgram(m.load_program(), detail);
      case v1::HostMessage::kStartProgram: {
        const v1::StartProgram& start = m.start_program();
        r = fw->StartProgram(start.program_id(), start.cycles(), start.first_cycle());
        *detail = StartRefusalDetail(start, r, fw->status(), fw->program());
        return r;
      }
      case v1::HostMessage::kPauseProgram:
        r = fw->PauseProgram();
        *detail = PauseResumeRefusalDetail("pause", r, fw->status());
        return r;
      case v1::HostMessage::kResumeProgram:
        r = fw->ResumeProgram();
        *detail = PauseResumeRefusalDetail("resume", r, fw->status());
        return r;
      case v1::HostMessage::kStopProgram:
        r = fw->StopProgram(m.stop_program().at_cycle_end());
        *detail = RefusalDetail(r, fw->status(), "stop program", "");
        return r;
      case v1::HostMessage::BODY_NOT_SET:
        break;
    }
    *detail = "empty or unknown command";
    return CommandResult::kBadRequest;
  }

  CommandResult LoadProgram(const v1::LoadProgram& m, std::string* detail) {
    if (static_cast<size_t>(m.segments_size()) > firmware::kMaxProgramSegments) {
      *detail = absl::StrCat("load program ", m.program_id(), ": a part of ", m.segments_size(),
                             " segments is more than this device holds (",
                             firmware::kMaxProgramSegments, ")");
      return CommandResult::kOutOfRange;
    }
    if (std::string bad_index = CheckPartIndexes(m); !bad_index.empty()) {
      *detail = std::move(bad_index);
      return CommandResult::kBadRequest;
    }
    segment_scratch.clear();
    for (const v1::ProgramSegment& s : m.segments()) segment_scratch.push_back(ToSegmentDef(s));
    firmware::ProgramRefusal refusal;
    const CommandResult r =
        fw->LoadProgram(m.program_id(), m.total_segments(), m.first_index(), segment_scratch.data(),
                        segment_scratch.size(), &refusal);
    if (r != CommandResult::kOk) *detail = LoadRefusalDetail(m, refusal, fw->status());
    return r;
  }

  void InjectFault(v1::InjectedFault fault, bool active) {
    plant::PlantFaults& f = plant.faults();
    switch (fault) {
      case v1::INJECTED_FAULT_STALL:
        f.roller_jammed = active;
        break;
      case v1::INJECTED_FAULT_OVER_TEMPERATURE:
        f.overheating = active;
        break;
      case v1::INJECTED_FAULT_ENCODER_LOSS:
        f.encoder_dead = active;
        break;
      case v1::INJECTED_FAULT_LOAD_CELL_SATURATION:
        f.load_cell_saturated = active;
        break;
      case v1::INJECTED_FAULT_ESTOP_BUTTON:
        f.estop_button = active;
        break;
      case v1::INJECTED_FAULT_DOOR_OPEN:
        f.door_open = active;
        break;
      case v1::INJECTED_FAULT_FIRMWARE_HANG:
        hung = active;
        break;
      default:
        break;
    }
  }

  // Every firmware event goes out at the tick it happened (a new firmware announces its
  // boot this way).
  void SendEvents() {
    firmware::FirmwareEvent event;
    while (fw->PopEvent(&event)) SendEvent(event);
  }

  void SendEvent(const firmware::FirmwareEvent& event) {
    v1::DeviceMessage& reply = NewReply();
    v1::DeviceEvent* out = reply.mutable_event();
    *out = ToDeviceEvent(event);
    if (event.kind == firmware::EventKind::kBooted) {
      // The reset-cause register, read at boot.
      out->set_boot_id(boot_id);
      out->set_boot_reason(boot_reason);
      out->set_detail(BootDetail(boot_reason));
    }
    Send(reply);
  }

  // Moves telemetry from the firmware's ring into batches while the output has room, so
  // a host that stops reading makes the ring fill and then drop (the firmware counts it).
  void PumpTelemetry() {
    firmware::TelemetrySample sample;
    while (PendingOutput() < options.max_output_bytes && fw->TelemetryAvailable() > 0) {
      if (!fw->PopTelemetry(&sample)) break;
      const bool batch_aged =
          packer.size() > 0 && sample.time_us - batch_first_time_us >= options.batch_period_us;
      if (batch_aged) SendBatch();
      if (!packer.Add(sample)) {  // a gap: the batch ends at the last sample before it
        SendBatch();
        packer.Add(sample);
      }
      if (packer.size() == 1) batch_first_time_us = sample.time_us;
      if (packer.size() >= max_batch_samples) SendBatch();
    }
    // A partial batch still goes out on time when no newer sample arrives to push it.
    if (packer.size() > 0 && fw->time_us() - batch_first_time_us >= options.batch_period_us) {
      SendBatch();
    }
  }

  void SendBatch() {
    if (packer.size() == 0) return;
    v1::DeviceMessage& reply = NewReply();
    packer.Finish(fw->status(), fw->tick_period_us() * telemetry_divisor,
                  reply.mutable_telemetry());
    ++stats.batches_sent;
    Send(reply);
  }

  v1::DeviceMessage& NewReply() {
    reply_scratch.Clear();
    return reply_scratch;
  }

  void Send(const v1::DeviceMessage& message) {
    payload_scratch.clear();
    message.SerializeToString(&payload_scratch);
    const bool framed =
        codec::AppendFrame(tx_seq, reinterpret_cast<const uint8_t*>(payload_scratch.data()),
                           payload_scratch.size(), &output);
    // Batches are capped to fit; nothing else comes close to kMaxPayload.
    if (framed) {
      ++tx_seq;
      ++stats.frames_sent;
    }
  }

  size_t PendingOutput() const { return output.size() - output_head; }

  size_t TakeOutput(std::vector<uint8_t>* out, size_t max) {
    if (hung) return 0;
    const size_t n = std::min(max, PendingOutput());
    const auto first = output.begin() + static_cast<std::ptrdiff_t>(output_head);
    out->insert(out->end(), first, first + static_cast<std::ptrdiff_t>(n));
    output_head += n;
    if (output_head == output.size()) {
      output.clear();
      output_head = 0;
    } else if (output_head > output.size() / 2) {
      output.erase(output.begin(), output.begin() + static_cast<std::ptrdiff_t>(output_head));
      output_head = 0;
    }
    return n;
  }

  SimOptions options;
  plant::Plant plant;
  std::unique_ptr<firmware::Firmware> fw;
  firmware::ActuatorOutputs outputs;
  codec::FrameDecoder decoder;
  std::vector<uint8_t> inbox;  // received since the last tick
  // The idle-gap timer: device time when the decoder last held nothing or completed a
  // frame, and its frame count then.
  uint64_t input_progress_us = 0;
  uint64_t input_progress_frames = 0;
  protocol::TelemetryBatchPacker packer;
  uint64_t batch_first_time_us = 0;
  size_t max_batch_samples = 1;
  std::vector<uint8_t> output;  // framed device-to-host bytes from output_head on
  size_t output_head = 0;
  uint32_t tx_seq = 0;
  uint32_t watchdog_ms = 0;
  uint32_t telemetry_divisor = 1;
  bool hung = false;
  IndependentWatchdog hardware_watchdog;
  uint64_t watchdog_resets = 0;
  v1::BootReason boot_reason = v1::BOOT_REASON_POWER_ON;
  uint64_t boot_count = 0;
  uint64_t boot_id = 0;
  v1::DeviceInfo info;
  SimStats stats;
  v1::HostMessage request;
  std::vector<firmware::ProgramSegmentDef> segment_scratch;
  v1::DeviceMessage reply_scratch;
  std::string payload_scratch;
};

SimulatedDevice::SimulatedDevice(const SimOptions& options)
    : impl_(std::make_unique<Impl>(options)) {}

SimulatedDevice::~SimulatedDevice() = default;

void SimulatedDevice::ReceiveFromHost(const uint8_t* data, size_t n) {
  if (impl_->hung) return;  // a hung microcontroller reads nothing
  impl_->inbox.insert(impl_->inbox.end(), data, data + n);
}

void SimulatedDevice::Tick() { impl_->Tick(); }

void SimulatedDevice::RunTicks(uint64_t n) {
  for (uint64_t i = 0; i < n; ++i) impl_->Tick();
}

void SimulatedDevice::RunFor(double seconds) {
  const double ticks = seconds * impl_->options.firmware.tick_hz;
  RunTicks(ticks > 0 ? static_cast<uint64_t>(std::llround(ticks)) : 0);
}

size_t SimulatedDevice::TakeOutput(std::vector<uint8_t>* out, size_t max) {
  return impl_->TakeOutput(out, max);
}

size_t SimulatedDevice::PendingOutput() const { return impl_->PendingOutput(); }

void SimulatedDevice::SetHung(bool hung) {
  // A hung microcontroller comes back only through a reset (its hardware watchdog or a
  // power cycle), never by carrying on: nothing stale survives the stall — setpoints, a
  // half-run program, a speed estimate across the missed ticks.
  if (impl_->hung && !hung) {
    impl_->Boot(v1::BOOT_REASON_RESET);
    return;
  }
  impl_->hung = hung;
}

void SimulatedDevice::Reset() { impl_->Boot(v1::BOOT_REASON_RESET); }

bool SimulatedDevice::hung() const { return impl_->hung; }

uint64_t SimulatedDevice::watchdog_resets() const { return impl_->watchdog_resets; }

void SimulatedDevice::InjectFault(rollrig::v1::InjectedFault fault, bool active) {
  impl_->InjectFault(fault, active);
}

uint64_t SimulatedDevice::time_us() const { return impl_->fw->time_us(); }
const rollrig::v1::DeviceInfo& SimulatedDevice::info() const { return impl_->info; }
const SimStats& SimulatedDevice::stats() const { return impl_->stats; }
const codec::DecoderStats& SimulatedDevice::decoder_stats() const { return impl_->decoder.stats(); }
firmware::Firmware& SimulatedDevice::firmware() { return *impl_->fw; }
plant::Plant& SimulatedDevice::plant() { return impl_->plant; }

}  // namespace rollrig::sim
