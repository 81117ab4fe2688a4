#include "host/rigctl/session.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "host/rigctl/usage.h"

namespace rollrig::host::rigctl {

Session::Session(std::string addr, bool force, std::ostream& out, std::ostream& err)
    : addr_(std::move(addr)), force_(force), out_(out), err_(err) {}

Session::~Session() { ReleaseControl(); }

bool Session::Connect() {
  channel_ = grpc::CreateChannel(addr_, grpc::InsecureChannelCredentials());
  if (!channel_->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(3))) {
    err_ << "rigctl: cannot reach rigd at " << addr_
         << " (is it running? start it with: rigd --device sim)\n";
    return false;
  }
  stub_ = rollrig::v1::RigService::NewStub(channel_);
  return true;
}

void Session::Identify(grpc::ClientContext* ctx) { ctx->AddMetadata("rollrig-user", UserAtHost()); }

grpc::Status Session::TakeLease(bool force) {
  rollrig::v1::AcquireLeaseRequest req;
  req.set_holder(UserAtHost());
  // The pid tells two rigctl processes of one user apart: each must hold control itself.
  req.set_client(absl::StrCat("rigctl, pid ", getpid()));
  req.set_force(force);
  grpc::ClientContext ctx;
  Identify(&ctx);
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
  refused_for_lease_ = !s.ok() && RefusedForLease(*ctx);
  if (!refused_for_lease_ || !force_) return s;
  if (grpc::Status taken = TakeLease(/*force=*/true); !taken.ok()) {
    refused_for_lease_ = taken.error_code() == grpc::StatusCode::FAILED_PRECONDITION;
    return taken;
  }
  auto again = Context(deadline_s);
  s = call(again.get());
  refused_for_lease_ = !s.ok() && RefusedForLease(*again);
  return s;
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
      Identify(&ctx);
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
  Identify(&ctx);
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  rollrig::v1::LeaseRequest req;
  req.set_token(token_);
  rollrig::v1::LeaseInfo lease;
  (void)stub_->ReleaseLease(&ctx, req, &lease);
  token_.clear();
}

std::unique_ptr<grpc::ClientContext> Session::Context(int deadline_s) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  Identify(ctx.get());
  if (deadline_s > 0) {
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(deadline_s));
  }
  if (!token_.empty()) ctx->AddMetadata("rollrig-lease", token_);
  return ctx;
}

int Session::Failed(const std::string& what, const grpc::Status& s) {
  if (s.error_code() == grpc::StatusCode::UNAVAILABLE &&
      s.error_message().find("device") == std::string::npos) {
    err_ << "rigctl: " << what << ": cannot reach rigd at " << addr_ << " (" << s.error_message()
         << ")\n";
    return kExitUsage;
  }
  // A status without a message (e.g. a cancelled call) still says what it was.
  err_ << "rigctl: " << what << " refused: "
       << (s.error_message().empty()
               ? absl::StrCat("gRPC status ", static_cast<int>(s.error_code()))
               : s.error_message())
       << "\n";
  return refused_for_lease_ ? kExitUsage : kExitRefused;
}

int Session::Usage(const std::string& message) {
  err_ << "rigctl: " << message << "\n" << kUsage;
  return kExitUsage;
}

}  // namespace rollrig::host::rigctl
