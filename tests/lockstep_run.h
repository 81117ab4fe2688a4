// A whole profile run in lock-step: the simulated massager and the host side of the
// device protocol in one thread, with no clocks. Device time advances only when the run
// ticks it, so a 72-hour endurance run takes as long as the CPU needs, not 72 hours.
//
// The host side is what rigd does, done directly: Hello, Tare, LoadProgram in parts of
// kProgramPartSegments, StartProgram with cycles and first_cycle; every command's
// acknowledgement is checked. Device output is decoded (FrameDecoder), telemetry batches
// are unpacked into host Samples and fed to a RunAnalyzer, counter gaps are noted as
// lost samples, device events are collected. Heartbeats go out every heartbeat_period_ms
// of device time, so the device watchdog stays quiet. An ABORT limit makes the run send
// StopProgram, as rigd does.
//
// Events reach the analyzer where they happened in the sample stream: a DeviceEvent
// carries the counter of the next sample, and the device sends events at once but
// telemetry in batches, so an event waits until every sample before it has been fed.
//
// The run ends at the program's PROGRAM_FINISHED or PROGRAM_ABORTED (a fault aborts the
// program at once), or when device time passes the planned end by end_margin_s (then
// noted as a stop: the device never finished).
//
// Promises:
// - Deterministic: the same options (seed, profile, cycles) give the same samples, events,
//   verdict and cycle statistics, byte for byte.
// - Memory flat in run length apart from what the run's results must hold: one CycleStats
//   per cycle (in the analyzer) and the device events other than cycle completions, which
//   are only counted. Per tick the host side allocates nothing beyond what protobuf
//   parsing needs: buffers and messages are reused.
// - Samples carry device time as host_time_ns too (there is no host clock).
// Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/protobuf/arena.h"
#include "host/analysis/run_analyzer.h"
#include "host/profile_loader/profile_loader.h"
#include "host/recording/sample.h"
#include "host/run_model/run_model.h"
#include "rig/codec/frame_codec.h"
#include "rig/sim/simulated_device.h"
#include "rollrig/v1/device.pb.h"
#include "rollrig/v1/rig_service.pb.h"

namespace rollrig::testing {

struct LockstepRunOptions {
  sim::SimOptions sim;                 // the device: seed, tick rate, batching
  rollrig::v1::ProfileSource profile;  // text, or a preset name (source.preset)
  uint32_t cycles = 1;                 // at least 1
  uint32_t first_cycle = 1;
  uint64_t program_id = 1;
  uint32_t heartbeat_period_ms = 100;  // device time, as rigd's heartbeat
  // Device time past the planned end (cycles x cycle_s) before the run gives up on the
  // device reporting the end of the program.
  double end_margin_s = 60;
  // Device time a command may take to be acknowledged.
  uint32_t command_timeout_ms = 1000;

  // Observers, for recording the run as rigd would (all optional, called on the run's
  // thread): every sample fed to the analyzer, right after it was fed; every device event
  // from PROGRAM_STARTED on (cycle completions included) and every gap, each at its point
  // in the sample stream, right before the analyzer hears of it.
  std::function<void(const host::Sample&)> on_sample;
  std::function<void(const rollrig::v1::DeviceEvent&)> on_event;
  std::function<void(uint64_t first_missing_seq, uint64_t count)> on_gap;
  // Every limit the run model newly notes (violated or marginal), right after the sample or
  // event that tripped it, as rigd publishes it.
  std::function<void(const rollrig::v1::LimitResult&)> on_limit;
  // Loses a telemetry batch on the host side when it returns true, as a link dropping a
  // transfer would: its samples become a gap before the next batch.
  std::function<bool(const rollrig::v1::TelemetryBatch&)> lose_batch;
};

struct LockstepRunResult {
  rollrig::v1::RunVerdict verdict;
  std::vector<rollrig::v1::CycleStats> cycles;  // complete cycles, in order
  std::optional<rollrig::v1::CycleStats> partial_cycle;
  uint32_t cycles_completed = 0;     // the device's CYCLE_COMPLETED events for the program
  bool program_finished = false;     // PROGRAM_FINISHED (all cycles, or a stop) was seen
  bool program_aborted = false;      // PROGRAM_ABORTED (a fault or e-stop) was seen
  uint64_t samples = 0;              // samples fed to the analyzer (from PROGRAM_STARTED on)
  uint64_t samples_lost = 0;         // counter gaps, from PROGRAM_STARTED on
  uint64_t frames_dropped = 0;       // CRC errors and bad headers in device output
  uint64_t messages_unreadable = 0;  // frames that were no DeviceMessage, bad batches
  uint64_t device_time_us = 0;       // device time at the end of the run
  uint64_t ticks = 0;                // control ticks from construction to the end
  // Every device event from PROGRAM_STARTED on, except cycle completions (counted above).
  std::vector<rollrig::v1::DeviceEvent> events;
  // Refusals of commands sent during the run (StopProgram after an ABORT limit).
  std::string command_errors;
};

class LockstepRun {
 public:
  // rigd's part size: one LoadProgram part fits a frame easily.
  static constexpr size_t kProgramPartSegments = 32;

  explicit LockstepRun(LockstepRunOptions options);
  ~LockstepRun();
  LockstepRun(const LockstepRun&) = delete;
  LockstepRun& operator=(const LockstepRun&) = delete;

  // Says Hello, loads the profile against the device's capabilities, tares, uploads the
  // program and starts it. Fails naming the step (profile errors are listed as
  // FILE:LINE:COL lines). Call once.
  absl::Status Start();

  // Ticks until the run has ended or `ticks` more ticks have run. Returns !ended(), and
  // false without ticking when Start() did not succeed.
  bool Advance(uint64_t ticks);
  // Ticks until the analyzer holds `count` complete cycles or the run has ended. Returns
  // true when the cycles are there (false without ticking when Start() did not succeed).
  bool AdvanceUntilCycles(size_t count);
  // Ticks to the end of the run, closes the analysis and returns the outcome. Later calls
  // return the same outcome.
  LockstepRunResult Finish();

  // Start() then Finish().
  static absl::StatusOr<LockstepRunResult> Run(LockstepRunOptions options);

  bool ended() const { return ended_; }
  // Valid after a successful Start().
  const host::LoadedProfile& profile() const { return *profile_; }
  const host::RunAnalyzer& analyzer() const { return model_->analyzer(); }
  // For fault injection and inspection between Advance() calls.
  sim::SimulatedDevice& device() { return device_; }

 private:
  // Serialises `message` into a frame and hands it to the device (read at the next tick).
  void Send(const rollrig::v1::HostMessage& message);
  // Sends a command with a fresh command_id and ticks until its acknowledgement.
  absl::Status Command(rollrig::v1::HostMessage& message, const char* what);
  // One control tick, then the host's turn: heartbeat due, device output, abort limit.
  void Step();
  void ReadDeviceOutput();
  void OnMessage(const rollrig::v1::DeviceMessage& message);
  void OnTelemetry(const rollrig::v1::TelemetryBatch& batch);
  void OnEvent(const rollrig::v1::DeviceEvent& event);
  // Hands the analyzer every held event whose point in the sample stream has been reached
  // (all samples before `next_seq` fed).
  void ApplyEventsBefore(uint64_t next_seq);
  void ApplyEvent(const rollrig::v1::DeviceEvent& event);
  // Executes what the model asks: a stop of the program, the end of the run.
  void Execute(const run_model::RunEffects& effects);

  LockstepRunOptions options_;
  sim::SimulatedDevice device_;
  std::optional<host::LoadedProfile> profile_;
  // The run's rules (host/run_model), as rigd drives them.
  std::unique_ptr<run_model::RunModel> model_;

  // Host-to-device scratch.
  uint32_t tx_seq_ = 0;
  uint32_t next_command_id_ = 1;
  std::string payload_;
  std::vector<uint8_t> frame_;
  rollrig::v1::HostMessage heartbeat_;
  uint64_t next_heartbeat_us_ = 0;

  // Device-to-host scratch. Each DeviceMessage is parsed into the arena, whose first
  // block is ours and outlives every Reset().
  static constexpr size_t kArenaBlockBytes = 256 * 1024;
  std::vector<uint8_t> output_;
  codec::FrameDecoder decoder_;
  std::vector<char> arena_block_ = std::vector<char>(kArenaBlockBytes);
  google::protobuf::Arena arena_;
  std::vector<firmware::TelemetrySample> unpacked_;
  host::Sample sample_;

  // What came back.
  std::optional<rollrig::v1::DeviceInfo> device_info_;
  uint32_t awaited_ack_ = 0;
  std::optional<rollrig::v1::CommandAck> ack_;
  std::string late_refusals_;  // acks refused after their command was given up on

  // The run.
  bool start_called_ = false;
  bool start_sent_ = false;    // StartProgram sent: its PROGRAM_STARTED is awaited
  bool start_ok_ = false;      // StartProgram acknowledged
  bool started_ = false;       // PROGRAM_STARTED seen: samples and events count from here
  uint64_t start_seq_ = 0;     // the program's first sample counter
  uint64_t last_time_us_ = 0;  // device time of the last sample fed
  bool have_expected_seq_ = false;
  uint64_t expected_seq_ = 0;  // the next sample counter
  std::vector<rollrig::v1::DeviceEvent> held_events_;
  bool stop_sent_ = false;
  uint64_t deadline_us_ = 0;
  bool ended_ = false;
  bool finished_ = false;
  LockstepRunResult result_;
};

}  // namespace rollrig::testing
