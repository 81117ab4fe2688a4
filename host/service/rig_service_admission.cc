// RigService: who makes a call, and whether they may (the one place a call's Caller is
// made).
#include <optional>
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "host/security/presented_credential.h"
#include "host/service/request_limits.h"
#include "host/service/rig_service.h"
#include "rig/base/bounded_text.h"

namespace rollrig::host {
namespace {

constexpr char kAuthorizationMetadata[] = "authorization";

std::string_view View(const grpc::string_ref& ref) { return {ref.data(), ref.size()}; }

// The subject of the client certificate TLS verified against the client CA, if any.
std::optional<std::string> VerifiedSubject(const grpc::CallbackServerContext& ctx) {
  const std::shared_ptr<const grpc::AuthContext> auth = ctx.auth_context();
  if (!auth || !auth->IsPeerAuthenticated()) return std::nullopt;
  const std::vector<grpc::string_ref> subjects =
      auth->FindPropertyValues(GRPC_X509_SUBJECT_PROPERTY_NAME);
  if (subjects.empty()) return std::nullopt;
  return std::string(View(subjects.front()));
}

// What the call presents: its bearer token or its verified client certificate.
absl::StatusOr<PresentedCredential> PresentedBy(const grpc::CallbackServerContext& ctx) {
  const auto [first, last] = ctx.client_metadata().equal_range(kAuthorizationMetadata);
  std::optional<std::string_view> authorization;
  if (first != last) {
    if (std::next(first) != last) {
      return absl::UnauthenticatedError(
          "malformed token: the call carries more than one authorization metadata");
    }
    authorization = View(first->second);
  }
  const std::optional<std::string> subject = VerifiedSubject(ctx);
  return PresentedCredentialOf(authorization, subject);
}

// Without credentials (loopback only): the OS account the client states, as admin; the
// trust model of a single-user bench PC.
Caller StatedCaller(const grpc::CallbackServerContext& ctx) {
  const auto& md = ctx.client_metadata();
  auto it = md.find(RigServiceImpl::kStatedUserMetadata);
  Caller caller;
  caller.identity = it == md.end() ? ctx.peer() : TruncateText(View(it->second), kMaxIdentityBytes);
  caller.role = Role::kAdmin;
  return caller;
}

}  // namespace

absl::StatusOr<Caller> RigServiceImpl::Admit(grpc::CallbackServerContext* ctx,
                                             std::string_view method) {
  if (access_ == nullptr) return StatedCaller(*ctx);
  absl::StatusOr<PresentedCredential> presented = PresentedBy(*ctx);
  if (!presented.ok()) return presented.status();
  return access_->Admit(*presented, method);
}

std::optional<Caller> RigServiceImpl::AdmitOrRefuse(grpc::CallbackServerContext* ctx,
                                                    std::string_view method,
                                                    grpc::ServerUnaryReactor* reactor) {
  absl::StatusOr<Caller> caller = Admit(ctx, method);
  if (caller.ok()) return *std::move(caller);
  reactor->Finish(ToGrpcStatus(caller.status()));
  return std::nullopt;
}

std::function<grpc::Status()> RigServiceImpl::StreamAdmission(grpc::CallbackServerContext* ctx,
                                                              std::string_view method) const {
  if (access_ == nullptr) return {};
  absl::StatusOr<PresentedCredential> presented = PresentedBy(*ctx);
  if (!presented.ok()) return {};  // not reached: Admit refused the call already
  return [access = access_, presented = *std::move(presented), method = std::string(method)] {
    absl::StatusOr<Caller> caller = access->Admit(presented, method);
    if (caller.ok()) return grpc::Status::OK;
    return ToGrpcStatus(
        absl::Status(caller.status().code(),
                     absl::StrCat("the stream ends: its credential no longer admits it (",
                                  std::string(caller.status().message()), ")")));
  };
}

}  // namespace rollrig::host
