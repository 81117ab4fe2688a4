#include "rig/sim/replay_device.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace rollrig::sim {
namespace {

namespace v1 = rollrig::v1;

bool SameSegment(const v1::ProgramSegment& a, const v1::ProgramSegment& b) {
  return a.SerializeAsString() == b.SerializeAsString();
}

// Commands a recording cannot obey: the host is told the replay plays on.
const char* MotionCommandName(const v1::HostMessage& m) {
  switch (m.body_case()) {
    case v1::HostMessage::kSetRollerSpeed:
      return "a roller speed";
    case v1::HostMessage::kSetHeadAngle:
      return "a head angle";
    case v1::HostMessage::kSetPreload:
      return m.set_preload().newtons() > 0 ? "a preload" : nullptr;
    case v1::HostMessage::kStop:
      return "a stop";
    case v1::HostMessage::kEstop:
      return "an e-stop";
    case v1::HostMessage::kInjectFault:
      return "a fault injection";
    case v1::HostMessage::kPauseProgram:
      return "a pause";
    case v1::HostMessage::kResumeProgram:
      return "a resume";
    case v1::HostMessage::kStopProgram:
      return "a program stop";
    default:
      return nullptr;
  }
}

bool IsProgramEvent(v1::DeviceEventKind kind) {
  return kind >= v1::DEVICE_EVENT_PROGRAM_STARTED && kind <= v1::DEVICE_EVENT_PROGRAM_ABORTED;
}

}  // namespace

ReplayDevice::ReplayDevice(std::unique_ptr<ReplaySource> source, const ReplayOptions& options)
    : source_(std::move(source)), options_(options) {
  const uint32_t hz = source_->device_info().capabilities().telemetry_hz();
  sample_period_us_ = hz > 0 ? 1000000 / hz : 0;
  // The first sample fixes the counter the host expects from the start.
  while (Fill() && lookahead_.back().is_event) {
  }
  for (const ReplayItem& item : lookahead_) {
    if (!item.is_event) {
      first_time_us_ = item.sample.time_us;
      next_seq_ = item.sample.seq;
      last_time_us_ = first_time_us_;
      break;
    }
  }
}

ReplayDevice::~ReplayDevice() = default;

bool ReplayDevice::Fill() {
  if (source_done_) return false;
  ReplayItem item;
  absl::StatusOr<bool> more = source_->Next(&item);
  if (!more.ok()) {
    notes_.push_back(
        absl::StrCat("the recording cannot be read further: ", more.status().message()));
    source_done_ = true;
    return false;
  }
  if (!*more) {
    source_done_ = true;
    return false;
  }
  lookahead_.push_back(std::move(item));
  return true;
}

void ReplayDevice::ReceiveFromHost(const uint8_t* data, size_t n) {
  size_t pos = 0;
  codec::Frame frame;
  while (pos < n) {
    const size_t taken = decoder_.Feed(data + pos, n - pos);
    pos += taken;
    bool delivered = false;
    while (decoder_.Next(&frame)) {
      delivered = true;
      v1::HostMessage m;
      if (m.ParseFromArray(frame.payload, static_cast<int>(frame.size))) HandleCommand(m);
    }
    if (taken == 0 && !delivered) break;
  }
}

void ReplayDevice::HandleCommand(const v1::HostMessage& m) {
  switch (m.body_case()) {
    case v1::HostMessage::kHello: {
      v1::DeviceMessage info;
      *info.mutable_device_info() = source_->device_info();
      Send(info);
      break;
    }
    case v1::HostMessage::kLoadProgram: {
      const v1::LoadProgram& load = m.load_program();
      if (load.first_index() == 0) host_program_.clear();
      host_program_.insert(host_program_.end(), load.segments().begin(), load.segments().end());
      host_program_id_ = load.program_id();
      if (host_program_.size() >= load.total_segments()) CheckProgram();
      break;
    }
    case v1::HostMessage::kStartProgram: {
      const uint32_t cycles = m.start_program().cycles();
      if (source_->recorded_cycles() != 0 && cycles != source_->recorded_cycles()) {
        notes_.push_back(absl::StrCat("the host starts ", cycles, " cycle(s); the recording has ",
                                      source_->recorded_cycles(), ": it plays as recorded"));
      }
      if (m.start_program().program_id() != 0) host_program_id_ = m.start_program().program_id();
      playing_ = true;  // from the last Pump's time on
      break;
    }
    default:
      if (const char* what = MotionCommandName(m)) {
        notes_.push_back(absl::StrCat("the host sent ", what,
                                      ", which the recording did not have here: a replay cannot "
                                      "obey it, the recording plays on"));
      }
      break;
  }
  if (m.command_id() != 0) Ack(m.command_id());
}

void ReplayDevice::CheckProgram() {
  const std::vector<v1::ProgramSegment>& recorded = source_->recorded_program();
  if (recorded.empty() || program_noted_) return;
  std::string difference;
  if (recorded.size() != host_program_.size()) {
    difference = absl::StrCat("the host's program has ", host_program_.size(),
                              " segments, the recorded one ", recorded.size());
  } else {
    for (size_t i = 0; i < recorded.size(); ++i) {
      if (!SameSegment(recorded[i], host_program_[i])) {
        difference =
            absl::StrCat("the host's program differs from the recorded one at segment ", i);
        break;
      }
    }
  }
  if (!difference.empty()) {
    program_noted_ = true;
    notes_.push_back(absl::StrCat(difference, ": the recording plays on"));
  }
}

void ReplayDevice::Ack(uint32_t command_id) {
  v1::DeviceMessage ack;
  ack.mutable_ack()->set_command_id(command_id);
  ack.mutable_ack()->set_result(v1::COMMAND_RESULT_OK);
  Send(ack);
}

void ReplayDevice::Send(const v1::DeviceMessage& m) {
  payload_.clear();
  m.SerializeToString(&payload_);
  codec::AppendFrame(tx_seq_++, reinterpret_cast<const uint8_t*>(payload_.data()), payload_.size(),
                     &output_);
}

void ReplayDevice::Pump(int64_t now_ns, size_t max_items) {
  const size_t output_before = output_.size();
  if (playing_ && !finished_) {
    const double played_us = static_cast<double>(now_ns - play_start_ns_) / 1e3 * options_.speed;
    for (size_t n = 0; n < max_items; ++n) {
      if (lookahead_.empty() && !Fill()) {
        FlushBatch();
        finished_ = true;
        break;
      }
      const ReplayItem& item = lookahead_.front();
      const uint64_t t_us = item.is_event ? item.event.time_us() : item.sample.time_us;
      if (!options_.fast && t_us > first_time_us_ &&
          static_cast<double>(t_us - first_time_us_) > played_us) {
        break;
      }
      if (item.is_event) {
        FlushBatch();
        SendEvent(item.event);
      } else {
        AddSample(item.sample);
      }
      lookahead_.pop_front();
    }
    // A batch goes out once its period has passed (at once when fast).
    if (packer_.size() > 0 &&
        (options_.fast ||
         static_cast<double>(batch_first_time_us_ - first_time_us_) + options_.batch_period_us <=
             played_us)) {
      FlushBatch();
    }
  }
  if (output_.size() != output_before) {
    last_output_ns_ = now_ns;
  } else if (now_ns - last_output_ns_ >= options_.keepalive_ns && packer_.size() == 0) {
    SendKeepAlive();
    last_output_ns_ = now_ns;
  }
  if (!playing_) play_start_ns_ = now_ns;
}

void ReplayDevice::AddSample(const firmware::TelemetrySample& s) {
  if (s.seq < next_seq_ && samples_sent_ + packer_.size() > 0) return;  // never twice
  if (packer_.size() > 0 && (s.time_us - batch_first_time_us_ >= options_.batch_period_us ||
                             packer_.size() >= options_.batch_max_samples)) {
    FlushBatch();
  }
  if (!packer_.Add(s)) {  // a recorded gap: the batch ends before it
    FlushBatch();
    packer_.Add(s);
  }
  if (packer_.size() == 1) batch_first_time_us_ = s.time_us;
  next_seq_ = s.seq + 1;
  last_time_us_ = s.time_us;
}

void ReplayDevice::FlushBatch() {
  if (packer_.size() == 0) return;
  samples_sent_ += packer_.size();
  v1::DeviceMessage m;
  packer_.Finish(status_, sample_period_us_, m.mutable_telemetry());
  Send(m);
}

void ReplayDevice::SendKeepAlive() {
  v1::DeviceMessage m;
  v1::TelemetryBatch* batch = m.mutable_telemetry();
  batch->set_first_sample_seq(next_seq_);
  batch->set_first_time_us(last_time_us_);
  batch->set_sample_period_us(sample_period_us_);
  batch->set_state(static_cast<v1::DeviceState>(status_.state));
  batch->set_faults(status_.faults);
  batch->set_interlocks(status_.interlocks);
  batch->set_program_state(static_cast<v1::ProgramState>(status_.program_state));
  batch->set_program_id(status_.program_id);
  Send(m);
}

void ReplayDevice::SendEvent(v1::DeviceEvent e) {
  if (IsProgramEvent(e.kind()) && host_program_id_ != 0) e.set_program_id(host_program_id_);
  status_.state = static_cast<firmware::DeviceState>(e.state());
  status_.faults = e.faults();
  status_.interlocks = e.interlocks();
  switch (e.kind()) {
    case v1::DEVICE_EVENT_PROGRAM_STARTED:
    case v1::DEVICE_EVENT_PROGRAM_RESUMED:
      status_.program_state = firmware::ProgramState::kRunning;
      status_.program_id = e.program_id();
      break;
    case v1::DEVICE_EVENT_PROGRAM_PAUSED:
      status_.program_state = firmware::ProgramState::kPaused;
      break;
    case v1::DEVICE_EVENT_PROGRAM_FINISHED:
    case v1::DEVICE_EVENT_PROGRAM_ABORTED:
      status_.program_state = firmware::ProgramState::kLoaded;
      break;
    default:
      break;
  }
  ++events_sent_;
  v1::DeviceMessage m;
  *m.mutable_event() = std::move(e);
  Send(m);
}

size_t ReplayDevice::TakeOutput(std::vector<uint8_t>* out) {
  const size_t n = output_.size();
  out->insert(out->end(), output_.begin(), output_.end());
  output_.clear();
  return n;
}

std::vector<std::string> ReplayDevice::TakeNotes() { return std::exchange(notes_, {}); }

}  // namespace rollrig::sim
