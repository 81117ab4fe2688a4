// Figures of the device side: how fast the wire codec frames and finds frames, how many
// bytes a telemetry sample costs on the wire, and how much faster than real time the
// simulated massager runs.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <vector>

#include "rig/codec/frame_codec.h"
#include "rig/sim/simulated_device.h"
#include "rollrig/v1/device.pb.h"

namespace {

namespace v1 = rollrig::v1;
using rollrig::codec::AppendFrame;
using rollrig::codec::Frame;
using rollrig::codec::FrameDecoder;

// One 10 ms batch at 1 kHz is about 200 bytes; at 10 kHz about 1.6 kB.
std::vector<uint8_t> TelemetrySizedPayload(size_t size) {
  std::vector<uint8_t> payload(size);
  for (size_t i = 0; i < size; ++i) payload[i] = static_cast<uint8_t>(i * 37 + 11);
  return payload;
}

void BM_EncodeFrames(benchmark::State& state) {
  const auto payload = TelemetrySizedPayload(static_cast<size_t>(state.range(0)));
  std::vector<uint8_t> out;
  out.reserve(1 << 20);
  uint32_t seq = 0;
  for (auto _ : state) {
    if (out.size() > (1 << 19)) out.clear();
    AppendFrame(seq++, payload.data(), payload.size(), &out);
    benchmark::DoNotOptimize(out.data());
  }
  const double frame_bytes =
      static_cast<double>(payload.size() + rollrig::codec::kHeaderSize + rollrig::codec::kCrcSize);
  state.counters["frames/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * frame_bytes));
}
BENCHMARK(BM_EncodeFrames)->Arg(200)->Arg(1600);

// Decoding a stream arriving as 64-byte USB packets.
void BM_DecodeFrames(benchmark::State& state) {
  const auto payload = TelemetrySizedPayload(static_cast<size_t>(state.range(0)));
  std::vector<uint8_t> stream;
  for (uint32_t seq = 0; seq < 256; ++seq) {
    AppendFrame(seq, payload.data(), payload.size(), &stream);
  }
  FrameDecoder decoder;
  Frame frame;
  int64_t frames = 0;
  for (auto _ : state) {
    for (size_t pos = 0; pos < stream.size();) {
      pos += decoder.Feed(stream.data() + pos, std::min<size_t>(64, stream.size() - pos));
      while (decoder.Next(&frame)) {
        benchmark::DoNotOptimize(frame.payload);
        ++frames;
      }
    }
  }
  state.counters["frames/s"] =
      benchmark::Counter(static_cast<double>(frames), benchmark::Counter::kIsRate);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * stream.size()));
  if (decoder.stats().crc_errors != 0) state.SkipWithError("decoder reported CRC errors");
}
BENCHMARK(BM_DecodeFrames)->Arg(200)->Arg(1600);

v1::HostMessage Command(uint32_t id, double rpm) {
  v1::HostMessage m;
  m.set_command_id(id);
  if (rpm == 0) {
    m.mutable_hello()->set_protocol_version(1);
  } else {
    m.mutable_set_roller_speed()->set_rpm(rpm);
  }
  return m;
}

void SendTo(rollrig::sim::SimulatedDevice* device, const v1::HostMessage& m, uint32_t seq) {
  const std::string payload = m.SerializeAsString();
  std::vector<uint8_t> bytes;
  AppendFrame(seq, reinterpret_cast<const uint8_t*>(payload.data()), payload.size(), &bytes);
  device->ReceiveFromHost(bytes.data(), bytes.size());
}

// Drives a device through a jog profile (speed steps every second, preload and head moves
// as a profile would), feeding heartbeats; returns device-to-host wire bytes.
struct ProfileRun {
  uint64_t wire_bytes = 0;
  uint64_t samples = 0;
  uint64_t ticks = 0;
};

ProfileRun RunJogProfile(uint32_t tick_hz, double seconds) {
  rollrig::sim::SimOptions options;
  options.firmware.tick_hz = tick_hz;
  rollrig::sim::SimulatedDevice device(options);
  uint32_t seq = 0;
  SendTo(&device, Command(1, 0), seq++);
  const double speeds[] = {30, 60, -45, 90, -90, 20};
  const uint64_t ticks = static_cast<uint64_t>(seconds * tick_hz);
  std::vector<uint8_t> out;
  ProfileRun run;
  for (uint64_t i = 0; i < ticks; ++i) {
    if (i % tick_hz == 0) {
      SendTo(&device, Command(2, speeds[(i / tick_hz) % 6]), seq++);
      v1::HostMessage head;
      head.mutable_set_head_angle()->set_deg((i / tick_hz) % 2 ? 45 : -45);
      SendTo(&device, head, seq++);
      v1::HostMessage preload;
      preload.mutable_set_preload()->set_newtons(50);
      SendTo(&device, preload, seq++);
    }
    if (i % (tick_hz / 10) == 0) {
      v1::HostMessage heartbeat;
      heartbeat.mutable_heartbeat()->set_host_time_ns(i);
      SendTo(&device, heartbeat, seq++);
    }
    device.Tick();
    out.clear();
    run.wire_bytes += device.TakeOutput(&out);
  }
  run.ticks = ticks;
  run.samples = ticks;  // telemetry divisor 1: one sample per tick
  return run;
}

// Wire bytes per telemetry sample (frames, batch headers, events and acks included).
void BM_TelemetryWireBytesPerSample(benchmark::State& state) {
  const auto tick_hz = static_cast<uint32_t>(state.range(0));
  ProfileRun run;
  for (auto _ : state) run = RunJogProfile(tick_hz, 6.0);
  state.counters["bytes/sample"] =
      static_cast<double>(run.wire_bytes) / static_cast<double>(run.samples);
  state.counters["wire_kB/s"] =
      static_cast<double>(run.wire_bytes) / static_cast<double>(run.samples) * tick_hz / 1000.0;
}
BENCHMARK(BM_TelemetryWireBytesPerSample)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);

// Simulator speed: device ticks per second of CPU, and that as a multiple of real time.
void BM_SimulatorSpeed(benchmark::State& state) {
  const auto tick_hz = static_cast<uint32_t>(state.range(0));
  uint64_t ticks = 0;
  for (auto _ : state) ticks += RunJogProfile(tick_hz, 2.0).ticks;
  state.counters["ticks/s"] =
      benchmark::Counter(static_cast<double>(ticks), benchmark::Counter::kIsRate);
  state.counters["x_real_time"] =
      benchmark::Counter(static_cast<double>(ticks) / tick_hz, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SimulatorSpeed)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);

}  // namespace
