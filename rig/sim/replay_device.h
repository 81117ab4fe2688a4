// A recorded device played back over the device protocol, so the unchanged host stack
// (transport, client, recorder, gRPC, dashboard) runs on a recording.
//
// What the host sees:
// - Hello is answered with the recorded DeviceInfo (and an acknowledgement).
// - Every command is acknowledged OK; the recording plays on regardless of it. Where the
//   host's commands differ from what the recorded run did (another program or cycle
//   count; a jog, stop, e-stop, pause or fault injection, which the recording cannot
//   obey), a note says so (TakeNotes).
// - Playback starts at the host's first StartProgram, so a run started on the replay sees
//   the recorded program from its first sample; the recorded program events carry the
//   host's program id. Samples go out as TelemetryBatch frames (a batch never spans a
//   recorded gap, so the host counts it as the live rigd did), device events as they
//   come, paced by their device times (at `speed`) or as fast as Pump is called (`fast`).
// - Before playback and after the end, an empty batch every keepalive period keeps the
//   link alive without inventing samples (its first_sample_seq is the next real one).
//
// No threads or clocks of its own (ReplayRunner paces it); not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "rig/codec/frame_codec.h"
#include "rig/protocol/telemetry_columns.h"
#include "rig/sim/replay_source.h"
#include "rollrig/v1/device.pb.h"

namespace rollrig::sim {

struct ReplayOptions {
  double speed = 1.0;  // recorded device seconds per real second
  bool fast = false;   // ignore the recorded times: as fast as the host reads
  uint32_t batch_period_us = 10000;
  uint32_t batch_max_samples = 250;
  int64_t keepalive_ns = 10'000'000;
};

class ReplayDevice {
 public:
  ReplayDevice(std::unique_ptr<ReplaySource> source, const ReplayOptions& options);
  ~ReplayDevice();

  // Host-to-device bytes, any chunking; answered at the next Pump.
  void ReceiveFromHost(const uint8_t* data, size_t n);
  // Answers commands and emits what is due at `now_ns` (the pacing clock): at most
  // `max_items` recorded samples and events.
  void Pump(int64_t now_ns, size_t max_items = SIZE_MAX);
  // Moves the device-to-host bytes to the end of `out`; returns how many.
  size_t TakeOutput(std::vector<uint8_t>* out);
  size_t PendingOutput() const { return output_.size(); }
  // Lines for the log: the host's commands that differ from the recording, a recording
  // that could not be read further.
  std::vector<std::string> TakeNotes();

  bool playing() const { return playing_; }
  bool finished() const { return finished_; }
  uint64_t samples_sent() const { return samples_sent_; }
  uint64_t events_sent() const { return events_sent_; }

 private:
  void HandleCommand(const rollrig::v1::HostMessage& m);
  void CheckProgram();
  void Ack(uint32_t command_id);
  void Send(const rollrig::v1::DeviceMessage& m);
  // Pulls the next recorded item into lookahead_; false at the end.
  bool Fill();
  void AddSample(const firmware::TelemetrySample& s);
  void SendEvent(rollrig::v1::DeviceEvent e);
  void FlushBatch();
  void SendKeepAlive();

  std::unique_ptr<ReplaySource> source_;
  ReplayOptions options_;
  codec::FrameDecoder decoder_;
  std::vector<uint8_t> output_;
  std::string payload_;
  uint32_t tx_seq_ = 0;
  std::vector<std::string> notes_;

  // What the host asked for.
  std::vector<rollrig::v1::ProgramSegment> host_program_;
  uint64_t host_program_id_ = 0;
  bool program_noted_ = false;

  // Playback.
  std::deque<ReplayItem> lookahead_;
  bool source_done_ = false;
  bool playing_ = false;
  bool finished_ = false;
  int64_t play_start_ns_ = 0;
  uint64_t first_time_us_ = 0;  // device time of the first recorded sample
  uint64_t next_seq_ = 0;       // the counter of the next sample to send
  uint64_t last_time_us_ = 0;
  protocol::TelemetryBatchPacker packer_;
  uint64_t batch_first_time_us_ = 0;
  uint32_t sample_period_us_ = 0;
  firmware::FirmwareStatus status_;
  int64_t last_output_ns_ = 0;
  uint64_t samples_sent_ = 0;
  uint64_t events_sent_ = 0;
};

}  // namespace rollrig::sim
