// A rigd stand-in for the dashboard's tests: a RigService serving one synthetic run's history
// (GetRunHistory with envelopes or raw samples, GetRun, GetStatus, a short telemetry stream),
// so the history path is tested without the host. The run: `duration_s` at `rate_hz`, torque
// a 1 Hz sine, 6 s cycles, paused from 8 s to 10 s, 50 samples lost at 30 s.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"
#include "gui/dash/tests/fake_rigd.h"
#include "rollrig/v1/rig_service.grpc.pb.h"

namespace rollrig::gui::testing {

class FakeHistoryService final : public rollrig::v1::RigService::Service {
 public:
  std::string run_id = "run-1";
  double duration_s = 60;
  double rate_hz = 100;
  bool recording = false;
  int64_t start_unix_ns = 1'700'000'000'000'000'000;
  std::atomic<int> history_calls{0};
  std::atomic<int> raw_answers{0};
  int window_delay_ms = 0;  // a windowed request (t1 > t0) is answered this late
  std::string damage;       // as rigd names a damaged file (the answer stops there)

  static double Torque(double t) { return std::sin(2 * M_PI * t); }
  static constexpr double kGapAt = 30;

  grpc::Status GetStatus(grpc::ServerContext*, const rollrig::v1::GetStatusRequest*,
                         rollrig::v1::RigStatus* out) override {
    out->set_connection(rollrig::v1::CONNECTION_STATE_CONNECTED);
    out->set_transport("fake");
    return grpc::Status::OK;
  }

  grpc::Status GetRun(grpc::ServerContext*, const rollrig::v1::RunRequest* req,
                      rollrig::v1::RunInfo* out) override {
    if (!req->id().empty() && req->id() != run_id) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, absl::StrCat("no run '", req->id(), "'"));
    }
    out->set_id(run_id);
    out->set_state(recording ? rollrig::v1::RUN_STATE_RUNNING : rollrig::v1::RUN_STATE_COMPLETED);
    out->mutable_spec()->mutable_profile()->set_text(
        "name: \"fake\" limits { name: \"cycle peak torque\" cycle_statistic: "
        "CYCLE_STATISTIC_PEAK_TORQUE_NM max: 2.0 action: LIMIT_ACTION_FAIL }");
    return grpc::Status::OK;
  }

  grpc::Status StreamTelemetry(grpc::ServerContext* ctx, const rollrig::v1::StreamTelemetryRequest*,
                               grpc::ServerWriter<rollrig::v1::TelemetryChunk>* writer) override {
    rollrig::v1::TelemetryChunk chunk;
    for (int i = 0; i < 600; ++i) {
      auto* row = chunk.add_rows();
      row->set_t_s(1000 + i * 0.01);
      row->set_torque_nm(0.5);
      row->set_roller_rpm(10);
      row->set_seq(static_cast<uint64_t>(i));
      row->set_samples(1);
    }
    writer->Write(chunk);
    while (!ctx->IsCancelled()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return grpc::Status::OK;
  }

  grpc::Status GetRunHistory(grpc::ServerContext*, const rollrig::v1::GetRunHistoryRequest* req,
                             rollrig::v1::RunHistory* out) override {
    ++history_calls;
    if (req->t1_s() > req->t0_s() && window_delay_ms > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(window_delay_ms));
    }
    if (!req->run_id().empty() && req->run_id() != run_id) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND,
                          absl::StrCat("no run '", req->run_id(), "'"));
    }
    double t0 = std::max(0.0, req->t0_s()),
           t1 = req->t1_s() <= req->t0_s() ? duration_s : std::min(req->t1_s(), duration_s);
    if (t0 >= duration_s) {
      return grpc::Status(
          grpc::StatusCode::INVALID_ARGUMENT,
          absl::StrCat("the window starts after the run's end at ", duration_s, " s"));
    }
    const uint32_t max_points = req->max_points() ? req->max_points() : 2000;
    out->set_run_id(run_id);
    out->set_t0_s(t0);
    out->set_t1_s(t1);
    out->set_recorded_end_s(duration_s);
    out->set_run_start_unix_ns(start_unix_ns);
    out->set_recording(recording);
    out->set_sample_rate_hz(static_cast<uint32_t>(rate_hz));
    out->set_live_device_to_run_s(-1000 + 0.0);  // live rows' t_s 1000 = run time 0
    const auto first = static_cast<int64_t>(std::ceil(t0 * rate_hz));
    const auto last = static_cast<int64_t>(std::floor(t1 * rate_hz));
    const int64_t n = last - first + 1;
    auto* torque = out->add_series();
    torque->set_channel("torque_nm");
    if (n <= static_cast<int64_t>(max_points)) {
      ++raw_answers;
      out->set_raw(true);
      for (int64_t i = first; i <= last; ++i) {
        const double t = i / rate_hz;
        if (t > kGapAt && t < kGapAt + 0.5) continue;  // the lost samples
        out->add_t_s(t);
        torque->add_mean(static_cast<float>(Torque(t)));
      }
    } else {
      const double dt = (t1 - t0) / max_points;
      for (uint32_t b = 0; b < max_points; ++b) {
        out->add_t_s(t0 + b * dt);
        torque->add_min(-1);
        torque->add_max(1);
        torque->add_mean(0);
      }
    }
    if (kGapAt >= t0 && kGapAt <= t1) {
      auto* g = out->add_gaps();
      g->set_t_s(kGapAt + 0.5);
      g->set_samples(50);
    }
    AddEvent(out, 8, rollrig::v1::RUN_STATE_PAUSED, t0, t1);
    AddEvent(out, 10, rollrig::v1::RUN_STATE_RUNNING, t0, t1);
    for (uint32_t c = 1; c * 6.0 <= duration_s; ++c) {
      auto* cs = out->add_cycles();
      cs->set_cycle(c);
      cs->set_start_s((c - 1) * 6.0);
      cs->set_end_s(c * 6.0);
      cs->set_peak_torque_nm(1 + 0.01 * c);
    }
    out->set_samples(static_cast<uint64_t>(n));
    out->set_damage(damage);
    return grpc::Status::OK;
  }

 private:
  static void AddEvent(rollrig::v1::RunHistory* out, double t, rollrig::v1::RunState state,
                       double t0, double t1) {
    if (t < t0 || t > t1) return;
    auto* e = out->add_events();
    e->set_kind(rollrig::v1::RIG_EVENT_RUN_STATE);
    e->set_run_state(state);
    e->set_run_time_s(t);
    e->set_message(state == rollrig::v1::RUN_STATE_PAUSED ? "run paused" : "run resumed");
  }
};

}  // namespace rollrig::gui::testing
