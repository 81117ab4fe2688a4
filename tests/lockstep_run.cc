#include "tests/lockstep_run.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "host/run_model/profile_analyzer.h"
#include "rig/protocol/telemetry_columns.h"

namespace rollrig::testing {
namespace {

namespace v1 = rollrig::v1;

std::string AckText(const v1::CommandAck& ack) {
  std::string text = v1::CommandResult_Name(ack.result());
  if (!ack.detail().empty()) absl::StrAppend(&text, " (", ack.detail(), ")");
  return text;
}

}  // namespace

LockstepRun::LockstepRun(LockstepRunOptions options)
    : options_(std::move(options)),
      device_(options_.sim),
      arena_(arena_block_.data(), arena_block_.size()) {
  heartbeat_.mutable_heartbeat();
  // A telemetry batch at 1 kHz is ten samples; room for a few hundred avoids growing later.
  output_.reserve(64 * 1024);
  unpacked_.reserve(512);
  held_events_.reserve(16);
}

LockstepRun::~LockstepRun() = default;

absl::StatusOr<LockstepRunResult> LockstepRun::Run(LockstepRunOptions options) {
  LockstepRun run(std::move(options));
  if (absl::Status s = run.Start(); !s.ok()) return s;
  return run.Finish();
}

absl::Status LockstepRun::Start() {
  if (start_called_) return absl::FailedPreconditionError("Start() was already called");
  start_called_ = true;
  if (options_.cycles == 0) {
    return absl::InvalidArgumentError("a lock-step run needs at least one cycle");
  }

  v1::HostMessage hello;
  hello.mutable_hello()->set_protocol_version(v1::PROTOCOL_VERSION_CURRENT);
  hello.mutable_hello()->set_host_name("lockstep");
  if (absl::Status s = Command(hello, "hello"); !s.ok()) return s;
  if (!device_info_) return absl::InternalError("hello: the device sent no DeviceInfo");

  host::ProfileCheck check = host::LoadProfile(options_.profile, device_info_->capabilities());
  if (!check.ok()) {
    std::vector<std::string> lines;
    for (const v1::ProfileError& e : check.errors) lines.push_back(host::FormatProfileError(e));
    return absl::InvalidArgumentError(absl::StrJoin(lines, "\n"));
  }
  profile_ = std::move(*check.loaded);

  // The analyzer exactly as rigd builds it for a run.
  run_model::RunRules rules;
  rules.cycles = options_.cycles;
  model_ = std::make_unique<run_model::RunModel>(run_model::AnalyzerForProfile(*profile_), rules);

  // The pad is unloaded at power-on, so the tare needs no preload release first.
  v1::HostMessage tare;
  tare.mutable_tare();
  if (absl::Status s = Command(tare, "tare"); !s.ok()) return s;

  const std::vector<v1::ProgramSegment>& program = profile_->program;
  for (size_t first = 0; first < program.size(); first += kProgramPartSegments) {
    v1::HostMessage part;
    v1::LoadProgram* load = part.mutable_load_program();
    load->set_program_id(options_.program_id);
    load->set_total_segments(static_cast<uint32_t>(program.size()));
    load->set_first_index(static_cast<uint32_t>(first));
    for (size_t i = first; i < std::min(program.size(), first + kProgramPartSegments); ++i) {
      *load->add_segments() = program[i];
    }
    if (absl::Status s = Command(part, "upload"); !s.ok()) return s;
  }

  v1::HostMessage start;
  v1::StartProgram* st = start.mutable_start_program();
  st->set_program_id(options_.program_id);
  st->set_cycles(options_.cycles);
  st->set_first_cycle(options_.first_cycle);
  const double planned_s = options_.cycles * profile_->cycle_s + options_.end_margin_s;
  deadline_us_ = device_.time_us() + static_cast<uint64_t>(planned_s * 1e6);
  start_sent_ = true;
  if (absl::Status s = Command(start, "start"); !s.ok()) return s;
  start_ok_ = true;
  return absl::OkStatus();
}

bool LockstepRun::Advance(uint64_t ticks) {
  if (!start_ok_) return false;
  for (uint64_t i = 0; i < ticks && !ended(); ++i) Step();
  return !ended();
}

bool LockstepRun::AdvanceUntilCycles(size_t count) {
  if (!start_ok_) return false;
  while (!ended() && analyzer().cycles().size() < count) Step();
  return model_ && analyzer().cycles().size() >= count;
}

LockstepRunResult LockstepRun::Finish() {
  if (finished_) return result_;
  finished_ = true;
  if (!start_ok_) {
    result_.verdict.set_reason("the run never started");
    return result_;
  }
  while (!ended_) Step();
  model_->Finish();
  result_.verdict = model_->end()->verdict;
  result_.cycles = analyzer().cycles();
  if (const v1::CycleStats* partial = analyzer().partial_cycle()) result_.partial_cycle = *partial;
  result_.frames_dropped = decoder_.stats().crc_errors + decoder_.stats().bad_headers;
  result_.device_time_us = device_.time_us();
  return result_;
}

void LockstepRun::Send(const v1::HostMessage& message) {
  payload_.clear();
  message.SerializeToString(&payload_);
  frame_.clear();
  codec::AppendFrame(tx_seq_++, reinterpret_cast<const uint8_t*>(payload_.data()), payload_.size(),
                     &frame_);
  device_.ReceiveFromHost(frame_.data(), frame_.size());
}

absl::Status LockstepRun::Command(v1::HostMessage& message, const char* what) {
  const uint32_t id = next_command_id_++;
  message.set_command_id(id);
  awaited_ack_ = id;
  ack_.reset();
  Send(message);
  const uint64_t deadline = device_.time_us() + uint64_t{options_.command_timeout_ms} * 1000;
  while (!ack_ && device_.time_us() < deadline) Step();
  awaited_ack_ = 0;
  if (!ack_) {
    return absl::DeadlineExceededError(absl::StrCat(
        what, ": no acknowledgement within ", options_.command_timeout_ms, " ms of device time"));
  }
  if (ack_->result() != v1::COMMAND_RESULT_OK) {
    return absl::FailedPreconditionError(absl::StrCat(what, ": refused: ", AckText(*ack_)));
  }
  return absl::OkStatus();
}

void LockstepRun::Step() {
  device_.Tick();
  ++result_.ticks;
  const uint64_t now_us = device_.time_us();
  if (now_us >= next_heartbeat_us_) {
    heartbeat_.mutable_heartbeat()->set_host_time_ns(now_us * 1000);
    Send(heartbeat_);
    next_heartbeat_us_ = now_us + uint64_t{options_.heartbeat_period_ms} * 1000;
  }
  ReadDeviceOutput();
  if (!start_ok_ || ended_) return;

  if (now_us >= deadline_us_) {
    Execute(model_->Abandon(absl::StrCat("the device did not report the end of the program within ",
                                         options_.end_margin_s, " s of its planned end")));
    ended_ = true;
  }
}

void LockstepRun::Execute(const run_model::RunEffects& effects) {
  if (options_.on_limit) {
    for (const v1::LimitResult& note : effects.limit_notes) options_.on_limit(note);
  }
  // An ABORT limit tripped: stop the program now, as rigd does; the run ends at the
  // device's PROGRAM_FINISHED.
  if (effects.stop_program && !stop_sent_) {
    v1::HostMessage stop;
    stop.set_command_id(next_command_id_++);
    stop.mutable_stop_program()->set_at_cycle_end(false);
    Send(stop);
    stop_sent_ = true;
  }
  if (effects.end) ended_ = true;
}

void LockstepRun::ReadDeviceOutput() {
  output_.clear();
  device_.TakeOutput(&output_);
  size_t pos = 0;
  codec::Frame frame;
  while (pos < output_.size() && !ended_) {
    const size_t taken = decoder_.Feed(output_.data() + pos, output_.size() - pos);
    pos += taken;
    bool delivered = false;
    while (!ended_ && decoder_.Next(&frame)) {
      delivered = true;
      // Parsed into an arena on a fixed block: a batch after a batch allocates nothing.
      arena_.Reset();
      auto* message = google::protobuf::Arena::CreateMessage<v1::DeviceMessage>(&arena_);
      if (!message->ParseFromArray(frame.payload, static_cast<int>(frame.size))) {
        ++result_.messages_unreadable;
        continue;
      }
      OnMessage(*message);
    }
    if (taken == 0 && !delivered) break;  // a sane decoder never gets here; never spin
  }
}

void LockstepRun::OnMessage(const v1::DeviceMessage& message) {
  switch (message.body_case()) {
    case v1::DeviceMessage::kDeviceInfo:
      device_info_ = message.device_info();
      break;
    case v1::DeviceMessage::kAck:
      if (message.ack().command_id() == awaited_ack_) {
        ack_ = message.ack();
      } else if (message.ack().result() != v1::COMMAND_RESULT_OK) {
        absl::StrAppend(&result_.command_errors, result_.command_errors.empty() ? "" : "; ",
                        "command ", message.ack().command_id(), ": ", AckText(message.ack()));
      }
      break;
    case v1::DeviceMessage::kTelemetry:
      OnTelemetry(message.telemetry());
      break;
    case v1::DeviceMessage::kEvent:
      OnEvent(message.event());
      break;
    case v1::DeviceMessage::BODY_NOT_SET:
      ++result_.messages_unreadable;
      break;
  }
}

void LockstepRun::OnTelemetry(const v1::TelemetryBatch& batch) {
  if (options_.lose_batch && options_.lose_batch(batch)) return;
  unpacked_.clear();
  if (!protocol::UnpackTelemetryBatch(batch, &unpacked_).ok()) {
    // Its samples show up as a gap before the next batch.
    ++result_.messages_unreadable;
    return;
  }
  const uint64_t first = batch.first_sample_seq();
  if (started_ && have_expected_seq_ && first > expected_seq_) {
    const uint64_t first_missing = std::max(expected_seq_, start_seq_);
    if (first > first_missing) {
      ApplyEventsBefore(first_missing);
      const uint64_t lost = first - first_missing;
      result_.samples_lost += lost;
      if (options_.on_gap) options_.on_gap(first_missing, lost);
      v1::RigEvent gap;
      gap.set_kind(v1::RIG_EVENT_TELEMETRY_GAP);
      gap.set_gap_first_seq(first_missing);
      gap.set_gap_samples(lost);
      Execute(model_->Event(gap));
    }
  }
  if (!unpacked_.empty() || !have_expected_seq_) {
    expected_seq_ = first + unpacked_.size();
    have_expected_seq_ = true;
  }
  for (const firmware::TelemetrySample& s : unpacked_) {
    if (started_) ApplyEventsBefore(s.seq);
    if (ended_) return;
    if (!started_ || s.seq < start_seq_) continue;
    static_cast<firmware::TelemetrySample&>(sample_) = s;
    sample_.host_time_ns = static_cast<int64_t>(s.time_us) * 1000;
    const run_model::RunEffects effects = model_->Sample(sample_);
    if (options_.on_sample) options_.on_sample(sample_);
    Execute(effects);
    last_time_us_ = s.time_us;
    ++result_.samples;
  }
  if (started_) ApplyEventsBefore(expected_seq_);
}

void LockstepRun::OnEvent(const v1::DeviceEvent& event) {
  if (!started_) {
    if (!start_sent_) return;  // still arming: not part of the run
    if (event.kind() != v1::DEVICE_EVENT_PROGRAM_STARTED ||
        event.program_id() != options_.program_id) {
      return;
    }
    // The run's samples are those from the program's first one on.
    started_ = true;
    start_seq_ = event.sample_seq();
  }
  held_events_.push_back(event);
  if (have_expected_seq_) ApplyEventsBefore(expected_seq_);
}

void LockstepRun::ApplyEventsBefore(uint64_t next_seq) {
  size_t applied = 0;
  while (applied < held_events_.size() && held_events_[applied].sample_seq() <= next_seq &&
         !ended_) {
    ApplyEvent(held_events_[applied]);
    ++applied;
  }
  held_events_.erase(held_events_.begin(),
                     held_events_.begin() + static_cast<std::ptrdiff_t>(applied));
}

void LockstepRun::ApplyEvent(const v1::DeviceEvent& event) {
  const bool ours = event.program_id() == options_.program_id;
  if (options_.on_event) options_.on_event(event);
  if (event.kind() == v1::DEVICE_EVENT_CYCLE_COMPLETED && ours) {
    ++result_.cycles_completed;
    return;
  }
  result_.events.push_back(event);
  if (ours && event.kind() == v1::DEVICE_EVENT_PROGRAM_FINISHED) result_.program_finished = true;
  if (ours && event.kind() == v1::DEVICE_EVENT_PROGRAM_ABORTED) result_.program_aborted = true;
  v1::RigEvent e;
  e.set_kind(v1::RIG_EVENT_DEVICE);
  *e.mutable_device() = event;
  Execute(model_->Event(e));
}

}  // namespace rollrig::testing
