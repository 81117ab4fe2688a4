// The one way rollrig's clients open a channel to rigd: TLS (grpc::SslCredentials with the
// CA of ClientSettings) or plaintext, and on every call the caller's metadata, added by an
// interceptor so no call can go without it:
//   rollrig-user: USER@HOST        (the OS account; rigd's identity on loopback without
//                                   credentials)
//   authorization: Bearer TOKEN    (when a token is set)
// The metadata travels on plaintext channels too: rigd's credentials apply on loopback.
//
// Thread-safe: the channel is gRPC's, shared by every thread of a client.
#pragma once

#include <memory>

#include "grpcpp/grpcpp.h"
#include "host/client/client_settings.h"

namespace rollrig::client {

inline constexpr char kUserMetadataKey[] = "rollrig-user";
inline constexpr char kAuthorizationKey[] = "authorization";

std::shared_ptr<grpc::Channel> MakeRigChannel(const ClientSettings& settings,
                                              grpc::ChannelArguments args = {});

}  // namespace rollrig::client
