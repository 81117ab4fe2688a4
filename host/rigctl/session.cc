#include "host/rigctl/session.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "host/client/connection_diagnosis.h"
#include "host/client/rig_channel.h"
#include "host/rigctl/usage.h"

namespace rollrig::host::rigctl {

Session::Session(client::ClientFlags flags, bool force, std::ostream& out, std::ostream& err)
    : flags_(std::move(flags)), force_(force), out_(out), err_(err) {
  settings_.addr = flags_.addr.value_or(client::kDefaultAddr);
}

Session::~Session() { ReleaseControl(); }

bool Session::Connect() {
  absl::StatusOr<client::ClientSources> sources = client::ReadClientSources();
  absl::StatusOr<client::ClientSettings> settings =
      sources.ok() ? client::ResolveClientSettings(flags_, *sources) : sources.status();
  if (!settings.ok()) {
    err_ << "rigctl: " << settings.status().message() << "\n";
    failure_ = kExitUsage;
    return false;
  }
  settings_ = *std::move(settings);
  channel_ = client::MakeRigChannel(settings_);
  if (!channel_->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(3))) {
    err_ << "rigctl: " << client::DescribeConnectFailure(settings_) << "\n";
    failure_ = kExitUnreachable;
    return false;
  }
  stub_ = rollrig::v1::RigService::NewStub(channel_);
  return true;
}

grpc::Status Session::TakeLease(bool force) {
  rollrig::v1::AcquireLeaseRequest req;
  req.set_holder(UserAtHost());
  // The pid tells two rigctl processes of one user apart: each must hold control itself.
  req.set_client(absl::StrCat("rigctl, pid ", getpid()));
  req.set_force(force);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  rollrig::v1::LeaseInfo lease;
  grpc::Status s = stub_->AcquireLease(&ctx, req, &lease);
  if (s.ok()) token_ = lease.token();
  return s;
}

namespace {

bool RefusedForLease(const grpc::ClientContext& ctx) {
  const auto& trailers = ctx.GetServerTrailingMetadata();
  auto it = trailers.find("rollrig-refusal");
  return it != trailers.end() && it->second == "lease";
}

}  // namespace

grpc::Status Session::Control(const std::function<grpc::Status(grpc::ClientContext*)>& call,
                              int deadline_s) {
  // Held by another: no lease yet; the command itself then says who holds it.
  if (token_.empty()) (void)TakeLease(/*force=*/false);
  auto ctx = Context(deadline_s);
  grpc::Status s = call(ctx.get());
  if (s.ok() || !force_ || !RefusedForLease(*ctx)) return s;
  if (grpc::Status taken = TakeLease(/*force=*/true); !taken.ok()) {
    return taken;
  }
  auto again = Context(deadline_s);
  return call(again.get());
}

void Session::KeepControl() {
  if (token_.empty() || keep_running_.exchange(true)) return;
  keeper_ = std::thread([this] {
    auto next = std::chrono::steady_clock::now();
    while (keep_running_.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (std::chrono::steady_clock::now() < next) continue;
      next = std::chrono::steady_clock::now() + std::chrono::seconds(3);
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
      rollrig::v1::LeaseRequest req;
      req.set_token(token_);
      rollrig::v1::LeaseInfo lease;
      (void)stub_->RenewLease(&ctx, req, &lease);
    }
  });
}

void Session::ReleaseControl() {
  if (keep_running_.exchange(false) && keeper_.joinable()) keeper_.join();
  if (token_.empty() || !stub_) return;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  rollrig::v1::LeaseRequest req;
  req.set_token(token_);
  rollrig::v1::LeaseInfo lease;
  (void)stub_->ReleaseLease(&ctx, req, &lease);
  token_.clear();
}

std::unique_ptr<grpc::ClientContext> Session::Context(int deadline_s) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  if (deadline_s > 0) {
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(deadline_s));
  }
  if (!token_.empty()) ctx->AddMetadata("rollrig-lease", token_);
  return ctx;
}

int Session::Failed(const std::string& what, const grpc::Status& s) {
  const client::Failure f = client::DescribeCallFailure(s, settings_);
  switch (f.kind) {
    case client::FailureKind::kUnreachable:
      err_ << "rigctl: " << what << ": " << f.message << "\n";
      return kExitUnreachable;
    case client::FailureKind::kUnauthenticated:
    case client::FailureKind::kPermissionDenied:
      err_ << "rigctl: " << what << ": " << f.message << "\n";
      return kExitDenied;
    case client::FailureKind::kNotFound:
      err_ << "rigctl: " << what << ": " << f.message << "\n";
      return kExitNotFound;
    case client::FailureKind::kRefused:
      break;
  }
  err_ << "rigctl: " << what << " refused: " << f.message << "\n";
  return kExitRefused;
}

int Session::Usage(const std::string& message) {
  err_ << "rigctl: " << message << "\n" << kUsage;
  return kExitUsage;
}

}  // namespace rollrig::host::rigctl
