#include "host/client/rig_channel.h"

#include <string>
#include <utility>
#include <vector>

#include "grpcpp/support/client_interceptor.h"
#include "rig/base/user_identity.h"

namespace rollrig::client {
namespace {

using grpc::experimental::ClientInterceptorFactoryInterface;
using grpc::experimental::ClientRpcInfo;
using grpc::experimental::InterceptionHookPoints;
using grpc::experimental::InterceptorBatchMethods;

using Metadata = std::vector<std::pair<std::string, std::string>>;

class CallerMetadataInterceptor : public grpc::experimental::Interceptor {
 public:
  explicit CallerMetadataInterceptor(const Metadata* metadata) : metadata_(metadata) {}

  void Intercept(InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      auto* sent = methods->GetSendInitialMetadata();
      for (const auto& [key, value] : *metadata_) sent->emplace(key, value);
    }
    methods->Proceed();
  }

 private:
  const Metadata* metadata_;
};

class CallerMetadataFactory : public ClientInterceptorFactoryInterface {
 public:
  explicit CallerMetadataFactory(Metadata metadata) : metadata_(std::move(metadata)) {}
  grpc::experimental::Interceptor* CreateClientInterceptor(ClientRpcInfo*) override {
    return new CallerMetadataInterceptor(&metadata_);
  }

 private:
  const Metadata metadata_;  // lives as long as the channel that owns the factory
};

}  // namespace

std::shared_ptr<grpc::Channel> MakeRigChannel(const ClientSettings& settings,
                                              grpc::ChannelArguments args) {
  Metadata metadata = {{kUserMetadataKey, UserAtHost()}};
  if (!settings.token.empty()) metadata.emplace_back(kAuthorizationKey, "Bearer " + settings.token);
  std::vector<std::unique_ptr<ClientInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(std::make_unique<CallerMetadataFactory>(std::move(metadata)));
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (settings.tls()) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = settings.ca_pem;
    credentials = grpc::SslCredentials(ssl);
  } else {
    credentials = grpc::InsecureChannelCredentials();
  }
  return grpc::experimental::CreateCustomChannelWithInterceptors(settings.addr, credentials, args,
                                                                 std::move(interceptors));
}

}  // namespace rollrig::client
