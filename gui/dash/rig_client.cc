#include "gui/dash/rig_client.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "enum_names.h"
#include "gui/dash/telemetry_ingest.h"
#include "host/client/connection_diagnosis.h"
#include "host/client/rig_channel.h"
#include "rig/base/bounded_text.h"
#include "rig/base/user_identity.h"

namespace rollrig::gui {
namespace {

using Clock = std::chrono::system_clock;
constexpr size_t kMaxEvents = 300;
constexpr double kLeaseRenew_s = 3;

}  // namespace

const char* LinkStateName(LinkState s) {
  switch (s) {
    case LinkState::kConnected:
      return "connected";
    case LinkState::kConnecting:
      return "connecting";
    case LinkState::kDisconnected:
      return "disconnected";
  }
  return "?";
}

// Registers a call so Stop() can cancel it.
class RigClient::CallGuard {
 public:
  CallGuard(RigClient* c, grpc::ClientContext* ctx) : c_(c), ctx_(ctx) {
    std::lock_guard<std::mutex> lock(c_->mu_);
    c_->live_calls_.insert(ctx_);
    if (!c_->running_.load()) ctx_->TryCancel();
  }
  ~CallGuard() {
    std::lock_guard<std::mutex> lock(c_->mu_);
    c_->live_calls_.erase(ctx_);
  }

 private:
  RigClient* c_;
  grpc::ClientContext* ctx_;
};

RigClient::RigClient(client::ClientSettings settings, double telemetry_rate_hz, SeriesSet* series)
    : RigClient(std::move(settings), RigClientPace{.telemetry_rate_hz = telemetry_rate_hz},
                series) {}

RigClient::RigClient(client::ClientSettings settings, RigClientPace pace, SeriesSet* series,
                     TelemetryTap tap)
    : settings_(std::move(settings)),
      addr_(settings_.addr),
      pace_(pace),
      series_(series),
      tap_(std::move(tap)) {
  grpc::ChannelArguments args;
  // Reconnect quickly after rigd restarts, but back off to 2 s while it stays away.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 200);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 200);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  args.SetMaxReceiveMessageSize(64 << 20);
  channel_ = client::MakeRigChannel(settings_, args);
  stub_ = rollrig::v1::RigService::NewStub(channel_);
}

RigClient::~RigClient() { Stop(); }

void RigClient::Start() {
  if (running_.exchange(true)) return;
  threads_.emplace_back([this] { Supervise(); });
  threads_.emplace_back([this] { StreamTelemetry(); });
  threads_.emplace_back([this] { StreamEvents(); });
  threads_.emplace_back([this] { WatchRuns(); });
  threads_.emplace_back([this] { Commands(); });
  threads_.emplace_back([this] { EStops(); });
}

void RigClient::Stop() {
  if (!running_.exchange(false)) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (grpc::ClientContext* ctx : live_calls_) ctx->TryCancel();
  }
  cv_.notify_all();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
  std::string token;
  {
    std::lock_guard<std::mutex> lock(mu_);
    token.swap(token_);
  }
  if (!token.empty()) {
    grpc::ClientContext ctx;
    ctx.set_deadline(Clock::now() + std::chrono::seconds(1));
    rollrig::v1::LeaseRequest req;
    req.set_token(token);
    rollrig::v1::LeaseInfo lease;
    (void)stub_->ReleaseLease(&ctx, req, &lease);
  }
}

RigSnapshot RigClient::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return snap_;
}

bool RigClient::WaitForTelemetry(uint64_t rows, double timeout_s) const {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, std::chrono::duration<double>(timeout_s), [&] {
    return snap_.telemetry_rows >= rows || !running_.load();
  }) && snap_.telemetry_rows >= rows;
}

bool RigClient::Connected() const {
  std::lock_guard<std::mutex> lock(mu_);
  return snap_.link == LinkState::kConnected;
}

void RigClient::SleepWhileRunning(double seconds) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, std::chrono::duration<double>(seconds), [&] { return !running_.load(); });
}

std::unique_ptr<grpc::ClientContext> RigClient::Context(double deadline_s, bool with_lease) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  if (deadline_s > 0) {
    ctx->set_deadline(Clock::now() +
                      std::chrono::microseconds(static_cast<int64_t>(deadline_s * 1e6)));
  }
  if (with_lease) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!token_.empty()) ctx->AddMetadata("rollrig-lease", token_);
  }
  return ctx;
}

// ---- Connection and polling ----

void RigClient::PollOnce(bool first) {
  rollrig::v1::RigStatus status;
  auto ctx = Context(1.5, false);
  grpc::Status s;
  {
    CallGuard g(this, ctx.get());
    s = stub_->GetStatus(ctx.get(), {}, &status);
  }
  if (!s.ok()) {
    // Which of address, certificate or token is wrong (probes the port when unreachable).
    const client::Failure failure = client::DescribeCallFailure(s, settings_);
    std::lock_guard<std::mutex> lock(mu_);
    if (snap_.link == LinkState::kConnected) ++snap_.reconnects;
    snap_.link = LinkState::kDisconnected;
    snap_.link_detail = failure.message;
    snap_.estop_refused =
        failure.kind == client::FailureKind::kUnauthenticated ? failure.message : "";
    cv_.notify_all();
    return;
  }
  rollrig::v1::LeaseInfo lease;
  if (pace_.panels) {
    auto lctx = Context(1.5, false);
    (void)stub_->GetLease(lctx.get(), {}, &lease);
  }
  std::optional<rollrig::v1::GetDeviceInfoResponse> info;
  std::optional<rollrig::v1::ListPresetsResponse> presets;
  std::optional<rollrig::v1::ListRunsResponse> runs;
  std::optional<rollrig::v1::RunInfo> run;
  if (first && pace_.panels) {
    rollrig::v1::GetDeviceInfoResponse i;
    if (stub_->GetDeviceInfo(Context(2, false).get(), {}, &i).ok()) info = i;
    rollrig::v1::ListPresetsResponse p;
    if (stub_->ListPresets(Context(2, false).get(), {}, &p).ok()) presets = p;
    rollrig::v1::ListRunsResponse r;
    if (stub_->ListRuns(Context(3, false).get(), {}, &r).ok()) runs = r;
  }
  rollrig::v1::RunInfo ri;
  if (stub_->GetRun(Context(1.5, false).get(), {}, &ri).ok()) run = ri;

  std::lock_guard<std::mutex> lock(mu_);
  snap_.link = LinkState::kConnected;
  snap_.link_detail.clear();
  snap_.estop_refused.clear();
  snap_.have_status = true;
  snap_.status = std::move(status);
  snap_.lease = lease;
  snap_.we_hold_lease = !token_.empty() && lease.held();
  if (!lease.held() && !token_.empty()) token_.clear();  // expired or taken
  if (info) {
    snap_.have_info = true;
    snap_.info = *info;
  }
  if (presets) snap_.presets.assign(presets->presets().begin(), presets->presets().end());
  if (runs) snap_.runs.assign(runs->runs().begin(), runs->runs().end());
  // WatchRun keeps an active run fresher; polling fills in the rest.
  if (run &&
      !(snap_.have_run && snap_.run.id() == run->id() && rollrig::v1::RunIsActive(run->state()))) {
    snap_.have_run = true;
    snap_.run = *run;
  }
  cv_.notify_all();
}

void RigClient::Supervise() {
  double backoff = 0.2;
  auto next_renew = std::chrono::steady_clock::now();
  bool was_connected = false;
  while (running_.load()) {
    PollOnce(!was_connected);
    const bool connected = Connected();
    if (!connected) {
      was_connected = false;
      SleepWhileRunning(backoff);
      backoff = std::min(backoff * 2, 2.0);
      continue;
    }
    was_connected = true;
    backoff = 0.2;
    if (std::chrono::steady_clock::now() >= next_renew) {
      next_renew = std::chrono::steady_clock::now() +
                   std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                       std::chrono::duration<double>(kLeaseRenew_s));
      std::string token;
      {
        std::lock_guard<std::mutex> lock(mu_);
        token = token_;
      }
      if (!token.empty()) {
        rollrig::v1::LeaseRequest req;
        req.set_token(token);
        rollrig::v1::LeaseInfo lease;
        (void)stub_->RenewLease(Context(2, false).get(), req, &lease);
      }
    }
    SleepWhileRunning(pace_.poll_interval_s);
  }
}

// ---- Streams ----

void RigClient::StreamTelemetry() {
  TelemetryIngestor ingest;
  std::vector<TelemetryPoint> points;
  while (running_.load()) {
    if (!Connected()) {
      SleepWhileRunning(0.2);
      continue;
    }
    grpc::ClientContext ctx;
    CallGuard g(this, &ctx);
    rollrig::v1::StreamTelemetryRequest req;
    req.set_rate_hz(pace_.telemetry_rate_hz);
    auto reader = stub_->StreamTelemetry(&ctx, req);
    rollrig::v1::TelemetryChunk chunk;
    uint64_t stream_dropped = 0;
    while (reader->Read(&chunk)) {
      points.clear();
      for (const auto& row : chunk.rows()) ingest.AddRow(row, &points);
      // The stream's own drop total also counts in the rows' drops: only show it.
      if (series_) series_->Append(points);
      if (tap_) tap_(points);
      std::lock_guard<std::mutex> lock(mu_);
      snap_.telemetry_rows += chunk.rows_size();
      snap_.stream_dropped_total +=
          chunk.dropped_total() - std::min(chunk.dropped_total(), stream_dropped);
      stream_dropped = chunk.dropped_total();
      snap_.sample_rate_hz = chunk.sample_rate_hz();
      snap_.live_t0_known = ingest.started();
      snap_.live_device_t0_s = ingest.time_zero_s();
      cv_.notify_all();
    }
    (void)reader->Finish();
    SleepWhileRunning(0.3);
  }
}

void RigClient::StreamEvents() {
  while (running_.load()) {
    if (!Connected()) {
      SleepWhileRunning(0.2);
      continue;
    }
    grpc::ClientContext ctx;
    CallGuard g(this, &ctx);
    rollrig::v1::StreamEventsRequest req;
    req.set_recent(50);
    auto reader = stub_->StreamEvents(&ctx, req);
    rollrig::v1::RigEvent e;
    bool first_batch = true;
    while (reader->Read(&e)) {
      std::lock_guard<std::mutex> lock(mu_);
      if (first_batch) snap_.events.clear();  // the recent ones again after a reconnect
      first_batch = false;
      snap_.events.push_back(e);
      while (snap_.events.size() > kMaxEvents) snap_.events.pop_front();
    }
    (void)reader->Finish();
    SleepWhileRunning(0.3);
  }
}

void RigClient::WatchRuns() {
  while (running_.load()) {
    std::string id;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (snap_.link == LinkState::kConnected && snap_.have_run &&
          rollrig::v1::RunIsActive(snap_.run.state())) {
        id = snap_.run.id();
      }
    }
    if (id.empty()) {
      SleepWhileRunning(0.2);
      continue;
    }
    grpc::ClientContext ctx;
    CallGuard g(this, &ctx);
    rollrig::v1::RunRequest req;
    req.set_id(id);
    auto reader = stub_->WatchRun(&ctx, req);
    rollrig::v1::RunInfo info;
    bool first = true;
    while (reader->Read(&info)) {
      double t_end = 0;
      if (series_) {
        std::lock_guard<std::mutex> lock(series_->mutex());
        t_end = series_->points() > 0 ? series_->t_end() : 0;
      }
      std::lock_guard<std::mutex> lock(mu_);
      if (first) {
        snap_.run_start_t = std::max(0.0, t_end - info.progress().elapsed_s());
        snap_.run_cycle_starts.clear();
        first = false;
      }
      const uint32_t cycle = info.progress().cycle();
      if (cycle > snap_.run_cycle_starts.size() && cycle > 0) {
        snap_.run_cycle_starts.resize(cycle, t_end);
      }
      snap_.have_run = true;
      snap_.run = info;
    }
    (void)reader->Finish();
    SleepWhileRunning(0.3);
  }
}

// ---- Commands ----

void RigClient::SetAction(const std::string& what, const grpc::Status& s) {
  std::lock_guard<std::mutex> lock(mu_);
  snap_.action_ok = s.ok();
  if (s.ok()) {
    snap_.action_message = absl::StrCat(what, ": done");
  } else if (s.error_code() == grpc::StatusCode::UNAVAILABLE &&
             s.error_message().find("device") == std::string::npos) {
    snap_.action_message = absl::StrCat(what, ": cannot reach rigd at ", addr_);
  } else {
    snap_.action_message = absl::StrCat(
        what, " refused: ",
        s.error_message().empty() ? absl::StrCat("gRPC status ", static_cast<int>(s.error_code()))
                                  : s.error_message());
  }
}

void RigClient::Enqueue(std::string what, std::function<grpc::Status(grpc::ClientContext*)> call) {
  std::lock_guard<std::mutex> lock(mu_);
  queue_.emplace_back(std::move(what), std::move(call));
  cv_.notify_all();
}

void RigClient::Commands() {
  while (true) {
    std::pair<std::string, std::function<grpc::Status(grpc::ClientContext*)>> item;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return !running_.load() || !queue_.empty(); });
      if (!running_.load()) return;
      item = std::move(queue_.front());
      queue_.pop_front();
    }
    auto ctx = Context(10, true);
    grpc::Status s;
    {
      CallGuard g(this, ctx.get());
      s = item.second(ctx.get());
    }
    SetAction(item.first, s);
  }
}

void RigClient::AcquireLease(bool force) {
  Enqueue(force ? "take control (forced)" : "take control",
          [this, force](grpc::ClientContext* ctx) {
            rollrig::v1::AcquireLeaseRequest req;
            req.set_holder(UserAtHost());
            req.set_client(absl::StrCat("rig-dash, pid ", getpid()));
            req.set_force(force);
            rollrig::v1::LeaseInfo lease;
            grpc::Status s = stub_->AcquireLease(ctx, req, &lease);
            if (s.ok()) {
              std::lock_guard<std::mutex> lock(mu_);
              token_ = lease.token();
              snap_.lease = lease;
              snap_.we_hold_lease = true;
            }
            return s;
          });
}

void RigClient::ReleaseLease() {
  Enqueue("release control", [this](grpc::ClientContext* ctx) {
    rollrig::v1::LeaseRequest req;
    {
      std::lock_guard<std::mutex> lock(mu_);
      req.set_token(token_);
      token_.clear();
      snap_.we_hold_lease = false;
    }
    rollrig::v1::LeaseInfo lease;
    return stub_->ReleaseLease(ctx, req, &lease);
  });
}

void RigClient::Jog(const JogCommand& jog) {
  Enqueue("jog", [this, jog](grpc::ClientContext* ctx) {
    rollrig::v1::JogRequest req;
    if (jog.roller_rpm) req.set_roller_rpm(*jog.roller_rpm);
    if (jog.head_deg) req.set_head_deg(*jog.head_deg);
    if (jog.preload_n) req.set_preload_n(*jog.preload_n);
    rollrig::v1::JogResponse resp;
    return stub_->Jog(ctx, req, &resp);
  });
}

void RigClient::StopMotion() {
  Enqueue("stop", [this](grpc::ClientContext* ctx) {
    rollrig::v1::StopResponse resp;
    return stub_->Stop(ctx, {}, &resp);
  });
}

grpc::Status RigClient::StoreIfOk(const grpc::Status& s,
                                  const std::function<void(RigSnapshot&)>& store) {
  if (s.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    store(snap_);
  }
  return s;
}

void RigClient::ClearFault() {
  Enqueue("clear fault", [this](grpc::ClientContext* ctx) {
    rollrig::v1::ClearFaultRequest req;
    req.set_who(UserAtHost() + " (rig-dash)");
    rollrig::v1::ClearFaultResponse resp;
    return stub_->ClearFault(ctx, req, &resp);
  });
}

void RigClient::Validate(const rollrig::v1::ProfileSource& source) {
  Enqueue("validate", [this, source](grpc::ClientContext* ctx) {
    rollrig::v1::ValidateProfileRequest req;
    *req.mutable_source() = source;
    rollrig::v1::ValidateProfileResponse resp;
    grpc::Status s = StoreIfOk(stub_->ValidateProfile(ctx, req, &resp), [&](RigSnapshot& snap) {
      snap.have_validation = true;
      snap.validation = resp;
    });
    if (s.ok() && !resp.ok()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "the profile has errors");
    }
    return s;
  });
}

void RigClient::StartRun(const rollrig::v1::RunSpec& spec) {
  Enqueue("start run", [this, spec](grpc::ClientContext* ctx) {
    rollrig::v1::StartRunRequest req;
    *req.mutable_spec() = spec;
    rollrig::v1::RunInfo info;
    return StoreIfOk(stub_->StartRun(ctx, req, &info), [&](RigSnapshot& snap) {
      snap.have_run = true;
      snap.run = info;
      snap.run_cycle_starts.clear();
    });
  });
}

namespace {
std::string ActiveRunId(const RigSnapshot& s) { return s.have_run ? s.run.id() : std::string(); }
}  // namespace

// Pause, resume and stop all act on the active run and answer with its RunInfo.
void RigClient::EnqueueRunRequest(const std::string& what, const RunCommand& command,
                                  grpc::Status (rollrig::v1::RigService::Stub::*call)(
                                      grpc::ClientContext*, const rollrig::v1::RunRequest&,
                                      rollrig::v1::RunInfo*)) {
  Enqueue(command.force ? what + " (forced)" : what,
          [this, command, call](grpc::ClientContext* ctx) {
            rollrig::v1::RunRequest req;
            req.set_id(ActiveRunId(Snapshot()));
            req.set_force(command.force);
            req.set_reason(ToValidUtf8(command.reason));  // protobuf wants UTF-8; rigd bounds it
            rollrig::v1::RunInfo info;
            return (stub_.get()->*call)(ctx, req, &info);
          });
}

void RigClient::PauseRun(const RunCommand& command) {
  EnqueueRunRequest("pause run", command, &rollrig::v1::RigService::Stub::PauseRun);
}
void RigClient::ResumeRun(const RunCommand& command) {
  EnqueueRunRequest("resume run", command, &rollrig::v1::RigService::Stub::ResumeRun);
}
void RigClient::StopRun(const RunCommand& command) {
  EnqueueRunRequest("stop run", command, &rollrig::v1::RigService::Stub::StopRun);
}

void RigClient::RefreshRuns() {
  Enqueue("list runs", [this](grpc::ClientContext* ctx) {
    rollrig::v1::ListRunsResponse resp;
    return StoreIfOk(stub_->ListRuns(ctx, {}, &resp), [&](RigSnapshot& snap) {
      snap.runs.assign(resp.runs().begin(), resp.runs().end());
    });
  });
}

void RigClient::Download(const std::string& run_id, uint32_t file_index) {
  Enqueue(absl::StrCat("download ", run_id), [this, run_id, file_index](grpc::ClientContext*) {
    // A long recording takes longer than a command's deadline: a context of its own.
    grpc::ClientContext ctx;
    CallGuard g(this, &ctx);
    rollrig::v1::DownloadRecordingRequest req;
    req.set_run_id(run_id);
    req.set_file_index(file_index);
    auto reader = stub_->DownloadRecording(&ctx, req);
    std::error_code ec;
    const std::filesystem::path dir = std::filesystem::temp_directory_path(ec);
    const std::string path =
        (dir / absl::StrCat("rig-dash-", getpid(), "-", run_id.empty() ? "latest" : run_id, "-",
                            file_index, ".mcap"))
            .string();
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) return grpc::Status(grpc::StatusCode::INTERNAL, "cannot write " + path);
    rollrig::v1::RecordingChunk chunk;
    while (reader->Read(&chunk))
      out.write(chunk.data().data(), static_cast<std::streamsize>(chunk.data().size()));
    grpc::Status s = reader->Finish();
    out.close();
    if (s.ok() && !out) s = grpc::Status(grpc::StatusCode::INTERNAL, "cannot write " + path);
    return StoreIfOk(s, [&](RigSnapshot& snap) {
      snap.downloaded_path = path;
      ++snap.downloads;
    });
  });
}

// ---- E-stop ----

void RigClient::EStop(const std::string& reason) {
  std::lock_guard<std::mutex> lock(mu_);
  ++estop_requests_;
  estop_reason_ = reason;
  cv_.notify_all();
}

void RigClient::EStops() {
  uint64_t done = 0;
  while (true) {
    std::string reason;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return !running_.load() || estop_requests_ > done; });
      if (!running_.load()) return;
      done = estop_requests_;
      reason = estop_reason_;
    }
    rollrig::v1::EStopRequest req;
    req.set_reason(reason);
    req.set_who(UserAtHost() + " (rig-dash)");
    rollrig::v1::EStopResponse resp;
    grpc::Status s;
    // Retried briefly: a press must not be lost to one failed call.
    for (int attempt = 0; attempt < 3; ++attempt) {
      auto ctx = Context(1.0, false);
      CallGuard g(this, ctx.get());
      s = stub_->EStop(ctx.get(), req, &resp);
      if (s.ok() || !running_.load()) break;
    }
    if (s.ok()) estops_sent_.fetch_add(1);
    if (s.error_code() == grpc::StatusCode::UNAUTHENTICATED) {
      std::lock_guard<std::mutex> lock(mu_);
      snap_.estop_refused = client::DescribeCallFailure(s, settings_).message;
    }
    SetAction("E-STOP", s);
  }
}

}  // namespace rollrig::gui
